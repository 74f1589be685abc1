/*
 * sandbox.c -- the sandbox's state: a capped allocator, the budget hook, and
 * the protected calls that run script code and report why it failed.
 *
 * Invariants:
 *   - memory_used <= limits.memory_bytes (growth beyond it is refused);
 *   - every thread of the state carries budget_hook (set on the main thread
 *     before any code runs; hooked_coroutine sets it on each coroutine),
 *     except the main thread during an unhooked call (see "Calls without a
 *     count hook"), which the watchdog can hook at any time;
 *   - `exhausted`, once set during a call, stays set until the outermost
 *     call returns, and the thread that noticed it is switched to a hook
 *     on every instruction, so no pcall can run on past it.
 */
#include "sandbox.h"
#include "sandbox_internal.h"
#include "sandbox_pool.h"
#include "sandbox_watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>

enum {
    HOOK_INTERVAL = 1000,     /* VM instructions between budget checks */
    CLOCK_UNITS = 4096,       /* C-library work units between clock reads */
    BIG_ALLOCATION = 1 << 16, /* allocations this large also check the deadline */
    STRING_HEADER = 64,       /* bytes of a string object that are not its text */
    /* No CPU runs more Lua VM instructions than this per nanosecond: 10 per
     * ns is about ten times what a fast core manages on `while true do
     * end` (one jump per iteration). An unhooked call that took t ns ran
     * at most t * MAX_INSTRUCTIONS_PER_NS instructions. */
    MAX_INSTRUCTIONS_PER_NS = 10,
    REASON_COUNT = SANDBOX_STRING_CAP + 2
};

/* Internal: the watchdog interrupted an unhooked call, which is run again
 * hooked. Never a call's last reason. */
#define SANDBOX_RERUN ((sandbox_reason)(SANDBOX_STRING_CAP + 1))

static const char *const reason_names[REASON_COUNT] = {
    "ok", "error", "syntax", "memory", "instructions", "deadline", "string_cap", "rerun",
};

/*
 * The error values a script's pcall sees when a limit stops it. They are
 * interned at creation so the hook can raise them without allocating (the
 * memory cap may be what stopped the script). SANDBOX_ERROR's slot is for
 * Lua code that runs outside any call, e.g. in a finalizer during close.
 */
static const char *const reason_messages[REASON_COUNT] = {
    [SANDBOX_ERROR] = "sandbox: Lua code may only run inside a sandbox call",
    [SANDBOX_MEMORY] = "sandbox: memory cap exceeded",
    [SANDBOX_INSTRUCTIONS] = "sandbox: instruction budget exhausted",
    [SANDBOX_DEADLINE] = "sandbox: wall-clock budget exhausted",
    [SANDBOX_STRING_CAP] = "sandbox: string operation cap exceeded",
    [SANDBOX_RERUN] = "sandbox: call interrupted, to be run again with its instructions counted",
};

struct sandbox {
    lua_State *L;
    sandbox_limits limits;
    char **module_dirs; /* NULL-terminated, owned */
    size_t memory_used;
    sandbox_pool pool; /* freed small blocks, reused; outside memory_used */

    /* The last refused allocation: Lua retries once after an emergency
     * collection, and only a second refusal of the same request means the
     * memory cap is really exhausted. */
    struct {
        int pending;
        const void *ptr;
        size_t osize, nsize;
    } refused;

    /* The running call (depth > 0) and its budget. */
    int depth;
    uint64_t instructions_used;
    uint64_t started_ns; /* the clock when the outermost call began */
    uint64_t deadline_ns;
    size_t clock_units;
    sandbox_reason exhausted;
    char where[192]; /* "chunk:line" where a limit was first noticed */

    /* Unhooked calls (sandbox_call_replayable). */
    sandbox_watch watch;
    int watched;   /* registered with the watchdog: unhooked calls possible */
    int unhooked;  /* the running call is one */
    uint64_t reruns;

