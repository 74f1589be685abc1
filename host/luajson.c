/*
 * luajson.c -- Lua values to jansson values and back.
 *
 * to_json walks a script's value with raw access only and never raises:
 * every Lua API call it makes is one that cannot fail (stack space is
 * reserved with lua_checkstack, which reports instead of raising).
 * push builds Lua values inside lua_pcall, since creating tables allocates
 * and an allocation can fail under the sandbox's memory cap.
 */
#include "luajson.h"
#include "luajson_internal.h"
#include "luajson_text.h"
#include "sandbox.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

typedef struct to_json_ctx {
    lua_State *L;
    luajson_limits limits;
    cr_err *err;
    luajson_path path; /* built by path_at for a message */
    size_t values;
    size_t bytes;
    int key_slot[LUAJSON_MAX_DEPTH]; /* stack index of the key being converted, per open table */
    const void *open_tables[LUAJSON_MAX_DEPTH]; /* the tables being converted, outermost first */
} to_json_ctx;

luajson_limits luajson_limits_default(void)
{
    luajson_limits limits = {
        .max_depth = 32,
        .max_values = 100000,
        .max_string_bytes = (size_t)16 << 20,
    };
    return limits;
}

luajson_limits luajson_limits_or_default(const luajson_limits *limits)
{
    luajson_limits lim = limits ? *limits : luajson_limits_default();
    if (lim.max_depth <= 0 || lim.max_depth > LUAJSON_MAX_DEPTH)
        lim.max_depth = LUAJSON_MAX_DEPTH;
    return lim;
}

/* ---- Lua -> JSON -------------------------------------------------------- */

