/*
 * test_calendar.c -- host/calendar.c against data/calendar/cn.json (the 2026
 * Spring Festival, National Day 2025), strict validation of calendar files,
 * and host/periods.c: 审限 day counting that leaves out excluded periods.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "periods.h"

static const char *source_dir(void)
{
    const char *dir = getenv("COURTRULES_SOURCE_DIR");
    if (dir && *dir)
        return dir;
#ifdef COURTRULES_SOURCE_DIR
    return COURTRULES_SOURCE_DIR;
#else
    return ".";
#endif
}

static cr_date D(const char *s)
{
    cr_date d;
    char why[128];
    if (date_parse(s, &d, why, sizeof why) != 0) {
        print_error("bad date in test: %s: %s\n", s, why);
        fail();
    }
    return d;
}

static void assert_date_is(cr_date got, const char *want)
{
    char text[11];
    date_format(got, text);
    if (strcmp(text, want) != 0) {
        print_error("got %s, want %s\n", text, want);
        fail();
    }
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle)) {
        print_error("expected \"%s\" in \"%s\"\n", needle, haystack);
        fail();
    }
}

static int setup_calendar(void **state)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data/calendar/cn.json", source_dir());
    cr_err err = {{0}};
    calendar *cal = NULL;
    if (calendar_load(path, &cal, &err) != CR_OK) {
        print_error("calendar_load: %s\n", err.msg);
        return -1;
    }
    *state = cal;
    return 0;
}

static int teardown_calendar(void **state)
{
    calendar_free(*state);
    return 0;
}

static void assert_workday(const calendar *cal, const char *date, int want)
{
    int known = -1;
    int got = calendar_is_workday(cal, D(date), &known);
    if (got != want || known != 1)
        print_error("%s: workday %d (known %d), want %d\n", date, got, known, want);
    assert_int_equal(got, want);
    assert_int_equal(known, 1);
}

/* ---- the shipped calendar ---- */

static void test_shipped_calendar_covers_2024_to_2026(void **state)
{
    const calendar *cal = *state;
    assert_false(calendar_has_year(cal, 2023));
    assert_true(calendar_has_year(cal, 2024));
    assert_true(calendar_has_year(cal, 2025));
    assert_true(calendar_has_year(cal, 2026));
    assert_false(calendar_has_year(cal, 2027));
    assert_contains(calendar_source(cal, 2026), "国务院办公厅");
    assert_contains(calendar_source(cal, 2026), "2026年");
    assert_null(calendar_source(cal, 2027));
    /* Each year: statutory days on weekdays plus make-up days; weekday off
     * days = 11 + 8 (2024), 13 + 5 (2025), 13 + 6 (2026). */
    const int want_weekday_off[] = {19, 18, 19}, want_weekend_work[] = {8, 5, 6};
    for (int y = 2024; y <= 2026; y++) {
        int off = 0, weekend_work = 0;
        for (int32_t day = date_to_days((cr_date){y, 1, 1});
             day <= date_to_days((cr_date){y, 12, 31}); day++) {
            cr_date d = date_from_days(day);
            int work = calendar_is_workday(cal, d, NULL);
            off += !work && date_weekday(d) <= 5;
            weekend_work += work && date_weekday(d) >= 6;
        }
        assert_int_equal(off, want_weekday_off[y - 2024]);
        assert_int_equal(weekend_work, want_weekend_work[y - 2024]);
    }
}

static void test_spring_festival_2026(void **state)
{
    const calendar *cal = *state;
    const char *off[] = {"2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
                         "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23"};
    for (size_t i = 0; i < sizeof off / sizeof *off; i++)
        assert_workday(cal, off[i], 0);
    assert_workday(cal, "2026-02-13", 1); /* Friday before */
    assert_workday(cal, "2026-02-14", 1); /* Saturday, 调休上班 */
    assert_workday(cal, "2026-02-24", 1); /* Tuesday after */
    assert_workday(cal, "2026-02-28", 1); /* Saturday, 调休上班 */
    assert_workday(cal, "2026-03-01", 0); /* an ordinary Sunday */
    assert_workday(cal, "2026-02-07", 0); /* an ordinary Saturday */
}

