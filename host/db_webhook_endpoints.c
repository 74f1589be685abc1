/*
 * db_webhook_endpoints.c -- SQL for webhook endpoints: add, find, list,
 * remove, enable, rotate secrets. See db_webhook.h.
 */
#include "db_webhook.h"
#include "db_internal.h"
#include "db_webhook_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEBHOOK_COLUMNS                                                                            \
    "id, name, url, format, secret, secret_previous, court_prefix, min_severity, codes,"           \
    " max_in_flight, rate_per_s, timeout_ms, group_window_ms, repeat_interval_ms,"                 \
    " send_resolved, retry_schedule, enabled, disabled_reason, created_at"

static void read_webhook(sqlite3_stmt *st, db_webhook *w)
{
    memset(w, 0, sizeof *w);
    w->id = sqlite3_column_int64(st, 0);
    db_webhook_copy_col(st, 1, w->name, sizeof w->name);
    db_webhook_copy_col(st, 2, w->url, sizeof w->url);
    db_webhook_copy_col(st, 3, w->format, sizeof w->format);
    db_webhook_copy_col(st, 4, w->secret, sizeof w->secret);
    db_webhook_copy_col(st, 5, w->secret_previous, sizeof w->secret_previous);
    db_webhook_copy_col(st, 6, w->court_prefix, sizeof w->court_prefix);
    w->min_severity = sqlite3_column_int(st, 7);
    db_webhook_copy_col(st, 8, w->codes, sizeof w->codes);
    w->max_in_flight = sqlite3_column_int(st, 9);
    w->rate_per_s = sqlite3_column_double(st, 10);
    w->timeout_ms = sqlite3_column_int64(st, 11);
    w->group_window_ms = sqlite3_column_int64(st, 12);
    w->repeat_interval_ms = sqlite3_column_int64(st, 13);
    w->send_resolved = sqlite3_column_int(st, 14);
    db_webhook_copy_col(st, 15, w->retry_schedule, sizeof w->retry_schedule);
    w->enabled = sqlite3_column_int(st, 16);
    db_webhook_copy_col(st, 17, w->disabled_reason, sizeof w->disabled_reason);
    db_webhook_copy_col(st, 18, w->created_at, sizeof w->created_at);
}

/* The open (not resolved) alerts matching endpoint ?1 get an outbox row. */
static const char backfill_sql[] =
    "INSERT INTO outbox(webhook_id, alert_id, event, created_ms)"
    " SELECT w.id, a.id, 'firing', ?2 FROM webhooks w JOIN alerts a"
    " ON a.status IN ('open', 'acked') AND" MATCHES("a") " WHERE w.id = ?1";

