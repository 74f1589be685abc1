/*
 * test_sandbox.c -- the sandbox against the attacks in tests/fixtures/attacks.
 *
 * Each attack test loads one fixture in a fresh sandbox, runs its on_case
 * hook and checks that it fails for the expected reason with the expected
 * message. Then a healthy rule must still evaluate correctly both in a
 * sandbox created before the attack and in the attacked sandbox itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <lauxlib.h>
#include <lualib.h>

#include "luajson.h"
#include "sandbox.h"

/* What the healthy rule returns for CASE_JSON (keys sorted by luajson). */
#define CASE_JSON                                                                                  \
    "{\"case_no\": \"(2024)粤0703民初1234号\", \"court\": \"粤0703\", \"parties_count\": 2,"  \
    " \"parties\": [{\"name\": \"甲\"}, {\"name\": \"乙\"}], \"note\": null}"
#define HEALTHY_RESULT                                                                                   \
    "{\"categories\":[\"群体性\"],\"caught\":true,\"court\":\"粤0703\",\"label\":\"当事人2人\"," \
    "\"parties\":\"乙、甲\",\"sum\":6,\"upper\":\"ABC\",\"year\":2024}"

/* A result that converted but should not have. */
#define CONVERSION_FAILED ((sandbox_reason)-1)

static char modules_dir[4096];
static char bytecode_dir[64];
static char bytecode_module[128];

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

static void fixture_path(char *buf, size_t size, const char *relative)
{
    snprintf(buf, size, "%s/tests/fixtures/%s", source_dir(), relative);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Small budgets keep the suite fast; the memory cap leaves room for the
 * string cap's buffers. */
static sandbox_limits test_limits(void)
{
    sandbox_limits limits = sandbox_limits_default();
    limits.memory_bytes = (size_t)16 << 20;
    limits.instructions = 5000000;
    limits.wall_ms = 10000;
    limits.string_bytes = (size_t)1 << 20;
    return limits;
}

static sandbox *new_sandbox_with(const sandbox_limits *limits)
{
    const char *dirs[] = {modules_dir, bytecode_dir, NULL};
    cr_err err = {{0}};
    sandbox *sb = sandbox_new(limits, dirs, NULL, NULL, &err);
    if (!sb)
        print_error("sandbox_new: %s\n", err.msg);
    assert_non_null(sb);
    return sb;
}

static sandbox *new_sandbox(void)
{
    sandbox_limits limits = test_limits();
    return new_sandbox_with(&limits);
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle)) {
        print_error("expected \"%s\" in \"%s\"\n", needle, haystack);
        fail();
    }
}

static void push_case(lua_State *L)
{
    json_error_t jerr;
    cr_err err = {{0}};
    json_t *data = json_loads(CASE_JSON, 0, &jerr);
    assert_non_null(data);
    assert_int_equal(luajson_push(L, data, NULL, &err), CR_OK);
    json_decref(data);
}

/* Whether call_on_case makes its call with sandbox_call_replayable (as
 * the evaluator does) instead of sandbox_call. */
static int replayable;

/* Calls rule.on_case(case, ctx) for the rule table at rule_idx; on success
 * the result is left on the stack. The rule table is read raw: reading it
 * with metamethods would run script code outside a sandbox call. */
static cr_status call_on_case(sandbox *sb, int rule_idx, cr_err *err)
{
    lua_State *L = sandbox_state(sb);
    rule_idx = lua_absindex(L, rule_idx);
    assert_int_equal(lua_type(L, rule_idx), LUA_TTABLE);
    lua_pushliteral(L, "on_case");
    lua_rawget(L, rule_idx);
    push_case(L);
    lua_newtable(L); /* ctx */
    return replayable ? sandbox_call_replayable(sb, 2, 1, NULL, NULL, err)
                      : sandbox_call(sb, 2, 1, err);
}

/* Converts the value at the top to compact JSON text (caller frees). */
static char *result_text(lua_State *L, cr_err *err)
{
    json_t *json = luajson_to_json(L, -1, NULL, err);
    char *text;
    if (!json)
        return NULL;
    text = json_dumps(json, JSON_COMPACT);
    json_decref(json);
    return text;
}

/* Runs on_case of the healthy rule at rule_idx and checks its result. */
static void assert_healthy_call(sandbox *sb, int rule_idx)
{
    lua_State *L = sandbox_state(sb);
    int top = lua_gettop(L);
    cr_err err = {{0}};
    char *text;
    if (call_on_case(sb, rule_idx, &err) != CR_OK)
        print_error("healthy call failed: %s\n", err.msg);
    assert_int_equal(sandbox_last_reason(sb), SANDBOX_OK);
    text = result_text(L, &err);
    if (!text)
        print_error("healthy result: %s\n", err.msg);
    assert_non_null(text);
    assert_string_equal(text, HEALTHY_RESULT);
    free(text);
    lua_pop(L, 1);
    assert_int_equal(lua_gettop(L), top);
}

/* Loads the healthy rule into sb and leaves it on the stack; returns its index. */
static int load_healthy(sandbox *sb)
{
    char path[4096];
    cr_err err = {{0}};
    fixture_path(path, sizeof path, "healthy/ok.lua");
    if (sandbox_dofile(sb, path, NULL, &err) != CR_OK)
        print_error("healthy load failed: %s\n", err.msg);
    assert_int_equal(sandbox_last_reason(sb), SANDBOX_OK);
    return lua_gettop(sandbox_state(sb));
}

/*
 * Loads attacks/<name>.lua, runs on_case, and checks that it failed for
 * `reason` (CONVERSION_FAILED: the call succeeded but its result must not
 * convert to JSON) with `message` in the error. Then checks that a healthy
 * rule still works, in a sandbox made before the attack and in this one.
 * Each attack runs twice: called with sandbox_call, then with
 * sandbox_call_replayable, which starts without the count hook.
 */
static void run_attack_once(const char *name, const sandbox_limits *limits, sandbox_reason reason,
                            const char *message);

static void run_attack_with(const char *name, const sandbox_limits *limits, sandbox_reason reason,
                            const char *message)
{
    for (replayable = 0; replayable < 2; replayable++)
        run_attack_once(name, limits, reason, message);
    replayable = 0;
}

static void run_attack_once(const char *name, const sandbox_limits *limits, sandbox_reason reason,
                            const char *message)
{
    char path[4096], relative[256];
    cr_err err = {{0}};
    sandbox *bystander = new_sandbox();
    int bystander_rule = load_healthy(bystander);
    sandbox *sb = new_sandbox_with(limits);
    lua_State *L = sandbox_state(sb);
    sandbox_reason got;
    cr_status status;

    snprintf(relative, sizeof relative, "attacks/%s.lua", name);
    fixture_path(path, sizeof path, relative);
    status = sandbox_dofile(sb, path, NULL, &err);
    if (status == CR_OK)
        status = call_on_case(sb, lua_gettop(L), &err);
    got = sandbox_last_reason(sb);
    if (status == CR_OK) {
        char *text = result_text(L, &err);
        if (text)
            print_error("attack %s succeeded: %s\n", name, text);
        assert_null(text);
        lua_pop(L, 1);
        got = CONVERSION_FAILED;
    }
    if (got != reason)
        print_error("attack %s (%s): reason %s, message: %s\n", name,
                    replayable ? "replayable" : "hooked", sandbox_reason_name(got), err.msg);
    assert_int_equal(got, reason);
    assert_contains(err.msg, message);
    assert_true(sandbox_memory_used(sb) <= limits->memory_bytes);

    assert_healthy_call(bystander, bystander_rule);
    assert_healthy_call(sb, load_healthy(sb));
    sandbox_free(sb);
    sandbox_free(bystander);
}

static void run_attack(const char *name, sandbox_reason reason, const char *message)
{
    sandbox_limits limits = test_limits();
    run_attack_with(name, &limits, reason, message);
}

