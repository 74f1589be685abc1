/*
 * sandbox_pool.h -- the free lists behind a sandbox's allocator; not for
 * other modules (sandbox.c is its one user).
 *
 * Lua allocates and frees many small blocks per evaluated case (strings,
 * tables, their parts, read-only views), and the collector frees them in
 * bursts that overflow the C library's per-thread caches. A pool keeps the
 * freed small blocks of one lua_State on lists by size class and hands them
 * out again. It only recycles memory: what counts against the memory cap is
 * decided by the caller (sandbox_alloc) from the sizes Lua asks for, exactly
 * as without a pool. Single-threaded, like the state it belongs to.
 *
 * Invariant: a block that Lua knows as n bytes, with n in a size class, has
 * room for the whole class (sandbox_pool_index_bytes(sandbox_pool_index(n))),
 * so any block of a class may serve any request of that class.
 *
 * Taking and giving back a block are inline: the allocator runs a few
 * hundred times per evaluated case, and most of it is one list push or pop.
 * Under AddressSanitizer a block on a list is poisoned but for its link, so
 * a use after free inside Lua is still reported.
 */
#ifndef COURTRULES_SANDBOX_POOL_H
#define COURTRULES_SANDBOX_POOL_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SANDBOX_POOL_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define SANDBOX_POOL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define SANDBOX_POOL_POISON(p, n) ((void)(p), (void)(n))
#define SANDBOX_POOL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

enum {
    SANDBOX_POOL_GRAIN = 16,       /* size classes are multiples of this */
    SANDBOX_POOL_CLASSES = 32,     /* so the largest pooled block is 512 bytes */
    SANDBOX_POOL_KEEP = 512 << 10, /* free bytes kept at most; more go back to the C library */
};

typedef struct sandbox_pool {
    void *free[SANDBOX_POOL_CLASSES]; /* per class: a list linked through each block's first word */
    size_t kept;                      /* bytes on the lists */
} sandbox_pool;

/* The list index of an n-byte block's class, or SANDBOX_POOL_CLASSES or more
 * for a block too large to pool and for n == 0 (the subtraction wraps). */
static inline size_t sandbox_pool_index(size_t n)
{
    return (n - 1) / SANDBOX_POOL_GRAIN;
}

/* The bytes every block of list i has room for. */
static inline size_t sandbox_pool_index_bytes(size_t i)
{
    return (i + 1) * SANDBOX_POOL_GRAIN;
}

/* Returns a block from the lists for nsize bytes, or NULL if nsize has no
 * class or its list is empty. Calls nothing, outside AddressSanitizer. */
static inline void *sandbox_pool_pop(sandbox_pool *pool, size_t nsize)
{
    size_t i = sandbox_pool_index(nsize);
    void *block;
    if (i >= SANDBOX_POOL_CLASSES || !(block = pool->free[i]))
        return NULL;
    SANDBOX_POOL_UNPOISON(block, sandbox_pool_index_bytes(i));
    memcpy(&pool->free[i], block, sizeof(void *));
    pool->kept -= sandbox_pool_index_bytes(i);
    return block;
}

/* Returns a fresh block for nsize > 0 bytes (room for its whole class if it
 * has one), or NULL if memory ran out. */
static inline void *sandbox_pool_take(sandbox_pool *pool, size_t nsize)
{
    size_t i = sandbox_pool_index(nsize);
    void *block = sandbox_pool_pop(pool, nsize);
    if (block)
        return block;
    return malloc(i < SANDBOX_POOL_CLASSES ? sandbox_pool_index_bytes(i) : nsize);
}

/* Gives back a block Lua knew as old bytes (ptr may be NULL). */
static inline void sandbox_pool_release(sandbox_pool *pool, void *ptr, size_t old)
{
    size_t i = sandbox_pool_index(old);
    if (!ptr)
        return;
    if (i >= SANDBOX_POOL_CLASSES || pool->kept + sandbox_pool_index_bytes(i) > SANDBOX_POOL_KEEP) {
        free(ptr);
        return;
    }
    memcpy(ptr, &pool->free[i], sizeof(void *));
    pool->free[i] = ptr;
    pool->kept += sandbox_pool_index_bytes(i);
    SANDBOX_POOL_POISON((char *)ptr + sizeof(void *), sandbox_pool_index_bytes(i) - sizeof(void *));
}

/*
 * Resizes a block as lua_Alloc does, for ptr NULL (old is then 0) or a block
 * Lua knows as old bytes, to nsize > 0 bytes. Returns the block, or NULL if
 * memory ran out (ptr is then untouched). Never refuses anything itself:
 * whether the growth is allowed is the caller's decision, made before.
 */
void *sandbox_pool_resize(sandbox_pool *pool, void *ptr, size_t old, size_t nsize);

/* Frees every block on the lists; the pool is empty ({0}) afterwards. */
void sandbox_pool_drain(sandbox_pool *pool);

#endif
