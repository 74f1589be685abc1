/*
 * sandbox_env.c -- what a rule script can see: allow-listed globals and
 * libraries behind read-only views, a setmetatable without finalizers, and
 * a require that loads only Lua text from the rule set's module directories.
 *
 * The stock libraries are opened into the registry only; scripts see fresh
 * tables holding the allowed functions, so nothing left out is reachable.
 */
#include "sandbox_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

/* ---- allow-lists: a name not listed here is absent, not hidden ---------- */

/*
 * Base functions. Left out:
 *   load, loadstring, dofile, loadfile -- compile code at run time, binary
 *     chunks included (malformed bytecode corrupts memory) and files;
 *   rawset -- writes straight through a read-only view;
 *   collectgarbage -- stops the collector (memory), reveals timings, makes
 *     runs depend on the collector;
 *   print, warn -- write to the host's stdout and stderr;
 *   setmetatable, xpcall, require -- replaced by the guarded versions below;
 *   _G, _VERSION -- not needed; _ENV already names the read-only globals.
 */
static const char *const base_allowed[] = {
    "assert", "error",  "getmetatable", "ipairs",   "next",     "pairs", "pcall", "rawequal",
    "rawget", "rawlen", "select",       "tonumber", "tostring", "type",  NULL,
};

/*
 * string. Left out: dump (turns a function into bytecode, the first step of
 * a binary-chunk attack). rep, find, match, gmatch and gsub are replaced by
 * budgeted copies (sandbox_strlib.c): they loop in C, where hooks never fire.
 */
static const char *const string_allowed[] = {
    "byte",     "char",    "format", "len",    "lower", "pack",
    "packsize", "reverse", "sub",    "unpack", "upper", NULL,
};

/*
 * math. Left out: random and randomseed -- evaluation must be deterministic,
 * so that every result replays from its inputs.
 */
static const char *const math_allowed[] = {
    "abs",  "acos", "asin", "atan", "ceil",       "cos",  "deg",        "exp",  "floor",
    "fmod", "huge", "log",  "max",  "maxinteger", "min",  "mininteger", "modf", "pi",
    "rad",  "sin",  "sqrt", "tan",  "tointeger",  "type", "ult",        NULL,
};

static const char *const utf8_allowed[] = {
    "char", "charpattern", "codepoint", "codes", "len", "offset", NULL,
};

/*
 * coroutine: all of it. create and wrap give every new coroutine the budget
 * hook (sandbox_hook_coroutines), so code in a coroutine runs under the same
 * budget.
 */
static const char *const coroutine_allowed[] = {
    "close", "create", "isyieldable", "resume", "running", "status", "wrap", "yield", NULL,
};

/*
 * Stock functions that walk whole strings in C, where no hook fires:
 * utf8.len takes 25 ms on a 16 MiB string without allocating, so a loop of
 * such calls would check the deadline only every few seconds. Each is
 * wrapped to charge one unit per METERED_BYTES of its string arguments
 * first (see metered_call).
 */
static const char *const base_metered[] = {"tonumber", NULL};
static const char *const string_metered[] = {
    "byte", "format", "lower", "pack", "reverse", "sub", "unpack", "upper", NULL,
};
static const char *const utf8_metered[] = {"codepoint", "len", "offset", NULL};

/*
 * Metatable keys setmetatable refuses:
 *   __gc -- a finalizer runs at an arbitrary later time, outside the budget
 *     of the call that set it (even inside lua_close);
 *   __mode -- weak tables make results depend on when the collector runs;
 *   __close -- to-be-closed objects run code while an error unwinds.
 * Lua marks an object for finalization only when setmetatable runs, so a
 * __gc added to the metatable afterwards never runs.
 */
static const char *const metatable_refused[] = {"__gc", "__mode", "__close", NULL};

/*
 * Never opened: io and os (files, processes, environment, clock), debug
 * (registry, upvalues, metatables of every type, hooks) and package (C
 * loaders, search paths).
 */

#define READONLY_TAG "read-only"
#define METERED_BYTES 16
#define MODULE_NAME_MAX 128

/* ---- read-only views ---------------------------------------------------- */

static int readonly_newindex(lua_State *L)
{
    return luaL_error(L, "attempt to modify a read-only table");
}

/* True if the value at idx is a view made by sandbox_push_readonly. Looks at
 * the real metatable, which no script can forge a readonly_newindex into. */