static json_t *fail(to_json_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *fail(to_json_ctx *ctx, const char *fmt, ...)
{
    if (ctx->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->err->msg, sizeof ctx->err->msg, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

/* The path of a value inside `levels` open tables, for a message. */
static luajson_path *path_at(to_json_ctx *ctx, int levels)
{
    luajson_path_of_keys(ctx->L, ctx->key_slot, levels, &ctx->path);
    return &ctx->path;
}

static json_t *convert(to_json_ctx *ctx, int idx, int depth);

/* Counts a value inside `levels` open tables. */
static int count_value(to_json_ctx *ctx, int levels)
{
    if (++ctx->values > ctx->limits.max_values) {
        fail(ctx, "result has more than %zu values (at%s%s)", ctx->limits.max_values,
             PATH_AT(path_at(ctx, levels)));
        return 0;
    }
    return 1;
}

/* Counts the bytes of a key or string inside `levels` open tables. */
static int count_bytes(to_json_ctx *ctx, size_t len, int levels)
{
    ctx->bytes += len;
    if (ctx->bytes > ctx->limits.max_string_bytes) {
        fail(ctx, "result holds more than %zu bytes of text (at%s%s)", ctx->limits.max_string_bytes,
             PATH_AT(path_at(ctx, levels)));
        return 0;
    }
    return 1;
}

static void free_members(jsontext_member *members, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(members[i].value);
    free(members);
}

/*
 * Converts the table at idx. One pass with lua_next converts every value,
 * noting its key; then the keys decide: 1..n makes an array, strings an
 * object (sorted by key), anything else is refused.
 */
static json_t *convert_table(to_json_ctx *ctx, int idx, int depth)
{
    lua_State *L = ctx->L;
    const void *self = lua_topointer(L, idx);
    jsontext_member *members = NULL;
    size_t n = 0, cap = 0;
    int string_keys = 0, integer_keys = 0;
    lua_Integer max_index = 0;
    json_t *result = NULL;

    for (int i = 0; i < depth; i++)
        if (ctx->open_tables[i] == self)
            return fail(ctx, "result table refers to itself at%s%s", PATH_AT(path_at(ctx, depth)));
    if (depth >= ctx->limits.max_depth)
        return fail(ctx, "result nests deeper than %d levels at%s%s", ctx->limits.max_depth,
                    PATH_AT(path_at(ctx, depth)));
    if (!lua_checkstack(L, 4))
        return fail(ctx, "Lua stack exhausted converting%s%s", PATH_AT(path_at(ctx, depth)));
    ctx->open_tables[depth] = self;

    lua_pushnil(L);
    while (lua_next(L, idx)) {
        jsontext_member m = {NULL, 0, NULL};
        int key_type = lua_type(L, -2);
        ctx->key_slot[depth] = lua_gettop(L) - 1;

        if (key_type == LUA_TSTRING) {
            m.key = lua_tolstring(L, -2, &m.len); /* a string: no conversion */
            string_keys = 1;
            if (memchr(m.key, '\0', m.len))
                fail(ctx, "key at %s contains a NUL byte",
                     luajson_path_show(path_at(ctx, depth + 1)));
            else if (count_bytes(ctx, m.len, depth + 1))
                m.value = convert(ctx, lua_gettop(L), depth + 1);
        } else if (key_type == LUA_TNUMBER && lua_isinteger(L, -2) && lua_tointeger(L, -2) > 0) {
            lua_Integer index = lua_tointeger(L, -2);
            integer_keys = 1;
            if (index > max_index)
                max_index = index;
            m.len = (size_t)index;
            m.value = convert(ctx, lua_gettop(L), depth + 1);
        } else {
            fail(ctx,
                 "table at%s%s has a key of type %s; only string keys (object) or 1..n (array) "
                 "convert to JSON",
                 PATH_AT(path_at(ctx, depth)),
                 key_type == LUA_TNUMBER ? "number (not a positive integer)"
                                         : lua_typename(L, key_type));
        }
        if (!m.value) {
            lua_pop(L, 2);
            goto done;
        }
        if (string_keys && integer_keys) {
            json_decref(m.value);
            lua_pop(L, 2);
            fail(ctx, "table at%s%s mixes string keys and integer keys",
                 PATH_AT(path_at(ctx, depth)));
            goto done;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            jsontext_member *grown = realloc(members, ncap * sizeof *members);
            if (!grown) {
                json_decref(m.value);
                lua_pop(L, 2);
                fail(ctx, "out of memory converting%s%s", PATH_AT(path_at(ctx, depth)));
                goto done;
            }
            members = grown;
            cap = ncap;
        }
        members[n++] = m;
        lua_pop(L, 1); /* keep the key for lua_next */
    }

    if (string_keys) {
        result = json_object();
        jsontext_sort(members, n, sizeof *members, jsontext_member_order); /* keys are distinct */
        for (size_t i = 0; result && i < n; i++) {
            json_t *value = members[i].value;
            members[i].value = NULL;
            int set = jsontext_utf8_valid((const unsigned char *)members[i].key, members[i].len);
            if (!set) /* json_object_setn_new takes the value even when it refuses */
                json_decref(value);
            else
                set = json_object_setn_new_nocheck(result, members[i].key, members[i].len, value) ==
                      0;
            if (!set) {
                luajson_path *path = path_at(ctx, depth);
                luajson_path_push_key(path, members[i].key, members[i].len);
                fail(ctx, "key at %s is not valid UTF-8", luajson_path_show(path));
                json_decref(result);
                result = NULL;
            }
        }
    } else {
        if ((size_t)max_index != n) {
            fail(ctx, "array at%s%s has holes: %zu elements but index %lld",
                 PATH_AT(path_at(ctx, depth)), n, (long long)max_index);
            goto done;
        }
        /* n keys, all in 1..n: each index appears exactly once */
        result = json_array();
        json_t **slots = calloc(n ? n : 1, sizeof *slots);
        if (!slots || !result) {
            free(slots);
            json_decref(result);
            result = fail(ctx, "out of memory converting%s%s", PATH_AT(path_at(ctx, depth)));
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            slots[members[i].len - 1] = members[i].value;
            members[i].value = NULL;
        }
        for (size_t i = 0; i < n; i++)
            json_array_append_new(result, slots[i]);
        free(slots);
    }

done:
    free_members(members, n);
    return result;
}

static json_t *convert(to_json_ctx *ctx, int idx, int depth)
{
    lua_State *L = ctx->L;
    if (!count_value(ctx, depth))
        return NULL;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return json_null();
    case LUA_TBOOLEAN:
        return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return json_integer((json_int_t)lua_tointeger(L, idx));
        if (!isfinite(lua_tonumber(L, idx)))
            return fail(ctx, "number at%s%s is not finite", PATH_AT(path_at(ctx, depth)));
        return json_real(lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        json_t *value;
        if (!count_bytes(ctx, len, depth))
            return NULL;
        value = jsontext_string(s, len);
        if (!value)
            return fail(ctx, "string at%s%s is not valid UTF-8", PATH_AT(path_at(ctx, depth)));
        return value;
    }
    case LUA_TTABLE:
        if (sandbox_readonly_target(L, idx)) { /* a view: convert what it shows */
            json_t *value = convert_table(ctx, lua_gettop(L), depth);
            lua_pop(L, 1);
            return value;
        }
        return convert_table(ctx, lua_absindex(L, idx), depth);
    default:
        return fail(ctx,
                    "value at%s%s is a %s; only nil, booleans, numbers, strings and tables "
                    "convert to JSON",
                    PATH_AT(path_at(ctx, depth)), lua_typename(L, lua_type(L, idx)));
    }
}

json_t *luajson_to_json(lua_State *L, int idx, const luajson_limits *limits, cr_err *err)
{
    to_json_ctx ctx = {.L = L, .limits = luajson_limits_or_default(limits), .err = err};
    int top = lua_gettop(L);
    json_t *result = convert(&ctx, lua_absindex(L, idx), 0);
    lua_settop(L, top);
    return result;
}

/* ---- JSON -> Lua -------------------------------------------------------- */

typedef struct push_ctx {
    const json_t *value;
    luajson_limits limits;
    luajson_path path;
    size_t values;
} push_ctx;

static void push_value(lua_State *L, push_ctx *ctx, const json_t *value, int depth);

/* Pushes a number, true, false or null (nil): integers as integers, reals
 * as floats (the text path writes a real with 17 digits and a '.' or an
 * exponent, so it parses back to the same float). */
static void push_scalar(lua_State *L, const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(value));
        return;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(value));
        return;
    case JSON_TRUE:
    case JSON_FALSE:
        lua_pushboolean(L, json_is_true(value));
        return;
    default:
        lua_pushnil(L);
        return;
    }
}

