/*
 * db_webhook.c -- SQL for the outbox, messages and attempts (the delivery
 * path). Endpoints are in db_webhook_endpoints.c, listings and redelivery
 * in db_webhook_admin.c. See db_webhook.h; the outbox triggers are in
 * migration 5 (db.c).
 */
#include "db_webhook.h"
#include "db_internal.h"
#include "db_webhook_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    S_PENDING,
    S_PUT_MESSAGE,
    S_LINK_OUTBOX,
    S_DUE,
    S_PUT_ATTEMPT,
    S_MESSAGE_STATE,
    S_DISABLE,
    S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    /* the payload's fields from column 3 on, in webhook_alert_keys order:
     * handed to the format's render as they are, no JSON in between */
    [S_PENDING] =
        "SELECT o.id, o.created_ms, a.id, o.event, a.code, a.severity, a.court, a.case_no,"
        " a.message, a.basis, a.rule_set, a.rule, a.rule_version, a.rule_set_sha, a.status,"
        " a.as_of, a.created_at, a.last_seen_at, a.resolved_at, json(a.data)"
        " FROM outbox o JOIN alerts a ON a.id = o.alert_id"
        " WHERE o.webhook_id = ?1 AND o.message IS NULL ORDER BY o.id LIMIT ?2",
    [S_PUT_MESSAGE] = "INSERT INTO messages(msg_id, webhook_id, created_ms, alerts, state,"
                      " next_attempt_ms, body) VALUES (?1, ?2, ?3, ?4, 'pending', ?3, ?5)",
    [S_LINK_OUTBOX] = "UPDATE outbox SET message = ?1 WHERE id = ?2 AND message IS NULL",
    [S_DUE] = "SELECT m.id, m.msg_id, m.body, m.attempts, m.next_attempt_ms FROM messages m"
              " WHERE m.webhook_id = ?1 AND m.state = 'pending' AND m.next_attempt_ms <= ?2"
              " ORDER BY m.next_attempt_ms, m.id LIMIT ?3",
    [S_PUT_ATTEMPT] = "INSERT INTO delivery_attempts(message, webhook_id, attempt, at,"
                      " http_status, latency_ms, outcome, error, response, next_attempt_ms)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [S_MESSAGE_STATE] = "UPDATE messages SET state = ?2, attempts = ?3, next_attempt_ms = ?4,"
                        " last_status = ?5, last_error = ?6, finished_ms = ?7"
                        " WHERE id = ?1 AND state = 'pending'",
    [S_DISABLE] = "UPDATE webhooks SET enabled = 0, disabled_reason = ?2 WHERE id = ?1",
};

struct db_webhook_stmts {
    sqlite3_stmt *stmt[S_COUNT];
};

static sqlite3_stmt *stmt(cr_db *db, int which, cr_err *err)
{
    if (!db->webhook) {
        db->webhook = calloc(1, sizeof *db->webhook);
        if (!db->webhook) {
            cr_errf(err, CR_FAIL, "out of memory");
            return NULL;
        }
    }
    return db_stmt(db, &db->webhook->stmt[which], stmt_sql[which], err);
}

void db_webhook_finalize(cr_db *db)
{
    if (!db->webhook)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(db->webhook->stmt[i]);
    free(db->webhook);
    db->webhook = NULL;
}

int64_t db_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void db_webhook_copy_col(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    snprintf(out, cap, "%s", s ? s : "");
}

cr_status db_webhook_instance(cr_db *db, char out[33], cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "SELECT value FROM meta WHERE key = 'webhook_instance'", -1,
                           &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "webhook instance id");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        db_webhook_copy_col(st, 0, out, 33);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? cr_errf(err, CR_FAIL, "the database has no webhook instance id")
                                 : db_sqlerr(db, err, "webhook instance id");
    return CR_OK;
}

/* Runs a one-off statement with integer parameters ?1.. (n of them) and
 * adds its change count to *changes (may be NULL). */
cr_status db_webhook_exec(cr_db *db, const char *sql, const int64_t *params, int n,
                          int64_t *changes, const char *what, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, what);
    for (int i = 0; i < n; i++)
        sqlite3_bind_int64(st, i + 1, params[i]);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_sqlerr(db, err, what);
    if (changes)
        *changes += sqlite3_changes(db->sql);
    return CR_OK;
}

