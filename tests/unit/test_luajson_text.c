/*
 * test_luajson_text.c -- the direct text paths against the jansson ones:
 * luajson_push_text must build what json_loadb + luajson_push build, and
 * luajson_encode must write what json_dumps(luajson_to_json) writes, byte
 * for byte, and refuse what it refuses with the same message.
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

#include "luaapi.h"
#include "luajson.h"
#include "luajson_text.h"
#include "sandbox.h"

/* ---- helpers ------------------------------------------------------------ */

/* serialize(v, frozen): a canonical dump through the normal (metamethod)
 * access a rule uses -- pairs, #, ipairs, indexing -- that also checks
 * every table is a read-only view (frozen) or a plain table (not). */
static const char *const lua_helpers =
    "local function ser(v, frozen, out)\n"
    "  local t = type(v)\n"
    "  if t == 'table' then\n"
    "    if frozen then\n"
    "      assert(getmetatable(v) == 'read-only', 'a table is not frozen')\n"
    "      assert(not pcall(function() v.x = 1 end), 'a view takes v.x = 1')\n"
    "      assert(not pcall(function() v[1] = 1 end), 'a view takes v[1] = 1')\n"
    "      assert(not pcall(setmetatable, v, {}), 'a view takes a metatable')\n"
    "      assert(next(v) == nil, 'a view is not empty')\n"
    "    else\n"
    "      assert(getmetatable(v) == nil, 'a plain table has a metatable')\n"
    "    end\n"
    "    local keys, n = {}, 0\n"
    "    for k in pairs(v) do keys[#keys + 1] = k end\n"
    "    for i, x in ipairs(v) do n = i; assert(v[i] == x) end\n"
    "    assert(n == #v, 'ipairs and # disagree')\n"
    "    table.sort(keys, function(a, b)\n"
    "      if type(a) == type(b) then return a < b end\n"
    "      return type(a) < type(b)\n"
    "    end)\n"
    "    out[#out + 1] = '{'\n"
    "    for _, k in ipairs(keys) do\n"
    "      out[#out + 1] = type(k) == 'string' and string.format('%q', k) or tostring(k)\n"
    "      out[#out + 1] = '='\n"
    "      ser(v[k], frozen, out)\n"
    "      out[#out + 1] = ','\n"
    "    end\n"
    "    out[#out + 1] = '}#' .. #v\n"
    "  elseif t == 'number' then\n"
    "    out[#out + 1] = math.type(v) == 'integer' and 'i' .. tostring(v)\n"
    "                    or 'f' .. string.format('%.17g', v)\n"
    "  elseif t == 'string' then\n"
    "    out[#out + 1] = string.format('%q', v)\n"
    "  else\n"
    "    out[#out + 1] = tostring(v)\n"
    "  end\n"
    "end\n"
    "function serialize(v, frozen)\n"
    "  local out = {}\n"
    "  ser(v, frozen, out)\n"
    "  return table.concat(out)\n"
    "end\n";

static int lua_readonly(lua_State *L)
{
    sandbox_push_readonly(L, 1);
    return 1;
}

static int setup(void **state)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_register(L, "readonly", lua_readonly);
    if (luaL_dostring(L, lua_helpers) != LUA_OK)
        print_error("%s\n", lua_tostring(L, -1));
    lua_settop(L, 0);
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
    if (luaL_dostring(L, src) != LUA_OK) {
        print_error("%s: %s\n", expr, lua_tostring(L, -1));
        fail();
    }
}

/* The reference: json_dumps(luajson_to_json(...)). */
static char *reference_encode(lua_State *L, int idx, const luajson_limits *limits, cr_err *err)
{
    json_t *json = luajson_to_json(L, idx, limits, err);
    char *text = json ? json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(json);
    return text;
}

/* One buffer for every luajson_encode_append check, so its scratch space is
 * reused from value to value as the evaluator reuses it from rule to rule. */
static luajson_buffer append_buffer;

/* luajson_encode_append writes luajson_encode's text (expected, NULL if it
 * refused) after what the buffer holds, or refuses and leaves it as it was. */
static void assert_append_same(lua_State *L, int idx, const luajson_limits *limits,
                               const char *expected, const char *what)
{
    static const char prefix[] = "\"before\"";
    cr_err err = {{0}};
    int top = lua_gettop(L);
    append_buffer.len = 0;
    lua_pushliteral(L, "before");
    assert_int_equal(luajson_encode_append(L, -1, NULL, &append_buffer, &err), CR_OK);
    lua_pop(L, 1);
    cr_status st = luajson_encode_append(L, idx, limits, &append_buffer, &err);
    assert_int_equal(lua_gettop(L), top);
    if ((st == CR_OK) != (expected != NULL) ||
        (expected && strcmp(append_buffer.text + sizeof prefix - 1, expected) != 0)) {
        print_error("%s:\n  luajson_encode_append: %s\n  luajson_encode:        %s\n", what,
                    st == CR_OK ? append_buffer.text + sizeof prefix - 1 : err.msg,
                    expected ? expected : "(refused)");
        fail();
    }
    assert_memory_equal(append_buffer.text, prefix, sizeof prefix - 1);
    if (expected)
        assert_int_equal(append_buffer.len, sizeof prefix - 1 + strlen(expected));
    else
        assert_int_equal(append_buffer.len, sizeof prefix - 1);
    assert_int_equal(append_buffer.text[append_buffer.len], '\0');
}

/* luajson_encode and the reference agree on the value at idx: the same
 * bytes, or the same refusal. Returns the text (caller frees) or NULL. */
static char *assert_encode_same(lua_State *L, int idx, const luajson_limits *limits,
                                const char *what)
{
    cr_err mine_err = {{0}}, ref_err = {{0}};
    int top = lua_gettop(L);
    size_t len = 0;
    char *mine = luajson_encode(L, idx, limits, &len, &mine_err);
    assert_int_equal(lua_gettop(L), top);
    char *ref = reference_encode(L, idx, limits, &ref_err);
    if ((mine == NULL) != (ref == NULL) || (mine && strcmp(mine, ref) != 0) ||
        (!mine && strcmp(mine_err.msg, ref_err.msg) != 0)) {
        print_error("%s:\n  luajson_encode: %s\n  reference:      %s\n", what,
                    mine ? mine : mine_err.msg, ref ? ref : ref_err.msg);
        fail();
    }
    if (mine)
        assert_int_equal(len, strlen(mine));
    free(ref);
    assert_append_same(L, idx, limits, mine, what);
    return mine;
}

static void assert_expr_encodes(lua_State *L, const char *expr, const char *expected)
{
    eval(L, expr);
    char *text = assert_encode_same(L, -1, NULL, expr);
    if (!text || strcmp(text, expected) != 0) {
        print_error("%s: got %s, expected %s\n", expr, text ? text : "(refused)", expected);
        fail();
    }
    free(text);
    lua_settop(L, 0);
}

static void assert_expr_refused(lua_State *L, const char *expr, const luajson_limits *limits,
                                const char *message)
{
    cr_err err = {{0}};
    eval(L, expr);
    char *text = assert_encode_same(L, -1, limits, expr);
    assert_null(text);
    assert_null(luajson_encode(L, -1, limits, NULL, &err));
    if (!strstr(err.msg, message)) {
        print_error("%s: expected \"%s\" in \"%s\"\n", expr, message, err.msg);
        fail();
    }
    lua_settop(L, 0);
}

/* serialize(value at idx, frozen) through the rule-visible access. */
static char *serialize(lua_State *L, int idx, int frozen)
{
    idx = lua_absindex(L, idx);
    lua_getglobal(L, "serialize");
    lua_pushvalue(L, idx);
    lua_pushboolean(L, frozen);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        print_error("serialize: %s\n", lua_tostring(L, -1));
        fail();
    }
    char *s = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    return s;
}

