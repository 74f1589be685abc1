/*
 * db_eval.c -- SQL for evaluation: runs, results, alerts, failures, rule
 * health and evaluations (see db_eval.h; tables from migration 2 in db.c).
 *
 * Reading back (alerts, explain, rule health) is in db_eval_read.c, reading
 * the cases to evaluate in db_eval_cases.c.
 *
 * Statements used once per case or per rule call are prepared once and
 * cached in db->eval; the case selections' slots are lent to case iterators
 * (db_eval_case_slot).
 */
#include "db_eval.h"
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum eval_stmt {
    S_RUN_OPEN,
    S_RUN_CLOSE,
    S_RULE_SET,
    S_CASES_ALL, /* the three case selections (enum db_case_select): their SQL
                    and statements belong to db_eval_cases.c */
    S_CASES_ONE,
    S_CASES_CHANGED,
    S_CASES_CHANGED_AFTER,
    S_PUT_EVALUATION,
    S_ADD_EVALUATION,
    S_REFRESH_EVALUATION,
    S_ALERT_LOOKUP,
    S_ALERT_INSERT,
    S_ALERT_REFRESH,
    S_RESOLVE_STALE,
    S_PUT_FAILURE,
    S_HEALTH_OK,
    S_HEALTH_FAIL,
    S_HEALTH_QUARANTINE,
    S_QUARANTINED,
    S_RELEASE,
    S_RESOLVE_KEY,
    S_PUT_COURT_EVALUATION,
    S_RESOLVE_STALE_COURT,
    S_RULE_VERSION,
    S_HAS_OPEN,
    S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_RUN_OPEN] = "INSERT INTO eval_runs(as_of, scope, started_at) VALUES (?1, ?2, ?3)",
    [S_RUN_CLOSE] = "UPDATE eval_runs SET finished_at = ?2, summary = ?3 WHERE id = ?1",
    [S_RULE_SET] = "INSERT INTO rule_sets(sha256, name, scope, manifest, first_seen_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(sha256) DO NOTHING",
    /* An upsert, not INSERT OR REPLACE: a re-evaluated case's row is
     * updated where it is, keeping its rowid and its primary-key index
     * entry, where a replace deletes it and appends a new row (twice the
     * pages written when `eval --changed` re-evaluates scattered cases). */
    [S_PUT_EVALUATION] =
        "INSERT INTO evaluations(case_no, run_id, as_of, rules_fingerprint,"
        " evaluated_batch, evaluated_at, date_dependent, results)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(case_no) DO UPDATE SET"
        " run_id = excluded.run_id, as_of = excluded.as_of,"
        " rules_fingerprint = excluded.rules_fingerprint,"
        " evaluated_batch = excluded.evaluated_batch, evaluated_at = excluded.evaluated_at,"
        " date_dependent = excluded.date_dependent, results = excluded.results",
    /* The two cheap cases of that upsert, tried first: a case evaluated for
     * the first time, and a case evaluated again as of the same date with
     * the same date dependence -- which leaves evaluations_dated (as_of,
     * date_dependent) alone, where the upsert's SET moves its entry. */
    [S_ADD_EVALUATION] = "INSERT INTO evaluations(case_no, run_id, as_of, rules_fingerprint,"
                         " evaluated_batch, evaluated_at, date_dependent, results)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(case_no) DO NOTHING",
    [S_REFRESH_EVALUATION] =
        "UPDATE evaluations SET run_id = ?2, rules_fingerprint = ?4, evaluated_batch = ?5,"
        " evaluated_at = ?6, results = ?8 WHERE case_no = ?1 AND as_of = ?3 AND date_dependent = "
        "?7",
    [S_ALERT_LOOKUP] = "SELECT id, status FROM alerts WHERE dedup_key = ?1",
    [S_ALERT_INSERT] = "INSERT INTO alerts(dedup_key, rule_set, rule, rule_version, rule_set_sha,"
                       " code, severity, court, case_no, message, basis, data, as_of, created_at,"
                       " last_seen_at, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                       " ?11, ?12, ?13, ?14, ?14, ?15)",
    /* Right-hand sides see the old row: a resolved alert reopens, an open or
     * acked one keeps its status. */
    [S_ALERT_REFRESH] =
        "UPDATE alerts SET rule_version = ?2, rule_set_sha = ?3, severity = ?4, message = ?5,"
        " basis = ?6, data = ?7, as_of = ?8, last_seen_at = ?9, run_id = ?10,"
        " status = CASE status WHEN 'resolved' THEN 'open' ELSE status END,"
        " resolved_at = CASE status WHEN 'resolved' THEN NULL ELSE resolved_at END"
        " WHERE id = ?1",
    [S_RESOLVE_STALE] = "UPDATE alerts SET status = 'resolved', resolved_at = ?4"
                        " WHERE case_no = ?1 AND status IN ('open', 'acked') AND run_id <> ?2"
                        " AND rule_set || '/' || rule NOT IN (SELECT value FROM json_each(?3))",
    [S_PUT_FAILURE] = "INSERT INTO failures(run_id, rule_set, rule, case_no, kind, reason, at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_HEALTH_OK] = "UPDATE rule_health SET consecutive_failures = 0"
                    " WHERE rule_set = ?1 AND rule = ?2 AND consecutive_failures <> 0",
    [S_HEALTH_FAIL] =
        "INSERT INTO rule_health(rule_set, rule, consecutive_failures, reason)"
        " VALUES (?1, ?2, 1, ?3) ON CONFLICT(rule_set, rule) DO UPDATE SET"
        " consecutive_failures = consecutive_failures + 1,"
        " reason = CASE WHEN quarantined_at IS NULL THEN excluded.reason ELSE reason END"
        " RETURNING consecutive_failures, quarantined_at",
    [S_HEALTH_QUARANTINE] = "UPDATE rule_health SET quarantined_at = ?3, reason = ?4"
                            " WHERE rule_set = ?1 AND rule = ?2",
    [S_QUARANTINED] = "SELECT reason FROM rule_health"
                      " WHERE rule_set = ?1 AND rule = ?2 AND quarantined_at IS NOT NULL",
    [S_RELEASE] = "UPDATE rule_health SET quarantined_at = NULL, consecutive_failures = 0,"
                  " reason = NULL WHERE rule_set = ?1 AND rule = ?2 AND quarantined_at IS NOT NULL",
    [S_RESOLVE_KEY] = "UPDATE alerts SET status = 'resolved', resolved_at = ?2"
                      " WHERE dedup_key = ?1 AND status IN ('open', 'acked')",
    [S_PUT_COURT_EVALUATION] = "INSERT OR REPLACE INTO court_evaluations(court, run_id, as_of,"
                               " rules_fingerprint, evaluated_at, results, evaluated_batch)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* Court-level alerts (no case); the host's RULE-QUARANTINED alerts are
     * left to `rules release`. Through the partial index of court-level
     * alerts: the planner otherwise takes alerts_court (court, status) and
     * reads every open alert of the court, its cases' too, for every court
     * of every run. */
    [S_RESOLVE_STALE_COURT] =
        "UPDATE alerts INDEXED BY alerts_court_level SET status = 'resolved', resolved_at = ?4"
        " WHERE case_no IS NULL AND court = ?1 AND code <> 'RULE-QUARANTINED'"
        " AND status IN ('open', 'acked') AND run_id <> ?2"
        " AND rule_set || '/' || rule NOT IN (SELECT value FROM json_each(?3))"
        /* A schedule's alerts ("set/rule@schedule:…") follow that schedule's
         * runs (db_sched_resolve_stale), not evaluations. */
        " AND substr(dedup_key, 1, length(rule_set) + length(rule) + 2)"
        "     <> rule_set || '/' || rule || '@'",
    [S_HAS_OPEN] = "SELECT 1 FROM alerts WHERE case_no = ?1 AND status IN ('open', 'acked')"
                   " LIMIT 1",
    /* The no-op update makes RETURNING give the id of a known version too. */
    [S_RULE_VERSION] = "INSERT INTO rule_versions(rule_set, rule, version) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT(rule_set, rule, version) DO UPDATE SET id = id RETURNING id",
};