/* Runs attacks/<name>.lua expecting success; returns the result's JSON. */
static char *run_neutralized(sandbox *sb, const char *name)
{
    char path[4096], relative[256];
    cr_err err = {{0}};
    lua_State *L = sandbox_state(sb);
    char *text;
    snprintf(relative, sizeof relative, "attacks/%s.lua", name);
    fixture_path(path, sizeof path, relative);
    if (sandbox_dofile(sb, path, NULL, &err) != CR_OK || call_on_case(sb, -1, &err) != CR_OK)
        print_error("%s: %s\n", name, err.msg);
    assert_int_equal(sandbox_last_reason(sb), SANDBOX_OK);
    text = result_text(L, &err);
    assert_non_null(text);
    lua_settop(L, 0);
    return text;
}

/* ---- group setup: a module directory holding a bytecode "module" -------- */

static int dump_writer(lua_State *L, const void *p, size_t size, void *ud)
{
    (void)L;
    return fwrite(p, 1, size, ud) == size ? 0 : 1;
}

static int setup_group(void **state)
{
    lua_State *L;
    FILE *f;
    (void)state;
    snprintf(modules_dir, sizeof modules_dir, "%s/tests/fixtures/modules", source_dir());
    snprintf(bytecode_dir, sizeof bytecode_dir, "/tmp/courtrules-sandbox-XXXXXX");
    if (!mkdtemp(bytecode_dir))
        return -1;
    snprintf(bytecode_module, sizeof bytecode_module, "%s/evil_bytecode.lua", bytecode_dir);
    /* real bytecode, made by a stock state with string.dump's machinery */
    L = luaL_newstate();
    if (luaL_loadstring(L, "return { pwned = true }") != LUA_OK)
        return -1;
    f = fopen(bytecode_module, "wb");
    if (!f)
        return -1;
    lua_dump(L, dump_writer, f, 0);
    fclose(f);
    lua_close(L);
    return 0;
}

static int teardown_group(void **state)
{
    (void)state;
    unlink(bytecode_module);
    rmdir(bytecode_dir);
    return 0;
}

/* ---- attacks: what the script can reach --------------------------------- */

static void test_os_execute(void **state)
{
    (void)state;
    run_attack("os_execute", SANDBOX_ERROR, "global 'os'");
}

static void test_io_open(void **state)
{
    (void)state;
    run_attack("io_open", SANDBOX_ERROR, "global 'io'");
}

static void test_package_loadlib(void **state)
{
    (void)state;
    run_attack("package_loadlib", SANDBOX_ERROR, "global 'package'");
}

static void test_require_c_module(void **state)
{
    (void)state;
    run_attack("require_c_module", SANDBOX_ERROR, "module 'lfs' not found");
}

static void test_require_so_path(void **state)
{
    (void)state;
    run_attack("require_so_path", SANDBOX_ERROR, "invalid module name");
}

static void test_require_parent_dir(void **state)
{
    (void)state;
    run_attack("require_parent_dir", SANDBOX_ERROR, "invalid module name");
}

static void test_load_binary_chunk(void **state)
{
    (void)state;
    run_attack("load_binary_chunk", SANDBOX_ERROR, "global 'load'");
}

static void test_require_bytecode_module(void **state)
{
    (void)state;
    run_attack("require_bytecode_module", SANDBOX_ERROR, "attempt to load a binary chunk");
}

static void test_string_dump(void **state)
{
    (void)state;
    run_attack("string_dump", SANDBOX_ERROR, "field 'dump'");
}

static void test_debug_getregistry(void **state)
{
    (void)state;
    run_attack("debug_getregistry", SANDBOX_ERROR, "global 'debug'");
}

static void test_collectgarbage(void **state)
{
    (void)state;
    run_attack("collectgarbage", SANDBOX_ERROR, "global 'collectgarbage'");
}

static void test_enumerate_globals(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    char *text = run_neutralized(sb, "enumerate_globals");
    assert_string_equal(text, "{\"names\":\"assert coroutine error getmetatable ipairs math next "
                              "pairs pcall rawequal rawget rawlen require select setmetatable "
                              "string table tonumber tostring type utf8 xpcall\","
                              "\"string_mt\":\"read-only\"}");
    free(text);
    sandbox_free(sb);
}

/* ---- attacks: what the script can change -------------------------------- */

static void test_write_global(void **state)
{
    (void)state;
    run_attack("write_global", SANDBOX_ERROR, "attempt to modify a read-only table");
}

static void test_pairs_exposes_target(void **state)
{
    (void)state;
    run_attack("pairs_exposes_target", SANDBOX_ERROR, "attempt to modify a read-only table");
}

static void test_write_global_at_load(void **state)
{
    (void)state;
    run_attack("write_global_at_load", SANDBOX_ERROR,
               "write_global_at_load.lua:3: attempt to modify a read-only table");
}

static void test_setmetatable_globals(void **state)
{
    (void)state;
    run_attack("setmetatable_globals", SANDBOX_ERROR, "cannot change a protected metatable");
}

static void test_string_metatable_index(void **state)
{
    (void)state;
    run_attack("string_metatable_index", SANDBOX_ERROR, "attempt to modify a read-only table");
}

static void test_string_method_override(void **state)
{
    (void)state;
    run_attack("string_method_override", SANDBOX_ERROR, "attempt to modify a read-only table");
}

static void test_rawset_readonly(void **state)
{
    (void)state;
    run_attack("rawset_readonly", SANDBOX_ERROR, "global 'rawset'");
}

static void test_override_other_rule_set(void **state)
{
    (void)state;
    run_attack("override_other_rule_set", SANDBOX_ERROR, "attempt to modify a read-only table");
}

static void test_override_module_function(void **state)
{
    (void)state;
    run_attack("override_module_function", SANDBOX_ERROR, "attempt to modify a read-only table");
}

static void test_gc_metatable(void **state)
{
    (void)state;
    run_attack("gc_metatable", SANDBOX_ERROR, "metatables with __gc are not allowed");
}

static void test_gc_added_later(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    lua_State *L = sandbox_state(sb);
    char path[4096];
    cr_err err = {{0}};
    char *text;

    fixture_path(path, sizeof path, "attacks/gc_added_later.lua");
    assert_int_equal(sandbox_dofile(sb, path, NULL, &err), CR_OK);
    lua_gc(L, LUA_GCCOLLECT);
    lua_gc(L, LUA_GCCOLLECT);
    assert_int_equal(call_on_case(sb, -1, &err), CR_OK);
    text = result_text(L, &err);
    assert_non_null(text);
    assert_string_equal(text, "{\"finalized\":false,\"reused\":false}");
    free(text);
    lua_settop(L, 0);
    assert_healthy_call(sb, load_healthy(sb));
    sandbox_free(sb); /* no finalizer runs here either */
}

static void test_mode_metatable(void **state)
{
    (void)state;
    run_attack("mode_metatable", SANDBOX_ERROR, "metatables with __mode are not allowed");
}

static void test_close_metatable(void **state)
{
    (void)state;
    run_attack("close_metatable", SANDBOX_ERROR, "metatables with __close are not allowed");
}

/* ---- attacks: time ------------------------------------------------------ */

static void test_infinite_loop(void **state)
{
    (void)state;
    run_attack("infinite_loop", SANDBOX_INSTRUCTIONS, "instruction budget exhausted");
}

static void test_infinite_loop_deadline(void **state)
{
    (void)state;
    sandbox_limits limits = test_limits();
    struct timespec start;
    limits.instructions = UINT64_MAX / 2;
    limits.wall_ms = 100;
    clock_gettime(CLOCK_MONOTONIC, &start);
    run_attack_with("infinite_loop", &limits, SANDBOX_DEADLINE,
                    "wall-clock budget exhausted: the call ran longer than 100 ms at ");
    assert_true(seconds_since(&start) < 3.0);
}