static int push_frozen_json_protected(lua_State *L)
{
    cr_err err;
    if (!luaapi_push_frozen_json(L, lua_touserdata(L, 1), &err))
        return luaL_error(L, "%s", err.msg);
    return 1;
}

/* The old path for case data: luaapi_push_frozen_json, in protected mode. */
static void push_frozen_json(lua_State *L, json_t *json)
{
    lua_pushcfunction(L, push_frozen_json_protected);
    lua_pushlightuserdata(L, json);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        print_error("luaapi_push_frozen_json: %s\n", lua_tostring(L, -1));
        fail();
    }
}

/*
 * The text parses as jansson parses it: both pushes encode the same (by both
 * encoders), and frozen, both read the same through views.
 */
static void assert_parse_same(lua_State *L, const char *text, size_t len)
{
    json_error_t jerr;
    cr_err err = {{0}};
    json_t *json = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!json) {
        print_error("corpus text refused by jansson: %s: %.*s\n", jerr.text, (int)len, text);
        fail();
    }
    int top = lua_gettop(L);
    if (luajson_push(L, json, NULL, &err) != CR_OK) {
        print_error("luajson_push: %s\n", err.msg);
        fail();
    }
    if (luajson_push_text(L, text, len, LUAJSON_TEXT_PLAIN, NULL, &err) != CR_OK) {
        print_error("luajson_push_text: %s: %.*s\n", err.msg, (int)len, text);
        fail();
    }
    assert_int_equal(lua_gettop(L), top + 2);
    char *old_text = assert_encode_same(L, top + 1, NULL, "pushed from jansson");
    char *new_text = assert_encode_same(L, top + 2, NULL, "pushed from text");
    assert_non_null(old_text);
    assert_non_null(new_text);
    assert_string_equal(new_text, old_text);
    char *old_dump = serialize(L, top + 1, 0), *new_dump = serialize(L, top + 2, 0);
    assert_string_equal(new_dump, old_dump);

    push_frozen_json(L, json);
    assert_int_equal(luajson_push_text(L, text, len, LUAJSON_TEXT_FROZEN, NULL, &err), CR_OK);
    char *old_frozen = serialize(L, top + 3, 1), *new_frozen = serialize(L, top + 4, 1);
    assert_string_equal(new_frozen, old_frozen);
    assert_string_equal(new_frozen, new_dump); /* the same data through the views */

    free(old_text);
    free(new_text);
    free(old_dump);
    free(new_dump);
    free(old_frozen);
    free(new_frozen);
    json_decref(json);
    lua_settop(L, top);
}

static void assert_parse_refused_with(lua_State *L, const char *text, size_t len,
                                      const luajson_limits *limits, const char *message,
                                      long offset)
{
    cr_err err = {{0}};
    int top;
    lua_pushliteral(L, "below"); /* the stack must come back as it was */
    top = lua_gettop(L);
    cr_status st = luajson_push_text(L, text, len, LUAJSON_TEXT_FROZEN, limits, &err);
    if (st != CR_INVALID) {
        print_error("%.*s: status %d (%s), expected CR_INVALID\n", (int)len, text, st,
                    st == CR_OK ? "accepted" : err.msg);
        fail();
    }
    assert_int_equal(lua_gettop(L), top);
    assert_string_equal(lua_tostring(L, -1), "below");
    char at[64];
    snprintf(at, sizeof at, "at byte %ld", offset);
    if (!strstr(err.msg, message) || !strstr(err.msg, at)) {
        print_error("%.*s: expected \"%s\" %s in \"%s\"\n", (int)len, text, message, at, err.msg);
        fail();
    }
    lua_settop(L, 0);
}

static void assert_parse_refused(lua_State *L, const char *text, const char *message, long offset)
{
    assert_parse_refused_with(L, text, strlen(text), NULL, message, offset);
}

/* The lines of examples/sample.jsonl (caller frees lines[i] and lines). */
static char **read_sample(size_t *n)
{
    const char *dir = getenv("COURTRULES_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/sample.jsonl", dir ? dir : COURTRULES_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    if (!f) {
        print_error("cannot open %s\n", path);
        fail();
    }
    char **lines = NULL, *line = NULL;
    size_t cap = 0, count = 0, line_cap = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 256;
            lines = realloc(lines, cap * sizeof *lines);
        }
        lines[count++] = strdup(line);
    }
    free(line);
    fclose(f);
    assert_true(count > 100);
    *n = count;
    return lines;
}

static void free_lines(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* ---- parsing: the same values as json_loadb + luajson_push -------------- */

static const char *const valid_texts[] = {
    "{}",
    "[]",
    "0",
    "-0",
    "-0.0",
    "1.0",
    "3.0",
    "1e2",
    "1E+2",
    "1e-2",
    "0.1",
    "-12.5e-3",
    "123456789012345678",
    "9223372036854775807",
    "-9223372036854775808",
    "1.7976931348623157e308",
    "5e-324",
    "1e-400",
    "true",
    "false",
    "null",
    "\"\"",
    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u4E2D\\ud83d\\ude00\\u007f\\u001f\"",
    "\"民初😀 \x7f\"",
    "\"mixed 民 and \\n escape\"",
    "{\"a\":null}",
    "{\"a\":null,\"b\":1,\"c\":null}",
    "{\"\":1,\"\\u0041\":2,\"a b\":3,\"é\":4}",
    "[[],[{}],{\"x\":[1,[2,[3]]]},\"s\",true,false,-1,0.5]",
    " \t\n\r[ 1 , 2 ,\n3 ]\r\n ",
    "{ \"a\" : { \"b\" : { \"c\" : [ 1 , { \"d\" : null } ] } } }",
    "[9223372036854775807,-9223372036854775808,0,-0,1e0]",
    "{\"events\":[{\"at\":\"2024-04-02T15:10:30+08:00\",\"event\":\"assigned\"}],"
    "\"claim_amount\":13912.5}",
};

static void test_parse_valid_texts(void **state)
{
    for (size_t i = 0; i < sizeof valid_texts / sizeof *valid_texts; i++)
        assert_parse_same(*state, valid_texts[i], strlen(valid_texts[i]));
}

static void test_parse_sample_docs(void **state)
{
    size_t n;
    char **lines = read_sample(&n);
    for (size_t i = 0; i < n; i++)
        assert_parse_same(*state, lines[i], strlen(lines[i]));
    free_lines(lines, n);
}

/* Strings that a cache of recent strings could confuse: of every length up
 * to 26 bytes, several of each length that differ in one byte only (past
 * byte 8 and before the last 8 when they are longer than 16), as keys and
 * values, parsed again and again in one state so that later texts find the
 * earlier strings cached. Each must still come out as itself. */
static void test_parse_similar_strings(void **state)
{
    lua_State *L = *state;
    char strings[27 * 4][32];
    size_t n = 0;
    for (size_t len = 0; len <= 26; len++)
        for (int variant = 0; variant < (len ? 4 : 1); variant++) {
            memset(strings[n], 'k', len);
            if (len)
                strings[n][len > 16 ? 8 + variant % (len - 16) : len / 2] = (char)('a' + variant);
            strings[n++][len] = '\0';
        }
    for (size_t round = 0; round < 4; round++) {
        char text[8192], *p = text;
        p += sprintf(p, "[{");
        for (size_t i = 0; i < n; i++)
            p += sprintf(p, "%s\"%s\":\"%s\"", i ? "," : "", strings[i], strings[(i + round) % n]);
        p += sprintf(p, "},[");
        for (size_t i = 0; i < n; i++)
            p += sprintf(p, "%s\"%s\"", i ? "," : "", strings[(i * 7 + round) % n]);
        sprintf(p, "]]");
        assert_parse_same(L, text, strlen(text));
    }
}

/* Containers larger than a stack chunk: drained in several steps. */
static void test_parse_large_containers(void **state)
{
    lua_State *L = *state;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "{\"array\":[");
    for (int i = 0; i < 10000; i++) {
        char num[32];
        snprintf(num, sizeof num, "%s%d", i ? "," : "", i * 7 - 3000);
        luaL_addstring(&b, num);
    }
    luaL_addstring(&b, "],\"object\":{");
    for (int i = 0; i < 5000; i++) {
        char member[64];
        snprintf(member, sizeof member, "%s\"k%d\":%s", i ? "," : "", i,
                 i % 7 == 0   ? "null"
                 : i % 3 == 0 ? "[1,{}]"
                              : "\"v\"");
        luaL_addstring(&b, member);
    }
    luaL_addstring(&b, "}}");
    luaL_pushresult(&b);
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    assert_parse_same(L, text, len);
    lua_settop(L, 0);
}

