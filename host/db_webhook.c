/*
 * db_webhook.c -- SQL for endpoints, the outbox, messages and attempts.
 * See db_webhook.h; the outbox triggers are in migration 5 (db.c).
 */
#include "db_webhook.h"
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Which endpoints an alert `a` goes to; the same test as the outbox
 * triggers of migration 5 (w = webhooks). */
#define MATCHES(a)                                                                                 \
    " w.removed_at IS NULL"                                                                        \
    " AND substr(" a ".court, 1, length(w.court_prefix)) = w.court_prefix"                         \
    " AND (CASE " a ".severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END)"           \
    "     >= w.min_severity"                                                                       \
    " AND EXISTS (SELECT 1 FROM webhook_codes c WHERE c.webhook_id = w.id"                         \
    "             AND " a ".code GLOB c.pattern)"

#define WEBHOOK_COLUMNS                                                                            \
    "id, name, url, format, secret, secret_previous, court_prefix, min_severity, codes,"           \
    " max_in_flight, rate_per_s, timeout_ms, group_window_ms, repeat_interval_ms,"                 \
    " send_resolved, retry_schedule, enabled, disabled_reason, created_at"

enum {
    S_PENDING,
    S_PUT_MESSAGE,
    S_PUT_BODY,
    S_LINK_OUTBOX,
    S_DUE,
    S_PUT_ATTEMPT,
    S_MESSAGE_STATE,
    S_DISABLE,
    S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    /* the payload's alert objects, made by SQLite as JSON text */
    [S_PENDING] =
        "SELECT o.id, o.created_ms, json_object('event', o.event, 'id', a.id, 'code', a.code,"
        " 'severity', a.severity, 'court', a.court, 'case_no', a.case_no, 'message', a.message,"
        " 'basis', a.basis, 'rule_set', a.rule_set, 'rule', a.rule, 'rule_version',"
        " a.rule_version, 'rule_set_sha', a.rule_set_sha, 'status', a.status, 'as_of', a.as_of,"
        " 'created_at', a.created_at, 'last_seen_at', a.last_seen_at, 'resolved_at',"
        " a.resolved_at, 'data', json(a.data))"
        " FROM outbox o JOIN alerts a ON a.id = o.alert_id"
        " WHERE o.webhook_id = ?1 AND o.message IS NULL ORDER BY o.id LIMIT ?2",
    [S_PUT_MESSAGE] = "INSERT INTO messages(msg_id, webhook_id, created_ms, alerts, state,"
                      " next_attempt_ms) VALUES (?1, ?2, ?3, ?4, 'pending', ?3)",
    [S_PUT_BODY] = "INSERT INTO message_bodies(message, body) VALUES (?1, ?2)",
    [S_LINK_OUTBOX] = "UPDATE outbox SET message = ?1 WHERE id = ?2 AND message IS NULL",
    [S_DUE] = "SELECT m.id, m.msg_id, b.body, m.attempts, m.next_attempt_ms FROM messages m"
              " JOIN message_bodies b ON b.message = m.id"
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

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t cap)
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
        copy_col(st, 0, out, 33);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? cr_errf(err, CR_FAIL, "the database has no webhook instance id")
                                 : db_sqlerr(db, err, "webhook instance id");
    return CR_OK;
}

static void read_webhook(sqlite3_stmt *st, db_webhook *w)
{
    memset(w, 0, sizeof *w);
    w->id = sqlite3_column_int64(st, 0);
    copy_col(st, 1, w->name, sizeof w->name);
    copy_col(st, 2, w->url, sizeof w->url);
    copy_col(st, 3, w->format, sizeof w->format);
    copy_col(st, 4, w->secret, sizeof w->secret);
    copy_col(st, 5, w->secret_previous, sizeof w->secret_previous);
    copy_col(st, 6, w->court_prefix, sizeof w->court_prefix);
    w->min_severity = sqlite3_column_int(st, 7);
    copy_col(st, 8, w->codes, sizeof w->codes);
    w->max_in_flight = sqlite3_column_int(st, 9);
    w->rate_per_s = sqlite3_column_double(st, 10);
    w->timeout_ms = sqlite3_column_int64(st, 11);
    w->group_window_ms = sqlite3_column_int64(st, 12);
    w->repeat_interval_ms = sqlite3_column_int64(st, 13);
    w->send_resolved = sqlite3_column_int(st, 14);
    copy_col(st, 15, w->retry_schedule, sizeof w->retry_schedule);
    w->enabled = sqlite3_column_int(st, 16);
    copy_col(st, 17, w->disabled_reason, sizeof w->disabled_reason);
    copy_col(st, 18, w->created_at, sizeof w->created_at);
}

