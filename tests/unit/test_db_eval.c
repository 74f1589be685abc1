/*
 * Unit tests for host/db_eval.c: reading cases to evaluate, per-case
 * evaluations, alert dedup and lifecycle, rule health, and reading back
 * (alerts, explain).
 * Records go in through the real records API, as `ingest` writes them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_eval.h"
#include "db_fixture.h"

#define CASE1 "(2024)粤0703民初1号"
#define CASE2 "(2024)粤0703民初2号"
#define CASE3 "(2024)粤0704民初3号"
#define CASE4 "(2024)京0105民初4号"

static const char *const base_records[] = {
    "{\"type\":\"court\",\"code\":\"粤\",\"name\":\"广东省高级人民法院\",\"level\":\"高级\"}",
    "{\"type\":\"court\",\"code\":\"粤07\",\"name\":\"江门市中级人民法院\",\"level\":\"中级\","
    "\"parent\":\"粤\"}",
    "{\"type\":\"court\",\"code\":\"粤0703\",\"name\":\"蓬江区人民法院\",\"level\":\"基层\","
    "\"parent\":\"粤07\"}",
    "{\"type\":\"court\",\"code\":\"粤0704\",\"name\":\"江海区人民法院\",\"level\":\"基层\","
    "\"parent\":\"粤07\"}",
    "{\"type\":\"court\",\"code\":\"京\",\"name\":\"北京市高级人民法院\",\"level\":\"高级\"}",
    "{\"type\":\"court\",\"code\":\"京01\",\"name\":\"北京市第一中级人民法院\",\"level\":\"中级\","
    "\"parent\":\"京\"}",
    "{\"type\":\"court\",\"code\":\"京0105\",\"name\":\"朝阳区人民法院\",\"level\":\"基层\","
    "\"parent\":\"京01\"}",
    /* Inserted out of order on purpose. */
    "{\"type\":\"case\",\"case_no\":\"" CASE3
    "\",\"filing_date\":\"2024-03-02\",\"status\":\"在办\"}",
    "{\"type\":\"case\",\"case_no\":\"" CASE1 "\",\"filing_date\":\"2024-03-01\","
    "\"procedure\":\"简易\",\"status\":\"在办\"}",
    "{\"type\":\"case\",\"case_no\":\"" CASE4
    "\",\"filing_date\":\"2024-03-03\",\"status\":\"在办\"}",
    "{\"type\":\"case\",\"case_no\":\"" CASE2
    "\",\"filing_date\":\"2024-03-04\",\"status\":\"在办\"}",
    /* Case 1's events, not in time order; E-b and E-c share a time. */
    "{\"type\":\"event\",\"id\":\"E-a\",\"case_no\":\"" CASE1 "\",\"event\":\"hearing\","
    "\"at\":\"2024-05-01T10:00\"}",
    "{\"type\":\"event\",\"id\":\"E-c\",\"case_no\":\"" CASE1
    "\",\"event\":\"reported_to_president\","
    "\"at\":\"2024-03-01T09:00\"}",
    "{\"type\":\"event\",\"id\":\"E-b\",\"case_no\":\"" CASE1 "\",\"event\":\"assigned\","
    "\"at\":\"2024-03-01T09:00\"}",
    NULL,
};

static int setup(void **state)
{
    return fixture_setup(state, "eval", base_records);
}

static int teardown(void **state)
{
    return fixture_teardown(state);
}

/* ---- helpers ---- */

/* Collects the case numbers a selection yields, joined by '|'. */
/* Reads every case it yields, "|"-separated, into out, and closes it. */
static void collect_cases(db_case_iter *it, char *out, size_t len)
{
    cr_err err;
    out[0] = '\0';
    for (;;) {
        int has_row;
        const char *case_no, *case_court, *doc, *events;
        int64_t changed;
        if (db_case_iter_next(it, &has_row, &case_no, &case_court, &doc, &events, &changed, &err) !=
            CR_OK)
            fail_msg("%s", err.msg);
        if (!has_row)
            break;
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%s", used ? "|" : "", case_no);
    }
    db_case_iter_close(it);
}

static void select_cases(cr_db *db, enum db_case_select sel, const char *arg, const char *court,
                         char *out, size_t len)
{
    db_case_iter *it;
    cr_err err;
    if (db_case_iter_open(db, sel, arg, NULL, court, &it, &err) != CR_OK)
        fail_msg("%s", err.msg);
    collect_cases(it, out, len);
}

static int64_t scalar(cr_db *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void text_equal(cr_db *db, const char *sql, const char *expected)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const char *v = (const char *)sqlite3_column_text(st, 0);
    if (expected)
        assert_string_equal(v ? v : "(null)", expected);
    else
        assert_null(v);
    sqlite3_finalize(st);
}

static int64_t open_run(cr_db *db)
{
    cr_err err;
    int64_t run;
    if (db_eval_run_open(db, "2024-06-30", "all", &run, &err) != CR_OK)
        fail_msg("%s", err.msg);
    return run;
}

/* Stores an (empty) evaluation with fp, in a new run, for every case
 * db_case_iter yields for sel. */
static int mark_all(cr_db *db, enum db_case_select sel, const char *fp)
{
    db_case_iter *it;
    cr_err err;
    int n = 0;
    int64_t run = open_run(db);
    assert_int_equal(db_case_iter_open(db, sel, fp, NULL, NULL, &it, &err), CR_OK);
    for (;;) {
        int has_row;
        const char *case_no, *court, *doc, *events;
        int64_t changed;
        assert_int_equal(
            db_case_iter_next(it, &has_row, &case_no, &court, &doc, &events, &changed, &err),
            CR_OK);
        if (!has_row)
            break;
        /* One write transaction per case while the read stays open. */
        assert_int_equal(db_begin(db, &err), CR_OK);
        assert_int_equal(
            db_eval_put_evaluation(db, run, case_no, changed, fp, "2024-06-30", 0, "[]", &err),
            CR_OK);
        assert_int_equal(db_commit(db, &err), CR_OK);
        n++;
    }
    db_case_iter_close(it);
    return n;
}

