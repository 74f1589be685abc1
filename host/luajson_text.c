/*
 * luajson_text.c -- JSON text to Lua values, without a jansson tree (see
 * luajson_text.h; the other direction is luajson_encode.c).
 *
 * Parsing runs inside lua_pcall: tables and strings allocate, and the
 * sandbox's memory cap may refuse. The members of a container collect on
 * the Lua stack and go into a table sized for them when the container ends
 * (or when LUAJSON_CHUNK_SLOTS are used), so tables are not rehashed as
 * they grow.
 * A data error is written into the parse context and raised with lua_error
 * on whatever value is on top, so unwinding never needs an allocation.
 *
 * Every case repeats the same keys ("case_no", "court", "at", ...) and many
 * of the same short values. Pushing a string makes Lua hash all its bytes
 * and compare it with its string table, so short strings go through a small
 * cache of the strings pushed before (see push_cached).
 */
#include "luajson_text.h"
#include "luajson_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

enum {
    STACK_SPARE = 8,       /* free slots kept for one member, a string and the scratch, or
                              for the view of the table on top (SANDBOX_VIEW_SLOTS) */
    FEW_KEYS = 32,         /* an object's first keys compared among themselves, not looked up */
    STRING_CACHE_BITS = 8, /* the string cache's halves have 2^8 slots */
    STRING_CACHE_SLOTS = 2 << STRING_CACHE_BITS, /* keys' half, then values' half */
    STRING_CACHE_MAX_LEN = 24,                   /* longer strings seldom recur: not cached */
};

/* One slot of a state's string cache. The string itself is the cache's
 * user value of the same number; text is its bytes (Lua never moves a
 * string, and the user value keeps it alive), len its length (SIZE_MAX
 * while the slot is empty), first and last its string_words. missed is the
 * hash of the last value string that missed the slot and was not put in. */
typedef struct cached_string {
    uint64_t first, last;
    size_t len;
    const char *text;
    uint64_t missed;
} cached_string;

/* A state's string cache: a userdata with one user value per slot, kept in
 * the registry under &string_cache_key. Direct-mapped: a string has one
 * slot in its half, and a string put there replaces the one before. Keys
 * and values have separate halves, so the many values that never recur
 * (names, dates, numbers) cannot push out the keys that always do.
 * Its memory is bounded (the slots, their user values and a string of at
 * most STRING_CACHE_MAX_LEN bytes each: about 60 KiB at most) and counts
 * against the state's memory cap. Only C code reaches it: scripts never
 * see the registry. */
typedef struct string_cache {
    cached_string slots[STRING_CACHE_SLOTS];
} string_cache;

static const char string_cache_key;

/* A pending key's bytes, as lua_pushlstring returned them: valid while the
 * string is on the stack (Lua does not move strings). */
typedef struct few_key {
    const char *text;
    size_t len;
} few_key;

typedef struct text_frame {
    int slot;       /* stack index of the table; nil there until the first drain */
    int is_object;  /* members are (key, value, key offset) triples, else values */
    int in_member;  /* a member is being parsed (its key, if any, is on the stack) */
    size_t pending; /* members on the stack above slot */
    size_t stored;  /* members already in the table */
    size_t nulls;   /* null members held by null_member until the object ends */
} text_frame;

typedef struct parse_ctx {
    const unsigned char *text, *p, *end;
    luajson_limits limits;
    int frozen;
    size_t values, bytes;
    int scratch_slot; /* a userdata: decoded strings, number text */
    unsigned char *scratch;
    size_t scratch_cap;
    int cache_slot; /* the state's string cache (its userdata) */
    string_cache *cache;
    int pooled;         /* LUAJSON_TEXT_POOLED was given (frozen holds the rest) */
    int kit_slot;       /* sandbox_push_view_kit's values, if frozen */
    char decimal_point; /* 0 until a real number is parsed */
    int open;           /* containers being parsed: frames[0..open-1] */
    text_frame frames[LUAJSON_MAX_DEPTH];
    cr_status status; /* CR_OK until a failure is raised */
    char msg[sizeof(((cr_err *)0)->msg)];
    few_key few_keys[LUAJSON_MAX_DEPTH][FEW_KEYS]; /* frames[d]'s first keys */
} parse_ctx;

