/*
 * db_webhook_admin.c -- SQL behind `deliveries` and `redeliver`: attempts,
 * per-endpoint summaries, sending again. See db_webhook.h.
 */
#include "db_webhook.h"
#include "db_internal.h"
#include "db_webhook_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cr_status db_webhook_attempts(cr_db *db, const db_delivery_filter *f, json_t **out, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            db->sql,
            "SELECT d.id, d.at, w.name, m.msg_id, d.attempt, d.http_status, d.latency_ms,"
            " d.outcome, d.error, d.response, m.state, m.alerts,"
            " (SELECT json_group_array(o.alert_id) FROM outbox o WHERE o.message = d.message)"
            " FROM delivery_attempts d JOIN webhooks w ON w.id = d.webhook_id"
            " JOIN messages m ON m.id = d.message"
            " WHERE (?1 IS NULL OR w.name = ?1)"
            " AND (?2 = 0 OR EXISTS (SELECT 1 FROM outbox o"
            "      WHERE o.message = d.message AND o.alert_id = ?2))"
            " AND (?3 IS NULL OR d.outcome = ?3) AND (?4 IS NULL OR d.at >= ?4)"
            " ORDER BY d.id DESC LIMIT ?5",
            -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "listing deliveries");
    db_bind_text(st, 1, f->webhook);
    sqlite3_bind_int64(st, 2, f->alert_id);
    db_bind_text(st, 3, f->outcome);
    db_bind_text(st, 4, f->since);
    sqlite3_bind_int64(st, 5, f->limit > 0 ? f->limit : -1);
    static const char *const keys[] = {"id",      "at",          "webhook",       "message_id",
                                       "attempt", "http_status", "latency_ms",    "outcome",
                                       "error",   "response",    "message_state", "alerts"};
    json_t *rows = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = json_object();
        for (int k = 0; k < 12; k++) {
            int type = sqlite3_column_type(st, k);
            json_t *v = type == SQLITE_NULL ? json_null()
                        : type == SQLITE_INTEGER
                            ? json_integer(sqlite3_column_int64(st, k))
                            : json_string((const char *)sqlite3_column_text(st, k));
            json_object_set_new(row, keys[k], v ? v : json_string("?"));
        }
        json_t *ids = json_loads((const char *)sqlite3_column_text(st, 12), 0, NULL);
        json_object_set_new(row, "alert_ids", ids ? ids : json_array());
        json_array_append_new(rows, row);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(rows);
        return db_sqlerr(db, err, "listing deliveries");
    }
    *out = rows;
    return CR_OK;
}

cr_status db_webhook_summary(cr_db *db, json_t **out, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            db->sql,
            "SELECT w.name, w.enabled, w.disabled_reason,"
            " (SELECT count(*) FROM outbox o WHERE o.webhook_id = w.id AND o.message IS NULL),"
            " sum(m.state = 'pending'), sum(m.state = 'delivered'), sum(m.state = 'rejected'),"
            " sum(m.state = 'dead'), min(CASE m.state WHEN 'pending' THEN m.next_attempt_ms END)"
            " FROM webhooks w LEFT JOIN messages m ON m.webhook_id = w.id"
            " WHERE w.removed_at IS NULL GROUP BY w.id ORDER BY w.name",
            -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "delivery summary");
    json_t *rows = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = json_object();
        db_webhook_set_text(row, "webhook", st, 0);
        json_object_set_new(row, "enabled", json_boolean(sqlite3_column_int(st, 1)));
        db_webhook_set_text(row, "disabled_reason", st, 2);
        json_object_set_new(row, "waiting", json_integer(sqlite3_column_int64(st, 3)));
        static const char *const states[] = {"pending", "delivered", "rejected", "dead"};
        for (int k = 0; k < 4; k++)
            json_object_set_new(row, states[k], json_integer(sqlite3_column_int64(st, 4 + k)));
        json_object_set_new(row, "next_attempt_ms",
                            sqlite3_column_type(st, 8) == SQLITE_NULL
                                ? json_null()
                                : json_integer(sqlite3_column_int64(st, 8)));
        json_array_append_new(rows, row);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(rows);
        return db_sqlerr(db, err, "delivery summary");
    }
    *out = rows;
    return CR_OK;
}

cr_status db_webhook_redeliver_alert(cr_db *db, int64_t alert_id, int64_t now_ms, int64_t *n,
                                     cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "SELECT 1 FROM alerts WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return db_sqlerr(db, err, "alert");
    sqlite3_bind_int64(st, 1, alert_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return cr_errf(err, CR_INVALID, "alert %lld does not exist", (long long)alert_id);
    if (rc != SQLITE_ROW)
        return db_sqlerr(db, err, "alert");
    int64_t params[2] = {alert_id, now_ms};
    *n = 0;
    cr_status result =
        db_webhook_exec(db,
                        "UPDATE messages SET state = 'pending', attempts = 0, next_attempt_ms = ?2,"
                        " finished_ms = NULL WHERE state <> 'cancelled'"
                        " AND id IN (SELECT message FROM outbox WHERE alert_id = ?1)"
                        " AND webhook_id IN (SELECT id FROM webhooks WHERE removed_at IS NULL)",
                        params, 2, n, "redelivering alert", err);
    if (result != CR_OK || *n > 0)
        return result;
    /* never sent (or only waiting in the outbox): new rows for the endpoints
     * that match it, unless a row is already waiting */
    return db_webhook_exec(
        db,
        "INSERT INTO outbox(webhook_id, alert_id, event, created_ms)"
        " SELECT w.id, a.id, CASE a.status WHEN 'resolved' THEN 'resolved'"
        " ELSE 'firing' END, ?2 FROM webhooks w JOIN alerts a ON a.id = ?1"
        " AND" MATCHES("a") " WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.alert_id = a.id"
                            "   AND o.webhook_id = w.id AND o.message IS NULL)",
        params, 2, n, "redelivering alert", err);
}

cr_status db_webhook_redeliver_failed(cr_db *db, int64_t since_ms, int64_t now_ms, int64_t *n,
                                      cr_err *err)
{
    int64_t params[2] = {since_ms, now_ms};
    *n = 0;
    return db_webhook_exec(
        db,
        "UPDATE messages SET state = 'pending', attempts = 0, next_attempt_ms = ?2,"
        " finished_ms = NULL WHERE state IN ('rejected', 'dead')"
        " AND finished_ms >= ?1"
        " AND webhook_id IN (SELECT id FROM webhooks WHERE removed_at IS NULL)",
        params, 2, n, "redelivering failed messages", err);
}
