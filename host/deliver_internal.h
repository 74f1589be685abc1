/*
 * deliver_internal.h -- shared by deliver.c (the loop: dispatch, records)
 * and deliver_prepare.c (endpoints, making messages). One deliverer per
 * pass, used by the database thread only.
 */
#ifndef COURTRULES_DELIVER_INTERNAL_H
#define COURTRULES_DELIVER_INTERNAL_H

#include <stdint.h>

#include "db_webhook.h"
#include "deliver.h"
#include "deliver_send.h"
#include "webhook.h"
#include "webhook_format.h"

#define GROUP_MAX_ALERTS 100 /* alerts in one grouped message */
/* outbox rows made into messages per prepare, over all endpoints: small,
 * so that the sender, fed between chunks, does not run dry meanwhile */
#define PREPARE_MAX_ROWS 64
#define PENDING_BATCH 500     /* outbox rows read at a time */
#define FLUSH_EVERY 1024      /* attempts recorded per transaction, at most */
#define FLUSH_AFTER_MS 100    /* ... or after this long */
#define REPEAT_CHECK_MS 30000 /* how often open alerts are checked for repeats */
#define QUEUE_BATCH 1024      /* due messages fetched per endpoint at a time */
#define PIPELINE                                                                                   \
    4 /* attempts handed to the sender per request slot: the sender                                \
         keeps each endpoint's cap and has work while this thread                                  \
         makes messages */

typedef struct endpoint {
    db_webhook w;
    webhook_schedule schedule;
    webhook_format *format;
    int in_flight;
    double tokens;
    int64_t refilled_ms;
    int broken;        /* its format failed this pass: skip it */
    db_message *queue; /* due messages to start, in order */
    int queue_n, queue_pos, queue_cap;
    db_message *made; /* made by the open prepare transaction: queued once it commits */
    int made_n, made_cap;
} endpoint;

/* A finished attempt waiting to be committed. */
typedef struct done_attempt {
    char error[256];
    char response[DELIVER_RESPONSE_EXCERPT + 1];
    int has_error, has_response;
    db_attempt a;
} done_attempt;

typedef struct deliverer {
    cr_db *db;
    const deliver_options *opt;
    deliver_summary *sum;
    deliver_sender *sender;
    endpoint *eps;
    int n_eps;
    webhook_format **formats; /* one per distinct format name, owned */
    int n_formats;
    int64_t *active; /* messages.id of the attempts in flight; 0 = free slot */
    int max_active, in_flight;
    int active_used; /* slots ever taken: a start takes the lowest free one */
    done_attempt *done;
    int n_done, cap_done;
    int64_t last_flush_ms, last_repeat_ms;
    int outbox_left;       /* the last prepare stopped at its limit */
    unsigned prepare_turn; /* which endpoint the next prepare starts with */
    int held;              /* due messages wait for an endpoint's rate limit */
    char instance[33];     /* the database's id, for message ids */
} deliverer;

static inline int64_t deliver_now_ms(void)
{
    return db_now_ms();
}

/* Re-reads the endpoints, keeping the in-flight counts, rate buckets and
 * queues of those still there. An endpoint whose format does not load is
 * marked broken (and counted, and reported on stderr). */
cr_status deliver_load_endpoints(deliverer *d, cr_err *err);

/* The endpoint with this id, or NULL (removed meanwhile). */
endpoint *deliver_endpoint_by_id(deliverer *d, int64_t id);

/* One transaction: repeats due, then messages of each enabled endpoint's
 * pending outbox rows (at most PREPARE_MAX_ROWS in all; d->outbox_left says
 * whether more wait). Committed messages join their endpoint's queue. */
cr_status deliver_prepare(deliverer *d, cr_err *err);

#endif