/* A null member's placeholder: it holds the key (so a duplicate is found)
 * until the object ends. JSON yields no light userdata, so it is unambiguous. */
static const char null_member;

/* The path of the value being parsed, as luajson_push names it. */
static void parse_path(lua_State *L, const parse_ctx *ctx, luajson_path *path)
{
    path->len = 0;
    path->text[0] = '\0';
    for (int d = 0; d < ctx->open && ctx->frames[d].in_member; d++) {
        const text_frame *f = &ctx->frames[d];
        if (f->is_object) {
            size_t len;
            const char *key = lua_tolstring(L, f->slot + 1 + 3 * (int)f->pending, &len);
            luajson_path_push_key(path, key, len);
        } else {
            luajson_path_push(path, "[%zu]", f->stored + f->pending + 1);
        }
    }
}

/* Notes the failure in ctx and unwinds to luajson_push_text's lua_pcall. */
static void parse_raise(lua_State *L, parse_ctx *ctx, cr_status status, size_t offset,
                        const luajson_path *path, const char *what) __attribute__((noreturn));
static void parse_raise(lua_State *L, parse_ctx *ctx, cr_status status, size_t offset,
                        const luajson_path *path, const char *what)
{
    ctx->status = status;
    if (path->len)
        snprintf(ctx->msg, sizeof ctx->msg, "%s at byte %zu (in %s)", what, offset, path->text);
    else
        snprintf(ctx->msg, sizeof ctx->msg, "%s at byte %zu", what, offset);
    lua_error(L); /* the error object is whatever is on top: the message is in ctx */
    abort();      /* not reached */
}

static void parse_fail(lua_State *L, parse_ctx *ctx, const unsigned char *at, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));
static void parse_fail(lua_State *L, parse_ctx *ctx, const unsigned char *at, const char *fmt, ...)
{
    char what[512];
    luajson_path path;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    parse_path(L, ctx, &path);
    parse_raise(L, ctx, CR_INVALID, (size_t)(at - ctx->text), &path, what);
}

static void skip_space(parse_ctx *ctx)
{
    const unsigned char *p = ctx->p;
    while (p < ctx->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ctx->p = p;
}

/* Makes room for `more` bytes after the first `used` of the scratch buffer. */
static unsigned char *scratch_reserve(lua_State *L, parse_ctx *ctx, size_t used, size_t more)
{
    if (used + more > ctx->scratch_cap) {
        size_t cap = ctx->scratch_cap ? ctx->scratch_cap : 256;
        while (cap < used + more)
            cap *= 2;
        unsigned char *grown = lua_newuserdatauv(L, cap, 0); /* the old one is still held */
        if (used)
            memcpy(grown, ctx->scratch, used);
        lua_replace(L, ctx->scratch_slot);
        ctx->scratch = grown;
        ctx->scratch_cap = cap;
    }
    return ctx->scratch + used;
}

static void count_string_bytes(lua_State *L, parse_ctx *ctx, const unsigned char *at, size_t len)
{
    ctx->bytes += len;
    if (ctx->bytes > ctx->limits.max_string_bytes)
        parse_fail(L, ctx, at, "more than %zu bytes of keys and strings",
                   ctx->limits.max_string_bytes);
}

/* Two words holding the len bytes at s, for a short string all of them:
 * the first and the last eight (they overlap below 16 bytes), four below 8
 * bytes, the first, middle and last byte below 4. Strings of the same
 * length up to 16 bytes are equal if and only if their words are. */
static void string_words(const unsigned char *s, size_t len, uint64_t *first, uint64_t *last)
{
    if (len >= 8) {
        memcpy(first, s, 8);
        memcpy(last, s + len - 8, 8);
    } else if (len >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + len - 4, 4);
        *first = a;
        *last = b;
    } else {
        *first = len ? s[0] | (uint64_t)s[len / 2] << 8 : 0;
        *last = len ? s[len - 1] : 0;
    }
}

