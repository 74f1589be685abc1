/*
 * test_luajson.c -- Lua values to JSON and back: shapes, limits, and the
 * values a script can return to make conversion loop, crash or run code;
 * and luajson_push_tree, which must push what luajson_push_text pushes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <lauxlib.h>
#include <lualib.h>

#include "jsontext.h"
#include "luajson.h"
#include "luajson_text.h"
#include "sandbox.h"

static int setup(void **state)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    *state = L;
    return 0;
}

static int teardown(void **state)
{
    lua_close(*state);
    return 0;
}

/* Evaluates `return <expr>` and leaves the value on the stack. */
static void eval(lua_State *L, const char *expr)
{
    char src[4096];
    snprintf(src, sizeof src, "return %s", expr);
    if (luaL_dostring(L, src) != LUA_OK)
        print_error("%s\n", lua_tostring(L, -1));
    assert_int_equal(lua_gettop(L), 1);
}

/* Converts `expr` and returns the compact JSON text (caller frees), or NULL
 * with err filled. */
static char *convert_with(lua_State *L, const char *expr, const luajson_limits *limits, cr_err *err)
{
    json_t *json;
    char *text = NULL;
    eval(L, expr);
    json = luajson_to_json(L, -1, limits, err);
    assert_int_equal(lua_gettop(L), 1); /* stack unchanged */
    lua_settop(L, 0);
    if (json) {
        text = json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(json);
    }
    return text;
}

static void assert_json(lua_State *L, const char *expr, const char *expected)
{
    cr_err err = {{0}};
    char *text = convert_with(L, expr, NULL, &err);
    if (!text)
        print_error("%s: %s\n", expr, err.msg);
    assert_non_null(text);
    assert_string_equal(text, expected);
    free(text);
}

static void assert_refused_with(lua_State *L, const char *expr, const luajson_limits *limits,
                                const char *message)
{
    cr_err err = {{0}};
    char *text = convert_with(L, expr, limits, &err);
    if (text)
        print_error("%s converted to %s\n", expr, text);
    assert_null(text);
    if (!strstr(err.msg, message))
        print_error("expected \"%s\" in \"%s\"\n", message, err.msg);
    assert_non_null(strstr(err.msg, message));
}

static void assert_refused(lua_State *L, const char *expr, const char *message)
{
    assert_refused_with(L, expr, NULL, message);
}

/* ---- Lua -> JSON -------------------------------------------------------- */

static void test_scalars(void **state)
{
    (void)state;
    lua_State *L = *state;
    assert_json(L, "nil", "null");
    assert_json(L, "true", "true");
    assert_json(L, "false", "false");
    assert_json(L, "42", "42");
    assert_json(L, "-9007199254740993", "-9007199254740993");
    assert_json(L, "2.5", "2.5");
    assert_json(L, "'民初'", "\"民初\"");
    assert_json(L, "'a\\0b'", "\"a\\u0000b\"");
}

static void test_object_keys_sorted(void **state)
{
    (void)state;
    assert_json(*state, "{ zeta = 1, alpha = { c = true, b = 'x' }, mid = 2 }",
                "{\"alpha\":{\"b\":\"x\",\"c\":true},\"mid\":2,\"zeta\":1}");
}

static void test_array(void **state)
{
    (void)state;
    assert_json(*state, "{ 1, 'two', { 3 }, false }", "[1,\"two\",[3],false]");
}

static void test_empty_table_is_array(void **state)
{
    (void)state;
    assert_json(*state, "{ categories = {} }", "{\"categories\":[]}");
}

static void test_shared_table_not_a_cycle(void **state)
{
    (void)state;
    assert_json(*state, "(function() local s = { 1 } return { a = s, b = s } end)()",
                "{\"a\":[1],\"b\":[1]}");
}

static void test_metamethods_not_called(void **state)
{
    (void)state;
    /* every metamethod would raise; raw contents convert */
    assert_json(*state,
                "setmetatable({ a = 1 }, { __index = function() error('index') end, "
                "__pairs = function() error('pairs') end, __len = function() error('len') end, "
                "__tostring = function() error('tostring') end })",
                "{\"a\":1}");
}

/* Bug: a rule returning case.parties (a read-only view) stored []. */
static void test_readonly_view_converts_what_it_shows(void **state)
{
    (void)state;
    lua_State *L = *state;
    cr_err err = {{0}};
    json_t *json;
    char *text;
    eval(L, "{ a = 1 }");
    sandbox_push_readonly(L, -1);
    json = luajson_to_json(L, -1, NULL, &err);
    assert_non_null(json);
    text = json_dumps(json, JSON_COMPACT);
    assert_string_equal(text, "{\"a\":1}");
    free(text);
    json_decref(json);
    lua_settop(L, 0);
}