cr_status db_webhook_enqueue_repeats(cr_db *db, int64_t now_ms, int64_t *added, cr_err *err)
{
    int64_t params[1] = {now_ms};
    *added = 0;
    return db_webhook_exec(db,
                           "INSERT INTO outbox(webhook_id, alert_id, event, created_ms)"
                           " SELECT w.id, a.id, 'repeat', ?1 FROM webhooks w JOIN alerts a"
                           " ON a.status = 'open' AND" MATCHES(
                               "a") " WHERE w.enabled AND w.repeat_interval_ms > 0"
                                    " AND (SELECT max(o.created_ms) FROM outbox o"
                                    "      WHERE o.alert_id = a.id AND o.webhook_id = w.id)"
                                    "     <= ?1 - w.repeat_interval_ms",
                           params, 1, added, "repeating open alerts", err);
}

void db_webhook_set_text(json_t *obj, const char *key, sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    json_object_set_new(obj, key, s ? json_string(s) : json_null());
}

void db_webhook_free_alerts(webhook_alert **alerts, int n)
{
    for (int i = 0; i < n; i++)
        free(alerts[i]);
}

enum { PENDING_FIRST_FIELD = 3 }; /* S_PENDING's column of WEBHOOK_ALERT_EVENT */

/* The current row of S_PENDING as one block: the struct, then its texts.
 * Each column is asked for once: its text, then that text's length (the
 * order SQLite documents; the pointers last until the next step). NULL if
 * out of memory. */
static webhook_alert *pending_alert(sqlite3_stmt *st)
{
    const char *text[WEBHOOK_ALERT_FIELDS];
    size_t len[WEBHOOK_ALERT_FIELDS];
    size_t size = sizeof(webhook_alert);
    for (int i = 0; i < WEBHOOK_ALERT_FIELDS; i++) {
        text[i] = (const char *)sqlite3_column_text(st, PENDING_FIRST_FIELD + i);
        if (!text[i]) {
            if (sqlite3_column_type(st, PENDING_FIRST_FIELD + i) != SQLITE_NULL)
                return NULL; /* no memory for the text form */
            continue;
        }
        len[i] = (size_t)sqlite3_column_bytes(st, PENDING_FIRST_FIELD + i);
        size += len[i] + 1;
    }
    webhook_alert *a = malloc(size);
    if (!a)
        return NULL;
    char *p = (char *)(a + 1);
    a->id = sqlite3_column_int64(st, 2);
    for (int i = 0; i < WEBHOOK_ALERT_FIELDS; i++) {
        if (!text[i]) {
            a->field[i] = NULL;
            continue;
        }
        memcpy(p, text[i], len[i] + 1);
        a->field[i] = p;
        p += len[i] + 1;
    }
    return a;
}

cr_status db_webhook_pending(cr_db *db, int64_t webhook_id, int limit, webhook_alert **alerts,
                             int64_t *outbox_ids, int *n, int64_t *oldest_ms, cr_err *err)
{
    sqlite3_stmt *st = stmt(db, S_PENDING, err);
    if (!st)
        return CR_FAIL;
    sqlite3_bind_int64(st, 1, webhook_id);
    sqlite3_bind_int(st, 2, limit);
    *n = 0;
    *oldest_ms = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) {
        outbox_ids[*n] = sqlite3_column_int64(st, 0);
        if (!*oldest_ms)
            *oldest_ms = sqlite3_column_int64(st, 1);
        if (!(alerts[*n] = pending_alert(st))) {
            rc = SQLITE_NOMEM;
            break;
        }
        (*n)++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        db_webhook_free_alerts(alerts, *n);
        *n = 0;
        return rc == SQLITE_NOMEM ? cr_errf(err, CR_FAIL, "out of memory")
                                  : db_sqlerr(db, err, "pending outbox rows");
    }
    return CR_OK;
}

cr_status db_webhook_put_message(cr_db *db, int64_t webhook_id, const char *msg_id,
                                 const char *body, const int64_t *outbox_ids, int n_ids,
                                 int64_t now_ms, int64_t *row, cr_err *err)
{
    sqlite3_stmt *st = stmt(db, S_PUT_MESSAGE, err);
    if (!st)
        return CR_FAIL;
    db_bind_text(st, 1, msg_id);
    sqlite3_bind_int64(st, 2, webhook_id);
    sqlite3_bind_int64(st, 3, now_ms);
    sqlite3_bind_int(st, 4, n_ids);
    db_bind_text(st, 5, body);
    cr_status result = db_step_done(db, st, "storing webhook message", err);
    int64_t message = *row = sqlite3_last_insert_rowid(db->sql);
    for (int i = 0; i < n_ids && result == CR_OK; i++) {
        if (!(st = stmt(db, S_LINK_OUTBOX, err)))
            return CR_FAIL;
        sqlite3_bind_int64(st, 1, message);
        sqlite3_bind_int64(st, 2, outbox_ids[i]);
        result = db_step_done(db, st, "linking outbox rows", err);
    }
    return result;
}

