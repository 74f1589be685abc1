/* Unit tests for host/dates.c: calendar dates and Beijing-time timestamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dates.h"

static cr_date ymd(int y, int m, int d)
{
    cr_date r = {y, m, d};
    return r;
}

static void assert_date(cr_date got, int y, int m, int d)
{
    if (got.y != y || got.m != m || got.d != d)
        print_error("got %04d-%02d-%02d, want %04d-%02d-%02d\n", got.y, got.m, got.d, y, m, d);
    assert_int_equal(got.y, y);
    assert_int_equal(got.m, m);
    assert_int_equal(got.d, d);
}

static void check_parse_ok(const char *s, int y, int m, int d)
{
    cr_date out;
    char why[128] = "";
    int rc = date_parse(s, &out, why, sizeof why);
    if (rc != 0)
        print_error("date_parse(\"%s\"): %s\n", s, why);
    assert_int_equal(rc, 0);
    assert_date(out, y, m, d);
}

static void check_parse_bad(const char *s, const char *want)
{
    cr_date out = {-1, -1, -1};
    char why[128] = "";
    int rc = date_parse(s, &out, why, sizeof why);
    if (rc == 0 || !strstr(why, want))
        print_error("date_parse(\"%s\"): rc %d, why \"%s\", wanted \"%s\"\n", s ? s : "(null)", rc,
                    why, want);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(why, want));
    assert_int_equal(out.y, -1);
    assert_int_equal(date_parse(s, NULL, NULL, 0), -1); /* why may be NULL */
}

static void test_parse_valid(void **state)
{
    (void)state;
    check_parse_ok("2024-03-01", 2024, 3, 1);
    check_parse_ok("1900-01-01", 1900, 1, 1);
    check_parse_ok("2199-12-31", 2199, 12, 31);
    check_parse_ok("2024-12-31", 2024, 12, 31);
    check_parse_ok("2024-04-30", 2024, 4, 30);
}

static void test_parse_leap_days(void **state)
{
    (void)state;
    check_parse_ok("2024-02-29", 2024, 2, 29);
    check_parse_ok("2000-02-29", 2000, 2, 29);
    check_parse_bad("2023-02-29", "2023-02-29 does not exist (2023-02 has 28 days)");
    check_parse_bad("2024-02-30", "2024-02-30 does not exist (2024-02 has 29 days)");
    check_parse_bad("1900-02-29", "does not exist");
    check_parse_bad("2100-02-29", "does not exist");
    check_parse_bad("2024-04-31", "does not exist");
    check_parse_bad("2024-01-00", "does not exist");
}

static void test_parse_malformed(void **state)
{
    (void)state;
    check_parse_bad("", "empty date");
    check_parse_bad(NULL, "empty date");
    check_parse_bad(" 2024-01-01", "not a date of the form YYYY-MM-DD");
    check_parse_bad("2024-01-01 ", "unexpected \" \" after date 2024-01-01");
    check_parse_bad("2024-01-01T00:00", "unexpected \"T00:00\"");
    check_parse_bad("2024-1-01", "not a date");
    check_parse_bad("2024-01-1", "not a date");
    check_parse_bad("2024/01/01", "not a date");
    check_parse_bad("20240101", "not a date");
    check_parse_bad("2024-01", "not a date");
    check_parse_bad("24-01-01", "not a date");
    check_parse_bad("+2024-01-01", "not a date");
    check_parse_bad("２０２４-01-01", "not a date");
    check_parse_bad("2024-13-01", "month 13 outside 01..12");
    check_parse_bad("2024-00-10", "month 00 outside");
    check_parse_bad("1899-12-31", "year 1899 outside 1900..2199");
    check_parse_bad("2200-01-01", "year 2200 outside");
}

static void test_leap_and_month_lengths(void **state)
{
    (void)state;
    assert_true(date_is_leap(2024));
    assert_true(date_is_leap(2000));
    assert_false(date_is_leap(2023));
    assert_false(date_is_leap(1900));
    assert_false(date_is_leap(2100));
    assert_int_equal(date_days_in_month(2024, 2), 29);
    assert_int_equal(date_days_in_month(2023, 2), 28);
    assert_int_equal(date_days_in_month(2024, 1), 31);
    assert_int_equal(date_days_in_month(2024, 4), 30);
    assert_int_equal(date_days_in_month(2024, 12), 31);
    assert_int_equal(date_days_in_month(2024, 0), 0);
    assert_int_equal(date_days_in_month(2024, 13), 0);
}

