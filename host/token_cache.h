/*
 * token_cache.h -- bearer tokens the daemon recently found valid.
 *
 * Checking a token against the database is a SHA-256 and an indexed read,
 * but the read takes SQLite's shared lock (two fcntl calls) and a prepared
 * statement: under load that was a tenth of a triage call. The cache keeps
 * a valid token's row for a short time (ttl), keyed by the token's hash, so
 * only a hash is ever held, as in the database.
 *
 * Tokens are revoked by another process (`courtrules token revoke`), so the
 * cache cannot be told; instead an entry older than ttl is not returned and
 * the caller looks the token up again. A revoked token is therefore refused
 * at most ttl after the revocation committed. Unknown and revoked tokens are
 * never cached, so a new token works at once. Thread-safe.
 */
#ifndef COURTRULES_TOKEN_CACHE_H
#define COURTRULES_TOKEN_CACHE_H

#include "db_tokens.h"

typedef struct token_cache token_cache;

/* A cache whose entries live ttl_ms milliseconds; 0 caches nothing (every
 * request is looked up). NULL if out of memory. */
token_cache *token_cache_new(unsigned ttl_ms);
void token_cache_free(token_cache *c);

/* 1 with *out filled if the token with this hash (64 hex digits) was found
 * valid less than ttl ago; 0 otherwise. c may be NULL (a miss). */
int token_cache_get(token_cache *c, const char *hash, db_token *out);

/* Remembers that the token with this hash was just found valid as t. A full
 * cache replaces the entry in the same bucket. No-op for NULL. */
void token_cache_put(token_cache *c, const char *hash, const db_token *t);

#endif