void db_webhook_free_messages(db_message *m, int n)
{
    for (int i = 0; i < n; i++)
        free(m[i].body);
    free(m);
}

cr_status db_webhook_due(cr_db *db, int64_t webhook_id, int64_t now_ms, int cap, db_message **out,
                         int *n, cr_err *err)
{
    *out = NULL;
    *n = 0;
    if (cap <= 0)
        return CR_OK;
    sqlite3_stmt *st = stmt(db, S_DUE, err);
    if (!st)
        return CR_FAIL;
    db_message *m = calloc((size_t)cap, sizeof *m);
    if (!m)
        return cr_errf(err, CR_FAIL, "out of memory");
    sqlite3_bind_int64(st, 1, webhook_id);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_int(st, 3, cap);
    int rc, k = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && k < cap) {
        m[k].row = sqlite3_column_int64(st, 0);
        db_webhook_copy_col(st, 1, m[k].id, sizeof m[k].id);
        m[k].body = strdup((const char *)sqlite3_column_text(st, 2));
        m[k].attempts = sqlite3_column_int(st, 3);
        m[k].next_attempt_ms = sqlite3_column_int64(st, 4);
        k++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        db_webhook_free_messages(m, k);
        return db_sqlerr(db, err, "due webhook messages");
    }
    *out = m;
    *n = k;
    return CR_OK;
}

cr_status db_webhook_next_due(cr_db *db, int64_t *next_ms, int64_t *pending, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT min(m.next_attempt_ms), count(*) FROM messages m"
                           " JOIN webhooks w ON w.id = m.webhook_id"
                           " WHERE m.state = 'pending' AND w.enabled AND w.removed_at IS NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "next webhook message");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *next_ms =
            sqlite3_column_type(st, 0) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(st, 0);
        *pending = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? CR_OK : db_sqlerr(db, err, "next webhook message");
}

cr_status db_webhook_put_attempt(cr_db *db, const db_attempt *a, cr_err *err)
{
    char at[26];
    db_now(at);
    const char *outcome = webhook_outcome_name(a->outcome);
    const char *state = "pending";
    int64_t next = a->now_ms, finished = -1;
    switch (a->outcome) {
    case WEBHOOK_DELIVERED:
        state = "delivered";
        finished = a->now_ms;
        break;
    case WEBHOOK_REJECTED:
        state = "rejected";
        finished = a->now_ms;
        break;
    case WEBHOOK_GONE:
        break; /* stays due: the backlog once re-enabled */
    case WEBHOOK_RETRY:
        if (a->next_attempt_ms < 0) {
            state = "dead";
            outcome = "dead";
            finished = a->now_ms;
        } else {
            next = a->next_attempt_ms;
        }
        break;
    }
    sqlite3_stmt *st = stmt(db, S_PUT_ATTEMPT, err);
    if (!st)
        return CR_FAIL;
    sqlite3_bind_int64(st, 1, a->message);
    sqlite3_bind_int64(st, 2, a->webhook_id);
    sqlite3_bind_int(st, 3, a->attempt);
    db_bind_text(st, 4, at);
    if (a->http_status)
        sqlite3_bind_int64(st, 5, a->http_status);
    sqlite3_bind_int64(st, 6, a->latency_ms);
    db_bind_text(st, 7, outcome);
    db_bind_text(st, 8, a->error);
    db_bind_text(st, 9, a->response);
    if (strcmp(state, "pending") == 0)
        sqlite3_bind_int64(st, 10, next);
    cr_status result = db_step_done(db, st, "recording delivery attempt", err);
    if (result != CR_OK || !(st = stmt(db, S_MESSAGE_STATE, err)))
        return result != CR_OK ? result : CR_FAIL;
    sqlite3_bind_int64(st, 1, a->message);
    db_bind_text(st, 2, state);
    sqlite3_bind_int(st, 3, a->attempt);
    sqlite3_bind_int64(st, 4, next);
    if (a->http_status)
        sqlite3_bind_int64(st, 5, a->http_status);
    db_bind_text(st, 6, a->error);
    if (finished >= 0)
        sqlite3_bind_int64(st, 7, finished);
    result = db_step_done(db, st, "recording delivery attempt", err);
    if (result != CR_OK || a->outcome != WEBHOOK_GONE)
        return result;
    if (!(st = stmt(db, S_DISABLE, err)))
        return CR_FAIL;
    sqlite3_bind_int64(st, 1, a->webhook_id);
    db_bind_text(st, 2, "the receiver answered 410 Gone");
    return db_step_done(db, st, "disabling webhook", err);
}