static void test_self_reference(void **state)
{
    (void)state;
    assert_refused(*state, "(function() local t = { a = { b = {} } } t.a.b = t return t end)()",
                   "result table refers to itself at .a.b");
}

static void test_self_reference_in_array(void **state)
{
    (void)state;
    assert_refused(*state, "(function() local t = {} t[1] = { t } return t end)()",
                   "result table refers to itself at [1][1]");
}

static void test_depth_limit(void **state)
{
    (void)state;
    lua_State *L = *state;
    const char *nest = "(function(n) local t = {} for i = 1, n do t = { a = t } end return t end)";
    char expr[256];
    cr_err err = {{0}};
    char *text;
    snprintf(expr, sizeof expr, "%s(31)", nest); /* 32 tables */
    text = convert_with(L, expr, NULL, &err);
    assert_non_null(text);
    free(text);
    snprintf(expr, sizeof expr, "%s(32)", nest);
    assert_refused(L, expr, "result nests deeper than 32 levels at .a.a.a");
}

static void test_value_limit(void **state)
{
    (void)state;
    luajson_limits limits = luajson_limits_default();
    limits.max_values = 10;
    assert_refused_with(*state, "{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }", &limits,
                        "result has more than 10 values");
}

static void test_bytes_limit(void **state)
{
    (void)state;
    luajson_limits limits = luajson_limits_default();
    limits.max_string_bytes = 100;
    assert_refused_with(*state, "{ text = ('x'):rep(101) }", &limits,
                        "result holds more than 100 bytes of text (at .text)");
}

static void test_not_finite(void **state)
{
    (void)state;
    assert_refused(*state, "{ score = 0/0 }", "number at .score is not finite");
    assert_refused(*state, "{ 1, math.huge }", "number at [2] is not finite");
}

static void test_function_value(void **state)
{
    (void)state;
    assert_refused(*state, "{ alerts = { { when = print } } }",
                   "value at .alerts[1].when is a function");
    assert_refused(*state, "coroutine.create(print)", "value at the top level is a thread");
}

static void test_mixed_keys(void **state)
{
    (void)state;
    assert_refused(*state, "{ 1, 2, name = 'x' }", "mixes string keys and integer keys");
}

static void test_holes(void **state)
{
    (void)state;
    assert_refused(*state, "{ list = { 1, nil, 3 } }", "array at .list has holes");
}

static void test_bad_keys(void **state)
{
    (void)state;
    assert_refused(*state, "{ [true] = 1 }", "has a key of type boolean");
    assert_refused(*state, "{ [0] = 1 }", "has a key of type number (not a positive integer)");
    assert_refused(*state, "{ [1.5] = 1 }", "has a key of type number");
    assert_refused(*state, "{ x = { ['a\\0b'] = 1 } }", "key at .x[\"a");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    assert_refused(*state, "{ ['odd key'] = '\\255' }",
                   "string at [\"odd key\"] is not valid UTF-8");
    assert_refused(*state, "{ ['\\255'] = 1 }", "is not valid UTF-8");
}

/* ---- JSON -> Lua -------------------------------------------------------- */

static void push_text(lua_State *L, const char *text, cr_status expected, cr_err *err)
{
    json_error_t jerr;
    json_t *json = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    assert_non_null(json);
    assert_int_equal(luajson_push(L, json, NULL, err), expected);
    json_decref(json);
}

/* Runs `check` (a Lua function body receiving the value as `v`) on the value
 * at the top, which it pops, and asserts it returns true. */
static void assert_lua(lua_State *L, const char *check)
{
    char src[1024];
    snprintf(src, sizeof src, "local v = ... return %s", check);
    assert_int_equal(luaL_loadstring(L, src), LUA_OK);
    lua_insert(L, -2);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK)
        print_error("%s\n", lua_tostring(L, -1));
    if (!lua_toboolean(L, -1))
        print_error("check failed: %s\n", check);
    assert_true(lua_toboolean(L, -1));
    lua_settop(L, 0);
}

static void test_push_case(void **state)
{
    (void)state;
    lua_State *L = *state;
    cr_err err = {{0}};
    push_text(L,
              "{\"case_no\": \"(2024)粤0703民初1234号\", \"parties\": [{\"name\": \"甲\"}, "
              "{\"name\": \"乙\"}], \"amount\": 12.5, \"count\": 2, \"closed\": false, "
              "\"judge\": null, \"tags\": []}",
              CR_OK, &err);
    assert_lua(L, "v.case_no == '(2024)粤0703民初1234号' and #v.parties == 2 "
                  "and v.parties[2].name == '乙' and math.type(v.amount) == 'float' "
                  "and math.type(v.count) == 'integer' and v.closed == false "
                  "and v.judge == nil and #v.tags == 0");
}