/* Pushes a string its slot i does not hold, and puts it there. */
static const char *push_new_string(lua_State *L, string_cache *cache, int cache_slot,
                                   const unsigned char *s, size_t len, unsigned i, uint64_t first,
                                   uint64_t last)
{
    const char *text = lua_pushlstring(L, (const char *)s, len);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, cache_slot, (int)i + 1);
    cache->slots[i] = (cached_string){first, last, len, text, 0};
    return text;
}

/* Pushes the len bytes at s as a string and returns its bytes, as
 * lua_pushlstring does, but takes the string from the cache when its slot
 * (a hash of its words, in the keys' or the values' half) holds it: that
 * costs a few comparisons where Lua would hash every byte and search its
 * string table. A key that misses takes the slot; a value only when it
 * missed the slot the time before too, so that values seen once (most of
 * them) cost a lookup more, not an update of the cache as well. */
static inline __attribute__((always_inline)) const char *
push_cached(lua_State *L, string_cache *cache, int cache_slot, const unsigned char *s, size_t len,
            int is_key)
{
    uint64_t first, last;
    if (len > STRING_CACHE_MAX_LEN)
        return lua_pushlstring(L, (const char *)s, len);
    string_words(s, len, &first, &last);
    uint64_t h =
        (first ^ (last * UINT64_C(0x9E3779B97F4A7C15)) ^ len) * UINT64_C(0xBF58476D1CE4E5B9);
    unsigned i = (unsigned)(h >> (64 - STRING_CACHE_BITS)) | (is_key ? 0 : 1u << STRING_CACHE_BITS);
    cached_string *slot = &cache->slots[i];
    if (slot->len == len && slot->first == first && slot->last == last &&
        (len <= 16 || memcmp(slot->text + 8, s + 8, len - 16) == 0)) {
        lua_getiuservalue(L, cache_slot, (int)i + 1);
        return slot->text;
    }
    if (!is_key && slot->missed != h) {
        slot->missed = h;
        return lua_pushlstring(L, (const char *)s, len);
    }
    return push_new_string(L, cache, cache_slot, s, len, i, first, last);
}

/* luajson_internal.h */
void *luajson_strings_push(lua_State *L)
{
    string_cache *cache;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &string_cache_key) == LUA_TUSERDATA)
        return lua_touserdata(L, -1);
    lua_pop(L, 1);
    cache = lua_newuserdatauv(L, sizeof *cache, STRING_CACHE_SLOTS);
    for (size_t i = 0; i < STRING_CACHE_SLOTS; i++)
        cache->slots[i] = (cached_string){.len = SIZE_MAX};
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &string_cache_key);
    return cache;
}

const char *luajson_strings_pushl(lua_State *L, void *cache, int cache_slot, const char *s,
                                  size_t len, int is_key)
{
    return push_cached(L, cache, cache_slot, (const unsigned char *)s, len, is_key);
}

/* Decodes the escape at p (a backslash) into out; returns the bytes written
 * and advances *pp past the escape. */
static size_t parse_escape(lua_State *L, parse_ctx *ctx, const unsigned char **pp,
                           unsigned char *out)
{
    const unsigned char *esc = *pp, *end = ctx->end;
    uint32_t cp, low;
    if (end - esc < 2)
        parse_fail(L, ctx, esc, "unterminated string");
    *pp = esc + 2;
    int simple = jsontext_simple_escape(esc[1]);
    if (simple >= 0) {
        out[0] = (unsigned char)simple;
        return 1;
    }
    if (esc[1] != 'u')
        parse_fail(L, ctx, esc, "invalid escape '\\' followed by byte 0x%02x", esc[1]);
    if (!jsontext_hex4(esc + 2, end, &cp))
        parse_fail(L, ctx, esc, "invalid \\u escape (four hex digits expected)");
    *pp = esc + 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end - esc < 12 || esc[6] != '\\' || esc[7] != 'u' ||
            !jsontext_hex4(esc + 8, end, &low) || low < 0xDC00 || low > 0xDFFF)
            parse_fail(L, ctx, esc, "lone surrogate \\u%04X (no low surrogate follows)", cp);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        *pp = esc + 12;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        parse_fail(L, ctx, esc, "lone surrogate \\u%04X (no high surrogate before it)", cp);
    } else if (cp == 0) {
        parse_fail(L, ctx, esc, "\\u0000 in a string (NUL is not allowed)");
    }
    return jsontext_utf8_put(cp, out);
}