/* The keys (strings) of the table at idx in next()'s order, one per line,
 * pushed as one string. */
static const char *push_next_order(lua_State *L, int idx)
{
    char *order = NULL;
    size_t len = 0;
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        size_t key_len;
        const char *key = lua_tolstring(L, -2, &key_len);
        assert_non_null(key);
        order = realloc(order, len + key_len + 1);
        assert_non_null(order);
        memcpy(order + len, key, key_len);
        len += key_len;
        order[len++] = '\n';
        lua_pop(L, 1);
    }
    lua_pushlstring(L, order ? order : "", len);
    free(order);
    return lua_tostring(L, -1);
}

/*
 * pairs() order is visible to rules, and it follows from a table's size
 * hint and the order its keys went in: an object of n members must come
 * out as the constructor {k1 = v1, ..., kn = vn} builds it (a table sized
 * for n, filled in text order), its null members set and then cleared;
 * one larger than a stack chunk (1,024 members) as that constructor for
 * the first 1,024 and assignments for the rest.
 */
static void test_parse_pairs_order_as_constructed(void **state)
{
    lua_State *L = *state;
    static const int sizes[] = {1, 2, 3, 5, 8, 9, 16, 17, 31, 32, 33, 40, 100, 1024, 1100};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        for (int with_nulls = 0; with_nulls <= 1; with_nulls++) {
            int n = sizes[s];
            luaL_Buffer text, source;
            char member[64];
            luaL_buffinit(L, &text);
            luaL_addchar(&text, '{');
            for (int i = 0; i < n; i++) {
                int is_null = with_nulls && i % 3 == 1;
                /* short and long keys, so both intern and not */
                snprintf(member, sizeof member, "%s\"%s%d\":%s", i ? "," : "",
                         i % 5 == 4 ? "a_key_longer_than_forty_bytes_of_text_____" : "k",
                         (i * 7919) % 10007,
                         is_null      ? "null"
                         : i % 4 == 0 ? "\"v\""
                                      : "1");
                luaL_addstring(&text, member);
            }
            luaL_addchar(&text, '}');
            luaL_pushresult(&text);
            luaL_buffinit(L, &source);
            luaL_addstring(&source, "local t = {\n");
            for (int i = 0; i < n; i++) {
                if (i == 1024)
                    luaL_addstring(&source, "}\n");
                snprintf(member, sizeof member, "%s[\"%s%d\"]=%s%s", i >= 1024 ? "t" : "",
                         i % 5 == 4 ? "a_key_longer_than_forty_bytes_of_text_____" : "k",
                         (i * 7919) % 10007, i % 4 == 0 ? "'v'" : "1", i < 1024 ? ",\n" : "\n");
                luaL_addstring(&source, member);
            }
            if (n <= 1024)
                luaL_addstring(&source, "}\n");
            for (int i = 1; with_nulls && i < n; i += 3) {
                snprintf(member, sizeof member, "t[\"%s%d\"]=nil\n",
                         i % 5 == 4 ? "a_key_longer_than_forty_bytes_of_text_____" : "k",
                         (i * 7919) % 10007);
                luaL_addstring(&source, member);
            }
            luaL_addstring(&source, "return t");
            luaL_pushresult(&source);
            int top = lua_gettop(L);
            if (luaL_dostring(L, lua_tostring(L, -1)) != LUA_OK) {
                print_error("%s\n", lua_tostring(L, -1));
                fail();
            }
            size_t len;
            const char *json = lua_tolstring(L, top - 1, &len);
            assert_int_equal(luajson_push_text(L, json, len, LUAJSON_TEXT_PLAIN, NULL, NULL),
                             CR_OK);
            char *expected = strdup(push_next_order(L, top + 1));
            if (strcmp(push_next_order(L, top + 2), expected) != 0) {
                print_error("%d members%s: pairs() order differs\n", n,
                            with_nulls ? " with nulls" : "");
                fail();
            }
            /* nested and frozen: [{"x":[object]}, object], through the views' targets */
            lua_settop(L, top);
            lua_pushfstring(L, "[{\"x\":[%s]},%s]", json, json);
            json = lua_tolstring(L, -1, &len);
            assert_int_equal(luajson_push_text(L, json, len, LUAJSON_TEXT_FROZEN, NULL, NULL),
                             CR_OK);
            assert_true(sandbox_readonly_target(L, top + 2));
            lua_rawgeti(L, top + 3, 2);
            assert_true(sandbox_readonly_target(L, -1));
            assert_string_equal(push_next_order(L, -1), expected);
            lua_rawgeti(L, top + 3, 1);
            assert_true(sandbox_readonly_target(L, -1));
            lua_getfield(L, -1, "x"); /* the target is a plain table: a raw read */
            assert_true(sandbox_readonly_target(L, -1));
            lua_rawgeti(L, -1, 1);
            assert_true(sandbox_readonly_target(L, -1));
            assert_string_equal(push_next_order(L, -1), expected);
            free(expected);
            lua_settop(L, 0);
        }
    }
}

/* Integers beyond lua_Integer become floats (jansson refuses them). */
static void test_parse_big_integers_are_floats(void **state)
{
    lua_State *L = *state;
    const char *text = "[18446744073709551616,-9223372036854775809,9223372036854775808]";
    cr_err err = {{0}};
    assert_int_equal(luajson_push_text(L, text, strlen(text), 0, NULL, &err), CR_OK);
    char *dump = serialize(L, -1, 0);
    assert_string_equal(dump, "{1=f1.8446744073709552e+19,2=f-9.2233720368547758e+18,"
                              "3=f9.2233720368547758e+18,}#3");
    free(dump);
    lua_settop(L, 0);
}

/* FROZEN_BELOW: the outermost table stays writable, everything in it is a view. */
static void test_parse_frozen_below(void **state)
{
    lua_State *L = *state;
    const char *text = "{\"a\":{\"b\":[1,{\"c\":2}]},\"d\":1}";
    cr_err err = {{0}};
    assert_int_equal(
        luajson_push_text(L, text, strlen(text), LUAJSON_TEXT_FROZEN_BELOW, NULL, &err), CR_OK);
    assert_null(lua_getmetatable(L, -1) ? "outer table has a metatable" : NULL);
    lua_getfield(L, -1, "a");
    char *dump = serialize(L, -1, 1);
    assert_string_equal(dump, "{\"b\"={1=i1,2={\"c\"=i2,}#0,}#2,}#0");
    free(dump);
    lua_settop(L, 0);
}

/* The text path for build_case (the replacement offered for eval_worker.c),
 * against the old one: json_copy + json_object_set + luaapi_push_frozen_json. */
static int new_build_case(lua_State *L)
{
    const char *doc = lua_touserdata(L, 1);
    const char *events = lua_touserdata(L, 2);
    cr_err err;
    lua_settop(L, 0);
    if (doc[strspn(doc, " \t\r\n")] != '{')
        return luaL_error(L, "case data: not a JSON object");
    if (luajson_push_text(L, doc, strlen(doc), LUAJSON_TEXT_FROZEN_BELOW, NULL, &err) != CR_OK)
        return luaL_error(L, "case data: %s", err.msg);
    if (luajson_push_text(L, events, strlen(events), LUAJSON_TEXT_FROZEN, NULL, &err) != CR_OK)
        return luaL_error(L, "case events: %s", err.msg);
    lua_pushliteral(L, "events");
    lua_insert(L, -2);
    lua_rawset(L, 1);
    sandbox_push_readonly(L, 1);
    return 1;
}

