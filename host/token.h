/*
 * token.h -- API bearer tokens: generation, hashing, roles and court scope.
 *
 * A token is "crt_" followed by 64 hex digits (32 random bytes from
 * RAND_bytes). It is shown once, when created; only its SHA-256 (hex) is
 * stored (db_tokens.h). Each token carries one role and one court scope:
 * "*" (every court) or a court-code prefix, so a 粤07 token covers 粤07
 * and 粤0703 but not 粤08. Nothing here touches the database.
 */
#ifndef COURTRULES_TOKEN_H
#define COURTRULES_TOKEN_H

#include <stddef.h>

#include "err.h"

#define TOKEN_TEXT_LEN 68 /* "crt_" + 64 hex digits */

/* What a role may do; a request names the permission it needs. */
typedef enum token_perm {
    TOKEN_READ = 1,    /* cases, explain, alerts */
    TOKEN_FILE = 2,    /* post records, triage, evaluate */
    TOKEN_OPERATE = 4, /* ack and resolve alerts */
    TOKEN_ADMIN = 8    /* reload rule sets */
} token_perm;

/* The permissions of a role: reader = read; filer = read + file;
 * operator = read + operate; admin = all. 0 for an unknown role. */
int token_role_perms(const char *role);

/* "reader, filer, operator, admin": for messages. */
const char *token_role_names(void);

/* Fills out (TOKEN_TEXT_LEN + 1 bytes) with a fresh random token. CR_FAIL if
 * the random generator fails. */
cr_status token_generate(char out[TOKEN_TEXT_LEN + 1], cr_err *err);

/* SHA-256 of the token text as 64 hex digits. */
void token_hash(const char *token, char out[65]);

/* Is text shaped like a token ("crt_" + 64 lowercase hex digits)? Rejecting
 * other text early keeps garbage out of the lookup. */
int token_well_formed(const char *text);

/* Checks a token's court scope: "*" or a valid court code (court_code_check).
 * Returns 0, or -1 with a reason in why. */
int token_scope_check(const char *scope, char *why, size_t whylen);

/* Does a token with scope cover court? "*" covers every court; otherwise
 * court must start with scope. A NULL or empty court is covered only by "*". */
int token_covers(const char *scope, const char *court);

/* Is every court that `narrow` covers also covered by `scope`? (A request
 * filtering by court `narrow` stays inside the token's scope.) "*" is the
 * widest scope: within "*" is everything, and "*" is within only "*". */
int token_scope_within(const char *narrow, const char *scope);

#endif
