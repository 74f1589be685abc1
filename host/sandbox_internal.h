/*
 * sandbox_internal.h -- what the sandbox's files share; not for other modules.
 *
 * sandbox.c        state, allocator, budget hook, calls, error reporting
 * sandbox_watch.c  the watchdog that interrupts unhooked calls
 * sandbox_env.c    allow-lists, read-only views, setmetatable, require
 * sandbox_strlib.c budgeted string.rep/find/match/gmatch/gsub (from lstrlib.c)
 * sandbox_tablib.c budgeted table library (from ltablib.c)
 */
#ifndef COURTRULES_SANDBOX_INTERNAL_H
#define COURTRULES_SANDBOX_INTERNAL_H

#include <stddef.h>

#include <lua.h>

#include "sandbox.h"

/* Registry key of the table `require` caches modules in. */
#define SANDBOX_MODULES_KEY "courtrules.sandbox.modules"

/*
 * Charges `units` of work done in a C loop (one unit is about one VM
 * instruction's worth) to the running call's instruction budget and checks
 * the deadline now and then. Raises, and marks the budget exhausted, when
 * either has run out or a limit was already exhausted in this call.
 */
void sandbox_charge(lua_State *L, size_t units);

/* True once a limit is exhausted in the running call (or outside a call). */
int sandbox_exhausted(lua_State *L);

/* The largest string one operation may produce. */
size_t sandbox_string_cap(lua_State *L);

/* Marks `reason` exhausted for the rest of the call and raises it. */
int sandbox_exhaust(lua_State *L, sandbox_reason reason);

/*
 * Reads the whole file at path into a malloc'd buffer (*out, *outlen).
 * Returns 0, EFBIG if it holds more than max bytes, or another errno value.
 * Calls no Lua function, so nothing can longjmp past the open file.
 */
int sandbox_read_file(const char *path, size_t max, char **out, size_t *outlen);

/* The NULL-terminated list of directories `require` searches (never NULL). */
const char *const *sandbox_module_dirs(lua_State *L);

/*
 * lua_CFunction run once by sandbox_new in protected mode: builds the
 * allow-listed globals, calls the host's open_api (stack: [1] open_api or
 * nil, [2] api_ud), freezes everything and installs the read-only globals.
 */
int sandbox_env_open(lua_State *L);

/* Replaces create and wrap in the coroutine library at lib by versions that
 * give every new coroutine the budget hook. */
void sandbox_hook_coroutines(lua_State *L, int lib);

/* Sets the budgeted rep, find, match, gmatch and gsub in the table at idx. */
void sandbox_strlib_register(lua_State *L, int idx);

/* Pushes a fresh table holding the budgeted table library. */
void sandbox_tablib_push(lua_State *L);

#endif