static int is_readonly(lua_State *L, int idx)
{
    int yes = 0;
    if (lua_type(L, idx) == LUA_TTABLE && lua_getmetatable(L, idx)) {
        lua_pushliteral(L, "__newindex");
        lua_rawget(L, -2);
        yes = lua_tocfunction(L, -1) == readonly_newindex;
        lua_pop(L, 2);
    }
    return yes;
}

int sandbox_readonly_target(lua_State *L, int idx)
{
    if (!is_readonly(L, idx))
        return 0;
    lua_getmetatable(L, idx);
    lua_pushliteral(L, "__index");
    lua_rawget(L, -2);
    lua_remove(L, -2);
    return 1;
}

/* The metamethods below find the table a view shows in the view's own
 * metatable rather than in upvalues: a view then costs two tables and no
 * closures, and there is one per table of every case evaluated. */

/* __len(view): the length of what it shows. */
static int readonly_len(lua_State *L)
{
    if (!sandbox_readonly_target(L, 1))
        return luaL_error(L, "attempt to get the length of a read-only view's target");
    lua_len(L, -1);
    return 1;
}

/* The iterator __pairs returns, with the view (not what it shows) as its
 * state: the shown table must never reach a script, which could write to
 * it (attack: `local _, t = pairs(string); t.upper = evil`). Given any other
 * table it is `next`. */
static int readonly_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    if (sandbox_readonly_target(L, 1))
        lua_replace(L, 1);
    if (lua_next(L, 1))
        return 2;
    lua_pushnil(L);
    return 1;
}

/* The iterator readonly_pairs returns: a closure over the shown table
 * (upvalue 1) and the view (upvalue 2). Given its view it steps through the
 * table directly -- readonly_next looks the target up in the metatable at
 * every step, which made iterating params cost more than sorting them; given
 * anything else it is readonly_next. An upvalue is as unreachable as the
 * metatable: debug, the only way to read one, is never opened. */
static int view_next(lua_State *L)
{
    if (!lua_rawequal(L, 1, lua_upvalueindex(2)))
        return readonly_next(L);
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1)))
        return 2;
    lua_pushnil(L);
    return 1;
}

/* __pairs(view): iterate the real table (through its own __pairs, if any). */
static int readonly_pairs(lua_State *L)
{
    if (!sandbox_readonly_target(L, 1))
        return luaL_error(L, "attempt to iterate a read-only view's target");
    if (luaL_getmetafield(L, -1, "__pairs") != LUA_TNIL) {
        lua_insert(L, -2);
        lua_call(L, 1, 3);
        return 3;
    }
    lua_pushvalue(L, 1);
    lua_pushcclosure(L, view_next, 2);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* A view's metatable keys and its tag, in the order sandbox_push_view_kit
 * pushes them; the pool follows them. */
enum { KIT_STRINGS = 6, KIT_POOL = KIT_STRINGS };
static const char *const view_kit[KIT_STRINGS] = {
    "__index", "__newindex", "__len", "__pairs", "__metatable", READONLY_TAG,
};

/* A state's pool of reusable views (sandbox.h): a userdata whose user
 * values 1..pooled are views, the kit holder's last user value. Views
 * 1..used are taken (since the last sandbox_views_restart). At most
 * VIEW_POOL_SIZE: a case with more tables makes the rest afresh, so a
 * huge case does not leave a huge pool behind (each view is about 400
 * bytes of the rule set's memory). */
enum { VIEW_POOL_SIZE = 256 };
typedef struct view_pool {
    int used, pooled;
} view_pool;

/* The kit's strings and the pool, as the user values 1..SANDBOX_VIEW_KIT_SLOTS
 * of a userdata kept in the registry under &view_kit_key: a conversion
 * (three per case and rule set) takes them from there rather than looking
 * six C strings up by address, which was a third of its cost. */
static const char view_kit_key;

/* Pushes the registry's kit holder, made the first time. */
static void push_kit_holder(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &view_kit_key) == LUA_TUSERDATA)
        return;
    lua_pop(L, 1);
    lua_newuserdatauv(L, 0, SANDBOX_VIEW_KIT_SLOTS);
    for (int i = 0; i < KIT_STRINGS; i++) {
        lua_pushstring(L, view_kit[i]);
        lua_setiuservalue(L, -2, i + 1);
    }
    view_pool *p = lua_newuserdatauv(L, sizeof *p, VIEW_POOL_SIZE);
    *p = (view_pool){0, 0};
    lua_setiuservalue(L, -2, KIT_POOL + 1);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &view_kit_key);
}