static void test_national_day_2025(void **state)
{
    const calendar *cal = *state;
    for (int d = 1; d <= 8; d++) {
        char date[11];
        snprintf(date, sizeof date, "2025-10-%02d", d);
        assert_workday(cal, date, 0);
    }
    assert_workday(cal, "2025-09-27", 0); /* Saturday */
    assert_workday(cal, "2025-09-28", 1); /* Sunday, 调休上班 */
    assert_workday(cal, "2025-09-30", 1);
    assert_workday(cal, "2025-10-09", 1);
    assert_workday(cal, "2025-10-11", 1); /* Saturday, 调休上班 */
    assert_workday(cal, "2025-10-12", 0); /* Sunday */
}

static void test_add_workdays_across_holidays(void **state)
{
    const calendar *cal = *state;
    assert_date_is(calendar_add_workdays(cal, D("2026-02-13"), 0), "2026-02-13");
    assert_date_is(calendar_add_workdays(cal, D("2026-02-15"), 0), "2026-02-15");
    assert_date_is(calendar_add_workdays(cal, D("2026-02-13"), 1), "2026-02-14");
    assert_date_is(calendar_add_workdays(cal, D("2026-02-13"), 2), "2026-02-24");
    assert_date_is(calendar_add_workdays(cal, D("2026-02-12"), 3), "2026-02-24");
    assert_date_is(calendar_add_workdays(cal, D("2026-02-24"), 4), "2026-02-28");
    assert_date_is(calendar_add_workdays(cal, D("2026-02-24"), 5), "2026-03-02");
    assert_date_is(calendar_add_workdays(cal, D("2026-02-24"), -1), "2026-02-14");
    assert_date_is(calendar_add_workdays(cal, D("2026-02-24"), -2), "2026-02-13");
    assert_date_is(calendar_add_workdays(cal, D("2026-02-18"), -1), "2026-02-14");
    assert_date_is(calendar_add_workdays(cal, D("2025-09-26"), 1), "2025-09-28");
    assert_date_is(calendar_add_workdays(cal, D("2025-09-30"), 1), "2025-10-09");
    assert_date_is(calendar_add_workdays(cal, D("2025-09-30"), 3), "2025-10-11");
    assert_date_is(calendar_add_workdays(cal, D("2025-10-09"), -1), "2025-09-30");
    /* 10 workdays from 2025-09-26 (Fri): 09-28, 29, 30, 10-09, 10, 11, 13, 14, 15, 16. */
    assert_date_is(calendar_add_workdays(cal, D("2025-09-26"), 10), "2025-10-16");
    /* Across a year end into a year the calendar does not list. */
    assert_date_is(calendar_add_workdays(cal, D("2026-12-31"), 1), "2027-01-01");
    assert_date_is(calendar_add_workdays(cal, D("2024-01-02"), -1), "2023-12-29");

    assert_int_equal(calendar_workdays_between(cal, D("2026-02-13"), D("2026-02-24")), 2);
    assert_int_equal(calendar_workdays_between(cal, D("2026-02-24"), D("2026-02-13")), -2);
    assert_int_equal(calendar_workdays_between(cal, D("2026-02-15"), D("2026-02-23")), 0);
    assert_int_equal(calendar_workdays_between(cal, D("2025-09-26"), D("2025-10-16")), 10);
    assert_int_equal(calendar_workdays_between(cal, D("2025-10-16"), D("2025-10-16")), 0);

    /* workdays_between is add_workdays' inverse for every workday target. */
    for (int32_t a = date_to_days(D("2026-01-25")); a <= date_to_days(D("2026-03-10")); a++)
        for (int32_t b = date_to_days(D("2026-01-25")); b <= date_to_days(D("2026-03-10")); b++) {
            cr_date da = date_from_days(a), db = date_from_days(b);
            if (!calendar_is_workday(cal, db, NULL))
                continue;
            int n = calendar_workdays_between(cal, da, db);
            assert_int_equal(date_to_days(calendar_add_workdays(cal, da, n)), b);
        }
}

