/*
 * db_audit.c -- the audit table and the chain head in `meta` (see db_audit.h).
 *
 * Statements used on every append are prepared once and cached in
 * db->audit; iterators prepare their own, since a caller may hold one open
 * across other calls.
 */
#include "db_audit.h"
#include "db_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_HEAD_SEQ "audit_head_seq"
#define META_HEAD_HASH "audit_head_hash"

enum stmt_id { STMT_LAST, STMT_INSERT, STMT_META_GET, STMT_META_SET, STMT_COUNT };

static const char *const stmt_sql[STMT_COUNT] = {
    [STMT_LAST] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
    [STMT_INSERT] = "INSERT INTO audit(seq, at, actor, action, subject, detail, prev_hash, hash)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [STMT_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [STMT_META_SET] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
                      " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
};

struct db_audit_stmts {
    sqlite3_stmt *stmt[STMT_COUNT];
};

struct db_audit_iter {
    cr_db *db;
    sqlite3_stmt *stmt;
};

void db_audit_finalize(cr_db *db)
{
    if (!db || !db->audit)
        return;
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(db->audit->stmt[i]); /* harmless on NULL */
    free(db->audit);
    db->audit = NULL;
}

/* The cached statement id, reset and with its bindings cleared; NULL with
 * err filled on failure. */
static sqlite3_stmt *stmt_get(cr_db *db, enum stmt_id id, cr_err *err)
{
    if (!db->audit) {
        db->audit = calloc(1, sizeof *db->audit);
        if (!db->audit) {
            cr_errf(err, CR_FAIL, "out of memory");
            return NULL;
        }
    }
    sqlite3_stmt **slot = &db->audit->stmt[id];
    if (!*slot) {
        if (sqlite3_prepare_v3(db->sql, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) !=
            SQLITE_OK) {
            db_sqlerr(db, err, "audit: prepare");
            *slot = NULL;
            return NULL;
        }
        return *slot;
    }
    sqlite3_reset(*slot);
    sqlite3_clear_bindings(*slot);
    return *slot;
}

/* Writes must be part of the caller's db_begin()/db_commit(): the entry
 * lands with the change it records, or not at all. */
static cr_status require_write_tx(cr_db *db, const char *what, cr_err *err)
{
    if (db->in_tx && !sqlite3_get_autocommit(db->sql))
        return CR_OK;
    return cr_errf(err, CR_FAIL, "%s: %s outside a transaction (call db_begin first)", db->path,
                   what);
}

static void copy_hash(char *out, const unsigned char *text)
{
    snprintf(out, DB_AUDIT_HASH_LEN + 1, "%s", text ? (const char *)text : "");
}

cr_status db_audit_last(cr_db *db, int *found, int64_t *seq, char *hash, cr_err *err)
{
    *found = 0;
    *seq = 0;
    hash[0] = '\0';
    sqlite3_stmt *st = stmt_get(db, STMT_LAST, err);
    if (!st)
        return CR_FAIL;
    int rc = sqlite3_step(st);
    cr_status result = CR_OK;
    if (rc == SQLITE_ROW) {
        *found = 1;
        *seq = sqlite3_column_int64(st, 0);
        copy_hash(hash, sqlite3_column_text(st, 1));
    } else if (rc != SQLITE_DONE) {
        result = db_sqlerr(db, err, "audit: reading the last entry");
    }
    sqlite3_reset(st);
    return result;
}

cr_status db_audit_insert(cr_db *db, const db_audit_new *e, cr_err *err)
{
    cr_status result = require_write_tx(db, "audit entry", err);
    if (result != CR_OK)
        return result;
    sqlite3_stmt *st = stmt_get(db, STMT_INSERT, err);
    if (!st)
        return CR_FAIL;
    const char *text[] = {e->at, e->actor, e->action, e->subject, e->detail, e->prev_hash, e->hash};
    sqlite3_bind_int64(st, 1, e->seq);
    for (int i = 0; i < (int)(sizeof text / sizeof text[0]); i++)
        sqlite3_bind_text(st, i + 2, text[i], -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        result = db_sqlerr(db, err, "audit: inserting an entry");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st); /* drop the borrowed pointers */
    return result;
}

/* Reads meta[key] into buf; *found is 0 when the key is absent. */
static cr_status meta_get(cr_db *db, const char *key, char *buf, size_t size, int *found,
                          cr_err *err)
{
    *found = 0;
    buf[0] = '\0';
    sqlite3_stmt *st = stmt_get(db, STMT_META_GET, err);
    if (!st)
        return CR_FAIL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    cr_status result = CR_OK;
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(buf, size, "%s", v ? (const char *)v : "");
        *found = 1;
    } else if (rc != SQLITE_DONE) {
        result = db_sqlerr(db, err, "audit: reading meta");
    }
    sqlite3_reset(st);
    return result;
}

static cr_status meta_set(cr_db *db, const char *key, const char *value, cr_err *err)
{
    sqlite3_stmt *st = stmt_get(db, STMT_META_SET, err);
    if (!st)
        return CR_FAIL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    cr_status result = CR_OK;
    if (sqlite3_step(st) != SQLITE_DONE)
        result = db_sqlerr(db, err, "audit: writing meta");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return result;
}