static void test_push_scalars(void **state)
{
    (void)state;
    lua_State *L = *state;
    cr_err err = {{0}};
    push_text(L, "null", CR_OK, &err);
    assert_lua(L, "v == nil");
    push_text(L, "\"a\\u0000b\"", CR_OK, &err);
    assert_lua(L, "v == 'a\\0b'");
    push_text(L, "9007199254740993", CR_OK, &err);
    assert_lua(L, "v == 9007199254740993");
}

static void test_push_null_in_array(void **state)
{
    (void)state;
    lua_State *L = *state;
    cr_err err = {{0}};
    push_text(L, "{\"parties\": [{\"name\": \"甲\"}, null]}", CR_INVALID, &err);
    assert_non_null(strstr(err.msg, "null inside an array"));
    assert_non_null(strstr(err.msg, "at .parties[2]"));
    assert_int_equal(lua_gettop(L), 0);
}

static void test_push_depth_limit(void **state)
{
    (void)state;
    lua_State *L = *state;
    cr_err err = {{0}};
    char text[256] = "";
    for (int i = 0; i < 40; i++)
        strcat(text, "[");
    for (int i = 0; i < 40; i++)
        strcat(text, "]");
    push_text(L, text, CR_INVALID, &err);
    assert_non_null(strstr(err.msg, "nested too deeply"));
    assert_int_equal(lua_gettop(L), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    lua_State *L = *state;
    const char *text = "{\"a\":[1,2.5,\"x\",true,{\"b\":[]}],\"c\":\"民\"}";
    json_error_t jerr;
    json_t *in = json_loads(text, 0, &jerr), *out;
    cr_err err = {{0}};
    char *dumped;
    assert_int_equal(luajson_push(L, in, NULL, &err), CR_OK);
    out = luajson_to_json(L, -1, NULL, &err);
    assert_non_null(out);
    dumped = json_dumps(out, JSON_COMPACT);
    assert_string_equal(dumped, text);
    free(dumped);
    json_decref(in);
    json_decref(out);
    lua_settop(L, 0);
}

/* Case data bigger than a sandbox's memory cap fails cleanly: no Lua error
 * escapes, nothing is left on the stack, and the sandbox still works. */
static void test_push_memory_cap(void **state)
{
    (void)state;
    sandbox_limits limits = sandbox_limits_default();
    cr_err err = {{0}};
    sandbox *sb;
    lua_State *L;
    json_t *big = json_array();
    const char *src = "return 1 + 1";
    limits.memory_bytes = (size_t)256 << 10;
    sb = sandbox_new(&limits, NULL, NULL, NULL, &err);
    assert_non_null(sb);
    L = sandbox_state(sb);
    for (int i = 0; i < 20000; i++)
        json_array_append_new(big, json_string("一个很长的当事人名称，用于填满内存"));
    assert_int_equal(luajson_push(L, big, NULL, &err), CR_FAIL);
    assert_non_null(strstr(err.msg, "out of memory"));
    assert_int_equal(lua_gettop(L), 0);
    json_decref(big);
    assert_int_equal(sandbox_dostring(sb, src, strlen(src), "=after", &err), CR_OK);
    assert_int_equal(lua_tointeger(L, -1), 2);
    sandbox_free(sb);
}

/* ---- luajson_push_tree against luajson_push_text of the tree's compact
 * text: the same tables (pairs() order, integers and floats, which tables
 * are read-only views) for every frozen mode, and the same refusals with the
 * same messages. ---- */

typedef struct desc {
    char *s;
    size_t len, cap;
} desc;

static void add(desc *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* Appends to t the value at idx as the state holds it: tables in next()
 * order (a view marked and walked through its target), integers apart from
 * floats. Two values with the same description read the same to a rule. */
static void describe(lua_State *L, int idx, desc *t)
{
    char buf[64];
    size_t len;
    const char *s;
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 4, "describe");
    switch (lua_type(L, idx)) {
    case LUA_TTABLE:
        if (sandbox_readonly_target(L, idx)) {
            add(t, "view:", 5);
            describe(L, -1, t);
            lua_pop(L, 1);
            return;
        }
        add(t, "{", 1);
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            describe(L, -2, t);
            add(t, "=", 1);
            describe(L, -1, t);
            add(t, ",", 1);
            lua_pop(L, 1);
        }
        snprintf(buf, sizeof buf, "}#%lld", (long long)lua_rawlen(L, idx));
        add(t, buf, strlen(buf));
        return;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            snprintf(buf, sizeof buf, "i%lld", (long long)lua_tointeger(L, idx));
        else
            snprintf(buf, sizeof buf, "f%.17g", (double)lua_tonumber(L, idx));
        add(t, buf, strlen(buf));
        return;
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &len);
        add(t, "'", 1);
        add(t, s, len);
        add(t, "'", 1);
        return;
    default:
        s = luaL_typename(L, idx);
        add(t, s, strlen(s));
        return;
    }
}