static int old_build_case(lua_State *L)
{
    const json_t *doc = lua_touserdata(L, 1);
    const json_t *events = lua_touserdata(L, 2);
    lua_settop(L, 0);
    json_t *with_events = json_copy((json_t *)doc);
    json_object_set(with_events, "events", (json_t *)events);
    cr_err err;
    int ok = luaapi_push_frozen_json(L, with_events, &err);
    json_decref(with_events);
    if (!ok)
        return luaL_error(L, "case data: %s", err.msg);
    return 1;
}

static void test_build_case_replacement(void **state)
{
    lua_State *L = *state;
    size_t n, cases = 0;
    char **lines = read_sample(&n);
    for (size_t i = 0; i < n; i++) {
        if (!strstr(lines[i], "\"type\":\"case\""))
            continue;
        json_t *doc = json_loads(lines[i], 0, NULL), *events = json_array();
        const char *case_no = json_string_value(json_object_get(doc, "case_no"));
        for (size_t j = 0; j < n; j++) {
            json_t *e = json_loads(lines[j], 0, NULL);
            const char *of = json_string_value(json_object_get(e, "case_no"));
            if (strcmp(json_string_value(json_object_get(e, "type")), "event") == 0 && of &&
                strcmp(of, case_no) == 0)
                json_array_append(events, e);
            json_decref(e);
        }
        char *events_text = json_dumps(events, JSON_COMPACT);

        lua_pushcfunction(L, old_build_case);
        lua_pushlightuserdata(L, doc);
        lua_pushlightuserdata(L, events);
        assert_int_equal(lua_pcall(L, 2, 1, 0), LUA_OK);
        lua_pushcfunction(L, new_build_case);
        lua_pushlightuserdata(L, lines[i]);
        lua_pushlightuserdata(L, events_text);
        if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
            print_error("%s\n", lua_tostring(L, -1));
            fail();
        }
        char *old_dump = serialize(L, 1, 1), *new_dump = serialize(L, 2, 1);
        assert_string_equal(new_dump, old_dump);
        assert_non_null(strstr(new_dump, "\"events\"={"));
        free(old_dump);
        free(new_dump);
        free(events_text);
        json_decref(doc);
        json_decref(events);
        lua_settop(L, 0);
        if (++cases == 40) /* quadratic in the sample: a sample of it is enough */
            break;
    }
    assert_true(cases > 0);
    free_lines(lines, n);
}

/* Random mutations of sample lines: accepted exactly when jansson (with
 * duplicates refused) and luajson_push accept, and then the same values. */
static void test_parse_mutations_agree_with_jansson(void **state)
{
    lua_State *L = *state;
    static const char alphabet[] = "{}[],:\"\\ -.eE0123456789tfnul\x00\xff\xc3\xa9\n";
    size_t n, accepted = 0;
    char **lines = read_sample(&n);
    for (int round = 0; round < 30000; round++) {
        const char *src = lines[rng() % n];
        size_t len = strlen(src);
        char buf[8192];
        if (len + 16 > sizeof buf)
            continue;
        memcpy(buf, src, len);
        for (int k = 0, edits = 1 + (int)(rng() % 3); k < edits; k++) {
            size_t at = rng() % (len + 1);
            switch (rng() % 4) {
            case 0: /* delete */
                if (at < len) {
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                }
                break;
            case 1: /* insert */
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = alphabet[rng() % (sizeof alphabet - 1)];
                len++;
                break;
            case 2: /* replace */
                if (at < len)
                    buf[at] = alphabet[rng() % (sizeof alphabet - 1)];
                break;
            default: /* truncate */
                len = at;
                break;
            }
        }
        json_error_t jerr;
        cr_err err = {{0}};
        json_t *json = json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
        int jansson_ok = json && luajson_push(L, json, NULL, &err) == CR_OK;
        if (jansson_ok)
            lua_pop(L, 1);
        cr_status st = luajson_push_text(L, buf, len, 0, NULL, &err);
        assert_int_equal(lua_gettop(L), st == CR_OK ? 1 : 0);
        lua_settop(L, 0);
        if (jansson_ok != (st == CR_OK) && !(!json && strstr(jerr.text, "too big"))) {
            print_error("disagree (jansson %s, text %s): %.*s\n",
                        jansson_ok ? "accepts" : jerr.text, st == CR_OK ? "accepts" : err.msg,
                        (int)len, buf);
            fail();
        }
        if (jansson_ok) {
            assert_parse_same(L, buf, len);
            accepted++;
        }
        json_decref(json);
    }
    assert_true(accepted > 100); /* the mutations do not all break the text */
    free_lines(lines, n);
}

/* ---- parsing: refusals ------------------------------------------------- */

static void test_parse_truncated(void **state)
{
    lua_State *L = *state;
    assert_parse_refused(L, "", "unexpected end of text", 0);
    assert_parse_refused(L, "  \n", "unexpected end of text", 3);
    assert_parse_refused(L, "{", "a string key expected", 1);
    assert_parse_refused(L, "{\"a\"", "':' expected after the key at byte 4 (in .a)", 4);
    assert_parse_refused(L, "{\"a\":", "unexpected end of text (a value expected)", 5);
    assert_parse_refused(L, "{\"a\":1", "',' or '}' expected", 6);
    assert_parse_refused(L, "[1,2", "',' or ']' expected", 4);
    assert_parse_refused(L, "[1,", "unexpected end of text", 3);
    assert_parse_refused(L, "\"abc", "unterminated string", 0);
    assert_parse_refused(L, "\"abc\\", "unterminated string", 4);
    assert_parse_refused(L, "[\"民", "unterminated string", 1);
    assert_parse_refused(L, "tru", "invalid value", 0);
    assert_parse_refused(L, "nul", "invalid value", 0);
    assert_parse_refused(L, "-", "invalid number", 0);
    assert_parse_refused(L, "1.", "invalid number", 0);
    assert_parse_refused(L, "1e", "invalid number", 0);
    assert_parse_refused(L, "1e+", "invalid number", 0);
    /* the length given, not the NUL, ends the text */
    assert_parse_refused_with(L, "[1,2]", 3, NULL, "unexpected end of text", 3);
}

static void test_parse_bad_escapes_and_surrogates(void **state)
{
    lua_State *L = *state;
    assert_parse_refused(L, "\"a\\x\"", "invalid escape", 2);
    assert_parse_refused(L, "\"\\'\"", "invalid escape", 1);
    assert_parse_refused(L, "\"\\u12\"", "invalid \\u escape", 1);
    assert_parse_refused(L, "\"\\u12g4\"", "invalid \\u escape", 1);
    assert_parse_refused(L, "[\"\\uD800\"]",
                         "lone surrogate \\uD800 (no low surrogate follows) at byte 2 (in [1])", 2);
    assert_parse_refused(L, "\"\\ud800\\u0041\"", "lone surrogate", 1);
    assert_parse_refused(L, "\"\\ud800\\ud800\"", "lone surrogate", 1);
    assert_parse_refused(L, "\"ab\\uDC00\"", "lone surrogate \\uDC00", 3);
    assert_parse_refused(L, "\"\\u0000\"", "\\u0000 in a string", 1);
    assert_parse_refused(L, "{\"a\\u0000\":1}", "\\u0000 in a string", 3);
}

