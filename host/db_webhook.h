/*
 * db_webhook.h -- storage for webhook delivery: endpoints, the outbox,
 * messages and attempts.
 *
 * Outbox rows are written by triggers (migration 5) in the transaction that
 * creates, resolves or reopens an alert, one per matching endpoint, so no
 * command that changes alerts can forget them. Delivery then
 *   1. groups an endpoint's pending outbox rows into messages (one row each,
 *      or all rows within the grouping window): db_webhook_pending +
 *      db_webhook_put_message, in one transaction;
 *   2. sends due messages outside any transaction;
 *   3. records each attempt and the message's new state: db_webhook_put_attempt.
 * A message's id is its webhook-id, the same on every attempt, so a crash
 * between 2 and 3 resends the message with the same id.
 */
#ifndef COURTRULES_DB_WEBHOOK_H
#define COURTRULES_DB_WEBHOOK_H

#include <stdint.h>

#include <jansson.h>

#include "db.h"
#include "err.h"
#include "webhook.h"

typedef struct db_webhook {
    int64_t id;
    char name[64];
    char url[1024];
    char format[32];
    char secret[WEBHOOK_SECRET_MAX];          /* "" when the format needs none */
    char secret_previous[WEBHOOK_SECRET_MAX]; /* "" unless a rotation is under way */
    char court_prefix[64];                    /* "" = every court */
    int min_severity;                         /* webhook_severity_rank */
    char codes[512];                          /* comma-separated GLOB patterns */
    int max_in_flight;
    double rate_per_s; /* 0 = no limit */
    int64_t timeout_ms, group_window_ms, repeat_interval_ms;
    int send_resolved;
    char retry_schedule[256];
    int enabled;
    char disabled_reason[256];
    char created_at[26];
} db_webhook;

/* Adds an endpoint (w->id is set). CR_INVALID if the name is taken. With
 * backfill, the alerts open now that match it get outbox rows too. */
cr_status db_webhook_add(cr_db *db, db_webhook *w, int backfill, int64_t *backfilled, cr_err *err);

/* Finds an endpoint by name (not removed). CR_INVALID if there is none. */
cr_status db_webhook_get(cr_db *db, const char *name, db_webhook *out, cr_err *err);

/* Every endpoint not removed, by name. *out is malloc'd (free it). */
cr_status db_webhook_list(cr_db *db, db_webhook **out, int *n, cr_err *err);

/* Removes an endpoint: no new outbox rows; its undelivered messages and
 * outbox rows are cancelled (counted in *cancelled). */
cr_status db_webhook_remove(cr_db *db, int64_t id, int64_t *cancelled, cr_err *err);

/* Enables (reason NULL) or disables an endpoint. Enabling makes its waiting
 * messages due now: the backlog goes out first. */
cr_status db_webhook_set_enabled(cr_db *db, int64_t id, int enabled, const char *reason,
                                 cr_err *err);

/* Starts a rotation (the current secret becomes the previous one and both
 * sign) or ends it (new_secret NULL: the previous secret is dropped). */
cr_status db_webhook_rotate(cr_db *db, int64_t id, const char *new_secret, cr_err *err);

/* For endpoints with a repeat interval: an outbox row 'repeat' for each
 * alert still open whose last notification to it is older than the interval. */
cr_status db_webhook_enqueue_repeats(cr_db *db, int64_t now_ms, int64_t *added, cr_err *err);

/*
 * Up to limit pending outbox rows of an endpoint, oldest first: each alert's
 * payload fields (its outbox row's event among them) in alerts[i], one
 * malloc'd block each (free(alerts[i]) frees its texts too;
 * db_webhook_free_alerts), its outbox row id in outbox_ids[i]; *n of them,
 * and the creation time of the oldest (0 when none). data is the stored
 * JSON made canonical by SQLite's json(): a row whose data is not JSON
 * fails the read as it always did.
 */
cr_status db_webhook_pending(cr_db *db, int64_t webhook_id, int limit, webhook_alert **alerts,
                             int64_t *outbox_ids, int *n, int64_t *oldest_ms, cr_err *err);
void db_webhook_free_alerts(webhook_alert **alerts, int n);

/* Stores a message (due now) made of the outbox rows outbox_ids[0..n_ids-1];
 * *row receives its messages.id. */
cr_status db_webhook_put_message(cr_db *db, int64_t webhook_id, const char *msg_id,
                                 const char *body, const int64_t *outbox_ids, int n_ids,
                                 int64_t now_ms, int64_t *row, cr_err *err);

typedef struct db_message {
    int64_t row;                     /* messages.id */
    char id[WEBHOOK_MSG_ID_LEN + 1]; /* the webhook-id */
    char *body;                      /* malloc'd */
    int attempts;
    int64_t next_attempt_ms;
} db_message;

/* Up to cap pending messages of an endpoint due at now_ms, oldest due first.
 * *out is malloc'd; free each body and the array (db_webhook_free_messages). */
cr_status db_webhook_due(cr_db *db, int64_t webhook_id, int64_t now_ms, int cap, db_message **out,
                         int *n, cr_err *err);
void db_webhook_free_messages(db_message *m, int n);

/* The earliest next_attempt_ms of a pending message of an enabled endpoint
 * (INT64_MAX when none), and how many are pending. */
cr_status db_webhook_next_due(cr_db *db, int64_t *next_ms, int64_t *pending, cr_err *err);

typedef struct db_attempt {
    int64_t message; /* messages.id */
    int64_t webhook_id;
    int attempt;      /* 1 = first */
    long http_status; /* 0 = no response */
    int64_t latency_ms;
    webhook_outcome outcome;
    const char *error;       /* NULL when there was a response */
    const char *response;    /* first bytes of the body, NULL if none */
    int64_t next_attempt_ms; /* when outcome is RETRY and a retry is left; else -1 */
    int64_t now_ms;
} db_attempt;

/* Records an attempt and moves its message on: delivered, rejected, pending
 * again (retry), dead (no retry left), or -- 410 -- left pending while the
 * endpoint is disabled. Call inside a transaction. */
cr_status db_webhook_put_attempt(cr_db *db, const db_attempt *a, cr_err *err);

typedef struct db_delivery_filter {
    const char *webhook; /* endpoint name */
    int64_t alert_id;    /* 0 = any */
    const char *outcome; /* delivered, retry, rejected, gone, dead */
    const char *since;   /* attempts at or after this time (stored text form) */
    int64_t limit;       /* 0 = no limit */
} db_delivery_filter;

/* Attempts, newest first, as a JSON array. */
cr_status db_webhook_attempts(cr_db *db, const db_delivery_filter *f, json_t **out, cr_err *err);

/* Per endpoint: messages by state and the next due time, as a JSON array. */
cr_status db_webhook_summary(cr_db *db, json_t **out, cr_err *err);

/* Sends an alert again: every message that carried it becomes due now with
 * its id kept; an alert never sent gets outbox rows for the endpoints that
 * match it. *n counts messages and rows. CR_INVALID if no such alert. */
cr_status db_webhook_redeliver_alert(cr_db *db, int64_t alert_id, int64_t now_ms, int64_t *n,
                                     cr_err *err);

/* Every message rejected or dead-lettered at or after since_ms is due again. */
cr_status db_webhook_redeliver_failed(cr_db *db, int64_t since_ms, int64_t now_ms, int64_t *n,
                                      cr_err *err);

/* This database's random id for deriving message ids (32 hex digits). */
cr_status db_webhook_instance(cr_db *db, char out[33], cr_err *err);

/* Unix milliseconds now. */
int64_t db_now_ms(void);

#endif
