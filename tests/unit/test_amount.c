/* Unit tests for host/amount.c: exact yuan amounts in fen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "amount.h"

static void check_ok(const char *s, int64_t want)
{
    int64_t fen = -1;
    char why[128] = "";
    int rc = amount_parse(s, &fen, why, sizeof why);
    if (rc != 0 || fen != want)
        print_error("amount_parse(\"%s\"): rc %d (%s), fen %" PRId64 ", want %" PRId64 "\n", s, rc,
                    why, fen, want);
    assert_int_equal(rc, 0);
    assert_true(fen == want);
}

static void check_bad(const char *s, const char *want)
{
    int64_t fen = -1;
    char why[128] = "";
    int rc = amount_parse(s, &fen, why, sizeof why);
    if (rc == 0 || !strstr(why, want))
        print_error("amount_parse(\"%s\"): rc %d, why \"%s\", wanted \"%s\"\n", s ? s : "(null)",
                    rc, why, want);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(why, want));
    assert_true(fen == -1);
    assert_int_equal(amount_parse(s, NULL, NULL, 0), -1);
}

static void test_parse_valid(void **state)
{
    (void)state;
    check_ok("0", 0);
    check_ok("0.00", 0);
    check_ok("12345", 1234500);
    check_ok("12345.6", 1234560);
    check_ok("12345.67", 1234567);
    check_ok("0.01", 1);
    check_ok("0.1", 10);
    check_ok("0.10", 10);
    check_ok("1.05", 105);
    check_ok("007.50", 750);
    check_ok("0000000000000000000000001", 100);
}

static void test_parse_boundaries(void **state)
{
    (void)state;
    check_ok("1000000000000000", AMOUNT_MAX_FEN);
    check_ok("1000000000000000.00", AMOUNT_MAX_FEN);
    check_ok("1000000000000000.0", AMOUNT_MAX_FEN);
    check_ok("999999999999999.99", AMOUNT_MAX_FEN - 1);
    check_bad("1000000000000000.01", "exceeds 1000000000000000 yuan");
    check_bad("1000000000000001", "exceeds");
    check_bad("9223372036854775807", "exceeds");
    check_bad("92233720368547758.08", "exceeds");
    check_bad("99999999999999999999999999999999999999", "exceeds");
}

static void test_parse_reasons(void **state)
{
    (void)state;
    check_bad("", "empty amount");
    check_bad(NULL, "empty amount");
    check_bad("-1", "negative amounts are not allowed");
    check_bad("-0.01", "negative amounts are not allowed");
    check_bad("-0", "negative amounts are not allowed");
    check_bad("1.234", "more than two decimals");
    check_bad("0.001", "more than two decimals");
    check_bad("1.2345678901234567890", "more than two decimals");
    check_bad("abc", "not a decimal number");
    check_bad("+1", "not a decimal number: no sign");
    check_bad("1e5", "not a decimal number: no exponents");
    check_bad("1E5", "no exponents");
    check_bad("1,000", "not a decimal number: no thousands separators");
    check_bad("1,000.00", "no thousands separators");
    check_bad(" 1", "no spaces");
    check_bad("1 ", "no spaces");
    check_bad("1. 5", "no digits after '.'");
    check_bad(".5", "no digits before '.'");
    check_bad("5.", "no digits after '.'");
    check_bad("1.2.3", "not a decimal number");
    check_bad("1.23a", "not a decimal number");
    check_bad("1.234a", "not a decimal number");
    check_bad("0x10", "not a decimal number");
    check_bad("NaN", "not a decimal number");
    check_bad("inf", "not a decimal number");
    check_bad("１２", "not a decimal number");
    check_bad("12元", "not a decimal number");
    check_bad("¥12", "not a decimal number");
}

static void check_format(int64_t fen, const char *want)
{
    char out[32];
    amount_format(fen, out);
    assert_string_equal(out, want);
}

static void test_format(void **state)
{
    (void)state;
    check_format(0, "0.00");
    check_format(1, "0.01");
    check_format(10, "0.10");
    check_format(100, "1.00");
    check_format(1234567, "12345.67");
    check_format(AMOUNT_MAX_FEN, "1000000000000000.00");
    check_format(-1, "-0.01");
    check_format(-123456, "-1234.56");
    check_format(INT64_MAX, "92233720368547758.07");
    check_format(INT64_MIN, "-92233720368547758.08");
    /* the same text as printf's "%s%llu.%02u", across magnitudes and signs */
    for (uint64_t u = 1; u < UINT64_MAX / 7; u = u * 7 + 3) {
        for (int sign = -1; sign <= 1; sign += 2) {
            int64_t fen = sign * (int64_t)u;
            uint64_t mag = (uint64_t)u;
            char want[40];
            snprintf(want, sizeof want, "%s%" PRIu64 ".%02u", sign < 0 ? "-" : "", mag / 100,
                     (unsigned)(mag % 100));
            check_format(fen, want);
        }
    }
}

/* format then parse returns the same fen, across the whole valid range. */
static void test_round_trip(void **state)
{
    (void)state;
    for (int64_t fen = 0; fen <= 100000; fen++) {
        char out[32];
        int64_t back = -1;
        amount_format(fen, out);
        assert_int_equal(amount_parse(out, &back, NULL, 0), 0);
        assert_true(back == fen);
    }
    for (int64_t fen = AMOUNT_MAX_FEN; fen > 0; fen = fen / 3 - 1) {
        char out[32];
        int64_t back = -1;
        amount_format(fen, out);
        assert_int_equal(amount_parse(out, &back, NULL, 0), 0);
        assert_true(back == fen);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),   cmocka_unit_test(test_parse_boundaries),
        cmocka_unit_test(test_parse_reasons), cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