    sandbox_reason last_reason;
    int reason_ref[REASON_COUNT];

    sandbox_line_fn line_fn; /* sandbox_set_line_hook: line events, for coverage */
    void *line_ud;
};

sandbox_limits sandbox_limits_default(void)
{
    sandbox_limits limits = {
        .memory_bytes = (size_t)64 << 20,
        .instructions = 100000000u,
        .wall_ms = 2000,
        .string_bytes = (size_t)16 << 20,
    };
    return limits;
}

const char *sandbox_reason_name(sandbox_reason reason)
{
    if ((unsigned)reason >= REASON_COUNT)
        return "unknown";
    return reason_names[reason];
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static sandbox *sandbox_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

static void mark_exhausted(sandbox *sb, sandbox_reason reason)
{
    if (sb->exhausted == SANDBOX_OK)
        sb->exhausted = reason;
}

/* ---- allocator ---------------------------------------------------------- */

/* True when a new block of nsize bytes, of any type, passes every check of
 * grant() at once: under the memory cap and the string cap, and too small
 * for the clock check of big allocations. grant() and sandbox_alloc's
 * shortcut both ask this, so the shortcut cannot allow what grant()
 * would refuse. */
static inline int fits_at_once(const sandbox *sb, size_t nsize)
{
    return nsize < BIG_ALLOCATION && nsize <= sb->limits.memory_bytes - sb->memory_used &&
           nsize <= sb->limits.string_bytes + STRING_HEADER;
}

/* Decides whether an allocation may grow from old to nsize bytes. */
static int grant(sandbox *sb, void *ptr, size_t osize, size_t nsize)
{
    size_t old = ptr ? osize : 0;

    if (!ptr && fits_at_once(sb, nsize)) {
        sb->refused.pending = 0;
        return 1;
    }
    /* A new string object above the cap: catches `..`, string.format and
     * every C function's result, whatever built it. (For a new object Lua
     * passes its type in osize.) */
    if (!ptr && osize == LUA_TSTRING && nsize > sb->limits.string_bytes + STRING_HEADER) {
        mark_exhausted(sb, SANDBOX_STRING_CAP);
        return 0;
    }
    /* Big copies run inside single VM instructions; check the clock here
     * too so a loop of them cannot overrun the deadline by much. */
    if (sb->depth > 0 && nsize - old >= BIG_ALLOCATION && now_ns() >= sb->deadline_ns) {
        mark_exhausted(sb, SANDBOX_DEADLINE);
        return 0;
    }
    if (nsize - old > sb->limits.memory_bytes - sb->memory_used) {
        if (sb->refused.pending && sb->refused.ptr == ptr && sb->refused.osize == osize &&
            sb->refused.nsize == nsize)
            mark_exhausted(sb, SANDBOX_MEMORY);
        sb->refused.pending = 1;
        sb->refused.ptr = ptr;
        sb->refused.osize = osize;
        sb->refused.nsize = nsize;
        return 0;
    }
    sb->refused.pending = 0;
    return 1;
}

/* Makes or grows a block once grant() allows it, and counts it: every case
 * sandbox_alloc has no shortcut for. Shrinking never fails, as Lua
 * requires. */
static __attribute__((noinline)) void *alloc_counted(sandbox *sb, void *ptr, size_t osize,
                                                     size_t nsize)
{
    size_t old = ptr ? osize : 0;
    void *block;

    if (nsize > old && !grant(sb, ptr, osize, nsize))
        return NULL;
    block = sandbox_pool_resize(&sb->pool, ptr, old, nsize);
    if (!block) {
        if (nsize > old)
            return NULL;
        block = ptr; /* a failed shrink keeps the bigger block (room for nsize's class too) */
    }
    sb->memory_used = sb->memory_used - old + nsize;
    return block;
}

/* lua_Alloc: counts every byte and refuses growth past the memory cap. The
 * cap is on the bytes Lua asks for, whichever block serves them: the pool
 * only decides where they come from, after grant() has allowed them.
 *
 * Freeing and making small objects are most of the calls (several hundred
 * per evaluated case), so they are done here without a stack frame when the
 * pool has the block; anything else goes to alloc_counted. */
static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    sandbox *sb = ud;

    if (nsize == 0) {
        if (ptr) {
            sb->memory_used -= osize;
            sandbox_pool_release(&sb->pool, ptr, osize);
        }
        return NULL;
    }
    /* A new object that grant() allows at once, served from the pool. */
    if (!ptr && fits_at_once(sb, nsize)) {
        void *block = sandbox_pool_pop(&sb->pool, nsize);
        if (block) {
            sb->refused.pending = 0;
            sb->memory_used += nsize;
            return block;
        }
    }
    return alloc_counted(sb, ptr, osize, nsize);
}