static void test_known_day_numbers(void **state)
{
    (void)state;
    assert_int_equal(date_to_days(ymd(1970, 1, 1)), 0);
    assert_int_equal(date_to_days(ymd(1969, 12, 31)), -1);
    assert_int_equal(date_to_days(ymd(1900, 1, 1)), -25567);
    assert_int_equal(date_to_days(ymd(2000, 3, 1)), 11017);
    assert_int_equal(date_to_days(ymd(2024, 2, 29)), 19782);
    assert_int_equal(date_to_days(ymd(2199, 12, 31)), 84005);
    assert_date(date_from_days(0), 1970, 1, 1);
    assert_date(date_from_days(-1), 1969, 12, 31);
    assert_date(date_from_days(19782), 2024, 2, 29);
    assert_date(date_from_days(-25567), 1900, 1, 1);
}

/* Every day of 1900..2199 maps to a number one past the previous day's, and
 * back; far outside that range the round trip still holds. */
static void test_day_round_trips(void **state)
{
    (void)state;
    cr_date d = ymd(1900, 1, 1);
    int32_t n = date_to_days(d);
    while (d.y <= 2199) {
        assert_int_equal(date_to_days(d), n);
        cr_date back = date_from_days(n);
        assert_date(back, d.y, d.m, d.d);
        assert_int_equal(date_to_days(date_add_days(d, 1)), n + 1);
        /* The next calendar day, computed by hand. */
        if (d.d < date_days_in_month(d.y, d.m))
            d.d++;
        else if (d.m < 12)
            d.m++, d.d = 1;
        else
            d.y++, d.m = 1, d.d = 1;
        n++;
    }
    assert_int_equal(n, 84006);
    for (int32_t k = -3000000; k <= 3000000; k += 997) {
        cr_date x = date_from_days(k);
        assert_true(x.m >= 1 && x.m <= 12);
        assert_true(x.d >= 1 && x.d <= date_days_in_month(x.y, x.m));
        assert_int_equal(date_to_days(x), k);
    }
}

static void test_add_months_clamps_to_month_end(void **state)
{
    (void)state;
    assert_date(date_add_months(ymd(2024, 8, 31), 6), 2025, 2, 28);
    assert_date(date_add_months(ymd(2023, 8, 31), 6), 2024, 2, 29);
    assert_date(date_add_months(ymd(2024, 1, 31), 1), 2024, 2, 29);
    assert_date(date_add_months(ymd(2023, 1, 31), 1), 2023, 2, 28);
    assert_date(date_add_months(ymd(2024, 3, 31), 1), 2024, 4, 30);
    assert_date(date_add_months(ymd(2024, 1, 15), 0), 2024, 1, 15);
    assert_date(date_add_months(ymd(2024, 12, 15), 1), 2025, 1, 15);
    assert_date(date_add_months(ymd(2024, 11, 30), 3), 2025, 2, 28);
    assert_date(date_add_months(ymd(2024, 2, 29), 12), 2025, 2, 28);
    assert_date(date_add_months(ymd(2024, 2, 29), 48), 2028, 2, 29);
    assert_date(date_add_months(ymd(2024, 3, 31), -1), 2024, 2, 29);
    assert_date(date_add_months(ymd(2024, 1, 31), -2), 2023, 11, 30);
    assert_date(date_add_months(ymd(2024, 1, 10), -12), 2023, 1, 10);
    assert_date(date_add_months(ymd(2024, 1, 10), -13), 2022, 12, 10);
    assert_date(date_add_months(ymd(1900, 1, 31), 12 * 300 - 1), 2199, 12, 31);
}

static void test_add_days(void **state)
{
    (void)state;
    assert_date(date_add_days(ymd(2024, 2, 28), 1), 2024, 2, 29);
    assert_date(date_add_days(ymd(2023, 2, 28), 1), 2023, 3, 1);
    assert_date(date_add_days(ymd(2024, 12, 31), 1), 2025, 1, 1);
    assert_date(date_add_days(ymd(1970, 1, 1), -1), 1969, 12, 31);
    assert_date(date_add_days(ymd(2024, 1, 1), 366), 2025, 1, 1);
    assert_date(date_add_days(ymd(2024, 3, 1), -1), 2024, 2, 29);
    assert_date(date_add_days(ymd(2024, 5, 20), 0), 2024, 5, 20);
}