static void test_pcall_loop(void **state)
{
    (void)state;
    run_attack("pcall_loop", SANDBOX_INSTRUCTIONS, "instruction budget exhausted");
}

static void test_pcall_loop_deadline(void **state)
{
    (void)state;
    sandbox_limits limits = test_limits();
    limits.instructions = UINT64_MAX / 2;
    limits.wall_ms = 100;
    run_attack_with("pcall_loop", &limits, SANDBOX_DEADLINE, "wall-clock budget exhausted");
}

static void test_xpcall_handler_loop(void **state)
{
    (void)state;
    run_attack("xpcall_handler_loop", SANDBOX_INSTRUCTIONS, "instruction budget exhausted");
}

static void test_coroutine_pcall_loop(void **state)
{
    (void)state;
    run_attack("coroutine_pcall_loop", SANDBOX_INSTRUCTIONS, "instruction budget exhausted");
}

static void test_coroutine_load_time(void **state)
{
    (void)state;
    run_attack("coroutine_load_time", SANDBOX_INSTRUCTIONS, "instruction budget exhausted");
}

static void test_load_time_loop(void **state)
{
    (void)state;
    run_attack("load_time_loop", SANDBOX_INSTRUCTIONS, "load_time_loop.lua:2");
}

static void test_pathological_pattern(void **state)
{
    (void)state;
    run_attack("pathological_pattern", SANDBOX_INSTRUCTIONS, "instruction budget exhausted");
}

static void test_pathological_pattern_deadline(void **state)
{
    (void)state;
    sandbox_limits limits = test_limits();
    limits.instructions = UINT64_MAX / 2;
    limits.wall_ms = 100;
    run_attack_with("pathological_pattern", &limits, SANDBOX_DEADLINE,
                    "wall-clock budget exhausted");
}

static void test_pathological_gmatch(void **state)
{
    (void)state;
    run_attack("pathological_gmatch", SANDBOX_INSTRUCTIONS, "instruction budget exhausted");
}

static void test_balance_quadratic(void **state)
{
    (void)state;
    run_attack("balance_quadratic", SANDBOX_INSTRUCTIONS, "instruction budget exhausted");
}

static void test_plain_find_quadratic(void **state)
{
    (void)state;
    run_attack("plain_find_quadratic", SANDBOX_INSTRUCTIONS, "instruction budget exhausted");
}

static void test_table_move_huge(void **state)
{
    (void)state;
    run_attack("table_move_huge", SANDBOX_INSTRUCTIONS, "instruction budget exhausted");
}

static void test_table_insert_len(void **state)
{
    (void)state;
    run_attack("table_insert_len", SANDBOX_INSTRUCTIONS, "instruction budget exhausted");
}

/* Each charged comparison here costs two C metamethod calls, far more than
 * an instruction; a smaller budget keeps the test fast. */
static void test_table_sort_c_metamethods(void **state)
{
    (void)state;
    sandbox_limits limits = test_limits();
    limits.instructions = 500000;
    run_attack_with("table_sort_c_metamethods", &limits, SANDBOX_INSTRUCTIONS,
                    "instruction budget exhausted");
}

static void test_utf8_len_loop(void **state)
{
    (void)state;
    run_attack("utf8_len_loop", SANDBOX_INSTRUCTIONS, "instruction budget exhausted");
}

static void test_utf8_len_loop_deadline(void **state)
{
    (void)state;
    sandbox_limits limits = test_limits();
    struct timespec start;
    limits.instructions = UINT64_MAX / 2;
    limits.wall_ms = 100;
    clock_gettime(CLOCK_MONOTONIC, &start);
    run_attack_with("utf8_len_loop", &limits, SANDBOX_DEADLINE, "wall-clock budget exhausted");
    assert_true(seconds_since(&start) < 3.0);
}

/* Wrapped stock functions keep their own names in error messages. */
static void test_metered_error_names(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    cr_err err = {{0}};
    const char *src = "return ('x'):upper() .. utf8.len('añ') .. tonumber('12')";
    const char *bad = "return string.format('%d', 'x')";
    assert_int_equal(sandbox_dostring(sb, src, strlen(src), "=ok", &err), CR_OK);
    assert_string_equal(lua_tostring(sandbox_state(sb), -1), "X212");
    assert_int_equal(sandbox_dostring(sb, bad, strlen(bad), "=bad", &err), CR_FAIL);
    assert_contains(err.msg, "bad argument #2 to 'format' (number expected, got string)");
    sandbox_free(sb);
}

static void test_string_rep_empty(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    struct timespec start;
    char *text;
    clock_gettime(CLOCK_MONOTONIC, &start);
    text = run_neutralized(sb, "string_rep_empty");
    assert_string_equal(text, "{\"len\":0}");
    assert_true(seconds_since(&start) < 1.0);
    free(text);
    sandbox_free(sb);
}

/* ---- attacks: memory and strings ---------------------------------------- */

static void test_string_rep_huge(void **state)
{
    (void)state;
    run_attack("string_rep_huge", SANDBOX_STRING_CAP,
               "string operation cap exceeded: one operation may produce at most 1048576 bytes");
}

static void test_string_concat_doubling(void **state)
{
    (void)state;
    run_attack("string_concat_doubling", SANDBOX_STRING_CAP, "string operation cap exceeded");
}

static void test_table_concat_huge(void **state)
{
    (void)state;
    run_attack("table_concat_huge", SANDBOX_STRING_CAP, "string operation cap exceeded");
}

static void test_gsub_expansion(void **state)
{
    (void)state;
    run_attack("gsub_expansion", SANDBOX_STRING_CAP, "string operation cap exceeded");
}

static void test_string_format_huge(void **state)
{
    (void)state;
    run_attack("string_format_huge", SANDBOX_STRING_CAP, "string operation cap exceeded");
}

static void test_memory_table_growth(void **state)
{
    (void)state;
    run_attack("memory_table_growth", SANDBOX_MEMORY,
               "memory cap exceeded: the rule set may use at most 16777216 bytes");
}

static void test_memory_pcall_swallow(void **state)
{
    (void)state;
    run_attack("memory_pcall_swallow", SANDBOX_MEMORY, "memory cap exceeded");
}

static void test_table_unpack_huge(void **state)
{
    (void)state;
    run_attack("table_unpack_huge", SANDBOX_ERROR, "too many results to unpack");
}

/* Under a 16 MiB cap the recursion runs out of memory first; with the
 * default cap Lua's own stack limit (1M slots) stops it. */
static void test_stack_overflow(void **state)
{
    (void)state;
    sandbox_limits limits = test_limits();
    run_attack("stack_overflow", SANDBOX_MEMORY, "memory cap exceeded");
    limits.memory_bytes = sandbox_limits_default().memory_bytes;
    run_attack_with("stack_overflow", &limits, SANDBOX_ERROR, "stack overflow");
}

/* ---- attacks: errors and results ---------------------------------------- */

static void test_self_reference_result(void **state)
{
    (void)state;
    run_attack("self_reference_result", CONVERSION_FAILED, "result table refers to itself at .a.b");
}

static void test_error_tostring_loop(void **state)
{
    (void)state;
    run_attack("error_tostring_loop", SANDBOX_ERROR, "error object is a table");
}

static void test_error_table_object(void **state)
{
    (void)state;
    run_attack("error_table_object", SANDBOX_ERROR, "error object is a table");
}

static void test_error_message_binary(void **state)
{
    (void)state;
    run_attack("error_message_binary", SANDBOX_ERROR, "bad?[31m?? line?tail");
}

static void test_syntax_error(void **state)
{
    (void)state;
    run_attack("syntax_error", SANDBOX_SYNTAX, "syntax_error.lua:5: ')' expected");
}

