/*
 * deliver.h -- sending webhook messages from the outbox (libcurl multi).
 *
 * A pass: turn pending outbox rows into messages (grouped per endpoint when
 * it has a grouping window; open alerts repeated after its repeat interval),
 * send every due message -- at most max_in_flight at once per endpoint and
 * within its rate limit, so a slow or dead endpoint holds only its own
 * slots -- and record each attempt. HTTP happens outside any transaction;
 * attempts are committed in small batches after their response, so a crash
 * loses at most the record of attempts in flight and those messages are
 * sent again with the same webhook-id (at least once).
 */
#ifndef COURTRULES_DELIVER_H
#define COURTRULES_DELIVER_H

#include <signal.h>
#include <stdint.h>

#include "db.h"
#include "db_webhook.h"
#include "err.h"

struct deliver_summary;

typedef struct deliver_options {
    const char *plugins_dir;     /* where webhook/<format>.lua are */
    int follow;                  /* keep going until *stop becomes non-zero */
    volatile sig_atomic_t *stop; /* may be NULL when not following */
    int max_connections;         /* transfers at once over all endpoints; 0 = 64 */
    int64_t poll_ms;             /* follow: how often to look for new work; 0 = 200 */
    int verbose;                 /* one line per attempt on stderr */
    /* Called after every batch of attempts is committed, with the running
     * totals (for metrics and logs of a long --follow); may be NULL. */
    void (*on_flush)(void *ud, const struct deliver_summary *sum);
    void *on_flush_ud;
} deliver_options;

typedef struct deliver_summary {
    int64_t messages, repeats, attempts, delivered, retried, rejected, dead, disabled;
    int64_t format_failures;
    int64_t pending;     /* messages left waiting for a later attempt */
    int64_t next_due_ms; /* the earliest of them (INT64_MAX when none) */
} deliver_summary;

/* Runs one pass (follow = 0: until nothing is due now) or keeps delivering
 * until *stop (then finishes the transfers in flight and records them).
 * CR_FAIL on a storage failure; format script failures are counted and
 * reported on stderr, and their alerts stay in the outbox. */
cr_status deliver_run(cr_db *db, const deliver_options *opt, deliver_summary *sum, cr_err *err);

/* What one request got. */
typedef struct deliver_result {
    long http_status; /* 0 = no response */
    int64_t latency_ms;
    char error[256];
    char response[512];
    char msg_id[WEBHOOK_MSG_ID_LEN + 1];
} deliver_result;

/* Sends one test message (code TEST, severity info, not stored) to w right
 * now, through its format and signature. CR_OK when it was sent; the
 * status says whether the receiver took it. */
cr_status deliver_test(const db_webhook *w, const char *plugins_dir, deliver_result *res,
                       cr_err *err);

#endif
