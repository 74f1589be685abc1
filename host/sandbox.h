/*
 * sandbox.h -- one lua_State per rule set: allow-listed libraries, read-only
 * globals, text chunks only, and budgets a script cannot escape.
 *
 * A sandbox owns one lua_State. Its allocator enforces a memory cap on every
 * allocation; a count hook installed at creation (and given to every
 * coroutine) enforces an instruction budget and a wall-clock deadline per
 * host call (sandbox_call_replayable runs without it while that cannot
 * change the outcome); the string, pattern and table functions that loop
 * in C charge the same budget and cap the size of the strings they
 * produce. Once a budget
 * is exhausted it stays exhausted until the host call returns, so pcall
 * cannot swallow it. docs/sandbox.md explains every guard and the limits.
 *
 * Lua code may run only inside sandbox_dofile/sandbox_dostring/sandbox_call
 * (or inside the open_api callback): outside them the hook stops it with an
 * error no one catches, so read what a script returned with raw access only
 * (lua_rawget, lua_rawgeti, luajson_to_json), never lua_getfield or
 * lua_gettable, which may run the script's metamethods.
 * Everything here is single-threaded per sandbox; distinct sandboxes are
 * independent and may be used from different threads.
 */
#ifndef COURTRULES_SANDBOX_H
#define COURTRULES_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "err.h"

typedef struct sandbox_limits {
    size_t memory_bytes;   /* cap on all memory of the state (default 64 MiB) */
    uint64_t instructions; /* VM instructions + C-library steps per call (default 100M) */
    uint32_t wall_ms;      /* wall-clock budget per call (default 2000 ms) */
    size_t string_bytes;   /* largest string a single operation may produce (default 16 MiB) */
} sandbox_limits;

/* Why the last sandbox_dofile/dostring/call failed. */
typedef enum sandbox_reason {
    SANDBOX_OK = 0,       /* it did not */
    SANDBOX_ERROR,        /* the script raised an error */
    SANDBOX_SYNTAX,       /* the chunk did not compile, was binary, or was unreadable */
    SANDBOX_MEMORY,       /* the memory cap was reached */
    SANDBOX_INSTRUCTIONS, /* the instruction budget ran out */
    SANDBOX_DEADLINE,     /* the wall-clock budget ran out */
    SANDBOX_STRING_CAP    /* an operation tried to produce a string above the cap */
} sandbox_reason;

typedef struct sandbox sandbox;

/* Returns the defaults listed in sandbox_limits. */
sandbox_limits sandbox_limits_default(void);

/*
 * Creates a sandbox. limits may be NULL (defaults); every field must be > 0.
 * module_dirs is a NULL-terminated list of directories `require` searches
 * (NULL: no modules); the strings are copied. open_api, if not NULL, is
 * called in protected mode and under the budget with the still-writable
 * globals table at index 1 and api_ud as a light userdata at index 2; it adds
 * the host's own API. Afterwards every table-valued global (the host's
 * included) is replaced by a read-only view and the globals are frozen.
 * Returns NULL and fills err on failure.
 */
sandbox *sandbox_new(const sandbox_limits *limits, const char *const *module_dirs,
                     lua_CFunction open_api, void *api_ud, cr_err *err);

/* Closes the state and frees everything. sb may be NULL. */
void sandbox_free(sandbox *sb);

/* The sandbox's state, for pushing functions and arguments. */
lua_State *sandbox_state(sandbox *sb);

/* Bytes currently allocated by the state. */
size_t sandbox_memory_used(const sandbox *sb);

/*
 * Compiles `len` bytes of source as a text chunk (binary chunks are refused)
 * named chunkname (e.g. "@rules/粤/x.lua"), runs it under the budget, and on
 * success leaves exactly one value, its first result, on the stack.
 * Returns CR_INVALID if it does not compile, CR_FAIL if running it fails;
 * then nothing is left on the stack and err says why (sandbox_last_reason
 * tells which limit, if any, stopped it).
 */
cr_status sandbox_dostring(sandbox *sb, const char *source, size_t len, const char *chunkname,
                           cr_err *err);

/*
 * Reads the file at path (at most limits.string_bytes; a UTF-8 byte-order
 * mark is skipped) and runs it as sandbox_dostring does. chunkname NULL
 * means "@path". CR_FAIL if the file cannot be read.
 */
cr_status sandbox_dofile(sandbox *sb, const char *path, const char *chunkname, cr_err *err);

/*
 * Calls the function below the top nargs values, as lua_pcall does, under a
 * fresh budget (a call made from inside another call shares the outer
 * budget). On success the nresults results are on the stack. On failure the
 * function and arguments are popped and err holds a message safe to show:
 * a string error object as is, any other "error object is a <type>" (no
 * metamethod is ever called), or the limit that stopped the call.
 */
cr_status sandbox_call(sandbox *sb, int nargs, int nresults, cr_err *err);

