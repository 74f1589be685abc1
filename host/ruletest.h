/*
 * ruletest.h -- table-driven rule tests (`courtrules test`).
 *
 * A test file is rules/<set>/tests/<name>.lua (files starting with "_" are
 * helpers it may `require`, not tests). It is untrusted Lua like a rule: it
 * runs in a sandbox of its own and returns a plain table, read as JSON:
 *
 *   return {
 *     rule = "four_category", as_of = "2026-03-31", court = "粤0703",  -- defaults
 *     data = { { type = "court", code = ..., ... }, { type = "person", ... }, ... },
 *     cases = {
 *       { name = "...", rule = ..., as_of = ..., court = ...,           -- overrides
 *         case = { case_no = ..., ..., events = { { event = ..., at = ... } } },
 *         expect = { result = {...}, alerts = {...}, error = "text", log_contains = "text" } },
 *       { name = "...", court_code = "浙0102", data = { ... },        -- a court-level test
 *         expect = { ... } },
 *     },
 *   }
 *
 * Each case goes through record_parse as ingest does (with no reference
 * checks), its events too, so a rule sees what production sees. The rule is
 * the one rules_for_court picks for the court (the test's `court`, else the
 * case's) over every rule set of the rules directory, called with the
 * params rules_params_for_court gives and a production ctx. Then:
 *   expect.result        subset match: every key given must be equal,
 *                        recursively through objects; arrays compare whole;
 *   expect.alerts        exactly these alerts, in any order: codes, or tables
 *                        {code=, severity=, message_contains=, ...} matched as
 *                        subsets; {} means none;
 *   expect.error         the hook must fail with a reason containing the text;
 *   expect.log_contains  some ctx.log line contains the text.
 *   expect.not_applicable = true  the rule must not apply to the court (out of
 *                        scope, or switched off by a set's "disable").
 *
 * data (the file's, and a case's own added after it) is a list of records
 * as JSON Lines would give them (docs/records.md: courts, people, cases,
 * events, in that order), stored as `courtrules ingest` stores a file --
 * validated, references checked, a key once per list; a case's own list may
 * replace the file's records -- in a temporary database (removed at the
 * end) that ctx.query reads, through a query-only connection limited to
 * the rule set's scope as in eval. A bad record makes the file malformed,
 * named by its place ("data[3] (person 'P1'): in_quota: ..."). Without data
 * ctx.query raises "not available". The case under test is not stored.
 *
 * A court-level test gives court_code instead of case (and no court): the
 * rule's on_court runs on that court's record with its staffing, read from
 * the data as eval reads it; a court not in the data fails the test. A rule
 * without on_court in a court-level test, or without on_case in a case
 * test, fails the test.
 *
 * A court-level test may also give schedule = "name": the rule's schedule
 * of that name has its run(court, ctx) called instead of on_court, as
 * `courtrules schedule run-due` calls it (as_of standing for the fire date).
 */
#ifndef COURTRULES_RULETEST_H
#define COURTRULES_RULETEST_H

#include <jansson.h>

#include "calendar.h"
#include "err.h"

typedef struct ruletest_options {
    const char *dir;         /* a rules directory, a rule set's folder, its tests/ or one
                                test file; a set is resolved against its parent directory */
    const char *plugins_dir; /* where `require` also looks (may be NULL) */
    const calendar *cal;     /* holidays for ctx.date (may be NULL: Monday to Friday) */
    int coverage;            /* measure line coverage of the rule scripts under test */
    double min_coverage;     /* percent; a script below it fails the run */
    /* Called after each test case with its entry of report.tests (may be NULL). */
    void (*on_test)(void *ud, const json_t *test);
    void *ud;
} ruletest_options;

/*
 * Loads every rule set of the rules directory, reads and checks every test
 * file first, then runs the tests. On CR_OK *report (owned by the caller)
 * is:
 *   { "rules_dir": ..., "passed": n, "failed": n, "ok": bool,
 *     "tests": [ { "file", "rule_set", "rule", "name", "ok", "message",
 *                  "ran": "set/rule" or null, "court_code" (court-level tests) } ],
 *     "load_failures": [ { "file", "reason" } ],
 *     "coverage": { "min": pct, "ok": bool, "files": [ { "file", "lines",
 *                   "covered", "percent", "missed": [line, ...], "ok" } ] } }
 * where "ok" is false if a test failed or a script is below min_coverage.
 * A test that fails is not an error here. CR_INVALID names the file when
 * the directory, a manifest or a test file (its data included) is missing
 * or malformed (nothing has run then); CR_FAIL when out of memory or a
 * sandbox or the data's temporary database cannot be made.
 */
cr_status ruletest_run(const ruletest_options *opt, json_t **report, cr_err *err);

#endif
