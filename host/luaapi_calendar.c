/*
 * luaapi_calendar.c -- ctx.date functions over the holiday calendar and
 * excluded periods (see luaapi_calendar.h; documented in docs/calendar.md).
 *
 * Arguments go through luaL_check* so errors read "bad argument #2 to
 * 'add_workdays' (…)" like the rest of ctx.date. Results stay within the
 * years dates.h supports (1900..2199).
 */
#include "luaapi_calendar.h"

#include <string.h>

#include "calendar.h"
#include "dates.h"
#include "periods.h"

#define YEAR_MIN 1900
#define YEAR_MAX 2199
#define MAX_DAYS 200000     /* |n| for add_days_excluding, as for add_days */
#define MAX_WORKDAYS 110000 /* |n| for add_workdays: more than 1900..2199 holds */

static const calendar *upvalue_calendar(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1)); /* NULL: Monday to Friday */
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

int luaapi_push_date(lua_State *L, cr_date d)
{
    char buf[11];
    date_format(d, buf);
    /* not lua_pushstring: its cache is keyed by the C string's address,
     * which is this buffer's for every date, so it never hit and cost a
     * strcmp each time */
    lua_pushlstring(L, buf, strlen(buf));
    return 1;
}

static int push_date(lua_State *L, cr_date d, int arg)
{
    luaL_argcheck(L, d.y >= YEAR_MIN && d.y <= YEAR_MAX, arg, "result outside 1900..2199");
    return luaapi_push_date(L, d);
}

/* periods[i][key] as a date; the entry table is on top of the stack. */
static cr_date period_date(lua_State *L, int arg, lua_Integer i, const char *key)
{
    lua_pushstring(L, key);
    int type = lua_rawget(L, -2);
    if (type != LUA_TSTRING)
        luaL_argerror(L, arg,
                      lua_pushfstring(L, "periods[%I].%s: must be a date \"YYYY-MM-DD\", got %s", i,
                                      key, lua_typename(L, type)));
    cr_date d;
    char why[128];
    if (date_parse(lua_tostring(L, -1), &d, why, sizeof why) != 0)
        luaL_argerror(L, arg, lua_pushfstring(L, "periods[%I].%s: %s", i, key, why));
    lua_pop(L, 1);
    return d;
}

/*
 * Reads the array of {from=, to=} at arg (nil or none: no periods) into a
 * userdata left on the stack, so an error half-way leaks nothing, and puts
 * them in normal form (periods_normalize) so counting is linear. Raw access
 * only: neither the array's nor an entry's metatable is consulted, so no
 * script code runs here (a looping __index or __len cannot stall the host).
 */
static const cr_date_range *check_periods(lua_State *L, int arg, size_t *n)
{
    *n = 0;
    if (lua_isnoneornil(L, arg))
        return NULL;
    luaL_checktype(L, arg, LUA_TTABLE);
    lua_Unsigned len = lua_rawlen(L, arg);
    if (len > LUAAPI_MAX_PERIODS)
        luaL_argerror(L, arg, lua_pushfstring(L, "more than %d periods", LUAAPI_MAX_PERIODS));
    if (len == 0)
        return NULL;
    cr_date_range *r = lua_newuserdatauv(L, (size_t)len * sizeof *r, 0);
    for (lua_Integer i = 1; i <= (lua_Integer)len; i++) {
        int type = lua_rawgeti(L, arg, i);
        if (type != LUA_TTABLE)
            luaL_argerror(L, arg,
                          lua_pushfstring(L, "periods[%I]: must be a table {from=, to=}, got %s", i,
                                          lua_typename(L, type)));
        cr_date_range *p = &r[i - 1];
        p->from = period_date(L, arg, i, "from");
        p->to = period_date(L, arg, i, "to");
        if (date_to_days(p->to) < date_to_days(p->from))
            luaL_argerror(L, arg, lua_pushfstring(L, "periods[%I]: to is before from", i));
        lua_pop(L, 1);
    }
    *n = periods_normalize(r, (size_t)len); /* linear walks from here on */
    return r;
}

/* is_workday(d) -> boolean, known (false: d's year is not in the calendar
 * and the answer is only Monday to Friday) */
static int cal_is_workday(lua_State *L)
{
    int known;
    lua_pushboolean(L, calendar_is_workday(upvalue_calendar(L), check_date(L, 1), &known));
    lua_pushboolean(L, known);
    return 2;
}

/* add_workdays(d, n) -> the n-th workday after d (before it if n < 0) */
static int cal_add_workdays(lua_State *L)
{
    cr_date d = check_date(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n > -MAX_WORKDAYS && n < MAX_WORKDAYS, 2, "too many workdays");
    return push_date(L, calendar_add_workdays(upvalue_calendar(L), d, (int)n), 2);
}

/* next_workday(d) -> d if a workday, else the first workday after it */
static int cal_next_workday(lua_State *L)
{
    cr_date d = check_date(L, 1);
    return push_date(L, calendar_next_workday_on_or_after(upvalue_calendar(L), d), 1);
}

/* workdays_between(a, b) -> workdays in (a, b], or minus those in [b, a) */
static int cal_workdays_between(lua_State *L)
{
    cr_date a = check_date(L, 1), b = check_date(L, 2);
    lua_pushinteger(L, calendar_workdays_between(upvalue_calendar(L), a, b));
    return 1;
}

/* add_days_excluding(d, n, periods) -> d plus n counted days */
static int cal_add_days_excluding(lua_State *L)
{
    cr_date d = check_date(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n > -MAX_DAYS && n < MAX_DAYS, 2, "too many days");
    size_t count;
    const cr_date_range *periods = check_periods(L, 3, &count);
    return push_date(L, periods_add_days_excluding(d, (int)n, periods, count), 2);
}

/* days_excluding(a, b, periods) -> counted days in (a, b], or minus those in [b, a) */
static int cal_days_excluding(lua_State *L)
{
    cr_date a = check_date(L, 1), b = check_date(L, 2);
    size_t count;
    const cr_date_range *periods = check_periods(L, 3, &count);
    lua_pushinteger(L, (lua_Integer)periods_days_excluding(a, b, periods, count));
    return 1;
}

const luaL_Reg luaapi_calendar_functions[] = {
    {"is_workday", cal_is_workday},
    {"add_workdays", cal_add_workdays},
    {"next_workday", cal_next_workday},
    {"workdays_between", cal_workdays_between},
    {"add_days_excluding", cal_add_days_excluding},
    {"days_excluding", cal_days_excluding},
    {NULL, NULL},
};
