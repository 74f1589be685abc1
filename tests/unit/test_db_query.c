/*
 * Unit tests for host/db_query.c: the read-only queries of rule scripts --
 * every filter alone and together, exact courts against prefixes, the
 * inclusive date bounds on event times -- and that a query narrowed to one
 * court and one kind of event searches the index instead of reading the
 * court's other rows (counted in SQLite's VM steps, not in time).
 * Records go in through the real records API, as `ingest` writes them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_eval.h"
#include "db_fixture.h"
#include "db_internal.h"
#include "db_query.h"

static const char *const base_records[] = {
    "{\"type\":\"court\",\"code\":\"粤\",\"name\":\"广东省高级人民法院\",\"level\":\"高级\"}",
    "{\"type\":\"court\",\"code\":\"粤07\",\"name\":\"江门市中级人民法院\",\"level\":\"中级\","
    "\"parent\":\"粤\"}",
    "{\"type\":\"court\",\"code\":\"粤0703\",\"name\":\"蓬江区人民法院\",\"level\":\"基层\","
    "\"parent\":\"粤07\"}",
    "{\"type\":\"court\",\"code\":\"粤0704\",\"name\":\"江海区人民法院\",\"level\":\"基层\","
    "\"parent\":\"粤07\"}",
    "{\"type\":\"person\",\"id\":\"P1\",\"court\":\"粤07\",\"name\":\"甲\",\"roles\":[\"院长\"],"
    "\"in_quota\":true}",
    "{\"type\":\"person\",\"id\":\"P2\",\"court\":\"粤07\",\"name\":\"乙\",\"roles\":[\"员额法官\"]"
    ","
    "\"in_quota\":true}",
    "{\"type\":\"person\",\"id\":\"P3\",\"court\":\"粤0703\",\"name\":\"丙\",\"roles\":["
    "\"员额法官\","
    "\"庭长\"],\"in_quota\":true}",
    "{\"type\":\"person\",\"id\":\"P4\",\"court\":\"粤0703\",\"name\":\"丁\",\"roles\":["
    "\"法官助理\"],"
    "\"in_quota\":false}",
    "{\"type\":\"case\",\"case_no\":\"(2026)粤07民初1号\",\"kind\":\"民事\",\"procedure\":\"普通\","
    "\"filing_date\":\"2026-01-05\",\"status\":\"已结\",\"closing_date\":\"2026-03-31\","
    "\"judges\":[\"P2\"],\"presiding\":\"P1\"}",
    "{\"type\":\"case\",\"case_no\":\"(2026)粤07民初2号\",\"kind\":\"民事\",\"procedure\":\"简易\","
    "\"filing_date\":\"2026-02-01\",\"status\":\"在办\",\"judges\":[\"P2\"]}",
    "{\"type\":\"case\",\"case_no\":\"(2026)粤0703刑初1号\",\"kind\":\"刑事\",\"procedure\":"
    "\"普通\","
    "\"filing_date\":\"2026-01-01\",\"status\":\"已结\",\"closing_date\":\"2026-04-01\","
    "\"judges\":[\"P3\"]}",
    "{\"type\":\"case\",\"case_no\":\"(2025)粤0704民初1号\",\"kind\":\"民事\",\"procedure\":"
    "\"普通\","
    "\"filing_date\":\"2025-12-31\",\"status\":\"在办\"}",
    /* Event times on both sides of the bounds used below. */
    "{\"type\":\"event\",\"id\":\"R1\",\"court\":\"粤07\",\"event\":\"interference_report\","
    "\"at\":\"2026-03-01T00:00:00\",\"data\":{\"month\":\"2026-02\",\"count\":0}}",
    "{\"type\":\"event\",\"id\":\"R2\",\"court\":\"粤07\",\"event\":\"interference_report\","
    "\"at\":\"2026-03-31T23:59:59\",\"data\":{\"month\":\"2026-03\",\"count\":1}}",
    "{\"type\":\"event\",\"id\":\"R3\",\"court\":\"粤07\",\"event\":\"interference_report\","
    "\"at\":\"2026-04-01T00:00:00\",\"data\":{\"month\":\"2026-03\",\"count\":2}}",
    "{\"type\":\"event\",\"id\":\"R4\",\"court\":\"粤07\",\"event\":\"interference_report\","
    "\"at\":\"2026-02-28T23:59:59\",\"data\":{\"month\":\"2026-01\",\"count\":0}}",
    "{\"type\":\"event\",\"id\":\"R5\",\"court\":\"粤0703\",\"event\":\"interference_report\","
    "\"at\":\"2026-03-15T09:00:00\",\"data\":{\"month\":\"2026-02\",\"count\":0}}",
    "{\"type\":\"event\",\"id\":\"S1\",\"case_no\":\"(2026)粤07民初2号\",\"event\":\"supervision\","
    "\"at\":\"2026-03-15T09:00:00\"}",
    "{\"type\":\"event\",\"id\":\"H1\",\"case_no\":\"(2026)粤07民初1号\",\"event\":\"hearing\","
    "\"at\":\"2026-03-15T09:00:00\"}",
    NULL,
};