void sandbox_push_view_kit(lua_State *L, int pooled)
{
    _Static_assert(KIT_POOL + 1 == SANDBOX_VIEW_KIT_SLOTS, "the strings and the pool");
    push_kit_holder(L);
    int holder = lua_gettop(L);
    for (int i = 0; i < KIT_STRINGS; i++)
        lua_getiuservalue(L, holder, i + 1);
    if (pooled)
        lua_getiuservalue(L, holder, KIT_POOL + 1);
    else
        lua_pushnil(L);
    lua_remove(L, holder);
}

void sandbox_views_restart(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &view_kit_key) == LUA_TUSERDATA) {
        lua_getiuservalue(L, -1, KIT_POOL + 1);
        ((view_pool *)lua_touserdata(L, -1))->used = 0;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* Pushes view_kit[i]: from the kit at stack index kit, or, with kit 0, by
 * name (Lua looks the name up in its string cache and string table). */
static void push_kit_string(lua_State *L, int kit, int i)
{
    if (kit)
        lua_pushvalue(L, kit + i);
    else
        lua_pushstring(L, view_kit[i]);
}

/* Replaces the table on top of the stack, which is not a view, by its view;
 * kit as push_kit_string. Uses SANDBOX_VIEW_SLOTS slots above the table.
 * The metatable is fresh and has no metatable itself: raw sets are the same
 * as lua_setfield's, without its lookup of the key by name. */
static void make_view(lua_State *L, int kit)
{
    lua_createtable(L, 0, 0); /* the view stays empty, so every access reaches a metamethod */
    lua_createtable(L, 0, 5);
    push_kit_string(L, kit, 0);
    lua_pushvalue(L, -4);
    lua_rawset(L, -3); /* __index: the table shown */
    push_kit_string(L, kit, 1);
    lua_pushcfunction(L, readonly_newindex);
    lua_rawset(L, -3);
    push_kit_string(L, kit, 2);
    lua_pushcfunction(L, readonly_len);
    lua_rawset(L, -3);
    push_kit_string(L, kit, 3);
    lua_pushcfunction(L, readonly_pairs);
    lua_rawset(L, -3);
    push_kit_string(L, kit, 4);
    push_kit_string(L, kit, 5); /* __metatable: locks the metatable */
    lua_rawset(L, -3);
    lua_setmetatable(L, -2);
    lua_replace(L, -2);
}

void sandbox_push_readonly(lua_State *L, int idx)
{
    luaL_checkstack(L, 1 + SANDBOX_VIEW_SLOTS, "read-only view");
    lua_pushvalue(L, idx);
    if (lua_type(L, -1) == LUA_TTABLE && !is_readonly(L, -1))
        make_view(L, 0);
}

void sandbox_readonly_fresh(lua_State *L, int kit)
{
    view_pool *p = kit ? lua_touserdata(L, kit + KIT_POOL) : NULL;
    if (p && p->used < p->pooled) {                      /* T */
        lua_getiuservalue(L, kit + KIT_POOL, ++p->used); /* T view */
        lua_getmetatable(L, -1);                         /* T view mt */
        lua_pushvalue(L, kit);                           /* "__index" */
        lua_pushvalue(L, -4);
        lua_rawset(L, -3); /* the only field that differs between two views */
        lua_pop(L, 1);
        lua_replace(L, -2);
        return;
    }
    make_view(L, kit);
    if (p && p->pooled < VIEW_POOL_SIZE) {
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, kit + KIT_POOL, ++p->pooled);
        p->used = p->pooled;
    }
}

/* ---- setmetatable ------------------------------------------------------- */

