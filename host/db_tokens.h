/*
 * db_tokens.h -- storage of API tokens (table api_tokens). Part of the
 * storage module; only hashes are stored (token.h).
 */
#ifndef COURTRULES_DB_TOKENS_H
#define COURTRULES_DB_TOKENS_H

#include <jansson.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

typedef struct db_token {
    int64_t id;
    char name[128];
    char court[32]; /* "*" or a court-code prefix */
    char role[16];
} db_token;

/* Stores a new token (inside a transaction). */
cr_status db_token_insert(cr_db *db, const char *name, const char *sha256, const char *court,
                          const char *role, const char *created_by, int64_t *id, cr_err *err);

/* Finds the unrevoked token with this hash: 1 found (out filled), 0 not
 * found or revoked, -1 error (err filled). */
int db_token_lookup(cr_db *db, const char *sha256, db_token *out, cr_err *err);

/* Every token, revoked ones included, without hashes: [{id, name, court,
 * role, created_at, created_by, revoked_at}]. Caller decrefs. */
cr_status db_token_list(cr_db *db, json_t **out, cr_err *err);

/* Revokes token id (inside a transaction). CR_INVALID if there is no such
 * token or it is already revoked; out (may be NULL) receives its fields. */
cr_status db_token_revoke(cr_db *db, int64_t id, db_token *out, cr_err *err);

#endif