struct db_eval_stmts {
    sqlite3_stmt *stmt[S_COUNT];
    int last_was_new; /* the last evaluation stored was a case's first */
};

void db_eval_finalize(cr_db *db)
{
    if (!db || !db->eval)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(db->eval->stmt[i]); /* harmless on NULL */
    free(db->eval);
    db->eval = NULL;
}

static sqlite3_stmt **stmt_slot(cr_db *db, enum eval_stmt id, cr_err *err)
{
    if (!db->eval && !(db->eval = calloc(1, sizeof *db->eval))) {
        cr_errf(err, CR_FAIL, "out of memory");
        return NULL;
    }
    return &db->eval->stmt[id];
}

sqlite3_stmt **db_eval_case_slot(cr_db *db, int select, cr_err *err)
{
    return stmt_slot(db,
                     select == DB_CASES_ONE             ? S_CASES_ONE
                     : select == DB_CASES_CHANGED       ? S_CASES_CHANGED
                     : select == DB_CASES_CHANGED_AFTER ? S_CASES_CHANGED_AFTER
                                                        : S_CASES_ALL,
                     err);
}

/* The cached statement id, reset and with its bindings cleared; NULL with
 * err filled on failure. */
static sqlite3_stmt *stmt_get(cr_db *db, enum eval_stmt id, cr_err *err)
{
    sqlite3_stmt **slot = stmt_slot(db, id, err);
    return slot ? db_stmt(db, slot, stmt_sql[id], err) : NULL;
}

