/*
 * db_audit.h -- storage for the audit trail: the `audit` table and the chain
 * head kept in `meta` ('audit_head_seq', 'audit_head_hash'). All of the
 * trail's SQL lives in db_audit.c; hashing and the chain's rules live in
 * audit.c, which is the only writer.
 *
 * The table refuses UPDATE and DELETE (triggers); rows only ever arrive
 * through db_audit_insert(). The head row in `meta` is rewritten with every
 * append, in the same transaction.
 */
#ifndef COURTRULES_DB_AUDIT_H
#define COURTRULES_DB_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

#define DB_AUDIT_HASH_LEN 64 /* hex SHA-256, without the terminating NUL */

/* A text column as stored: s is NUL-terminated, len counts the bytes SQLite
 * holds (so a value with an embedded NUL has len > strlen(s)). */
typedef struct db_audit_text {
    const char *s;
    size_t len;
} db_audit_text;

/* One row of the audit table. Strings belong to the iterator and stay valid
 * until the next db_audit_iter_next() or db_audit_iter_close(). */
typedef struct db_audit_entry {
    int64_t seq;
    db_audit_text at, actor, action, subject, detail, prev_hash, hash;
} db_audit_entry;

/* The row to insert; every string must be non-NULL. */
typedef struct db_audit_new {
    int64_t seq;
    const char *at, *actor, *action, *subject, *detail, *prev_hash, *hash;
} db_audit_new;

/* Which rows an iterator yields, always in ascending seq order. */
typedef struct db_audit_filter {
    int64_t after_seq;         /* only seq > after_seq (0: from the start) */
    const char *action_prefix; /* only actions starting with this; NULL: all */
    int64_t limit;             /* at most this many rows; <= 0: no limit */
} db_audit_filter;

typedef struct db_audit_iter db_audit_iter;

/* The row with the highest seq. *found is 0 (seq 0, hash "") when the table
 * is empty. hash must hold DB_AUDIT_HASH_LEN + 1 bytes. */
cr_status db_audit_last(cr_db *db, int *found, int64_t *seq, char *hash, cr_err *err);

/* Inserts one row. Must run inside db_begin()/db_commit(); CR_FAIL otherwise,
 * and when a row with e->seq already exists. */
cr_status db_audit_insert(cr_db *db, const db_audit_new *e, cr_err *err);

/* The recorded chain head from `meta`. *found is 0 (seq 0, hash "") when
 * neither key is present; CR_FAIL when only one is, or when the values are
 * malformed (seq not a positive integer, hash not 64 characters).
 * hash must hold DB_AUDIT_HASH_LEN + 1 bytes. */
cr_status db_audit_head_get(cr_db *db, int *found, int64_t *seq, char *hash, cr_err *err);

/* Records the chain head (both keys). Must run inside a transaction. */
cr_status db_audit_head_set(cr_db *db, int64_t seq, const char *hash, cr_err *err);

/* Starts a read snapshot so that several reads (the rows, then the head) see
 * one state of the file even while another process appends. When a
 * transaction is already open, does nothing and sets *started to 0. Pair
 * with db_audit_snapshot_end(db, started). */
cr_status db_audit_snapshot_begin(cr_db *db, int *started, cr_err *err);
void db_audit_snapshot_end(cr_db *db, int started);

/* Opens an iterator over the rows matching filter (NULL: all rows).
 * The iterator owns its statement, so several may be open at once. */
cr_status db_audit_iter_open(cr_db *db, const db_audit_filter *filter, db_audit_iter **out,
                             cr_err *err);

/* Fetches the next row into *entry and sets *has_row to 1, or sets it to 0
 * at the end. */
cr_status db_audit_iter_next(db_audit_iter *it, db_audit_entry *entry, int *has_row, cr_err *err);

/* Frees the iterator; safe with NULL. */
void db_audit_iter_close(db_audit_iter *it);

#endif
