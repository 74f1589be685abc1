/*
 * test_luaapi_fen.c -- ctx.fen (host/luaapi.c's luaapi_fen) gives what
 * courtrules.common.fen (plugins/courtrules/common.lua) gives, value and
 * subtype, on the edge cases and on generated amounts: the shipped rules use
 * the host's for speed, plugins keep the Lua one, and results must not
 * depend on which. Also courtrules.common.per_params, which needs a state
 * where many params tables can be made: it keeps at most 16.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lualib.h>

#include "luaapi.h"

/* A plain state with `fen` (the host's) and `common` (the plugin). */
static int setup_with(void **state, const char *before)
{
    lua_State *L = luaL_newstate();
    if (!L)
        return -1;
    luaL_openlibs(L);
    lua_register(L, "fen", luaapi_fen);
    if (before && luaL_dostring(L, before) != LUA_OK) {
        print_error("%s\n", lua_tostring(L, -1));
        lua_close(L);
        return -1;
    }
    const char *dir = getenv("COURTRULES_SOURCE_DIR"); /* set by ctest */
    char path[4096];
    snprintf(path, sizeof path, "%s/plugins/courtrules/common.lua",
             dir && *dir ? dir : COURTRULES_SOURCE_DIR);
    if (luaL_dofile(L, path) != LUA_OK) {
        print_error("%s: %s\n", path, lua_tostring(L, -1));
        lua_close(L);
        return -1;
    }
    lua_setglobal(L, "common");
    *state = L;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, NULL);
}

/* The same, with string.find counting its calls (global `finds`) before
 * common.lua takes it. */
static int setup_counting_finds(void **state)
{
    return setup_with(state, "finds = 0\n"
                             "local find = string.find\n"
                             "string.find = function(...) finds = finds + 1 return find(...) end\n");
}

static int teardown(void **state)
{
    lua_close(*state);
    return 0;
}

static void run_ok(void **state, const char *code)
{
    lua_State *L = *state;
    if (luaL_loadstring(L, code) != LUA_OK || lua_pcall(L, 0, 0, 0) != LUA_OK) {
        print_error("%s\n--> %s\n", code, lua_tostring(L, -1));
        fail();
    }
}

/* Both give the same value of the same subtype (integer fen or nil). */
static const char *const same = "function same(v)\n"
                                "  local a, b = common.fen(v), fen(v)\n"
                                "  assert(a == b and math.type(a) == math.type(b),\n"
                                "         string.format('%q: common.fen %s, ctx.fen %s', "
                                "tostring(v), tostring(a), tostring(b)))\n"
                                "end\n";

static void test_edge_cases(void **state)
{
    run_ok(state, same);
    run_ok(state,
           "for _, v in ipairs({ '0', '0.0', '0.00', '123', '123.4', '123.45', '123.456',\n"
           "  '123.', '.5', '', 'abc', '-1', '+1', '1e5', ' 1', '1 ', '0x10', '12..3', '12.3.4',\n"
           "  '12.3a', '00012.30', '123456789012345', '1234567890123456',\n"
           "  '123456789012345.67', '1234567890123456.7', '999999999999999.99',\n"
           "  '99999999999999999999999999', '1\\0', '١٢', 0, 5, -5, 3.0, 3.5, true, {},\n"
           "  math.maxinteger, math.mininteger }) do same(v) end\n"
           "same(nil)\n"
           "assert(fen('64610.00') == 6461000 and fen(64610) == 6461000 and fen('1.5') == 150)");
}

static void test_generated_amounts(void **state)
{
    run_ok(state, same);
    run_ok(state, "math.randomseed(7)\n"
                  "for _ = 1, 20000 do\n"
                  "  local y = tostring(math.random(0, 10 ^ math.random(0, 15)))\n"
                  "  same(y); same(y .. '.'); same(y .. '.' .. math.random(0, 9))\n"
                  "  same(y .. string.format('.%02d', math.random(0, 99))); same(y .. '.123')\n"
                  "end");
}

/* per_params makes once per params table and keeps at most 16 of them:
 * the daemon makes new params tables whenever the as-of date changes, and
 * keeping all would keep them all alive. After the 17th table the cache
 * starts again, so the first table is made again, and the 17th is kept. */
static void test_per_params_bounded(void **state)
{
    run_ok(state, "local made = 0\n"
                  "local of = common.per_params(function(p) made = made + 1 return { p.n } end)\n"
                  "local tables = {}\n"
                  "for i = 1, 17 do tables[i] = { n = i } end\n"
                  "for i = 1, 16 do assert(of(tables[i])[1] == i) end\n"
                  "for i = 1, 16 do assert(of(tables[i])[1] == i) end\n"
                  "assert(made == 16, 'made ' .. made)\n"
                  "assert(of(tables[17])[1] == 17 and made == 17)\n"
                  "assert(of(tables[17])[1] == 17 and made == 17)\n"
                  "assert(of(tables[1])[1] == 1 and made == 18, 'made ' .. made)\n");
}

/* word_finder gives find_word's answers over the list as it was when made,
 * for repeated texts and past the 1,024 texts it keeps, for non-string
 * texts too; and a text found again costs no string.find call. */
static void test_word_finder(void **state)
{
    run_ok(state,
           "local lists = {}\n"
           "for l = 1, 5 do lists[l] = { '工程' .. l, '合同', '纠纷' .. (l % 3), tostring(l) } end\n"
           "local finders = {}\n"
           "for l = 1, 5 do finders[l] = common.word_finder(lists[l]) end\n"
           "for round = 1, 3 do\n"
           "  for t = 1, 2500 do\n"
           "    local text = ({ '建设工程', '买卖合同纠纷', '纠纷1', 'x' })[t % 4 + 1] .. t\n"
           "    local l = t % 5 + 1\n"
           "    assert(finders[l](text) == common.find_word(text, lists[l]), text)\n"
           "  end\n"
           "end\n"
           "assert(finders[1](nil) == nil)\n"
           "assert(common.word_finder({ '9', '2' })(123) == '2')\n"
           "assert(common.word_finder({ '乙', '甲' })('甲乙') == '乙', 'list order decides')\n"
           "assert(common.word_finder(nil)('甲') == nil)\n"
           "local words = { '商品房', '民间借贷' }\n"
           "local find_in = common.word_finder(words)\n"
           "words[2] = '劳动'\n"
           "local before = finds\n"
           "assert(find_in('民间借贷纠纷') == '民间借贷', 'the list as it was when made')\n"
           "assert(finds == before + 2, 'searched: ' .. (finds - before))\n"
           "assert(find_in('民间借贷纠纷') == '民间借贷')\n"
           "assert(find_in('劳动争议') == nil)\n"
           "assert(find_in('劳动争议') == nil)\n"
           "assert(finds == before + 4, 'searched again: ' .. (finds - before))\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_edge_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generated_amounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_per_params_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_word_finder, setup_counting_finds, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