static int setup(void **state)
{
    return fixture_setup(state, "query", base_records);
}

static int teardown(void **state)
{
    return fixture_teardown(state);
}

static int64_t count_cases(cr_db *db, db_case_filter f)
{
    int64_t n = -1;
    cr_err err;
    if (db_query_count_cases(db, &f, &n, &err) != CR_OK)
        fail_msg("%s", err.msg);
    return n;
}

static int64_t count_events(cr_db *db, const char *court, int exact, const char *event,
                            const char *from, const char *to)
{
    int64_t n = -1;
    cr_err err;
    if (db_query_count_events(db, court, exact, event, from, to, &n, &err) != CR_OK)
        fail_msg("%s", err.msg);
    return n;
}

/* The ids (or codes) of a query's rows, joined with ','. */
static const char *ids(json_t *rows, const char *key)
{
    static char out[512];
    size_t len = 0, i;
    json_t *row;
    out[0] = 0;
    json_array_foreach(rows, i, row)
    {
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", i ? "," : "",
                                json_string_value(json_object_get(row, key)));
    }
    json_decref(rows);
    return out;
}

static void case_filters_alone_and_together(void **state)
{
    fixture *fx = *state;
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤"}), 4);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤07"}), 4);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤07", .exact_court = 1}), 2);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤", .exact_court = 1}), 0);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = ""}), 4);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤", .status = "已结"}), 2);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤", .kind = "刑事"}), 1);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤", .procedure = "简易"}), 1);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤", .type_code = "民初"}), 3);
    /* date bounds are inclusive */
    assert_int_equal(
        count_cases(fx->db, (db_case_filter){.court = "粤", .filed_from = "2026-01-01"}), 3);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤", .filed_to = "2026-01-01"}),
                     2);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤",
                                                          .closed_from = "2026-03-31",
                                                          .closed_to = "2026-03-31"}),
                     1);
    assert_int_equal(
        count_cases(fx->db, (db_case_filter){.court = "粤", .closed_to = "2026-12-31"}), 2);
    /* a judge among judges or presiding, each case once */
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤", .judge = "P1"}), 1);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤", .judge = "P2"}), 2);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤07",
                                                          .exact_court = 1,
                                                          .judge = "P2",
                                                          .status = "已结",
                                                          .closed_from = "2026-01-01",
                                                          .closed_to = "2026-03-31"}),
                     1);
    assert_int_equal(
        count_cases(fx->db, (db_case_filter){.court = "粤0704", .exact_court = 1, .judge = "P2"}),
        0);

    /* a judge's cases follow their closing date when a case is closed later */
    db_case_filter p2_q1 = {
        .court = "粤07", .judge = "P2", .closed_from = "2026-01-01", .closed_to = "2026-03-31"};
    assert_int_equal(count_cases(fx->db, p2_q1), 1);
    static const char *const closed[] = {
        "{\"type\":\"case\",\"case_no\":\"(2026)粤07民初2号\",\"kind\":\"民事\","
        "\"procedure\":\"简易\",\"filing_date\":\"2026-02-01\",\"status\":\"已结\","
        "\"closing_date\":\"2026-03-20\",\"judges\":[\"P2\"]}",
        NULL};
    ingest(fx->db, closed);
    assert_int_equal(count_cases(fx->db, p2_q1), 2);
    p2_q1.closed_to = "2026-03-19";
    assert_int_equal(count_cases(fx->db, p2_q1), 0);

    json_t *rows = NULL;
    cr_err err;
    db_case_filter f = {.court = "粤07", .status = "在办"};
    assert_int_equal(db_query_cases(fx->db, &f, 10, &rows, &err), CR_OK);
    assert_string_equal(ids(rows, "case_no"), "(2025)粤0704民初1号");
}

