/*
 * db_eval_read.c -- reading evaluation back: alerts (db_eval_alerts), what
 * is stored about a case (db_eval_explain) and rule health, as JSON rows.
 * Part of the storage module (see db_eval.h); the writes are in db_eval.c.
 *
 * Commands (alerts, explain, rules) call these once each, so their
 * statements are prepared per call rather than cached in db->eval.
 */
#include "db_eval.h"
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Column text as a JSON string, or null. Text the rules produced may not be
 * valid UTF-8; then invalid bytes become U+FFFD rather than the value being
 * lost. */
static json_t *column_string(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    if (!s)
        return json_null();
    size_t len = (size_t)sqlite3_column_bytes(st, col);
    json_t *j = json_stringn(s, len);
    if (j)
        return j;
    char *buf = malloc(len * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; buf && i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : 4;
        json_t *probe = c && i + n <= len ? json_stringn(s + i, n) : NULL;
        if (probe) {
            memcpy(buf + o, s + i, n);
            o += n, i += n;
        } else {
            memcpy(buf + o, "\xef\xbf\xbd", 3);
            o += 3, i += 1;
        }
        json_decref(probe);
    }
    j = buf ? json_stringn(buf, o) : NULL;
    free(buf);
    return j ? j : json_null();
}

/* Column text parsed as JSON (any value), or as a string if it does not
 * parse, or null. */
static json_t *column_json(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    if (!s)
        return json_null();
    json_t *j = json_loadb(s, (size_t)sqlite3_column_bytes(st, col), JSON_DECODE_ANY, NULL);
    return j ? j : column_string(st, col);
}

static json_t *column_value(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_INTEGER)
        return json_integer(sqlite3_column_int64(st, col));
    return column_string(st, col);
}

/* Sets obj[name] = value of each column; names ending in '~' hold JSON text
 * and are parsed (the '~' is dropped). */
static void row_object(sqlite3_stmt *st, json_t *obj, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (names[i][len - 1] == '~') {
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)(len - 1), names[i]);
            json_object_set_new(obj, key, column_json(st, i));
        } else {
            json_object_set_new(obj, names[i], column_value(st, i));
        }
    }
}

/* Runs st (bound) and appends one object per row to array. */
static cr_status rows_into(cr_db *db, sqlite3_stmt *st, const char *const *names, int n,
                           json_t *array, cr_err *err)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *obj = json_object();
        row_object(st, obj, names, n);
        json_array_append_new(array, obj);
    }
    return rc == SQLITE_DONE ? CR_OK : db_sqlerr(db, err, "reading evaluation results");
}

static const char *const alert_columns[] = {
    "id",           "dedup_key",    "rule_set",    "rule",   "rule_version",
    "rule_set_sha", "code",         "severity",    "court",  "case_no",
    "message",      "basis",        "data~",       "status", "as_of",
    "created_at",   "last_seen_at", "resolved_at", "run_id"};
#define N_ALERT_COLUMNS ((int)(sizeof alert_columns / sizeof alert_columns[0]))

/* Optional filters as bound parameters (NULL = no filter), so the SQL text is
 * fixed. Newest first: ids grow with created_at. */
static const char alerts_sql[] =
    "SELECT id, dedup_key, rule_set, rule, rule_version, rule_set_sha, code, severity, court,"
    " case_no, message, basis, data, status, as_of, created_at, last_seen_at, resolved_at, run_id"
    " FROM alerts"
    " WHERE (?1 IS NULL OR (court >= ?1 AND court < ?1 || char(0x10FFFF)))"
    " AND (?2 IS NULL OR code = ?2)"
    " AND (?3 IS NULL OR (code >= ?3 AND code < ?3 || char(0x10FFFF)))"
    " AND (?4 IS NULL OR status = ?4)"
    " AND (?5 IS NULL OR created_at >= ?5)"
    " AND (?6 IS NULL OR case_no IN (?6, ?8))"
    " AND (?9 IS NULL OR id < ?9)"
    " AND (?10 IS NULL OR id = ?10)"
    " ORDER BY id DESC LIMIT ?7";