/* Pushes the string whose opening quote is at ctx->p; returns its bytes
 * (lua_pushlstring's copy) and sets *len. */
static const char *parse_string(lua_State *L, parse_ctx *ctx, size_t *len, int is_key)
{
    const unsigned char *quote = ctx->p, *p = quote + 1, *end = ctx->end, *run;
    size_t used = 0, plain = jsontext_plain_run(p, (size_t)(end - p), 0, 1);
    if (plain == (size_t)-1) /* no escape before it: walk to the bad sequence */
        for (size_t n;; p += n)
            if (!(n = jsontext_utf8_sequence(p, (size_t)(end - p))))
                parse_fail(L, ctx, p, "invalid UTF-8 in a string");
    /* p at the first escape, control character or the end */
    p += plain;
    if (p < end && *p == '"') { /* no escapes: the text itself, no copy */
        *len = (size_t)(p - quote - 1);
        count_string_bytes(L, ctx, quote, *len);
        ctx->p = p + 1;
        return push_cached(L, ctx->cache, ctx->cache_slot, quote + 1, *len, is_key);
    }
    run = quote + 1;
    for (;;) {
        if (p >= end || *p == '"' || *p == '\\' || *p < 0x20) {
            size_t n = (size_t)(p - run);
            memcpy(scratch_reserve(L, ctx, used, n + 4), run, n);
            used += n;
            if (p >= end)
                parse_fail(L, ctx, quote, "unterminated string");
            if (*p == '"')
                break;
            if (*p < 0x20)
                parse_fail(L, ctx, p, "control character 0x%02x in a string", *p);
            used += parse_escape(L, ctx, &p, ctx->scratch + used);
            run = p;
        } else if (*p < 0x80) {
            p++;
        } else {
            size_t n = jsontext_utf8_sequence(p, (size_t)(end - p));
            if (!n)
                parse_fail(L, ctx, p, "invalid UTF-8 in a string");
            p += n;
        }
    }
    count_string_bytes(L, ctx, quote, used);
    ctx->p = p + 1;
    *len = used;
    return push_cached(L, ctx->cache, ctx->cache_slot, ctx->scratch, used, is_key);
}

/* Pushes the number at ctx->p: an integer if it has no fraction or exponent
 * and fits lua_Integer, else a float. */
static void parse_number(lua_State *L, parse_ctx *ctx)
{
    const unsigned char *start = ctx->p, *p = start, *end;
    int negative = *p == '-', integral, overflow = 0;
    const char *why;
    uint64_t magnitude = 0;
    size_t len = jsontext_number(start, ctx->end, &integral, &why);
    if (!len)
        parse_fail(L, ctx, start, "%s", why);
    end = start + len;
    for (p += negative; integral && p < end; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (magnitude > (UINT64_MAX - d) / 10)
            overflow = 1;
        else
            magnitude = magnitude * 10 + d;
    }
    ctx->p = end;
    if (integral && !overflow) {
        if (!negative && magnitude <= (uint64_t)LUA_MAXINTEGER) {
            lua_pushinteger(L, (lua_Integer)magnitude);
            return;
        }
        if (negative && magnitude <= (uint64_t)LUA_MAXINTEGER + 1) {
            lua_pushinteger(L, magnitude ? -(lua_Integer)(magnitude - 1) - 1 : 0);
            return;
        }
    }
    char *text = (char *)scratch_reserve(L, ctx, 0, len + 1), *stop;
    memcpy(text, start, len);
    text[len] = '\0';
    if (!ctx->decimal_point)
        ctx->decimal_point = jsontext_decimal_point();
    if (ctx->decimal_point != '.') {
        char *point = strchr(text, '.');
        if (point)
            *point = ctx->decimal_point;
    }
    errno = 0;
    double value = strtod(text, &stop);
    if ((value == HUGE_VAL || value == -HUGE_VAL) && errno == ERANGE)
        parse_fail(L, ctx, start, "number out of range");
    lua_pushnumber(L, value);
}