static int push_refuse(lua_State *L, push_ctx *ctx, const char *what)
{
    return luaL_error(L, "%s at%s%s", what, ctx->path.len ? " " : "",
                      luajson_path_show(&ctx->path));
}

static void push_value(lua_State *L, push_ctx *ctx, const json_t *value, int depth)
{
    luaL_checkstack(L, 3, "case data nested too deeply");
    if (++ctx->values > ctx->limits.max_values)
        push_refuse(L, ctx, "too many values");
    switch (json_typeof(value)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *member;
        if (depth >= ctx->limits.max_depth)
            push_refuse(L, ctx, "data nested too deeply");
        lua_createtable(L, 0, (int)json_object_size(value));
        json_object_foreach((json_t *)value, key, member)
        {
            size_t before;
            if (json_is_null(member))
                continue; /* an absent field reads as nil anyway */
            before = ctx->path.len;
            luajson_path_push_key(&ctx->path, key, strlen(key));
            lua_pushstring(L, key);
            push_value(L, ctx, member, depth + 1);
            lua_rawset(L, -3);
            luajson_path_pop(&ctx->path, before);
        }
        return;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(value);
        if (depth >= ctx->limits.max_depth)
            push_refuse(L, ctx, "data nested too deeply");
        lua_createtable(L, n > INT32_MAX ? 0 : (int)n, 0);
        for (size_t i = 0; i < n; i++) {
            size_t before = luajson_path_push(&ctx->path, "[%zu]", i + 1);
            const json_t *element = json_array_get(value, i);
            if (json_is_null(element))
                push_refuse(L, ctx, "null inside an array (it would leave a hole)");
            push_value(L, ctx, element, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
            luajson_path_pop(&ctx->path, before);
        }
        return;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(value), json_string_length(value));
        return;
    default:
        push_scalar(L, value);
        return;
    }
}