static void test_parse_invalid_utf8(void **state)
{
    lua_State *L = *state;
    assert_parse_refused(L, "\"\xff\"", "invalid UTF-8", 1);
    assert_parse_refused(L, "\"ab\x80\"", "invalid UTF-8", 3);
    assert_parse_refused(L, "\"\xc0\xaf\"", "invalid UTF-8", 1);         /* overlong '/' */
    assert_parse_refused(L, "\"\xe0\x80\xaf\"", "invalid UTF-8", 1);     /* overlong */
    assert_parse_refused(L, "\"\xed\xa0\x80\"", "invalid UTF-8", 1);     /* a surrogate */
    assert_parse_refused(L, "\"\xf4\x90\x80\x80\"", "invalid UTF-8", 1); /* > U+10FFFF */
    assert_parse_refused(L, "\"\xe4\xb8\"", "invalid UTF-8", 1);         /* cut short */
    assert_parse_refused(L, "{\"\xe4\":1}", "invalid UTF-8", 2);         /* in a key */
    /* past the first 8-byte word, inside and after a run of CJK text */
    assert_parse_refused(L, "\"abcdefghij\xff\"", "invalid UTF-8", 11);
    assert_parse_refused(L, "\"民初\xe4\xb8民\"", "invalid UTF-8", 7);
    assert_parse_refused(L, "\"民\x80\"", "invalid UTF-8", 4);
    assert_parse_refused(L, "\"民初abc\x80\"", "invalid UTF-8", 10);
    assert_parse_refused(L, "\"a\\n\xff\"", "invalid UTF-8", 4); /* after an escape */
    assert_parse_refused(L, "\"a\nb\"", "control character 0x0a", 2);
    assert_parse_refused_with(L, "\"a\0b\"", 5, NULL, "control character 0x00", 2);
    assert_parse_refused(L, "\xef\xbb\xbf{}", "invalid value", 0); /* no BOM */
}

static void test_parse_duplicate_keys(void **state)
{
    lua_State *L = *state;
    assert_parse_refused(L, "{\"a\":1,\"a\":2}", "duplicate key at byte 7 (in .a)", 7);
    assert_parse_refused(L, "{\"a\":null,\"a\":2}", "duplicate key", 10);
    assert_parse_refused(L, "{\"a\":1,\"a\":null}", "duplicate key", 7);
    assert_parse_refused(L, "{\"a\":null,\"a\":null}", "duplicate key", 10);
    assert_parse_refused(L, "{\"x\":[{\"k\":1,\"\\u006b\":1}]}", "duplicate key", 13);
    assert_parse_refused(L, "{\"x\":{\"a b\":1,\"a b\":1}}", "(in .x[\"a b\"])", 14);
    /* a small object's keys are compared among themselves: empty keys, keys
     * longer than Lua interns, the second of three, equal lengths */
    assert_parse_refused(L, "{\"\":1,\"\":2}", "duplicate key", 6);
    assert_parse_refused(L,
                         "{\"k123456789012345678901234567890123456789012345\":1,"
                         "\"k123456789012345678901234567890123456789012345\":2}",
                         "duplicate key", 52);
    assert_parse_refused(L, "{\"a\":1,\"b\":2,\"a\":3,\"a\":4}", "duplicate key", 13);
    assert_parse_refused(L, "{\"court\":1,\"cause\":2,\"court\":3}", "duplicate key", 21);
    assert_int_equal(luajson_push_text(L, "{\"court\":1,\"cause\":2,\"a\":3,\"b\":4}", 33,
                                       LUAJSON_TEXT_PLAIN, NULL, NULL),
                     CR_OK);
    lua_settop(L, 0);
    /* keys decoded from escapes: each compared as Lua holds it, not as the
     * scratch buffer (reused by the next escaped key) last held it */
    assert_parse_refused(L, "{\"\\u0061b\":1,\"ab\":2}", "duplicate key", 13);
    assert_parse_refused(L, "{\"\\u0061\":1,\"\\u0062\":2,\"\\u0061\":3}", "duplicate key", 23);
    assert_parse_refused(L,
                         "{\"k12345678901234567890123456789012345678901234\\u0035\":1,"
                         "\"k123456789012345678901234567890123456789012345\":2}",
                         "duplicate key", 57);
    /* keys of one length, first and last byte: compared, and distinct */
    const char *one_bucket = "{\"axb\":1,\"ayb\":2,\"azb\":3,\"a\\u0078c\":4}";
    assert_int_equal(
        luajson_push_text(L, one_bucket, strlen(one_bucket), LUAJSON_TEXT_PLAIN, NULL, NULL),
        CR_OK);
    lua_settop(L, 0);
    assert_parse_refused(L, "{\"axb\":1,\"ayb\":2,\"azb\":3,\"ayb\":4}", "duplicate key", 25);
    /* 32 members (compared) and 33 (looked up), the last one repeating the first */
    for (int n = 31; n <= 33; n++) {
        char text[512];
        int used = snprintf(text, sizeof text, "{\"m0\":0");
        for (int i = 1; i < n; i++)
            used += snprintf(text + used, sizeof text - (size_t)used, ",\"m%d\":%d", i, i);
        int last = used + 1;
        snprintf(text + used, sizeof text - (size_t)used, ",\"m0\":1}");
        assert_parse_refused(L, text, "duplicate key at byte", last);
    }
    /* across chunks of a large object */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "{\"dup\":0");
    for (int i = 0; i < 3000; i++) {
        char member[32];
        snprintf(member, sizeof member, ",\"k%d\":%d", i, i);
        luaL_addstring(&b, member);
    }
    luaL_addstring(&b, ",\"dup\":1}");
    luaL_pushresult(&b);
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    char *copy = strdup(text);
    lua_settop(L, 0);
    assert_parse_refused_with(L, copy, len, NULL, "duplicate key", (long)(len - 8));
    free(copy);
}

static void test_parse_null_in_array(void **state)
{
    lua_State *L = *state;
    assert_parse_refused(L, "[1,null]", "null inside an array (it would leave a hole)", 3);
    assert_parse_refused(L, "[null]", "(in [1])", 1);
    assert_parse_refused(L, "{\"e\":[{\"x\":[2,null]}]}",
                         "null inside an array (it would leave a hole) at byte 14 (in .e[1].x[2])",
                         14);
}

static void test_parse_limits(void **state)
{
    lua_State *L = *state;
    luajson_limits limits = luajson_limits_default();
    char deep[128];
    /* 32 nested arrays pass, 33 do not (as luajson_push) */
    memset(deep, '[', 32);
    memset(deep + 32, ']', 32);
    assert_parse_same(L, deep, 64);
    memset(deep, '[', 33);
    memset(deep + 33, ']', 33);
    assert_parse_refused_with(L, deep, 66, NULL, "data nested deeper than 32 levels", 32);
    limits.max_depth = 2;
    assert_parse_refused_with(L, "{\"a\":{\"b\":{}}}", 14, &limits,
                              "nested deeper than 2 levels at byte 10 (in .a.b)", 10);
    limits = luajson_limits_default();
    limits.max_values = 3;
    assert_parse_refused_with(L, "[1,2,3]", 7, &limits, "more than 3 values", 5);
    assert_parse_refused_with(L, "{\"a\":null,\"b\":null,\"c\":1,\"d\":2,\"e\":3}", 37, &limits,
                              "more than 3 values", 35);
    limits = luajson_limits_default();
    limits.max_string_bytes = 5;
    assert_parse_refused_with(L, "{\"abc\":\"def\"}", 13, &limits, "more than 5 bytes", 7);
}