static db_alert alert_for(const char *key, const char *code, const char *court, const char *case_no)
{
    db_alert a = {.dedup_key = key,
                  .rule_set = "national",
                  .rule = "four_category",
                  .rule_version = "2021.1",
                  .rule_set_sha =
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                  .code = code,
                  .severity = "warning",
                  .court = court,
                  .case_no = case_no,
                  .message = "当事人人数众多，可能属于群体性纠纷",
                  .basis = "法发〔2021〕30号 四(一)",
                  .data_json = "{\"parties\":12}",
                  .as_of = "2024-06-30"};
    return a;
}

static db_alert_outcome put_alert(cr_db *db, int64_t run, const db_alert *a)
{
    cr_err err;
    db_alert_outcome outcome;
    int64_t id;
    if (db_eval_put_alert(db, run, a, &outcome, &id, &err) != CR_OK)
        fail_msg("%s", err.msg);
    assert_true(id > 0);
    return outcome;
}

/* ---- reading cases ---- */

static void case_iteration_selects_all_one_and_by_court_prefix(void **state)
{
    fixture *fx = *state;
    char got[512];
    select_cases(fx->db, DB_CASES_ALL, NULL, NULL, got, sizeof got);
    assert_string_equal(got, CASE3 "|" CASE1 "|" CASE4 "|" CASE2); /* storage (ingest) order */
    select_cases(fx->db, DB_CASES_ONE, CASE3, NULL, got, sizeof got);
    assert_string_equal(got, CASE3);
    select_cases(fx->db, DB_CASES_ONE, "（2024）粤0704民初3号", NULL, got, sizeof got);
    assert_string_equal(got, CASE3); /* full-width parentheses find the ASCII-stored number */
    select_cases(fx->db, DB_CASES_ONE, "(2024)粤0704民初99号", NULL, got, sizeof got);
    assert_string_equal(got, "");
    select_cases(fx->db, DB_CASES_ALL, NULL, "粤07", got, sizeof got);
    assert_string_equal(got, CASE3 "|" CASE1 "|" CASE2);
    select_cases(fx->db, DB_CASES_ALL, NULL, "粤0703", got, sizeof got);
    assert_string_equal(got, CASE1 "|" CASE2);
    select_cases(fx->db, DB_CASES_ALL, NULL, "京", got, sizeof got);
    assert_string_equal(got, CASE4);
    select_cases(fx->db, DB_CASES_ALL, NULL, "沪", got, sizeof got);
    assert_string_equal(got, "");
    select_cases(fx->db, DB_CASES_ONE, CASE3, "京", got, sizeof got);
    assert_string_equal(got, "");
}

static void case_iteration_yields_events_in_time_order(void **state)
{
    fixture *fx = *state;
    db_case_iter *it;
    cr_err err;
    assert_int_equal(db_case_iter_open(fx->db, DB_CASES_ALL, NULL, NULL, "粤0703", &it, &err),
                     CR_OK);
    int has_row;
    const char *case_no, *court, *doc, *events;
    int64_t changed;
    assert_int_equal(
        db_case_iter_next(it, &has_row, &case_no, &court, &doc, &events, &changed, &err), CR_OK);
    assert_true(has_row);
    assert_string_equal(case_no, CASE1);
    assert_string_equal(court, "粤0703");
    assert_true(changed > 0);
    json_t *d = json_loads(doc, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(d, "procedure")), "简易");
    json_decref(d);
    json_t *ev = json_loads(events, 0, NULL);
    assert_non_null(ev);
    assert_int_equal(json_array_size(ev), 3);
    const char *order[] = {"E-b", "E-c", "E-a"}; /* by time, then id */
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(ev, i), "id")),
                            order[i]);
    json_decref(ev);
    assert_int_equal(
        db_case_iter_next(it, &has_row, &case_no, &court, &doc, &events, &changed, &err), CR_OK);
    assert_true(has_row);
    assert_string_equal(case_no, CASE2);
    assert_string_equal(events, "[]");
    assert_int_equal(
        db_case_iter_next(it, &has_row, &case_no, &court, &doc, &events, &changed, &err), CR_OK);
    assert_false(has_row);
    assert_int_equal(
        db_case_iter_next(it, &has_row, &case_no, &court, &doc, &events, &changed, &err), CR_OK);
    assert_false(has_row); /* stays at the end */
    db_case_iter_close(it);
}

/* A changed case (CASE1), and a case that gains an event (CASE3). */
static const char *const case1_and_case3_change[] = {
    "{\"type\":\"case\",\"case_no\":\"" CASE1 "\",\"filing_date\":\"2024-03-01\","
    "\"procedure\":\"普通\",\"status\":\"在办\"}",
    "{\"type\":\"event\",\"id\":\"E-d\",\"case_no\":\"" CASE3 "\",\"event\":\"hearing\","
    "\"at\":\"2024-06-01\"}",
    NULL};

static void changed_cases_follow_ingest_and_fingerprint(void **state)
{
    fixture *fx = *state;
    char got[512];
    select_cases(fx->db, DB_CASES_CHANGED, "fp-A", NULL, got, sizeof got);
    assert_string_equal(got, CASE4 "|" CASE1 "|" CASE2 "|" CASE3); /* never evaluated */
    assert_int_equal(mark_all(fx->db, DB_CASES_CHANGED, "fp-A"), 4);
    select_cases(fx->db, DB_CASES_CHANGED, "fp-A", NULL, got, sizeof got);
    assert_string_equal(got, "");

    /* The same record again changes nothing. */
    const char *same[] = {base_records[8], NULL};
    ingest(fx->db, same);
    select_cases(fx->db, DB_CASES_CHANGED, "fp-A", NULL, got, sizeof got);
    assert_string_equal(got, "");

    /* A changed case, and a case that gains an event, are changed. */
    ingest(fx->db, case1_and_case3_change);
    select_cases(fx->db, DB_CASES_CHANGED, "fp-A", NULL, got, sizeof got);
    assert_string_equal(got, CASE1 "|" CASE3);
    select_cases(fx->db, DB_CASES_CHANGED, "fp-A", "粤0703", got, sizeof got);
    assert_string_equal(got, CASE1);
    assert_int_equal(mark_all(fx->db, DB_CASES_CHANGED, "fp-A"), 2);
    select_cases(fx->db, DB_CASES_CHANGED, "fp-A", NULL, got, sizeof got);
    assert_string_equal(got, "");

    /* Other rule versions: everything is changed. NULL ignores versions. */
    select_cases(fx->db, DB_CASES_CHANGED, "fp-B", NULL, got, sizeof got);
    assert_string_equal(got, CASE4 "|" CASE1 "|" CASE2 "|" CASE3);
    select_cases(fx->db, DB_CASES_CHANGED, NULL, NULL, got, sizeof got);
    assert_string_equal(got, "");
}