static void test_next_workday_from_a_holiday(void **state)
{
    const calendar *cal = *state;
    assert_date_is(calendar_next_workday_on_or_after(cal, D("2026-02-15")), "2026-02-24");
    assert_date_is(calendar_next_workday_on_or_after(cal, D("2026-02-23")), "2026-02-24");
    assert_date_is(calendar_next_workday_on_or_after(cal, D("2025-10-01")), "2025-10-09");
    assert_date_is(calendar_next_workday_on_or_after(cal, D("2024-10-05")), "2024-10-08");
    assert_date_is(calendar_next_workday_on_or_after(cal, D("2026-01-01")), "2026-01-04");
    /* A make-up Saturday is itself a working day. */
    assert_date_is(calendar_next_workday_on_or_after(cal, D("2026-02-14")), "2026-02-14");
    assert_date_is(calendar_next_workday_on_or_after(cal, D("2026-03-01")), "2026-03-02");
    assert_date_is(calendar_next_workday_on_or_after(cal, D("2026-03-03")), "2026-03-03");
}

static void test_unknown_year_is_reported(void **state)
{
    const calendar *cal = *state;
    int known = -1;
    assert_int_equal(calendar_is_workday(cal, D("2027-01-01"), &known), 1); /* a Friday */
    assert_int_equal(known, 0);
    known = -1;
    assert_int_equal(calendar_is_workday(cal, D("2023-12-30"), &known), 0); /* a Saturday */
    assert_int_equal(known, 0);
    known = -1;
    assert_int_equal(calendar_is_workday(cal, D("2026-01-01"), &known), 0);
    assert_int_equal(known, 1);
    assert_int_equal(calendar_is_workday(cal, D("2026-01-01"), NULL), 0); /* known may be NULL */
}

static void test_no_calendar_is_monday_to_friday(void **state)
{
    (void)state;
    int known = -1;
    assert_int_equal(calendar_is_workday(NULL, D("2026-02-16"), &known), 1);
    assert_int_equal(known, 0);
    assert_int_equal(calendar_is_workday(NULL, D("2026-02-14"), &known), 0);
    assert_false(calendar_has_year(NULL, 2026));
    assert_null(calendar_source(NULL, 2026));
    assert_date_is(calendar_add_workdays(NULL, D("2026-02-13"), 1), "2026-02-16");
    assert_date_is(calendar_add_workdays(NULL, D("2026-02-16"), -1), "2026-02-13");
    assert_date_is(calendar_next_workday_on_or_after(NULL, D("2026-02-15")), "2026-02-16");
    assert_int_equal(calendar_workdays_between(NULL, D("2026-02-13"), D("2026-02-24")), 7);
    calendar_free(NULL);
}

/* ---- validation ---- */

/* Writes text to a temporary file, loads it and expects CR_INVALID with want
 * in the message, which must start with the file's path. */
static void check_invalid(const char *text, const char *want)
{
    char path[] = "/tmp/courtrules-calendar-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    static char sentinel;
    calendar *cal = (calendar *)&sentinel; /* calendar_load must reset it to NULL */
    cr_err err = {{0}};
    cr_status st = calendar_load(path, &cal, &err);
    unlink(path);
    if (st != CR_INVALID || !strstr(err.msg, want))
        print_error("calendar %s: status %d, \"%s\", want \"%s\"\n", text, st, err.msg, want);
    assert_int_equal(st, CR_INVALID);
    assert_null(cal);
    assert_contains(err.msg, want);
    assert_int_equal(strncmp(err.msg, path, strlen(path)), 0);
}