/*
 * sandbox_call for a call whose only effects are its results and what
 * before_rerun undoes (a rule's hook: its alerts and log lines). It runs
 * first without the count hook, which costs Lua a check before every
 * instruction; when that run's outcome could differ from a hooked call's
 * (it ran long enough to reach the instruction budget, hit a budget, or
 * was interrupted by the watchdog) before_rerun(ud) is called (if not
 * NULL) and the call is made again, hooked, from the start. Results,
 * errors and every limit are then exactly sandbox_call's; the wall-clock
 * budget covers both runs. Nested calls, and calls while a line hook is
 * set, are plain sandbox_calls.
 */
cr_status sandbox_call_replayable(sandbox *sb, int nargs, int nresults,
                                  void (*before_rerun)(void *ud), void *ud, cr_err *err);

/* How many replayable calls were made again hooked, since sandbox_new. */
uint64_t sandbox_reruns(const sandbox *sb);

/* Microseconds since the latest outermost call began (its start is read
 * anyway, for the deadline): a caller timing a call and its aftermath reads
 * the clock once more instead of twice. */
int64_t sandbox_call_elapsed_us(const sandbox *sb);

/*
 * Line events, for coverage (`courtrules test --coverage`). While fn is set,
 * the budget hook also asks for line events, and fn(ud, source, line) is
 * called for each line a script starts inside a sandbox call: source is the
 * chunk name ("@rules/x/y.lua"), valid during the call. fn must not touch
 * the state. Line events are not charged to the budget. Threads created
 * before the call (coroutines made at load time) keep count events only.
 * fn NULL turns line events off.
 */
typedef void (*sandbox_line_fn)(void *ud, const char *source, int line);
void sandbox_set_line_hook(sandbox *sb, sandbox_line_fn fn, void *ud);

/* Why the last dofile/dostring/call failed (SANDBOX_OK if it did not). */
sandbox_reason sandbox_last_reason(const sandbox *sb);

/* A stable lower-case name for a reason: "ok", "error", "memory", ... */
const char *sandbox_reason_name(sandbox_reason reason);

/*
 * Pushes a read-only view of the table at idx: reads, #, pairs and ipairs
 * see the table; any write raises "attempt to modify a read-only table";
 * getmetatable returns the string "read-only" and setmetatable refuses.
 * The view is shallow: tables inside the table stay as they are. A view of
 * a view is the view itself; a non-table value is pushed unchanged.
 * Works on any lua_State; it allocates, so it may raise a memory error and
 * must be called from protected code (open_api or a C function called
 * from Lua).
 */
void sandbox_push_readonly(lua_State *L, int idx);

enum {
    SANDBOX_VIEW_KIT_SLOTS = 7, /* the values sandbox_push_view_kit pushes */
    SANDBOX_VIEW_SLOTS = 4,     /* free slots sandbox_readonly_fresh uses */
};

/*
 * For converters that make many views at once (luajson's, for every table
 * of a case): pushes SANDBOX_VIEW_KIT_SLOTS values that
 * sandbox_readonly_fresh uses instead of finding them for every view: six
 * strings, then, with pooled, the state's pool of reusable views (made the
 * first time; it allocates, so call this from protected code), else nil.
 * Leave them on the stack while views are made; only C code reads them,
 * and none is a table a script could write to.
 *
 * Pooled views are for the tables of the case being evaluated, which no
 * rule may keep (docs/lua-api.md): a view taken from the pool since the
 * last sandbox_views_restart is taken by nothing else until the next one,
 * which makes every pooled view free to show another table. Making a view
 * (two tables, five metatable fields) was a quarter of building a case;
 * pointing a pooled one at its new table is one field.
 */
void sandbox_push_view_kit(lua_State *L, int pooled);

/*
 * Makes every pooled view of the state free again: call it before
 * converting the next case, once nothing the host holds refers to the
 * tables of the one before (their results are encoded, their alerts
 * copied). A script that kept one of those tables sees the new case's data
 * through it, never anything its rule set cannot read anyway. Does not
 * allocate.
 */
void sandbox_views_restart(lua_State *L);

/*
 * Replaces the table on top of the stack by its read-only view, as
 * sandbox_push_readonly then lua_replace(L, -2) would, for a table the
 * caller has just created and filled itself: it must not be a view (that
 * is not checked). kit is the stack index of sandbox_push_view_kit's first
 * value (0: none); with a pool there, the view is a pooled one that is
 * free, or a new one that joins the pool while it has room. Needs
 * SANDBOX_VIEW_SLOTS free stack slots (not checked); may raise a memory
 * error, so call it from protected code.
 */
void sandbox_readonly_fresh(lua_State *L, int kit);

/* If the value at idx is a read-only view, pushes the table it shows and
 * returns 1; otherwise pushes nothing and returns 0. Raw access only: no
 * metamethod runs. Converters use it so a rule returning case.parties stores
 * the parties, not the view's empty raw contents. */
int sandbox_readonly_target(lua_State *L, int idx);

#endif
