/*
 * webhook.c -- secrets, Standard Webhooks signatures, durations, retry
 * schedules and outcomes. See webhook.h.
 */
#include "webhook.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "strbuf.h"

#define SECRET_PREFIX "whsec_"
#define KEY_BYTES 32

size_t webhook_base64_encode(const unsigned char *in, size_t len, char *out)
{
    return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

long webhook_base64_decode(const char *in, size_t len, unsigned char *out, size_t out_cap)
{
    if (len % 4 != 0 || len / 4 * 3 > out_cap + 2)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        int pad_ok = c == '=' && i >= len - 2 && (i == len - 1 || in[len - 1] == '=');
        if (!(isalnum(c) || c == '+' || c == '/' || pad_ok))
            return -1;
    }
    if (len == 0)
        return 0;
    unsigned char tmp[1024];
    if (len / 4 * 3 > sizeof tmp)
        return -1;
    int n = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)len);
    if (n < 0)
        return -1;
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    if (in[len - 1] == '=')
        n--;
    if (in[len - 2] == '=')
        n--;
    if ((size_t)n > out_cap)
        return -1;
    memcpy(out, tmp, (size_t)n);
    return n;
}

cr_status webhook_secret_generate(char out[WEBHOOK_SECRET_MAX], cr_err *err)
{
    unsigned char key[KEY_BYTES];
    if (RAND_bytes(key, sizeof key) != 1)
        return cr_errf(err, CR_FAIL, "no random bytes for a webhook secret");
    memcpy(out, SECRET_PREFIX, sizeof SECRET_PREFIX - 1);
    webhook_base64_encode(key, sizeof key, out + sizeof SECRET_PREFIX - 1);
    OPENSSL_cleanse(key, sizeof key);
    return CR_OK;
}

cr_status webhook_secret_key(const char *secret, unsigned char *key, size_t key_cap,
                             size_t *key_len, cr_err *err)
{
    if (!secret || !*secret)
        return cr_errf(err, CR_INVALID, "webhook secret is empty");
    size_t plen = sizeof SECRET_PREFIX - 1;
    if (strncmp(secret, SECRET_PREFIX, plen) == 0) {
        const char *b64 = secret + plen;
        long n = webhook_base64_decode(b64, strlen(b64), key, key_cap);
        if (n <= 0)
            return cr_errf(err, CR_INVALID,
                           "webhook secret: after \"whsec_\" must come base64 (A-Z a-z 0-9 + /, "
                           "padded with =) of at most %zu bytes",
                           key_cap);
        *key_len = (size_t)n;
        return CR_OK;
    }
    size_t n = strlen(secret);
    if (n > key_cap)
        return cr_errf(err, CR_INVALID, "webhook secret is longer than %zu bytes", key_cap);
    memcpy(key, secret, n);
    *key_len = n;
    return CR_OK;
}

/* "msg_" + 26 Crockford base-32 characters of bytes[0..16]. */
static void message_id_of(const unsigned char bytes[17], char out[WEBHOOK_MSG_ID_LEN + 1])
{
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    memcpy(out, "msg_", 4);
    /* 26 characters of 5 bits each = 130 bits drawn from 136 random bits. */
    unsigned acc = 0;
    int bits = 0;
    size_t in = 0;
    for (int i = 0; i < 26; i++) {
        if (bits < 5) {
            acc = (acc << 8) | bytes[in++];
            bits += 8;
        }
        out[4 + i] = alphabet[(acc >> (bits - 5)) & 31];
        bits -= 5;
    }
    out[30] = '\0';
}

cr_status webhook_message_id(char out[WEBHOOK_MSG_ID_LEN + 1], cr_err *err)
{
    unsigned char bytes[17];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return cr_errf(err, CR_FAIL, "no random bytes for a webhook message id");
    message_id_of(bytes, out);
    return CR_OK;
}

/* SHA-256, fetched once: EVP_sha256() makes every EVP_DigestInit_ex search
 * the providers again, which cost more than hashing a message id's input. */
