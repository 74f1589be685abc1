/*
 * test_luaapi_ctx.c -- what ctx.alert and ctx.log (host/luaapi.c) keep of a
 * hook call: the alerts' fields and their text as the API writes them, the
 * log as JSON text, and the limits (lines, bytes, UTF-8). Lua chunks get
 * ctx as their argument in a plain state with the standard libraries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "luaapi.h"

typedef struct fixture {
    lua_State *L;
    luaapi_call call;
    int params_ref;
} fixture;

/* lua_CFunction: ctx onto the stack, in protected mode as the host does. */
static int push_ctx(lua_State *L)
{
    fixture *f = lua_touserdata(L, 1);
    luaapi_push_ctx(L, "2025-06-30", f->params_ref, &f->call, NULL, NULL);
    return 1;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->L = luaL_newstate();
    luaL_openlibs(f->L);
    lua_newtable(f->L);
    f->params_ref = luaL_ref(f->L, LUA_REGISTRYINDEX);
    luaapi_call_reset(&f->call);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    luaapi_call_free(&f->call);
    lua_close(f->L);
    free(f);
    return 0;
}

/* Runs chunk as a function of ctx after a reset of the call: NULL if it
 * ran, else its error message (valid until the next run). */
static const char *run(fixture *f, const char *chunk)
{
    lua_State *L = f->L;
    lua_settop(L, 0);
    luaapi_call_reset(&f->call);
    if (luaL_loadstring(L, chunk) != LUA_OK)
        return lua_tostring(L, -1);
    lua_pushcfunction(L, push_ctx);
    lua_pushlightuserdata(L, f);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK)
        return lua_tostring(L, -1);
    return lua_pcall(L, 1, 0, 0) == LUA_OK ? NULL : lua_tostring(L, -1);
}

/* The call's alerts as the API writes them, [{…},…]. */
static char *alerts_text(const fixture *f)
{
    strbuf b = {0};
    strbuf_add(&b, "[", 1);
    for (size_t i = 0; i < f->call.alerts.n; i++) {
        strbuf_add(&b, i ? ",{" : "{", i ? 2 : 1);
        luaapi_alert_members(&b, &f->call.alerts.v[i]);
        strbuf_add(&b, "}", 1);
    }
    strbuf_add(&b, "]", 1);
    return strbuf_take(&b);
}

static void test_alert_fields_and_text(void **state)
{
    fixture *f = *state;
    const char *why = run(f, "local ctx = ...\n"
                             "ctx.alert{ code = 'A', message = '说\"明\"\\n', basis = '依据' }\n"
                             "ctx.alert{ code = 'B', severity = 'info', message = 'm', basis = 'b',\n"
                             "           dedup_key = 'k', data = { z = 1, a = { 'x', 2.5 } } }\n");
    assert_null(why);
    assert_int_equal(f->call.alerts.n, 2);
    const luaapi_alert *a = &f->call.alerts.v[0], *b = &f->call.alerts.v[1];
    assert_string_equal(a->severity, "warning"); /* the default */
    assert_null(a->dedup_key);
    assert_null(a->data);
    assert_string_equal(b->dedup_key, "k");
    assert_string_equal(b->data, "{\"a\":[\"x\",2.5],\"z\":1}"); /* keys in order */
    char *text = alerts_text(f);
    assert_string_equal(text, "[{\"code\":\"A\",\"severity\":\"warning\",\"message\":\"说\\\"明\\\"\\n\","
                              "\"basis\":\"依据\"},{\"code\":\"B\",\"severity\":\"info\",\"message\":"
                              "\"m\",\"basis\":\"b\",\"dedup_key\":\"k\",\"data\":{\"a\":[\"x\",2.5],"
                              "\"z\":1}}]");
    free(text);
    /* the same objects as a tree, for rule tests */
    json_t *tree = luaapi_alerts_tree(&f->call.alerts);
    assert_int_equal(json_array_size(tree), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(tree, 1), "dedup_key")), "k");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(tree, 1), "data"), "z")), 1);
    json_decref(tree);
    /* a reset empties the call */
    assert_null(run(f, "local ctx = ...\n"));
    assert_int_equal(f->call.alerts.n, 0);
}

