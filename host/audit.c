/*
 * audit.c -- the hash chain over the audit table (see audit.h).
 *
 * hash_n = lowercase hex SHA-256 of the canonical encoding
 *
 *   "courtrules-audit-v1\n"
 *   then, for prev_hash, seq, at, actor, action, subject, detail in that
 *   order: <byte length in decimal> ":" <bytes> "\n"
 *
 * where seq is decimal without sign or leading zeros and prev_hash of entry 1
 * is 64 zeros. The length prefixes make the encoding injective: no field's
 * bytes can be shifted into a neighbour. detail is stored as jansson's compact
 * dump with sorted keys, so the text that is hashed is the text that is kept.
 *
 * Appends chain from the head recorded in `meta`, not from the last row, so a
 * deleted last row stays a visible gap instead of being papered over by the
 * next entry.
 */
#include "audit.h"
#include "db_audit.h"

#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HASH_DOMAIN "courtrules-audit-v1\n"

static const char GENESIS_HASH[DB_AUDIT_HASH_LEN + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* The fields after seq, in hashing order. */
enum { F_PREV_HASH, F_AT, F_ACTOR, F_ACTION, F_SUBJECT, F_DETAIL, F_COUNT };

static int digest_field(EVP_MD_CTX *ctx, const char *bytes, size_t len)
{
    char prefix[32];
    int n = snprintf(prefix, sizeof prefix, "%zu:", len);
    return EVP_DigestUpdate(ctx, prefix, (size_t)n) && EVP_DigestUpdate(ctx, bytes, len) &&
           EVP_DigestUpdate(ctx, "\n", 1);
}

/* Computes the entry hash into out (65 bytes). */
static cr_status entry_hash(int64_t seq, const db_audit_text f[F_COUNT], char *out, cr_err *err)
{
    char seq_text[32];
    int seq_len = snprintf(seq_text, sizeof seq_text, "%" PRId64, seq);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(ctx, HASH_DOMAIN, sizeof HASH_DOMAIN - 1) &&
             digest_field(ctx, f[F_PREV_HASH].s, f[F_PREV_HASH].len) &&
             digest_field(ctx, seq_text, (size_t)seq_len);
    for (int i = F_AT; ok && i < F_COUNT; i++)
        ok = digest_field(ctx, f[i].s, f[i].len);
    ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len) && md_len * 2 == DB_AUDIT_HASH_LEN;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return cr_errf(err, CR_FAIL, "audit: SHA-256 failed (libcrypto)");
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < md_len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[DB_AUDIT_HASH_LEN] = '\0';
    return CR_OK;
}

static db_audit_text text_of(const char *s)
{
    db_audit_text t = {s, strlen(s)};
    return t;
}

static int text_equals(db_audit_text t, const char *s)
{
    return t.len == strlen(s) && memcmp(t.s, s, t.len) == 0;
}

/* Parses detail (a JSON object) and returns its canonical text in *out
 * (free() it). */
static cr_status canonical_detail(const char *detail, char **out, cr_err *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *v = json_loads(detail, JSON_REJECT_DUPLICATES, &jerr);
    if (!v)
        return cr_errf(err, CR_INVALID, "audit detail is not valid JSON: %s (line %d, column %d)",
                       jerr.text, jerr.line, jerr.column);
    if (!json_is_object(v)) {
        json_decref(v);
        return cr_errf(err, CR_INVALID, "audit detail must be a JSON object");
    }
    *out = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    return *out ? CR_OK : cr_errf(err, CR_FAIL, "out of memory");
}