static EVP_MD *sha256_impl;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256_impl = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void webhook_message_id_for(const char *instance, int64_t webhook_id, const int64_t *ids, int n,
                            char out[WEBHOOK_MSG_ID_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    pthread_once(&sha256_once, fetch_sha256);
    /* the hashed text, "<instance>/<endpoint>/<row>/<row>...", written in
     * one buffer: two snprintf per message cost more than the hash */
    strbuf text = {0};
    strbuf_str(&text, instance);
    strbuf_add(&text, "/", 1);
    strbuf_int(&text, webhook_id);
    for (int i = 0; i < n; i++) {
        strbuf_add(&text, "/", 1);
        strbuf_int(&text, ids[i]);
    }
    int ok = !text.oom && EVP_Digest(text.s, text.len, md, &md_len,
                                     sha256_impl ? sha256_impl : EVP_sha256(), NULL);
    free(text.s);
    if (!ok) /* out of memory: a random id is still unique */
        RAND_bytes(md, 17);
    message_id_of(md, out);
}

void webhook_hmac_sha256(const unsigned char *key, size_t key_len, const void *data, size_t len,
                         unsigned char out[32])
{
    unsigned int out_len = 32;
    HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len);
}

/* The HMAC implementation, fetched once: a fetch searches the providers
 * and costs more than the MAC of a small message. */
static EVP_MAC *hmac_impl;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void fetch_hmac(void)
{
    hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* An HMAC-SHA256 context holding key, or NULL when libcrypto cannot
 * allocate. */
static EVP_MAC_CTX *keyed_mac(const unsigned char *key, size_t key_len)
{
    pthread_once(&hmac_once, fetch_hmac);
    EVP_MAC_CTX *ctx = hmac_impl ? EVP_MAC_CTX_new(hmac_impl) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    if (ctx && !EVP_MAC_init(ctx, key, key_len, params)) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

/* HMAC of "id.timestamp.body" under mac's key (may be NULL), base64 into
 * out (45 bytes). mac starts over with its key each time (EVP_MAC_init
 * without a key), so one keyed context signs any number of messages. */
static void sign_one(EVP_MAC_CTX *mac, const char *msg_id, int64_t timestamp, const char *body,
                     size_t body_len, char out[45])
{
    char prefix[128];
    int n = snprintf(prefix, sizeof prefix, "%s.%lld.", msg_id, (long long)timestamp);
    unsigned char digest[32];
    size_t digest_len = 0;
    int ok = mac && EVP_MAC_init(mac, NULL, 0, NULL) &&
             EVP_MAC_update(mac, (const unsigned char *)prefix, (size_t)n) &&
             EVP_MAC_update(mac, (const unsigned char *)body, body_len) &&
             EVP_MAC_final(mac, digest, &digest_len, sizeof digest);
    if (!ok) /* only when libcrypto cannot allocate: a signature no one accepts */
        memset(digest, 0, sizeof digest);
    webhook_base64_encode(digest, sizeof digest, out);
}

/* Secrets whose keys a signer holds: a few, so that a rotation (two
 * secrets) and a handful of endpoints each find theirs. */
#define SIGNER_KEYS 8

struct webhook_signer {
    struct signer_key {
        char secret[WEBHOOK_SECRET_MAX]; /* "" = free */
        EVP_MAC_CTX *mac;
    } keys[SIGNER_KEYS];
    unsigned next; /* the slot taken by the next new secret */
};

webhook_signer *webhook_signer_new(void)
{
    return calloc(1, sizeof(webhook_signer));
}

static void forget_key(struct signer_key *k)
{
    EVP_MAC_CTX_free(k->mac); /* cleanses the key */
    k->mac = NULL;
    OPENSSL_cleanse(k->secret, sizeof k->secret);
}

void webhook_signer_free(webhook_signer *s)
{
    if (!s)
        return;
    for (int i = 0; i < SIGNER_KEYS; i++)
        forget_key(&s->keys[i]);
    free(s);
}

/* The keyed MAC for secret: s's own (kept), or, with s NULL or a secret
 * too long to keep, a new one in *owned for the caller to free. *mac may
 * be NULL when libcrypto cannot allocate. */
static cr_status mac_for(webhook_signer *s, const char *secret, EVP_MAC_CTX **mac,
                         EVP_MAC_CTX **owned, cr_err *err)
{
    *mac = *owned = NULL;
    size_t secret_len = secret ? strlen(secret) : 0;
    int keep = s && secret_len > 0 && secret_len < WEBHOOK_SECRET_MAX;
    for (int i = 0; keep && i < SIGNER_KEYS; i++)
        if (s->keys[i].mac && strcmp(s->keys[i].secret, secret) == 0) {
            *mac = s->keys[i].mac;
            return CR_OK;
        }
    unsigned char key[256];
    size_t key_len = 0;
    cr_status st = webhook_secret_key(secret, key, sizeof key, &key_len, err);
    if (st != CR_OK)
        return st;
    *mac = keyed_mac(key, key_len);
    OPENSSL_cleanse(key, sizeof key);
    if (!keep || !*mac) {
        *owned = *mac;
        return CR_OK;
    }
    struct signer_key *k = &s->keys[s->next++ % SIGNER_KEYS];
    forget_key(k);
    memcpy(k->secret, secret, secret_len + 1);
    k->mac = *mac;
    return CR_OK;
}

cr_status webhook_signer_sign(webhook_signer *s, const char *const secrets[2], const char *msg_id,
                              int64_t timestamp, const char *body, size_t body_len,
                              char out[WEBHOOK_SIGNATURE_MAX], cr_err *err)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < 2 && secrets[i]; i++) {
        EVP_MAC_CTX *mac, *owned;
        cr_status st = mac_for(s, secrets[i], &mac, &owned, err);
        if (st != CR_OK)
            return st;
        char sig[45];
        sign_one(mac, msg_id, timestamp, body, body_len, sig);
        EVP_MAC_CTX_free(owned);
        used += (size_t)snprintf(out + used, WEBHOOK_SIGNATURE_MAX - used, "%sv1,%s", i ? " " : "",
                                 sig);
    }
    return CR_OK;
}

