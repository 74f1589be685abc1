/*
 * deliver_send.h -- the sending half of webhook delivery: a thread that
 * signs requests (its own format sandboxes) and runs them on a libcurl
 * multi handle, while the caller's thread makes messages and records
 * attempts in the database (deliver.c). The two meet in two queues: jobs
 * in, finished attempts out. No database access here.
 */
#ifndef COURTRULES_DELIVER_SEND_H
#define COURTRULES_DELIVER_SEND_H

#include <stdint.h>

#include "err.h"
#include "webhook.h"

#define DELIVER_RESPONSE_EXCERPT 256

/* One attempt of one message, handed to the sender (which then owns it). */
typedef struct deliver_job {
    int64_t message; /* messages.id */
    int64_t webhook_id;
    char msg_id[WEBHOOK_MSG_ID_LEN + 1];
    int attempt; /* 1 = first */
    char *body;  /* malloc'd */
    char format[32];
    char url[1024];
    char secrets[2][WEBHOOK_SECRET_MAX]; /* "" when absent */
    int64_t timeout_ms;
    int max_in_flight; /* the endpoint's cap on requests at once (>= 1) */
} deliver_job;

/* What an attempt got. format_failed: the format's sign() failed, nothing
 * was sent (error says why). skipped: not sent because its endpoint just
 * answered 410 (the message stays due). */
typedef struct deliver_done {
    int64_t message, webhook_id;
    char msg_id[WEBHOOK_MSG_ID_LEN + 1];
    int attempt;
    int format_failed, skipped;
    long http_status;       /* 0 = no response */
    int64_t retry_after_ms; /* the receiver's Retry-After, 0 if none */
    int64_t latency_ms;
    char error[256]; /* "" when there was a response */
    char response[DELIVER_RESPONSE_EXCERPT + 1];
} deliver_done;

typedef struct deliver_sender deliver_sender;

/* Starts the sender thread: at most max_connections transfers at once, and
 * at most each job's max_in_flight for its endpoint; jobs beyond those wait
 * in the sender, in the order posted, so the caller can post ahead. */
cr_status deliver_sender_start(const char *plugins_dir, int max_connections, deliver_sender **out,
                               cr_err *err);

/* Hands a job over (the sender frees it and its body); the sender looks
 * at its jobs when kicked (after a batch of posts) or within 100 ms. */
void deliver_sender_post(deliver_sender *s, deliver_job *job);
void deliver_sender_kick(deliver_sender *s);

/* Moves up to max finished attempts into out; returns how many. */
int deliver_sender_take(deliver_sender *s, deliver_done *out, int max);

/* Waits until a finished attempt is waiting or timeout_ms passed. */
void deliver_sender_wait(deliver_sender *s, int timeout_ms);

/* Stops the thread after the transfers it has finish; frees s. The caller
 * takes their results first (deliver_sender_take) if it wants them. */
void deliver_sender_stop(deliver_sender *s);

/* The same signing and sending, synchronously, in the calling thread
 * (`webhook test`). CR_FAIL when the format could not sign. */
cr_status deliver_send_one(const char *plugins_dir, const deliver_job *job, deliver_done *done,
                           cr_err *err);

#endif