/* Steps a statement to its end, then resets it and drops its (borrowed)
 * bindings. */

/* ---- runs and rule sets ---- */

cr_status db_eval_run_open(cr_db *db, const char *as_of, const char *scope, int64_t *run_id,
                           cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, S_RUN_OPEN, err);
    if (!st)
        return CR_FAIL;
    char now[26];
    db_now(now);
    db_bind_text(st, 1, as_of);
    db_bind_text(st, 2, scope);
    db_bind_text(st, 3, now);
    cr_status result = db_step_done(db, st, "opening an evaluation run", err);
    if (result == CR_OK)
        *run_id = sqlite3_last_insert_rowid(db->sql);
    return result;
}

cr_status db_eval_run_close(cr_db *db, int64_t run_id, const char *summary_json, cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, S_RUN_CLOSE, err);
    if (!st)
        return CR_FAIL;
    char now[26];
    db_now(now);
    sqlite3_bind_int64(st, 1, run_id);
    db_bind_text(st, 2, now);
    db_bind_text(st, 3, summary_json);
    return db_step_done(db, st, "closing an evaluation run", err);
}

cr_status db_eval_rule_set(cr_db *db, const char *sha256, const char *name, const char *scope,
                           const char *manifest_json, int *is_new, cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, S_RULE_SET, err);
    if (!st)
        return CR_FAIL;
    char now[26];
    db_now(now);
    db_bind_text(st, 1, sha256);
    db_bind_text(st, 2, name);
    db_bind_text(st, 3, scope);
    db_bind_text(st, 4, manifest_json ? manifest_json : "{}");
    db_bind_text(st, 5, now);
    cr_status result = db_step_done(db, st, "recording a rule set", err);
    if (is_new)
        *is_new = result == CR_OK && sqlite3_changes(db->sql) > 0;
    return result;
}

