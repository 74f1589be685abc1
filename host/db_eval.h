/*
 * db_eval.h -- storage of evaluation: runs, one results row per case, alerts,
 * failures and rule health (quarantine). Part of the storage module; the
 * tables are created by schema migration 2 in db.c (evaluations rebuilt as a
 * rowid table by migration 5).
 *
 * Evaluation writes happen inside db_begin()/db_commit(): a case counts as
 * evaluated only once its results and alerts are committed.
 */
#ifndef COURTRULES_DB_EVAL_H
#define COURTRULES_DB_EVAL_H

#include <jansson.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

/* ---- runs ---- */

/* Opens a run row: as_of "YYYY-MM-DD", scope a description ("all",
 * "court 粤07", "case …", "changed"). */
cr_status db_eval_run_open(cr_db *db, const char *as_of, const char *scope, int64_t *run_id,
                           cr_err *err);
cr_status db_eval_run_close(cr_db *db, int64_t run_id, const char *summary_json, cr_err *err);

/* Records a rule set version (idempotent by sha256); *is_new (may be NULL)
 * tells whether this version was seen for the first time. */
cr_status db_eval_rule_set(cr_db *db, const char *sha256, const char *name, const char *scope,
                           const char *manifest_json, int *is_new, cr_err *err);

/* The rule_versions id of a rule version, recorded on first use: stored
 * results name their rule by it (eval_worker.h, stored_json). */
cr_status db_eval_rule_version(cr_db *db, const char *rule_set, const char *rule,
                               const char *version, int64_t *id, cr_err *err);

/* ---- reading cases to evaluate ---- */

typedef struct db_case_iter db_case_iter;

enum db_case_select {
    DB_CASES_ALL,    /* every case (court_prefix may narrow it) */
    DB_CASES_ONE,    /* the case numbered `arg` (ASCII or full-width parentheses) */
    DB_CASES_CHANGED /* cases changed since their last evaluation, or never evaluated, or
                        evaluated with other rule versions (`arg` = rules fingerprint;
                        NULL: only changed or never evaluated cases), or whose rules read
                        the as-of date and were evaluated as of another date (`as_of`;
                        NULL: not this criterion) */
    ,
    DB_CASES_CHANGED_AFTER /* the same cases as DB_CASES_CHANGED, found without reading
                              every case's state: only cases changed in a batch after
                              `after_batch` and date-dependent ones are candidates. Valid
                              only while every case of batches up to after_batch has an
                              evaluation with these rules (db_eval_mark_get) */
};

/* Iterates cases -- DB_CASES_ALL in storage (rowid) order, the others in
 * case_no order -- a page of rows in memory at a time (each
 * page read in a read transaction of its own, closed before the first row
 * is returned, so an iterator never keeps the WAL from restarting).
 * court_prefix (may be NULL) keeps cases whose court code starts with it.
 * The iterator may stay open across the caller's writes and transactions on
 * the same cr_db; close it before db_close(). */
cr_status db_case_iter_open(cr_db *db, enum db_case_select sel, const char *arg, const char *as_of,
                            const char *court_prefix, db_case_iter **out, cr_err *err);
/* DB_CASES_CHANGED_AFTER's batch: call right after db_case_iter_open. */
void db_case_iter_after(db_case_iter *it, int64_t after_batch);
/* *has_row = 0 at the end. case_no, court and doc stay valid until the next call.
 * events_json is a JSON array text of the case's event docs in time order ("[]"
 * if none). */
cr_status db_case_iter_next(db_case_iter *it, int *has_row, const char **case_no,
                            const char **court, const char **doc, const char **events_json,
                            int64_t *changed_batch, cr_err *err);
void db_case_iter_close(db_case_iter *it);

/* ---- the evaluation mark ----
 *
 * meta 'eval_mark' = the last ingest batch B and the rules fingerprint F
 * such that every case changed in a batch up to B has an evaluation with
 * rules F as new as its data. A full run sets it; `--changed` with the
 * same rules finds its cases from it (DB_CASES_CHANGED_AFTER) and moves it
 * on; a partial run with other rules clears it. */

/* *batch = B, or -1 when there is no mark for these rules. */
cr_status db_eval_mark_get(cr_db *db, const char *fingerprint, int64_t *batch, cr_err *err);
/* Sets the mark (batch >= 0) or clears it (batch < 0). In the caller's transaction. */
cr_status db_eval_mark_set(cr_db *db, const char *fingerprint, int64_t batch, cr_err *err);
/* *all = 1 when no stored evaluation can have these rules: no case has an
 * evaluation, or the mark names other rules (any run that stores results
 * with these rules sets the mark to them or clears it). `--changed` then
 * has every case to evaluate, as a full run does. */