/* An event on the last day of [from, to] counts whatever its time of day;
 * one at midnight after it does not. */
static void event_filters_and_day_bounds(void **state)
{
    fixture *fx = *state;
    const char *ir = "interference_report";
    assert_int_equal(count_events(fx->db, "粤", 0, NULL, NULL, NULL), 7);
    assert_int_equal(count_events(fx->db, "粤07", 0, ir, NULL, NULL), 5);
    assert_int_equal(count_events(fx->db, "粤07", 1, ir, NULL, NULL), 4);
    assert_int_equal(count_events(fx->db, "粤07", 1, NULL, NULL, NULL), 6);
    assert_int_equal(count_events(fx->db, "粤07", 1, ir, "2026-03-01", "2026-03-31"), 2);
    assert_int_equal(count_events(fx->db, "粤07", 1, ir, "2026-03-01", NULL), 3);
    assert_int_equal(count_events(fx->db, "粤07", 1, ir, NULL, "2026-02-28"), 1);
    assert_int_equal(count_events(fx->db, "粤07", 0, ir, "2026-03-01", "2026-03-31"), 3);
    assert_int_equal(count_events(fx->db, "粤07", 1, ir, "2026-04-02", NULL), 0);

    json_t *rows = NULL;
    cr_err err;
    assert_int_equal(
        db_query_events(fx->db, "粤07", 1, ir, "2026-03-01", "2026-03-31", 100, &rows, &err),
        CR_OK);
    assert_string_equal(ids(rows, "id"), "R1,R2");
    assert_int_equal(db_query_events(fx->db, "粤07", 0, ir, NULL, NULL, 3, &rows, &err), CR_OK);
    assert_string_equal(ids(rows, "id"), "R4,R1,R5"); /* in time order, limited */
    /* each row names its court, also for events of a case */
    assert_int_equal(db_query_events(fx->db, "粤07", 1, "hearing", NULL, NULL, 10, &rows, &err),
                     CR_OK);
    assert_int_equal(json_array_size(rows), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "court")),
                        "粤07");
    json_decref(rows);
}

static void people_and_courts(void **state)
{
    fixture *fx = *state;
    json_t *rows = NULL;
    cr_err err;
    assert_int_equal(db_query_people(fx->db, "粤07", 0, NULL, -1, &rows, &err), CR_OK);
    assert_string_equal(ids(rows, "id"), "P1,P2,P3,P4");
    assert_int_equal(db_query_people(fx->db, "粤07", 1, NULL, -1, &rows, &err), CR_OK);
    assert_string_equal(ids(rows, "id"), "P1,P2");
    assert_int_equal(db_query_people(fx->db, "粤", 0, "员额法官", -1, &rows, &err), CR_OK);
    assert_string_equal(ids(rows, "id"), "P2,P3");
    assert_int_equal(db_query_people(fx->db, "粤", 0, NULL, 0, &rows, &err), CR_OK);
    assert_string_equal(ids(rows, "id"), "P4");
    assert_int_equal(db_query_people(fx->db, "粤0703", 1, "庭长", 1, &rows, &err), CR_OK);
    assert_string_equal(ids(rows, "id"), "P3");
    assert_int_equal(db_query_courts(fx->db, "粤07", 0, &rows, &err), CR_OK);
    assert_string_equal(ids(rows, "code"), "粤07,粤0703,粤0704");
    assert_int_equal(db_query_courts(fx->db, "粤07", 1, &rows, &err), CR_OK);
    assert_string_equal(ids(rows, "code"), "粤07");
}

/* VM steps of the statements run on the connection, summed as each ends. */
static int64_t vm_steps;

static int count_steps(unsigned type, void *ud, void *p, void *x)
{
    (void)ud;
    (void)x;
    if (type == SQLITE_TRACE_PROFILE)
        vm_steps += sqlite3_stmt_status(p, SQLITE_STMTSTATUS_VM_STEP, 0);
    return 0;
}