cr_status db_eval_rule_version(cr_db *db, const char *rule_set, const char *rule,
                               const char *version, int64_t *id, cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, S_RULE_VERSION, err);
    if (!st)
        return CR_FAIL;
    db_bind_text(st, 1, rule_set);
    db_bind_text(st, 2, rule);
    db_bind_text(st, 3, version);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    if (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE)
        return CR_OK;
    cr_status failed = db_sqlerr(db, err, "recording a rule version");
    cr_err_prefix(err, "rule %s/%s", rule_set, rule);
    return failed;
}

/* ---- writing results ---- */

/* Runs statement id with an evaluation's values; *changed = rows changed. */
static cr_status put_evaluation_with(cr_db *db, enum eval_stmt id, const char *const text[5],
                                     int64_t run_id, int64_t changed_batch, int date_dependent,
                                     int *changed, cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, id, err);
    if (!st)
        return CR_FAIL;
    db_bind_text(st, 1, text[0]); /* case_no */
    sqlite3_bind_int64(st, 2, run_id);
    db_bind_text(st, 3, text[1]); /* as_of */
    db_bind_text(st, 4, text[2]); /* rules fingerprint */
    sqlite3_bind_int64(st, 5, changed_batch);
    db_bind_text(st, 6, text[3]); /* evaluated_at */
    sqlite3_bind_int(st, 7, date_dependent != 0);
    db_bind_text(st, 8, text[4]); /* results */
    cr_status result = db_step_done(db, st, "storing an evaluation", err);
    *changed = result == CR_OK ? sqlite3_changes(db->sql) : 0;
    return result;
}

cr_status db_eval_put_evaluation(cr_db *db, int64_t run_id, const char *case_no,
                                 int64_t changed_batch, const char *rules_fingerprint,
                                 const char *as_of, int date_dependent, const char *results_json,
                                 cr_err *err)
{
    char now[26];
    db_now(now);
    const char *const text[5] = {case_no, as_of, rules_fingerprint, now, results_json};
    if (!stmt_slot(db, S_PUT_EVALUATION, err))
        return CR_FAIL;
    /* A run stores mostly new cases or mostly known ones: the statement
     * that did the last one goes first. */
    int *last_new = &db->eval->last_was_new, changed = 0;
    enum eval_stmt order[3] = {*last_new ? S_ADD_EVALUATION : S_REFRESH_EVALUATION,
                               *last_new ? S_REFRESH_EVALUATION : S_ADD_EVALUATION,
                               S_PUT_EVALUATION};
    cr_status result = CR_OK;
    for (int i = 0; i < 3 && result == CR_OK && !changed; i++) {
        result = put_evaluation_with(db, order[i], text, run_id, changed_batch, date_dependent,
                                     &changed, err);
        if (result == CR_OK && changed)
            *last_new = order[i] == S_ADD_EVALUATION;
    }
    if (result != CR_OK)
        cr_err_prefix(err, "case %s", case_no);
    return result;
}