static void two_iterators_of_one_kind_coexist(void **state)
{
    fixture *fx = *state;
    db_case_iter *a, *b;
    cr_err err;
    assert_int_equal(db_case_iter_open(fx->db, DB_CASES_ALL, NULL, NULL, NULL, &a, &err), CR_OK);
    assert_int_equal(db_case_iter_open(fx->db, DB_CASES_ALL, NULL, NULL, "京", &b, &err), CR_OK);
    int has_row;
    const char *case_no, *court, *doc, *events;
    int64_t changed;
    assert_int_equal(
        db_case_iter_next(a, &has_row, &case_no, &court, &doc, &events, &changed, &err), CR_OK);
    assert_string_equal(case_no, CASE3);
    assert_int_equal(
        db_case_iter_next(b, &has_row, &case_no, &court, &doc, &events, &changed, &err), CR_OK);
    assert_string_equal(case_no, CASE4);
    assert_int_equal(
        db_case_iter_next(a, &has_row, &case_no, &court, &doc, &events, &changed, &err), CR_OK);
    assert_string_equal(case_no, CASE1);
    db_case_iter_close(b);
    db_case_iter_close(a);
    char got[512];
    select_cases(fx->db, DB_CASES_ALL, NULL, NULL, got, sizeof got);
    assert_string_equal(got, CASE3 "|" CASE1 "|" CASE4 "|" CASE2);
}

/* ---- writing ---- */

/* Reading is paged (1000 cases a page) so no read transaction spans a whole
 * evaluation; pages must join up without losing or repeating a case, also
 * when cases drop out of the "changed" selection as they are evaluated. */
static void case_iteration_pages_through_many_cases(void **state)
{
    fixture *fx = *state;
    enum { N = 2345 };
    static char text[N][160];
    static const char *lines[N + 1];
    for (int i = 0; i < N; i++) {
        snprintf(text[i], sizeof text[i],
                 "{\"type\":\"case\",\"case_no\":\"(2025)粤0703民初%d号\","
                 "\"filing_date\":\"2025-01-02\",\"status\":\"在办\"}",
                 i + 1);
        lines[i] = text[i];
    }
    lines[N] = NULL;
    ingest(fx->db, lines);
    int64_t total = scalar(fx->db, "SELECT count(*) FROM cases");
    /* 0: all; 1: changed (never evaluated); 2: changed from the mark, with
     * other rules (every case a candidate, slice after slice, read ahead). */
    static const char *const fps[] = {NULL, "fp", "fp-new"};
    for (int changed = 0; changed < 3; changed++) {
        db_case_iter *it;
        cr_err err;
        enum db_case_select sel = changed == 2 ? DB_CASES_CHANGED_AFTER
                                  : changed    ? DB_CASES_CHANGED
                                               : DB_CASES_ALL;
        assert_int_equal(db_case_iter_open(fx->db, sel, fps[changed], NULL, NULL, &it, &err),
                         CR_OK);
        if (sel == DB_CASES_CHANGED_AFTER)
            db_case_iter_after(it, 0);
        int64_t run = changed ? open_run(fx->db) : 0, n = 0;
        static char seen[N + 1];
        memset(seen, 0, sizeof seen);
        for (;;) {
            int has_row;
            const char *case_no, *court, *doc, *events;
            int64_t batch;
            assert_int_equal(
                db_case_iter_next(it, &has_row, &case_no, &court, &doc, &events, &batch, &err),
                CR_OK);
            if (!has_row)
                break;
            /* every case once: none lost, none repeated across pages */
            if (strncmp(case_no, "(2025)", 6) == 0) { /* not the fixture's own cases */
                int k = atoi(case_no + strlen("(2025)粤0703民初"));
                assert_true(k >= 1 && k <= N);
                assert_false(seen[k]);
                seen[k] = 1;
            }
            n++;
            if (changed) { /* evaluated cases leave the selection while it is read */
                assert_int_equal(db_begin(fx->db, &err), CR_OK);
                assert_int_equal(db_eval_put_evaluation(fx->db, run, case_no, batch, fps[changed],
                                                        "2025-06-30", 0, "[]", &err),
                                 CR_OK);
                assert_int_equal(db_commit(fx->db, &err), CR_OK);
            }
        }
        db_case_iter_close(it);
        assert_int_equal(n, total);
    }
    assert_int_equal(scalar(fx->db, "SELECT count(*) FROM evaluations"), total);
}

