/*
 * luajson_encode.c -- Lua values to JSON text, without a jansson tree (see
 * luajson_text.h: luajson_encode).
 *
 * Encoding mirrors luajson.c's convert() step for step -- the same lua_next
 * order, the same checks in the same order, the same paths -- so it refuses
 * exactly what luajson_to_json refuses, with the same message. Each member
 * is written as it is converted ("key":value followed by a comma); when the
 * table is done the pieces are put in key (or index) order, which for arrays
 * is nearly always the order they already have. Numbers and strings are
 * written as jansson 2.14's dump.c writes them ("%.17g" reals, \u00XX).
 */
#include "luajson_text.h"
#include "luajson_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

typedef struct encode_member {
    const char *key; /* string keys: points into a Lua string the table holds */
    size_t key_len;
    int key_checked; /* the key is known to be UTF-8 */
    lua_Integer index; /* integer keys */
    size_t start, end; /* the piece in out: ["key":]value, */
} encode_member;

typedef struct encode_ctx {
    lua_State *L;
    luajson_limits limits;
    cr_err *err;
    size_t values, bytes;
    char *out; /* the text so far */
    size_t len, cap;
    char *spare; /* a copy of pieces being put in order */
    size_t spare_cap;
    encode_member *members; /* a stack: each open table's members from its base */
    size_t n_members, cap_members;
    struct encode_cache *cache;      /* the buffer's (luajson_encode_append), or NULL */
    int key_slot[LUAJSON_MAX_DEPTH]; /* stack index of the key being converted, per open table */
    const void *tables[LUAJSON_MAX_DEPTH]; /* the tables being converted, outermost first */
} encode_ctx;