cr_status db_eval_put_alert(cr_db *db, int64_t run_id, const db_alert *a, db_alert_outcome *outcome,
                            int64_t *alert_id, cr_err *err)
{
    sqlite3_stmt *look = stmt_get(db, S_ALERT_LOOKUP, err);
    if (!look)
        return CR_FAIL;
    db_bind_text(look, 1, a->dedup_key);
    int rc = sqlite3_step(look);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(look, 0) : 0;
    const char *old_status = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(look, 1) : NULL;
    int was_resolved = old_status && strcmp(old_status, "resolved") == 0;
    sqlite3_reset(look);
    sqlite3_clear_bindings(look);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_sqlerr(db, err, "looking up an alert");

    char now[26];
    db_now(now);
    sqlite3_stmt *st = stmt_get(db, id ? S_ALERT_REFRESH : S_ALERT_INSERT, err);
    if (!st)
        return CR_FAIL;
    if (id) {
        sqlite3_bind_int64(st, 1, id);
        const char *text[] = {a->rule_version, a->rule_set_sha, a->severity, a->message,
                              a->basis,        a->data_json,    a->as_of,    now};
        for (int i = 0; i < 8; i++)
            db_bind_text(st, i + 2, text[i]);
        sqlite3_bind_int64(st, 10, run_id);
    } else {
        const char *text[] = {a->dedup_key,    a->rule_set, a->rule,     a->rule_version,
                              a->rule_set_sha, a->code,     a->severity, a->court,
                              a->case_no,      a->message,  a->basis,    a->data_json,
                              a->as_of,        now};
        for (int i = 0; i < 14; i++)
            db_bind_text(st, i + 1, text[i]);
        sqlite3_bind_int64(st, 15, run_id);
    }
    cr_status result = db_step_done(db, st, id ? "refreshing an alert" : "creating an alert", err);
    if (result != CR_OK) {
        cr_err_prefix(err, "alert %s", a->dedup_key ? a->dedup_key : "(no dedup key)");
        return result;
    }
    *outcome = !id ? DB_ALERT_CREATED : was_resolved ? DB_ALERT_REOPENED : DB_ALERT_REPEATED;
    if (alert_id)
        *alert_id = id ? id : sqlite3_last_insert_rowid(db->sql);
    return CR_OK;
}

/* Resolves the open alerts statement `id` selects for (key, run, kept). */
static cr_status resolve_with(cr_db *db, enum eval_stmt id, const char *key, int64_t run_id,
                              const char *kept_rules_json, int64_t *resolved, const char *what,
                              cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, id, err);
    if (!st)
        return CR_FAIL;
    char now[26];
    db_now(now);
    db_bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, run_id);
    db_bind_text(st, 3, kept_rules_json);
    db_bind_text(st, 4, now);
    cr_status result = db_step_done(db, st, what, err);
    if (resolved)
        *resolved = result == CR_OK ? sqlite3_changes64(db->sql) : 0;
    return result;
}

cr_status db_eval_resolve_stale(cr_db *db, int64_t run_id, const char *case_no,
                                const char *kept_rules_json, int64_t *resolved, cr_err *err)
{
    return resolve_with(db, S_RESOLVE_STALE, case_no, run_id, kept_rules_json, resolved,
                        "resolving alerts", err);
}

/* Runs sql (one optional text parameter) and calls fn with column 0 of
 * every row. */
static cr_status each_text(cr_db *db, const char *sql, const char *arg,
                           void (*fn)(void *ud, const char *text), void *ud, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "open alerts");
    if (arg)
        db_bind_text(st, 1, arg);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ud, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CR_OK : db_sqlerr(db, err, "open alerts");
}

cr_status db_eval_cases_with_open_alerts(cr_db *db, void (*fn)(void *ud, const char *case_no),
                                         void *ud, cr_err *err)
{
    return each_text(db,
                     "SELECT DISTINCT case_no FROM alerts WHERE case_no IS NOT NULL"
                     " AND status IN ('open', 'acked')",
                     NULL, fn, ud, err);
}

/* ---- failures and quarantine ---- */

cr_status db_eval_put_failure(cr_db *db, int64_t run_id, const char *rule_set, const char *rule,
                              const char *case_no, const char *kind, const char *reason,
                              cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, S_PUT_FAILURE, err);
    if (!st)
        return CR_FAIL;
    char now[26];
    db_now(now);
    sqlite3_bind_int64(st, 1, run_id);
    db_bind_text(st, 2, rule_set);
    db_bind_text(st, 3, rule);
    db_bind_text(st, 4, case_no);
    db_bind_text(st, 5, kind);
    db_bind_text(st, 6, reason ? reason : "");
    db_bind_text(st, 7, now);
    return db_step_done(db, st, "recording a failure", err);
}