cr_status db_eval_none_current(cr_db *db, const char *fingerprint, int *all, cr_err *err);

/* ---- writing results ---- */

/*
 * Stores a case's evaluation, replacing the previous one: results_json is a
 * JSON array with one object per applicable rule, in evaluation order:
 * {rule_set, rule, rule_version, rule_set_sha, status ("ok", "failed",
 * "quarantined"), result (the stored value or null), reason (null unless
 * failed), duration_us}. changed_batch is the case's changed_batch as read;
 * the case counts as unchanged until a later ingest changes it.
 * date_dependent: some rule read the as-of date, so evaluating the case as
 * of another date may give another answer (`eval --changed` re-runs it).
 */
cr_status db_eval_put_evaluation(cr_db *db, int64_t run_id, const char *case_no,
                                 int64_t changed_batch, const char *rules_fingerprint,
                                 const char *as_of, int date_dependent, const char *results_json,
                                 cr_err *err);

typedef struct db_alert {
    const char *dedup_key;
    const char *rule_set, *rule, *rule_version, *rule_set_sha;
    const char *code, *severity, *court, *case_no; /* case_no NULL for court-level */
    const char *message, *basis, *data_json;       /* basis, data may be NULL */
    const char *as_of;
} db_alert;

typedef enum db_alert_outcome {
    DB_ALERT_CREATED,  /* new */
    DB_ALERT_REPEATED, /* already open: last_seen updated, no new alert */
    DB_ALERT_REOPENED  /* was resolved, fires again */
} db_alert_outcome;

/* Creates or refreshes an alert by dedup key, marking it seen in run_id.
 * A refresh keeps the alert's identity (rule set, rule, code, court, case,
 * created_at) and status (a resolved one reopens), and takes the new
 * version, sha, severity, message, basis, data and as_of. alert_id may be
 * NULL. */
cr_status db_eval_put_alert(cr_db *db, int64_t run_id, const db_alert *a, db_alert_outcome *outcome,
                            int64_t *alert_id, cr_err *err);

/* Stores a court's evaluation (its on_court results, same shape as a case's),
 * replacing the previous one. */
cr_status db_eval_put_court_evaluation(cr_db *db, int64_t run_id, const char *court,
                                       const char *rules_fingerprint, const char *as_of,
                                       const char *results_json, int64_t seen_batch, cr_err *err);

/* The id of the newest ingest batch (0 when none). */
cr_status db_eval_last_batch(cr_db *db, int64_t *batch, cr_err *err);

/* The codes (a JSON array) of the courts whose stored court evaluation was
 * made by these rules as of this date and saw every batch that wrote data of
 * the court or of a court under it: `eval --changed` need not run their
 * on_court rules again. */
cr_status db_eval_courts_current(cr_db *db, const char *rules_fingerprint, const char *as_of,
                                 json_t **current, cr_err *err);

/* As db_eval_resolve_stale, for the court-level alerts of a court (no case),
 * leaving the host's own RULE-QUARANTINED alerts to `rules release`. */
cr_status db_eval_resolve_stale_court(cr_db *db, int64_t run_id, const char *court,
                                      const char *kept_rules_json, int64_t *resolved, cr_err *err);

/* Calls fn with the rule name of every rule of rule_set that has open or
 * acked alerts. */
cr_status db_eval_rules_with_open_alerts(cr_db *db, const char *rule_set,
                                         void (*fn)(void *ud, const char *rule), void *ud,
                                         cr_err *err);

/* 1 if the case has an open or acked alert, 0 if not, -1 with err set. */
int db_eval_case_has_open_alerts(cr_db *db, const char *case_no, cr_err *err);

/* Resolves the case's open or acked alerts not raised again in run_id --
 * whether their rule ran and stayed quiet, no longer applies to the case, or
 * no longer exists -- except alerts of the rules in kept_rules_json (a JSON
 * array of "rule_set/rule": rules that failed or were skipped this time, so
 * nobody knows whether they still fire). *resolved receives how many. */
cr_status db_eval_resolve_stale(cr_db *db, int64_t run_id, const char *case_no,
                                const char *kept_rules_json, int64_t *resolved, cr_err *err);