/* lua_CFunction run by luajson_push: [1] light userdata push_ctx. */
static int push_protected(lua_State *L)
{
    push_ctx *ctx = lua_touserdata(L, 1);
    push_value(L, ctx, ctx->value, 0);
    return 1;
}

cr_status luajson_push(lua_State *L, const json_t *value, const luajson_limits *limits, cr_err *err)
{
    push_ctx ctx = {.value = value, .limits = luajson_limits_or_default(limits)};
    int status;
    if (!value)
        return cr_errf(err, CR_INVALID, "no JSON value to convert");
    if (!lua_checkstack(L, 3))
        return cr_errf(err, CR_FAIL, "Lua stack exhausted");
    lua_pushcfunction(L, push_protected);
    lua_pushlightuserdata(L, &ctx);
    status = lua_pcall(L, 1, 1, 0);
    if (status == LUA_OK)
        return CR_OK;
    if (status == LUA_ERRMEM)
        cr_errf(err, CR_FAIL, "out of memory converting case data to Lua");
    else if (lua_type(L, -1) == LUA_TSTRING)
        cr_errf(err, CR_INVALID, "%s", lua_tostring(L, -1));
    else
        cr_errf(err, CR_INVALID, "converting case data to Lua failed");
    lua_pop(L, 1);
    return status == LUA_ERRMEM ? CR_FAIL : CR_INVALID;
}

/* ---- JSON -> Lua, as the text parser builds it -------------------------- */

/* luajson_text.c moves a container's members into its table in chunks
 * (LUAJSON_CHUNK_MEMBERS, LUAJSON_CHUNK_ELEMENTS): the table is created
 * sized for the first chunk and the rest are assigned, growing it. pairs()
 * follows from the size and the order the keys went in, so the tree is
 * built alike; tests/unit/test_luajson.c (test_tree_*) checks the orders
 * around both sizes. */

typedef struct tree_ctx {
    const json_t *value;
    luajson_limits limits;
    int frozen, pooled; /* as luajson_text.c's parse_ctx */
    int kit;            /* sandbox_push_view_kit's values, if frozen */
    void *strings;      /* the state's string cache (luajson_strings_push) */
    int strings_slot;   /* its stack index */
    size_t values, bytes;
} tree_ctx;

/* Anything the text parser refuses unwinds to luajson_push_tree, which
 * hands the value to it for its own message: none is written here. */
static int tree_refuse(lua_State *L)
{
    lua_pushnil(L);
    return lua_error(L);
}

static void tree_string(lua_State *L, tree_ctx *ctx, const char *s, size_t len, int is_key)
{
    ctx->bytes += len;
    if (ctx->bytes > ctx->limits.max_string_bytes || memchr(s, '\0', len))
        tree_refuse(L); /* the text parser refuses \u0000 as jansson does */
    luajson_strings_pushl(L, ctx->strings, ctx->strings_slot, s, len, is_key);
}

static void tree_value(lua_State *L, tree_ctx *ctx, const json_t *value, int depth);

/* Fills the table on top with object's members. A null member's key goes
 * in with a placeholder and is cleared when the object ends, as the text
 * parser holds it (to find a duplicate), so the table's nodes are the
 * same. */