static void test_parse_trailing_garbage(void **state)
{
    lua_State *L = *state;
    assert_parse_refused(L, "[1] x", "unexpected text after the JSON value", 4);
    assert_parse_refused(L, "{} {}", "unexpected text after the JSON value", 3);
    assert_parse_refused(L, "nullx", "unexpected text after the JSON value", 4);
    assert_parse_refused(L, "1 2", "unexpected text after the JSON value", 2);
    assert_parse_refused(L, "01", "leading zero", 0);
    assert_parse_refused(L, "+1", "invalid value", 0);
    assert_parse_refused(L, ".5", "invalid value", 0);
    assert_parse_refused(L, "NaN", "invalid value", 0);
    assert_parse_refused(L, "[Infinity]", "invalid value", 1);
    assert_parse_refused(L, "1e999", "number out of range", 0);
    assert_parse_refused(L, "[-1e999]", "number out of range", 1);
    assert_parse_refused(L, "'a'", "invalid value", 0);
    assert_parse_refused(L, "[1 2]", "',' or ']' expected", 3);
    assert_parse_refused(L, "[1,]", "invalid value", 3);
    assert_parse_refused(L, "{\"a\" 1}", "':' expected", 5);
    assert_parse_refused(L, "{a:1}", "a string key expected", 1);
    assert_parse_refused(L, "{\"a\":1,}", "a string key expected", 7);
}

/* Out of memory under the sandbox's cap: CR_FAIL, the stack as it was, and
 * the state usable afterwards. */
static void test_parse_out_of_memory(void **state)
{
    (void)state;
    sandbox_limits limits = sandbox_limits_default();
    cr_err err = {{0}};
    limits.memory_bytes = (size_t)2 << 20;
    sandbox *sb = sandbox_new(&limits, NULL, NULL, NULL, &err);
    assert_non_null(sb);
    lua_State *L = sandbox_state(sb);
    size_t len = (size_t)4 << 20;
    char *text = malloc(len);
    text[0] = '"';
    memset(text + 1, 'x', len - 2);
    text[len - 1] = '"';
    int top = lua_gettop(L);
    assert_int_equal(luajson_push_text(L, text, len, LUAJSON_TEXT_FROZEN, NULL, &err), CR_FAIL);
    assert_non_null(strstr(err.msg, "out of memory"));
    assert_int_equal(lua_gettop(L), top);
    assert_int_equal(luajson_push_text(L, "{\"a\":[1]}", 9, LUAJSON_TEXT_FROZEN, NULL, &err),
                     CR_OK);
    lua_settop(L, top);
    free(text);
    sandbox_free(sb);
}

/* A Lua stack that is nearly full: pending members go into their tables
 * early, and when even that is not enough, CR_FAIL with the stack intact. */