static void put_evaluation_replaces_the_previous_one(void **state)
{
    fixture *fx = *state;
    cr_err err;
    int64_t run1 = open_run(fx->db), run2 = open_run(fx->db);
    const char *first = "[{\"rule_set\":\"national\",\"rule\":\"four_category\","
                        "\"rule_version\":\"2021.1\",\"rule_set_sha\":\"sha-1\","
                        "\"status\":\"failed\",\"result\":null,"
                        "\"reason\":\"attempt to index a nil value\",\"duration_us\":12}]";
    const char *second = "[{\"rule_set\":\"national\",\"rule\":\"four_category\","
                         "\"rule_version\":\"2021.1\",\"rule_set_sha\":\"sha-2\","
                         "\"status\":\"ok\",\"result\":{\"categories\":[\"群体性\"]},"
                         "\"reason\":null,\"duration_us\":9}]";
    assert_int_equal(
        db_eval_put_evaluation(fx->db, run1, CASE1, 1, "fp-A", "2024-06-30", 0, first, &err),
        CR_OK);
    assert_int_equal(
        db_eval_put_evaluation(fx->db, run2, CASE1, 1, "fp-B", "2024-07-31", 0, second, &err),
        CR_OK);
    /* One row per case, with the later run's values. */
    assert_int_equal(scalar(fx->db, "SELECT count(*) FROM evaluations"), 1);
    text_equal(fx->db,
               "SELECT case_no || '|' || run_id || '|' || rules_fingerprint || '|' || as_of"
               " || '|' || evaluated_batch FROM evaluations",
               CASE1 "|2|fp-B|2024-07-31|1");
    text_equal(fx->db, "SELECT results FROM evaluations", second);
    assert_int_equal(scalar(fx->db, "SELECT evaluated_at IS NOT NULL FROM evaluations"), 1);
    /* Another case gets its own row. */
    assert_int_equal(
        db_eval_put_evaluation(fx->db, run2, CASE2, 1, "fp-B", "2024-07-31", 0, "[]", &err), CR_OK);
    assert_int_equal(scalar(fx->db, "SELECT count(*) FROM evaluations"), 2);
    /* A case not in the database is refused by the schema, with the case
     * named; the stored rows are unchanged. */
    assert_int_equal(db_eval_put_evaluation(fx->db, run2, "(2024)粤0703民初999号", 1, "fp-B",
                                            "2024-07-31", 0, "[]", &err),
                     CR_FAIL);
    assert_non_null(strstr(err.msg, "(2024)粤0703民初999号"));
    /* So is a missing fingerprint. */
    assert_int_equal(
        db_eval_put_evaluation(fx->db, run2, CASE1, 1, NULL, "2024-07-31", 0, first, &err),
        CR_FAIL);
    assert_non_null(strstr(err.msg, CASE1));
    assert_int_equal(scalar(fx->db, "SELECT count(*) FROM evaluations"), 2);
    text_equal(fx->db,
               "SELECT rules_fingerprint || '|' || results FROM evaluations WHERE case_no = '" CASE1
               "'",
               "fp-B|" /* second */
               "[{\"rule_set\":\"national\",\"rule\":\"four_category\","
               "\"rule_version\":\"2021.1\",\"rule_set_sha\":\"sha-2\","
               "\"status\":\"ok\",\"result\":{\"categories\":[\"群体性\"]},"
               "\"reason\":null,\"duration_us\":9}]");
}

