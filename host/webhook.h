/*
 * webhook.h -- the pure parts of webhook delivery: secrets, Standard Webhooks
 * signatures, durations and retry schedules, and what an HTTP outcome means.
 *
 * Nothing here touches the database or the network; db_webhook.c stores
 * endpoints and the outbox, deliver.c sends. Standard Webhooks:
 *   webhook-id         stable across retries of one message
 *   webhook-timestamp  seconds since the epoch, of this attempt
 *   webhook-signature  "v1,<base64 HMAC-SHA256(key, id "." timestamp "." body)>",
 *                      one per valid secret, space-separated (rotation)
 * and a secret is "whsec_" + base64 of the key bytes.
 */
#ifndef COURTRULES_WEBHOOK_H
#define COURTRULES_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* "whsec_" + base64 of 32 random bytes = 50 characters + NUL. */
#define WEBHOOK_SECRET_MAX 128
/* "msg_" + 26 characters. */
#define WEBHOOK_MSG_ID_LEN 31
/* "v1," + 44 base64 characters, twice, a space and a NUL. */
#define WEBHOOK_SIGNATURE_MAX 128
/* Attempts a retry schedule may list (the first attempt is not listed). */
#define WEBHOOK_MAX_RETRIES 16

/* The documented default: after the first attempt, retries 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h and 10 h later (about 28 hours in all, after the
 * Standard Webhooks / Svix schedule). */
#define WEBHOOK_DEFAULT_RETRY_SCHEDULE "5s,5m,30m,2h,5h,10h,10h"

/* Fills out with a new "whsec_..." secret (random key from the OS).
 * CR_FAIL if no randomness is available. */
cr_status webhook_secret_generate(char out[WEBHOOK_SECRET_MAX], cr_err *err);

/* Decodes a secret into its key bytes: "whsec_" + base64 as the standard
 * says; a secret without the prefix is used as raw bytes (the form 钉钉 and
 * 飞书 robots give, "SEC..."). CR_INVALID for an empty secret, bad base64
 * after the prefix, or a key longer than key_cap. */
cr_status webhook_secret_key(const char *secret, unsigned char *key, size_t key_cap,
                             size_t *key_len, cr_err *err);

/* A fresh message id "msg_" + 26 base-32 characters (128 random bits). */
cr_status webhook_message_id(char out[WEBHOOK_MSG_ID_LEN + 1], cr_err *err);

/* The id of the message that carries outbox rows ids[0..n-1] of endpoint
 * webhook_id in the database whose instance id is `instance`: "msg_" + 26
 * base-32 characters of their SHA-256. Made again from the same rows (after
 * a power cut lost the message), it is the same id. */
void webhook_message_id_for(const char *instance, int64_t webhook_id, const int64_t *ids, int n,
                            char out[WEBHOOK_MSG_ID_LEN + 1]);

/* HMAC-SHA256 of data under key into out[32]. */
void webhook_hmac_sha256(const unsigned char *key, size_t key_len, const void *data, size_t len,
                         unsigned char out[32]);

/* Standard base64 with padding. Encode: out needs 4*((len+2)/3)+1 bytes;
 * returns the length written. Decode: returns the number of bytes, or -1 for
 * input that is not base64 (or would not fit out_cap). */
size_t webhook_base64_encode(const unsigned char *in, size_t len, char *out);
long webhook_base64_decode(const char *in, size_t len, unsigned char *out, size_t out_cap);

/*
 * The webhook-signature header value for one message and attempt:
 * "v1,<sig>" for secrets[0] and, when secrets[1] is not NULL (rotation),
 * " v1,<sig>" for it too. CR_INVALID if a secret does not decode.
 */
cr_status webhook_sign(const char *const secrets[2], const char *msg_id, int64_t timestamp,
                       const char *body, size_t body_len, char out[WEBHOOK_SIGNATURE_MAX],
                       cr_err *err);

/*
 * A signer keeps the keyed MACs of the last few secrets it signed with, so
 * that signing again with one skips decoding the secret and setting up the
 * key: for a 663-byte body, 1.6 µs instead of 4.2 µs a signature. Not shared
 * between threads. webhook_signer_new returns NULL when out of memory.
 */
typedef struct webhook_signer webhook_signer;
webhook_signer *webhook_signer_new(void);
void webhook_signer_free(webhook_signer *s);