cr_status db_eval_rule_health(cr_db *db, const char *rule_set, const char *rule, int ok,
                              int threshold, const char *reason, int *quarantined, cr_err *err)
{
    if (quarantined)
        *quarantined = 0;
    sqlite3_stmt *st = stmt_get(db, ok ? S_HEALTH_OK : S_HEALTH_FAIL, err);
    if (!st)
        return CR_FAIL;
    db_bind_text(st, 1, rule_set);
    db_bind_text(st, 2, rule);
    if (ok)
        return db_step_done(db, st, "rule health", err);
    db_bind_text(st, 3, reason ? reason : "");
    if (sqlite3_step(st) != SQLITE_ROW) { /* RETURNING yields the row it wrote */
        cr_status failed = db_sqlerr(db, err, "rule health");
        sqlite3_reset(st);
        return failed;
    }
    int64_t failures = sqlite3_column_int64(st, 0);
    /* Tested in C: SQLite 3.40 answers `quarantined_at IS NOT NULL` in this
     * RETURNING clause with 1 even for a NULL column. */
    int already = sqlite3_column_type(st, 1) != SQLITE_NULL;
    cr_status result = db_step_done(db, st, "rule health", err);
    if (result != CR_OK || already || threshold < 1 || failures < threshold)
        return result;

    if (!(st = stmt_get(db, S_HEALTH_QUARANTINE, err)))
        return CR_FAIL;
    char now[26], why[1024];
    db_now(now);
    snprintf(why, sizeof why, "quarantined after %lld consecutive failures; last: %s",
             (long long)failures, reason ? reason : "");
    db_bind_text(st, 1, rule_set);
    db_bind_text(st, 2, rule);
    db_bind_text(st, 3, now);
    sqlite3_bind_text(st, 4, why, -1, SQLITE_TRANSIENT);
    result = db_step_done(db, st, "quarantining a rule", err);
    if (result == CR_OK && quarantined)
        *quarantined = 1;
    return result;
}

int db_eval_case_has_open_alerts(cr_db *db, const char *case_no, cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, S_HAS_OPEN, err);
    if (!st)
        return -1;
    db_bind_text(st, 1, case_no);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_sqlerr(db, err, "open alerts");
        return -1;
    }
    return rc == SQLITE_ROW;
}

int db_eval_is_quarantined(cr_db *db, const char *rule_set, const char *rule, char *reason,
                           size_t reason_len, cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, S_QUARANTINED, err);
    if (!st)
        return -1;
    db_bind_text(st, 1, rule_set);
    db_bind_text(st, 2, rule);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && reason && reason_len) {
        const char *why = (const char *)sqlite3_column_text(st, 0);
        snprintf(reason, reason_len, "%s", why ? why : "quarantined");
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_sqlerr(db, err, "rule health");
        return -1;
    }
    return rc == SQLITE_ROW;
}

cr_status db_eval_release(cr_db *db, const char *rule_set, const char *rule, int *released,
                          cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, S_RELEASE, err);
    if (!st)
        return CR_FAIL;
    db_bind_text(st, 1, rule_set);
    db_bind_text(st, 2, rule);
    cr_status result = db_step_done(db, st, "releasing a quarantined rule", err);
    if (released)
        *released = result == CR_OK && sqlite3_changes64(db->sql) > 0;
    return result;
}

cr_status db_eval_resolve_key(cr_db *db, const char *dedup_key, int *resolved, cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, S_RESOLVE_KEY, err);
    if (!st)
        return CR_FAIL;
    char now[26];
    db_now(now);
    db_bind_text(st, 1, dedup_key);
    db_bind_text(st, 2, now);
    cr_status result = db_step_done(db, st, "resolving an alert", err);
    if (resolved)
        *resolved = result == CR_OK && sqlite3_changes64(db->sql) > 0;
    return result;
}

