/*
 * db_sched.c -- schedule state rows. Statements are prepared per call:
 * schedules are few and handled once a minute at most.
 */
#include "db_sched.h"
#include "db_internal.h"

#include <stdio.h>
#include <string.h>

static sqlite3_stmt *prepare(cr_db *db, const char *sql, const db_sched_key *k, cr_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
        db_sqlerr(db, err, "schedules");
        return NULL;
    }
    if (k) {
        db_bind_text(st, 1, k->rule_set);
        db_bind_text(st, 2, k->rule);
        db_bind_text(st, 3, k->schedule);
    }
    return st;
}

static cr_status finish(cr_db *db, sqlite3_stmt *st, const char *what, cr_err *err)
{
    cr_status result = db_step_done(db, st, what, err);
    sqlite3_finalize(st);
    return result;
}

static int64_t column_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t t)
{
    if (t < 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, t);
}

cr_status db_sched_get(cr_db *db, const db_sched_key *k, db_sched_state *out, cr_err *err)
{
    memset(out, 0, sizeof *out);
    out->seen_from = out->last_fire = out->running_since = -1;
    sqlite3_stmt *st =
        prepare(db,
                "SELECT seen_from, last_fire, running_since, last_status"
                " FROM schedules WHERE rule_set = ?1 AND rule = ?2 AND schedule = ?3",
                k, err);
    if (!st)
        return CR_FAIL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->exists = 1;
        out->seen_from = sqlite3_column_int64(st, 0);
        out->last_fire = column_time(st, 1);
        out->running_since = column_time(st, 2);
        const unsigned char *s = sqlite3_column_text(st, 3);
        snprintf(out->last_status, sizeof out->last_status, "%s", s ? (const char *)s : "");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CR_OK : db_sqlerr(db, err, "reading schedule");
}

cr_status db_sched_init(cr_db *db, const db_sched_key *k, const char *cron, const char *tz,
                        int64_t seen_from, cr_err *err)
{
    sqlite3_stmt *st =
        prepare(db,
                "INSERT INTO schedules(rule_set, rule, schedule, cron, tz, seen_from)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                k, err);
    if (!st)
        return CR_FAIL;
    db_bind_text(st, 4, cron);
    db_bind_text(st, 5, tz);
    sqlite3_bind_int64(st, 6, seen_from);
    return finish(db, st, "adding schedule", err);
}

cr_status db_sched_set_running(cr_db *db, const db_sched_key *k, int64_t since, cr_err *err)
{
    sqlite3_stmt *st = prepare(db,
                               "UPDATE schedules SET running_since = ?4"
                               " WHERE rule_set = ?1 AND rule = ?2 AND schedule = ?3",
                               k, err);
    if (!st)
        return CR_FAIL;
    bind_time(st, 4, since);
    return finish(db, st, "marking schedule running", err);
}

cr_status db_sched_record(cr_db *db, const db_sched_key *k, const db_sched_outcome *o, cr_err *err)
{
    sqlite3_stmt *st =
        prepare(db,
                "UPDATE schedules SET last_fire = ?4, last_status = ?5, last_reason = ?6,"
                " last_run_id = coalesce(?7, last_run_id), last_finished_at = ?8,"
                " runs = runs + ?9, failures = failures + (?9 AND ?5 = 'failed'),"
                " missed = missed + ?10, cron = coalesce(?11, cron), tz = coalesce(?12, tz)"
                " WHERE rule_set = ?1 AND rule = ?2 AND schedule = ?3",
                k, err);
    if (!st)
        return CR_FAIL;
    char now[26];
    db_now(now);
    bind_time(st, 4, o->last_fire);
    db_bind_text(st, 5, o->status);
    db_bind_text(st, 6, o->reason);
    bind_time(st, 7, o->run_id);
    db_bind_text(st, 8, now);
    sqlite3_bind_int(st, 9, o->ran ? 1 : 0);
    sqlite3_bind_int64(st, 10, o->missed);
    db_bind_text(st, 11, o->cron);
    db_bind_text(st, 12, o->tz);
    return finish(db, st, "recording schedule run", err);
}

cr_status db_sched_resolve_stale(cr_db *db, int64_t run_id, const char *court,
                                 const char *key_prefix, int64_t *resolved, cr_err *err)
{
    sqlite3_stmt *st = prepare(db,
                               "UPDATE alerts SET status = 'resolved', resolved_at = ?4"
                               " WHERE case_no IS NULL AND court = ?1 AND run_id <> ?2"
                               " AND status IN ('open', 'acked')"
                               " AND substr(dedup_key, 1, length(?3)) = ?3",
                               NULL, err);
    if (!st)
        return CR_FAIL;
    char now[26];
    db_now(now);
    db_bind_text(st, 1, court);
    sqlite3_bind_int64(st, 2, run_id);
    db_bind_text(st, 3, key_prefix);
    db_bind_text(st, 4, now);
    cr_status result = db_step_done(db, st, "resolving schedule alerts", err);
    if (resolved)
        *resolved = result == CR_OK ? sqlite3_changes64(db->sql) : 0;
    sqlite3_finalize(st);
    return result;
}

cr_status db_sched_list(cr_db *db, json_t **out, cr_err *err)
{
    *out = NULL;
    sqlite3_stmt *st = prepare(db,
                               "SELECT rule_set, rule, schedule, cron, tz, seen_from, last_fire,"
                               " last_status, last_reason, last_run_id, last_finished_at,"
                               " running_since, runs, failures, missed FROM schedules"
                               " ORDER BY rule_set, rule, schedule",
                               NULL, err);
    if (!st)
        return CR_FAIL;
    json_t *rows = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = json_object();
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const char *name = sqlite3_column_name(st, i);
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_INTEGER:
                json_object_set_new(row, name, json_integer(sqlite3_column_int64(st, i)));
                break;
            case SQLITE_NULL:
                json_object_set_new(row, name, json_null());
                break;
            default:
                json_object_set_new(row, name,
                                    json_string((const char *)sqlite3_column_text(st, i)));
            }
        }
        json_array_append_new(rows, row);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(rows);
        return db_sqlerr(db, err, "listing schedules");
    }
    *out = rows;
    return CR_OK;
}
