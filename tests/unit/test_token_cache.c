/* Unit tests for host/token_cache.c: hits, expiry, buckets, disabled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "token_cache.h"

#define HASH_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HASH_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
/* Same first 8 digits as HASH_A: the same bucket. */
#define HASH_A2 "01234567ffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

static db_token make_token(int64_t id, const char *court)
{
    db_token t = {.id = id};
    strcpy(t.name, "filing");
    strcpy(t.court, court);
    strcpy(t.role, "filer");
    return t;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void test_hit_returns_the_row_put(void **state)
{
    (void)state;
    token_cache *c = token_cache_new(60000);
    db_token a = make_token(7, "苏01"), b = make_token(9, "粤07"), out;
    assert_false(token_cache_get(c, HASH_A, &out));
    token_cache_put(c, HASH_A, &a);
    token_cache_put(c, HASH_B, &b);
    assert_true(token_cache_get(c, HASH_A, &out));
    assert_int_equal(out.id, 7);
    assert_string_equal(out.court, "苏01");
    assert_true(token_cache_get(c, HASH_B, &out));
    assert_int_equal(out.id, 9);
    assert_string_equal(out.court, "粤07");
    token_cache_free(c);
}

/* A revoked token is refused at most ttl after the revocation: an entry
 * older than ttl is never returned, whatever happened meanwhile. */
static void test_revoked_token_expires_after_ttl(void **state)
{
    (void)state;
    token_cache *c = token_cache_new(20);
    db_token a = make_token(7, "苏01"), out;
    token_cache_put(c, HASH_A, &a);
    sleep_ms(40); /* more than the ttl, however slow the machine */
    assert_false(token_cache_get(c, HASH_A, &out));
    token_cache_free(c);
}

static void test_same_bucket_replaces(void **state)
{
    (void)state;
    token_cache *c = token_cache_new(60000);
    db_token a = make_token(7, "苏01"), a2 = make_token(8, "粤07"), out;
    token_cache_put(c, HASH_A, &a);
    token_cache_put(c, HASH_A2, &a2);
    assert_false(token_cache_get(c, HASH_A, &out)); /* never another token's row */
    assert_true(token_cache_get(c, HASH_A2, &out));
    assert_int_equal(out.id, 8);
    token_cache_free(c);
}

static void test_ttl_zero_and_null_cache_nothing(void **state)
{
    (void)state;
    token_cache *c = token_cache_new(0);
    db_token a = make_token(7, "苏01"), out;
    token_cache_put(c, HASH_A, &a);
    assert_false(token_cache_get(c, HASH_A, &out));
    token_cache_free(c);
    token_cache_put(NULL, HASH_A, &a);
    assert_false(token_cache_get(NULL, HASH_A, &out));
    token_cache_free(NULL);
}

static void test_malformed_hash_is_a_miss(void **state)
{
    (void)state;
    token_cache *c = token_cache_new(60000);
    db_token a = make_token(7, "苏01"), out;
    token_cache_put(c, "0123", &a);
    assert_false(token_cache_get(c, "0123", &out));
    token_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_returns_the_row_put),
        cmocka_unit_test(test_revoked_token_expires_after_ttl),
        cmocka_unit_test(test_same_bucket_replaces),
        cmocka_unit_test(test_ttl_zero_and_null_cache_nothing),
        cmocka_unit_test(test_malformed_hash_is_a_miss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