cr_status db_webhook_add(cr_db *db, db_webhook *w, int backfill, int64_t *backfilled, cr_err *err)
{
    sqlite3_stmt *st;
    db_webhook existing;
    if (db_webhook_get(db, w->name, &existing, NULL) == CR_OK)
        return cr_errf(err, CR_INVALID, "webhook '%s' exists already (remove it first)", w->name);
    if (sqlite3_prepare_v2(db->sql,
                           "INSERT INTO webhooks(name, url, format, secret, secret_previous,"
                           " court_prefix, min_severity, codes, max_in_flight, rate_per_s,"
                           " timeout_ms, group_window_ms, repeat_interval_ms, send_resolved,"
                           " retry_schedule, enabled, created_at) VALUES (?1, ?2, ?3, ?4, NULL,"
                           " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 1, ?15)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "adding webhook");
    db_now(w->created_at);
    db_bind_text(st, 1, w->name);
    db_bind_text(st, 2, w->url);
    db_bind_text(st, 3, w->format);
    db_bind_text(st, 4, *w->secret ? w->secret : NULL);
    db_bind_text(st, 5, w->court_prefix);
    sqlite3_bind_int(st, 6, w->min_severity);
    db_bind_text(st, 7, w->codes);
    sqlite3_bind_int(st, 8, w->max_in_flight);
    sqlite3_bind_double(st, 9, w->rate_per_s);
    sqlite3_bind_int64(st, 10, w->timeout_ms);
    sqlite3_bind_int64(st, 11, w->group_window_ms);
    sqlite3_bind_int64(st, 12, w->repeat_interval_ms);
    sqlite3_bind_int(st, 13, w->send_resolved);
    db_bind_text(st, 14, w->retry_schedule);
    db_bind_text(st, 15, w->created_at);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_sqlerr(db, err, "adding webhook");
    w->id = sqlite3_last_insert_rowid(db->sql);
    w->enabled = 1;

    /* one pattern row per comma-separated code pattern */
    if (sqlite3_prepare_v2(db->sql,
                           "INSERT INTO webhook_codes(webhook_id, pattern)"
                           " SELECT ?1, trim(value) FROM json_each(?2) WHERE trim(value) <> ''",
                           -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "adding webhook codes");
    json_t *list = json_array();
    for (const char *p = w->codes; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        json_array_append_new(list, json_stringn(p, len));
        p = comma ? comma + 1 : p + len;
    }
    char *text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    sqlite3_bind_int64(st, 1, w->id);
    db_bind_text(st, 2, text);
    cr_status result = db_step_done(db, st, "adding webhook codes", err);
    sqlite3_finalize(st);
    free(text);
    if (result != CR_OK || !backfill)
        return result;
    int64_t params[2] = {w->id, db_now_ms()};
    *backfilled = 0;
    return db_webhook_exec(db, backfill_sql, params, 2, backfilled, "backfilling webhook", err);
}

cr_status db_webhook_get(cr_db *db, const char *name, db_webhook *out, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT " WEBHOOK_COLUMNS
                           " FROM webhooks WHERE name = ?1 AND removed_at IS NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "webhook");
    db_bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_webhook(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return CR_OK;
    if (rc == SQLITE_DONE)
        return cr_errf(err, CR_INVALID, "no webhook named '%s' (see `courtrules webhook list`)",
                       name);
    return db_sqlerr(db, err, "webhook");
}

cr_status db_webhook_list(cr_db *db, db_webhook **out, int *n, cr_err *err)
{
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT " WEBHOOK_COLUMNS
                           " FROM webhooks WHERE removed_at IS NULL ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "listing webhooks");
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            db_webhook *grown = realloc(*out, (size_t)cap * sizeof **out);
            if (!grown) {
                sqlite3_finalize(st);
                return cr_errf(err, CR_FAIL, "out of memory listing webhooks");
            }
            *out = grown;
        }
        read_webhook(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CR_OK : db_sqlerr(db, err, "listing webhooks");
}

cr_status db_webhook_remove(cr_db *db, int64_t id, int64_t *cancelled, cr_err *err)
{
    char now[26];
    db_now(now);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "UPDATE webhooks SET removed_at = ?2 WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "removing webhook");
    sqlite3_bind_int64(st, 1, id);
    db_bind_text(st, 2, now);
    cr_status result = db_step_done(db, st, "removing webhook", err);
    sqlite3_finalize(st);
    if (result != CR_OK)
        return result;
    *cancelled = 0;
    int64_t params[2] = {id, db_now_ms()};
    result = db_webhook_exec(db,
                             "UPDATE messages SET state = 'cancelled', finished_ms = ?2"
                             " WHERE webhook_id = ?1 AND state = 'pending'",
                             params, 2, cancelled, "removing webhook", err);
    if (result == CR_OK)
        result = db_webhook_exec(db,
                                 "UPDATE outbox SET message = -1"
                                 " WHERE webhook_id = ?1 AND message IS NULL",
                                 params, 1, cancelled, "removing webhook", err);
    return result;
}

cr_status db_webhook_set_enabled(cr_db *db, int64_t id, int enabled, const char *reason,
                                 cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql,
                           "UPDATE webhooks SET enabled = ?2, disabled_reason = ?3 WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "webhook");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, enabled);
    db_bind_text(st, 3, enabled ? NULL : reason);
    cr_status result = db_step_done(db, st, "webhook", err);
    sqlite3_finalize(st);
    if (result != CR_OK || !enabled)
        return result;
    int64_t params[2] = {id, db_now_ms()};
    return db_webhook_exec(db,
                           "UPDATE messages SET next_attempt_ms = ?2"
                           " WHERE webhook_id = ?1 AND state = 'pending' AND next_attempt_ms > ?2",
                           params, 2, NULL, "webhook", err);
}

cr_status db_webhook_rotate(cr_db *db, int64_t id, const char *new_secret, cr_err *err)
{
    sqlite3_stmt *st;
    const char *sql = new_secret ? "UPDATE webhooks SET secret_previous = secret, secret = ?2"
                                   " WHERE id = ?1"
                                 : "UPDATE webhooks SET secret_previous = NULL WHERE id = ?1";
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "rotating webhook secret");
    sqlite3_bind_int64(st, 1, id);
    if (new_secret)
        db_bind_text(st, 2, new_secret);
    cr_status result = db_step_done(db, st, "rotating webhook secret", err);
    sqlite3_finalize(st);
    return result;
}
