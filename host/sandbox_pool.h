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
 * room for the whole class (at least sandbox_pool_class_bytes(n)), so any
 * block of a class may serve any request of that class.
 */
#ifndef COURTRULES_SANDBOX_POOL_H
#define COURTRULES_SANDBOX_POOL_H

#include <stddef.h>

enum {
    SANDBOX_POOL_GRAIN = 16,       /* size classes are multiples of this */
    SANDBOX_POOL_CLASSES = 32,     /* so the largest pooled block is 512 bytes */
    SANDBOX_POOL_KEEP = 512 << 10, /* free bytes kept at most; more go back to the C library */
};

typedef struct sandbox_pool {
    void *free[SANDBOX_POOL_CLASSES]; /* per class: a list linked through each block's first word */
    size_t kept;                      /* bytes on the lists */
} sandbox_pool;

/*
 * Resizes a block as lua_Alloc does, for ptr NULL (old is then 0) or a block
 * Lua knows as old bytes, to nsize > 0 bytes. Returns the block, or NULL if
 * memory ran out (ptr is then untouched). Never refuses anything itself:
 * whether the growth is allowed is the caller's decision, made before.
 */
void *sandbox_pool_resize(sandbox_pool *pool, void *ptr, size_t old, size_t nsize);

/* Gives back a block Lua knew as old bytes (ptr may be NULL). */
void sandbox_pool_release(sandbox_pool *pool, void *ptr, size_t old);

/* Frees every block on the lists; the pool is empty ({0}) afterwards. */
void sandbox_pool_drain(sandbox_pool *pool);

#endif
