/*
 * luaapi.c -- ctx: the functions a rule script may call.
 */
#include "luaapi.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "jsontext.h"
#include "luaapi_calendar.h"
#include "luajson.h"
#include "luajson_text.h"
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

void luaapi_alerts_clear(luaapi_alerts *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i].block);
    a->n = 0;
}

void luaapi_alerts_free(luaapi_alerts *a)
{
    luaapi_alerts_clear(a);
    free(a->v);
    memset(a, 0, sizeof *a);
}

void luaapi_call_reset(luaapi_call *call)
{
    luaapi_alerts_clear(&call->alerts);
    if (call->log.oom) { /* out of memory is sticky in a strbuf: start afresh */
        free(call->log.s);
        memset(&call->log, 0, sizeof call->log);
    }
    call->log.len = 0;
    call->n_log = 0;
}

void luaapi_call_free(luaapi_call *call)
{
    luaapi_alerts_free(&call->alerts);
    free(call->log.s);
    memset(&call->log, 0, sizeof call->log);
    call->n_log = 0;
}

void luaapi_alert_members(strbuf *b, const luaapi_alert *a)
{
    /* The strings were checked as UTF-8 when the alert was raised. */
    STRBUF_LITERAL(b, "\"code\":");
    strbuf_json_string(b, a->code);
    STRBUF_LITERAL(b, ",\"severity\":");
    strbuf_json_string(b, a->severity);
    STRBUF_LITERAL(b, ",\"message\":");
    strbuf_json_string(b, a->message);
    STRBUF_LITERAL(b, ",\"basis\":");
    strbuf_json_string(b, a->basis);
    if (a->dedup_key) {
        STRBUF_LITERAL(b, ",\"dedup_key\":");
        strbuf_json_string(b, a->dedup_key);
    }
    if (a->data) {
        STRBUF_LITERAL(b, ",\"data\":");
        strbuf_str(b, a->data);
    }
}