#define YEAR_2026(off, work)                                                                       \
    "{\"years\": {\"2026\": {\"source\": \"国务院办公厅\", \"off\": " off ", \"work\": " work "}}" \
    "}"

static void test_validation_names_file_and_field(void **state)
{
    (void)state;
    check_invalid("{\"years\": {}, \"note\": 1}", ": note: unknown field");
    check_invalid(YEAR_2026("[]", "[]") "x", "end of file expected");
    check_invalid("[]", "must be a JSON object");
    check_invalid("{}", "years: required");
    check_invalid("{\"years\": {}}", "years: required, an object with at least one year");
    check_invalid("{\"years\": {\"26\": {}}}", "years.26: a year must be four digits");
    check_invalid("{\"years\": {\"2300\": {}}}", "years.2300: a year must be four digits");
    check_invalid("{\"years\": {\"2026\": []}}", "years.2026: must be an object");
    check_invalid("{\"years\": {\"2026\": {\"source\": \"x\", \"off\": [], \"work\": [], "
                  "\"holidays\": []}}}",
                  "years.2026.holidays: unknown field");
    check_invalid("{\"years\": {\"2026\": {\"off\": [], \"work\": []}}}",
                  "years.2026.source: required");
    check_invalid("{\"years\": {\"2026\": {\"source\": \"\", \"off\": [], \"work\": []}}}",
                  "years.2026.source: required");
    check_invalid("{\"years\": {\"2026\": {\"source\": \"x\", \"off\": []}}}",
                  "years.2026.work: required");
    check_invalid("{\"years\": {\"2026\": {\"source\": \"x\", \"work\": []}}}",
                  "years.2026.off: required");
    check_invalid(YEAR_2026("{}", "[]"), "years.2026.off: must be an array");
    check_invalid("{\"years\": {\"2026\": {\"source\": \"x\", \"off\": [], \"work\": []},"
                  " \"2026\": {\"source\": \"y\", \"off\": [], \"work\": []}}}",
                  "duplicate object key");
}

static void test_validation_rejects_bad_dates(void **state)
{
    (void)state;
    check_invalid(YEAR_2026("[\"2026-02-30\"]", "[]"),
                  "years.2026.off[0]: 2026-02-30 does not exist");
    check_invalid(YEAR_2026("[\"2026-1-1\"]", "[]"),
                  "years.2026.off[0]: \"2026-1-1\" is not a date");
    check_invalid(YEAR_2026("[20260101]", "[]"), "years.2026.off[0]: must be a date");
    check_invalid(YEAR_2026("[\"2026-01-01\", [\"2026-02-15\", \"2026-02-31\"]]", "[]"),
                  "years.2026.off[1][1]: 2026-02-31 does not exist");
    check_invalid(YEAR_2026("[[\"2026-02-15\"]]", "[]"),
                  "years.2026.off[0]: must be a date \"YYYY-MM-DD\" or a range");
    check_invalid(YEAR_2026("[[\"2026-02-15\", \"2026-02-16\", \"2026-02-17\"]]", "[]"),
                  "years.2026.off[0]: must be a date");
    check_invalid(YEAR_2026("[[\"2026-02-23\", \"2026-02-15\"]]", "[]"),
                  "years.2026.off[0]: range ends before it starts");
    check_invalid(YEAR_2026("[]", "[\"2026-02-14T00:00\"]"), "years.2026.work[0]: unexpected");
}

static void test_validation_rejects_dates_outside_their_year(void **state)
{
    (void)state;
    check_invalid(YEAR_2026("[\"2025-12-31\"]", "[]"),
                  "years.2026.off[0]: 2025-12-31 is not in 2026");
    check_invalid(YEAR_2026("[[\"2026-12-31\", \"2027-01-01\"]]", "[]"),
                  "years.2026.off[0]: 2027-01-01 is not in 2026");
    check_invalid(YEAR_2026("[]", "[\"2027-01-02\"]"),
                  "years.2026.work[0]: 2027-01-02 is not in 2026");
}

