/* Unit tests for host/token_cache.c: hits, expiry, buckets, disabled, and
 * that entries are keyed by the token under a key of the cache's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "token_cache.h"

#define TOKEN_A "crt_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define TOKEN_B "crt_fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

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

/* The n-th of a family of well-formed tokens. */
static void nth_token(unsigned n, char out[69])
{
    snprintf(out, 69, "crt_%064x", n);
}

static void test_hit_returns_the_row_put(void **state)
{
    (void)state;
    token_cache *c = token_cache_new(60000);
    db_token a = make_token(1, "粤07"), b = make_token(2, "粤08"), out;
    assert_false(token_cache_get(c, TOKEN_A, &out));
    token_cache_put(c, TOKEN_A, &a);
    if (token_cache_bucket(c, TOKEN_A) != token_cache_bucket(c, TOKEN_B))
        token_cache_put(c, TOKEN_B, &b);
    assert_true(token_cache_get(c, TOKEN_A, &out));
    assert_int_equal(out.id, 1);
    assert_string_equal(out.court, "粤07");
    token_cache_free(c);
}

static void test_revoked_token_expires_after_ttl(void **state)
{
    (void)state;
    token_cache *c = token_cache_new(20);
    db_token a = make_token(1, "粤07"), out;
    token_cache_put(c, TOKEN_A, &a);
    sleep_ms(40);
    assert_false(token_cache_get(c, TOKEN_A, &out));
    token_cache_free(c);
}

/* Two tokens in one bucket: the newer replaces the older, and the older
 * never gets the newer's row. */
static void test_same_bucket_replaces(void **state)
{
    (void)state;
    token_cache *c = token_cache_new(60000);
    char first[69], other[69];
    size_t seen[512];
    unsigned n, found = 0;
    for (n = 0; n < 512 && !found; n++) {
        nth_token(n, other);
        seen[n] = token_cache_bucket(c, other);
        for (unsigned k = 0; k < n; k++)
            if (seen[k] == seen[n]) {
                nth_token(k, first);
                found = 1;
                break;
            }
    }
    assert_true(found); /* 513 tokens, 512 buckets: two must share one */
    db_token a = make_token(1, "粤07"), a2 = make_token(2, "粤08"), out;
    token_cache_put(c, first, &a);
    token_cache_put(c, other, &a2);
    assert_false(token_cache_get(c, first, &out)); /* never another token's row */
    assert_true(token_cache_get(c, other, &out));
    assert_int_equal(out.id, 2);
    token_cache_free(c);
}

/* Each cache has its own key: the same token lands in unrelated buckets
 * (64 tokens all in the same buckets in two caches would be a fixed key). */
static void test_key_is_the_cache_s_own(void **state)
{
    (void)state;
    token_cache *c1 = token_cache_new(60000), *c2 = token_cache_new(60000);
    int differ = 0;
    char t[69];
    for (unsigned n = 0; n < 64; n++) {
        nth_token(n, t);
        differ |= token_cache_bucket(c1, t) != token_cache_bucket(c2, t);
    }
    assert_true(differ);
    token_cache_free(c1);
    token_cache_free(c2);
}

static void test_ttl_zero_and_null_cache_nothing(void **state)
{
    (void)state;
    token_cache *c = token_cache_new(0);
    db_token a = make_token(1, "粤07"), out;
    token_cache_put(c, TOKEN_A, &a);
    assert_false(token_cache_get(c, TOKEN_A, &out));
    token_cache_free(c);
    token_cache_put(NULL, TOKEN_A, &a);
    assert_false(token_cache_get(NULL, TOKEN_A, &out));
}

/* Only a token's length is cached: a prefix of a cached token is a miss. */
static void test_malformed_token_is_a_miss(void **state)
{
    (void)state;
    token_cache *c = token_cache_new(60000);
    db_token a = make_token(1, "粤07"), out;
    token_cache_put(c, "crt_0123", &a);
    assert_false(token_cache_get(c, "crt_0123", &out));
    token_cache_put(c, TOKEN_A, &a);
    char prefix[] = TOKEN_A;
    prefix[60] = 0;
    assert_false(token_cache_get(c, prefix, &out));
    token_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_returns_the_row_put),
        cmocka_unit_test(test_revoked_token_expires_after_ttl),
        cmocka_unit_test(test_same_bucket_replaces),
        cmocka_unit_test(test_key_is_the_cache_s_own),
        cmocka_unit_test(test_ttl_zero_and_null_cache_nothing),
        cmocka_unit_test(test_malformed_token_is_a_miss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
