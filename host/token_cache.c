/*
 * token_cache.c -- recently validated bearer tokens (see token_cache.h).
 *
 * A direct-mapped table: the token's keyed hash picks the one bucket it can
 * be in, and a newer token in the same bucket replaces the older. The table
 * is bounded (TOKEN_CACHE_BUCKETS) whatever clients send, and a collision
 * costs only a database lookup. The key is secret, so clients cannot aim
 * tokens at one bucket.
 */
#include "token_cache.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siphash.h"
#include "token.h"

#define TOKEN_CACHE_BUCKETS 512 /* a power of two */

typedef struct bucket {
    unsigned char tag[SIPHASH_OUT_BYTES]; /* the token's keyed hash */
    int used;
    db_token token;
    long long checked_ms; /* monotonic time the database last said valid */
} bucket;

struct token_cache {
    pthread_mutex_t lock;
    unsigned ttl_ms;
    unsigned char key[SIPHASH_KEY_BYTES];
    bucket buckets[TOKEN_CACHE_BUCKETS];
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The token's keyed hash; 0 for anything but a token's length (never
 * cached). */
static int tag_of(const token_cache *c, const char *token, unsigned char tag[SIPHASH_OUT_BYTES])
{
    size_t len = strnlen(token, TOKEN_TEXT_LEN + 1);
    if (len != TOKEN_TEXT_LEN)
        return 0;
    siphash128(c->key, token, len, tag);
    return 1;
}

static size_t bucket_index(const unsigned char tag[SIPHASH_OUT_BYTES])
{
    return ((size_t)tag[0] | (size_t)tag[1] << 8) & (TOKEN_CACHE_BUCKETS - 1);
}

token_cache *token_cache_new(unsigned ttl_ms)
{
    token_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (RAND_bytes(c->key, sizeof c->key) != 1) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->ttl_ms = ttl_ms;
    return c;
}

void token_cache_free(token_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

size_t token_cache_bucket(const token_cache *c, const char *token)
{
    unsigned char tag[SIPHASH_OUT_BYTES];
    return tag_of(c, token, tag) ? bucket_index(tag) : 0;
}

int token_cache_get(token_cache *c, const char *token, db_token *out)
{
    unsigned char tag[SIPHASH_OUT_BYTES];
    if (!c || !c->ttl_ms || !tag_of(c, token, tag))
        return 0;
    long long now = now_ms();
    int hit = 0;
    pthread_mutex_lock(&c->lock);
    bucket *b = &c->buckets[bucket_index(tag)];
    /* A clock that went backwards never extends an entry's life. */
    if (b->used && memcmp(b->tag, tag, sizeof tag) == 0 && now >= b->checked_ms &&
        now - b->checked_ms < c->ttl_ms) {
        *out = b->token;
        hit = 1;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void token_cache_put(token_cache *c, const char *token, const db_token *t)
{
    unsigned char tag[SIPHASH_OUT_BYTES];
    if (!c || !c->ttl_ms || !tag_of(c, token, tag))
        return;
    long long now = now_ms();
    pthread_mutex_lock(&c->lock);
    bucket *b = &c->buckets[bucket_index(tag)];
    memcpy(b->tag, tag, sizeof tag);
    b->used = 1;
    b->token = *t;
    b->checked_ms = now;
    pthread_mutex_unlock(&c->lock);
}