cr_status db_eval_alerts(cr_db *db, const db_alert_filter *filter, json_t **out, cr_err *err)
{
    *out = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, alerts_sql, -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "listing alerts: prepare");
    if (filter->court_prefix && *filter->court_prefix)
        db_bind_text(st, 1, filter->court_prefix);
    const char *code = filter->code;
    size_t code_len = code ? strlen(code) : 0;
    if (code_len && code[code_len - 1] == '*') {
        if (code_len > 1) /* "*" alone matches every code */
            sqlite3_bind_text(st, 3, code, (int)code_len - 1, SQLITE_STATIC);
    } else if (code_len) {
        db_bind_text(st, 2, code);
    }
    if (filter->status && *filter->status)
        db_bind_text(st, 4, filter->status);
    if (filter->since && *filter->since)
        db_bind_text(st, 5, filter->since);
    if (filter->case_no && *filter->case_no) {
        db_bind_text(st, 6, filter->case_no);
        char *other = db_other_parentheses(filter->case_no);
        if (other)
            sqlite3_bind_text(st, 8, other, -1, free);
    }
    sqlite3_bind_int64(st, 7, filter->limit > 0 ? filter->limit : -1);
    if (filter->before_id > 0)
        sqlite3_bind_int64(st, 9, filter->before_id);
    if (filter->id > 0)
        sqlite3_bind_int64(st, 10, filter->id);
    json_t *alerts = json_array();
    cr_status result = rows_into(db, st, alert_columns, N_ALERT_COLUMNS, alerts, err);
    sqlite3_finalize(st);
    if (result != CR_OK) {
        json_decref(alerts);
        return result;
    }
    *out = alerts;
    return CR_OK;
}

static const char explain_failures_sql[] =
    "SELECT id, run_id, rule_set, rule, kind, reason, at FROM failures WHERE case_no = ?1"
    " ORDER BY id DESC LIMIT 50";
static const char *const failure_columns[] = {"id",   "run_id", "rule_set", "rule",
                                              "kind", "reason", "at"};

/* Runs sql with ?1 = case_no into a new array stored as obj[key]. */
static cr_status case_rows(cr_db *db, const char *sql, const char *case_no,
                           const char *const *names, int n, json_t *obj, const char *key,
                           cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "explain: prepare");
    db_bind_text(st, 1, case_no);
    json_t *array = json_array();
    json_object_set_new(obj, key, array);
    cr_status result = rows_into(db, st, names, n, array, err);
    sqlite3_finalize(st);
    return result;
}

/* The SHA-256 of rule set `set` for a result: from its run's summary, or,
 * for a run that never closed, the version of that name first seen last
 * before the evaluation. */
static json_t *rule_set_version(cr_db *db, const json_t *versions, const char *set,
                                const char *evaluated_at)
{
    json_t *sha = set ? json_object_get(versions, set) : NULL;
    if (sha)
        return json_incref(sha);
    sqlite3_stmt *st;
    json_t *found = json_null();
    if (set && sqlite3_prepare_v2(db->sql,
                                  "SELECT sha256 FROM rule_sets WHERE name = ?1"
                                  " AND first_seen_at <= ?2 ORDER BY first_seen_at DESC LIMIT 1",
                                  -1, &st, NULL) == SQLITE_OK) {
        db_bind_text(st, 1, set);
        db_bind_text(st, 2, evaluated_at);
        if (sqlite3_step(st) == SQLITE_ROW) {
            json_decref(found);
            found = column_string(st, 0);
        }
        sqlite3_finalize(st);
    }
    return found;
}

/* A stored result ({"r":ID,"v":…,"log"?,"us":N} or {"r":ID,"status",
 * "reason","us"}: eval_worker.h, stored_json) in the form the API and
 * older rows have: {"rule_set","rule","rule_version","status","result",
 * "reason"?,"duration_us"}. A row stored before rule_versions existed is
 * already in that form and comes back as it is. */