static void test_yield_across_host(void **state)
{
    (void)state;
    run_attack("yield_across_host", SANDBOX_ERROR, "attempt to yield from outside a coroutine");
}

/* ---- the API ------------------------------------------------------------ */

static void test_limits_default(void **state)
{
    (void)state;
    sandbox_limits limits = sandbox_limits_default();
    assert_int_equal(limits.memory_bytes, (size_t)64 << 20);
    assert_int_equal(limits.instructions, 100000000u);
    assert_int_equal(limits.wall_ms, 2000);
    assert_int_equal(limits.string_bytes, (size_t)16 << 20);
}

static void test_new_rejects_zero_limit(void **state)
{
    (void)state;
    sandbox_limits limits = test_limits();
    cr_err err = {{0}};
    limits.wall_ms = 0;
    assert_null(sandbox_new(&limits, NULL, NULL, NULL, &err));
    assert_contains(err.msg, "greater than zero");
}

static void test_new_memory_cap_too_small(void **state)
{
    (void)state;
    sandbox_limits limits = test_limits();
    cr_err err = {{0}};
    limits.memory_bytes = 4096;
    assert_null(sandbox_new(&limits, NULL, NULL, NULL, &err));
    assert_contains(err.msg, "4096 bytes");
}

static void test_reason_names(void **state)
{
    (void)state;
    assert_string_equal(sandbox_reason_name(SANDBOX_OK), "ok");
    assert_string_equal(sandbox_reason_name(SANDBOX_MEMORY), "memory");
    assert_string_equal(sandbox_reason_name(SANDBOX_INSTRUCTIONS), "instructions");
    assert_string_equal(sandbox_reason_name(SANDBOX_DEADLINE), "deadline");
    assert_string_equal(sandbox_reason_name(SANDBOX_STRING_CAP), "string_cap");
    assert_string_equal(sandbox_reason_name((sandbox_reason)99), "unknown");
}

static void test_healthy_rule(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    int rule = load_healthy(sb);
    assert_healthy_call(sb, rule);
    assert_true(sandbox_memory_used(sb) > 0);
    assert_true(sandbox_memory_used(sb) < (size_t)16 << 20);
    sandbox_free(sb);
}

/* Each call gets a fresh budget: ten calls of ~1M instructions each pass
 * under a 5M budget. */
static void test_budget_is_per_call(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    lua_State *L = sandbox_state(sb);
    cr_err err = {{0}};
    const char *src = "return function() local n = 0 for i = 1, 300000 do n = n + i end "
                      "return n end";
    assert_int_equal(sandbox_dostring(sb, src, strlen(src), "=budget", &err), CR_OK);
    for (int i = 0; i < 10; i++) {
        lua_pushvalue(L, 1);
        if (sandbox_call(sb, 0, 1, &err) != CR_OK)
            print_error("call %d: %s\n", i, err.msg);
        assert_int_equal(lua_tointeger(L, -1), 45000150000);
        lua_pop(L, 1);
    }
    sandbox_free(sb);
}

/* The allocator's pool (sandbox_pool.c) recycles freed small blocks but
 * must not change what counts against the cap. Churning blocks of every
 * class, and moving blocks between classes and out of the pooled sizes by
 * growing strings and tables, leaves memory_used where the same churn left
 * it before; a state full of recycled blocks still stops a growing table
 * at the cap, and its healthy rule still works. */
static void test_pool_churn_keeps_cap(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    lua_State *L = sandbox_state(sb);
    cr_err err = {{0}};
    const char *src =
        "return function(n) local keep = {} for i = 1, n do"
        " local s = string.rep('x', i % 700) keep[i % 97 + 1] = {s, s .. i, {i, i + 1}}"
        " local t = {} for j = 1, i % 40 do t[j] = j t['k' .. j] = s end end return #keep end";
    const char *grow = "return function() local t = {} while true do t[#t + 1] = {1, 2, 3} end end";
    size_t used[3];
    assert_int_equal(sandbox_dostring(sb, src, strlen(src), "=churn", &err), CR_OK);
    for (int round = 0; round < 3; round++) {
        lua_pushvalue(L, 1);
        lua_pushinteger(L, 5000);
        if (sandbox_call(sb, 1, 1, &err) != CR_OK)
            print_error("churn %d: %s\n", round, err.msg);
        assert_int_equal(lua_tointeger(L, -1), 97);
        lua_pop(L, 1);
        lua_gc(L, LUA_GCCOLLECT);
        used[round] = sandbox_memory_used(sb);
    }
    assert_true(used[2] == used[1]);
    assert_int_equal(sandbox_dostring(sb, grow, strlen(grow), "=grow", &err), CR_OK);
    assert_int_not_equal(sandbox_call(sb, 0, 0, &err), CR_OK);
    assert_int_equal(sandbox_last_reason(sb), SANDBOX_MEMORY);
    assert_contains(err.msg, "memory cap exceeded");
    assert_true(sandbox_memory_used(sb) <= test_limits().memory_bytes);
    lua_settop(L, 0);
    int rule = load_healthy(sb);
    assert_healthy_call(sb, rule);
    sandbox_free(sb);
}

/* sandbox_alloc hands out small blocks from the pool without calling
 * grant(); with a string cap below the pooled sizes, a new string over the
 * cap must still be refused when the pool holds a block of its class, and
 * any other object of that size still allowed. */
static void test_pool_string_cap_below_pooled_sizes(void **state)
{
    (void)state;
    sandbox_limits limits = test_limits();
    limits.string_bytes = 100;
    sandbox *sb = new_sandbox_with(&limits);
    lua_State *L = sandbox_state(sb);
    cr_err err = {{0}};
    /* (sources, too, must stay under the string cap) */
    const char *churn = "for i=1,2000 do local a={1,2,3,4,5,6,7,8,9,10,11,12,13} local t={-i} end";
    const char *table = "local t = {} for j = 1, 12 do t[-j] = j end return t[-12]";
    const char *fits = "local s = ('x'):rep(50) .. ('y'):rep(50) return #s";
    const char *over = "local s = ('x'):rep(90) .. ('y'):rep(90) return #s";

    assert_int_equal(sandbox_dostring(sb, churn, strlen(churn), "=churn", &err), CR_OK);
    lua_gc(L, LUA_GCCOLLECT); /* the pool now holds 208-byte blocks (arrays of 13) */
    assert_int_equal(sandbox_dostring(sb, table, strlen(table), "=table", &err), CR_OK);
    assert_int_equal(lua_tointeger(L, -1), 12);
    assert_int_equal(sandbox_dostring(sb, fits, strlen(fits), "=fits", &err), CR_OK);
    assert_int_equal(lua_tointeger(L, -1), 100);
    assert_int_equal(sandbox_dostring(sb, over, strlen(over), "=over", &err), CR_FAIL);
    assert_int_equal(sandbox_last_reason(sb), SANDBOX_STRING_CAP);
    assert_contains(err.msg, "string operation cap exceeded");
    sandbox_free(sb);
}

/* sandbox_call_elapsed_us, which every rule's stored duration reads,
 * counts from the start of the latest outermost call: after a million loop
 * iterations (some two million VM instructions, which no machine runs in a
 * microsecond) it is at least 1, and it is no more than the time since just
 * before that call began. */
static void test_call_elapsed_counts_the_call(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    cr_err err = {{0}};
    const char *warm = "return 1";
    const char *loop = "local n = 0 for i = 1, 1000000 do n = n + i end return n";
    assert_int_equal(sandbox_dostring(sb, warm, strlen(warm), "=warm", &err), CR_OK);
    struct timespec before;
    clock_gettime(CLOCK_MONOTONIC, &before);
    assert_int_equal(sandbox_dostring(sb, loop, strlen(loop), "=loop", &err), CR_OK);
    int64_t us = sandbox_call_elapsed_us(sb);
    double bound_us = seconds_since(&before) * 1e6 + 1;
    assert_true(us >= 1);
    assert_true((double)us <= bound_us);
    sandbox_free(sb);
}