static void alert_with_the_same_dedup_key_is_repeated_not_duplicated(void **state)
{
    fixture *fx = *state;
    int64_t run1 = open_run(fx->db), run2 = open_run(fx->db);
    db_alert a = alert_for("four_category|4C-MASS|" CASE1, "4C-MASS", "粤0703", CASE1);
    assert_int_equal(put_alert(fx->db, run1, &a), DB_ALERT_CREATED);
    assert_int_equal(put_alert(fx->db, run1, &a), DB_ALERT_REPEATED);
    a.message = "当事人人数众多（12人）";
    assert_int_equal(put_alert(fx->db, run2, &a), DB_ALERT_REPEATED);
    assert_int_equal(scalar(fx->db, "SELECT count(*) FROM alerts"), 1);
    text_equal(fx->db, "SELECT status || run_id || message FROM alerts",
               "open2当事人人数众多（12人）");
    /* An acknowledged alert stays acknowledged when it fires again. */
    assert_int_equal(
        sqlite3_exec(db_handle(fx->db), "UPDATE alerts SET status = 'acked'", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(put_alert(fx->db, open_run(fx->db), &a), DB_ALERT_REPEATED);
    text_equal(fx->db, "SELECT status FROM alerts", "acked");
}

static void stale_alert_is_resolved_and_reopens_when_it_fires_again(void **state)
{
    fixture *fx = *state;
    cr_err err;
    int64_t resolved = -1;
    int64_t run1 = open_run(fx->db);
    db_alert a = alert_for("k1", "4C-MASS", "粤0703", CASE1);
    db_alert other_rule = alert_for("k2", "TL-OVER", "粤0703", CASE1);
    other_rule.rule = "time_limit";
    db_alert court_level = alert_for("k3", "RULE-QUARANTINED", "粤0703", NULL);
    db_alert other_case = alert_for("k4", "4C-MASS", "粤0703", CASE2);
    put_alert(fx->db, run1, &a);
    put_alert(fx->db, run1, &other_rule);
    put_alert(fx->db, run1, &court_level);
    put_alert(fx->db, run1, &other_case);
    const char *both = "[\"national/four_category\",\"national/time_limit\"]";
    /* Seen in this run: nothing to resolve. */
    assert_int_equal(db_eval_resolve_stale(fx->db, run1, CASE1, "[]", &resolved, &err), CR_OK);
    assert_int_equal(resolved, 0);
    /* Run 2: both rules failed (kept), so nothing is resolved. */
    int64_t run2 = open_run(fx->db);
    assert_int_equal(db_eval_resolve_stale(fx->db, run2, CASE1, both, &resolved, &err), CR_OK);
    assert_int_equal(resolved, 0);
    /* Run 2 does not see k1 and its rule is not kept: resolved. time_limit
     * failed this time (kept): its alert stays open. Neither the court-level
     * alert nor another case's alert of the same rule is touched. */
    assert_int_equal(
        db_eval_resolve_stale(fx->db, run2, CASE1, "[\"national/time_limit\"]", &resolved, &err),
        CR_OK);
    assert_int_equal(resolved, 1);
    text_equal(fx->db, "SELECT status FROM alerts WHERE dedup_key = 'k1'", "resolved");
    assert_int_equal(
        scalar(fx->db, "SELECT resolved_at IS NOT NULL FROM alerts WHERE dedup_key = 'k1'"), 1);
    text_equal(fx->db, "SELECT status FROM alerts WHERE dedup_key = 'k2'", "open");
    text_equal(fx->db, "SELECT status FROM alerts WHERE dedup_key = 'k3'", "open");
    text_equal(fx->db, "SELECT status FROM alerts WHERE dedup_key = 'k4'", "open");
    /* Resolving twice changes nothing. */
    assert_int_equal(
        db_eval_resolve_stale(fx->db, run2, CASE1, "[\"national/time_limit\"]", &resolved, &err),
        CR_OK);
    assert_int_equal(resolved, 0);
    /* Names match exactly: near misses keep nothing, so k2 resolves now --
     * as it does when time_limit runs OK, or no longer applies, without
     * raising k2. */
    assert_int_equal(db_eval_resolve_stale(fx->db, run2, CASE1,
                                           "[\"national/time\",\"national\",\"time_limit\"]",
                                           &resolved, &err),
                     CR_OK);
    assert_int_equal(resolved, 1);
    text_equal(fx->db, "SELECT status FROM alerts WHERE dedup_key = 'k2'", "resolved");
    /* An acknowledged alert is resolved too. */
    assert_int_equal(sqlite3_exec(db_handle(fx->db),
                                  "UPDATE alerts SET status = 'acked' WHERE dedup_key = 'k4'", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(db_eval_resolve_stale(fx->db, run2, CASE2, "[]", &resolved, &err), CR_OK);
    assert_int_equal(resolved, 1);
    text_equal(fx->db, "SELECT status FROM alerts WHERE dedup_key = 'k4'", "resolved");
    text_equal(fx->db, "SELECT status FROM alerts WHERE dedup_key = 'k3'", "open");
    /* Run 3 sees k1 again: reopened, same row. */
    int64_t run3 = open_run(fx->db);
    assert_int_equal(put_alert(fx->db, run3, &a), DB_ALERT_REOPENED);
    text_equal(fx->db, "SELECT status FROM alerts WHERE dedup_key = 'k1'", "open");
    text_equal(fx->db, "SELECT resolved_at FROM alerts WHERE dedup_key = 'k1'", NULL);
    assert_int_equal(scalar(fx->db, "SELECT count(*) FROM alerts"), 4);
    assert_int_equal(put_alert(fx->db, run3, &a), DB_ALERT_REPEATED);
    /* ... and, seen in run 3, is not resolved by it. */
    assert_int_equal(db_eval_resolve_stale(fx->db, run3, CASE1, "[]", &resolved, &err), CR_OK);
    assert_int_equal(resolved, 0);
    text_equal(fx->db, "SELECT status FROM alerts WHERE dedup_key = 'k1'", "open");
}

static void rule_is_quarantined_after_threshold_consecutive_failures(void **state)
{
    fixture *fx = *state;
    cr_err err;
    char reason[256];
    int q = -1, released = -1;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(db_eval_rule_health(fx->db, "粤", "slow", 0, 3, "deadline", &q, &err),
                         CR_OK);
        assert_int_equal(q, 0);
    }
    assert_int_equal(db_eval_is_quarantined(fx->db, "粤", "slow", reason, sizeof reason, &err), 0);
    /* A success resets the count: two more failures still do not quarantine. */
    assert_int_equal(db_eval_rule_health(fx->db, "粤", "slow", 1, 3, NULL, &q, &err), CR_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(db_eval_rule_health(fx->db, "粤", "slow", 0, 3, "deadline", &q, &err),
                         CR_OK);
        assert_int_equal(q, 0);
    }
    assert_int_equal(db_eval_rule_health(fx->db, "粤", "slow", 0, 3, "wall-clock budget", &q, &err),
                     CR_OK);
    assert_int_equal(q, 1);
    assert_int_equal(db_eval_is_quarantined(fx->db, "粤", "slow", reason, sizeof reason, &err), 1);
    assert_non_null(strstr(reason, "3 consecutive failures"));
    assert_non_null(strstr(reason, "wall-clock budget"));
    /* Only the first time reports quarantined; the reason is kept. */
    assert_int_equal(db_eval_rule_health(fx->db, "粤", "slow", 0, 3, "again", &q, &err), CR_OK);
    assert_int_equal(q, 0);
    assert_int_equal(db_eval_is_quarantined(fx->db, "粤", "slow", reason, sizeof reason, &err), 1);
    assert_non_null(strstr(reason, "wall-clock budget"));
    /* Other rules are unaffected. */
    assert_int_equal(db_eval_is_quarantined(fx->db, "粤", "fast", reason, sizeof reason, &err), 0);
    /* Release, then it takes three failures again. */
    assert_int_equal(db_eval_release(fx->db, "粤", "slow", &released, &err), CR_OK);
    assert_int_equal(released, 1);
    assert_int_equal(db_eval_is_quarantined(fx->db, "粤", "slow", reason, sizeof reason, &err), 0);
    assert_int_equal(db_eval_release(fx->db, "粤", "slow", &released, &err), CR_OK);
    assert_int_equal(released, 0);
    assert_int_equal(db_eval_rule_health(fx->db, "粤", "slow", 0, 3, "x", &q, &err), CR_OK);
    assert_int_equal(q, 0);
    /* threshold 0 never quarantines. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(db_eval_rule_health(fx->db, "粤", "other", 0, 0, "x", &q, &err), CR_OK);
    assert_int_equal(q, 0);
}

/* ---- reading back ---- */

static size_t count_alerts(cr_db *db, db_alert_filter f)
{
    cr_err err;
    json_t *alerts = NULL;
    if (db_eval_alerts(db, &f, &alerts, &err) != CR_OK)
        fail_msg("%s", err.msg);
    size_t n = json_array_size(alerts);
    json_decref(alerts);
    return n;
}

static void alerts_filter_by_court_code_status_since_case_and_limit(void **state)
{
    fixture *fx = *state;
    cr_err err;
    int64_t run = open_run(fx->db), resolved;
    db_alert a1 = alert_for("k1", "4C-MASS", "粤0703", CASE1);
    db_alert a2 = alert_for("k2", "4C-NEW", "粤0704", CASE3);
    db_alert a3 = alert_for("k3", "TL-OVER", "京0105", CASE4);
    a3.severity = "critical";
    a3.rule = "time_limit";
    a3.data_json = NULL;
    a3.basis = NULL;
    put_alert(fx->db, run, &a1);
    put_alert(fx->db, run, &a2);
    put_alert(fx->db, run, &a3);
    assert_int_equal(db_eval_resolve_stale(fx->db, open_run(fx->db), CASE3, "[]", &resolved, &err),
                     CR_OK);
    assert_int_equal(resolved, 1);

    assert_int_equal(count_alerts(fx->db, (db_alert_filter){0}), 3);
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.court_prefix = "粤07"}), 2);
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.court_prefix = "粤0703"}), 1);
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.court_prefix = "沪"}), 0);
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.code = "4C-*"}), 2);
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.code = "4C-MASS"}), 1);
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.code = "4C-"}), 0); /* exact */
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.code = "*"}), 3);
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.status = "open"}), 2);
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.status = "resolved"}), 1);
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.status = "acked"}), 0);
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.since = "2000-01-01"}), 3);
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.since = "2999-01-01"}), 0);
    assert_int_equal(count_alerts(fx->db, (db_alert_filter){.case_no = CASE4}), 1);
    assert_int_equal(
        count_alerts(fx->db,
                     (db_alert_filter){.court_prefix = "粤", .code = "4C-*", .status = "open"}),
        1);

    /* Newest first; limit; every column, data parsed. */
    json_t *alerts = NULL;
    db_alert_filter one = {.limit = 1};
    assert_int_equal(db_eval_alerts(fx->db, &one, &alerts, &err), CR_OK);
    assert_int_equal(json_array_size(alerts), 1);
    json_t *newest = json_array_get(alerts, 0);
    assert_string_equal(json_string_value(json_object_get(newest, "dedup_key")), "k3");
    assert_true(json_is_null(json_object_get(newest, "data")));
    assert_true(json_is_null(json_object_get(newest, "resolved_at")));
    json_decref(alerts);
    db_alert_filter mass = {.code = "4C-MASS"};
    assert_int_equal(db_eval_alerts(fx->db, &mass, &alerts, &err), CR_OK);
    json_t *first = json_array_get(alerts, 0);
    static const char *const keys[] = {
        "id",   "dedup_key", "rule_set", "rule",       "rule_version", "rule_set_sha",
        "code", "severity",  "court",    "case_no",    "message",      "basis",
        "data", "status",    "as_of",    "created_at", "last_seen_at", "resolved_at"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_object_get(first, keys[i]))
            fail_msg("alert object lacks '%s'", keys[i]);
    assert_true(json_is_integer(json_object_get(first, "id")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(first, "data"), "parties")),
                     12);
    assert_string_equal(json_string_value(json_object_get(first, "basis")),
                        "法发〔2021〕30号 四(一)");
    json_decref(alerts);
}