static json_t *expand_result(cr_db *db, sqlite3_stmt **look, json_t *stored)
{
    json_t *id = json_object_get(stored, "r");
    if (!json_is_integer(id))
        return json_incref(stored);
    json_t *out = json_object();
    if (!*look)
        sqlite3_prepare_v2(db->sql,
                           "SELECT rule_set, rule, version FROM rule_versions WHERE id = ?1", -1,
                           look, NULL);
    int found = 0;
    if (*look) {
        sqlite3_bind_int64(*look, 1, json_integer_value(id));
        if ((found = sqlite3_step(*look) == SQLITE_ROW)) {
            json_object_set_new(out, "rule_set", column_string(*look, 0));
            json_object_set_new(out, "rule", column_string(*look, 1));
            json_object_set_new(out, "rule_version", column_string(*look, 2));
        }
        sqlite3_reset(*look);
    }
    if (!found) { /* cannot happen short of a damaged database: say so */
        json_object_set_new(out, "rule_set", json_null());
        json_object_set_new(
            out, "rule",
            json_sprintf("unknown rule version %lld", (long long)json_integer_value(id)));
        json_object_set_new(out, "rule_version", json_null());
    }
    json_t *status = json_object_get(stored, "status");
    json_object_set_new(out, "status", status ? json_incref(status) : json_string("ok"));
    if (!status) {
        json_t *result = json_object();
        json_object_set(result, "value", json_object_get(stored, "v"));
        if (json_object_get(stored, "log"))
            json_object_set(result, "log", json_object_get(stored, "log"));
        json_object_set_new(out, "result", result);
    } else {
        json_object_set_new(out, "result", json_null());
        json_object_set(out, "reason", json_object_get(stored, "reason"));
    }
    json_t *us = json_object_get(stored, "us");
    json_object_set_new(out, "duration_us", us ? json_incref(us) : json_integer(0));
    return out;
}

/* Sets out["case"] and *evaluated (a new object, or null if never evaluated);
 * *found = 0 if the case is unknown. stored_no receives the number as stored. */
static cr_status explain_case(cr_db *db, const char *case_no, json_t *out, json_t **evaluated,
                              int *found, char *stored_no, size_t stored_len, cr_err *err)
{
    static const char sql[] =
        "SELECT c.case_no, c.doc, v.as_of, v.rules_fingerprint, v.evaluated_batch,"
        " v.evaluated_batch < c.changed_batch, v.results, v.evaluated_at, v.run_id,"
        " json_extract(r.summary, '$.rule_sets') FROM cases c"
        " LEFT JOIN evaluations v ON v.case_no = c.case_no"
        " LEFT JOIN eval_runs r ON r.id = v.run_id"
        " WHERE c.case_no IN (?1, ?2) ORDER BY c.case_no = ?1 DESC LIMIT 1";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "explain: prepare");
    db_bind_text(st, 1, case_no);
    char *other = db_other_parentheses(case_no);
    if (other)
        sqlite3_bind_text(st, 2, other, -1, free);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found) {
        snprintf(stored_no, stored_len, "%s", (const char *)sqlite3_column_text(st, 0));
        json_object_set_new(out, "case", column_json(st, 1));
        if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
            *evaluated = json_object();
            json_object_set_new(*evaluated, "as_of", column_string(st, 2));
            json_object_set_new(*evaluated, "rules_fingerprint", column_string(st, 3));
            json_object_set_new(*evaluated, "evaluated_batch",
                                json_integer(sqlite3_column_int64(st, 4)));
            json_object_set_new(*evaluated, "case_changed_since",
                                json_boolean(sqlite3_column_int(st, 5)));
            json_object_set_new(*evaluated, "evaluated_at", column_string(st, 7));
            json_object_set_new(*evaluated, "run_id", json_integer(sqlite3_column_int64(st, 8)));
            /* Each rule's result, with the evaluation's as-of date and time. */
            json_t *stored = column_json(st, 6), *results = json_array();
            size_t i;
            json_t *r;
            sqlite3_stmt *look = NULL;
            json_array_foreach(stored, i, r)
                json_array_append_new(results, expand_result(db, &look, r));
            sqlite3_finalize(look);
            json_decref(stored);
            json_t *versions = column_json(st, 9);
            json_array_foreach(results, i, r)
            {
                const char *set = json_string_value(json_object_get(r, "rule_set"));
                if (!json_object_get(r, "rule_set_sha"))
                    json_object_set_new(r, "rule_set_sha",
                                        rule_set_version(db, versions, set,
                                                         (const char *)sqlite3_column_text(st, 7)));
                if (!json_object_get(r, "reason"))
                    json_object_set_new(r, "reason", json_null());
                json_object_set_new(r, "as_of", column_string(st, 2));
                json_object_set_new(r, "evaluated_at", column_string(st, 7));
                json_object_set_new(r, "run_id", json_integer(sqlite3_column_int64(st, 8)));
            }
            json_decref(versions);
            json_object_set_new(out, "results", json_is_array(results) ? results : json_array());
            if (!json_is_array(results))
                json_decref(results);
        }
    }
    cr_status result =
        rc == SQLITE_ROW || rc == SQLITE_DONE ? CR_OK : db_sqlerr(db, err, "explain");
    sqlite3_finalize(st);
    return result;
}