static void test_parse_nearly_full_stack(void **state)
{
    lua_State *L = *state;
    cr_err err = {{0}};
    luajson_limits shallow = luajson_limits_default();
    int filled = 0;
    while (lua_checkstack(L, 1000)) {
        for (int i = 0; i < 1000; i++)
            lua_pushinteger(L, i);
        filled += 1000;
    }
    while (lua_checkstack(L, 1)) {
        lua_pushinteger(L, 0);
        filled++;
    }
    char *text = malloc(20000), *p = text;
    p += sprintf(p, "[");
    for (int i = 0; i < 1000; i++)
        p += sprintf(p, "%s{\"a\":[%d]}", i ? "," : "", i);
    sprintf(p, "]");
    /* 600 free slots: the 1000 elements go into the table in several steps */
    lua_settop(L, filled - 600);
    if (luajson_push_text(L, text, strlen(text), LUAJSON_TEXT_FROZEN, NULL, &err) != CR_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    assert_int_equal(lua_gettop(L), filled - 599);
    char *encoded = serialize(L, -1, 1);
    assert_non_null(strstr(encoded, "1000={\"a\"={1=i999,}#1,}#0,}#1000"));
    free(encoded);
    /* 100 free slots: not enough for 32 levels of nesting */
    lua_settop(L, filled - 100);
    assert_int_equal(luajson_push_text(L, "[[1]]", 5, 0, NULL, &err), CR_FAIL);
    assert_non_null(strstr(err.msg, "Lua stack exhausted"));
    assert_int_equal(lua_gettop(L), filled - 100);
    /* ... but enough for 4 */
    shallow.max_depth = 4;
    assert_int_equal(luajson_push_text(L, "[[{\"a\":[1]}]]", 13, 0, &shallow, &err), CR_OK);
    assert_int_equal(lua_gettop(L), filled - 99);
    free(text);
    lua_settop(L, 0);
}

/* ---- encoding: byte for byte as json_dumps(luajson_to_json) ------------- */

static void test_encode_numbers(void **state)
{
    lua_State *L = *state;
    assert_expr_encodes(L, "0.1", "0.10000000000000001");
    assert_expr_encodes(L, "1e300", "1.0000000000000001e300");
    assert_expr_encodes(L, "-0.0", "-0.0");
    assert_expr_encodes(L, "3.0", "3.0");
    assert_expr_encodes(L, "1e16", "10000000000000000.0");
    assert_expr_encodes(L, "1e17", "1e17");
    assert_expr_encodes(L, "1e-5", "1.0000000000000001e-5");
    assert_expr_encodes(L, "0.0001", "0.0001");
    assert_expr_encodes(L, "5e-324", "4.9406564584124654e-324");
    assert_expr_encodes(L, "2^63", "9.2233720368547758e18");
    assert_expr_encodes(L, "math.maxinteger", "9223372036854775807");
    assert_expr_encodes(L, "math.mininteger", "-9223372036854775808");
    assert_expr_encodes(L, "-0", "0");
    assert_expr_encodes(L, "{ 1/3, -2.5, 1e22, 123456789.125 }",
                        "[0.33333333333333331,-2.5,1e22,123456789.125]");
}

static void test_encode_strings(void **state)
{
    lua_State *L = *state;
    assert_expr_encodes(L, "'a/b'", "\"a/b\"");
    assert_expr_encodes(L, "'\"q\" \\\\ back'", "\"\\\"q\\\" \\\\ back\"");
    assert_expr_encodes(L, "'\\0\\1\\31\\127 \\b\\f\\n\\r\\t'",
                        "\"\\u0000\\u0001\\u001F\x7f \\b\\f\\n\\r\\t\"");
    assert_expr_encodes(L, "'民初😀\\u{2028}'", "\"民初😀\xe2\x80\xa8\"");
    assert_expr_encodes(L, "{ ['\\n\"/'] = 'é' }", "{\"\\n\\\"/\":\"é\"}");
    /* escapes and non-ASCII before, at and after 8-byte boundaries */
    assert_expr_encodes(L, "'abcdefgh\\nijklmnop\"'", "\"abcdefgh\\nijklmnop\\\"\"");
    assert_expr_encodes(L, "'abcdefg\\t12345678\\\\'", "\"abcdefg\\t12345678\\\\\"");
    assert_expr_encodes(L, "'1234567民初abcdefgh\\1'", "\"1234567民初abcdefgh\\u0001\"");
    assert_expr_encodes(
        L, "'\\u{E000}\\u{FFFD}\\u{1000}\\u{CFFF}\\u{800}\\u{D7FF}'",
        "\"\xee\x80\x80\xef\xbf\xbd\xe1\x80\x80\xec\xbf\xbf\xe0\xa0\x80\xed\x9f\xbf\"");
}

static void test_encode_tables(void **state)
{
    lua_State *L = *state;
    assert_expr_encodes(L, "{}", "[]");
    assert_expr_encodes(L, "{ z = 1, y = 2, x = 3, ['a b'] = 4, [''] = 5, ['é'] = 6, A = 7 }",
                        "{\"\":5,\"A\":7,\"a b\":4,\"x\":3,\"y\":2,\"z\":1,\"é\":6}");
    assert_expr_encodes(L, "{ a = { b = { c = { 1, 2, { d = 'x' } } } } }",
                        "{\"a\":{\"b\":{\"c\":[1,2,{\"d\":\"x\"}]}}}");
    assert_expr_encodes(L,
                        "(function() local t = {} for i = 10, 1, -1 do t[i] = i * 1.5 end "
                        "return t end)()",
                        "[1.5,3.0,4.5,6.0,7.5,9.0,10.5,12.0,13.5,15.0]");
    assert_expr_encodes(L, "{ [1] = 'a', [2.0] = 'b', [3] = { {}, { {} } } }",
                        "[\"a\",\"b\",[[],[[]]]]");
    assert_expr_encodes(L, "(function() local s = { 1 } return { a = s, b = { s } } end)()",
                        "{\"a\":[1],\"b\":[[1]]}");
    assert_expr_encodes(L,
                        "setmetatable({ a = 1 }, { __index = function() error('index') end, "
                        "__pairs = function() error('pairs') end })",
                        "{\"a\":1}");
}

/* A read-only view is an empty table with a metatable: luajson_to_json
 * converts its raw contents, "[]", and luajson_encode must say the same. */
static void test_encode_readonly_view_as_luajson_to_json(void **state)
{
    lua_State *L = *state;
    assert_expr_encodes(L, "readonly({ a = 1 })", "{\"a\":1}");
    assert_expr_encodes(L, "{ parties = readonly({ 1, 2 }) }", "{\"parties\":[1,2]}");
}

static void test_encode_refusals(void **state)
{
    lua_State *L = *state;
    luajson_limits limits = luajson_limits_default();
    assert_expr_refused(L, "(function() local t = { a = { b = {} } } t.a.b = t return t end)()",
                        NULL, "result table refers to itself at .a.b");
    assert_expr_refused(L, "(function() local t = {} t[1] = { t } return t end)()", NULL,
                        "result table refers to itself at [1][1]");
    assert_expr_refused(L, "{ f = print }", NULL, "value at .f is a function");
    assert_expr_refused(L, "print", NULL, "value at the top level is a function");
    assert_expr_refused(L, "coroutine.create(print)", NULL, "is a thread");
    assert_expr_refused(L, "{ io.stdout }", NULL, "value at [1] is a userdata");
    assert_expr_refused(L, "{ 1, a = 2 }", NULL, "mixes string keys and integer keys");
    assert_expr_refused(L, "{ 1, 2, nil, 4 }", NULL, "array at the top level has holes");
    assert_expr_refused(L, "{ x = { [0] = 1 } }", NULL,
                        "table at .x has a key of type number (not a positive integer)");
    assert_expr_refused(L, "{ [1.5] = 1 }", NULL, "number (not a positive integer)");
    assert_expr_refused(L, "{ [true] = 1 }", NULL, "has a key of type boolean");
    assert_expr_refused(L, "{ a = 0/0 }", NULL, "number at .a is not finite");
    assert_expr_refused(L, "{ 1, -1/0 }", NULL, "number at [2] is not finite");
    assert_expr_refused(L, "{ ['a\\0b'] = 1 }", NULL, "contains a NUL byte");
    assert_expr_refused(L, "{ s = '\\xff' }", NULL, "string at .s is not valid UTF-8");
    assert_expr_refused(L, "{ ['\\xff'] = 1, ok = 2 }", NULL, "is not valid UTF-8");
    /* after a run of ASCII: a surrogate, an overlong form, a cut sequence */
    assert_expr_refused(L, "{ s = 'abcdefghij\\xed\\xa0\\x80' }", NULL,
                        "string at .s is not valid UTF-8");
    assert_expr_refused(L, "{ s = 'abcdefghij\\xe0\\x80\\xaf' }", NULL,
                        "string at .s is not valid UTF-8");
    assert_expr_refused(L, "{ s = 'abcdefghij\\xe4\\xb8' }", NULL,
                        "string at .s is not valid UTF-8");
    assert_expr_refused(L, "{ s = 'abcdefghij\\xe4\\x41\\x80' }", NULL,
                        "string at .s is not valid UTF-8");
    assert_expr_refused(
        L, "(function(n) local t = {} for i = 1, n do t = { a = t } end return t end)(32)", NULL,
        "result nests deeper than 32 levels");
    limits.max_values = 3;
    assert_expr_refused(L, "{ 1, 2, 3 }", &limits, "result has more than 3 values (at [3])");
    limits = luajson_limits_default();
    limits.max_string_bytes = 4;
    assert_expr_refused(L, "{ abc = 'de' }", &limits, "more than 4 bytes of text (at .abc)");
    limits.max_depth = 2;
    assert_expr_refused(L, "{ { { 1 } } }", &limits, "result nests deeper than 2 levels at [1][1]");
    /* paths longer than the path buffer end in "..." in both */
    assert_expr_refused(L,
                        "(function() local k = ('abcdefghij'):rep(6) local t = { f = print } "
                        "for i = 1, 6 do t = { [k] = t } end return t end)()",
                        NULL, "...");
}

/* Random values, each encoded by both, with default and with tight limits. */
static const char *const lua_generator =
    "local R = math.random\n"
    "local long = ('abcdefghij'):rep(6)\n"
    "local words = { 'a', 'b', 'key', '_x', '1abc', 'with space', 'é', '民初', 'a\\0b',\n"
    "  '\\xff', 'x/y', 'q\"', 'b\\\\s', '\\n', ('k'):rep(70), long, ('长'):rep(40), '' }\n"
    "local floats = { 0.1, 1e300, -0.0, 3.0, 1e16, 1e17, 5e-324, 1e-5, 0.0001, 2^53, 2^63,\n"
    "  -2^63, 1/3, 1e22, 123456789.125, 0/0, 1/0, -1/0 }\n"
    "local function rstring()\n"
    "  if R(2) == 1 then return words[R(#words)] end\n"
    "  local t = {}\n"
    "  for i = 1, R(0, 10) do\n"
    "    local c = R(8)\n"
    "    if c == 1 then t[#t + 1] = string.char(R(0, 31))\n"
    "    elseif c == 2 then t[#t + 1] = string.char(R(128, 255))\n"
    "    elseif c == 3 then t[#t + 1] = utf8.char(R(0x80, 0x10FFFF))\n"
    "    elseif c == 4 then t[#t + 1] = ({ '\"', '\\\\', '/', '\\127' })[R(4)]\n"
    "    else t[#t + 1] = string.char(R(32, 126)) end\n"
    "  end\n"
    "  return table.concat(t)\n"
    "end\n"
    "local function rnumber()\n"
    "  local c = R(6)\n"
    "  if c == 1 then return R(0)\n"
    "  elseif c == 2 then return (string.unpack('d', string.pack('i8', R(0))))\n"
    "  elseif c == 3 then return R() * 10 ^ R(-30, 30) * (R(2) == 1 and 1 or -1)\n"
    "  elseif c == 4 then return floats[R(#floats)]\n"
    "  else return R(-1000, 1000) end\n"
    "end\n"
    "local rvalue\n"
    "local function rtable(depth, ancestors)\n"
    "  local t = {}\n"
    "  ancestors[#ancestors + 1] = t\n"
    "  local kind, n = R(10), R(0, 6)\n"
    "  if kind <= 4 then\n"
    "    for i = 1, n do t[i] = rvalue(depth + 1, ancestors) end\n"
    "  elseif kind == 5 then\n"
    "    for i = n, 1, -1 do t[i] = rvalue(depth + 1, ancestors) end\n"
    "  else\n"
    "    for i = 1, n do t[rstring()] = rvalue(depth + 1, ancestors) end\n"
    "  end\n"
    "  if R(40) == 1 then\n"
    "    local odd = { 0, -1, 1.5, true, n + 2, 'x', 1 }\n"
    "    t[odd[R(#odd)]] = rvalue(depth + 1, ancestors)\n"
    "  end\n"
    "  if R(60) == 1 then t[rstring()] = ancestors[R(#ancestors)] end\n"
    "  if R(80) == 1 then setmetatable(t, { __index = error, __pairs = error }) end\n"
    "  ancestors[#ancestors] = nil\n"
    "  if R(50) == 1 then return readonly(t) end\n"
    "  return t\n"
    "end\n"
    "function rvalue(depth, ancestors)\n"
    "  local c = R(depth > 5 and 8 or 12)\n"
    "  if c <= 2 then return rstring()\n"
    "  elseif c <= 5 then return rnumber()\n"
    "  elseif c == 6 then return R(2) == 1\n"
    "  elseif c == 7 then\n"
    "    local r = R(100)\n"
    "    if r == 1 then return print elseif r == 2 then return io.stdout\n"
    "    elseif r == 3 then return coroutine.create(print) end\n"
    "    return rstring()\n"
    "  elseif c == 8 then return nil\n"
    "  else return rtable(depth, ancestors) end\n"
    "end\n"
    "function generate(seed)\n"
    "  math.randomseed(seed)\n"
    "  return rvalue(0, {})\n"
    "end\n";

static void test_encode_random_values(void **state)
{
    lua_State *L = *state;
    size_t refused = 0, total = 0;
    if (luaL_dostring(L, lua_generator) != LUA_OK) {
        print_error("%s\n", lua_tostring(L, -1));
        fail();
    }
    for (int seed = 1; seed <= 30000; seed++) {
        char what[64];
        lua_getglobal(L, "generate");
        lua_pushinteger(L, seed);
        assert_int_equal(lua_pcall(L, 1, 1, 0), LUA_OK);
        snprintf(what, sizeof what, "generate(%d)", seed);
        char *text = assert_encode_same(L, -1, NULL, what);
        refused += !text;
        total++;
        free(text);
        luajson_limits tight = {
            .max_depth = (int)(rng() % 6),
            .max_values = rng() % 30,
            .max_string_bytes = rng() % 60,
        };
        snprintf(what, sizeof what, "generate(%d) with tight limits", seed);
        free(assert_encode_same(L, -1, &tight, what));
        lua_settop(L, 0);
    }
    /* both outcomes are well represented */
    assert_true(refused > total / 10 && refused < total * 9 / 10);
}

/* Every sample line, parsed by either path, then changed a little. */
static void test_encode_sample_values(void **state)
{
    lua_State *L = *state;
    size_t n;
    char **lines = read_sample(&n);
    cr_err err = {{0}};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(luajson_push_text(L, lines[i], strlen(lines[i]), 0, NULL, &err), CR_OK);
        free(assert_encode_same(L, -1, NULL, lines[i]));
        eval(L, "function(t) t.extra = { 0.1, -0.0, 'a\\n/\"', { [3] = 3, [1] = 1, [2] = 2 } } "
                "return t end");
        lua_insert(L, -2);
        assert_int_equal(lua_pcall(L, 1, 1, 0), LUA_OK);
        free(assert_encode_same(L, -1, NULL, lines[i]));
        lua_settop(L, 0);
    }
    free_lines(lines, n);
}