/* ---- replayable calls (no count hook until the watchdog or the clock
 * says the outcome might differ) ---------------------------------------- */

static void count_rerun(void *ud)
{
    (*(int *)ud)++;
}

/* Runs `chunk`, which returns a function, and calls that function with arg
 * through sandbox_call_replayable, counting before_rerun's calls. A
 * sentinel below the call checks that the stack is left as sandbox_call
 * leaves it: the one result on success, nothing on failure. */
static cr_status call_replayable(sandbox *sb, const char *chunk, lua_Integer arg, int *reruns,
                                 cr_err *err)
{
    lua_State *L = sandbox_state(sb);
    lua_settop(L, 0);
    lua_pushliteral(L, "sentinel");
    assert_int_equal(sandbox_dostring(sb, chunk, strlen(chunk), "=replayable", err), CR_OK);
    lua_pushinteger(L, arg);
    cr_status st = sandbox_call_replayable(sb, 1, 1, count_rerun, reruns, err);
    assert_int_equal(lua_gettop(L), st == CR_OK ? 2 : 1);
    assert_string_equal(lua_tostring(L, 1), "sentinel");
    return st;
}

static sandbox *new_sandbox_budget(uint64_t instructions)
{
    sandbox_limits limits = test_limits();
    limits.instructions = instructions;
    return new_sandbox_with(&limits);
}

/* A call far shorter than the budget could run is made once. */
static void test_replayable_short_call_runs_once(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    cr_err err = {{0}};
    int reruns = 0;
    assert_int_equal(call_replayable(sb, "return function(n) return n * 2 end", 21, &reruns, &err),
                     CR_OK);
    assert_int_equal(lua_tointeger(sandbox_state(sb), -1), 42);
    assert_int_equal(reruns, 0);
    assert_int_equal(sandbox_reruns(sb), 0);
    sandbox_free(sb);
}

/* A call long enough to have run its whole budget (50M instructions: at
 * most 5 ms at the bound of 10 per ns; ten million iterations take longer
 * on any machine) is made again hooked, once, after before_rerun, and
 * returns what it returns. */
static void test_replayable_long_call_runs_again(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox_budget(50000000);
    cr_err err = {{0}};
    int reruns = 0;
    const char *sum = "return function(n) local s = 0 for i = 1, n do s = s + i end return s end";
    assert_int_equal(call_replayable(sb, sum, 10000000, &reruns, &err), CR_OK);
    assert_int_equal(lua_tointeger(sandbox_state(sb), -1), 50000005000000);
    assert_int_equal(reruns, 1);
    assert_int_equal(sandbox_reruns(sb), 1);
    sandbox_free(sb);
}

/* A call that never ends is interrupted by the watchdog (no other way out
 * of an unhooked loop), made again hooked and stopped by the budget with
 * the message a hooked call gives. */
static void test_replayable_runaway_is_interrupted(void **state)
{
    (void)state;
    const char *loop = "return function() while true do end end";
    sandbox *hooked = new_sandbox();
    sandbox *sb = new_sandbox();
    cr_err want = {{0}}, err = {{0}};
    int reruns = 0;
    assert_int_equal(sandbox_dostring(hooked, loop, strlen(loop), "=replayable", &want), CR_OK);
    assert_int_equal(sandbox_call(hooked, 0, 1, &want), CR_FAIL);
    assert_int_equal(call_replayable(sb, loop, 0, &reruns, &err), CR_FAIL);
    assert_int_equal(sandbox_last_reason(sb), SANDBOX_INSTRUCTIONS);
    assert_string_equal(err.msg, want.msg);
    assert_int_equal(reruns, 1);
    sandbox_free(sb);
    sandbox_free(hooked);
}

/* A coroutine made inside an unhooked call gets the hook all the same
 * (lua_newthread would copy the creator's: none), by create and by wrap;
 * without it the watchdog would hook the main thread only, and the loop
 * would never end. */
static void test_replayable_new_coroutine_is_hooked(void **state)
{
    (void)state;
    const char *chunks[] = {
        "return function() local co = coroutine.create(function() while true do end end) "
        "coroutine.resume(co) return 1 end",
        "return function() coroutine.wrap(function() while true do end end)() return 1 end",
    };
    for (int i = 0; i < 2; i++) {
        sandbox *sb = new_sandbox();
        cr_err err = {{0}};
        int reruns = 0;
        assert_int_equal(call_replayable(sb, chunks[i], 0, &reruns, &err), CR_FAIL);
        assert_int_equal(sandbox_last_reason(sb), SANDBOX_INSTRUCTIONS);
        assert_contains(err.msg, "instruction budget exhausted");
        sandbox_free(sb);
    }
}

/* A coroutine that outlives calls (made at load time) and is interrupted
 * in an unhooked call yields instead of dying, so the second run resumes
 * it where it was: the first value it yields is returned, not "cannot
 * resume dead coroutine". */