static void explain_of_an_unknown_case_is_invalid(void **state)
{
    fixture *fx = *state;
    cr_err err;
    json_t *out = (json_t *)1;
    assert_int_equal(db_eval_explain(fx->db, "(2024)粤0703民初999号", &out, &err), CR_INVALID);
    assert_null(out);
    assert_non_null(strstr(err.msg, "(2024)粤0703民初999号 is not in the database"));
}

static void explain_returns_case_events_results_alerts_failures(void **state)
{
    fixture *fx = *state;
    cr_err err;
    json_t *out = NULL;
    /* Never evaluated: empty lists, "evaluated" null. */
    assert_int_equal(db_eval_explain(fx->db, CASE2, &out, &err), CR_OK);
    assert_true(json_is_null(json_object_get(out, "evaluated")));
    assert_int_equal(json_array_size(json_object_get(out, "results")), 0);
    json_decref(out);

    assert_int_equal(db_eval_rule_set(fx->db, "sha-national", "national", "*", "{}", NULL, &err),
                     CR_OK);
    assert_int_equal(db_eval_rule_set(fx->db, "sha-yue", "粤", "粤", "{}", NULL, &err), CR_OK);
    assert_int_equal(db_eval_rule_set(fx->db, "sha-yue", "粤", "粤", "{}", NULL, &err), CR_OK);
    assert_int_equal(scalar(fx->db, "SELECT count(*) FROM rule_sets"), 2);
    int64_t run = open_run(fx->db);
    /* Written narrow rule set first; explain keeps the stored order. */
    const char *results_json =
        "[{\"rule_set\":\"粤\",\"rule\":\"local\",\"rule_version\":\"1\","
        "\"rule_set_sha\":\"sha-yue\",\"status\":\"failed\",\"result\":null,"
        "\"reason\":\"attempt to index a nil value\",\"duration_us\":40},"
        "{\"rule_set\":\"national\",\"rule\":\"four_category\",\"rule_version\":\"2021.1\","
        "\"rule_set_sha\":\"sha-national\",\"status\":\"ok\","
        "\"result\":{\"categories\":[\"群体性\"]},\"reason\":null,\"duration_us\":7}]";
    db_alert a = alert_for("k1", "4C-MASS", "粤0703", CASE1);
    put_alert(fx->db, run, &a);
    assert_int_equal(db_eval_put_failure(fx->db, run, "粤", "local", CASE1, "error",
                                         "attempt to index a nil value", &err),
                     CR_OK);
    assert_int_equal(
        db_eval_put_evaluation(fx->db, run, CASE1, 1, "fp-A", "2024-06-30", 0, results_json, &err),
        CR_OK);

    assert_int_equal(db_eval_explain(fx->db, "（2024）粤0703民初1号", &out, &err), CR_OK);
    json_t *kase = json_object_get(out, "case");
    assert_string_equal(json_string_value(json_object_get(kase, "case_no")), CASE1);
    assert_string_equal(json_string_value(json_object_get(kase, "court")), "粤0703");
    json_t *events = json_object_get(out, "events");
    assert_int_equal(json_array_size(events), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "id")), "E-b");
    json_t *evaluated = json_object_get(out, "evaluated");
    assert_string_equal(json_string_value(json_object_get(evaluated, "as_of")), "2024-06-30");
    assert_string_equal(json_string_value(json_object_get(evaluated, "rules_fingerprint")), "fp-A");
    assert_int_equal(json_integer_value(json_object_get(evaluated, "evaluated_batch")), 1);
    assert_true(json_is_false(json_object_get(evaluated, "case_changed_since")));
    assert_int_equal(json_integer_value(json_object_get(evaluated, "run_id")), run);
    const char *evaluated_at = json_string_value(json_object_get(evaluated, "evaluated_at"));
    assert_non_null(evaluated_at);
    json_t *results = json_object_get(out, "results");
    assert_int_equal(json_array_size(results), 2);
    json_t *r0 = json_array_get(results, 0), *r1 = json_array_get(results, 1);
    assert_string_equal(json_string_value(json_object_get(r0, "rule_set")), "粤");
    assert_string_equal(json_string_value(json_object_get(r0, "rule")), "local");
    assert_string_equal(json_string_value(json_object_get(r0, "status")), "failed");
    assert_string_equal(json_string_value(json_object_get(r0, "reason")),
                        "attempt to index a nil value");
    assert_true(json_is_null(json_object_get(r0, "result")));
    assert_int_equal(json_integer_value(json_object_get(r0, "duration_us")), 40);
    assert_string_equal(json_string_value(json_object_get(r1, "rule_set")), "national");
    assert_string_equal(json_string_value(json_object_get(r1, "rule_set_sha")), "sha-national");
    assert_string_equal(json_string_value(json_object_get(r1, "status")), "ok");
    assert_true(json_is_array(json_object_get(json_object_get(r1, "result"), "categories")));
    assert_true(json_is_null(json_object_get(r1, "reason")));
    assert_int_equal(json_integer_value(json_object_get(r1, "duration_us")), 7);
    /* Each result gets the evaluation's as_of, evaluated_at and run_id. */
    for (size_t i = 0; i < 2; i++) {
        json_t *r = json_array_get(results, i);
        assert_string_equal(json_string_value(json_object_get(r, "as_of")), "2024-06-30");
        assert_string_equal(json_string_value(json_object_get(r, "evaluated_at")), evaluated_at);
        assert_int_equal(json_integer_value(json_object_get(r, "run_id")), run);
    }
    json_t *alerts = json_object_get(out, "alerts");
    assert_int_equal(json_array_size(alerts), 1);
    assert_true(json_is_object(json_object_get(json_array_get(alerts, 0), "data")));
    json_t *failures = json_object_get(out, "failures");
    assert_int_equal(json_array_size(failures), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(failures, 0), "kind")),
                        "error");
    json_decref(out);

    /* A later ingest that changes the case shows in "evaluated". */
    const char *change[] = {"{\"type\":\"case\",\"case_no\":\"" CASE1
                            "\",\"filing_date\":\"2024-03-01\","
                            "\"procedure\":\"普通\",\"status\":\"在办\"}",
                            NULL};
    ingest(fx->db, change);
    assert_int_equal(db_eval_explain(fx->db, CASE1, &out, &err), CR_OK);
    evaluated = json_object_get(out, "evaluated");
    assert_true(json_is_true(json_object_get(evaluated, "case_changed_since")));
    assert_int_equal(json_array_size(json_object_get(out, "results")), 2);
    json_decref(out);
}