cr_status webhook_sign(const char *const secrets[2], const char *msg_id, int64_t timestamp,
                       const char *body, size_t body_len, char out[WEBHOOK_SIGNATURE_MAX],
                       cr_err *err)
{
    return webhook_signer_sign(NULL, secrets, msg_id, timestamp, body, body_len, out, err);
}

int webhook_verify(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
                   size_t body_len, const char *header)
{
    unsigned char key[256];
    size_t key_len = 0;
    if (webhook_secret_key(secret, key, sizeof key, &key_len, NULL) != CR_OK)
        return 0;
    char want[45];
    EVP_MAC_CTX *mac = keyed_mac(key, key_len);
    OPENSSL_cleanse(key, sizeof key);
    sign_one(mac, msg_id, timestamp, body, body_len, want);
    EVP_MAC_CTX_free(mac);
    int ok = 0;
    const char *p = header;
    while (p && *p) {
        while (*p == ' ')
            p++;
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 3 + 44 && strncmp(p, "v1,", 3) == 0 && CRYPTO_memcmp(p + 3, want, 44) == 0)
            ok = 1;
        p = end;
    }
    return ok;
}

cr_status webhook_parse_duration(const char *text, int64_t *ms, cr_err *err)
{
    if (text && strcmp(text, "0") == 0) {
        *ms = 0;
        return CR_OK;
    }
    if (!text || !isdigit((unsigned char)*text))
        goto bad;
    errno = 0;
    char *end;
    long long n = strtoll(text, &end, 10);
    if (errno || n <= 0)
        goto bad;
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0) {
            if (n > INT64_MAX / units[i].ms / 1000)
                goto bad;
            *ms = n * units[i].ms;
            return CR_OK;
        }