/* Calls fn for every case that has an open or acked alert. */
cr_status db_eval_cases_with_open_alerts(cr_db *db, void (*fn)(void *ud, const char *case_no),
                                         void *ud, cr_err *err);

/* ---- failures and quarantine ---- */

cr_status db_eval_put_failure(cr_db *db, int64_t run_id, const char *rule_set, const char *rule,
                              const char *case_no, const char *kind, const char *reason,
                              cr_err *err);

/* After a call: ok resets the consecutive-failure count; a failure increments
 * it and, when it reaches threshold, quarantines the rule (*quarantined = 1
 * the first time; the stored reason then names the count and the last
 * failure). threshold < 1 never quarantines. quarantined may be NULL. */
cr_status db_eval_rule_health(cr_db *db, const char *rule_set, const char *rule, int ok,
                              int threshold, const char *reason, int *quarantined, cr_err *err);

/* Is the rule quarantined? 1 yes (reason copied), 0 no, -1 error. */
int db_eval_is_quarantined(cr_db *db, const char *rule_set, const char *rule, char *reason,
                           size_t reason_len, cr_err *err);

/* Lifts a quarantine and resets the failure count (operator action; audited
 * by the caller). *released (may be NULL) = 0 if the rule was not
 * quarantined. */
cr_status db_eval_release(cr_db *db, const char *rule_set, const char *rule, int *released,
                          cr_err *err);

/* Resolves the open or acked alert with this dedup key, if any (*resolved
 * = 1). Used when an operator releases a quarantined rule. */
cr_status db_eval_resolve_key(cr_db *db, const char *dedup_key, int *resolved, cr_err *err);

/* Rule health rows: [{rule_set, rule, consecutive_failures, quarantined_at,
 * reason}]. Caller decrefs. */
cr_status db_eval_rule_health_list(cr_db *db, json_t **out, cr_err *err);

/* An operator's action on alert id: status "acked" (from open) or
 * "resolved" (from open or acked). CR_INVALID naming the alert if it does
 * not exist or is already in that state. code and court (may be NULL)
 * receive the alert's, for the audit entry (at least 64 and 32 bytes). */
cr_status db_eval_alert_set_status(cr_db *db, int64_t id, const char *status, char *code,
                                   char *court, cr_err *err);

/* ---- reading back (alerts, explain) ---- */

typedef struct db_alert_filter {
    const char *court_prefix; /* NULL = all */
    const char *code;         /* exact code or prefix ending in '*'; NULL = all */
    const char *status;       /* "open", "acked", "resolved"; NULL = all */
    const char *since;        /* created_at >= since ("YYYY-MM-DD…"); NULL = all */
    const char *case_no;      /* NULL = all */
    int64_t limit;            /* 0 = no limit */
    int64_t before_id;        /* > 0: only alerts with a smaller id (the next page) */
    int64_t id;               /* > 0: only this alert */
} db_alert_filter;

/* Alerts matching filter, newest first, as a JSON array of objects with every
 * column: id, dedup_key, rule_set, rule, rule_version, rule_set_sha, code,
 * severity, court, case_no, message, basis, data (parsed JSON), status, as_of,
 * created_at, last_seen_at, resolved_at, run_id (null where not set).
 * court_prefix and a code ending in '*' match by prefix; case_no with ASCII
 * or full-width parentheses. Caller decrefs. */
cr_status db_eval_alerts(cr_db *db, const db_alert_filter *filter, json_t **out, cr_err *err);

/* How many alerts are open and acked (for the daemon's metrics). */
cr_status db_eval_alert_counts(cr_db *db, int64_t *open, int64_t *acked, cr_err *err);

/* Everything stored about a case's evaluation:
 *   {"case": doc, "events": [event docs in time order],
 *    "results": [{rule_set, rule, rule_version, rule_set_sha, as_of, status,
 *                 result (parsed), reason, duration_us, evaluated_at, run_id}]
 *               (in evaluation order: widest rule-set scope first),
 *    "alerts": [as db_eval_alerts], "failures": [{id, run_id, rule_set, rule,
 *               kind, reason, at}] (the 50 most recent),
 *    "evaluated": {as_of, rules_fingerprint, evaluated_batch,
 *                  case_changed_since} or null}.
 * case_no matches with ASCII or full-width parentheses. CR_INVALID ("case …
 * is not in the database") if the case is unknown. Caller decrefs. */
cr_status db_eval_explain(cr_db *db, const char *case_no, json_t **out, cr_err *err);

#endif