static void parse_literal(lua_State *L, parse_ctx *ctx, const char *word, size_t len)
{
    if ((size_t)(ctx->end - ctx->p) < len || memcmp(ctx->p, word, len) != 0)
        parse_fail(L, ctx, ctx->p, "invalid value (expected a JSON value)");
    ctx->p += len;
}

/* Raises "duplicate key" for the pending member whose key is at stack
 * index key. */
static void duplicate_key(lua_State *L, parse_ctx *ctx, int key) __attribute__((noreturn));
static void duplicate_key(lua_State *L, parse_ctx *ctx, int key)
{
    luajson_path path;
    size_t len;
    const char *name = lua_tolstring(L, key, &len);
    parse_path(L, ctx, &path);
    luajson_path_push_key(&path, name, len);
    parse_raise(L, ctx, CR_INVALID, (size_t)lua_tointeger(L, key + 2), &path, "duplicate key");
}

/* Raises for the first of a fresh object's pending members (at most
 * FEW_KEYS, their keys in ctx->few_keys) whose key an earlier one has:
 * what looking each up in the table before storing it finds, without the
 * lookups. A key is compared with the earlier ones only if one of them
 * fell in its bucket (of 64, by length and first and last byte). */
static void check_few_keys(lua_State *L, parse_ctx *ctx, const text_frame *f)
{
    const few_key *keys = ctx->few_keys[f - ctx->frames];
    uint64_t buckets = 0;
    for (size_t i = 0; i < f->pending; i++) {
        const unsigned char *key = (const unsigned char *)keys[i].text;
        size_t len = keys[i].len;
        uint64_t bucket = (uint64_t)1 << ((len + (len ? key[0] + 3u * key[len - 1] : 0)) & 63);
        if (buckets & bucket) {
            for (size_t j = 0; j < i; j++)
                if (keys[j].len == len && (keys[j].text == keys[i].text ||
                                           (keys[j].text[0] == keys[i].text[0] &&
                                            memcmp(keys[j].text, keys[i].text, len) == 0)))
                    duplicate_key(L, ctx, f->slot + 1 + 3 * (int)i);
        }
        buckets |= bucket;
    }
}

/* Moves the pending members into the table, creating it sized for them. */
static void drain(lua_State *L, parse_ctx *ctx, text_frame *f)
{
    int slot = f->slot, few = 0;
    if (lua_isnil(L, slot)) {
        int n = f->pending > INT32_MAX ? 0 : (int)f->pending;
        if (f->is_object && f->pending <= FEW_KEYS) {
            check_few_keys(L, ctx, f);
            few = 1;
        }
        lua_createtable(L, f->is_object ? 0 : n, f->is_object ? n : 0);
        lua_replace(L, slot);
    }
    for (size_t i = 0; i < f->pending; i++) {
        if (f->is_object) {
            int key = slot + 1 + 3 * (int)i;
            if (!few) {
                lua_pushvalue(L, key);
                if (lua_rawget(L, slot) != LUA_TNIL)
                    duplicate_key(L, ctx, key);
                lua_pop(L, 1);
            }
            lua_pushvalue(L, key);
            lua_pushvalue(L, key + 1);
            lua_rawset(L, slot);
        } else {
            lua_pushvalue(L, slot + 1 + (int)i);
            lua_rawseti(L, slot, (lua_Integer)(f->stored + i + 1));
        }
    }
    f->stored += f->pending;
    f->pending = 0;
    lua_settop(L, slot);
}

static void remove_null_members(lua_State *L, int slot)
{
    lua_pushnil(L);
    while (lua_next(L, slot)) {
        int held = lua_touserdata(L, -1) == &null_member;
        lua_pop(L, 1);
        if (held) { /* clearing a field during lua_next is allowed */
            lua_pushvalue(L, -1);
            lua_pushnil(L);
            lua_rawset(L, slot);
        }
    }
}

static int parse_value(lua_State *L, parse_ctx *ctx);

/* parse_value, with a string (most members) parsed here rather than through
 * parse_value's call and switch. */
