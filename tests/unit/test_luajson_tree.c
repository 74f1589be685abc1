/*
 * test_luajson_tree.c -- luajson_push_tree against luajson_push_text of the
 * tree's compact text: the same tables (pairs() order, integers and floats,
 * which tables are read-only views) for every frozen mode, and the same
 * refusals with the same messages.
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

static void test_values(void **state)
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
static void test_sizes_and_nulls(void **state)
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
static void test_refusals(void **state)
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
static void test_sample_cases(void **state)
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
        cmocka_unit_test_setup_teardown(test_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sizes_and_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test(test_sample_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