bad:
    return cr_errf(err, CR_INVALID,
                   "'%s' is not a duration (a positive whole number and a unit: 500ms, 30s, "
                   "5m, 2h, 1d)",
                   text ? text : "");
}

cr_status webhook_parse_schedule(const char *text, webhook_schedule *out, cr_err *err)
{
    out->n = 0;
    const char *p = text;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[32];
        if (len == 0 || len >= sizeof item)
            return cr_errf(err, CR_INVALID, "retry schedule '%s': entry %d is %s", text, out->n + 1,
                           len ? "too long" : "empty");
        if (out->n == WEBHOOK_MAX_RETRIES)
            return cr_errf(err, CR_INVALID, "retry schedule '%s': more than %d retries", text,
                           WEBHOOK_MAX_RETRIES);
        memcpy(item, p, len);
        item[len] = '\0';
        cr_status st = webhook_parse_duration(item, &out->delay_ms[out->n], err);
        if (st != CR_OK) {
            cr_err_prefix(err, "retry schedule entry %d", out->n + 1);
            return st;
        }
        out->n++;
        p = comma ? comma + 1 : NULL;
    }
    return CR_OK;
}

int64_t webhook_next_delay(const webhook_schedule *s, int attempts, int64_t retry_after_ms,
                           uint32_t random)
{
    if (attempts < 1 || attempts > s->n)
        return -1;
    int64_t base = s->delay_ms[attempts - 1];
    /* factor in [0.8, 1.2): spreads retries of many messages after an outage */
    double factor = 0.8 + 0.4 * ((double)random / 4294967296.0);
    int64_t delay = (int64_t)((double)base * factor);
    return retry_after_ms > delay ? retry_after_ms : delay;
}

webhook_outcome webhook_classify(long http_status)
{
    if (http_status >= 200 && http_status < 300)
        return WEBHOOK_DELIVERED;
    if (http_status == 410)
        return WEBHOOK_GONE;
    if (http_status == 0 || http_status == 408 || http_status == 429 || http_status >= 500)
        return WEBHOOK_RETRY;
    return WEBHOOK_REJECTED;
}

const char *webhook_outcome_name(webhook_outcome o)
{
    switch (o) {
    case WEBHOOK_DELIVERED:
        return "delivered";
    case WEBHOOK_RETRY:
        return "retry";
    case WEBHOOK_REJECTED:
        return "rejected";
    case WEBHOOK_GONE:
        return "gone";
    }
    return "?";
}

int webhook_severity_rank(const char *name)
{
    static const char *const names[] = {"info", "warning", "critical"};
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *const webhook_alert_keys[WEBHOOK_ALERT_FIELDS] = {
    [WEBHOOK_ALERT_EVENT] = "event",
    [WEBHOOK_ALERT_CODE] = "code",
    [WEBHOOK_ALERT_SEVERITY] = "severity",
    [WEBHOOK_ALERT_COURT] = "court",
    [WEBHOOK_ALERT_CASE_NO] = "case_no",
    [WEBHOOK_ALERT_MESSAGE] = "message",
    [WEBHOOK_ALERT_BASIS] = "basis",
    [WEBHOOK_ALERT_RULE_SET] = "rule_set",
    [WEBHOOK_ALERT_RULE] = "rule",
    [WEBHOOK_ALERT_RULE_VERSION] = "rule_version",
    [WEBHOOK_ALERT_RULE_SET_SHA] = "rule_set_sha",
    [WEBHOOK_ALERT_STATUS] = "status",
    [WEBHOOK_ALERT_AS_OF] = "as_of",
    [WEBHOOK_ALERT_CREATED_AT] = "created_at",
    [WEBHOOK_ALERT_LAST_SEEN_AT] = "last_seen_at",
    [WEBHOOK_ALERT_RESOLVED_AT] = "resolved_at",
    [WEBHOOK_ALERT_DATA] = "data",
};
