/*
 * db_tokens.c -- API tokens in SQLite (see db_tokens.h). Statements are
 * prepared per call: token lookups are one indexed row, and this file keeps
 * no per-connection state.
 */
#include "db_tokens.h"

#include <stdio.h>
#include <string.h>

#include "db_internal.h"

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t len)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    snprintf(out, len, "%s", s ? (const char *)s : "");
}

cr_status db_token_insert(cr_db *db, const char *name, const char *sha256, const char *court,
                          const char *role, const char *created_by, int64_t *id, cr_err *err)
{
    sqlite3_stmt *st;
    char now[26];
    db_now(now);
    if (sqlite3_prepare_v2(db->sql,
                           "INSERT INTO api_tokens(name, sha256, court, role, created_at, created_by)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "storing a token: prepare");
    db_bind_text(st, 1, name);
    db_bind_text(st, 2, sha256);
    db_bind_text(st, 3, court);
    db_bind_text(st, 4, role);
    db_bind_text(st, 5, now);
    db_bind_text(st, 6, created_by);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_sqlerr(db, err, "storing a token");
    if (id)
        *id = sqlite3_last_insert_rowid(db->sql);
    return CR_OK;
}

int db_token_lookup(cr_db *db, const char *sha256, db_token *out, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT id, name, court, role FROM api_tokens"
                           " WHERE sha256 = ?1 AND revoked_at IS NULL",
                           -1, &st, NULL) != SQLITE_OK) {
        db_sqlerr(db, err, "looking up a token: prepare");
        return -1;
    }
    db_bind_text(st, 1, sha256);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        copy_col(st, 1, out->name, sizeof out->name);
        copy_col(st, 2, out->court, sizeof out->court);
        copy_col(st, 3, out->role, sizeof out->role);
        found = 1;
    } else if (rc != SQLITE_DONE) {
        db_sqlerr(db, err, "looking up a token");
        found = -1;
    }
    sqlite3_finalize(st);
    return found;
}

cr_status db_token_list(cr_db *db, json_t **out, cr_err *err)
{
    sqlite3_stmt *st;
    *out = NULL;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT id, name, court, role, created_at, created_by, revoked_at"
                           " FROM api_tokens ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "listing tokens: prepare");
    static const char *const names[] = {"id",         "name",       "court",     "role",
                                        "created_at", "created_by", "revoked_at"};
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = json_object();
        json_object_set_new(row, "id", json_integer(sqlite3_column_int64(st, 0)));
        for (int c = 1; c < 7; c++) {
            const unsigned char *s = sqlite3_column_text(st, c);
            json_object_set_new(row, names[c], s ? json_string((const char *)s) : json_null());
        }
        json_array_append_new(list, row);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return db_sqlerr(db, err, "listing tokens");
    }
    *out = list;
    return CR_OK;
}

cr_status db_token_revoke(cr_db *db, int64_t id, db_token *out, cr_err *err)
{
    sqlite3_stmt *st;
    char now[26];
    db_now(now);
    if (sqlite3_prepare_v2(db->sql,
                           "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS"
                           " NULL RETURNING name, court, role",
                           -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "revoking a token: prepare");
    sqlite3_bind_int64(st, 1, id);
    db_bind_text(st, 2, now);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && out) {
        out->id = id;
        copy_col(st, 0, out->name, sizeof out->name);
        copy_col(st, 1, out->court, sizeof out->court);
        copy_col(st, 2, out->role, sizeof out->role);
    }
    int rc2 = rc == SQLITE_ROW ? sqlite3_step(st) : rc;
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return cr_errf(err, CR_INVALID, "token %lld: no such token, or already revoked",
                       (long long)id);
    if (rc != SQLITE_ROW || rc2 != SQLITE_DONE)
        return db_sqlerr(db, err, "revoking a token");
    return CR_OK;
}
