/*
 * sandbox_pool.c -- size-class free lists for a sandbox's small blocks (see
 * sandbox_pool.h, which holds the common paths).
 *
 * Blocks come from malloc, a whole class at a time, and go back to it when
 * the lists already keep SANDBOX_POOL_KEEP bytes, so a rule that once built
 * a large heap of small objects does not leave it all parked here.
 */
#include "sandbox_pool.h"

void *sandbox_pool_resize(sandbox_pool *pool, void *ptr, size_t old, size_t nsize)
{
    size_t oi, ni = sandbox_pool_index(nsize);
    void *block;
    if (!ptr)
        return sandbox_pool_take(pool, nsize);
    oi = sandbox_pool_index(old);
    if (oi < SANDBOX_POOL_CLASSES && oi == ni)
        return ptr; /* the block already has room for the whole class */
    if (oi >= SANDBOX_POOL_CLASSES && ni >= SANDBOX_POOL_CLASSES)
        return realloc(ptr, nsize);
    /* Into or out of the pooled sizes, or between classes: a fresh block of
     * the right kind, so the invariant holds for what Lua will free. */
    block = sandbox_pool_take(pool, nsize);
    if (!block)
        return NULL;
    memcpy(block, ptr, old < nsize ? old : nsize);
    sandbox_pool_release(pool, ptr, old);
    return block;
}

void sandbox_pool_drain(sandbox_pool *pool)
{
    for (size_t i = 0; i < SANDBOX_POOL_CLASSES; i++) {
        void *block = pool->free[i];
        while (block) {
            void *next;
            SANDBOX_POOL_UNPOISON(block, sandbox_pool_index_bytes(i));
            memcpy(&next, block, sizeof(void *));
            free(block);
            block = next;
        }
        pool->free[i] = NULL;
    }
    pool->kept = 0;
}