static void test_validation_rejects_duplicates_and_conflicts(void **state)
{
    (void)state;
    check_invalid(YEAR_2026("[\"2026-02-14\"]", "[\"2026-02-14\"]"),
                  "years.2026.work[0]: 2026-02-14 is listed both in off and in work");
    check_invalid(YEAR_2026("[\"2026-02-16\", [\"2026-02-15\", \"2026-02-17\"]]", "[]"),
                  "years.2026.off[1]: 2026-02-16 is listed twice in off");
    check_invalid(
        YEAR_2026("[[\"2026-02-15\", \"2026-02-20\"], [\"2026-02-20\", \"2026-02-23\"]]", "[]"),
        "years.2026.off[1]: 2026-02-20 is listed twice in off");
    check_invalid(YEAR_2026("[]", "[\"2026-02-14\", \"2026-02-28\", \"2026-02-14\"]"),
                  "years.2026.work[2]: 2026-02-14 is listed twice in work");
    /* A make-up workday on a weekday is a typo. */
    check_invalid(YEAR_2026("[]", "[\"2026-02-16\"]"),
                  "years.2026.work[0]: 2026-02-16 is a Monday; only a Saturday or Sunday");
}

static void test_validation_missing_file(void **state)
{
    (void)state;
    calendar *cal = NULL;
    cr_err err = {{0}};
    assert_int_equal(calendar_load("/nonexistent/cn.json", &cal, &err), CR_INVALID);
    assert_null(cal);
    assert_contains(err.msg, "/nonexistent/cn.json");
}

static void test_valid_minimal_file_loads(void **state)
{
    (void)state;
    char path[] = "/tmp/courtrules-calendar-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    /* Years in any order; an off range may cover weekends. */
    fputs("{\"years\": {\"2031\": {\"source\": \"b\", \"off\": [], \"work\": []},"
          " \"2030\": {\"source\": \"a\", \"off\": [[\"2030-02-02\", \"2030-02-08\"]],"
          " \"work\": [\"2030-01-26\"]}}}",
          f);
    fclose(f);
    calendar *cal = NULL;
    cr_err err = {{0}};
    cr_status st = calendar_load(path, &cal, &err);
    unlink(path);
    if (st != CR_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, CR_OK);
    assert_string_equal(calendar_source(cal, 2030), "a");
    assert_string_equal(calendar_source(cal, 2031), "b");
    assert_workday(cal, "2030-01-26", 1);
    assert_workday(cal, "2030-02-04", 0);
    assert_workday(cal, "2030-02-11", 1);
    calendar_free(cal);
}

/* ---- excluded periods (审限) ---- */

static cr_date_range R(const char *from, const char *to)
{
    cr_date_range r = {D(from), D(to)};
    return r;
}

/* Checks add and count agree: the due date, and days_excluding back to it. */
static void check_due(const char *start, int days, const cr_date_range *p, size_t n,
                      const char *want)
{
    cr_date due = periods_add_days_excluding(D(start), days, p, n);
    assert_date_is(due, want);
    assert_int_equal(periods_days_excluding(D(start), due, p, n), days);
}

static void test_periods_none(void **state)
{
    (void)state;
    check_due("2024-03-01", 30, NULL, 0, "2024-03-31");
    check_due("2024-03-01", 0, NULL, 0, "2024-03-01");
    check_due("2024-03-31", -30, NULL, 0, "2024-03-01");
    assert_int_equal(periods_days_excluding(D("2024-03-01"), D("2024-03-01"), NULL, 0), 0);
    assert_int_equal(periods_days_excluding(D("2024-03-31"), D("2024-03-01"), NULL, 0), -30);
}