static int sandbox_setmetatable(lua_State *L)
{
    int mt_type = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, mt_type == LUA_TNIL || mt_type == LUA_TTABLE, 2, "nil or table");
    if (mt_type == LUA_TTABLE) {
        for (const char *const *key = metatable_refused; *key; key++) {
            int present;
            lua_pushstring(L, *key);
            present = lua_rawget(L, 2) != LUA_TNIL; /* Lua reads metamethods raw, too */
            lua_pop(L, 1);
            if (present)
                return luaL_error(L, "setmetatable: metatables with %s are not allowed in rules",
                                  *key);
        }
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* ---- xpcall ------------------------------------------------------------- */

/*
 * When the budget hook raises, Lua calls the message handler from inside
 * the hook, where hooks are off: a handler that loops would run without a
 * budget. So once a limit is exhausted the script's handler is skipped and
 * the error object passes through unchanged.
 */
static int guarded_handler(lua_State *L)
{
    if (sandbox_exhausted(L))
        return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* lbaselib.c's finishpcall: the continuation after a (possibly yielded) call. */
static int finish_xpcall(lua_State *L, int status, lua_KContext extra)
{
    if (status != LUA_OK && status != LUA_YIELD) {
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - (int)extra;
}

/* xpcall(f, handler, ...), as lbaselib.c's, with the handler guarded. */
static int sandbox_xpcall(lua_State *L)
{
    int n = lua_gettop(L), status;
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_handler, 1);
    lua_replace(L, 2);
    lua_pushboolean(L, 1); /* first result */
    lua_pushvalue(L, 1);   /* function */
    lua_rotate(L, 3, 2);   /* move them below the function's arguments */
    status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, finish_xpcall);
    return finish_xpcall(L, status, 2);
}

/* ---- require ------------------------------------------------------------ */

/* Marks a module whose chunk is running, to report require loops. */
static const char loading_sentinel = 0;

/* Module names are dot-separated words of letters, digits and '_': nothing
 * that could climb out of a module directory or name a C library. */
static int valid_module_name(const char *name, size_t len)
{
    if (len == 0 || len > MODULE_NAME_MAX || name[0] == '.' || name[len - 1] == '.')
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '.') {
            if (name[i + 1] == '.')
                return 0;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '_')) {
            return 0;
        }
    }
    return 1;
}

/* Pushes the file at path compiled as a text chunk and returns 1, or
 * returns 0 if there is no such file. Raises on any other failure. */
static int load_module_file(lua_State *L, const char *path)
{
    char chunkname[PATH_MAX + 2];
    char *source;
    size_t len, skip = 0;
    int rc = sandbox_read_file(path, sandbox_string_cap(L), &source, &len);
    int status;

    if (rc == ENOENT || rc == ENOTDIR)
        return 0;
    if (rc == EFBIG)
        return luaL_error(L, "require: %s is larger than the string cap", path);
    if (rc != 0)
        return luaL_error(L, "require: cannot read %s: %s", path, strerror(rc));
    snprintf(chunkname, sizeof chunkname, "@%s", path);
    if (len >= 3 && memcmp(source, "\xEF\xBB\xBF", 3) == 0)
        skip = 3;
    /* protected: reports failure by status, so source cannot leak */
    status = luaL_loadbufferx(L, source + skip, len - skip, chunkname, "t");
    free(source);
    if (status != LUA_OK) {
        lua_pushfstring(L, "require: %s: %s", path, lua_tostring(L, -1));
        return lua_error(L);
    }
    return 1;
}

/*
 * require(name): runs name.lua (dots become '/') from the first module
 * directory that has it, as a text chunk with the read-only globals, once
 * per sandbox; a table result is returned as a read-only view.
 */
static int sandbox_require(lua_State *L)
{
    char relative[MODULE_NAME_MAX + 8], path[PATH_MAX];
    size_t len;
    const char *name = luaL_checklstring(L, 1, &len);
    const char *const *dir;
    int found = 0;

    if (!valid_module_name(name, len))
        return luaL_error(L, "require: invalid module name (use letters, digits, '_' and '.')");
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, SANDBOX_MODULES_KEY); /* 2: cache */
    lua_pushvalue(L, 1);
    lua_rawget(L, 2);
    if (lua_touserdata(L, -1) == &loading_sentinel)
        return luaL_error(L, "require: module '%s' requires itself", name);
    if (!lua_isnil(L, -1))
        return 1;
    lua_pop(L, 1);

    for (size_t i = 0; i <= len; i++)
        relative[i] = name[i] == '.' ? '/' : name[i];
    strcat(relative, ".lua");
    for (dir = sandbox_module_dirs(L); *dir && !found; dir++) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s", *dir, relative) >= sizeof path)
            continue;
        found = load_module_file(L, path); /* 3: chunk */
    }
    if (!found)
        return luaL_error(L, "require: module '%s' not found (no %s in the module directories)",
                          name, relative);

    lua_pushvalue(L, 1);
    lua_pushlightuserdata(L, (void *)&loading_sentinel);
    lua_rawset(L, 2);
    lua_pushvalue(L, 1);
    lua_pushstring(L, path);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        lua_pushvalue(L, 1); /* forget the sentinel so the error is not a "loop" next time */
        lua_pushnil(L);
        lua_rawset(L, 2);
        return lua_error(L);
    }
    if (lua_istable(L, -1)) {
        sandbox_push_readonly(L, -1);
        lua_remove(L, -2);
    } else if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, -2);
    lua_rawset(L, 2);
    return 1;
}