static char *description(lua_State *L, int idx)
{
    desc t = {0};
    describe(L, idx, &t);
    return t.s;
}

static const int frozen_modes[] = {LUAJSON_TEXT_PLAIN, LUAJSON_TEXT_FROZEN,
                                   LUAJSON_TEXT_FROZEN_BELOW};

/* tree pushes as its text does, in every mode; limits may be NULL. */
static void assert_tree_same(lua_State *L, json_t *tree, const luajson_limits *limits)
{
    size_t len;
    char *text = jsontext_dumps(tree, JSON_COMPACT | JSON_ENCODE_ANY, &len);
    assert_non_null(text);
    for (size_t m = 0; m < sizeof frozen_modes / sizeof *frozen_modes; m++) {
        cr_err text_err = {{0}}, tree_err = {{0}};
        lua_pushliteral(L, "below"); /* the stack must come back as it was on a refusal */
        int top = lua_gettop(L);
        cr_status text_st = luajson_push_text(L, text, len, frozen_modes[m], limits, &text_err);
        cr_status tree_st = luajson_push_tree(L, tree, frozen_modes[m], limits, &tree_err);
        if (text_st != tree_st) {
            print_error("%.200s: mode %d: text %d (%s), tree %d (%s)\n", text, frozen_modes[m],
                        text_st, text_err.msg, tree_st, tree_err.msg);
            fail();
        }
        if (text_st != CR_OK) {
            assert_string_equal(tree_err.msg, text_err.msg);
            assert_int_equal(lua_gettop(L), top);
            assert_string_equal(lua_tostring(L, -1), "below");
        } else {
            assert_int_equal(lua_gettop(L), top + 2);
            char *from_text = description(L, top + 1), *from_tree = description(L, top + 2);
            if (strcmp(from_text, from_tree) != 0) {
                print_error("%.200s: mode %d:\n text %.300s\n tree %.300s\n", text, frozen_modes[m],
                            from_text, from_tree);
                fail();
            }
            free(from_text);
            free(from_tree);
        }
        lua_settop(L, top - 1);
    }
    free(text);
}

static void assert_text_same(lua_State *L, const char *json, const luajson_limits *limits)
{
    json_error_t jerr;
    json_t *tree = json_loads(json, JSON_DECODE_ANY, &jerr);
    if (!tree) {
        print_error("%s: %s\n", json, jerr.text);
        fail();
    }
    assert_tree_same(L, tree, limits);
    json_decref(tree);
}