static int encode_fail(encode_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int encode_fail(encode_ctx *ctx, const char *fmt, ...)
{
    if (ctx->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->err->msg, sizeof ctx->err->msg, fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* The path of a value inside `levels` open tables. */
static void encode_path(const encode_ctx *ctx, int levels, luajson_path *path)
{
    luajson_path_of_keys(ctx->L, ctx->key_slot, levels, path);
}

static int out_of_memory(encode_ctx *ctx, int levels)
{
    luajson_path path;
    encode_path(ctx, levels, &path);
    return encode_fail(ctx, "out of memory converting%s%s", PATH_AT(&path));
}

static int grow(char **buf, size_t *cap, size_t need)
{
    size_t ncap = *cap ? *cap : 256;
    char *grown;
    while (ncap < need)
        ncap *= 2;
    if (!(grown = realloc(*buf, ncap)))
        return 0;
    *buf = grown;
    *cap = ncap;
    return 1;
}

/* Room for n more bytes and the NUL after them. */
static inline int out_reserve(encode_ctx *ctx, size_t n)
{
    return ctx->cap - ctx->len >= n + 1 || grow(&ctx->out, &ctx->cap, ctx->len + n + 1);
}

static inline int out_add(encode_ctx *ctx, const char *s, size_t n)
{
    if (!out_reserve(ctx, n))
        return 0;
    memcpy(ctx->out + ctx->len, s, n);
    ctx->len += n;
    return 1;
}

static int out_integer(encode_ctx *ctx, lua_Integer v)
{
    char buf[24], *end = buf + sizeof buf, *p = end;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    return out_add(ctx, p, (size_t)(end - p));
}

/* A real as jansson writes it (jsontext_real). */
static int out_real(encode_ctx *ctx, double value)
{
    char buf[40];
    size_t length = jsontext_real(value, buf);
    return length && out_add(ctx, buf, length);
}

/* A string literal as jansson's dump_string writes it without flags:
 * escapes for '"', '\\' and control characters, all else (including '/',
 * DEL and non-ASCII) as is. check_utf8: refuse text that is not valid UTF-8
 * (checked in the same pass). 1, 0 out of memory, -1 not UTF-8. */
static int out_string(encode_ctx *ctx, const char *str, size_t len, int check_utf8)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0, i;
    /* Most strings need no escape: room for them and both quotes at once. */
    if (!out_reserve(ctx, len + 2))
        return 0;
    ctx->out[ctx->len++] = '"';
    while ((i = jsontext_plain_run(s, len, run, check_utf8)) < len) {
        char esc[6];
        size_t n = jsontext_escape(s[i], esc);
        if (!out_add(ctx, str + run, i - run) || !out_add(ctx, esc, n))
            return 0;
        run = i + 1;
    }
    if (i == (size_t)-1)
        return -1;
    return out_add(ctx, str + run, len - run) && out_add(ctx, "\"", 1);
}

/* ---- short strings written before ----
 *
 * Results are made of the same keys ("applicable", "reasons", ...) and many
 * of the same short values ("普通", "民初") case after case. Lua keeps one
 * copy of each short string (interned), so the same text comes back at the
 * same address while the rule's constants hold it. The cache remembers, by
 * that address, strings it wrote that needed no escape and were valid
 * UTF-8; a string found there with the same bytes is written as it is,
 * without scanning it again. The address only picks the slot: the bytes
 * are compared, so a string freed and another made at its address is a
 * miss, never a wrong answer. */
#define CACHE_BITS 8
#define CACHE_SLOTS (1 << CACHE_BITS)
#define CACHE_MAX 40 /* LUAI_MAXSHORTLEN: longer strings are not interned */

typedef struct encode_cached {
    const char *at; /* where the string was (NULL: empty slot) */
    size_t len;
    char text[CACHE_MAX];
} encode_cached;

struct encode_cache {
    encode_cached slot[CACHE_SLOTS];
};

static inline encode_cached *cache_slot(struct encode_cache *c, const char *s)
{
    uint64_t h = (uint64_t)(uintptr_t)s * 0x9E3779B97F4A7C15ULL;
    return &c->slot[h >> (64 - CACHE_BITS)];
}

/* Writes s as a literal if the cache knows it: 1, else 0 (nothing written,
 * or out of memory: -1). */
static int cached_string(encode_ctx *ctx, const char *s, size_t len)
{
    if (!ctx->cache || len > CACHE_MAX)
        return 0;
    encode_cached *e = cache_slot(ctx->cache, s);
    if (e->at != s || e->len != len || memcmp(e->text, s, len) != 0)
        return 0;
    if (!out_reserve(ctx, len + 2))
        return -1;
    char *o = ctx->out + ctx->len;
    o[0] = '"';
    memcpy(o + 1, s, len);
    o[len + 1] = '"';
    ctx->len += len + 2;
    return 1;
}

/* Remembers s, just written valid and unescaped from start on. */
static void cache_string(encode_ctx *ctx, const char *s, size_t len, size_t start)
{
    if (!ctx->cache || len > CACHE_MAX || ctx->len - start != len + 2)
        return;
    encode_cached *e = cache_slot(ctx->cache, s);
    e->at = s;
    e->len = len;
    memcpy(e->text, s, len);
}

/* Writes a string value: 1, 0 out of memory, -1 not UTF-8. */
static int out_value_string(encode_ctx *ctx, const char *s, size_t len)
{
    int r = cached_string(ctx, s, len);
    if (r)
        return r > 0;
    size_t start = ctx->len;
    r = out_string(ctx, s, len, 1);
    if (r == 1)
        cache_string(ctx, s, len, start);
    return r;
}

/* Writes a member's key the cache does not know (checked for NUL before):
 * 1, 0 out of memory. A key that is not UTF-8 is written unchecked and
 * left to the end of its table, which reports it as it always did. */
static int out_key(encode_ctx *ctx, encode_member *m)
{
    size_t start = ctx->len;
    int r = out_string(ctx, m->key, m->key_len, 1);
    if (r == 1) {
        m->key_checked = 1;
        cache_string(ctx, m->key, m->key_len, start);
        return 1;
    }
    if (r == 0)
        return 0;
    ctx->len = start;
    return out_string(ctx, m->key, m->key_len, 0) == 1;
}

static inline int key_order(const encode_member *x, const encode_member *y)
{
    return jsontext_key_order(x->key, x->key_len, y->key, y->key_len);
}

static int compare_keys(const void *a, const void *b)
{
    return key_order(a, b);
}

/* The members in key order. An object's keys are distinct and usually few:
 * an insertion sort moving whole members, jsontext_sort for many. */
static void sort_by_key(encode_member *m, size_t n)
{
    if (n > 16) {
        jsontext_sort(m, n, sizeof *m, compare_keys);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        encode_member v = m[i];
        size_t j = i;
        for (; j > 0 && key_order(&m[j - 1], &v) > 0; j--)
            m[j] = m[j - 1];
        m[j] = v;
    }
}

static int compare_indexes(const void *a, const void *b)
{
    const encode_member *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

/* Rewrites the pieces from body on in the order of m; the total length and
 * so the final comma's position do not change. */
static int reorder(encode_ctx *ctx, size_t body, const encode_member *m, size_t n)
{
    size_t size = ctx->len - body;
    char *w = ctx->out + body;
    if (ctx->spare_cap < size && !grow(&ctx->spare, &ctx->spare_cap, size))
        return 0;
    memcpy(ctx->spare, w, size);
    for (size_t i = 0; i < n; i++) {
        memcpy(w, ctx->spare + (m[i].start - body), m[i].end - m[i].start);
        w += m[i].end - m[i].start;
    }
    return 1;
}

static int encode_value(encode_ctx *ctx, int idx, int depth);

/* luajson.c's convert_table, writing text instead of building json_t. */
static int encode_table(encode_ctx *ctx, int idx, int depth)
{
    lua_State *L = ctx->L;
    const void *self = lua_topointer(L, idx);
    size_t base = ctx->n_members, start = ctx->len, n;
    int string_keys = 0, integer_keys = 0, in_order = 1;
    lua_Integer max_index = 0;
    encode_member *m;
    luajson_path path;

    for (int i = 0; i < depth; i++)
        if (ctx->tables[i] == self) {
            encode_path(ctx, depth, &path);
            return encode_fail(ctx, "result table refers to itself at%s%s", PATH_AT(&path));
        }
    if (depth >= ctx->limits.max_depth) {
        encode_path(ctx, depth, &path);
        return encode_fail(ctx, "result nests deeper than %d levels at%s%s", ctx->limits.max_depth,
                           PATH_AT(&path));
    }
    if (!lua_checkstack(L, 4)) {
        encode_path(ctx, depth, &path);
        return encode_fail(ctx, "Lua stack exhausted converting%s%s", PATH_AT(&path));
    }
    ctx->tables[depth] = self;
    if (!out_add(ctx, "[", 1)) /* '[' or '{': decided by the keys */
        return out_of_memory(ctx, depth);

    lua_pushnil(L);
    while (lua_next(L, idx)) {
        encode_member member = {.start = ctx->len};
        int key_type = lua_type(L, -2), ok;
        ctx->key_slot[depth] = lua_gettop(L) - 1;
        if (key_type == LUA_TSTRING) {
            member.key = lua_tolstring(L, -2, &member.key_len);
            string_keys = 1;
            /* A key the cache knows is written at once: it has no NUL. */
            int known = cached_string(ctx, member.key, member.key_len);
            member.key_checked = known > 0;
            if (known < 0) {
                ok = out_of_memory(ctx, depth + 1);
            } else if (!known && memchr(member.key, '\0', member.key_len)) {
                encode_path(ctx, depth + 1, &path);
                ok = encode_fail(ctx, "key at %s contains a NUL byte", luajson_path_show(&path));
            } else if ((ctx->bytes += member.key_len) > ctx->limits.max_string_bytes) {
                encode_path(ctx, depth + 1, &path);
                ok = encode_fail(ctx, "result holds more than %zu bytes of text (at%s%s)",
                                 ctx->limits.max_string_bytes, PATH_AT(&path));
            } else if ((!known && !out_key(ctx, &member)) || !out_add(ctx, ":", 1)) {
                ok = out_of_memory(ctx, depth + 1);
            } else {
                ok = encode_value(ctx, lua_gettop(L), depth + 1);
            }
        } else if (key_type == LUA_TNUMBER && lua_isinteger(L, -2) && lua_tointeger(L, -2) > 0) {
            member.index = lua_tointeger(L, -2);
            integer_keys = 1;
            if (member.index > max_index)
                max_index = member.index;
            ok = encode_value(ctx, lua_gettop(L), depth + 1);
        } else {
            encode_path(ctx, depth, &path);
            ok = encode_fail(ctx,
                             "table at%s%s has a key of type %s; only string keys (object) or "
                             "1..n (array) convert to JSON",
                             PATH_AT(&path),
                             key_type == LUA_TNUMBER ? "number (not a positive integer)"
                                                     : lua_typename(L, key_type));
        }
        if (!ok)
            return 0; /* luajson_encode restores the stack */
        if (string_keys && integer_keys) {
            encode_path(ctx, depth, &path);
            return encode_fail(ctx, "table at%s%s mixes string keys and integer keys",
                               PATH_AT(&path));
        }
        if (!out_add(ctx, ",", 1))
            return out_of_memory(ctx, depth);
        member.end = ctx->len;
        if (ctx->n_members == ctx->cap_members) {
            size_t ncap = ctx->cap_members ? ctx->cap_members * 2 : 64;
            encode_member *grown = realloc(ctx->members, ncap * sizeof *grown);
            if (!grown)
                return out_of_memory(ctx, depth);
            ctx->members = grown;
            ctx->cap_members = ncap;
        }
        ctx->members[ctx->n_members++] = member;
        lua_pop(L, 1); /* keep the key for lua_next */
    }

    m = ctx->members + base;
    n = ctx->n_members - base;
    ctx->n_members = base;
    if (string_keys) {
        for (size_t i = 1; i < n && in_order; i++)
            in_order = key_order(&m[i - 1], &m[i]) < 0;
        if (!in_order)
            sort_by_key(m, n);
        for (size_t i = 0; i < n; i++)
            if (!m[i].key_checked &&
                !jsontext_utf8_valid((const unsigned char *)m[i].key, m[i].key_len)) {
                encode_path(ctx, depth, &path);
                luajson_path_push_key(&path, m[i].key, m[i].key_len);
                return encode_fail(ctx, "key at %s is not valid UTF-8", luajson_path_show(&path));
            }
        ctx->out[start] = '{';
    } else {
        if ((size_t)max_index != n) {
            encode_path(ctx, depth, &path);
            return encode_fail(ctx, "array at%s%s has holes: %zu elements but index %lld",
                               PATH_AT(&path), n, (long long)max_index);
        }
        if (n == 0)
            return out_add(ctx, "]", 1) || out_of_memory(ctx, depth);
        for (size_t i = 0; i < n && in_order; i++)
            in_order = m[i].index == (lua_Integer)i + 1;
        if (!in_order)
            jsontext_sort(m, n, sizeof *m, compare_indexes);
    }
    if (!in_order && !reorder(ctx, start + 1, m, n))
        return out_of_memory(ctx, depth);
    ctx->out[ctx->len - 1] = string_keys ? '}' : ']'; /* the last piece's comma */
    return 1;
}

/* luajson.c's convert(). */
static int encode_value(encode_ctx *ctx, int idx, int depth)
{
    lua_State *L = ctx->L;
    luajson_path path;
    int ok;
    if (++ctx->values > ctx->limits.max_values) {
        encode_path(ctx, depth, &path);
        return encode_fail(ctx, "result has more than %zu values (at%s%s)", ctx->limits.max_values,
                           PATH_AT(&path));
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        ok = out_add(ctx, "null", 4);
        break;
    case LUA_TBOOLEAN:
        ok = lua_toboolean(L, idx) ? out_add(ctx, "true", 4) : out_add(ctx, "false", 5);
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            ok = out_integer(ctx, lua_tointeger(L, idx));
        } else if (!isfinite(lua_tonumber(L, idx))) {
            encode_path(ctx, depth, &path);
            return encode_fail(ctx, "number at%s%s is not finite", PATH_AT(&path));
        } else {
            ok = out_real(ctx, lua_tonumber(L, idx));
        }
        break;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if ((ctx->bytes += len) > ctx->limits.max_string_bytes) {
            encode_path(ctx, depth, &path);
            return encode_fail(ctx, "result holds more than %zu bytes of text (at%s%s)",
                               ctx->limits.max_string_bytes, PATH_AT(&path));
        }
        ok = out_value_string(ctx, s, len);
        if (ok < 0) {
            encode_path(ctx, depth, &path);
            return encode_fail(ctx, "string at%s%s is not valid UTF-8", PATH_AT(&path));
        }
        break;
    }
    case LUA_TTABLE:
        if (sandbox_readonly_target(L, idx)) { /* a view: encode what it shows */
            int done = encode_table(ctx, lua_gettop(L), depth);
            lua_pop(L, 1);
            return done;
        }
        return encode_table(ctx, lua_absindex(L, idx), depth);
    default:
        encode_path(ctx, depth, &path);
        return encode_fail(ctx,
                           "value at%s%s is a %s; only nil, booleans, numbers, strings and "
                           "tables convert to JSON",
                           PATH_AT(&path), lua_typename(L, lua_type(L, idx)));
    }
    return ok || out_of_memory(ctx, depth);
}

/* Encodes the value at idx after ctx->len bytes of ctx->out; the stack is
 * left as it was. 1 on success (ctx->out NUL-terminated), 0 with ctx->err
 * filled. */
static int encode_run(encode_ctx *ctx, lua_State *L, int idx, const luajson_limits *limits,
                      cr_err *err)
{
    int top = lua_gettop(L), ok;
    ctx->L = L;
    ctx->limits = luajson_limits_or_default(limits);
    ctx->err = err;
    ctx->values = ctx->bytes = 0;
    ctx->n_members = 0;
    ok = encode_value(ctx, lua_absindex(L, idx), 0) && out_add(ctx, "", 0);
    lua_settop(L, top);
    if (ok)
        ctx->out[ctx->len] = '\0'; /* out_add keeps a byte free */
    return ok;
}

char *luajson_encode(lua_State *L, int idx, const luajson_limits *limits, size_t *len, cr_err *err)
{
    encode_ctx ctx;
    memset(&ctx, 0, offsetof(encode_ctx, key_slot));
    int ok = encode_run(&ctx, L, idx, limits, err);
    free(ctx.spare);
    free(ctx.members);
    if (!ok) {
        free(ctx.out);
        return NULL;
    }
    if (len)
        *len = ctx.len;
    return ctx.out;
}

cr_status luajson_encode_append(lua_State *L, int idx, const luajson_limits *limits,
                                luajson_buffer *buf, cr_err *err)
{
    encode_ctx ctx;
    memset(&ctx, 0, offsetof(encode_ctx, key_slot));
    ctx.out = buf->text;
    ctx.len = buf->len;
    ctx.cap = buf->cap;
    ctx.spare = buf->spare;
    ctx.spare_cap = buf->spare_cap;
    ctx.members = buf->members;
    ctx.cap_members = buf->cap_members;
    if (!buf->cache)
        buf->cache = calloc(1, sizeof(struct encode_cache)); /* none: every string is scanned */
    ctx.cache = buf->cache;
    int ok = encode_run(&ctx, L, idx, limits, err);
    /* The buffers stay with buf, grown or not; only the text's end moves. */
    buf->text = ctx.out;
    buf->cap = ctx.cap;
    buf->spare = ctx.spare;
    buf->spare_cap = ctx.spare_cap;
    buf->members = ctx.members;
    buf->cap_members = ctx.cap_members;
    if (!ok) {
        if (buf->text)
            buf->text[buf->len] = '\0';
        return CR_INVALID;
    }
    buf->len = ctx.len;
    return CR_OK;
}

void luajson_buffer_free(luajson_buffer *buf)
{
    free(buf->text);
    free(buf->spare);
    free(buf->members);
    free(buf->cache);
    memset(buf, 0, sizeof *buf);
}
