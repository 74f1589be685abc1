/*
 * audit.h -- the append-only, hash-chained audit trail (全程留痕).
 *
 * Every state change the host makes appends one entry in the same transaction
 * as the change itself. Entry n stores hash_n = SHA-256 over prev_hash and the
 * entry's own fields, so editing, deleting or reordering rows is detected by
 * audit_verify(). The chain head (last seq and hash) is also kept in the meta
 * table; operators can anchor it outside the database (`courtrules audit head`).
 */
#ifndef COURTRULES_AUDIT_H
#define COURTRULES_AUDIT_H

#include <stdint.h>

#include "db.h"
#include "err.h"

/* Appends an entry. Must be called inside db_begin()/db_commit(): the entry
 * lands with the change it records, or not at all.
 * actor: who (e.g. "cli:root", "token:粤07-ops"); action: dotted verb
 * ("ingest.batch", "rules.activate", "alert.ack"); subject: what it acted on
 * (a file, a 案号, an alert id); detail_json: a JSON object text (may be NULL
 * for "{}"). If out_seq is not NULL it receives the entry's sequence number. */
cr_status audit_append(cr_db *db, const char *actor, const char *action, const char *subject,
                       const char *detail_json, int64_t *out_seq, cr_err *err);

typedef struct audit_verify_result {
    int64_t entries;       /* entries checked */
    int64_t first_bad_seq; /* 0 when the chain is intact */
    char head_hash[65];    /* hash of the last good entry */
} audit_verify_result;

/* Walks the whole chain. Returns CR_OK when intact; CR_FAIL with err naming
 * the first bad entry and why (hash mismatch, gap in sequence, broken link,
 * head mismatch) otherwise. */
cr_status audit_verify(cr_db *db, audit_verify_result *res, cr_err *err);

/* The actor name for the current CLI user: "cli:<login name>". */
const char *audit_cli_actor(void);

#endif
