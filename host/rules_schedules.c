/*
 * rules_schedules.c -- reading and validating the `schedules` a rule
 * declares: { { name=?, cron=, tz=?, workdays_only=?, catch_up=?, run= } }.
 */
#include "rules_internal.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "tz.h"

#define MAX_SCHEDULES 16 /* per rule */

static const char *const schedule_keys[] = {"name",     "cron", "tz", "workdays_only",
                                            "catch_up", "run",  NULL};

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= RULE_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* The string field key of the table at -1, or NULL (absent); -1 in *bad if
 * present but not a string. */
static const char *opt_string(lua_State *L, const char *key, int *bad)
{
    lua_pushstring(L, key);
    lua_rawget(L, -2);
    int type = lua_type(L, -1);
    const char *s = type == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    *bad = type != LUA_TNIL && type != LUA_TSTRING;
    lua_pop(L, 1); /* the string stays alive: the table refers to it */
    return s;
}

/* Validates the entry at -1 into sc; 0 or -1 with why (the field). */
static int read_entry(lua_State *L, size_t index, rule_schedule *sc, char *why, size_t whylen)
{
    if (!lua_istable(L, -1)) {
        snprintf(why, whylen, "must be a table {cron = ..., run = function(court, ctx) ... end}");
        return -1;
    }
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        const char *const *k = schedule_keys;
        while (key && *k && strcmp(*k, key) != 0)
            k++;
        if (!key || !*k) {
            snprintf(why, whylen,
                     "%s: unknown field (fields: name, cron, tz, workdays_only, "
                     "catch_up, run)",
                     key ? key : "a non-string key");
            lua_pop(L, 2);
            return -1;
        }
        lua_pop(L, 1);
    }
    int bad;
    const char *name = opt_string(L, "name", &bad);
    if (bad || (name && !valid_name(name))) {
        snprintf(why, whylen, "name: must be lower-case letters, digits and _");
        return -1;
    }
    if (name)
        snprintf(sc->name, sizeof sc->name, "%s", name);
    else
        snprintf(sc->name, sizeof sc->name, "schedule%zu", index);
    const char *cron = opt_string(L, "cron", &bad);
    cr_err err;
    sched_cron parsed;
    if (!cron || bad) {
        snprintf(why, whylen, "cron: required, a string such as \"30 7 * * 1-5\"");
        return -1;
    }
    if (sched_parse(cron, &parsed, &err) != CR_OK) {
        snprintf(why, whylen, "cron: %.300s", err.msg);
        return -1;
    }
    snprintf(sc->cron, sizeof sc->cron, "%s", cron);
    const char *tz = opt_string(L, "tz", &bad);
    cr_tz *zone = NULL;
    if (bad || tz_load(tz ? tz : TZ_DEFAULT, &zone, &err) != CR_OK) {
        snprintf(why, whylen, "tz: %.300s",
                 bad ? "must be a tz database name such as "
                       "\"Asia/Shanghai\""
                     : err.msg);
        return -1;
    }
    snprintf(sc->tz, sizeof sc->tz, "%s", tz_name(zone));
    tz_free(zone);
    const char *policy = opt_string(L, "catch_up", &bad);
    sched_policy pol;
    if (bad || sched_policy_parse(policy ? policy : "once", &pol, &err) != CR_OK) {
        snprintf(why, whylen, "catch_up: %.300s",
                 bad ? "must be \"skip\", \"once\" or \"all:N\"" : err.msg);
        return -1;
    }
    sched_policy_format(&pol, sc->catch_up, sizeof sc->catch_up);
    lua_pushliteral(L, "workdays_only");
    lua_rawget(L, -2);
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) {
        lua_pop(L, 1);
        snprintf(why, whylen, "workdays_only: must be true or false");
        return -1;
    }
    sc->workdays_only = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_pushliteral(L, "run");
    lua_rawget(L, -2);
    if (!lua_isfunction(L, -1)) {
        lua_pop(L, 1);
        snprintf(why, whylen, "run: required, a function(court, ctx)");
        return -1;
    }
    sc->run_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

void rules_free_schedules(lua_State *L, rule *r)
{
    for (size_t i = 0; i < r->n_schedules; i++)
        if (L)
            luaL_unref(L, LUA_REGISTRYINDEX, r->schedules[i].run_ref);
    free(r->schedules);
    r->schedules = NULL;
    r->n_schedules = 0;
}

int rules_read_schedules(lua_State *L, int t, rule *r, char *why, size_t whylen)
{
    r->schedules = NULL;
    r->n_schedules = 0;
    int top = lua_gettop(L);
    lua_pushliteral(L, "schedules");
    lua_rawget(L, t);
    if (lua_isnil(L, -1)) {
        lua_settop(L, top);
        return 0;
    }
    size_t n = lua_istable(L, -1) ? lua_rawlen(L, -1) : 0;
    if (n == 0 || n > MAX_SCHEDULES) {
        snprintf(why, whylen,
                 "schedules: must be a list of 1 to %d tables { cron = ..., run = "
                 "function(court, ctx) ... end }",
                 MAX_SCHEDULES);
        lua_settop(L, top);
        return -1;
    }
    r->schedules = calloc(n, sizeof *r->schedules);
    if (!r->schedules) {
        snprintf(why, whylen, "out of memory");
        lua_settop(L, top);
        return -1;
    }
    for (size_t i = 1; i <= n; i++) {
        char entry_why[400];
        lua_rawgeti(L, top + 1, (lua_Integer)i);
        int rc = read_entry(L, i, &r->schedules[i - 1], entry_why, sizeof entry_why);
        lua_settop(L, top + 1);
        if (rc == 0)
            r->n_schedules = i;
        for (size_t j = 0; rc == 0 && j + 1 < i; j++)
            if (strcmp(r->schedules[j].name, r->schedules[i - 1].name) == 0) {
                snprintf(entry_why, sizeof entry_why, "name: '%s' is also schedules[%zu]'s",
                         r->schedules[j].name, j + 1);
                rc = -1;
            }
        if (rc != 0) {
            snprintf(why, whylen, "schedules[%zu]: %s", i, entry_why);
            rules_free_schedules(L, r);
            lua_settop(L, top);
            return -1;
        }
    }
    lua_settop(L, top);
    return 0;
}