/* Runs a one-off statement with integer parameters ?1.. (n of them) and
 * adds its change count to *changes (may be NULL). */
static cr_status exec_ints(cr_db *db, const char *sql, const int64_t *params, int n,
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
    return exec_ints(db, backfill_sql, params, 2, backfilled, "backfilling webhook", err);
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
    result = exec_ints(db,
                       "UPDATE messages SET state = 'cancelled', finished_ms = ?2"
                       " WHERE webhook_id = ?1 AND state = 'pending'",
                       params, 2, cancelled, "removing webhook", err);
    if (result == CR_OK)
        result = exec_ints(db,
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
    return exec_ints(db,
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

cr_status db_webhook_enqueue_repeats(cr_db *db, int64_t now_ms, int64_t *added, cr_err *err)
{
    int64_t params[1] = {now_ms};
    *added = 0;
    return exec_ints(db,
                     "INSERT INTO outbox(webhook_id, alert_id, event, created_ms)"
                     " SELECT w.id, a.id, 'repeat', ?1 FROM webhooks w JOIN alerts a"
                     " ON a.status = 'open' AND" MATCHES(
                         "a") " WHERE w.enabled AND w.repeat_interval_ms > 0"
                              " AND (SELECT max(o.created_ms) FROM outbox o"
                              "      WHERE o.alert_id = a.id AND o.webhook_id = w.id)"
                              "     <= ?1 - w.repeat_interval_ms",
                     params, 1, added, "repeating open alerts", err);
}

static void set_text(json_t *obj, const char *key, sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    json_object_set_new(obj, key, s ? json_string(s) : json_null());
}

void db_webhook_free_texts(char **texts, int n)
{
    for (int i = 0; i < n; i++)
        free(texts[i]);
}

cr_status db_webhook_pending(cr_db *db, int64_t webhook_id, int limit, char **alerts,
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
        if (!(alerts[*n] = strdup((const char *)sqlite3_column_text(st, 2)))) {
            rc = SQLITE_NOMEM;
            break;
        }
        (*n)++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        db_webhook_free_texts(alerts, *n);
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
    cr_status result = db_step_done(db, st, "storing webhook message", err);
    if (result != CR_OK || !(st = stmt(db, S_PUT_BODY, err)))
        return result != CR_OK ? result : CR_FAIL;
    int64_t message = *row = sqlite3_last_insert_rowid(db->sql);
    sqlite3_bind_int64(st, 1, message);
    db_bind_text(st, 2, body);
    result = db_step_done(db, st, "storing webhook message", err);
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
        copy_col(st, 1, m[k].id, sizeof m[k].id);
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
        set_text(row, "webhook", st, 0);
        json_object_set_new(row, "enabled", json_boolean(sqlite3_column_int(st, 1)));
        set_text(row, "disabled_reason", st, 2);
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
        exec_ints(db,
                  "UPDATE messages SET state = 'pending', attempts = 0, next_attempt_ms = ?2,"
                  " finished_ms = NULL WHERE state <> 'cancelled'"
                  " AND id IN (SELECT message FROM outbox WHERE alert_id = ?1)"
                  " AND webhook_id IN (SELECT id FROM webhooks WHERE removed_at IS NULL)",
                  params, 2, n, "redelivering alert", err);
    if (result != CR_OK || *n > 0)
        return result;
    /* never sent (or only waiting in the outbox): new rows for the endpoints
     * that match it, unless a row is already waiting */
    return exec_ints(
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
    return exec_ints(db,
                     "UPDATE messages SET state = 'pending', attempts = 0, next_attempt_ms = ?2,"
                     " finished_ms = NULL WHERE state IN ('rejected', 'dead')"
                     " AND finished_ms >= ?1"
                     " AND webhook_id IN (SELECT id FROM webhooks WHERE removed_at IS NULL)",
                     params, 2, n, "redelivering failed messages", err);
}