static void test_weekday(void **state)
{
    (void)state;
    assert_int_equal(date_weekday(ymd(1970, 1, 1)), 4);   /* Thursday */
    assert_int_equal(date_weekday(ymd(1969, 12, 29)), 1); /* Monday, before day 0 */
    assert_int_equal(date_weekday(ymd(1900, 1, 1)), 1);
    assert_int_equal(date_weekday(ymd(1949, 10, 1)), 6);
    assert_int_equal(date_weekday(ymd(2000, 1, 1)), 6);
    assert_int_equal(date_weekday(ymd(2016, 1, 1)), 5);
    assert_int_equal(date_weekday(ymd(2024, 1, 1)), 1);
    assert_int_equal(date_weekday(ymd(2024, 2, 29)), 4);
    assert_int_equal(date_weekday(ymd(2024, 10, 6)), 7); /* Sunday */
    assert_int_equal(date_weekday(ymd(2199, 12, 31)), 2);
    for (cr_date d = ymd(1900, 1, 1); d.y < 1901; d = date_add_days(d, 1))
        assert_int_equal(date_weekday(date_add_days(d, 1)), date_weekday(d) % 7 + 1);
}

static void test_format(void **state)
{
    (void)state;
    char out[11];
    date_format(ymd(2024, 3, 1), out);
    assert_string_equal(out, "2024-03-01");
    date_format(ymd(1900, 12, 31), out);
    assert_string_equal(out, "1900-12-31");
    date_format(ymd(9, 10, 5), out);
    assert_string_equal(out, "0009-10-05");
    date_format(ymd(9999, 1, 31), out);
    assert_string_equal(out, "9999-01-31");
    /* every day of four centuries, against the printf form */
    for (cr_date d = ymd(1800, 1, 1); d.y < 2200; d = date_add_days(d, 1)) {
        char want[11];
        snprintf(want, sizeof want, "%04d-%02d-%02d", d.y, d.m, d.d);
        date_format(d, out);
        assert_string_equal(out, want);
    }
}

static void test_today_shanghai(void **state)
{
    (void)state;
    /* Sample the clock on both sides, in case midnight passes in between. */
    time_t before = time(NULL);
    cr_date today = date_today_shanghai();
    time_t after = time(NULL);
    int32_t got = date_to_days(today);
    int32_t lo = (int32_t)((before + 8 * 3600) / 86400);
    int32_t hi = (int32_t)((after + 8 * 3600) / 86400);
    assert_true(got == lo || got == hi);
    assert_true(today.y >= 2024 && today.y <= 2199);
}

static void check_dt(const char *s, const char *want_norm)
{
    char norm[26];
    cr_date d;
    char why[128] = "";
    int rc = datetime_parse(s, norm, &d, why, sizeof why);
    if (rc != 0)
        print_error("datetime_parse(\"%s\"): %s\n", s, why);
    assert_int_equal(rc, 0);
    assert_string_equal(norm, want_norm);
    char date_text[11];
    date_format(d, date_text);
    assert_memory_equal(date_text, want_norm, 10);
}

static void check_dt_bad(const char *s, const char *want)
{
    char norm[26] = "untouched";
    char why[128] = "";
    int rc = datetime_parse(s, norm, NULL, why, sizeof why);
    if (rc == 0 || !strstr(why, want))
        print_error("datetime_parse(\"%s\"): rc %d, why \"%s\", wanted \"%s\"\n", s ? s : "(null)",
                    rc, why, want);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(why, want));
    assert_string_equal(norm, "untouched");
}

static void test_datetime_forms(void **state)
{
    (void)state;
    check_dt("2024-03-01", "2024-03-01T00:00:00+08:00");
    check_dt("2024-03-01T09:30", "2024-03-01T09:30:00+08:00");
    check_dt("2024-03-01T09:30:15", "2024-03-01T09:30:15+08:00");
    check_dt("2024-03-01T09:30:15+08:00", "2024-03-01T09:30:15+08:00");
    check_dt("2024-03-01T23:59:59", "2024-03-01T23:59:59+08:00");
    check_dt("2024-03-01Z", "2024-03-01T08:00:00+08:00");
}

/* Every second-of-day pattern on a few days: the normalized text is the
 * input given in Beijing time. */
static void test_datetime_normal_form_by_hand(void **state)
{
    (void)state;
    const char *days[] = {"1900-01-01", "2024-02-29", "2199-12-31"};
    for (size_t d = 0; d < 3; d++)
        for (int t = 0; t < 86400; t += 7) {
            char in[32];
            snprintf(in, sizeof in, "%sT%02d:%02d:%02d+08:00", days[d], t / 3600, t / 60 % 60,
                     t % 60);
            check_dt(in, in);
        }
}