/* Appends the case's event docs, in time order, to events. */
static cr_status explain_events(cr_db *db, const char *case_no, json_t *events, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "SELECT doc FROM events WHERE case_no = ?1 ORDER BY at, id", -1,
                           &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "explain: prepare");
    db_bind_text(st, 1, case_no);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(events, column_json(st, 0));
    cr_status result = rc == SQLITE_DONE ? CR_OK : db_sqlerr(db, err, "explain: events");
    sqlite3_finalize(st);
    return result;
}

cr_status db_eval_explain(cr_db *db, const char *case_no, json_t **out, cr_err *err)
{
    *out = NULL;
    if (!case_no || !*case_no)
        return cr_errf(err, CR_INVALID, "no case number given");
    json_t *obj = json_object(), *evaluated = NULL;
    char stored_no[256];
    int found = 0;
    cr_status result =
        explain_case(db, case_no, obj, &evaluated, &found, stored_no, sizeof stored_no, err);
    if (result == CR_OK && !found)
        result = cr_errf(err, CR_INVALID, "case %s is not in the database", case_no);
    if (result == CR_OK) {
        json_t *events = json_array();
        json_object_set_new(obj, "events", events);
        result = explain_events(db, stored_no, events, err);
    }
    if (result == CR_OK && !json_object_get(obj, "results"))
        json_object_set_new(obj, "results", json_array());
    if (result == CR_OK) {
        db_alert_filter f = {.case_no = stored_no};
        json_t *alerts = NULL;
        result = db_eval_alerts(db, &f, &alerts, err);
        if (result == CR_OK)
            json_object_set_new(obj, "alerts", alerts);
    }
    if (result == CR_OK)
        result = case_rows(db, explain_failures_sql, stored_no, failure_columns,
                           (int)(sizeof failure_columns / sizeof failure_columns[0]), obj,
                           "failures", err);
    if (result != CR_OK) {
        json_decref(evaluated);
        json_decref(obj);
        return result;
    }
    json_object_set_new(obj, "evaluated", evaluated ? evaluated : json_null());
    *out = obj;
    return CR_OK;
}

cr_status db_eval_rule_health_list(cr_db *db, json_t **out, cr_err *err)
{
    static const char *const names[] = {"rule_set", "rule", "consecutive_failures",
                                        "quarantined_at", "reason"};
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT rule_set, rule, consecutive_failures, quarantined_at, reason"
                           " FROM rule_health ORDER BY rule_set, rule",
                           -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "rule health");
    json_t *rows = json_array();
    cr_status result = rows_into(db, st, names, 5, rows, err);
    sqlite3_finalize(st);
    if (result != CR_OK) {
        json_decref(rows);
        return result;
    }
    *out = rows;
    return CR_OK;
}

cr_status db_eval_alert_counts(cr_db *db, int64_t *open, int64_t *acked, cr_err *err)
{
    sqlite3_stmt *st;
    *open = *acked = 0;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT count(*) FILTER (WHERE status = 'open'),"
                           " count(*) FILTER (WHERE status = 'acked') FROM alerts"
                           " WHERE status IN ('open', 'acked')",
                           -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "counting alerts: prepare");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *open = sqlite3_column_int64(st, 0);
        *acked = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? CR_OK : db_sqlerr(db, err, "counting alerts");
}