/* ---- metered stock functions -------------------------------------------- */

/* Charges for the string arguments, then runs the stock function (upvalue
 * 1, a light C function using no upvalues of its own) on the same stack, so
 * its results and error messages are exactly the stock ones. */
static int metered_call(lua_State *L)
{
    lua_CFunction stock = lua_tocfunction(L, lua_upvalueindex(1));
    size_t bytes = 0;
    for (int i = lua_gettop(L); i > 0; i--)
        if (lua_type(L, i) == LUA_TSTRING)
            bytes += lua_rawlen(L, i);
    sandbox_charge(L, 1 + bytes / METERED_BYTES);
    return stock(L);
}

/* Replaces each named function of the table at lib by its metered wrapper. */
static void meter(lua_State *L, int lib, const char *const *names)
{
    for (; *names; names++) {
        lua_getfield(L, lib, *names);
        lua_pushcclosure(L, metered_call, 1);
        lua_setfield(L, lib, *names);
    }
}

/* ---- building the environment ------------------------------------------- */

/* Sets dst[name] = src[name] for every allowed name. */
static void copy_allowed(lua_State *L, int src, const char *const *names, int dst)
{
    for (; *names; names++) {
        lua_getfield(L, src, *names);
        lua_setfield(L, dst, *names);
    }
}

/* Pushes a fresh table of the allowed functions of the library at src. */
static void new_library(lua_State *L, int src, const char *const *names)
{
    lua_newtable(L);
    copy_allowed(L, src, names, lua_gettop(L));
}

/* Replaces every table-valued field of env by a read-only view. Changing
 * the value of an existing field during lua_next is allowed. */
static void freeze_fields(lua_State *L, int env)
{
    lua_pushnil(L);
    while (lua_next(L, env)) {
        if (lua_istable(L, -1) && !is_readonly(L, -1)) {
            lua_pushvalue(L, -2);
            sandbox_push_readonly(L, -2);
            lua_rawset(L, env);
        }
        lua_pop(L, 1);
    }
}

/*
 * The string metatable is shared by every string. Its __index becomes the
 * sandbox's (read-only) string library, so methods like s:find are the
 * budgeted ones, and getmetatable("") returns a read-only view of it, so
 * neither the metatable nor its __index can be replaced.
 */
static void protect_string_metatable(lua_State *L, int env)
{
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_getfield(L, env, "string");
    lua_setfield(L, -2, "__index");
    sandbox_push_readonly(L, -1);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
}

int sandbox_env_open(lua_State *L)
{
    int env;
    luaL_requiref(L, LUA_GNAME, luaopen_base, 0);          /* 3 */
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);   /* 4 */
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);    /* 5 */
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);    /* 6 */
    luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 0); /* 7 */
    lua_newtable(L);
    env = lua_gettop(L);

    copy_allowed(L, 3, base_allowed, env);
    meter(L, env, base_metered);
    lua_pushcfunction(L, sandbox_setmetatable);
    lua_setfield(L, env, "setmetatable");
    lua_pushcfunction(L, sandbox_xpcall);
    lua_setfield(L, env, "xpcall");
    lua_pushcfunction(L, sandbox_require);
    lua_setfield(L, env, "require");

    new_library(L, 4, string_allowed);
    meter(L, lua_gettop(L), string_metered);
    sandbox_strlib_register(L, lua_gettop(L));
    lua_setfield(L, env, "string");
    sandbox_tablib_push(L);
    lua_setfield(L, env, "table");
    new_library(L, 5, math_allowed);
    lua_setfield(L, env, "math");
    new_library(L, 6, utf8_allowed);
    meter(L, lua_gettop(L), utf8_metered);
    lua_setfield(L, env, "utf8");
    new_library(L, 7, coroutine_allowed);
    sandbox_hook_coroutines(L, -1);
    lua_setfield(L, env, "coroutine");

    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, SANDBOX_MODULES_KEY);

    if (!lua_isnil(L, 1)) { /* the host's API, while the globals are writable */
        lua_pushvalue(L, 1);
        lua_pushvalue(L, env);
        lua_pushvalue(L, 2);
        lua_call(L, 2, 0);
    }

    freeze_fields(L, env);
    protect_string_metatable(L, env);
    /* every chunk loaded from now on gets the read-only view as its _ENV */
    sandbox_push_readonly(L, env);
    lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    return 0;
}