static int parse_member_value(lua_State *L, parse_ctx *ctx)
{
    skip_space(ctx);
    if (ctx->p < ctx->end && *ctx->p == '"') {
        size_t len;
        if (++ctx->values > ctx->limits.max_values)
            parse_fail(L, ctx, ctx->p, "more than %zu values", ctx->limits.max_values);
        parse_string(L, ctx, &len, 0);
        return 1;
    }
    return parse_value(L, ctx);
}

/* Pushes the object or array whose bracket is at ctx->p. */
static void parse_container(lua_State *L, parse_ctx *ctx, int is_object)
{
    const unsigned char close = is_object ? '}' : ']';
    text_frame *f;
    int room;
    if (ctx->open >= ctx->limits.max_depth)
        parse_fail(L, ctx, ctx->p, "data nested deeper than %d levels", ctx->limits.max_depth);
    f = &ctx->frames[ctx->open++];
    /* Room for one member and for every container that may open inside it,
     * so a nested container that has drained its own members always finds
     * the room it needs: only the innermost frame can drain. */
    room = 3 + STACK_SPARE + (ctx->limits.max_depth - ctx->open) * (4 + STACK_SPARE);
    *f = (text_frame){.slot = lua_gettop(L) + 1, .is_object = is_object};
    lua_pushnil(L);
    ctx->p++;
    skip_space(ctx);
    if (ctx->p < ctx->end && *ctx->p == close) {
        ctx->p++;
    } else {
        for (;;) {
            if (!lua_checkstack(L, room)) {
                drain(L, ctx, f);
                if (!lua_checkstack(L, room)) {
                    luajson_path path;
                    parse_path(L, ctx, &path);
                    parse_raise(L, ctx, CR_FAIL, (size_t)(ctx->p - ctx->text), &path,
                                "Lua stack exhausted");
                }
            }
            skip_space(ctx);
            const unsigned char *at = ctx->p;
            if (is_object) {
                if (at >= ctx->end)
                    parse_fail(L, ctx, at, "unexpected end of text (a string key expected)");
                if (*at != '"')
                    parse_fail(L, ctx, at, "a string key expected");
                size_t key_len;
                const char *key = parse_string(L, ctx, &key_len, 1);
                if (f->pending < FEW_KEYS) /* read only before the first drain */
                    ctx->few_keys[ctx->open - 1][f->pending] = (few_key){key, key_len};
                f->in_member = 1;
                skip_space(ctx);
                if (ctx->p >= ctx->end || *ctx->p != ':')
                    parse_fail(L, ctx, ctx->p, "':' expected after the key");
                ctx->p++;
                if (!parse_member_value(L, ctx)) {
                    lua_pushlightuserdata(L, (void *)&null_member);
                    f->nulls++;
                }
                lua_pushinteger(L, (lua_Integer)(at - ctx->text));
            } else {
                f->in_member = 1;
                if (!parse_member_value(L, ctx))
                    parse_fail(L, ctx, at, "null inside an array (it would leave a hole)");
            }
            f->in_member = 0;
            if (++f->pending >= (is_object ? LUAJSON_CHUNK_MEMBERS : LUAJSON_CHUNK_ELEMENTS))
                drain(L, ctx, f);
            skip_space(ctx);
            if (ctx->p < ctx->end && *ctx->p == ',') {
                ctx->p++;
                continue;
            }
            if (ctx->p < ctx->end && *ctx->p == close) {
                ctx->p++;
                break;
            }
            parse_fail(L, ctx, ctx->p, "%s'%c' or '%c' expected",
                       ctx->p >= ctx->end ? "unexpected end of text: " : "", ',', close);
        }
    }
    drain(L, ctx, f);
    if (f->nulls)
        remove_null_members(L, f->slot);
    ctx->open--;
    if (ctx->frozen == LUAJSON_TEXT_FROZEN_BELOW ? ctx->open > 0 : ctx->frozen != 0)
        sandbox_readonly_fresh(L, ctx->kit_slot);
}

/* Pushes the value at ctx->p, or returns 0 and pushes nothing for null (the
 * caller decides what null means where it stands). */