static void tree_members(lua_State *L, tree_ctx *ctx, const json_t *object, int depth)
{
    json_t *obj = (json_t *)object; /* jansson's iterators take no const */
    size_t nulls = 0;
    /* The iterator itself, not json_object_keylen_foreach: that macro
     * looks every key up again, three times a member. */
    for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
        json_t *member = json_object_iter_value(it);
        tree_string(L, ctx, json_object_iter_key(it), json_object_iter_key_len(it), 1);
        if (json_is_null(member)) {
            lua_pushboolean(L, 0);
            nulls++;
        } else {
            tree_value(L, ctx, member, depth + 1);
        }
        lua_rawset(L, -3);
    }
    for (void *it = json_object_iter(obj); nulls && it; it = json_object_iter_next(obj, it)) {
        if (json_is_null(json_object_iter_value(it))) {
            lua_pushlstring(L, json_object_iter_key(it), json_object_iter_key_len(it));
            lua_pushnil(L);
            lua_rawset(L, -3);
            nulls--;
        }
    }
}

static void tree_value(lua_State *L, tree_ctx *ctx, const json_t *value, int depth)
{
    size_t n;
    if (++ctx->values > ctx->limits.max_values)
        tree_refuse(L);
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        if (depth >= ctx->limits.max_depth || !lua_checkstack(L, 1 + SANDBOX_VIEW_SLOTS))
            tree_refuse(L);
        n = json_object_size(value);
        lua_createtable(L, 0, (int)(n < LUAJSON_CHUNK_MEMBERS ? n : LUAJSON_CHUNK_MEMBERS));
        tree_members(L, ctx, value, depth);
        break;
    case JSON_ARRAY:
        if (depth >= ctx->limits.max_depth || !lua_checkstack(L, 1 + SANDBOX_VIEW_SLOTS))
            tree_refuse(L);
        n = json_array_size(value);
        lua_createtable(L, (int)(n < LUAJSON_CHUNK_ELEMENTS ? n : LUAJSON_CHUNK_ELEMENTS), 0);
        for (size_t i = 0; i < n; i++) {
            const json_t *element = json_array_get(value, i);
            if (json_is_null(element))
                tree_refuse(L); /* it would leave a hole */
            tree_value(L, ctx, element, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    case JSON_STRING:
        tree_string(L, ctx, json_string_value(value), json_string_length(value), 0);
        return;
    default: /* null only at the top */
        push_scalar(L, value);
        return;
    }
    if (ctx->frozen == LUAJSON_TEXT_FROZEN_BELOW ? depth > 0 : ctx->frozen != 0)
        sandbox_readonly_fresh(L, ctx->kit);
}

/* lua_CFunction run by luajson_push_tree: [1] light userdata tree_ctx. */
static int tree_protected(lua_State *L)
{
    tree_ctx *ctx = lua_touserdata(L, 1);
    ctx->strings = luajson_strings_push(L);
    ctx->strings_slot = lua_gettop(L);
    if (ctx->frozen) {
        ctx->kit = lua_gettop(L) + 1;
        sandbox_push_view_kit(L, ctx->pooled);
    }
    tree_value(L, ctx, ctx->value, 0);
    return 1;
}

cr_status luajson_push_tree(lua_State *L, const json_t *value, int frozen,
                            const luajson_limits *limits, cr_err *err)
{
    tree_ctx ctx = {.value = value,
                    .limits = luajson_limits_or_default(limits),
                    .frozen = frozen & ~LUAJSON_TEXT_POOLED,
                    .pooled = (frozen & LUAJSON_TEXT_POOLED) != 0};
    if (value && lua_checkstack(L, 3)) {
        lua_pushcfunction(L, tree_protected);
        lua_pushlightuserdata(L, &ctx);
        if (lua_pcall(L, 1, 1, 0) == LUA_OK)
            return CR_OK;
        lua_pop(L, 1);
    }
    /* Refused, or out of memory: the text parser decides, and says why. */
    size_t len = 0;
    char *text = value ? jsontext_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY, &len) : NULL;
    if (value && !text)
        return cr_errf(err, CR_FAIL, "out of memory converting JSON text to Lua");
    cr_status st = luajson_push_text(L, text, len, frozen, limits, err);
    free(text);
    return st;
}
