/*
 * token_cache.c -- recently validated bearer tokens (see token_cache.h).
 *
 * A direct-mapped table: the hash's first hex digits pick the one bucket a
 * token can be in, and a newer token in the same bucket replaces the older.
 * The table is bounded (TOKEN_CACHE_BUCKETS) whatever clients send, and a
 * collision costs only a database lookup.
 */
#include "token_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKEN_CACHE_BUCKETS 512 /* a power of two */

typedef struct bucket {
    char hash[65]; /* "" when empty */
    db_token token;
    long long checked_ms; /* monotonic time the database last said valid */
} bucket;

struct token_cache {
    pthread_mutex_t lock;
    unsigned ttl_ms;
    bucket buckets[TOKEN_CACHE_BUCKETS];
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The bucket for a hash: its first 8 hex digits (SHA-256 output is uniform). */
static bucket *bucket_for(token_cache *c, const char *hash)
{
    unsigned v = 0;
    for (int i = 0; i < 8 && hash[i]; i++) {
        char ch = hash[i];
        v = v << 4 | (unsigned)(ch >= 'a' ? ch - 'a' + 10 : ch >= 'A' ? ch - 'A' + 10 : ch - '0');
    }
    return &c->buckets[v & (TOKEN_CACHE_BUCKETS - 1)];
}

token_cache *token_cache_new(unsigned ttl_ms)
{
    token_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->ttl_ms = ttl_ms;
    return c;
}

void token_cache_free(token_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int token_cache_get(token_cache *c, const char *hash, db_token *out)
{
    if (!c || !c->ttl_ms || strlen(hash) != 64)
        return 0;
    long long now = now_ms();
    int hit = 0;
    pthread_mutex_lock(&c->lock);
    bucket *b = bucket_for(c, hash);
    /* A clock that went backwards never extends an entry's life. */
    if (strcmp(b->hash, hash) == 0 && now >= b->checked_ms && now - b->checked_ms < c->ttl_ms) {
        *out = b->token;
        hit = 1;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void token_cache_put(token_cache *c, const char *hash, const db_token *t)
{
    if (!c || !c->ttl_ms || strlen(hash) != 64)
        return;
    long long now = now_ms();
    pthread_mutex_lock(&c->lock);
    bucket *b = bucket_for(c, hash);
    memcpy(b->hash, hash, 65);
    b->token = *t;
    b->checked_ms = now;
    pthread_mutex_unlock(&c->lock);
}