static void test_datetime_offsets_move_the_date(void **state)
{
    (void)state;
    check_dt("2024-03-01T20:00:00Z", "2024-03-02T04:00:00+08:00");
    check_dt("2024-03-01T15:59:59Z", "2024-03-01T23:59:59+08:00");
    check_dt("2024-03-01T16:00Z", "2024-03-02T00:00:00+08:00");
    check_dt("2024-03-01T01:00:00+10:00", "2024-02-29T23:00:00+08:00");
    check_dt("2024-12-31T23:00:00-05:00", "2025-01-01T12:00:00+08:00");
    check_dt("2023-12-31T16:00:00Z", "2024-01-01T00:00:00+08:00");
    check_dt("2024-03-01T00:00:00-00:00", "2024-03-01T08:00:00+08:00");
    check_dt("2024-03-01T12:00:00+05:45", "2024-03-01T14:15:00+08:00");
    check_dt("2024-03-01T12:00:00+14:00", "2024-03-01T06:00:00+08:00");
    check_dt("2024-03-01T12:00:00-14:00", "2024-03-02T10:00:00+08:00");
    check_dt("1900-01-01T00:00:00Z", "1900-01-01T08:00:00+08:00");
    check_dt("1900-01-01T01:00:00+09:00", "1900-01-01T00:00:00+08:00");
    check_dt("2199-12-31T15:59:59Z", "2199-12-31T23:59:59+08:00");
}

static void test_datetime_rejects(void **state)
{
    (void)state;
    check_dt_bad("", "empty timestamp");
    check_dt_bad(NULL, "empty timestamp");
    check_dt_bad("2024-02-30T10:00", "does not exist");
    check_dt_bad("2024-03-01T24:00", "hour 24 outside 00..23");
    check_dt_bad("2024-03-01T23:60", "minute 60 outside 00..59");
    check_dt_bad("2024-03-01T23:59:60", "second 60 outside 00..59");
    check_dt_bad("2024-03-01T23:59:60Z", "second 60");
    check_dt_bad("2024-03-01T10", "bad time");
    check_dt_bad("2024-03-01T1:00", "bad time");
    check_dt_bad("2024-03-01T10:0", "bad time");
    check_dt_bad("2024-03-01T", "bad time");
    check_dt_bad("2024-03-01T10:00:5", "bad seconds");
    check_dt_bad("2024-03-01T10:00:00.5", "fractional seconds");
    check_dt_bad("2024-03-01 10:00", "uppercase T");
    check_dt_bad("2024-03-01t10:00", "uppercase T");
    check_dt_bad("2024-03-01T10:00+0800", "bad UTC offset");
    check_dt_bad("2024-03-01T10:00+8:00", "bad UTC offset");
    check_dt_bad("2024-03-01T10:00 +08:00", "bad UTC offset");
    check_dt_bad("2024-03-01T10:00z", "bad UTC offset");
    check_dt_bad("2024-03-01T10:00+08:60", "outside -14:00..+14:00");
    check_dt_bad("2024-03-01T10:00+14:01", "outside -14:00..+14:00");
    check_dt_bad("2024-03-01T10:00-15:00", "outside -14:00..+14:00");
    check_dt_bad("2024-03-01T10:00Z ", "unexpected \" \" at the end");
    check_dt_bad("2024-03-01T10:00+08:00Z", "unexpected \"Z\"");
    check_dt_bad("1900-01-01T00:59:59+09:00", "outside 1900..2199 in Beijing time");
    check_dt_bad("1900-01-01T00:00:00+09:00", "outside 1900..2199");
    check_dt_bad("2199-12-31T16:00:00Z", "outside 1900..2199");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_leap_days),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_leap_and_month_lengths),
        cmocka_unit_test(test_known_day_numbers),
        cmocka_unit_test(test_day_round_trips),
        cmocka_unit_test(test_add_months_clamps_to_month_end),
        cmocka_unit_test(test_add_days),
        cmocka_unit_test(test_weekday),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_today_shanghai),
        cmocka_unit_test(test_datetime_forms),
        cmocka_unit_test(test_datetime_normal_form_by_hand),
        cmocka_unit_test(test_datetime_offsets_move_the_date),
        cmocka_unit_test(test_datetime_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