cr_status db_eval_put_court_evaluation(cr_db *db, int64_t run_id, const char *court,
                                       const char *rules_fingerprint, const char *as_of,
                                       const char *results_json, int64_t seen_batch, cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, S_PUT_COURT_EVALUATION, err);
    if (!st)
        return CR_FAIL;
    char now[26];
    db_now(now);
    db_bind_text(st, 1, court);
    sqlite3_bind_int64(st, 2, run_id);
    db_bind_text(st, 3, as_of);
    db_bind_text(st, 4, rules_fingerprint);
    db_bind_text(st, 5, now);
    db_bind_text(st, 6, results_json);
    sqlite3_bind_int64(st, 7, seen_batch);
    cr_status result = db_step_done(db, st, "storing a court evaluation", err);
    if (result != CR_OK)
        cr_err_prefix(err, "court %s", court);
    return result;
}

cr_status db_eval_resolve_stale_court(cr_db *db, int64_t run_id, const char *court,
                                      const char *kept_rules_json, int64_t *resolved, cr_err *err)
{
    return resolve_with(db, S_RESOLVE_STALE_COURT, court, run_id, kept_rules_json, resolved,
                        "resolving court alerts", err);
}

cr_status db_eval_rules_with_open_alerts(cr_db *db, const char *rule_set,
                                         void (*fn)(void *ud, const char *rule), void *ud,
                                         cr_err *err)
{
    return each_text(db,
                     "SELECT DISTINCT rule FROM alerts WHERE rule_set = ?1"
                     " AND status IN ('open', 'acked')",
                     rule_set, fn, ud, err);
}

cr_status db_eval_alert_set_status(cr_db *db, int64_t id, const char *status, char *code,
                                   char *court, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "SELECT status, code, court FROM alerts WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "alert");
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    char old[16] = "";
    if (rc == SQLITE_ROW) {
        snprintf(old, sizeof old, "%s", (const char *)sqlite3_column_text(st, 0));
        if (code)
            snprintf(code, 64, "%s", (const char *)sqlite3_column_text(st, 1));
        if (court)
            snprintf(court, 32, "%s", (const char *)sqlite3_column_text(st, 2));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE
                   ? cr_errf(err, CR_INVALID, "alert %lld does not exist", (long long)id)
                   : db_sqlerr(db, err, "alert");
    if (strcmp(old, status) == 0 || strcmp(old, "resolved") == 0)
        return cr_errf(err, CR_INVALID, "alert %lld is already %s", (long long)id, old);
    if (sqlite3_prepare_v2(db->sql,
                           "UPDATE alerts SET status = ?2, resolved_at ="
                           " CASE WHEN ?2 = 'resolved' THEN ?3 ELSE resolved_at END WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "alert");
    char now[26];
    db_now(now);
    sqlite3_bind_int64(st, 1, id);
    db_bind_text(st, 2, status);
    db_bind_text(st, 3, now);
    cr_status result = db_step_done(db, st, "alert", err);
    sqlite3_finalize(st);
    return result;
}

cr_status db_eval_last_batch(cr_db *db, int64_t *batch, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "SELECT coalesce(max(id), 0) FROM batches", -1, &st, NULL) !=
        SQLITE_OK)
        return db_sqlerr(db, err, "last batch");
    int rc = sqlite3_step(st);
    *batch = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? CR_OK : db_sqlerr(db, err, "last batch");
}

/* meta 'eval_mark': "B FINGERPRINT", or "-1" when cleared. *batch = B and
 * *rules = FINGERPRINT (in text), or -1 and NULL when there is no mark. */
static cr_status mark_read(cr_db *db, char text[160], int64_t *batch, const char **rules,
                           cr_err *err)
{
    int found = 0;
    *batch = -1;
    *rules = NULL;
    cr_status st = db_meta_get(db, "eval_mark", text, 160, &found, err);
    char *space = st == CR_OK && found ? strchr(text, ' ') : NULL;
    if (space) {
        *batch = strtoll(text, NULL, 10);
        *rules = space + 1;
    }
    return st;
}

cr_status db_eval_mark_get(cr_db *db, const char *fingerprint, int64_t *batch, cr_err *err)
{
    char text[160];
    const char *rules;
    cr_status st = mark_read(db, text, batch, &rules, err);
    if (!rules || !fingerprint || strcmp(rules, fingerprint) != 0)
        *batch = -1;
    return st;
}

cr_status db_eval_mark_set(cr_db *db, const char *fingerprint, int64_t batch, cr_err *err)
{
    char text[160];
    if (batch >= 0 && fingerprint)
        snprintf(text, sizeof text, "%lld %s", (long long)batch, fingerprint);
    else
        snprintf(text, sizeof text, "-1");
    return db_meta_set(db, "eval_mark", text, err);
}

cr_status db_eval_none_current(cr_db *db, const char *fingerprint, int *all, cr_err *err)
{
    char text[160];
    int64_t batch;
    const char *rules;
    *all = 0;
    cr_status st = mark_read(db, text, &batch, &rules, err);
    if (st != CR_OK)
        return st;
    if (rules && fingerprint && strcmp(rules, fingerprint) != 0) {
        *all = 1;
        return CR_OK;
    }
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db->sql, "SELECT NOT EXISTS (SELECT 1 FROM evaluations)", -1, &q,
                           NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "evaluations");
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *all = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? CR_OK : db_sqlerr(db, err, "evaluations");
}