static void test_replayable_interrupted_coroutine_survives(void **state)
{
    (void)state;
    const char *gen =
        "local co = coroutine.wrap(function() local i = 0 "
        "while true do i = i + 1 if i == 10000000 then coroutine.yield(i) end end end) "
        "return function() return co() end";
    sandbox *sb = new_sandbox_budget(100000000);
    cr_err err = {{0}};
    int reruns = 0;
    if (call_replayable(sb, gen, 0, &reruns, &err) != CR_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(sandbox_last_reason(sb), SANDBOX_OK);
    assert_int_equal(lua_tointeger(sandbox_state(sb), -1), 10000000);
    assert_int_equal(reruns, 1);
    sandbox_free(sb);
}

static int api_double(lua_State *L)
{
    lua_pushinteger(L, 2 * luaL_checkinteger(L, 1));
    return 1;
}

/* open_api: [1] writable globals, [2] api_ud. */
static int open_test_api(lua_State *L)
{
    int *calls = lua_touserdata(L, 2);
    (*calls)++;
    lua_newtable(L);
    lua_pushliteral(L, "test");
    lua_setfield(L, -2, "version");
    lua_pushcfunction(L, api_double);
    lua_setfield(L, -2, "double");
    lua_setfield(L, 1, "courtrules");
    return 0;
}

static void test_open_api_is_frozen(void **state)
{
    (void)state;
    sandbox_limits limits = test_limits();
    cr_err err = {{0}};
    int calls = 0;
    sandbox *sb = sandbox_new(&limits, NULL, open_test_api, &calls, &err);
    lua_State *L;
    const char *read = "return courtrules.version .. courtrules.double(21)";
    const char *write = "courtrules.double = nil";
    assert_non_null(sb);
    assert_int_equal(calls, 1);
    L = sandbox_state(sb);
    assert_int_equal(sandbox_dostring(sb, read, strlen(read), "=read", &err), CR_OK);
    assert_string_equal(lua_tostring(L, -1), "test42");
    lua_pop(L, 1);
    assert_int_equal(sandbox_dostring(sb, write, strlen(write), "=write", &err), CR_FAIL);
    assert_contains(err.msg, "write:1: attempt to modify a read-only table");
    sandbox_free(sb);
}

static int open_failing_api(lua_State *L)
{
    return luaL_error(L, "host API broken");
}

static void test_open_api_error(void **state)
{
    (void)state;
    cr_err err = {{0}};
    assert_null(sandbox_new(NULL, NULL, open_failing_api, NULL, &err));
    assert_contains(err.msg, "cannot set up the sandbox: host API broken");
}

static void test_require_caches_readonly_view(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    lua_State *L = sandbox_state(sb);
    cr_err err = {{0}};
    const char *src = "local a, b = require 'util', require 'util' "
                      "return rawequal(a, b) and getmetatable(a) == 'read-only' "
                      "and a.label(3) == '当事人3人'";
    assert_int_equal(sandbox_dostring(sb, src, strlen(src), "=cache", &err), CR_OK);
    assert_true(lua_toboolean(L, -1));
    sandbox_free(sb);
}

static void test_readonly_view(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    lua_State *L = sandbox_state(sb);
    cr_err err = {{0}};
    const char *src = "local list = require 'list' "
                      "local n, keys = 0, 0 "
                      "for _ in ipairs(list) do n = n + 1 end "
                      "for _ in pairs(string) do keys = keys + 1 end "
                      "return #list == 3 and n == 3 and list[2] == 'b' and keys == 16 "
                      "and next(string) == nil and rawlen(list) == 0 "
                      "and getmetatable(math) == 'read-only' "
                      "and not pcall(setmetatable, math, {})";
    assert_int_equal(sandbox_dostring(sb, src, strlen(src), "=view", &err), CR_OK);
    assert_true(lua_toboolean(L, -1));
    sandbox_free(sb);
}

/* table.sort on plain arrays of strings takes a C path (sort_strings): the
 * order must be Lua's own, '\0' inside strings and prefixes included, the
 * same as with an explicit `<`; a metatable, or any element not a string,
 * goes the general way. */
static void test_table_sort_strings(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    lua_State *L = sandbox_state(sb);
    cr_err err = {{0}};
    const char *src =
        "local words = { 'b', 'a\\0c', 'a', '', 'a\\0b', '案', 'ab', 'a\\0', 'B', '10', '9' } "
        "local a, b = {}, {} "
        "for i, w in ipairs(words) do a[i], b[i] = w, w end "
        "table.sort(a) "
        "table.sort(b, function(x, y) return x < y end) "
        "for i = 1, #a do if a[i] ~= b[i] then return 'differs at ' .. i end end "
        "local big = {} "
        "for i = 1, 300 do big[i] = tostring((i * 7919) % 1000) end "
        "table.sort(big) "
        "for i = 2, #big do if big[i - 1] > big[i] then return 'big out of order' end end "
        "if pcall(table.sort, { 'b', 1, 'a' }) then return 'mixed sorted' end "
        "local meta = setmetatable({ 'b', 'a' }, { __index = function() return 'x' end }) "
        "table.sort(meta) "
        "if rawget(meta, 1) ~= 'a' or rawget(meta, 2) ~= 'b' then return 'meta' end "
        "local got = table.concat(a, ','):gsub('%z', '0') "
        "return got == ',10,9,B,a,a0,a0b,a0c,ab,b,案' and 'ok' or got";
    assert_int_equal(sandbox_dostring(sb, src, strlen(src), "=sort", &err), CR_OK);
    assert_string_equal(lua_tostring(L, -1), "ok");
    sandbox_free(sb);
}

/* pairs(view) hands back a closure over the shown table (view_next): its
 * state is still the view, and given any other table it is plain next. */
static void test_readonly_pairs_iterator(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    lua_State *L = sandbox_state(sb);
    cr_err err = {{0}};
    const char *src = "local it, st, first = pairs(string) "
                      "local k, v = it(st, first) "
                      "local k2, v2 = it({ x = 1 }, nil) "
                      "local n = 0 "
                      "for key, fn in pairs(string) do "
                      "  if string[key] ~= fn then return false end n = n + 1 end "
                      "return rawequal(st, string) and first == nil and type(k) == 'string' "
                      "and string[k] == v and k2 == 'x' and v2 == 1 and n == 16";
    assert_int_equal(sandbox_dostring(sb, src, strlen(src), "=pairs", &err), CR_OK);
    assert_true(lua_toboolean(L, -1));
    sandbox_free(sb);
}

/* Pushes a view of a new table holding `fields` (name/value pairs on the
 * stack, popped) -- the way luajson_text freezes what it parses. */
static void push_view_of(lua_State *L, int fields)
{
    lua_createtable(L, 0, fields);
    for (int i = fields; i > 0; i--) {
        lua_pushvalue(L, -2 * i - 1);
        lua_pushvalue(L, -2 * i - 1);
        lua_rawset(L, -3);
    }
    sandbox_push_readonly(L, -1);
    lua_replace(L, -2 * fields - 2);
    lua_settop(L, lua_gettop(L) - 2 * fields);
}

/* open_api: a global `doc` of nested views, as a case is:
 * { a = 1, b = "two", list = { {n=3}, {n=1}, {n=2} }, obj = { x = { y = true } } } */
static int open_views_api(lua_State *L)
{
    lua_pushliteral(L, "a");
    lua_pushinteger(L, 1);
    lua_pushliteral(L, "b");
    lua_pushliteral(L, "two");
    lua_pushliteral(L, "list");
    lua_createtable(L, 3, 0);
    for (int i = 1; i <= 3; i++) {
        lua_pushliteral(L, "n");
        lua_pushinteger(L, (i + 1) % 3 + 1);
        push_view_of(L, 1);
        lua_rawseti(L, -2, i);
    }
    sandbox_push_readonly(L, -1);
    lua_replace(L, -2);
    lua_pushliteral(L, "obj");
    lua_pushliteral(L, "x");
    lua_pushliteral(L, "y");
    lua_pushboolean(L, 1);
    push_view_of(L, 1);
    push_view_of(L, 1);
    push_view_of(L, 4);
    lua_setfield(L, 1, "doc");
    return 0;
}

/* Everything a rule can observe of a view: reads, # and ipairs through it,
 * pairs yielding the nested views themselves, an empty raw table, the
 * locked metatable, and the same error for every kind of write. */
static void test_readonly_view_contract(void **state)
{
    (void)state;
    sandbox_limits limits = test_limits();
    cr_err err = {{0}};
    sandbox *sb = sandbox_new(&limits, NULL, open_views_api, NULL, &err);
    lua_State *L;
    const char *src =
        "local function fails(f, ...) local ok, e = pcall(f, ...) "
        "  return ok and 'no error' or tostring(e) end "
        "if not (doc.a == 1 and doc.b == 'two' and doc.list[1].n == 3 and doc.obj.x.y) "
        "then return 'reads' end "
        "if #doc.list ~= 3 or #doc ~= 0 or #doc.obj.x ~= 0 then return '#' end "
        "if rawlen(doc.list) ~= 0 or rawget(doc, 'a') ~= nil or rawget(doc.list, 1) ~= nil "
        "  or next(doc) ~= nil or next(doc.list) ~= nil then return 'raw' end "
        "local seen = '' "
        "for i, e in ipairs(doc.list) do "
        "  if not rawequal(e, doc.list[i]) or getmetatable(e) ~= 'read-only' then return 'ipairs' "
        "end "
        "  seen = seen .. e.n end "
        "if seen ~= '312' then return 'ipairs order ' .. seen end "
        "local order = {} "
        "for k, v in pairs(doc) do order[#order + 1] = k "
        "  if type(v) == 'table' and (not rawequal(v, doc[k]) "
        "      or getmetatable(v) ~= 'read-only') then return 'pairs ' .. k end end "
        "local inner = '' for k, v in pairs(doc.obj.x) do inner = inner .. k .. tostring(v) end "
        "if inner ~= 'ytrue' then return 'inner pairs' end "
        "local nested = doc.list[2] "
        "if getmetatable(doc) ~= 'read-only' or getmetatable(nested) ~= 'read-only' "
        "then return 'getmetatable' end "
        "return table.concat(order, ',') .. '|' .. table.concat({ "
        "  fails(function() doc.a = 2 end), "
        "  fails(function() doc.obj.x.z = 1 end), "
        "  fails(function() nested.n = 0 end), "
        "  fails(table.insert, doc.list, {}), "
        "  fails(table.remove, doc.list), "
        "  fails(table.sort, doc.list, function(p, q) return p.n < q.n end), "
        "  fails(setmetatable, nested, {}), "
        "  fails(setmetatable, doc.list, nil), "
        "}, '|')";
    const char *errors = "|views:1: attempt to modify a read-only table"
                         "|views:1: attempt to modify a read-only table"
                         "|views:1: attempt to modify a read-only table"
                         "|attempt to modify a read-only table"
                         "|attempt to modify a read-only table"
                         "|attempt to modify a read-only table"
                         "|cannot change a protected metatable"
                         "|cannot change a protected metatable";
    char expected[512] = "";
    size_t len = 0;

    assert_non_null(sb);
    L = sandbox_state(sb);
    assert_int_equal(sandbox_dostring(sb, src, strlen(src), "=views", &err), CR_OK);
    /* pairs visits the keys in the shown table's own `next` order */
    lua_getglobal(L, "doc");
    assert_true(sandbox_readonly_target(L, -1));
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        len += (size_t)snprintf(expected + len, sizeof expected - len, "%s%s", len ? "," : "",
                                lua_tostring(L, -1));
    }
    lua_pop(L, 2);
    snprintf(expected + len, sizeof expected - len, "%s", errors);
    assert_string_equal(lua_tostring(L, -1), expected);
    sandbox_free(sb);
}

