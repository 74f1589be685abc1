/*
 * luaapi_query.c -- ctx.query.* for rule scripts. Filters are read with raw
 * access (no metamethod runs); every court prefix is checked against the
 * rule set's scope before any SQL runs.
 */
#include "luaapi_query.h"

#include <lauxlib.h>
#include <string.h>

#include "db_query.h"
#include "luaapi.h"
#include "sandbox.h"

static luaapi_query_scope *scope_of(lua_State *L)
{
    luaapi_query_scope *q = lua_touserdata(L, lua_upvalueindex(1));
    if (!q || !q->db)
        luaL_error(L, "ctx.query: not available in this evaluation");
    return q;
}

/* Reads filter field key (a string, or nil) from the table at 1, raw. */
static const char *opt_field(lua_State *L, const char *fn, const char *key)
{
    if (lua_isnoneornil(L, 1))
        return NULL;
    lua_pushstring(L, key);
    lua_rawget(L, 1);
    int t = lua_type(L, -1);
    const char *s = t == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1); /* the string stays referenced by the filter table */
    if (t != LUA_TNIL && t != LUA_TSTRING)
        luaL_error(L, "ctx.query.%s: %s must be a string", fn, key);
    return s;
}

/* Refuses filter keys that are not in allowed (typos must not widen a query). */
static void check_keys(lua_State *L, const char *fn, const char *const *allowed)
{
    if (lua_isnoneornil(L, 1))
        return;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        int ok = 0;
        for (const char *const *a = allowed; k && *a; a++)
            ok |= strcmp(*a, k) == 0;
        if (!ok)
            luaL_error(L, "ctx.query.%s: unknown filter %s%s%s", fn, k ? "'" : "(non-string key)",
                       k ? k : "", k ? "'" : "");
    }
}

/* The court prefix to query: the given one, which must lie inside the
 * scope, or the scope itself. */
static const char *court_prefix(lua_State *L, const char *fn, luaapi_query_scope *q)
{
    const char *court = opt_field(L, fn, "court");
    int everywhere = strcmp(q->scope, "*") == 0;
    if (!court)
        return everywhere ? "" : q->scope;
    if (!everywhere && strncmp(court, q->scope, strlen(q->scope)) != 0)
        luaL_error(L, "ctx.query.%s: court '%s' is outside this rule set's scope '%s'", fn, court,
                   q->scope);
    return court;
}

/* filter.exact = true: `court` names one court, not a prefix of codes. */
static int exact_field(lua_State *L, const char *fn)
{
    if (lua_isnoneornil(L, 1))
        return 0;
    lua_pushstring(L, "exact");
    lua_rawget(L, 1);
    int t = lua_type(L, -1), v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (t != LUA_TNIL && t != LUA_TBOOLEAN)
        luaL_error(L, "ctx.query.%s: exact must be true or false", fn);
    return v;
}

static void date_field(lua_State *L, const char *fn, const char *key, const char **out)
{
    *out = opt_field(L, fn, key);
    if (*out && (strlen(*out) != 10 || (*out)[4] != '-' || (*out)[7] != '-'))
        luaL_error(L, "ctx.query.%s: %s must be a date YYYY-MM-DD", fn, key);
}

static const char *const case_keys[] = {"court",       "exact",     "status",     "kind",
                                        "procedure",   "type_code", "cause",      "filed_from",
                                        "filed_to",    "closed_from", "closed_to", "judge",
                                        "limit",       NULL};

static void case_filter(lua_State *L, const char *fn, luaapi_query_scope *q, db_case_filter *f)
{
    check_keys(L, fn, case_keys);
    memset(f, 0, sizeof *f);
    f->court = court_prefix(L, fn, q);
    f->exact_court = exact_field(L, fn);
    f->status = opt_field(L, fn, "status");
    f->kind = opt_field(L, fn, "kind");
    f->procedure = opt_field(L, fn, "procedure");
    f->type_code = opt_field(L, fn, "type_code");
    f->cause = opt_field(L, fn, "cause");
    f->judge = opt_field(L, fn, "judge");
    date_field(L, fn, "filed_from", &f->filed_from);
    date_field(L, fn, "filed_to", &f->filed_to);
    date_field(L, fn, "closed_from", &f->closed_from);
    date_field(L, fn, "closed_to", &f->closed_to);
}

static int push_rows(lua_State *L, cr_status st, json_t *rows, const cr_err *err, const char *fn)
{
    if (st != CR_OK)
        return luaL_error(L, "ctx.query.%s: %s", fn, err->msg);
    cr_err perr;
    int ok = luaapi_push_frozen_json(L, rows, &perr);
    json_decref(rows);
    if (!ok)
        return luaL_error(L, "ctx.query.%s: %s", fn, perr.msg);
    return 1;
}