static void test_periods_one_inside(void **state)
{
    (void)state;
    cr_date_range p[] = {R("2024-03-10", "2024-03-14")}; /* 5 days */
    check_due("2024-03-01", 30, p, 1, "2024-04-05");
    check_due("2024-03-01", 8, p, 1, "2024-03-09"); /* due before the period */
    check_due("2024-03-01", 9, p, 1, "2024-03-15"); /* the day after it */
    assert_int_equal(periods_days_excluding(D("2024-03-01"), D("2024-03-12"), p, 1), 8);
    assert_int_equal(periods_days_excluding(D("2024-03-01"), D("2024-03-14"), p, 1), 8);
}

static void test_periods_spanning_the_due_date(void **state)
{
    (void)state;
    /* Without it due 03-31; 03-02..03-24 count 23, the other 7 after 04-10. */
    cr_date_range p[] = {R("2024-03-25", "2024-04-10")};
    check_due("2024-03-01", 30, p, 1, "2024-04-17");
    /* A period ending on the would-be due date, or of one day on it. */
    cr_date_range q[] = {R("2024-03-20", "2024-03-31")};
    check_due("2024-03-01", 30, q, 1, "2024-04-12");
    cr_date_range one[] = {R("2024-03-31", "2024-03-31")};
    check_due("2024-03-01", 30, one, 1, "2024-04-01");
    /* Starting the day after the due date changes nothing. */
    cr_date_range after[] = {R("2024-04-01", "2024-05-01")};
    check_due("2024-03-01", 30, after, 1, "2024-03-31");
    /* Still open (suspended until resumption): ends at as_of. */
    cr_date_range open[] = {R("2024-03-15", "2024-06-30")};
    check_due("2024-03-01", 30, open, 1, "2024-07-17");
}

static void test_periods_overlapping_count_once(void **state)
{
    (void)state;
    /* Union 03-10..03-25 = 16 days, in any order, repeated or nested. */
    cr_date_range p[] = {R("2024-03-15", "2024-03-25"), R("2024-03-10", "2024-03-20"),
                         R("2024-03-12", "2024-03-13"), R("2024-03-10", "2024-03-20")};
    check_due("2024-03-01", 30, p, 4, "2024-04-16");
    /* Adjacent periods form one run: 03-10..03-12 and 03-13..03-15 = 6 days. */
    cr_date_range adj[] = {R("2024-03-13", "2024-03-15"), R("2024-03-10", "2024-03-12")};
    check_due("2024-03-01", 30, adj, 2, "2024-04-06");
    /* Two separate runs: 3 + 3 days. */
    cr_date_range two[] = {R("2024-03-20", "2024-03-22"), R("2024-03-05", "2024-03-07")};
    check_due("2024-03-01", 30, two, 2, "2024-04-06");
    /* An empty range (from after to) is ignored. */
    cr_date_range empty[] = {R("2024-03-20", "2024-03-10")};
    check_due("2024-03-01", 30, empty, 1, "2024-03-31");
}

static void test_periods_before_the_start(void **state)
{
    (void)state;
    cr_date_range before[] = {R("2024-02-01", "2024-02-20")};
    check_due("2024-03-01", 30, before, 1, "2024-03-31");
    /* Ending on the start day: counting starts the day after anyway. */
    cr_date_range to_start[] = {R("2024-02-01", "2024-03-01")};
    check_due("2024-03-01", 30, to_start, 1, "2024-03-31");
    /* Straddling the start: only 03-02..03-05 (4 days) are after it. */
    cr_date_range straddle[] = {R("2024-02-25", "2024-03-05")};
    check_due("2024-03-01", 30, straddle, 1, "2024-04-04");
}

