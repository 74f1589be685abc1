/*
 * luaapi.c -- ctx: the functions a rule script may call.
 */
#include "luaapi.h"

#include <lauxlib.h>
#include <string.h>

#include "dates.h"
#include "jsontext.h"
#include "luaapi_calendar.h"
#include "luajson.h"
#include "sandbox.h"

/* Replaces every nested table by a read-only view, then the table itself. */
static void freeze(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 4, "freeze");
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_istable(L, -1)) {
            freeze(L, -1);        /* the value on the stack becomes its view */
            lua_pushvalue(L, -2); /* key */
            lua_insert(L, -2);
            lua_rawset(L, idx); /* assigning an existing key during lua_next is allowed */
        } else {
            lua_pop(L, 1);
        }
    }
    sandbox_push_readonly(L, idx);
    lua_replace(L, idx);
}

int luaapi_push_frozen_json(lua_State *L, const json_t *value, cr_err *err)
{
    if (luajson_push(L, value, NULL, err) != CR_OK)
        return 0;
    if (lua_istable(L, -1))
        freeze(L, -1);
    return 1;
}

static const char *const severities[] = {"info", "warning", "critical", NULL};

void luaapi_call_reset(luaapi_call *call)
{
    if (!call->alerts)
        call->alerts = json_array();
    else
        json_array_clear(call->alerts);
    if (!call->log)
        call->log = json_array();
    else
        json_array_clear(call->log);
}

void luaapi_call_free(luaapi_call *call)
{
    json_decref(call->alerts);
    json_decref(call->log);
    call->alerts = call->log = NULL;
}

static luaapi_call *current_call(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* Reads t[key] as a string without metamethods; required raises. */
static const char *field_string(lua_State *L, int t, const char *key, int required, size_t max)
{
    lua_pushstring(L, key);
    lua_rawget(L, t);
    int type = lua_type(L, -1);
    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        if (required)
            luaL_error(L, "ctx.alert: %s is required", key);
        return NULL;
    }
    if (type != LUA_TSTRING)
        luaL_error(L, "ctx.alert: %s must be a string, got %s", key, lua_typename(L, type));
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (len == 0 || len > max)
        luaL_error(L, "ctx.alert: %s must be 1..%d bytes", key, (int)max);
    lua_pop(L, 1); /* still referenced by the table */
    return s;
}

/* {"code", "severity", "message", "basis"} as json_pack("{s:s, s:s, s:s,
 * s:s}") makes it, the strings checked once each; NULL if one is not UTF-8
 * (or out of memory). */