cr_status db_eval_courts_current(cr_db *db, const char *rules_fingerprint, const char *as_of,
                                 json_t **current, cr_err *err)
{
    /* The courts whose stored evaluation has these rules and as-of date,
     * minus those with data newer than it in their own subtree: a case
     * changed (cases.changed_batch, which a new or changed event of the
     * case moves too), or a court, person or court-level event written
     * (their batch_id moves even when a re-ingest left them as they were:
     * that only costs an evaluation). What changed after the oldest
     * evaluation's batch is collected once (cases from cases_batch, which
     * holds their court; court-level events, whose case_no is NULL, by
     * events_case; people and courts are small), and each court is checked
     * against that short list. Letting the planner check each court against
     * the sources instead had it walk the court's whole subtree through the
     * court indexes, a row lookup per case and event: with nothing changed,
     * 20 s for a million cases. */
    static const char sql[] =
        "WITH ce AS (SELECT court, evaluated_batch FROM court_evaluations"
        "            WHERE rules_fingerprint = ?1 AND as_of = ?2 AND evaluated_batch > 0),"
        " lo AS (SELECT coalesce(min(evaluated_batch), 0) AS b FROM ce),"
        " changed(court, batch) AS MATERIALIZED ("
        "   SELECT court, changed_batch FROM cases WHERE changed_batch > (SELECT b FROM lo)"
        "   UNION ALL SELECT court, batch_id FROM people WHERE batch_id > (SELECT b FROM lo)"
        "   UNION ALL SELECT court, batch_id FROM events"
        "    WHERE case_no IS NULL AND batch_id > (SELECT b FROM lo)"
        "   UNION ALL SELECT code, batch_id FROM courts WHERE batch_id > (SELECT b FROM lo))"
        " SELECT json_group_array(ce.court) FROM ce WHERE NOT EXISTS ("
        "   SELECT 1 FROM changed c WHERE c.batch > ce.evaluated_batch"
        "   AND c.court >= ce.court AND c.court < ce.court || char(0x10FFFF))";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "courts evaluated and unchanged");
    db_bind_text(st, 1, rules_fingerprint);
    db_bind_text(st, 2, as_of);
    int rc = sqlite3_step(st);
    *current =
        rc == SQLITE_ROW ? json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL) : NULL;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return db_sqlerr(db, err, "courts evaluated and unchanged");
    return *current ? CR_OK : cr_errf(err, CR_FAIL, "out of memory");
}