static void test_periods_across_a_leap_day(void **state)
{
    (void)state;
    check_due("2024-02-28", 2, NULL, 0, "2024-03-01");
    check_due("2023-02-28", 2, NULL, 0, "2023-03-02");
    assert_int_equal(periods_days_excluding(D("2024-02-01"), D("2024-03-01"), NULL, 0), 29);
    assert_int_equal(periods_days_excluding(D("2023-02-01"), D("2023-03-01"), NULL, 0), 28);
    cr_date_range leap[] = {R("2024-02-29", "2024-02-29")};
    check_due("2024-02-28", 1, leap, 1, "2024-03-01");
    /* A limit running from 2023-08-31: 182 days reach 2024-02-29, the same day
     * as 6 calendar months (dates.h); December excluded pushes it 31 days. */
    assert_int_equal(periods_days_excluding(D("2023-08-31"), D("2024-02-29"), NULL, 0), 182);
    assert_date_is(date_add_months(D("2023-08-31"), 6), "2024-02-29");
    cr_date_range dec[] = {R("2023-12-01", "2023-12-31")};
    assert_int_equal(periods_days_excluding(D("2023-08-31"), D("2024-02-29"), dec, 1), 151);
    check_due("2023-08-31", 182, dec, 1, "2024-03-31");
    /* A period over the leap day counts it as one day. */
    cr_date_range feb[] = {R("2024-02-28", "2024-03-01")};
    assert_int_equal(periods_days_excluding(D("2024-02-01"), D("2024-03-31"), feb, 1), 59 - 3);
}

static void test_periods_backwards(void **state)
{
    (void)state;
    cr_date_range p[] = {R("2024-03-25", "2024-04-10")};
    check_due("2024-04-17", -30, p, 1, "2024-03-01");
    /* Walking back from 04-17: the 7th counted day before it is 04-10 (excluded),
     * so the walk jumps to 03-24. */
    check_due("2024-04-17", -7, p, 1, "2024-03-24");
    check_due("2024-04-17", -6, p, 1, "2024-04-11");
    /* Counted days in [end, start): the excluded end day itself is not counted. */
    assert_int_equal(periods_days_excluding(D("2024-04-17"), D("2024-04-10"), p, 1), -6);
}

/* Step-by-step reference for the cross-check below. */
static int excluded_day(int32_t day, const cr_date_range *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (day >= date_to_days(p[i].from) && day <= date_to_days(p[i].to))
            return 1;
    return 0;
}

static int32_t reference_add(int32_t start, int days, const cr_date_range *p, size_t n)
{
    int step = days < 0 ? -1 : 1;
    int32_t day = start;
    for (int left = days < 0 ? -days : days; left > 0;) {
        day += step;
        if (!excluded_day(day, p, n))
            left--;
    }
    return day;
}

static void test_periods_match_a_day_by_day_count(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    int32_t base = date_to_days(D("2024-01-01"));
    for (int round = 0; round < 300; round++) {
        cr_date_range p[8];
        size_t n = (size_t)(round % 9);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            int32_t from = base + (int32_t)((seed >> 8) % 200);
            seed = seed * 1103515245u + 12345u;
            int32_t len = (int32_t)((seed >> 8) % 40) - 2; /* some empty */
            p[i].from = date_from_days(from);
            p[i].to = date_from_days(from + len);
        }
        /* The same days in normal form take the linear path. */
        cr_date_range normal[8];
        memcpy(normal, p, sizeof p);
        size_t n_normal = periods_normalize(normal, n);
        assert_true(n_normal <= n);
        for (size_t i = 0; i < n_normal; i++) {
            assert_true(date_to_days(normal[i].from) <= date_to_days(normal[i].to));
            if (i > 0)
                assert_true(date_to_days(normal[i].from) > date_to_days(normal[i - 1].to) + 1);
        }
        seed = seed * 1103515245u + 12345u;
        int32_t start = base + (int32_t)((seed >> 8) % 200);
        for (int days = -120; days <= 120; days += 7) {
            int32_t want = reference_add(start, days, p, n);
            cr_date got = periods_add_days_excluding(date_from_days(start), days, p, n);
            assert_int_equal(date_to_days(got), want);
            got = periods_add_days_excluding(date_from_days(start), days, normal, n_normal);
            assert_int_equal(date_to_days(got), want);
        }
        for (int32_t end = start - 60; end <= start + 60; end += 5) {
            int64_t want = 0;
            if (end >= start)
                for (int32_t d = start + 1; d <= end; d++)
                    want += !excluded_day(d, p, n);
            else
                for (int32_t d = end; d < start; d++)
                    want -= !excluded_day(d, p, n);
            cr_date a = date_from_days(start), b = date_from_days(end);
            assert_int_equal(periods_days_excluding(a, b, p, n), want);
            assert_int_equal(periods_days_excluding(a, b, normal, n_normal), want);
        }
    }
}

