/* Unit tests for host/token.c: generation, hashing, roles, court scopes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "token.h"

static void test_generate_is_well_formed_and_fresh(void **state)
{
    (void)state;
    char a[TOKEN_TEXT_LEN + 1], b[TOKEN_TEXT_LEN + 1];
    cr_err err;
    assert_int_equal(token_generate(a, &err), CR_OK);
    assert_int_equal(token_generate(b, &err), CR_OK);
    assert_int_equal(strlen(a), TOKEN_TEXT_LEN);
    assert_true(token_well_formed(a));
    assert_string_not_equal(a, b);
}

static void test_well_formed(void **state)
{
    (void)state;
    assert_false(token_well_formed(NULL));
    assert_false(token_well_formed(""));
    assert_false(token_well_formed("crt_"));
    assert_false(token_well_formed("crt_00000000000000000000000000000000000000000000000000000000000000")); /* 62 */
    assert_false(token_well_formed("crt_000000000000000000000000000000000000000000000000000000000000000G"));
    assert_false(token_well_formed("crt_000000000000000000000000000000000000000000000000000000000000000A"));
    assert_false(token_well_formed("xyz_0000000000000000000000000000000000000000000000000000000000000000"));
    assert_true(token_well_formed("crt_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
}

static void test_hash_is_sha256_hex(void **state)
{
    (void)state;
    char h[65];
    token_hash("abc", h); /* FIPS 180-2 test vector */
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    token_hash("", h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_roles(void **state)
{
    (void)state;
    assert_int_equal(token_role_perms("reader"), TOKEN_READ);
    assert_int_equal(token_role_perms("filer"), TOKEN_READ | TOKEN_FILE);
    assert_int_equal(token_role_perms("operator"), TOKEN_READ | TOKEN_OPERATE);
    assert_int_equal(token_role_perms("admin"), TOKEN_READ | TOKEN_FILE | TOKEN_OPERATE | TOKEN_ADMIN);
    assert_int_equal(token_role_perms("root"), 0);
    assert_int_equal(token_role_perms(""), 0);
    assert_int_equal(token_role_perms(NULL), 0);
    assert_false(token_role_perms("filer") & TOKEN_OPERATE);
    assert_false(token_role_perms("operator") & TOKEN_FILE);
}

static void test_covers(void **state)
{
    (void)state;
    assert_true(token_covers("*", "粤0703"));
    assert_true(token_covers("*", "最高法"));
    assert_true(token_covers("粤07", "粤07"));
    assert_true(token_covers("粤07", "粤0703"));
    assert_false(token_covers("粤07", "粤08"));
    assert_false(token_covers("粤07", "粤0803"));
    assert_false(token_covers("粤07", "粤"));   /* the high court is wider */
    assert_false(token_covers("粤07", "苏07"));
    assert_false(token_covers("粤07", ""));
    assert_false(token_covers("粤07", NULL));
    assert_true(token_covers("*", NULL)); /* "*" covers every court, even an unnamed one */
}

static void test_scope_within(void **state)
{
    (void)state;
    assert_true(token_scope_within("粤0703", "粤07"));
    assert_true(token_scope_within("粤07", "粤07"));
    assert_true(token_scope_within("粤08", "*"));
    assert_true(token_scope_within("*", "*"));
    assert_false(token_scope_within("粤", "粤07")); /* a wider filter would see 粤08 */
    assert_false(token_scope_within("粤08", "粤07"));
    assert_false(token_scope_within("*", "粤07"));
}

static void test_scope_check(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(token_scope_check("*", why, sizeof why), 0);
    assert_int_equal(token_scope_check("粤07", why, sizeof why), 0);
    assert_int_equal(token_scope_check("粤0703", why, sizeof why), 0);
    assert_int_equal(token_scope_check("最高法", why, sizeof why), 0);
    assert_int_equal(token_scope_check("", why, sizeof why), -1);
    assert_int_equal(token_scope_check(NULL, why, sizeof why), -1);
    assert_int_equal(token_scope_check("粤0", why, sizeof why), -1); /* not a court code */
    assert_int_equal(token_scope_check("XX", why, sizeof why), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_is_well_formed_and_fresh),
        cmocka_unit_test(test_well_formed),
        cmocka_unit_test(test_hash_is_sha256_hex),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_covers),
        cmocka_unit_test(test_scope_within),
        cmocka_unit_test(test_scope_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