/* A view of a view is the view itself; views work in any state, not only
 * in a sandbox's, and each state's views are its own. */
static void test_readonly_view_of_view(void **state)
{
    (void)state;
    lua_State *a = luaL_newstate(), *b = luaL_newstate();
    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 2; i++) {
        lua_State *L = i ? b : a;
        lua_createtable(L, 2, 0);
        lua_pushliteral(L, "first");
        lua_rawseti(L, -2, 1);
        lua_pushliteral(L, "second");
        lua_rawseti(L, -2, 2);
        sandbox_push_readonly(L, -1);
        sandbox_push_readonly(L, -1);
        assert_true(lua_rawequal(L, -1, -2));
        assert_false(lua_rawequal(L, -1, -3));
        assert_int_equal(lua_rawlen(L, -1), 0);
        lua_len(L, -1);
        assert_int_equal(lua_tointeger(L, -1), 2);
        lua_pop(L, 1);
        assert_int_equal(lua_geti(L, -1, 2), LUA_TSTRING);
        assert_string_equal(lua_tostring(L, -1), "second");
        lua_pop(L, 1);
        assert_true(luaL_getmetafield(L, -1, "__metatable") == LUA_TSTRING);
        assert_string_equal(lua_tostring(L, -1), "read-only");
        lua_pop(L, 1);
        assert_true(sandbox_readonly_target(L, -1));
        assert_true(lua_rawequal(L, -1, -4));
        lua_settop(L, 0);
    }
    lua_close(a);
    lua_close(b);
}

/* Keys of the table at a, each holding at b what it holds at a (raw). */
static int same_fields(lua_State *L, int a, int b)
{
    int n = 0, same = 1;
    lua_pushnil(L);
    while (lua_next(L, a)) {
        lua_pushvalue(L, -2);
        lua_rawget(L, b);
        same = same && lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        n++;
    }
    return same ? n : -1;
}

/* The converters' way, sandbox_readonly_fresh with the kit, makes the view
 * sandbox_push_readonly makes: a metatable with the same fields (what
 * __index shows included), recognised as a view, the kit left as it was. */
static void test_readonly_fresh_same_view(void **state)
{
    (void)state;
    static const char *const kit[] = {"__index", "__newindex",  "__len",
                                      "__pairs", "__metatable", "read-only"};
    enum { SHOWN = SANDBOX_VIEW_KIT_SLOTS + 1 };
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    sandbox_push_view_kit(L, 0);
    assert_int_equal(lua_gettop(L), SANDBOX_VIEW_KIT_SLOTS);
    assert_true(lua_isnil(L, SANDBOX_VIEW_KIT_SLOTS)); /* no pool */
    lua_createtable(L, 1, 0);                          /* SHOWN */
    lua_pushliteral(L, "first");
    lua_rawseti(L, -2, 1);
    sandbox_push_readonly(L, SHOWN); /* SHOWN + 1 */
    lua_pushvalue(L, SHOWN);
    sandbox_readonly_fresh(L, 1); /* SHOWN + 2 */
    assert_int_equal(lua_gettop(L), SHOWN + 2);
    for (int i = 0; i < 6; i++)
        assert_string_equal(lua_tostring(L, i + 1), kit[i]);
    assert_false(lua_rawequal(L, SHOWN + 1, SHOWN + 2));
    assert_true(lua_getmetatable(L, SHOWN + 1)); /* SHOWN + 3 */
    assert_true(lua_getmetatable(L, SHOWN + 2)); /* SHOWN + 4 */
    assert_int_equal(same_fields(L, SHOWN + 3, SHOWN + 4), 5);
    assert_int_equal(same_fields(L, SHOWN + 4, SHOWN + 3), 5);
    lua_settop(L, SHOWN + 2);
    assert_true(sandbox_readonly_target(L, SHOWN + 2));
    assert_true(lua_rawequal(L, -1, SHOWN));
    sandbox_push_readonly(L, SHOWN + 2);
    assert_true(lua_rawequal(L, -1, SHOWN + 2));
    assert_int_equal(lua_rawlen(L, SHOWN + 2), 0);
    lua_close(L);
}

/* Pushes a fresh table holding the string s at [1] and replaces it by a view
 * made with the kit at stack index kit; returns the view's stack index. */
static int pooled_view(lua_State *L, int kit, const char *s)
{
    lua_createtable(L, 1, 0);
    lua_pushstring(L, s);
    lua_rawseti(L, -2, 1);
    sandbox_readonly_fresh(L, kit);
    return lua_gettop(L);
}

static int write_first(lua_State *L)
{
    lua_pushliteral(L, "changed");
    lua_seti(L, 1, 1);
    return 0;
}

/* Views from the pool: each is handed out once between restarts; after a
 * restart the same views come back in the same order, each showing its new
 * table (and a kept one shows the new data, never the old); they stay
 * read-only; another kit of the same state finds the same pool; a
 * pool-less kit never hands out a pooled view; the pool stops growing at
 * its size (256), the views beyond it are made afresh every time. */
