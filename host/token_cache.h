/*
 * token_cache.h -- bearer tokens the daemon recently found valid.
 *
 * Checking a token against the database is a SHA-256 and an indexed read,
 * but the read takes SQLite's shared lock (two fcntl calls) and a prepared
 * statement: under load that was a tenth of a triage call. The cache keeps
 * a valid token's row for a short time (ttl).
 *
 * Entries are keyed by the token's SipHash-2-4-128 under a random key made
 * when the cache is (siphash.h), not by the token: the cache, like the
 * database, never holds a token, and without the key its entries say
 * nothing about one. A hit costs that keyed hash instead of a SHA-256
 * (about a tenth of the instructions); a miss computes the SHA-256 for the
 * database as before.
 *
 * Tokens are revoked by another process (`courtrules token revoke`), so the
 * cache cannot be told; instead an entry older than ttl is not returned and
 * the caller looks the token up again. A revoked token is therefore refused
 * at most ttl after the revocation committed. Unknown and revoked tokens are
 * never cached, so a new token works at once. Thread-safe.
 */
#ifndef COURTRULES_TOKEN_CACHE_H
#define COURTRULES_TOKEN_CACHE_H

#include <stddef.h>

#include "db_tokens.h"

typedef struct token_cache token_cache;

/* A cache whose entries live ttl_ms milliseconds; 0 caches nothing (every
 * request is looked up). NULL if out of memory or if the random generator
 * fails. */
token_cache *token_cache_new(unsigned ttl_ms);
void token_cache_free(token_cache *c);

/* 1 with *out filled if this token (the bearer text, "crt_" and 64 hex
 * digits) was found valid less than ttl ago; 0 otherwise. c may be NULL (a
 * miss). */
int token_cache_get(token_cache *c, const char *token, db_token *out);

/* Remembers that this token was just found valid as t. A full cache
 * replaces the entry in the same bucket. No-op for NULL. */
void token_cache_put(token_cache *c, const char *token, const db_token *t);

/* The bucket a token goes to (for tests: two tokens in one bucket). */
size_t token_cache_bucket(const token_cache *c, const char *token);

#endif