cr_status db_audit_head_get(cr_db *db, int *found, int64_t *seq, char *hash, cr_err *err)
{
    *found = 0;
    *seq = 0;
    hash[0] = '\0';
    char seq_text[32], hash_text[DB_AUDIT_HASH_LEN + 2]; /* +2: notice an over-long value */
    int have_seq, have_hash;
    cr_status st = meta_get(db, META_HEAD_SEQ, seq_text, sizeof seq_text, &have_seq, err);
    if (st == CR_OK)
        st = meta_get(db, META_HEAD_HASH, hash_text, sizeof hash_text, &have_hash, err);
    if (st != CR_OK)
        return st;
    if (!have_seq && !have_hash)
        return CR_OK;
    if (!have_seq || !have_hash)
        return cr_errf(err, CR_FAIL, "the recorded audit head is incomplete (meta '%s' is missing)",
                       have_seq ? META_HEAD_HASH : META_HEAD_SEQ);
    char *end;
    errno = 0;
    long long v = strtoll(seq_text, &end, 10);
    if (errno != 0 || end == seq_text || *end != '\0' || v <= 0 || seq_text[0] == '+' ||
        seq_text[0] == ' ')
        return cr_errf(err, CR_FAIL, "the recorded audit head is malformed (meta '%s' = '%s')",
                       META_HEAD_SEQ, seq_text);
    if (strlen(hash_text) != DB_AUDIT_HASH_LEN)
        return cr_errf(err, CR_FAIL, "the recorded audit head is malformed (meta '%s' = '%s')",
                       META_HEAD_HASH, hash_text);
    *found = 1;
    *seq = v;
    memcpy(hash, hash_text, DB_AUDIT_HASH_LEN + 1);
    return CR_OK;
}

cr_status db_audit_head_set(cr_db *db, int64_t seq, const char *hash, cr_err *err)
{
    cr_status st = require_write_tx(db, "audit head update", err);
    if (st != CR_OK)
        return st;
    char seq_text[32];
    snprintf(seq_text, sizeof seq_text, "%lld", (long long)seq);
    st = meta_set(db, META_HEAD_SEQ, seq_text, err);
    if (st == CR_OK)
        st = meta_set(db, META_HEAD_HASH, hash, err);
    return st;
}

cr_status db_audit_snapshot_begin(cr_db *db, int *started, cr_err *err)
{
    *started = 0;
    if (!sqlite3_get_autocommit(db->sql))
        return CR_OK; /* the open transaction already is one snapshot */
    cr_status st = db_exec(db, "BEGIN DEFERRED", err);
    if (st == CR_OK)
        *started = 1;
    return st;
}

void db_audit_snapshot_end(cr_db *db, int started)
{
    /* Read-only, so ending it either way is the same; ROLLBACK cannot fail
     * for lack of a lock. */
    if (started && !sqlite3_get_autocommit(db->sql))
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

cr_status db_audit_iter_open(cr_db *db, const db_audit_filter *filter, db_audit_iter **out,
                             cr_err *err)
{
    static const char sql[] =
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit"
        " WHERE seq > ?1 AND (?2 IS NULL OR substr(action, 1, length(?2)) = ?2)"
        " ORDER BY seq LIMIT ?3";
    *out = NULL;
    db_audit_iter *it = calloc(1, sizeof *it);
    if (!it)
        return cr_errf(err, CR_FAIL, "out of memory");
    it->db = db;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &it->stmt, NULL) != SQLITE_OK) {
        cr_status st = db_sqlerr(db, err, "audit: prepare");
        db_audit_iter_close(it);
        return st;
    }
    db_audit_filter all = {0, NULL, 0};
    if (!filter)
        filter = &all;
    sqlite3_bind_int64(it->stmt, 1, filter->after_seq);
    if (filter->action_prefix)
        sqlite3_bind_text(it->stmt, 2, filter->action_prefix, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(it->stmt, 3, filter->limit > 0 ? filter->limit : -1);
    *out = it;
    return CR_OK;
}

static db_audit_text column_text(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    db_audit_text t = {"", 0};
    if (s) {
        t.s = (const char *)s;
        t.len = (size_t)sqlite3_column_bytes(st, col);
    }
    return t;
}

cr_status db_audit_iter_next(db_audit_iter *it, db_audit_entry *entry, int *has_row, cr_err *err)
{
    *has_row = 0;
    int rc = sqlite3_step(it->stmt);
    if (rc == SQLITE_DONE)
        return CR_OK;
    if (rc != SQLITE_ROW)
        return db_sqlerr(it->db, err, "audit: reading entries");
    entry->seq = sqlite3_column_int64(it->stmt, 0);
    entry->at = column_text(it->stmt, 1);
    entry->actor = column_text(it->stmt, 2);
    entry->action = column_text(it->stmt, 3);
    entry->subject = column_text(it->stmt, 4);
    entry->detail = column_text(it->stmt, 5);
    entry->prev_hash = column_text(it->stmt, 6);
    entry->hash = column_text(it->stmt, 7);
    *has_row = 1;
    return CR_OK;
}

void db_audit_iter_close(db_audit_iter *it)
{
    if (!it)
        return;
    sqlite3_finalize(it->stmt);
    free(it);
}