/* The cases DB_CASES_CHANGED_AFTER yields for rules fp as of as_of, from
 * the mark at batch after, "|"-separated into out. */
static void select_after(cr_db *db, const char *fp, const char *as_of, int64_t after, char *out,
                         size_t len)
{
    db_case_iter *it;
    cr_err err;
    if (db_case_iter_open(db, DB_CASES_CHANGED_AFTER, fp, as_of, NULL, &it, &err) != CR_OK)
        fail_msg("%s", err.msg);
    db_case_iter_after(it, after);
    collect_cases(it, out, len);
}

/* From the evaluation mark, --changed finds the same cases as by reading
 * every case's state: those changed after the mark's batch that are not
 * current, and date-dependent ones of another as-of date. */
static void changed_after_the_mark_matches_the_full_selection(void **state)
{
    fixture *fx = *state;
    cr_err err;
    char got[512];
    int64_t mark = 0;
    assert_int_equal(mark_all(fx->db, DB_CASES_CHANGED, "fp-A"), 4);
    int64_t batch = scalar(fx->db, "SELECT max(id) FROM batches");
    select_after(fx->db, "fp-A", "2024-06-30", batch, got, sizeof got);
    assert_string_equal(got, "");
    ingest(fx->db, case1_and_case3_change);
    /* in storage order, as a full run reads them: CASE3 was stored first */
    select_after(fx->db, "fp-A", "2024-06-30", batch, got, sizeof got);
    assert_string_equal(got, CASE3 "|" CASE1);
    select_after(fx->db, "fp-A", "2024-06-30", 0, got, sizeof got); /* all are candidates */
    assert_string_equal(got, CASE3 "|" CASE1);
    select_after(fx->db, "fp-B", "2024-06-30", batch, got, sizeof got); /* a candidate's rules */
    assert_string_equal(got, CASE3 "|" CASE1);
    /* A date-dependent evaluation is a candidate on another as-of date only. */
    int64_t run = open_run(fx->db);
    assert_int_equal(
        db_eval_put_evaluation(fx->db, run, CASE2, 1, "fp-A", "2024-06-30", 1, "[]", &err), CR_OK);
    select_after(fx->db, "fp-A", "2024-06-30", batch, got, sizeof got);
    assert_string_equal(got, CASE3 "|" CASE1);
    select_after(fx->db, "fp-A", "2024-07-31", batch, got, sizeof got);
    assert_string_equal(got, CASE3 "|" CASE1 "|" CASE2);
    /* The mark: per rules fingerprint; cleared by -1. */
    assert_int_equal(db_eval_mark_get(fx->db, "fp-A", &mark, &err), CR_OK);
    assert_int_equal(mark, -1);
    assert_int_equal(db_eval_mark_set(fx->db, "fp-A", batch, &err), CR_OK);
    assert_int_equal(db_eval_mark_get(fx->db, "fp-A", &mark, &err), CR_OK);
    assert_int_equal(mark, batch);
    assert_int_equal(db_eval_mark_get(fx->db, "fp-B", &mark, &err), CR_OK);
    assert_int_equal(mark, -1);
    assert_int_equal(db_eval_mark_set(fx->db, NULL, -1, &err), CR_OK);
    assert_int_equal(db_eval_mark_get(fx->db, "fp-A", &mark, &err), CR_OK);
    assert_int_equal(mark, -1);
}

/* No evaluation can be current -- --changed then reads every case as a full
 * run does -- when nothing is evaluated yet, or when the mark names other
 * rules; a cleared mark with evaluations stored says nothing. */
