/*
 * sandbox_pool.c -- size-class free lists for a sandbox's small blocks (see
 * sandbox_pool.h).
 *
 * Blocks come from malloc, a whole class at a time, and go back to it when
 * the lists already keep SANDBOX_POOL_KEEP bytes, so a rule that once built
 * a large heap of small objects does not leave it all parked here. Under
 * AddressSanitizer a block on a list is poisoned but for its link, so a use
 * after free inside Lua is still reported.
 */
#include "sandbox_pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POOL_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define POOL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POOL_POISON(p, n) ((void)(p), (void)(n))
#define POOL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define MAX_POOLED ((size_t)SANDBOX_POOL_GRAIN * SANDBOX_POOL_CLASSES)

/* The class of an n-byte block (1 .. SANDBOX_POOL_CLASSES), or 0 for a
 * block too large to pool (and for n == 0). */
static unsigned class_of(size_t n)
{
    if (n == 0 || n > MAX_POOLED)
        return 0;
    return (unsigned)((n + SANDBOX_POOL_GRAIN - 1) / SANDBOX_POOL_GRAIN);
}

static size_t class_bytes(unsigned c)
{
    return (size_t)c * SANDBOX_POOL_GRAIN;
}

static void *take(sandbox_pool *pool, unsigned c)
{
    void *block = pool->free[c - 1];
    if (!block)
        return malloc(class_bytes(c));
    POOL_UNPOISON(block, class_bytes(c));
    memcpy(&pool->free[c - 1], block, sizeof(void *));
    pool->kept -= class_bytes(c);
    return block;
}

static void give_back(sandbox_pool *pool, void *block, unsigned c)
{
    if (pool->kept + class_bytes(c) > SANDBOX_POOL_KEEP) {
        free(block);
        return;
    }
    memcpy(block, &pool->free[c - 1], sizeof(void *));
    pool->free[c - 1] = block;
    pool->kept += class_bytes(c);
    POOL_POISON((char *)block + sizeof(void *), class_bytes(c) - sizeof(void *));
}

void sandbox_pool_release(sandbox_pool *pool, void *ptr, size_t old)
{
    unsigned c = class_of(old);
    if (!ptr)
        return;
    if (c)
        give_back(pool, ptr, c);
    else
        free(ptr);
}

void *sandbox_pool_resize(sandbox_pool *pool, void *ptr, size_t old, size_t nsize)
{
    unsigned oc = ptr ? class_of(old) : 0, nc = class_of(nsize);
    void *block;
    if (!ptr)
        return nc ? take(pool, nc) : malloc(nsize);
    if (oc && oc == nc)
        return ptr; /* the block already has room for the whole class */
    if (!oc && !nc)
        return realloc(ptr, nsize);
    /* Into or out of the pooled sizes, or between classes: a fresh block of
     * the right kind, so the invariant holds for what Lua will free. */
    block = nc ? take(pool, nc) : malloc(nsize);
    if (!block)
        return NULL;
    memcpy(block, ptr, old < nsize ? old : nsize);
    sandbox_pool_release(pool, ptr, old);
    return block;
}

void sandbox_pool_drain(sandbox_pool *pool)
{
    for (unsigned c = 1; c <= SANDBOX_POOL_CLASSES; c++) {
        void *block = pool->free[c - 1];
        while (block) {
            void *next;
            POOL_UNPOISON(block, class_bytes(c));
            memcpy(&next, block, sizeof(void *));
            free(block);
            block = next;
        }
        pool->free[c - 1] = NULL;
    }
    pool->kept = 0;
}