/* ctx.query.count_cases{court=, status=, kind=, procedure=, …} -> integer */
static int query_count_cases(lua_State *L)
{
    luaapi_query_scope *q = scope_of(L);
    db_case_filter f;
    case_filter(L, "count_cases", q, &f);
    int64_t n = 0;
    cr_err err;
    if (db_query_count_cases(q->db, &f, &n, &err) != CR_OK)
        return luaL_error(L, "ctx.query.count_cases: %s", err.msg);
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

/* The filter's `limit` (1..DB_QUERY_MAX_ROWS, default 1000); raises
 * naming ctx.query.<fn> otherwise. */
static lua_Integer limit_field(lua_State *L, const char *fn)
{
    lua_Integer limit = 1000;
    if (lua_isnoneornil(L, 1))
        return limit;
    lua_pushstring(L, "limit");
    lua_rawget(L, 1);
    if (!lua_isnil(L, -1)) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
            lua_tointeger(L, -1) > DB_QUERY_MAX_ROWS)
            luaL_error(L, "ctx.query.%s: limit must be an integer 1..%d", fn, DB_QUERY_MAX_ROWS);
        limit = lua_tointeger(L, -1);
    }
    lua_pop(L, 1);
    return limit;
}

/* ctx.query.cases{…, limit=} -> array of case records (without events) */
static int query_cases(lua_State *L)
{
    luaapi_query_scope *q = scope_of(L);
    db_case_filter f;
    case_filter(L, "cases", q, &f);
    lua_Integer limit = limit_field(L, "cases");
    json_t *rows = NULL;
    cr_err err;
    cr_status st = db_query_cases(q->db, &f, limit, &rows, &err);
    return push_rows(L, st, rows, &err, "cases");
}

/* ctx.query.courts{court=} -> array of court records with staffing */
static int query_courts(lua_State *L)
{
    static const char *const keys[] = {"court", "exact", NULL};
    luaapi_query_scope *q = scope_of(L);
    check_keys(L, "courts", keys);
    const char *prefix = court_prefix(L, "courts", q);
    json_t *rows = NULL;
    cr_err err;
    cr_status st = db_query_courts(q->db, prefix, exact_field(L, "courts"), &rows, &err);
    return push_rows(L, st, rows, &err, "courts");
}

/* ctx.query.people{court=, role=, in_quota=} -> array of person records */
static int query_people(lua_State *L)
{
    static const char *const keys[] = {"court", "exact", "role", "in_quota", NULL};
    luaapi_query_scope *q = scope_of(L);
    check_keys(L, "people", keys);
    const char *prefix = court_prefix(L, "people", q);
    const char *role = opt_field(L, "people", "role");
    int in_quota = -1;
    if (!lua_isnoneornil(L, 1)) {
        lua_pushstring(L, "in_quota");
        lua_rawget(L, 1);
        if (lua_isboolean(L, -1))
            in_quota = lua_toboolean(L, -1);
        else if (!lua_isnil(L, -1))
            return luaL_error(L, "ctx.query.people: in_quota must be true or false");
        lua_pop(L, 1);
    }
    json_t *rows = NULL;
    cr_err err;
    cr_status st =
        db_query_people(q->db, prefix, exact_field(L, "people"), role, in_quota, &rows, &err);
    return push_rows(L, st, rows, &err, "people");
}

/* ctx.query.count_events{court=, event=, from=, to=} -> integer */
static int query_count_events(lua_State *L)
{
    static const char *const keys[] = {"court", "exact", "event", "from", "to", NULL};
    luaapi_query_scope *q = scope_of(L);
    check_keys(L, "count_events", keys);
    const char *prefix = court_prefix(L, "count_events", q);
    const char *event = opt_field(L, "count_events", "event");
    const char *from, *to;
    date_field(L, "count_events", "from", &from);
    date_field(L, "count_events", "to", &to);
    int64_t n = 0;
    cr_err err;
    if (db_query_count_events(q->db, prefix, exact_field(L, "count_events"), event, from, to, &n,
                              &err) != CR_OK)
        return luaL_error(L, "ctx.query.count_events: %s", err.msg);
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

/* ctx.query.events{court=, exact=, event=, from=, to=, limit=} -> array of
 * event records (with their court), in time order */
static int query_events(lua_State *L)
{
    static const char *const keys[] = {"court", "exact", "event", "from", "to", "limit", NULL};
    luaapi_query_scope *q = scope_of(L);
    check_keys(L, "events", keys);
    const char *prefix = court_prefix(L, "events", q);
    const char *event = opt_field(L, "events", "event");
    const char *from, *to;
    date_field(L, "events", "from", &from);
    date_field(L, "events", "to", &to);
    lua_Integer limit = limit_field(L, "events");
    json_t *rows = NULL;
    cr_err err;
    cr_status st = db_query_events(q->db, prefix, exact_field(L, "events"), event, from, to,
                                   limit, &rows, &err);
    return push_rows(L, st, rows, &err, "events");
}

static const luaL_Reg query_functions[] = {
    {"count_cases", query_count_cases},
    {"cases", query_cases},
    {"courts", query_courts},
    {"people", query_people},
    {"count_events", query_count_events},
    {"events", query_events},
    {NULL, NULL},
};

void luaapi_push_query(lua_State *L, luaapi_query_scope *scope)
{
    lua_createtable(L, 0, 5);
    lua_pushlightuserdata(L, scope);
    luaL_setfuncs(L, query_functions, 1);
    sandbox_push_readonly(L, -1);
    lua_remove(L, -2);
}