/* ---- budget ------------------------------------------------------------- */

/* Records where the script was when a limit was first noticed. Reads only
 * debug information already in the state, so it does not allocate. */
static void note_where(sandbox *sb, lua_State *L)
{
    lua_Debug ar;
    if (sb->where[0])
        return;
    for (int level = 0; level < 4 && lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            snprintf(sb->where, sizeof sb->where, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
    }
}

static void budget_hook(lua_State *L, lua_Debug *ar);

/* The events budget_hook asks for: counts always, lines while a line hook
 * is set. */
static int hook_mask(const sandbox *sb)
{
    return LUA_MASKCOUNT | (sb->line_fn ? LUA_MASKLINE : 0);
}

/* Raises the exhausted limit (or, outside a call, SANDBOX_ERROR's message),
 * first switching this thread to a hook on every instruction. */
static int raise_exhausted(lua_State *L)
{
    sandbox *sb = sandbox_of(L);
    sandbox_reason reason = sb->depth > 0 ? sb->exhausted : SANDBOX_ERROR;
    note_where(sb, L);
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
    if (sb->reason_ref[reason] != LUA_NOREF && lua_checkstack(L, 1))
        lua_rawgeti(L, LUA_REGISTRYINDEX, sb->reason_ref[reason]);
    else
        lua_pushstring(L, reason_messages[reason]);
    return lua_error(L);
}

/* The count hook: runs every HOOK_INTERVAL instructions in every thread
 * (every instruction once a limit is exhausted). */
static void budget_hook(lua_State *L, lua_Debug *ar)
{
    sandbox *sb = sandbox_of(L);
    int count = lua_gethookcount(L);

    if (ar->event == LUA_HOOKLINE) {
        /* not charged: the count events keep the budget; a script that
         * runs outside a call is stopped by the next count event */
        if (sb->line_fn && sb->depth > 0 && sb->exhausted == SANDBOX_OK &&
            lua_getinfo(L, "S", ar))
            sb->line_fn(sb->line_ud, ar->source, ar->currentline);
        return;
    }
    if (sb->depth > 0 && sb->exhausted == SANDBOX_OK) {
        sb->instructions_used += (uint64_t)count;
        if (sb->unhooked && sb->watch.armed) {
            /* an interrupted unhooked call: a coroutine is left suspended
             * where it is (its resume returns, and the main thread, hooked
             * by the watchdog, raises at its next instruction; the call is
             * made again anyway) so that a coroutine made before the call
             * is found by the second run where it was, not dead */
            if (L != sb->L && lua_isyieldable(L)) {
                lua_yield(L, 0);
                return;
            }
            sb->exhausted = SANDBOX_RERUN;
        } else if (sb->instructions_used > sb->limits.instructions)
            sb->exhausted = SANDBOX_INSTRUCTIONS;
        else if (now_ns() >= sb->deadline_ns)
            sb->exhausted = SANDBOX_DEADLINE;
        else {
            /* a coroutine still on the every-instruction hook of an
             * earlier failed call goes back to the normal interval */
            if (count != HOOK_INTERVAL)
                lua_sethook(L, budget_hook, hook_mask(sb), HOOK_INTERVAL);
            return;
        }
    }
    raise_exhausted(L);
}

void sandbox_charge(lua_State *L, size_t units)
{
    sandbox *sb = sandbox_of(L);
    if (sb->depth == 0)
        return; /* the host's own work */
    if (sb->exhausted == SANDBOX_OK) {
        sb->instructions_used += units;
        sb->clock_units += units;
        if (sb->instructions_used > sb->limits.instructions)
            sb->exhausted = SANDBOX_INSTRUCTIONS;
        else if (sb->clock_units >= CLOCK_UNITS) {
            sb->clock_units = 0;
            if (now_ns() >= sb->deadline_ns)
                sb->exhausted = SANDBOX_DEADLINE;
        }
        if (sb->exhausted == SANDBOX_OK)
            return;
    }
    raise_exhausted(L);
}

int sandbox_exhaust(lua_State *L, sandbox_reason reason)
{
    mark_exhausted(sandbox_of(L), reason);
    return raise_exhausted(L);
}

int sandbox_exhausted(lua_State *L)
{
    sandbox *sb = sandbox_of(L);
    return sb->depth == 0 || sb->exhausted != SANDBOX_OK;
}

size_t sandbox_string_cap(lua_State *L)
{
    return sandbox_of(L)->limits.string_bytes;
}

const char *const *sandbox_module_dirs(lua_State *L)
{
    return (const char *const *)sandbox_of(L)->module_dirs;
}

/* ---- calls -------------------------------------------------------------- */

/* A fresh budget for an outermost call that began at `started`. */
static void budget_begin(sandbox *sb, uint64_t started)
{
    sb->instructions_used = 0;
    sb->clock_units = 0;
    sb->exhausted = SANDBOX_OK;
    sb->refused.pending = 0;
    sb->where[0] = '\0';
    sb->started_ns = started;
    sb->deadline_ns = started + (uint64_t)sb->limits.wall_ms * 1000000u;
}

/* Starts the budget of an outermost call; nested calls share it. */
static void call_begin(sandbox *sb)
{
    if (sb->depth++ > 0)
        return;
    budget_begin(sb, now_ns());
    lua_sethook(sb->L, budget_hook, hook_mask(sb), HOOK_INTERVAL);
}

int64_t sandbox_call_elapsed_us(const sandbox *sb)
{
    return (int64_t)((now_ns() - sb->started_ns) / 1000u);
}

/* Appends s[0..len) to dst (capacity cap, NUL-terminated) keeping only
 * valid UTF-8, tabs and newlines; anything else becomes '?'. */
static void copy_printable(char *dst, size_t cap, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    size_t n = strlen(dst);
    while (p < end && n + 1 < cap) {
        size_t seq = 1;
        if (*p >= 0xC2 && *p <= 0xDF)
            seq = 2;
        else if (*p >= 0xE0 && *p <= 0xEF)
            seq = 3;
        else if (*p >= 0xF0 && *p <= 0xF4)
            seq = 4;
        int valid = seq > 1 || *p == '\t' || *p == '\n' || (*p >= 0x20 && *p < 0x7F);
        if (seq > 1) {
            valid = (size_t)(end - p) >= seq && n + seq < cap;
            for (size_t i = 1; valid && i < seq; i++)
                valid = (p[i] & 0xC0) == 0x80;
            /* no overlong forms, no surrogates, nothing above U+10FFFF */
            if (valid && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) ||
                          (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
                valid = 0;
        }
        if (!valid) {
            dst[n++] = '?';
            p++;
            continue;
        }
        memcpy(dst + n, p, seq);
        n += seq;
        p += seq;
    }
    dst[n] = '\0';
}

/* Fills err for a failed call whose error object is at the top. Never calls
 * a metamethod: a string is shown as is, anything else by its type. */
static void describe_failure(sandbox *sb, sandbox_reason reason, cr_err *err)
{
    lua_State *L = sb->L;
    char at[sizeof sb->where + 8] = "";
    if (!err)
        return;
    if (sb->where[0])
        snprintf(at, sizeof at, " at %s", sb->where);
    switch (reason) {
    case SANDBOX_MEMORY:
        cr_errf(err, CR_FAIL, "memory cap exceeded: the rule set may use at most %zu bytes%s",
                sb->limits.memory_bytes, at);
        return;
    case SANDBOX_INSTRUCTIONS:
        cr_errf(err, CR_FAIL,
                "instruction budget exhausted: more than %llu instructions in one call%s",
                (unsigned long long)sb->limits.instructions, at);
        return;
    case SANDBOX_DEADLINE:
        cr_errf(err, CR_FAIL, "wall-clock budget exhausted: the call ran longer than %u ms%s",
                (unsigned)sb->limits.wall_ms, at);
        return;
    case SANDBOX_STRING_CAP:
        cr_errf(err, CR_FAIL,
                "string operation cap exceeded: one operation may produce at most %zu bytes%s",
                sb->limits.string_bytes, at);
        return;
    default:
        break;
    }
    if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len;
        const char *msg = lua_tolstring(L, -1, &len);
        err->msg[0] = '\0';
        copy_printable(err->msg, sizeof err->msg, msg, len);
    } else {
        cr_errf(err, CR_FAIL, "error object is a %s", lua_typename(L, lua_type(L, -1)));
    }
}

/* Ends a call started with call_begin; status is what lua_load/lua_pcall
 * returned and base the stack top to return to on failure. A call that
 * returned normally after a limit was exhausted (say, in a coroutine whose
 * resume caught the error) fails all the same. On failure the stack is
 * back at base. */
static cr_status call_end(sandbox *sb, int status, int base, cr_err *err)
{
    sandbox_reason reason;
    sb->depth--;
    if (status == LUA_OK && sb->exhausted != SANDBOX_OK) {
        lua_settop(sb->L, base);
        lua_pushnil(sb->L);
        status = LUA_ERRRUN;
    }
    if (status == LUA_OK) {
        sb->last_reason = SANDBOX_OK;
        return CR_OK;
    }
    if (sb->exhausted != SANDBOX_OK)
        reason = sb->exhausted;
    else if (status == LUA_ERRMEM)
        reason = SANDBOX_MEMORY;
    else if (status == LUA_ERRSYNTAX)
        reason = SANDBOX_SYNTAX;
    else
        reason = SANDBOX_ERROR;
    describe_failure(sb, reason, err);
    lua_settop(sb->L, base);
    sb->last_reason = reason;
    /* give back at once what a runaway call left behind */
    if (sb->depth == 0 && reason >= SANDBOX_MEMORY)
        lua_gc(sb->L, LUA_GCCOLLECT);
    return reason == SANDBOX_SYNTAX ? CR_INVALID : CR_FAIL;
}

cr_status sandbox_call(sandbox *sb, int nargs, int nresults, cr_err *err)
{
    int base = lua_gettop(sb->L) - nargs - 1;
    int status;
    call_begin(sb);
    status = lua_pcall(sb->L, nargs, nresults, 0);
    return call_end(sb, status, base, err);
}

/*
 * Calls without a count hook.
 *
 * With any count hook set, Lua 5.4 calls luaG_traceexec before every VM
 * instruction, not only every HOOK_INTERVAL: about 7% of evaluating a case.
 * A replayable call therefore runs with no hook on the main thread, and is
 * run again from the start with the hook whenever its unhooked outcome is
 * not certain to be what the hooked call would have given:
 *
 *   - the watchdog (sandbox_watch.c) interrupted it: it ran past a tick,
 *     and may never end (the handler hooks the main thread; budget_hook
 *     then raises SANDBOX_RERUN, sticky like any limit, or makes a
 *     coroutine yield, which the code resuming it did not ask for);
 *   - it returned or raised an error after running long enough to have
 *     run the whole instruction budget: the instructions charged, plus
 *     MAX_INSTRUCTIONS_PER_NS per nanosecond of its duration, reach the
 *     budget (the watchdog may have been kept from looking).
 * Otherwise the hooked call could not have hit a budget, and every other
 * outcome depends only on the code and its arguments (the hook allocates
 * nothing but, now and then, a few stack slots for its own call). A
 * limit an uninterrupted unhooked run hit stands: the memory and string
 * caps do not depend on the hook, and the instructions it charged or
 * counted in coroutines were run (a hooked call would have stopped there
 * or earlier, for the same reason). The second run keeps the first one's
 * start, so the wall-clock budget covers both.
 *
 * Coroutines always carry the hook (hooked_coroutine). They count, and an
 * interrupted one yields rather than dies (budget_hook).
 */
static int unhooked_outcome_holds(const sandbox *sb, int armed)
{
    if (armed)
        return 0;
    if (sb->exhausted != SANDBOX_OK)
        return sb->exhausted != SANDBOX_RERUN;
    uint64_t now = now_ns();
    if (now >= sb->deadline_ns)
        return 0;
    uint64_t most = (now - sb->started_ns) * MAX_INSTRUCTIONS_PER_NS;
    return sb->instructions_used + most < sb->limits.instructions;
}

cr_status sandbox_call_replayable(sandbox *sb, int nargs, int nresults,
                                  void (*before_rerun)(void *ud), void *ud, cr_err *err)
{
    lua_State *L = sb->L;
    if (sb->depth > 0 || !sb->watched || sb->line_fn || !lua_checkstack(L, nargs + 1))
        return sandbox_call(sb, nargs, nresults, err);
    int fn = lua_gettop(L) - nargs; /* the function; a copy of it and its arguments is called */
    for (int i = 0; i <= nargs; i++)
        lua_pushvalue(L, fn + i);

    sb->depth++;
    budget_begin(sb, now_ns());
    sb->unhooked = 1;
    lua_sethook(L, NULL, 0, 0);
    sandbox_watch_enter(&sb->watch);
    int status = lua_pcall(L, nargs, nresults, 0);
    sandbox_watch_leave(&sb->watch);
    lua_sethook(L, budget_hook, hook_mask(sb), HOOK_INTERVAL);
    sb->unhooked = 0;
    int armed = sb->watch.armed;
    sb->watch.armed = 0;

    if (unhooked_outcome_holds(sb, armed)) {
        cr_status st = call_end(sb, status, fn + nargs, err);
        if (st == CR_OK) { /* the results go below the kept function and arguments */
            lua_rotate(L, fn, -(nargs + 1));
            lua_pop(L, nargs + 1);
        } else {
            lua_settop(L, fn - 1);
        }
        return st;
    }

    /* the second run: the same call (depth 1), a fresh budget from the
     * first run's start, the hook set again above */
    lua_settop(L, fn + nargs);
    if (sb->exhausted == SANDBOX_MEMORY) /* as call_end does after a limit */
        lua_gc(L, LUA_GCCOLLECT);
    sb->reruns++;
    if (before_rerun)
        before_rerun(ud);
    budget_begin(sb, sb->started_ns);
    status = lua_pcall(L, nargs, nresults, 0);
    return call_end(sb, status, fn - 1, err);
}

uint64_t sandbox_reruns(const sandbox *sb)
{
    return sb->reruns;
}

/* coroutine.create and coroutine.wrap: the stock function (upvalue 1; a
 * wrap if upvalue 2 is true), then the new coroutine gets the budget hook.
 * lua_newthread copies the hook of the thread creating it, and in an
 * unhooked call that thread has none. */
static int hooked_coroutine(lua_State *L)
{
    int wrap = lua_toboolean(L, lua_upvalueindex(2));
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    if (wrap)
        lua_getupvalue(L, -1, 1); /* the stock wrap's closure holds its coroutine */
    else
        lua_pushvalue(L, -1);
    lua_State *co = lua_tothread(L, -1);
    if (co)
        lua_sethook(co, budget_hook, hook_mask(sandbox_of(L)), HOOK_INTERVAL);
    lua_pop(L, 1);
    return 1;
}

void sandbox_hook_coroutines(lua_State *L, int lib)
{
    static const char *const names[] = {"create", "wrap"};
    lib = lua_absindex(L, lib);
    for (int i = 0; i < 2; i++) {
        lua_getfield(L, lib, names[i]);
        lua_pushboolean(L, i == 1);
        lua_pushcclosure(L, hooked_coroutine, 2);
        lua_setfield(L, lib, names[i]);
    }
}

/* A chunk name as people read it: "@file" and "=name" without the mark. */
static const char *display_name(const char *chunkname)
{
    return (chunkname[0] == '@' || chunkname[0] == '=') ? chunkname + 1 : chunkname;
}

cr_status sandbox_dostring(sandbox *sb, const char *source, size_t len, const char *chunkname,
                           cr_err *err)
{
    int base, status;
    if (!chunkname)
        chunkname = "=(sandbox)";
    if (len > sb->limits.string_bytes) {
        sb->last_reason = SANDBOX_SYNTAX;
        return cr_errf(err, CR_INVALID, "%s: %zu bytes of source exceed the %zu-byte limit",
                       display_name(chunkname), len, sb->limits.string_bytes);
    }
    if (!lua_checkstack(sb->L, 2)) {
        sb->last_reason = SANDBOX_MEMORY;
        return cr_errf(err, CR_FAIL, "%s: Lua stack exhausted", display_name(chunkname));
    }
    base = lua_gettop(sb->L);
    call_begin(sb);
    /* mode "t": binary chunks are refused; loading is protected and
     * reports failure through its status */
    status = luaL_loadbufferx(sb->L, source, len, chunkname, "t");
    if (status == LUA_OK)
        status = lua_pcall(sb->L, 0, 1, 0);
    return call_end(sb, status, base, err);
}

int sandbox_read_file(const char *path, size_t max, char **out, size_t *outlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;

    *out = NULL;
    *outlen = 0;
    if (!f)
        return errno ? errno : EIO;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16384;
            char *nbuf;
            if (cap > max) {
                rc = EFBIG;
                break;
            }
            nbuf = realloc(buf, ncap);
            if (!nbuf) {
                rc = ENOMEM;
                break;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    if (rc == 0 && len > max)
        rc = EFBIG;
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

cr_status sandbox_dofile(sandbox *sb, const char *path, const char *chunkname, cr_err *err)
{
    char name[4096];
    char *source;
    size_t len, skip = 0;
    cr_status status;
    int rc = sandbox_read_file(path, sb->limits.string_bytes, &source, &len);

    if (rc != 0) {
        sb->last_reason = SANDBOX_SYNTAX;
        if (rc == EFBIG)
            return cr_errf(err, CR_INVALID, "%s: larger than the %zu-byte limit", path,
                           sb->limits.string_bytes);
        return cr_errf(err, CR_FAIL, "%s: %s", path, strerror(rc));
    }
    if (!chunkname) {
        snprintf(name, sizeof name, "@%s", path);
        chunkname = name;
    }
    if (len >= 3 && memcmp(source, "\xEF\xBB\xBF", 3) == 0)
        skip = 3; /* editors on Windows write a byte-order mark */
    status = sandbox_dostring(sb, source + skip, len - skip, chunkname, err);
    free(source);
    return status;
}

void sandbox_set_line_hook(sandbox *sb, sandbox_line_fn fn, void *ud)
{
    sb->line_fn = fn;
    sb->line_ud = fn ? ud : NULL;
    lua_sethook(sb->L, budget_hook, hook_mask(sb), HOOK_INTERVAL);
}

sandbox_reason sandbox_last_reason(const sandbox *sb)
{
    return sb->last_reason;
}

lua_State *sandbox_state(sandbox *sb)
{
    return sb->L;
}

size_t sandbox_memory_used(const sandbox *sb)
{
    return sb->memory_used;
}

/* ---- lifecycle ---------------------------------------------------------- */

/* Runs in protected mode: interns the limit messages, then builds the
 * environment. Stack: [1] open_api or nil, [2] api_ud. */
static int sandbox_setup(lua_State *L)
{
    sandbox *sb = sandbox_of(L);
    for (int i = 0; i < REASON_COUNT; i++) {
        if (!reason_messages[i])
            continue;
        lua_pushstring(L, reason_messages[i]);
        sb->reason_ref[i] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    return sandbox_env_open(L);
}

static int sandbox_panic(lua_State *L)
{
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(not a string)";
    fprintf(stderr, "courtrules: unprotected error in a sandbox: %s\n", msg);
    return 0; /* Lua aborts */
}

static int copy_module_dirs(sandbox *sb, const char *const *dirs)
{
    size_t n = 0;
    while (dirs && dirs[n])
        n++;
    sb->module_dirs = calloc(n + 1, sizeof *sb->module_dirs);
    if (!sb->module_dirs)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sb->module_dirs[i] = strdup(dirs[i]);
        if (!sb->module_dirs[i])
            return -1;
    }
    return 0;
}

sandbox *sandbox_new(const sandbox_limits *limits, const char *const *module_dirs,
                     lua_CFunction open_api, void *api_ud, cr_err *err)
{
    sandbox_limits lim = limits ? *limits : sandbox_limits_default();
    sandbox *sb;
    lua_State *L;
    int status;

    if (!lim.memory_bytes || !lim.instructions || !lim.wall_ms || !lim.string_bytes) {
        cr_errf(err, CR_INVALID, "sandbox limits must all be greater than zero");
        return NULL;
    }
    sb = calloc(1, sizeof *sb);
    if (!sb) {
        cr_errf(err, CR_FAIL, "out of memory creating a sandbox");
        return NULL;
    }
    sb->limits = lim;
    for (int i = 0; i < REASON_COUNT; i++)
        sb->reason_ref[i] = LUA_NOREF;
    if (copy_module_dirs(sb, module_dirs) != 0) {
        cr_errf(err, CR_FAIL, "out of memory creating a sandbox");
        goto fail;
    }
    L = sb->L = lua_newstate(sandbox_alloc, sb);
    if (!L) {
        cr_errf(err, CR_FAIL, "cannot create a Lua state within a memory cap of %zu bytes",
                lim.memory_bytes);
        goto fail;
    }
    lua_atpanic(L, sandbox_panic);
    /* before any code runs, so every coroutine inherits it */
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_INTERVAL);
    sb->watch.L = L;
    sb->watch.hook = budget_hook;
    sb->watched = sandbox_watch_add(&sb->watch) == 0;

    call_begin(sb);
    lua_settop(L, 0);
    lua_pushcfunction(L, sandbox_setup);
    if (open_api)
        lua_pushcfunction(L, open_api);
    else
        lua_pushnil(L);
    lua_pushlightuserdata(L, api_ud);
    status = lua_pcall(L, 2, 0, 0);
    if (call_end(sb, status, 0, err) != CR_OK) {
        cr_err_prefix(err, "cannot set up the sandbox");
        goto fail;
    }
    return sb;

fail:
    sandbox_free(sb);
    return NULL;
}

void sandbox_free(sandbox *sb)
{
    if (!sb)
        return;
    if (sb->watched)
        sandbox_watch_remove(&sb->watch);
    if (sb->L) {
        sb->depth = 0; /* any Lua code run while closing is stopped at once */
        lua_close(sb->L);
    }
    sandbox_pool_drain(&sb->pool); /* after lua_close, which frees into it */
    if (sb->module_dirs) {
        for (char **dir = sb->module_dirs; *dir; dir++)
            free(*dir);
        free(sb->module_dirs);
    }
    free(sb);
}