static void test_alert_refusals(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *chunk, *message;
    } cases[] = {
        {"(...).alert{ message = 'm', basis = 'b' }", "code is required"},
        {"(...).alert{ code = 'A', message = 'm', basis = 'b', severity = 'high' }",
         "severity must be info, warning or critical"},
        {"(...).alert{ code = 'A', message = 'm\\255', basis = 'b' }", "not valid UTF-8"},
        {"(...).alert{ code = 'A', message = 'm', basis = 'b', dedup_key = 'k\\255' }",
         "not valid UTF-8"},
        {"(...).alert{ code = 'A', message = 'm', basis = 'b', data = { f = print } }",
         "data: value at .f is a function"},
        {"for i = 1, 65 do (...).alert{ code = 'A', message = 'm', basis = 'b' } end",
         "more than 64 alerts"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *why = run(f, cases[i].chunk);
        if (!why || !strstr(why, cases[i].message))
            fail_msg("%s: got %s, expected %s", cases[i].chunk, why ? why : "no error",
                     cases[i].message);
    }
}

/* The text of a field is what precedes a NUL byte, as it was when alerts
 * were jansson strings (and only that part is checked as UTF-8). */
static void test_alert_text_before_nul(void **state)
{
    fixture *f = *state;
    assert_null(run(f, "(...).alert{ code = 'A', message = 'kept\\0\\255', basis = 'b' }"));
    assert_string_equal(f->call.alerts.v[0].message, "kept");
}

static void test_log_lines(void **state)
{
    fixture *f = *state;
    assert_null(run(f, "local ctx = ...\n"
                       "ctx.log('%d >= %d', 11, 10)\n"
                       "ctx.log('%s', 'as \"it\" is 100%d')\n"
                       "ctx.log('%s', 7)\n"));
    assert_int_equal(f->call.n_log, 3);
    char *text = luaapi_call_log_text(&f->call);
    assert_string_equal(text, "[\"11 >= 10\",\"as \\\"it\\\" is 100%d\",\"7\"]");
    free(text);
    json_t *tree = luaapi_call_log_tree(&f->call);
    assert_string_equal(json_string_value(json_array_get(tree, 1)), "as \"it\" is 100%d");
    json_decref(tree);
    /* nothing logged: no text */
    assert_null(run(f, "local ctx = ...\n"));
    assert_int_equal(f->call.n_log, 0);
    assert_null(luaapi_call_log_text(&f->call));
}

/* At most 32 lines of at most 1,000 bytes; a line whose cut splits a
 * character is dropped, and the lines around it are kept. */
static void test_log_limits(void **state)
{
    fixture *f = *state;
    assert_null(run(f, "local ctx = ...\n"
                       "ctx.log('%s', ('x'):rep(1500))\n"
                       "ctx.log('%s', ('长'):rep(400))\n" /* 1,200 bytes: cut inside 长 */
                       "ctx.log('%s', 'after')\n"
                       "for i = 1, 40 do ctx.log('line %d', i) end\n"));
    assert_int_equal(f->call.n_log, 32);
    json_t *tree = luaapi_call_log_tree(&f->call);
    assert_int_equal(json_array_size(tree), 32);
    assert_int_equal(json_string_length(json_array_get(tree, 0)), 1000);
    assert_string_equal(json_string_value(json_array_get(tree, 1)), "after");
    assert_string_equal(json_string_value(json_array_get(tree, 2)), "line 1");
    assert_string_equal(json_string_value(json_array_get(tree, 31)), "line 30");
    json_decref(tree);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alert_fields_and_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_text_before_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_limits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