/* webhook_sign through s's keys (s NULL: none kept); the same output. */
cr_status webhook_signer_sign(webhook_signer *s, const char *const secrets[2], const char *msg_id,
                              int64_t timestamp, const char *body, size_t body_len,
                              char out[WEBHOOK_SIGNATURE_MAX], cr_err *err);

/*
 * Verifies a webhook-signature header against one secret as a receiver
 * would: 1 if any "v1," entry matches, 0 otherwise (a constant-time compare
 * of each entry). Used by `webhook test` and the unit tests.
 */
int webhook_verify(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
                   size_t body_len, const char *header);

/* Parses "500ms", "30s", "5m", "2h", "1d" (a positive integer and a unit;
 * "0" alone is 0) into milliseconds. CR_INVALID naming the text otherwise. */
cr_status webhook_parse_duration(const char *text, int64_t *ms, cr_err *err);

/* A retry schedule: the delays after attempt 1, 2, ... */
typedef struct webhook_schedule {
    int n;
    int64_t delay_ms[WEBHOOK_MAX_RETRIES];
} webhook_schedule;

/* Parses a comma-separated list of durations ("5s,5m,30m"); an empty
 * string means no retries. CR_INVALID naming the bad entry. */
cr_status webhook_parse_schedule(const char *text, webhook_schedule *out, cr_err *err);

/*
 * The delay before the next attempt after `attempts` failed ones (1 = the
 * first attempt failed), with jitter: the scheduled delay times a factor in
 * [0.8, 1.2) taken from random (a uniform 32-bit value). A Retry-After the
 * receiver sent (retry_after_ms > 0) wins when it is longer. -1 when the
 * schedule is exhausted (the message is dead-lettered).
 */
int64_t webhook_next_delay(const webhook_schedule *s, int attempts, int64_t retry_after_ms,
                           uint32_t random);

/* What one attempt's outcome means for its message. */
typedef enum webhook_outcome {
    WEBHOOK_DELIVERED, /* 2xx */
    WEBHOOK_RETRY,     /* 429, 5xx, 408, timeout, connection error: try again later */
    WEBHOOK_REJECTED,  /* any other status: the receiver refuses it; not retried */
    WEBHOOK_GONE       /* 410: the endpoint asks to be disabled */
} webhook_outcome;

/* http_status 0 means no response (timeout, refused, reset). */
webhook_outcome webhook_classify(long http_status);

/* A stable name: "delivered", "retry", "rejected", "gone". */
const char *webhook_outcome_name(webhook_outcome o);

/* Severity names to ranks: info 0, warning 1, critical 2; -1 otherwise. */
int webhook_severity_rank(const char *name);

/* The payload fields of one alert in a message, as stored: the keys a
 * format's render sees in batch.alerts[i] besides `id`, in the order of
 * webhook_alert_keys. WEBHOOK_ALERT_DATA holds JSON text (passed as the
 * value it encodes); the others are passed as strings. */
enum {
    WEBHOOK_ALERT_EVENT,
    WEBHOOK_ALERT_CODE,
    WEBHOOK_ALERT_SEVERITY,
    WEBHOOK_ALERT_COURT,
    WEBHOOK_ALERT_CASE_NO,
    WEBHOOK_ALERT_MESSAGE,
    WEBHOOK_ALERT_BASIS,
    WEBHOOK_ALERT_RULE_SET,
    WEBHOOK_ALERT_RULE,
    WEBHOOK_ALERT_RULE_VERSION,
    WEBHOOK_ALERT_RULE_SET_SHA,
    WEBHOOK_ALERT_STATUS,
    WEBHOOK_ALERT_AS_OF,
    WEBHOOK_ALERT_CREATED_AT,
    WEBHOOK_ALERT_LAST_SEEN_AT,
    WEBHOOK_ALERT_RESOLVED_AT,
    WEBHOOK_ALERT_DATA,
    WEBHOOK_ALERT_FIELDS
};
extern const char *const webhook_alert_keys[WEBHOOK_ALERT_FIELDS];

typedef struct webhook_alert {
    int64_t id;                             /* alerts.id */
    const char *field[WEBHOOK_ALERT_FIELDS]; /* NULL: SQL NULL, left out of the payload */
} webhook_alert;

#endif
