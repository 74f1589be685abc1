/*
 * test_luaapi_calendar.c -- the ctx.date calendar functions
 * (host/luaapi_calendar.c) driven from Lua in a plain state: `date` has them
 * with the shipped calendar, `nocal` with a NULL calendar (Monday to Friday).
 *
 * Each test runs Lua chunks that check their own results with assert(); a
 * count hook turns a runaway script (a metamethod the host must not call)
 * into an error instead of a hang.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "calendar.h"
#include "luaapi_calendar.h"

#define HOOK_INSTRUCTIONS 5000000

typedef struct fixture {
    lua_State *L;
    calendar *cal;
} fixture;

static const char *source_dir(void)
{
    const char *dir = getenv("COURTRULES_SOURCE_DIR");
    if (dir && *dir)
        return dir;
#ifdef COURTRULES_SOURCE_DIR
    return COURTRULES_SOURCE_DIR;
#else
    return ".";
#endif
}

static void runaway_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    luaL_error(L, "instruction budget exceeded (a metamethod ran?)");
}

static void register_date_table(lua_State *L, const char *name, const calendar *cal)
{
    lua_newtable(L);
    lua_pushlightuserdata(L, (void *)cal);
    luaL_setfuncs(L, luaapi_calendar_functions, 1);
    lua_setglobal(L, name);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/data/calendar/cn.json", source_dir());
    cr_err err = {{0}};
    if (calendar_load(path, &fx->cal, &err) != CR_OK) {
        print_error("calendar_load: %s\n", err.msg);
        free(fx);
        return -1;
    }
    fx->L = luaL_newstate();
    luaL_openlibs(fx->L);
    register_date_table(fx->L, "date", fx->cal);
    register_date_table(fx->L, "nocal", NULL);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    lua_close(fx->L);
    calendar_free(fx->cal);
    free(fx);
    return 0;
}

/* Runs code; returns 1 and leaves nothing, or 0 and the error message on the
 * stack. The hook is reset per chunk. */