cr_status audit_append(cr_db *db, const char *actor, const char *action, const char *subject,
                       const char *detail_json, int64_t *out_seq, cr_err *err)
{
    if (!actor || !*actor)
        return cr_errf(err, CR_INVALID, "audit entry needs an actor");
    if (!action || !*action)
        return cr_errf(err, CR_INVALID, "audit entry needs an action");
    if (!subject)
        subject = "";
    char *detail = NULL;
    cr_status st = canonical_detail(detail_json ? detail_json : "{}", &detail, err);
    if (st != CR_OK)
        return st;

    int head_found, last_found;
    int64_t head_seq, last_seq;
    char head_hash[DB_AUDIT_HASH_LEN + 1], last_hash[DB_AUDIT_HASH_LEN + 1];
    if ((st = db_audit_head_get(db, &head_found, &head_seq, head_hash, err)) != CR_OK ||
        (st = db_audit_last(db, &last_found, &last_seq, last_hash, err)) != CR_OK)
        goto cleanup;
    /* Rows past the recorded head mean meta was edited or rows were slipped
     * in; chaining on would bury that, so refuse until someone looks. */
    if (last_seq > head_seq) {
        st = cr_errf(err, CR_FAIL,
                     "audit trail has entry %" PRId64 " beyond its recorded head (%" PRId64
                     "); run `courtrules audit verify`",
                     last_seq, head_seq);
        goto cleanup;
    }
    if (head_seq == INT64_MAX) {
        st = cr_errf(err, CR_FAIL, "audit trail is full");
        goto cleanup;
    }

    char at[26];
    db_now(at);
    db_audit_new e = {
        .seq = head_seq + 1,
        .at = at,
        .actor = actor,
        .action = action,
        .subject = subject,
        .detail = detail,
        .prev_hash = head_found ? head_hash : GENESIS_HASH,
    };
    db_audit_text fields[F_COUNT] = {
        [F_PREV_HASH] = text_of(e.prev_hash), [F_AT] = text_of(at),
        [F_ACTOR] = text_of(actor),           [F_ACTION] = text_of(action),
        [F_SUBJECT] = text_of(subject),       [F_DETAIL] = text_of(detail),
    };
    char hash[DB_AUDIT_HASH_LEN + 1];
    if ((st = entry_hash(e.seq, fields, hash, err)) != CR_OK)
        goto cleanup;
    e.hash = hash;
    if ((st = db_audit_insert(db, &e, err)) != CR_OK ||
        (st = db_audit_head_set(db, e.seq, hash, err)) != CR_OK)
        goto cleanup;
    if (out_seq)
        *out_seq = e.seq;
cleanup:
    free(detail);
    return st;
}

/* Checks one row against its predecessor (expected_seq, prev_hash). */
static cr_status check_entry(const db_audit_entry *e, int64_t expected_seq, const char *prev_hash,
                             cr_err *err)
{
    if (e->seq != expected_seq) {
        if (expected_seq == 1)
            return cr_errf(err, CR_FAIL,
                           "entry 1 is missing (the chain starts at entry %" PRId64 ")", e->seq);
        if (e->seq == expected_seq + 1)
            return cr_errf(err, CR_FAIL,
                           "entry %" PRId64 " is missing (sequence jumps from %" PRId64
                           " to %" PRId64 ")",
                           expected_seq, expected_seq - 1, e->seq);
        return cr_errf(err, CR_FAIL,
                       "entries %" PRId64 " to %" PRId64
                       " are missing (sequence jumps from %" PRId64 " to %" PRId64 ")",
                       expected_seq, e->seq - 1, expected_seq - 1, e->seq);
    }
    if (!text_equals(e->prev_hash, prev_hash)) {
        if (expected_seq == 1)
            return cr_errf(err, CR_FAIL,
                           "entry 1: does not start the chain (its previous hash is not the "
                           "genesis value)");
        return cr_errf(err, CR_FAIL,
                       "entry %" PRId64 ": does not link to entry %" PRId64
                       " (reordered, or an entry replaced?)",
                       e->seq, e->seq - 1);
    }
    db_audit_text fields[F_COUNT] = {
        [F_PREV_HASH] = e->prev_hash, [F_AT] = e->at,           [F_ACTOR] = e->actor,
        [F_ACTION] = e->action,       [F_SUBJECT] = e->subject, [F_DETAIL] = e->detail,
    };
    char hash[DB_AUDIT_HASH_LEN + 1];
    cr_status st = entry_hash(e->seq, fields, hash, err);
    if (st != CR_OK)
        return st;
    if (!text_equals(e->hash, hash))
        return cr_errf(err, CR_FAIL, "entry %" PRId64 ": content does not match its hash (edited?)",
                       e->seq);
    return CR_OK;
}