static void test_readonly_fresh_pooled(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    sandbox_push_view_kit(L, 1);
    assert_int_equal(lua_type(L, SANDBOX_VIEW_KIT_SLOTS), LUA_TUSERDATA);
    int a = pooled_view(L, 1, "a"), b = pooled_view(L, 1, "b");
    assert_false(lua_rawequal(L, a, b));
    sandbox_views_restart(L);
    int c = pooled_view(L, 1, "c"), d = pooled_view(L, 1, "d"), e = pooled_view(L, 1, "e");
    assert_true(lua_rawequal(L, a, c)); /* the same views, in order */
    assert_true(lua_rawequal(L, b, d));
    assert_false(lua_rawequal(L, e, a) || lua_rawequal(L, e, b)); /* a third joins */
    lua_geti(L, a, 1); /* through the kept view: the new data */
    assert_string_equal(lua_tostring(L, -1), "c");
    lua_geti(L, d, 1);
    assert_string_equal(lua_tostring(L, -1), "d");
    lua_geti(L, e, 1);
    assert_string_equal(lua_tostring(L, -1), "e");
    lua_settop(L, e);
    lua_pushcfunction(L, write_first);
    lua_pushvalue(L, c);
    assert_int_not_equal(lua_pcall(L, 1, 0, 0), LUA_OK);
    assert_non_null(strstr(lua_tostring(L, -1), "read-only"));
    lua_settop(L, e);
    lua_geti(L, c, 1);
    assert_string_equal(lua_tostring(L, -1), "c");
    lua_settop(L, e);

    /* a second kit of the same state: the same pool */
    sandbox_views_restart(L);
    int kit2 = lua_gettop(L) + 1;
    sandbox_push_view_kit(L, 1);
    assert_true(lua_rawequal(L, kit2 + SANDBOX_VIEW_KIT_SLOTS - 1, SANDBOX_VIEW_KIT_SLOTS));
    int f = pooled_view(L, kit2, "f");
    assert_true(lua_rawequal(L, f, a));
    lua_settop(L, 0);

    /* without a pool: fresh views only */
    sandbox_push_view_kit(L, 0);
    int g = pooled_view(L, 1, "g");
    sandbox_views_restart(L);
    int h = pooled_view(L, 1, "h");
    assert_false(lua_rawequal(L, g, h));
    lua_settop(L, 0);

    /* bounded: beyond 256 views per case, fresh ones, not kept */
    enum { MANY = 300, POOL = 256, K = SANDBOX_VIEW_KIT_SLOTS };
    sandbox_push_view_kit(L, 1);
    sandbox_views_restart(L);
    luaL_checkstack(L, 2 * MANY + 8, NULL);
    for (int i = 0; i < MANY; i++)
        pooled_view(L, 1, "x");
    sandbox_views_restart(L);
    for (int i = 0; i < MANY; i++)
        pooled_view(L, 1, "y");
    for (int i = 1; i <= MANY; i++)
        assert_int_equal(lua_rawequal(L, K + i, K + MANY + i), i <= POOL);
    lua_close(L);
}

static void test_error_object_nil(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    cr_err err = {{0}};
    const char *src = "error(nil)";
    assert_int_equal(sandbox_dostring(sb, src, strlen(src), "=nil", &err), CR_FAIL);
    assert_string_equal(err.msg, "error object is a nil");
    assert_int_equal(sandbox_last_reason(sb), SANDBOX_ERROR);
    sandbox_free(sb);
}

static void test_dofile_missing(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    cr_err err = {{0}};
    assert_int_equal(sandbox_dofile(sb, "/nonexistent/rule.lua", NULL, &err), CR_FAIL);
    assert_contains(err.msg, "/nonexistent/rule.lua: No such file");
    assert_int_equal(lua_gettop(sandbox_state(sb)), 0);
    sandbox_free(sb);
}

static void test_dofile_skips_bom(void **state)
{
    (void)state;
    sandbox *sb = new_sandbox();
    char path[] = "/tmp/courtrules-bom-XXXXXX";
    cr_err err = {{0}};
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\xEF\xBB\xBFreturn 7", 11), 11);
    close(fd);
    assert_int_equal(sandbox_dofile(sb, path, "=bom", &err), CR_OK);
    assert_int_equal(lua_tointeger(sandbox_state(sb), -1), 7);
    unlink(path);
    sandbox_free(sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_os_execute),
        cmocka_unit_test(test_io_open),
        cmocka_unit_test(test_package_loadlib),
        cmocka_unit_test(test_require_c_module),
        cmocka_unit_test(test_require_so_path),
        cmocka_unit_test(test_require_parent_dir),
        cmocka_unit_test(test_load_binary_chunk),
        cmocka_unit_test(test_require_bytecode_module),
        cmocka_unit_test(test_string_dump),
        cmocka_unit_test(test_debug_getregistry),
        cmocka_unit_test(test_collectgarbage),
        cmocka_unit_test(test_enumerate_globals),
        cmocka_unit_test(test_write_global),
        cmocka_unit_test(test_write_global_at_load),
        cmocka_unit_test(test_pairs_exposes_target),
        cmocka_unit_test(test_setmetatable_globals),
        cmocka_unit_test(test_string_metatable_index),
        cmocka_unit_test(test_string_method_override),
        cmocka_unit_test(test_rawset_readonly),
        cmocka_unit_test(test_override_other_rule_set),
        cmocka_unit_test(test_override_module_function),
        cmocka_unit_test(test_gc_metatable),
        cmocka_unit_test(test_gc_added_later),
        cmocka_unit_test(test_mode_metatable),
        cmocka_unit_test(test_close_metatable),
        cmocka_unit_test(test_infinite_loop),
        cmocka_unit_test(test_infinite_loop_deadline),
        cmocka_unit_test(test_pcall_loop),
        cmocka_unit_test(test_pcall_loop_deadline),
        cmocka_unit_test(test_xpcall_handler_loop),
        cmocka_unit_test(test_coroutine_pcall_loop),
        cmocka_unit_test(test_coroutine_load_time),
        cmocka_unit_test(test_load_time_loop),
        cmocka_unit_test(test_pathological_pattern),
        cmocka_unit_test(test_pathological_pattern_deadline),
        cmocka_unit_test(test_pathological_gmatch),
        cmocka_unit_test(test_balance_quadratic),
        cmocka_unit_test(test_plain_find_quadratic),
        cmocka_unit_test(test_table_move_huge),
        cmocka_unit_test(test_table_insert_len),
        cmocka_unit_test(test_table_sort_c_metamethods),
        cmocka_unit_test(test_table_sort_strings),
        cmocka_unit_test(test_utf8_len_loop),
        cmocka_unit_test(test_utf8_len_loop_deadline),
        cmocka_unit_test(test_metered_error_names),
        cmocka_unit_test(test_string_rep_empty),
        cmocka_unit_test(test_string_rep_huge),
        cmocka_unit_test(test_string_concat_doubling),
        cmocka_unit_test(test_table_concat_huge),
        cmocka_unit_test(test_gsub_expansion),
        cmocka_unit_test(test_string_format_huge),
        cmocka_unit_test(test_memory_table_growth),
        cmocka_unit_test(test_memory_pcall_swallow),
        cmocka_unit_test(test_table_unpack_huge),
        cmocka_unit_test(test_stack_overflow),
        cmocka_unit_test(test_self_reference_result),
        cmocka_unit_test(test_error_tostring_loop),
        cmocka_unit_test(test_error_table_object),
        cmocka_unit_test(test_error_message_binary),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_yield_across_host),
        cmocka_unit_test(test_limits_default),
        cmocka_unit_test(test_new_rejects_zero_limit),
        cmocka_unit_test(test_new_memory_cap_too_small),
        cmocka_unit_test(test_reason_names),
        cmocka_unit_test(test_healthy_rule),
        cmocka_unit_test(test_budget_is_per_call),
        cmocka_unit_test(test_pool_churn_keeps_cap),
        cmocka_unit_test(test_pool_string_cap_below_pooled_sizes),
        cmocka_unit_test(test_call_elapsed_counts_the_call),
        cmocka_unit_test(test_replayable_short_call_runs_once),
        cmocka_unit_test(test_replayable_long_call_runs_again),
        cmocka_unit_test(test_replayable_runaway_is_interrupted),
        cmocka_unit_test(test_replayable_new_coroutine_is_hooked),
        cmocka_unit_test(test_replayable_interrupted_coroutine_survives),
        cmocka_unit_test(test_open_api_is_frozen),
        cmocka_unit_test(test_open_api_error),
        cmocka_unit_test(test_require_caches_readonly_view),
        cmocka_unit_test(test_readonly_view),
        cmocka_unit_test(test_readonly_pairs_iterator),
        cmocka_unit_test(test_readonly_view_contract),
        cmocka_unit_test(test_readonly_view_of_view),
        cmocka_unit_test(test_readonly_fresh_same_view),
        cmocka_unit_test(test_readonly_fresh_pooled),
        cmocka_unit_test(test_error_object_nil),
        cmocka_unit_test(test_dofile_missing),
        cmocka_unit_test(test_dofile_skips_bom),
    };
    return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
