/*
 * luaapi.h -- the Lua API rule scripts see, defined in one place
 * (docs/lua-api.md documents every function with an example).
 *
 * A hook is called as on_case(case, ctx). `case` is a read-only table of the
 * case's normalized record with its events; `ctx` is a read-only table:
 *
 *   ctx.as_of                 "YYYY-MM-DD", the evaluation's as-of date
 *   ctx.params                the rule set's parameters (read-only)
 *   ctx.alert{code=, severity=, message=, basis=, dedup_key=, data=}
 *   ctx.log(fmt, ...)         a line kept with the rule's result (explain)
 *   ctx.date.days_between(a, b)      b - a in days
 *   ctx.date.add_days(d, n)          "YYYY-MM-DD"
 *   ctx.date.add_months(d, n)        month-end aware
 *   ctx.date.weekday(d)              1 = Monday … 7 = Sunday
 *   ctx.date.valid(d)                true if d is an existing date
 *   ctx.date.is_workday(d), add_workdays(d, n), next_workday(d),
 *   workdays_between(a, b)           over the holiday and 调休 calendar (data)
 *   ctx.date.add_days_excluding(d, n, periods), days_excluding(a, b, periods)
 *                                    审限 counting without excluded periods
 *   ctx.query.count_cases{…}, cases{…}, courts{…}, people{…}, count_events{…}
 *                                    read-only, limited to the rule set's scope
 *
 * Rules change nothing directly: alerts and log lines are collected here and
 * the evaluator stores them after the hook returns successfully.
 */
#ifndef COURTRULES_LUAAPI_H
#define COURTRULES_LUAAPI_H

#include <jansson.h>
#include <lauxlib.h>
#include <lua.h>

#include "calendar.h"
#include "err.h"
#include "luaapi_query.h"
#include "strbuf.h"

#define LUAAPI_MAX_ALERTS 64 /* per hook call */
#define LUAAPI_MAX_LOG 32    /* log lines per hook call */

/* One ctx.alert, checked (required fields, lengths, severity, UTF-8): its
 * strings, NUL-terminated, in the one block the alert owns. */
typedef struct luaapi_alert {
    const char *code, *severity, *message, *basis;
    const char *dedup_key; /* NULL when not given */
    const char *data;      /* data as compact JSON text (luajson_encode); NULL when not given */
    char *block;
} luaapi_alert;

/* Alerts in the order they were raised. */
typedef struct luaapi_alerts {
    luaapi_alert *v;
    size_t n, cap;
} luaapi_alerts;

/* What one hook call produced; reset before each call. Kept as text, not
 * jansson trees: a triage answer writes them out as they are, and the
 * evaluator stores their fields. */
typedef struct luaapi_call {
    luaapi_alerts alerts;
    strbuf log;   /* the lines kept, as a JSON array without its ']'; len 0 when none */
    size_t n_log; /* lines kept */
    int used_as_of; /* set when a hook reads ctx.as_of; luaapi_call_reset keeps it:
                       the evaluator clears it per case */
} luaapi_call;

/* Frees the alerts' strings and empties the list (its array is kept). */
void luaapi_alerts_clear(luaapi_alerts *a);
/* Frees everything; a is {0} afterwards. */
void luaapi_alerts_free(luaapi_alerts *a);

/* Appends an alert's members as the API shows them, in this order:
 * "code":…,"severity":…,"message":…,"basis":…[,"dedup_key":…][,"data":…]
 * (no braces: the caller adds its own members and closes the object). */
void luaapi_alert_members(strbuf *b, const luaapi_alert *a);

/* The alerts as a jansson array of those objects (rule tests compare
 * them); NULL if out of memory. */
json_t *luaapi_alerts_tree(const luaapi_alerts *a);

/* The call's log as JSON text ["…",…], malloc'd; NULL when it logged
 * nothing or out of memory (n_log tells which). */
char *luaapi_call_log_text(const luaapi_call *call);

/* The call's log as a jansson array of strings (rule tests); NULL if out
 * of memory. */
json_t *luaapi_call_log_tree(const luaapi_call *call);

/* Pushes value as Lua data, every table in it a read-only view (case data,
 * params). Must run in protected mode. Returns 1, or 0 with err filled and
 * nothing pushed. */
int luaapi_push_frozen_json(lua_State *L, const json_t *value, cr_err *err);

/* ctx.date's pure functions (no upvalues), for hosts that build their own
 * ctx, such as the benchmark's bare limit. */
extern const luaL_Reg luaapi_date_functions[];

/*
 * ctx.fen(v): an amount as integer fen, exactly what courtrules.common.fen
 * (plugins/courtrules/common.lua) returns: a non-negative integer (yuan)
 * times 100; a string of 1 to 15 ASCII digits, optionally followed by a
 * point and one or two digits ("123", "123.4", "123.45"); nil for anything
 * else. Never raises. Exported for hosts that build their own ctx.
 */
int luaapi_fen(lua_State *L);

void luaapi_call_reset(luaapi_call *call);
void luaapi_call_free(luaapi_call *call);

/*
 * Pushes a new read-only ctx table. Must run in protected mode (it
 * allocates). as_of is copied; params_ref is a registry reference to the
 * (read-only) params table; call receives what the hooks produce and must
 * outlive the ctx; cal (may be NULL: Monday to Friday) and query (may be
 * NULL: queries unavailable) must outlive it too.
 */
void luaapi_push_ctx(lua_State *L, const char *as_of, int params_ref, luaapi_call *call,
                     const calendar *cal, luaapi_query_scope *query);

#endif