/* Ingests n records, line i written by make(i, buf, size). */
static void ingest_made(cr_db *db, int n, void (*make)(int i, char *buf, size_t size))
{
    char **lines = calloc((size_t)n + 1, sizeof *lines);
    assert_non_null(lines);
    for (int i = 0; i < n; i++) {
        lines[i] = malloc(256);
        assert_non_null(lines[i]);
        make(i, lines[i], 256);
    }
    ingest(db, (const char *const *)lines);
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

/* Events of 粤07 and 粤0703 in March 2026: hearings of their cases, and
 * interference reports. */
static void make_other_event(int i, char *buf, size_t size)
{
    if (i % 3)
        snprintf(buf, size,
                 "{\"type\":\"event\",\"id\":\"X%d\",\"case_no\":\"(2026)%s\","
                 "\"event\":\"hearing\",\"at\":\"2026-03-%02dT10:00:00\"}",
                 i, i % 2 ? "粤07民初1号" : "粤0703刑初1号", 1 + i % 28);
    else
        snprintf(buf, size,
                 "{\"type\":\"event\",\"id\":\"X%d\",\"court\":\"%s\","
                 "\"event\":\"interference_report\",\"at\":\"2026-03-%02dT10:00:00\","
                 "\"data\":{\"month\":\"2026-02\",\"count\":%d}}",
                 i, i % 2 ? "粤07" : "粤0703", 1 + i % 28, i % 5);
}

/* Pending cases of 粤07 filed in February 2026. */
static void make_pending_case(int i, char *buf, size_t size)
{
    snprintf(buf, size,
             "{\"type\":\"case\",\"case_no\":\"(2026)粤07民初%d号\",\"kind\":\"民事\","
             "\"filing_date\":\"2026-02-%02d\",\"status\":\"%s\"}",
             100 + i, 1 + i % 28, i % 7 ? "在办" : "中止");
}

/* A court's own reports of one month are found through the index on
 * (court, type, at), whatever else the court and the courts below it
 * recorded: the work does not grow with the other events. */
static void one_court_one_kind_searches_the_index(void **state)
{
    fixture *fx = *state;
    ingest_made(fx->db, 3000, make_other_event);

    sqlite3_trace_v2(fx->db->sql, SQLITE_TRACE_PROFILE, count_steps, NULL);
    vm_steps = 0;
    assert_int_equal(
        count_events(fx->db, "粤07", 1, "interference_report", "2026-02-28", "2026-02-28"), 1);
    int64_t narrow = vm_steps;
    vm_steps = 0;
    json_t *rows = NULL;
    cr_err err;
    assert_int_equal(db_query_events(fx->db, "粤07", 1, "interference_report", "2026-04-01",
                                     "2026-04-30", 100, &rows, &err),
                     CR_OK);
    assert_string_equal(ids(rows, "id"), "R3");
    int64_t listed = vm_steps;
    sqlite3_trace_v2(fx->db->sql, 0, NULL, NULL);
    /* reading every event of 粤07 would take thousands of steps */
    if (narrow > 100 || listed > 200)
        fail_msg("VM steps: count %lld, list %lld", (long long)narrow, (long long)listed);
}

/* A court's cases closed in a quarter are found through cases_court_dates
 * (court, status, closing_date, ...) beside thousands of its pending cases:
 * a closing date is only ever on a closed case. */
static void closed_in_a_quarter_searches_the_index(void **state)
{
    fixture *fx = *state;
    ingest_made(fx->db, 2000, make_pending_case);

    sqlite3_trace_v2(fx->db->sql, SQLITE_TRACE_PROFILE, count_steps, NULL);
    vm_steps = 0;
    db_case_filter q1 = {
        .court = "粤07", .exact_court = 1, .closed_from = "2026-01-01", .closed_to = "2026-03-31"};
    assert_int_equal(count_cases(fx->db, q1), 1);
    sqlite3_trace_v2(fx->db->sql, 0, NULL, NULL);
    if (vm_steps > 100)
        fail_msg("VM steps: %lld", (long long)vm_steps);
    /* the same answer with a status given: none pending closed, one closed */
    q1.status = "在办";
    assert_int_equal(count_cases(fx->db, q1), 0);
    q1.status = "已结";
    assert_int_equal(count_cases(fx->db, q1), 1);
}

/* A count over a filing window and nothing else adds up case_day_counts'
 * rows (a court's day each), not the cases: thousands of cases filed on 28
 * days cost as few VM steps as 28 rows do. */
static void filing_window_counts_days(void **state)
{
    fixture *fx = *state;
    ingest_made(fx->db, 2000, make_pending_case);
    db_case_filter feb = {.court = "粤", .filed_from = "2026-02-01", .filed_to = "2026-02-28"};
    sqlite3_trace_v2(fx->db->sql, SQLITE_TRACE_PROFILE, count_steps, NULL);
    vm_steps = 0;
    assert_int_equal(count_cases(fx->db, feb), 2001); /* and the fixture's 粤07民初2号 */
    sqlite3_trace_v2(fx->db->sql, 0, NULL, NULL);
    if (vm_steps > 500) /* visiting every case in the window takes tens of thousands */
        fail_msg("VM steps: %lld", (long long)vm_steps);
}

/* Which courts' court-level results are current is read from what changed
 * after their evaluation (db_eval_courts_current), not from their cases:
 * with thousands of cases and nothing new, a few hundred VM steps. (Checked
 * court by court against its subtree, it once took 20 s at a million cases.) */
static void courts_current_reads_only_what_changed(void **state)
{
    fixture *fx = *state;
    ingest_made(fx->db, 2000, make_pending_case);
    cr_err err;
    int64_t run, batch;
    if (db_eval_run_open(fx->db, "2026-03-31", "all", &run, &err) != CR_OK ||
        db_eval_last_batch(fx->db, &batch, &err) != CR_OK)
        fail_msg("%s", err.msg);
    static const char *const courts[] = {"粤", "粤07", "粤0703", "粤0704"};
    for (size_t i = 0; i < 4; i++)
        if (db_eval_put_court_evaluation(fx->db, run, courts[i], "fp", "2026-03-31", "[]", batch,
                                         &err) != CR_OK)
            fail_msg("%s", err.msg);
    json_t *current = NULL;
    sqlite3_trace_v2(fx->db->sql, SQLITE_TRACE_PROFILE, count_steps, NULL);
    vm_steps = 0;
    if (db_eval_courts_current(fx->db, "fp", "2026-03-31", &current, &err) != CR_OK)
        fail_msg("%s", err.msg);
    sqlite3_trace_v2(fx->db->sql, 0, NULL, NULL);
    assert_int_equal(json_array_size(current), 4);
    json_decref(current);
    if (vm_steps > 1000) /* a row lookup per case of the subtree takes tens of thousands */
        fail_msg("VM steps: %lld", (long long)vm_steps);
}

/* count(*) over the cases themselves, for the court filter and window the
 * day counts answer (case_day_counts, schema 19). */
static int64_t scanned_count(cr_db *db, const char *court, int exact, const char *from,
                             const char *to)
{
    sqlite3_stmt *st;
    const char *sql =
        exact ? "SELECT count(*) FROM cases WHERE court = ?1"
                " AND filing_date >= coalesce(?2, '') AND filing_date <= coalesce(?3, 'z')"
              : "SELECT count(*) FROM cases WHERE court >= ?1 AND court < ?1 || char(0x10FFFF)"
                " AND filing_date >= coalesce(?2, '') AND filing_date <= coalesce(?3, 'z')";
    assert_int_equal(sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, court, -1, SQLITE_STATIC);
    if (from)
        sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
    if (to)
        sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Every court filter and window: the day counts give count(*)'s number. */
static void day_counts_agree(cr_db *db)
{
    static const char *const courts[] = {"", "粤", "粤07", "粤0703", "粤0704", "苏"};
    static const char *const bounds[] = {NULL,         "2025-12-31", "2026-01-01",
                                         "2026-01-05", "2026-02-01", "2026-06-30"};
    for (size_t c = 0; c < sizeof courts / sizeof *courts; c++)
        for (int exact = 0; exact < 2; exact++)
            for (size_t a = 0; a < sizeof bounds / sizeof *bounds; a++)
                for (size_t b = 0; b < sizeof bounds / sizeof *bounds; b++) {
                    db_case_filter f = {.court = courts[c],
                                        .exact_court = exact,
                                        .filed_from = bounds[a],
                                        .filed_to = bounds[b]};
                    int64_t want = scanned_count(db, courts[c], exact, bounds[a], bounds[b]);
                    if (count_cases(db, f) != want)
                        fail_msg("court '%s' exact %d from %s to %s: %lld, count(*) %lld",
                                 courts[c], exact, bounds[a] ? bounds[a] : "-",
                                 bounds[b] ? bounds[b] : "-", (long long)count_cases(db, f),
                                 (long long)want);
                }
}

/* Ingests, in one batch, (2026)粤07民初2号 filed on day2 (the fixture has it
 * filed on 2026-02-01) and (2026)粤0703民初7号 filed on day7. */
static void ingest_filed(cr_db *db, const char *day2, const char *day7)
{
    char two[256], seven[256];
    snprintf(two, sizeof two,
             "{\"type\":\"case\",\"case_no\":\"(2026)粤07民初2号\",\"kind\":\"民事\","
             "\"procedure\":\"简易\",\"filing_date\":\"%s\",\"status\":\"在办\","
             "\"judges\":[\"P2\"]}",
             day2);
    snprintf(seven, sizeof seven,
             "{\"type\":\"case\",\"case_no\":\"(2026)粤0703民初7号\",\"kind\":\"民事\","
             "\"filing_date\":\"%s\",\"status\":\"在办\"}",
             day7);
    const char *const lines[] = {two, seven, NULL};
    ingest(db, lines);
}

/* The day counts follow ingest, the one writer of cases: a new case, a case
 * re-ingested with another filing date (and back), one re-ingested as it
 * was; each time every filter and window agrees with count(*) again. */
static void day_counts_follow_writes(void **state)
{
    fixture *fx = *state;
    day_counts_agree(fx->db);
    ingest_filed(fx->db, "2026-02-02", "2026-01-05"); /* 2号 moved, 7号 new */
    db_case_filter feb1 = {
        .court = "粤07", .exact_court = 1, .filed_from = "2026-02-01", .filed_to = "2026-02-01"};
    assert_int_equal(count_cases(fx->db, feb1), 0);
    day_counts_agree(fx->db);
    ingest_filed(fx->db, "2026-02-01", "2026-01-05"); /* 2号 back, 7号 as it was */
    assert_int_equal(count_cases(fx->db, feb1), 1);
    day_counts_agree(fx->db);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤0703", .exact_court = 1}), 2);
}

/* A batch with more courts and days than the batch's day table holds (it
 * writes them out when three quarters full): after it, case_day_counts is
 * exactly the cases grouped by court and filing day. */
static void day_counts_past_a_full_table(void **state)
{
    fixture *fx = *state;
    enum { N = 800 };
    static char text[N][256];
    static const char *lines[N + 1];
    for (int i = 0; i < N; i++) {
        snprintf(text[i], sizeof text[i],
                 "{\"type\":\"case\",\"case_no\":\"(2024)粤0703民初%d号\",\"kind\":\"民事\","
                 "\"filing_date\":\"%d-%02d-%02d\",\"status\":\"在办\"}",
                 100 + i, 2024 + i / 336, 1 + i / 28 % 12, 1 + i % 28);
        lines[i] = text[i];
    }
    lines[N] = NULL;
    ingest(fx->db, lines);
    sqlite3_stmt *st;
    const char *differ = "SELECT count(*) FROM (SELECT court, filing_date, count(*) AS n FROM cases"
                         " GROUP BY court, filing_date) g FULL JOIN case_day_counts d"
                         " USING (court, filing_date) WHERE g.n IS NOT d.n";
    assert_int_equal(sqlite3_prepare_v2(fx->db->sql, differ, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    assert_int_equal(count_cases(fx->db, (db_case_filter){.court = "粤0703", .exact_court = 1}),
                     N + 1);
    day_counts_agree(fx->db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(case_filters_alone_and_together, setup, teardown),
        cmocka_unit_test_setup_teardown(day_counts_follow_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(day_counts_past_a_full_table, setup, teardown),
        cmocka_unit_test_setup_teardown(event_filters_and_day_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(people_and_courts, setup, teardown),
        cmocka_unit_test_setup_teardown(one_court_one_kind_searches_the_index, setup, teardown),
        cmocka_unit_test_setup_teardown(closed_in_a_quarter_searches_the_index, setup, teardown),
        cmocka_unit_test_setup_teardown(filing_window_counts_days, setup, teardown),
        cmocka_unit_test_setup_teardown(courts_current_reads_only_what_changed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