static int parse_value(lua_State *L, parse_ctx *ctx)
{
    skip_space(ctx);
    if (ctx->p >= ctx->end)
        parse_fail(L, ctx, ctx->p, "unexpected end of text (a value expected)");
    if (*ctx->p == 'n') {
        parse_literal(L, ctx, "null", 4);
        return 0;
    }
    if (++ctx->values > ctx->limits.max_values)
        parse_fail(L, ctx, ctx->p, "more than %zu values", ctx->limits.max_values);
    switch (*ctx->p) {
    case '{':
        parse_container(L, ctx, 1);
        break;
    case '[':
        parse_container(L, ctx, 0);
        break;
    case '"': {
        size_t len;
        parse_string(L, ctx, &len, 0);
        break;
    }
    case 't':
        parse_literal(L, ctx, "true", 4);
        lua_pushboolean(L, 1);
        break;
    case 'f':
        parse_literal(L, ctx, "false", 5);
        lua_pushboolean(L, 0);
        break;
    default:
        if (*ctx->p != '-' && (*ctx->p < '0' || *ctx->p > '9'))
            parse_fail(L, ctx, ctx->p, "invalid value (expected a JSON value)");
        parse_number(L, ctx);
        break;
    }
    return 1;
}

/* lua_CFunction run by luajson_push_text: [1] light userdata parse_ctx.
 * Lua gives it LUA_MINSTACK free slots, enough for what it pushes before
 * the first container checks for room: an empty one is viewed at once. */
static int push_text_protected(lua_State *L)
{
    _Static_assert((int)SANDBOX_VIEW_SLOTS <= (int)STACK_SPARE, "a view fits in the spare slots");
    _Static_assert(3 + SANDBOX_VIEW_KIT_SLOTS + 1 + SANDBOX_VIEW_SLOTS <= LUA_MINSTACK,
                   "context, scratch, cache, kit, a table and its view fit");
    parse_ctx *ctx = lua_touserdata(L, 1);
    lua_pushnil(L);
    ctx->scratch_slot = lua_gettop(L);
    ctx->cache = luajson_strings_push(L);
    ctx->cache_slot = lua_gettop(L);
    if (ctx->frozen) {
        ctx->kit_slot = lua_gettop(L) + 1;
        sandbox_push_view_kit(L, ctx->pooled);
    }
    if (!parse_value(L, ctx)) { /* a top-level null: nil, counted as luajson_push does */
        if (++ctx->values > ctx->limits.max_values)
            parse_fail(L, ctx, ctx->p - 4, "more than %zu values", ctx->limits.max_values);
        lua_pushnil(L);
    }
    skip_space(ctx);
    if (ctx->p < ctx->end)
        parse_fail(L, ctx, ctx->p, "unexpected text after the JSON value");
    return 1;
}

cr_status luajson_push_text(lua_State *L, const char *text, size_t len, int frozen,
                            const luajson_limits *limits, cr_err *err)
{
    parse_ctx ctx;
    int status;
    if (!text)
        return cr_errf(err, CR_INVALID, "no JSON text to convert");
    memset(&ctx, 0, offsetof(parse_ctx, frames));
    ctx.text = ctx.p = (const unsigned char *)text;
    ctx.end = ctx.text + len;
    ctx.limits = luajson_limits_or_default(limits);
    ctx.frozen = frozen & ~LUAJSON_TEXT_POOLED;
    ctx.pooled = (frozen & LUAJSON_TEXT_POOLED) != 0;
    ctx.status = CR_OK;
    if (!lua_checkstack(L, 2 + STACK_SPARE))
        return cr_errf(err, CR_FAIL, "Lua stack exhausted");
    lua_pushcfunction(L, push_text_protected);
    lua_pushlightuserdata(L, &ctx);
    status = lua_pcall(L, 1, 1, 0);
    if (status == LUA_OK)
        return CR_OK;
    if (ctx.status != CR_OK)
        cr_errf(err, ctx.status, "%s", ctx.msg);
    else if (status == LUA_ERRMEM)
        cr_errf(err, CR_FAIL, "out of memory converting JSON text to Lua");
    else
        cr_errf(err, CR_FAIL, "converting JSON text to Lua failed: %s",
                lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(no message)");
    lua_pop(L, 1);
    return ctx.status != CR_OK ? ctx.status : CR_FAIL;
}