static void no_evaluation_current_without_results_or_under_another_mark(void **state)
{
    fixture *fx = *state;
    cr_err err;
    int all = -1;
    assert_int_equal(db_eval_none_current(fx->db, "fp-A", &all, &err), CR_OK);
    assert_int_equal(all, 1); /* nothing evaluated */
    assert_int_equal(mark_all(fx->db, DB_CASES_CHANGED, "fp-A"), 4);
    assert_int_equal(db_eval_none_current(fx->db, "fp-A", &all, &err), CR_OK);
    assert_int_equal(all, 0); /* no mark: the evaluations may be current */
    assert_int_equal(db_eval_mark_set(fx->db, "fp-A", 1, &err), CR_OK);
    assert_int_equal(db_eval_none_current(fx->db, "fp-A", &all, &err), CR_OK);
    assert_int_equal(all, 0);
    assert_int_equal(db_eval_none_current(fx->db, "fp-B", &all, &err), CR_OK);
    assert_int_equal(all, 1); /* the last run over every case had fp-A */
    assert_int_equal(db_eval_mark_set(fx->db, NULL, -1, &err), CR_OK);
    assert_int_equal(db_eval_none_current(fx->db, "fp-B", &all, &err), CR_OK);
    assert_int_equal(all, 0); /* cleared: some cases may have fp-B */
}

/* Results stored by rule_versions id come back from explain, and from the
 * evaluation_results view, in the same form as rows stored verbose. */
static void stored_results_expand_in_explain_and_the_view(void **state)
{
    fixture *fx = *state;
    cr_err err;
    int64_t run = open_run(fx->db), a = 0, b = 0, again = 0;
    assert_int_equal(db_eval_rule_version(fx->db, "national", "triage", "2026.1", &a, &err), CR_OK);
    assert_int_equal(db_eval_rule_version(fx->db, "粤", "本地", "1", &b, &err), CR_OK);
    assert_int_equal(db_eval_rule_version(fx->db, "national", "triage", "2026.1", &again, &err),
                     CR_OK);
    assert_true(a > 0 && b > 0 && a != b);
    assert_int_equal(again, a); /* a known version keeps its id */
    char stored[512];
    snprintf(stored, sizeof stored,
             "[{\"r\":%lld,\"v\":{\"recommended\":\"简易\"},\"log\":[\"x\"],\"us\":7},"
             "{\"r\":%lld,\"status\":\"failed\",\"reason\":\"boom\",\"us\":3}]",
             (long long)a, (long long)b);
    assert_int_equal(
        db_eval_put_evaluation(fx->db, run, CASE1, 1, "fp", "2024-06-30", 0, stored, &err), CR_OK);
    json_t *out;
    assert_int_equal(db_eval_explain(fx->db, CASE1, &out, &err), CR_OK);
    json_t *results = json_object_get(out, "results");
    assert_int_equal(json_array_size(results), 2);
    json_t *ok = json_array_get(results, 0), *failed = json_array_get(results, 1);
    assert_string_equal(json_string_value(json_object_get(ok, "rule_set")), "national");
    assert_string_equal(json_string_value(json_object_get(ok, "rule")), "triage");
    assert_string_equal(json_string_value(json_object_get(ok, "rule_version")), "2026.1");
    assert_string_equal(json_string_value(json_object_get(ok, "status")), "ok");
    char *result = json_dumps(json_object_get(ok, "result"), JSON_COMPACT);
    assert_string_equal(result, "{\"value\":{\"recommended\":\"简易\"},\"log\":[\"x\"]}");
    free(result);
    assert_int_equal(json_integer_value(json_object_get(ok, "duration_us")), 7);
    assert_string_equal(json_string_value(json_object_get(failed, "rule")), "本地");
    assert_string_equal(json_string_value(json_object_get(failed, "status")), "failed");
    assert_true(json_is_null(json_object_get(failed, "result")));
    assert_string_equal(json_string_value(json_object_get(failed, "reason")), "boom");
    assert_string_equal(json_string_value(json_object_get(ok, "as_of")), "2024-06-30");
    json_decref(out);
    text_equal(fx->db,
               "SELECT group_concat(rule_set || '/' || rule || '@' || rule_version || ' ' || status"
               " || ' ' || coalesce(value, '-') || ' ' || coalesce(log, '-') || ' '"
               " || coalesce(reason, '-') || ' ' || duration_us, '; ') FROM evaluation_results",
               "national/triage@2026.1 ok {\"recommended\":\"简易\"} [\"x\"] - 7; "
               "粤/本地@1 failed - - boom 3");
    /* A row stored verbose (before migration 10) reads the same way. */
    assert_int_equal(
        db_eval_put_evaluation(
            fx->db, run, CASE2, 1, "fp", "2024-06-30", 0,
            "[{\"rule_set\":\"national\",\"rule\":\"triage\",\"rule_version\":"
            "\"2025.1\",\"status\":\"ok\",\"result\":{\"value\":1},\"duration_us\":5}]",
            &err),
        CR_OK);
    text_equal(fx->db,
               "SELECT rule_set || '/' || rule || '@' || rule_version || ' ' || status || ' ' ||"
               " value || ' ' || duration_us FROM evaluation_results WHERE case_no = '" CASE2 "'",
               "national/triage@2025.1 ok 1 5");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(case_iteration_selects_all_one_and_by_court_prefix),
        T(case_iteration_yields_events_in_time_order),
        T(changed_cases_follow_ingest_and_fingerprint),
        T(two_iterators_of_one_kind_coexist),
        T(case_iteration_pages_through_many_cases),
        T(put_evaluation_replaces_the_previous_one),
        T(alert_with_the_same_dedup_key_is_repeated_not_duplicated),
        T(stale_alert_is_resolved_and_reopens_when_it_fires_again),
        T(rule_is_quarantined_after_threshold_consecutive_failures),
        T(alerts_filter_by_court_code_status_since_case_and_limit),
        T(explain_of_an_unknown_case_is_invalid),
        T(explain_returns_case_events_results_alerts_failures),
        T(stored_results_expand_in_explain_and_the_view),
        T(changed_after_the_mark_matches_the_full_selection),
        T(no_evaluation_current_without_results_or_under_another_mark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