static void test_periods_normalize(void **state)
{
    (void)state;
    cr_date_range p[] = {R("2024-03-20", "2024-03-22"), R("2024-03-10", "2024-03-12"),
                         R("2024-03-13", "2024-03-15"), R("2024-04-01", "2024-03-01"),
                         R("2024-03-11", "2024-03-11"), R("2024-03-21", "2024-03-30")};
    size_t n = periods_normalize(p, 6);
    assert_int_equal(n, 2);
    assert_date_is(p[0].from, "2024-03-10");
    assert_date_is(p[0].to, "2024-03-15");
    assert_date_is(p[1].from, "2024-03-20");
    assert_date_is(p[1].to, "2024-03-30");
    cr_date_range empty[] = {R("2024-04-01", "2024-03-01")};
    assert_int_equal(periods_normalize(empty, 1), 0);
    assert_int_equal(periods_normalize(NULL, 0), 0);
}

/* 1000 periods chained in the worst order for the run search. */
static void test_periods_many_chained(void **state)
{
    (void)state;
    enum { N = 1000 };
    static cr_date_range p[N];
    int32_t base = date_to_days(D("2024-01-10"));
    for (int i = 0; i < N; i++) {
        int32_t from = base + 2 * (N - 1 - i);
        p[i].from = date_from_days(from);
        p[i].to = date_from_days(from + 2);
    }
    /* One run from base to base + 2N; 01-02..01-09 count 8, the other 22 follow it. */
    char want[11];
    date_format(date_from_days(base + 2 * N + 22), want);
    check_due("2024-01-01", 30, p, N, want);
    check_due("2024-01-01", 8, p, N, "2024-01-09");
    assert_int_equal(periods_normalize(p, N), 1);
    check_due("2024-01-01", 30, p, 1, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shipped_calendar_covers_2024_to_2026, setup_calendar,
                                        teardown_calendar),
        cmocka_unit_test_setup_teardown(test_spring_festival_2026, setup_calendar,
                                        teardown_calendar),
        cmocka_unit_test_setup_teardown(test_national_day_2025, setup_calendar, teardown_calendar),
        cmocka_unit_test_setup_teardown(test_add_workdays_across_holidays, setup_calendar,
                                        teardown_calendar),
        cmocka_unit_test_setup_teardown(test_next_workday_from_a_holiday, setup_calendar,
                                        teardown_calendar),
        cmocka_unit_test_setup_teardown(test_unknown_year_is_reported, setup_calendar,
                                        teardown_calendar),
        cmocka_unit_test(test_no_calendar_is_monday_to_friday),
        cmocka_unit_test(test_validation_names_file_and_field),
        cmocka_unit_test(test_validation_rejects_bad_dates),
        cmocka_unit_test(test_validation_rejects_dates_outside_their_year),
        cmocka_unit_test(test_validation_rejects_duplicates_and_conflicts),
        cmocka_unit_test(test_validation_missing_file),
        cmocka_unit_test(test_valid_minimal_file_loads),
        cmocka_unit_test(test_periods_none),
        cmocka_unit_test(test_periods_one_inside),
        cmocka_unit_test(test_periods_spanning_the_due_date),
        cmocka_unit_test(test_periods_overlapping_count_once),
        cmocka_unit_test(test_periods_before_the_start),
        cmocka_unit_test(test_periods_across_a_leap_day),
        cmocka_unit_test(test_periods_backwards),
        cmocka_unit_test(test_periods_match_a_day_by_day_count),
        cmocka_unit_test(test_periods_normalize),
        cmocka_unit_test(test_periods_many_chained),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