static void test_tree_values(void **state)
{
    /* integers stay integers and reals floats, whatever their digits */
    static const char *const texts[] = {
        "[0, -0, -0.0, 1.0, 3.0, 1e2, 1e-7, 0.1, -12.5e-3, 5e-324, 1.7976931348623157e308]",
        "[123456789012345678, 9223372036854775807, -9223372036854775808, 2.5e15]",
        "{}",
        "[]",
        "7",
        "2.5",
        "true",
        "false",
        "null",
        "\"\"",
        "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u4E2D\\ud83d\\ude00\\u007f\"",
        "\"民初😀\"",
        "{\"a\":null}",
        "{\"a\":null,\"b\":1,\"c\":null}",
        "{\"\":1,\"a b\":3,\"é\":4}",
        "[[],[{}],{\"x\":[1,[2,[3]]]},\"s\",true,false,-1,0.5]",
        "{\"a\":{\"b\":{\"c\":[1,{\"d\":null}]}}}",
        "{\"case_no\":\"(2025)苏01民初1号\",\"year\":2025,\"claim_amount\":\"3000.00\","
        "\"events\":[{\"at\":\"2025-01-01\",\"data\":{\"days\":90,\"ratio\":1.5,\"n\":null}}]}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        assert_text_same(*state, texts[i], NULL);
}

/* pairs() order follows from a table's size and the order its keys went
 * in: objects and arrays around the parser's chunk sizes (1,024 members,
 * 3,072 elements), with and without null members, at the top and nested. */
static void test_tree_sizes_and_nulls(void **state)
{
    lua_State *L = *state;
    static const int sizes[] = {1, 2, 3, 5, 8, 9, 16, 17, 31, 32, 33, 100, 1023, 1024, 1025, 1100};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (int with_nulls = 0; with_nulls <= 1; with_nulls++) {
            json_t *object = json_object();
            for (int i = 0; i < sizes[s]; i++) {
                char key[64];
                /* short and long keys, so both interned and not */
                snprintf(key, sizeof key, "%s%d",
                         i % 5 == 4 ? "a_key_longer_than_forty_bytes_of_text_____" : "k",
                         (i * 7919) % 10007);
                json_object_set_new(object, key,
                                    with_nulls && i % 3 == 1 ? json_null()
                                    : i % 4 == 0             ? json_string("v")
                                                             : json_integer(i));
            }
            assert_tree_same(L, object, NULL);
            json_t *nested = json_pack("[{s:[O]}, O]", "x", object, object);
            assert_tree_same(L, nested, NULL);
            json_decref(nested);
            json_decref(object);
        }
    static const int lengths[] = {0, 1, 3071, 3072, 3073, 5000};
    for (size_t s = 0; s < sizeof lengths / sizeof *lengths; s++) {
        json_t *array = json_array();
        for (int i = 0; i < lengths[s]; i++)
            json_array_append_new(array, i % 2 ? json_integer(i) : json_real(i + 0.5));
        assert_tree_same(L, array, NULL);
        json_t *nested = json_pack("{s:O}", "a", array);
        assert_tree_same(L, nested, NULL);
        json_decref(nested);
        json_decref(array);
    }
}

/* What the parser refuses is refused with its message, byte offsets in
 * the tree's text included. */
static void test_tree_refusals(void **state)
{
    lua_State *L = *state;
    assert_text_same(L, "[1,null]", NULL);
    assert_text_same(L, "{\"e\":[{\"x\":[2,null]}]}", NULL);
    json_t *nul = json_pack("{s:s#}", "a", "x\0y", 3);
    assert_tree_same(L, nul, NULL);
    json_decref(nul);

    char deep[128];
    for (int levels = 31; levels <= 34; levels++) {
        memset(deep, '[', (size_t)levels);
        memset(deep + levels, ']', (size_t)levels);
        deep[2 * levels] = '\0';
        assert_text_same(L, deep, NULL);
    }
    luajson_limits limits = luajson_limits_default();
    limits.max_depth = 2;
    assert_text_same(L, "{\"a\":{\"b\":{}}}", &limits);
    assert_text_same(L, "{\"a\":{\"b\":1}}", &limits);
    limits = luajson_limits_default();
    limits.max_values = 3;
    assert_text_same(L, "[1,2]", &limits);
    assert_text_same(L, "[1,2,3]", &limits);
    assert_text_same(L, "{\"a\":null,\"b\":null,\"c\":1,\"d\":2}", &limits);
    assert_text_same(L, "{\"a\":null,\"b\":null,\"c\":1,\"d\":2,\"e\":3}", &limits);
    limits = luajson_limits_default();
    limits.max_string_bytes = 5;
    assert_text_same(L, "{\"ab\":\"cde\"}", &limits);
    assert_text_same(L, "{\"abc\":\"def\"}", &limits);
}

/* The cases the API triages, with events, through a sandbox's state and
 * its memory cap: what build_case gets from each path. */
static void test_tree_sample_cases(void **state)
{
    (void)state;
    sandbox_limits limits = sandbox_limits_default();
    cr_err err = {{0}};
    sandbox *sb = sandbox_new(&limits, NULL, NULL, NULL, &err);
    assert_non_null(sb);
    const char *dir = getenv("COURTRULES_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/sample.jsonl", dir ? dir : COURTRULES_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0, n = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *doc = json_loads(line, 0, NULL);
        assert_non_null(doc);
        assert_tree_same(sandbox_state(sb), doc, NULL);
        json_decref(doc);
        n++;
    }
    assert_true(n > 0);
    free(line);
    fclose(f);
    sandbox_free(sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scalars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_object_keys_sorted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_array, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_table_is_array, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_table_not_a_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metamethods_not_called, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_view_converts_what_it_shows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_reference_in_array, setup, teardown),
        cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bytes_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_finite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_function_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mixed_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_scalars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_null_in_array, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_depth_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test(test_push_memory_cap),
        cmocka_unit_test_setup_teardown(test_tree_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tree_sizes_and_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tree_refusals, setup, teardown),
        cmocka_unit_test(test_tree_sample_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