static int run(lua_State *L, const char *code)
{
    lua_sethook(L, runaway_hook, LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    int ok = luaL_loadstring(L, code) == LUA_OK && lua_pcall(L, 0, 0, 0) == LUA_OK;
    lua_sethook(L, NULL, 0, 0);
    return ok;
}

static void run_ok(void **state, const char *code)
{
    lua_State *L = ((fixture *)*state)->L;
    if (!run(L, code)) {
        print_error("%s\n--> %s\n", code, lua_tostring(L, -1));
        lua_pop(L, 1);
        fail();
    }
    assert_int_equal(lua_gettop(L), 0);
}

static void run_error(void **state, const char *code, const char *want)
{
    lua_State *L = ((fixture *)*state)->L;
    if (run(L, code)) {
        print_error("%s\n--> no error, wanted \"%s\"\n", code, want);
        fail();
    }
    const char *msg = lua_tostring(L, -1);
    if (!msg || !strstr(msg, want)) {
        print_error("%s\n--> \"%s\", wanted \"%s\"\n", code, msg ? msg : "(not a string)", want);
        fail();
    }
    lua_pop(L, 1);
}

static void test_registers_every_function(void **state)
{
    (void)state;
    const char *want[] = {"is_workday",       "add_workdays",       "next_workday",
                          "workdays_between", "add_days_excluding", "days_excluding"};
    size_t n = 0;
    for (const luaL_Reg *r = luaapi_calendar_functions; r->name; r++, n++) {
        assert_true(n < sizeof want / sizeof *want);
        assert_string_equal(r->name, want[n]);
        assert_non_null(r->func);
    }
    assert_int_equal(n, sizeof want / sizeof *want);
}

static void test_is_workday(void **state)
{
    run_ok(state, "local w, k = date.is_workday('2026-02-14')\n"
                  "assert(w == true and k == true)\n"
                  "w, k = date.is_workday('2026-02-16')\n"
                  "assert(w == false and k == true)\n"
                  "assert(date.is_workday('2025-09-28') == true)\n"
                  "assert(date.is_workday('2025-10-08') == false)\n"
                  "w, k = date.is_workday('2027-01-01')\n"
                  "assert(w == true and k == false, 'unknown year: weekday rule, not known')\n"
                  "assert(select('#', date.is_workday('2026-01-01')) == 2)");
}

static void test_add_workdays_and_next_workday(void **state)
{
    run_ok(state, "assert(date.add_workdays('2026-02-13', 2) == '2026-02-24')\n"
                  "assert(date.add_workdays('2026-02-13', 1) == '2026-02-14')\n"
                  "assert(date.add_workdays('2026-02-24', -2) == '2026-02-13')\n"
                  "assert(date.add_workdays('2025-09-30', 1) == '2025-10-09')\n"
                  "assert(date.add_workdays('2026-02-15', 0) == '2026-02-15')\n"
                  "assert(date.next_workday('2026-02-15') == '2026-02-24')\n"
                  "assert(date.next_workday('2025-10-01') == '2025-10-09')\n"
                  "assert(date.next_workday('2026-02-14') == '2026-02-14')\n"
                  "assert(date.workdays_between('2026-02-13', '2026-02-24') == 2)\n"
                  "assert(date.workdays_between('2026-02-24', '2026-02-13') == -2)\n"
                  "assert(math.type(date.workdays_between('2026-02-13', '2026-02-24')) == "
                  "'integer')");
}

static void test_without_a_calendar(void **state)
{
    run_ok(state, "local w, k = nocal.is_workday('2026-02-16')\n"
                  "assert(w == true and k == false)\n"
                  "assert(nocal.is_workday('2026-02-14') == false)\n"
                  "assert(nocal.add_workdays('2026-02-13', 1) == '2026-02-16')\n"
                  "assert(nocal.next_workday('2026-02-15') == '2026-02-16')\n"
                  "assert(nocal.workdays_between('2026-02-13', '2026-02-24') == 7)\n"
                  "assert(nocal.add_days_excluding('2024-03-01', 30, {}) == '2024-03-31')");
}

static void test_excluded_periods(void **state)
{
    run_ok(state, "assert(date.add_days_excluding('2024-03-01', 30) == '2024-03-31')\n"
                  "assert(date.add_days_excluding('2024-03-01', 30, nil) == '2024-03-31')\n"
                  "assert(date.add_days_excluding('2024-03-01', 30, {}) == '2024-03-31')\n"
                  "local p = { {from='2024-03-25', to='2024-04-10'} }\n"
                  "assert(date.add_days_excluding('2024-03-01', 30, p) == '2024-04-17')\n"
                  "assert(date.days_excluding('2024-03-01', '2024-04-17', p) == 30)\n"
                  "assert(date.add_days_excluding('2024-04-17', -30, p) == '2024-03-01')\n"
                  "local overlap = { {from='2024-03-15', to='2024-03-25'},\n"
                  "                  {from='2024-03-10', to='2024-03-20'} }\n"
                  "assert(date.add_days_excluding('2024-03-01', 30, overlap) == '2024-04-16')\n"
                  "assert(date.days_excluding('2024-03-01', '2024-03-31', overlap) == 14)\n"
                  "local before = { {from='2024-02-01', to='2024-02-20'} }\n"
                  "assert(date.add_days_excluding('2024-03-01', 30, before) == '2024-03-31')\n"
                  "assert(date.days_excluding('2024-02-01', '2024-03-01') == 29)\n"
                  "local leap = { {from='2024-02-29', to='2024-02-29'} }\n"
                  "assert(date.add_days_excluding('2024-02-28', 1, leap) == '2024-03-01')\n"
                  "-- the calendar has no say: excluded periods count calendar days\n"
                  "assert(date.add_days_excluding('2026-02-14', 1, {}) == '2026-02-15')");
}

static void test_bad_arguments_raise(void **state)
{
    run_error(state, "date.is_workday('2026-02-30')",
              "bad argument #1 to 'is_workday' (2026-02-30 does not exist");
    run_error(state, "date.is_workday()", "bad argument #1 to 'is_workday' (string expected");
    run_error(state, "date.add_workdays('2026-01-01', 'x')",
              "bad argument #2 to 'add_workdays' (number expected, got string)");
    run_error(state, "date.add_workdays('2026-01-01', 1.5)",
              "bad argument #2 to 'add_workdays' (number has no integer representation)");
    run_error(state, "date.add_workdays('2026-01-01', 10^6)",
              "bad argument #2 to 'add_workdays' (too many workdays)");
    run_error(state, "date.add_workdays('2199-12-30', 10)",
              "bad argument #2 to 'add_workdays' (result outside 1900..2199)");
    run_error(state, "date.next_workday('2026-02-15 ')",
              "bad argument #1 to 'next_workday' (unexpected");
    run_error(state, "date.workdays_between('2026-01-01', '2026/01/02')",
              "bad argument #2 to 'workdays_between'");
    run_error(state, "date.add_days_excluding('2024-03-01', 30, 5)",
              "bad argument #3 to 'add_days_excluding' (table expected, got number)");
    run_error(state, "date.add_days_excluding('2024-03-01', 30, {5})",
              "bad argument #3 to 'add_days_excluding' (periods[1]: must be a table {from=, "
              "to=}, got number)");
    run_error(state, "date.add_days_excluding('2024-03-01', 30, {{to='2024-03-02'}})",
              "(periods[1].from: must be a date \"YYYY-MM-DD\", got nil)");
    run_error(state,
              "date.days_excluding('2024-03-01', '2024-04-01',\n"
              "  {{from='2024-03-02', to='2024-03-03'}, {from='2024-03-05', to='2024-13-01'}})",
              "bad argument #3 to 'days_excluding' (periods[2].to: month 13 outside 01..12)");
    run_error(state, "date.days_excluding('2024-03-01', '2024-04-01', {{from=20240302, to=1}})",
              "periods[1].from: must be a date \"YYYY-MM-DD\", got number");
    run_error(state,
              "date.add_days_excluding('2024-03-01', 30, {{from='2024-03-10', to='2024-03-09'}})",
              "(periods[1]: to is before from)");
    run_error(state, "date.add_days_excluding('2024-03-01', 2^31)",
              "bad argument #2 to 'add_days_excluding' (too many days)");
    run_error(state, "date.add_days_excluding('2199-12-01', 31, {})",
              "bad argument #2 to 'add_days_excluding' (result outside 1900..2199)");
    run_error(state,
              "local p = {}\n"
              "for i = 1, 1001 do p[i] = {from='2024-03-10', to='2024-03-10'} end\n"
              "date.add_days_excluding('2024-03-01', 30, p)",
              "bad argument #3 to 'add_days_excluding' (more than 1000 periods)");
    run_ok(state, "local p = {}\n"
                  "for i = 1, 1000 do p[i] = {from='2024-03-10', to='2024-03-10'} end\n"
                  "assert(date.add_days_excluding('2024-03-01', 30, p) == '2024-04-01')");
}

/* A periods table whose metamethods would never return: only raw access may
 * touch it, so none of them runs (if one did, the hook would fail the test). */
static void test_periods_metamethods_are_not_called(void **state)
{
    run_ok(state, "local loop = function() while true do end end\n"
                  "local trap = {__index = loop, __len = loop, __newindex = loop, __call = loop}\n"
                  "-- the array: __len and __index would supply ten thousand periods\n"
                  "local p = setmetatable({}, trap)\n"
                  "assert(date.add_days_excluding('2024-03-01', 30, p) == '2024-03-31')\n"
                  "assert(date.days_excluding('2024-03-01', '2024-03-31', p) == 30)\n"
                  "-- a hole past the raw length is never looked up through __index\n"
                  "local q = setmetatable({ {from='2024-03-10', to='2024-03-14'} }, trap)\n"
                  "assert(date.add_days_excluding('2024-03-01', 30, q) == '2024-04-05')\n"
                  "-- an entry whose fields exist only through __index reads as missing\n"
                  "local ghost = setmetatable({}, trap)\n"
                  "local ok, err = pcall(date.add_days_excluding, '2024-03-01', 30, {ghost})\n"
                  "assert(not ok and err:find('periods[1].from: must be a date', 1, true), err)\n"
                  "-- and the raw fields of an entry with a trap metatable are used\n"
                  "local real = setmetatable({from='2024-03-10', to='2024-03-14'}, trap)\n"
                  "assert(date.add_days_excluding('2024-03-01', 30, {real}) == '2024-04-05')");
}

/* The hook itself works: a runaway chunk fails rather than hangs. */
static void test_runaway_hook_catches_a_loop(void **state)
{
    run_error(state, "while true do end", "instruction budget exceeded");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registers_every_function),
        cmocka_unit_test_setup_teardown(test_is_workday, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_workdays_and_next_workday, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_a_calendar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_excluded_periods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments_raise, setup, teardown),
        cmocka_unit_test_setup_teardown(test_periods_metamethods_are_not_called, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runaway_hook_catches_a_loop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