/* Compares the end of the walked chain with the head recorded in meta. */
static cr_status check_head(cr_db *db, int64_t last_seq, const char *last_hash,
                            audit_verify_result *res, cr_err *err)
{
    int found;
    int64_t head_seq;
    char head_hash[DB_AUDIT_HASH_LEN + 1];
    cr_status st = db_audit_head_get(db, &found, &head_seq, head_hash, err);
    if (st != CR_OK) {
        res->first_bad_seq = last_seq > 0 ? last_seq : 1;
        return st;
    }
    if (head_seq == last_seq && (!found || strcmp(head_hash, last_hash) == 0))
        return CR_OK; /* both empty, or both at the same entry */
    if (!found) {
        res->first_bad_seq = 1;
        return cr_errf(err, CR_FAIL,
                       "chain ends at entry %" PRId64 " but no head is recorded (head deleted?)",
                       last_seq);
    }
    if (last_seq == 0) {
        res->first_bad_seq = 1;
        return cr_errf(err, CR_FAIL,
                       "chain is empty but the recorded head is entry %" PRId64
                       " (entries deleted?)",
                       head_seq);
    }
    if (head_seq > last_seq) {
        res->first_bad_seq = last_seq + 1;
        return cr_errf(err, CR_FAIL,
                       "chain ends at entry %" PRId64 " but the recorded head is entry %" PRId64
                       " (last entries deleted?)",
                       last_seq, head_seq);
    }
    if (head_seq < last_seq) {
        res->first_bad_seq = head_seq + 1;
        return cr_errf(err, CR_FAIL,
                       "chain ends at entry %" PRId64 " but the recorded head is entry %" PRId64
                       " (head edited, or entries added around the log?)",
                       last_seq, head_seq);
    }
    res->first_bad_seq = last_seq;
    return cr_errf(err, CR_FAIL,
                   "chain ends at entry %" PRId64 " but the recorded head hash differs from "
                   "its hash (head edited?)",
                   last_seq);
}

cr_status audit_verify(cr_db *db, audit_verify_result *res, cr_err *err)
{
    memset(res, 0, sizeof *res);
    memcpy(res->head_hash, GENESIS_HASH, sizeof res->head_hash);
    int snapshot = 0;
    db_audit_iter *it = NULL;
    cr_status st = db_audit_snapshot_begin(db, &snapshot, err);
    if (st != CR_OK)
        return st;
    if ((st = db_audit_iter_open(db, NULL, &it, err)) != CR_OK)
        goto cleanup;
    int64_t last_seq = 0;
    for (;;) {
        db_audit_entry e;
        int has_row;
        if ((st = db_audit_iter_next(it, &e, &has_row, err)) != CR_OK)
            goto cleanup;
        if (!has_row)
            break;
        if ((st = check_entry(&e, last_seq + 1, res->head_hash, err)) != CR_OK) {
            if (res->first_bad_seq == 0)
                res->first_bad_seq = last_seq + 1;
            goto cleanup;
        }
        last_seq = e.seq;
        memcpy(res->head_hash, e.hash.s, DB_AUDIT_HASH_LEN + 1); /* checked: 64 chars */
        res->entries++;
    }
    st = check_head(db, last_seq, res->head_hash, res, err);
cleanup:
    db_audit_iter_close(it);
    db_audit_snapshot_end(db, snapshot);
    return st;
}

const char *audit_cli_actor(void)
{
    static char actor[300];
    char name[256];
    if (getlogin_r(name, sizeof name) == 0 && name[0]) {
        snprintf(actor, sizeof actor, "cli:%s", name);
        return actor;
    }
    struct passwd pw, *found = NULL;
    char buf[4096];
    if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &found) == 0 && found && found->pw_name[0]) {
        snprintf(actor, sizeof actor, "cli:%s", found->pw_name);
        return actor;
    }
    snprintf(actor, sizeof actor, "cli:uid%u", (unsigned)getuid());
    return actor;
}
