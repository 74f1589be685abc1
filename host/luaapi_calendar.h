/*
 * luaapi_calendar.h -- the workday and excluded-period functions of
 * ctx.date (docs/calendar.md, docs/lua-api.md).
 *
 * Every function takes the calendar as upvalue 1, a light userdata holding a
 * const calendar * (NULL when no calendar is loaded: workdays are then
 * Monday to Friday). Register them into the ctx.date table at the top of the
 * stack with:
 *
 *   lua_pushlightuserdata(L, (void *)cal);
 *   luaL_setfuncs(L, luaapi_calendar_functions, 1);
 *
 * The calendar must outlive the Lua state (or the ctx); the functions only
 * read it. Periods tables are read with raw access, so no script code runs.
 */
#ifndef COURTRULES_LUAAPI_CALENDAR_H
#define COURTRULES_LUAAPI_CALENDAR_H

#include <lauxlib.h>

#include "dates.h"

#define LUAAPI_MAX_PERIODS 1000 /* entries in one periods table */

/* is_workday, add_workdays, next_workday, workdays_between,
 * add_days_excluding, days_excluding; NULL-terminated. */
extern const luaL_Reg luaapi_calendar_functions[];

/* Pushes d as its "YYYY-MM-DD" string, as every ctx.date function that
 * returns a date does; returns 1. */
int luaapi_push_date(lua_State *L, cr_date d);

#endif
