/*
 * eval.h -- evaluating stored cases against the rule sets in scope.
 *
 * For each case: every applicable rule's on_case(case, ctx) runs in its rule
 * set's sandbox; its result, the alerts it raised, its failure if any, and
 * the rule set's SHA-256, rule version, as-of date and duration are stored in
 * batched transactions. A case counts as evaluated only after its batch
 * commits. Open alerts a rule no longer raises are resolved. A rule that
 * fails quarantine_after times in a row is quarantined: skipped, recorded,
 * and raised as an alert of its own.
 */
#ifndef COURTRULES_EVAL_H
#define COURTRULES_EVAL_H

#include <stdint.h>

#include "db.h"
#include "calendar.h"
#include "db_eval.h"
#include "err.h"
#include "rules.h"

typedef struct eval_options {
    const char *as_of;           /* "YYYY-MM-DD" */
    enum db_case_select select;  /* all, one, changed */
    const char *case_no;         /* with DB_CASES_ONE */
    const char *court_prefix;    /* NULL = every court */
    int quarantine_after;        /* consecutive failures; 0 = 5 */
    int batch_cases;             /* cases per transaction; 0 = 20,000, or 2,000 for --changed (eval.c) */
    int progress;                /* progress line on stderr */
    int workers;                 /* worker threads (rule-set copies: eval_rule_copies); 0 = 1 */
    const char *actor;           /* for the audit entry */
    const calendar *cal;         /* holidays and 调休; NULL = Monday to Friday */
} eval_options;

typedef struct eval_summary {
    int64_t run_id;
    int64_t cases, courts, calls, failures;
    int64_t courts_current; /* --changed: courts whose evaluation was still current */
    int64_t alerts_created, alerts_repeated, alerts_reopened, alerts_resolved;
    int64_t quarantined, skipped_quarantined, load_failures;
    int64_t reruns; /* rule calls made again with the count hook (sandbox_call_replayable) */
    double seconds;
} eval_summary;

/* The host's Lua API for sandbox_new (adds nothing global: ctx is an argument). */
int eval_open_api(lua_State *L);

/* The copies of the rule sets a run with opt needs, each loaded on its own
 * (a lua_State is used by one thread only): one per worker (opt->workers,
 * at least 1), and one more for the court-level rules, which a thread of
 * their own runs alongside the cases, unless a single case is evaluated. */
int eval_rule_copies(const eval_options *opt);

/* Loads eval_rule_copies(opt) copies of the rules into rs (room for them;
 * EVAL_MAX_COPIES at most); on failure nothing stays loaded. */
#define EVAL_MAX_COPIES 65
cr_status eval_load_rules(const char *rules_dir, const char *plugins_dir, const eval_options *opt,
                          rule_sets **rs, cr_err *err);
void eval_free_rules(rule_sets **rs, const eval_options *opt);

/*
 * Evaluates the selected cases with the copies eval_load_rules loaded: the
 * calling thread reads cases and writes effects, the workers run the rules,
 * and the court-level rules run on their copy while the workers run the
 * cases (stored after the cases; the same results as run after them).
 * CR_INVALID if the copies differ or a --case is unknown; CR_FAIL on a
 * storage failure (cases committed before it stay evaluated).
 */
cr_status eval_run(cr_db *db, rule_sets **rs, const eval_options *opt, eval_summary *sum,
                   cr_err *err);

json_t *eval_summary_json(const eval_summary *sum);

struct eval_worker;
struct work_case;

/*
 * Evaluates one case with a worker the caller keeps across calls (see
 * eval_worker.h; initialised for opt->as_of on one copy of the rule sets)
 * and stores it as eval_run stores each case: a run of its own, the
 * quarantines in force, results, alerts, failures, stale alerts resolved,
 * the run's summary and audit entry, committed together after the run row.
 * wc holds the case as db_case_iter_next read it (case_no, court, doc,
 * events, changed_batch); on return it also holds the effects, for the
 * caller to report. CR_FAIL on a storage failure (nothing of the case is
 * stored then).
 */
cr_status eval_one(cr_db *db, struct eval_worker *w, struct work_case *wc,
                   const eval_options *opt, eval_summary *sum, cr_err *err);

#endif