json_t *luaapi_alerts_tree(const luaapi_alerts *a)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < a->n; i++) {
        strbuf b = {0};
        strbuf_add(&b, "{", 1);
        luaapi_alert_members(&b, &a->v[i]);
        strbuf_add(&b, "}", 1);
        json_error_t jerr;
        json_t *one = b.oom ? NULL : json_loadb(b.s, b.len, JSON_ALLOW_NUL, &jerr);
        free(b.s);
        if (!one || json_array_append_new(list, one) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

char *luaapi_call_log_text(const luaapi_call *call)
{
    if (!call->n_log || call->log.oom)
        return NULL;
    char *text = malloc(call->log.len + 2);
    if (text) {
        memcpy(text, call->log.s, call->log.len);
        memcpy(text + call->log.len, "]", 2);
    }
    return text;
}

json_t *luaapi_call_log_tree(const luaapi_call *call)
{
    if (!call->n_log)
        return json_array();
    char *text = luaapi_call_log_text(call);
    json_error_t jerr;
    json_t *log = text ? json_loads(text, JSON_ALLOW_NUL, &jerr) : NULL;
    free(text);
    return log;
}

static luaapi_call *current_call(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* Reads t[key] as a string without metamethods; required raises. */
static const char *field_string(lua_State *L, int t, const char *key, int required, size_t max,
                                size_t *len)
{
    lua_pushstring(L, key);
    lua_rawget(L, t);
    int type = lua_type(L, -1);
    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        if (required)
            luaL_error(L, "ctx.alert: %s is required", key);
        *len = 0;
        return NULL;
    }
    if (type != LUA_TSTRING)
        luaL_error(L, "ctx.alert: %s must be a string, got %s", key, lua_typename(L, type));
    const char *s = lua_tolstring(L, -1, len);
    if (*len == 0 || *len > max)
        luaL_error(L, "ctx.alert: %s must be 1..%d bytes", key, (int)max);
    lua_pop(L, 1); /* still referenced by the table */
    *len = strlen(s); /* the text is what precedes a NUL, as it always was */
    return s;
}

enum { A_CODE, A_SEVERITY, A_MESSAGE, A_BASIS, A_DEDUP, A_DATA, A_FIELDS };

/* ctx.alert{code=, severity=, message=, basis=, dedup_key=, data=} */
static int api_alert(lua_State *L)
{
    luaapi_call *call = current_call(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *text[A_FIELDS];
    size_t len[A_FIELDS];
    text[A_CODE] = field_string(L, 1, "code", 1, 64, &len[A_CODE]);
    text[A_SEVERITY] = field_string(L, 1, "severity", 0, 16, &len[A_SEVERITY]);
    text[A_MESSAGE] = field_string(L, 1, "message", 1, 2000, &len[A_MESSAGE]);
    text[A_BASIS] = field_string(L, 1, "basis", 1, 500, &len[A_BASIS]);
    text[A_DEDUP] = field_string(L, 1, "dedup_key", 0, 200, &len[A_DEDUP]);
    if (!text[A_SEVERITY]) {
        text[A_SEVERITY] = "warning";
        len[A_SEVERITY] = 7;
    }
    int ok = 0;
    for (const char *const *s = severities; *s; s++)
        ok |= strcmp(*s, text[A_SEVERITY]) == 0;
    if (!ok)
        return luaL_error(L, "ctx.alert: severity must be info, warning or critical, not '%s'",
                          text[A_SEVERITY]);
    if (call->alerts.n >= LUAAPI_MAX_ALERTS)
        return luaL_error(L, "ctx.alert: more than %d alerts from one call", LUAAPI_MAX_ALERTS);
    for (int i = A_CODE; i <= A_DEDUP; i++)
        if (text[i] && !jsontext_utf8_valid((const unsigned char *)text[i], len[i]))
            return luaL_error(L, "ctx.alert: text is not valid UTF-8");
    if (call->alerts.n == call->alerts.cap) {
        size_t cap = call->alerts.cap ? call->alerts.cap * 2 : 4;
        luaapi_alert *v = realloc(call->alerts.v, cap * sizeof *v);
        if (!v)
            return luaL_error(L, "ctx.alert: out of memory");
        call->alerts.v = v;
        call->alerts.cap = cap;
    }
    /* data last: from here on nothing raises before it is freed. */
    char *data = NULL;
    len[A_DATA] = 0;
    lua_pushstring(L, "data");
    lua_rawget(L, 1);
    if (!lua_isnil(L, -1)) {
        cr_err err;
        if (!(data = luajson_encode(L, -1, NULL, &len[A_DATA], &err)))
            return luaL_error(L, "ctx.alert: data: %s", err.msg);
    }
    lua_pop(L, 1);
    size_t size = 0;
    for (int i = 0; i < A_FIELDS; i++)
        size += len[i] + 1;
    char *block = malloc(size);
    if (!block) {
        free(data);
        return luaL_error(L, "ctx.alert: out of memory");
    }
    text[A_DATA] = data;
    const char *at[A_FIELDS];
    char *p = block;
    for (int i = 0; i < A_FIELDS; i++) {
        at[i] = text[i] ? p : NULL;
        if (text[i])
            memcpy(p, text[i], len[i]);
        p[len[i]] = 0;
        p += len[i] + 1;
    }
    free(data);
    call->alerts.v[call->alerts.n++] = (luaapi_alert){.code = at[A_CODE],
                                                      .severity = at[A_SEVERITY],
                                                      .message = at[A_MESSAGE],
                                                      .basis = at[A_BASIS],
                                                      .dedup_key = at[A_DEDUP],
                                                      .data = at[A_DATA],
                                                      .block = block};
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
    if (call->n_log < LUAAPI_MAX_LOG) {
        size_t keep = len > 1000 ? 1000 : len; /* a cut character makes it invalid: dropped */
        strbuf *b = &call->log;
        size_t before = b->len;
        strbuf_add(b, call->n_log ? "," : "[", 1);
        if (strbuf_json_stringn(b, s, keep, 1) == 0 && !b->oom)
            call->n_log++;
        else
            strbuf_cut(b, before);
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