static json_t *alert_object(const char *code, const char *severity, const char *message,
                            const char *basis)
{
    const char *const keys[] = {"code", "severity", "message", "basis"};
    const char *const values[] = {code, severity, message, basis};
    json_t *a = json_object();
    for (size_t i = 0; a && i < sizeof keys / sizeof *keys; i++) {
        json_t *v = jsontext_string(values[i], strlen(values[i]));
        if (!v || json_object_set_new_nocheck(a, keys[i], v) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

/* ctx.alert{code=, severity=, message=, basis=, dedup_key=, data=} */
static int api_alert(lua_State *L)
{
    luaapi_call *call = current_call(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *code = field_string(L, 1, "code", 1, 64);
    const char *severity = field_string(L, 1, "severity", 0, 16);
    const char *message = field_string(L, 1, "message", 1, 2000);
    const char *basis = field_string(L, 1, "basis", 1, 500);
    const char *dedup = field_string(L, 1, "dedup_key", 0, 200);
    if (!severity)
        severity = "warning";
    int ok = 0;
    for (const char *const *s = severities; *s; s++)
        ok |= strcmp(*s, severity) == 0;
    if (!ok)
        return luaL_error(L, "ctx.alert: severity must be info, warning or critical, not '%s'",
                          severity);
    if (json_array_size(call->alerts) >= LUAAPI_MAX_ALERTS)
        return luaL_error(L, "ctx.alert: more than %d alerts from one call", LUAAPI_MAX_ALERTS);
    json_t *data = NULL;
    lua_pushstring(L, "data");
    lua_rawget(L, 1);
    if (!lua_isnil(L, -1)) {
        cr_err err;
        if (!(data = luajson_to_json(L, -1, NULL, &err)))
            return luaL_error(L, "ctx.alert: data: %s", err.msg);
    }
    lua_pop(L, 1);
    json_t *a = alert_object(code, severity, message, basis);
    if (!a) {
        json_decref(data);
        return luaL_error(L, "ctx.alert: text is not valid UTF-8");
    }
    if (dedup)
        json_object_set_new(a, "dedup_key", json_string(dedup));
    if (data)
        json_object_set_new(a, "data", data);
    json_array_append_new(call->alerts, a);
    return 0;
}

/* ctx.log(fmt, ...): string.format semantics, kept with the result.
 * string.format is upvalue 2, found once per ctx (luaapi_push_ctx). */
static int api_log(lua_State *L)
{
    luaapi_call *call = current_call(L);
    int n = lua_gettop(L);
    size_t len, flen = 0;
    const char *s;
    /* ("%s", text) is the text itself, as string.format gives it back: the
     * national triage rule logs so on every case. */
    const char *f = n == 2 && lua_type(L, 1) == LUA_TSTRING && lua_type(L, 2) == LUA_TSTRING
                        ? lua_tolstring(L, 1, &flen)
                        : NULL;
    if (f && flen == 2 && f[0] == '%' && f[1] == 's') {
        s = lua_tolstring(L, 2, &len);
    } else {
        lua_pushvalue(L, lua_upvalueindex(2));
        lua_insert(L, 1);
        lua_call(L, n, 1);
        s = luaL_checklstring(L, -1, &len);
    }
    if (json_array_size(call->log) < LUAAPI_MAX_LOG) {
        size_t keep = len > 1000 ? 1000 : len; /* a cut character makes it invalid: dropped */
        json_t *line = jsontext_string(s, keep);
        if (line)
            json_array_append_new(call->log, line);
    }
    return 0;
}

static cr_date check_date(lua_State *L, int arg)
{
    const char *s = luaL_checkstring(L, arg);
    cr_date d;
    char why[128];
    if (date_parse(s, &d, why, sizeof why) != 0)
        luaL_argerror(L, arg, why);
    return d;
}

static int api_days_between(lua_State *L)
{
    cr_date a = check_date(L, 1), b = check_date(L, 2);
    lua_pushinteger(L, date_to_days(b) - date_to_days(a));
    return 1;
}

static int api_add_days(lua_State *L)
{
    cr_date d = check_date(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n > -200000 && n < 200000, 2, "too many days");
    cr_date r = date_add_days(d, (int)n);
    luaL_argcheck(L, r.y >= 1900 && r.y <= 2199, 2, "result outside 1900..2199");
    return luaapi_push_date(L, r);
}

static int api_add_months(lua_State *L)
{
    cr_date d = check_date(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n > -2400 && n < 2400, 2, "too many months");
    cr_date r = date_add_months(d, (int)n);
    luaL_argcheck(L, r.y >= 1900 && r.y <= 2199, 2, "result outside 1900..2199");
    return luaapi_push_date(L, r);
}

static int api_weekday(lua_State *L)
{
    lua_pushinteger(L, date_weekday(check_date(L, 1)));
    return 1;
}

static int api_valid(lua_State *L)
{
    cr_date d;
    lua_pushboolean(L, date_parse(luaL_checkstring(L, 1), &d, NULL, 0) == 0);
    return 1;
}

/* Yuan digits ctx.fen accepts: 15, so that yuan * 100 + cents fits easily. */
#define FEN_MAX_YUAN_DIGITS 15

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int luaapi_fen(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING) {
        if (lua_isinteger(L, 1) && lua_tointeger(L, 1) >= 0) /* wraps like Lua's v * 100 */
            lua_pushinteger(L, (lua_Integer)((lua_Unsigned)lua_tointeger(L, 1) * 100u));
        else
            lua_pushnil(L);
        return 1;
    }
    size_t len, i = 0;
    const char *s = lua_tolstring(L, 1, &len);
    while (i < len && is_digit(s[i]))
        i++;
    if (i == 0 || i > FEN_MAX_YUAN_DIGITS) {
        lua_pushnil(L);
        return 1;
    }
    lua_Integer fen = 0;
    for (size_t k = 0; k < i; k++)
        fen = fen * 10 + (s[k] - '0');
    int cents = 0;
    if (i < len && s[i] == '.') {
        i++;
        while (cents < 2 && i < len && is_digit(s[i])) {
            fen = fen * 10 + (s[i++] - '0');
            cents++;
        }
        if (cents == 0) { /* "123." */
            lua_pushnil(L);
            return 1;
        }
    }
    if (i != len) { /* anything after the amount: a sign, a third decimal, junk */
        lua_pushnil(L);
        return 1;
    }
    for (; cents < 2; cents++)
        fen *= 10;
    lua_pushinteger(L, fen);
    return 1;
}

/* The API, in one place. Functions taking the call state get it as upvalue
 * 1; string.format is upvalue 2 (ctx.log's). */
static const luaL_Reg ctx_functions[] = {
    {"alert", api_alert},
    {"log", api_log},
    {"fen", luaapi_fen},
    {NULL, NULL},
};

const luaL_Reg luaapi_date_functions[] = {
    {"days_between", api_days_between},
    {"add_days", api_add_days},
    {"add_months", api_add_months},
    {"weekday", api_weekday},
    {"valid", api_valid},
    {NULL, NULL},
};

/* ctx's view: read-only like sandbox_push_readonly's, and it notes reads of
 * ctx.as_of, so `eval --changed` knows which cases depend on the date. The
 * view's __index is the ctx table itself, which holds everything but as_of:
 * reading ctx.params, ctx.alert... is a table lookup, not a C call (rules
 * read ctx several times per case). A miss there reaches the ctx table's
 * own __index, this function (upvalues: the as-of string, the call). */
static int ctx_as_of(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "as_of") == 0) {
        luaapi_call *call = lua_touserdata(L, lua_upvalueindex(2));
        call->used_as_of = 1;
        lua_pushvalue(L, lua_upvalueindex(1));
        return 1;
    }
    lua_pushnil(L);
    return 1;
}

static int ctx_newindex(lua_State *L)
{
    return luaL_error(L, "attempt to modify a read-only table");
}

/* Replaces the ctx table on the top of the stack by its view. The ctx table
 * is reachable only through the view's locked metatable. */
static void push_ctx_view(lua_State *L, const char *as_of, luaapi_call *call)
{
    int real = lua_gettop(L);
    lua_createtable(L, 0, 1);
    lua_pushstring(L, as_of);
    lua_pushlightuserdata(L, call);
    lua_pushcclosure(L, ctx_as_of, 2);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, real);
    lua_newtable(L); /* the view stays empty: every read reaches the ctx table */
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, real);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ctx_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "read-only");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_replace(L, real);
}

void luaapi_push_ctx(lua_State *L, const char *as_of, int params_ref, luaapi_call *call,
                     const calendar *cal, luaapi_query_scope *query)
{
    lua_createtable(L, 0, 6);
    lua_pushlightuserdata(L, call);
    lua_getglobal(L, "string");
    lua_getfield(L, -1, "format");
    lua_remove(L, -2);
    luaL_setfuncs(L, ctx_functions, 2);
    lua_newtable(L);
    luaL_setfuncs(L, luaapi_date_functions, 0);
    lua_pushlightuserdata(L, (void *)cal);
    luaL_setfuncs(L, luaapi_calendar_functions, 1);
    sandbox_push_readonly(L, -1);
    lua_setfield(L, -3, "date");
    lua_pop(L, 1);
    luaapi_push_query(L, query);
    lua_setfield(L, -2, "query");
    lua_rawgeti(L, LUA_REGISTRYINDEX, params_ref);
    lua_setfield(L, -2, "params");
    push_ctx_view(L, as_of, call);
}