/* A Lua allocator that hands a freed block of up to REUSE_MAX bytes back
 * for the next block of the same size, last freed first: the address reuse
 * glibc's allocator mostly gives, made certain (a sanitizer's allocator
 * holds freed blocks back instead). */
#define REUSE_MAX 128
typedef struct reuse_pool {
    void *blocks[REUSE_MAX + 1][64];
    size_t n[REUSE_MAX + 1];
} reuse_pool;

static void *reuse_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    reuse_pool *p = ud;
    if (nsize == 0) {
        if (ptr && osize <= REUSE_MAX && p->n[osize] < 64)
            p->blocks[osize][p->n[osize]++] = ptr;
        else
            free(ptr);
        return NULL;
    }
    if (!ptr && nsize <= REUSE_MAX && p->n[nsize])
        return p->blocks[nsize][--p->n[nsize]];
    return realloc(ptr, nsize);
}

/* luajson_encode_append's cache of short strings finds a string by
 * address, and writes it without scanning it only if the bytes are those
 * it scanned: strings of one length, made and freed one after another,
 * come back at addresses the cache has seen, holding text that needs an
 * escape or is not UTF-8. */
static void test_encode_cache_compares_bytes(void **state)
{
    (void)state;
    reuse_pool *pool = calloc(1, sizeof *pool);
    lua_State *L = lua_newstate(reuse_alloc, pool);
    assert_non_null(L);
    luajson_buffer buf = {0};
    cr_err err = {{0}};
    size_t reused = 0;
    const char *seen[64] = {0};
    for (int i = 0; i < 3000; i++) {
        char text[16], want[48];
        switch (i % 3) { /* five bytes each */
        case 0:
            snprintf(text, sizeof text, "k%04d", i % 10000);
            snprintf(want, sizeof want, "[\"%s\"]", text);
            break;
        case 1:
            snprintf(text, sizeof text, "q\"%03d", i % 1000);
            snprintf(want, sizeof want, "[\"q\\\"%03d\"]", i % 1000);
            break;
        default:
            snprintf(text, sizeof text, "\xff%04d", i % 10000);
            want[0] = 0; /* refused */
        }
        lua_createtable(L, 1, 0);
        lua_pushstring(L, text);
        const char *at = lua_tostring(L, -1);
        for (size_t k = 0; k < 64; k++)
            reused += seen[k] == at;
        seen[i % 64] = at;
        lua_rawseti(L, -2, 1);
        buf.len = 0;
        cr_status st = luajson_encode_append(L, -1, NULL, &buf, &err);
        if (*want) {
            assert_int_equal(st, CR_OK);
            assert_string_equal(buf.text, want);
        } else {
            assert_int_equal(st, CR_INVALID);
            assert_non_null(strstr(err.msg, "not valid UTF-8"));
        }
        lua_pop(L, 1);
        lua_gc(L, LUA_GCCOLLECT);
    }
    luajson_buffer_free(&buf);
    lua_close(L);
    for (size_t size = 0; size <= REUSE_MAX; size++)
        for (size_t k = 0; k < pool->n[size]; k++)
            free(pool->blocks[size][k]);
    free(pool);
    assert_true(reused > 0); /* the case the test is for did occur */
}

/* The run_rule replacement: {"value":<encoded>,"log":<dumped>} is what
 * json_pack("{s:o, s:O}") + json_dumps wrote. */
static void test_result_text_as_json_pack(void **state)
{
    lua_State *L = *state;
    json_t *log = json_pack("[s, s]", "line \"one\"", "民初/二");
    eval(L, "{ due = '2024-05-01', days = 12, ratio = 0.25, list = { 'a', 'b' } }");
    size_t len;
    cr_err err;
    char *value = luajson_encode(L, -1, NULL, &len, &err);
    char *log_text = json_dumps(log, JSON_COMPACT);
    size_t log_len = strlen(log_text);
    char *text = malloc(len + log_len + sizeof "{\"value\":,\"log\":}");
    memcpy(text, "{\"value\":", 9);
    memcpy(text + 9, value, len);
    memcpy(text + 9 + len, ",\"log\":", 7);
    memcpy(text + 16 + len, log_text, log_len);
    memcpy(text + 16 + len + log_len, "}", 2);

    json_t *stored =
        json_pack("{s:o, s:O}", "value", luajson_to_json(L, -1, NULL, &err), "log", log);
    char *expected = json_dumps(stored, JSON_COMPACT);
    assert_string_equal(text, expected);
    free(expected);
    json_decref(stored);
    free(text);
    free(log_text);
    free(value);
    json_decref(log);
    lua_settop(L, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parse_valid_texts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_sample_docs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_similar_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_large_containers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_pairs_order_as_constructed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_big_integers_are_floats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_frozen_below, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_case_replacement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_mutations_agree_with_jansson, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_bad_escapes_and_surrogates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_invalid_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_duplicate_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_null_in_array, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_trailing_garbage, setup, teardown),
        cmocka_unit_test(test_parse_out_of_memory),
        cmocka_unit_test_setup_teardown(test_parse_nearly_full_stack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode_readonly_view_as_luajson_to_json, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_encode_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode_random_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode_sample_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encode_cache_compares_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_result_text_as_json_pack, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    luajson_buffer_free(&append_buffer);
    return failed;
}
