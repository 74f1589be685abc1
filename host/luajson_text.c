/*
 * luajson_text.c -- JSON text to Lua values and back, without a jansson tree.
 *
 * Parsing runs inside lua_pcall: tables and strings allocate, and the
 * sandbox's memory cap may refuse. The members of a container collect on
 * the Lua stack and go into a table sized for them when the container ends
 * (or when CHUNK_SLOTS are used), so tables are not rehashed as they grow.
 * A data error is written into the parse context and raised with lua_error
 * on whatever value is on top, so unwinding never needs an allocation.
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

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "sandbox.h"

enum {
    PATH_MAX_LEN = 256, /* as luajson.c, so that error paths are identical */
    MAX_DEPTH = 64,     /* as luajson.c's limits_or_default */
    CHUNK_SLOTS = 3072, /* stack slots one container's pending members may use */
    STACK_SPARE = 8,    /* free slots kept for one member, a string and the scratch */
};

/* ---- shared with luajson.c (kept identical: messages must match) ------- */

typedef struct json_path {
    char text[PATH_MAX_LEN];
    size_t len;
} json_path;

#define PATH_AT(path) ((path)->len ? " " : ""), path_show(path)

static luajson_limits limits_or_default(const luajson_limits *limits)
{
    luajson_limits lim = limits ? *limits : luajson_limits_default();
    if (lim.max_depth <= 0 || lim.max_depth > MAX_DEPTH)
        lim.max_depth = MAX_DEPTH;
    return lim;
}

static int is_identifier(const char *s, size_t len)
{
    if (len == 0 || len > 64 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

static void path_push(json_path *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void path_push(json_path *path, const char *fmt, ...)
{
    size_t room = sizeof path->text - path->len;
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(path->text + path->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        memcpy(path->text + sizeof path->text - 4, "...", 4);
        path->len = sizeof path->text - 1;
    } else {
        path->len += (size_t)n;
    }
}

static void path_push_key(json_path *path, const char *key, size_t len)
{
    if (is_identifier(key, len))
        path_push(path, ".%.*s", (int)len, key);
    else
        path_push(path, "[\"%.*s\"]", (int)(len > 32 ? 32 : len), key);
}

static const char *path_show(const json_path *path)
{
    return path->len ? path->text : " the top level";
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF -- jansson's utf8_check_full), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        n = 2;
        cp = c & 0x1F;
    } else if (c < 0xF0) {
        n = 3;
        cp = c & 0x0F;
    } else if (c < 0xF5) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static int utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < len;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_sequence(s + i, len - i);
        if (!n)
            return 0;
        i += n;
    }
    return 1;
}

/* The decimal point printf and strtod use in the current locale (jansson's
 * get_decimal_point), so text always has '.' whatever the locale. */
static char locale_decimal_point(void)
{
    char buf[8];
    snprintf(buf, sizeof buf, "%#.0f", 1.0);
    return buf[1];
}

/* ---- text -> Lua ------------------------------------------------------- */

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
    char decimal_point; /* 0 until a real number is parsed */
    int open;           /* containers being parsed: frames[0..open-1] */
    text_frame frames[MAX_DEPTH];
    cr_status status; /* CR_OK until a failure is raised */
    char msg[sizeof(((cr_err *)0)->msg)];
} parse_ctx;

/* A null member's placeholder: it holds the key (so a duplicate is found)
 * until the object ends. JSON yields no light userdata, so it is unambiguous. */
static const char null_member;

/* The path of the value being parsed, as luajson_push names it. */
static void parse_path(lua_State *L, const parse_ctx *ctx, json_path *path)
{
    path->len = 0;
    path->text[0] = '\0';
    for (int d = 0; d < ctx->open && ctx->frames[d].in_member; d++) {
        const text_frame *f = &ctx->frames[d];
        if (f->is_object) {
            size_t len;
            const char *key = lua_tolstring(L, f->slot + 1 + 3 * (int)f->pending, &len);
            path_push_key(path, key, len);
        } else {
            path_push(path, "[%zu]", f->stored + f->pending + 1);
        }
    }
}

/* Notes the failure in ctx and unwinds to luajson_push_text's lua_pcall. */
static void parse_raise(lua_State *L, parse_ctx *ctx, cr_status status, size_t offset,
                        const json_path *path, const char *what) __attribute__((noreturn));
static void parse_raise(lua_State *L, parse_ctx *ctx, cr_status status, size_t offset,
                        const json_path *path, const char *what)
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
    json_path path;
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

static int hex4(const unsigned char *p, const unsigned char *end, uint32_t *out)
{
    uint32_t v = 0;
    if (end - p < 4)
        return 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            v |= (uint32_t)((c | 0x20) - 'a' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
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
    switch (esc[1]) {
    case '"':
    case '\\':
    case '/':
        out[0] = esc[1];
        return 1;
    case 'b':
        out[0] = '\b';
        return 1;
    case 'f':
        out[0] = '\f';
        return 1;
    case 'n':
        out[0] = '\n';
        return 1;
    case 'r':
        out[0] = '\r';
        return 1;
    case 't':
        out[0] = '\t';
        return 1;
    case 'u':
        break;
    default:
        parse_fail(L, ctx, esc, "invalid escape '\\' followed by byte 0x%02x", esc[1]);
    }
    if (!hex4(esc + 2, end, &cp))
        parse_fail(L, ctx, esc, "invalid \\u escape (four hex digits expected)");
    *pp = esc + 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end - esc < 12 || esc[6] != '\\' || esc[7] != 'u' || !hex4(esc + 8, end, &low) ||
            low < 0xDC00 || low > 0xDFFF)
            parse_fail(L, ctx, esc, "lone surrogate \\u%04X (no low surrogate follows)", cp);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        *pp = esc + 12;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        parse_fail(L, ctx, esc, "lone surrogate \\u%04X (no high surrogate before it)", cp);
    } else if (cp == 0) {
        parse_fail(L, ctx, esc, "\\u0000 in a string (NUL is not allowed)");
    }
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Pushes the string whose opening quote is at ctx->p. */
static void parse_string(lua_State *L, parse_ctx *ctx)
{
    const unsigned char *quote = ctx->p, *p = quote + 1, *end = ctx->end, *run;
    size_t used = 0;
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
        p++;
    if (p < end && *p == '"') { /* plain ASCII: no copy */
        count_string_bytes(L, ctx, quote, (size_t)(p - quote - 1));
        lua_pushlstring(L, (const char *)quote + 1, (size_t)(p - quote - 1));
        ctx->p = p + 1;
        return;
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
            size_t n = utf8_sequence(p, (size_t)(end - p));
            if (!n)
                parse_fail(L, ctx, p, "invalid UTF-8 in a string");
            p += n;
        }
    }
    count_string_bytes(L, ctx, quote, used);
    lua_pushlstring(L, (const char *)ctx->scratch, used);
    ctx->p = p + 1;
}

static int is_digit(const unsigned char *p, const unsigned char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

/* Pushes the number at ctx->p: an integer if it has no fraction or exponent
 * and fits lua_Integer, else a float. */
static void parse_number(lua_State *L, parse_ctx *ctx)
{
    const unsigned char *start = ctx->p, *p = start, *end = ctx->end;
    int negative = 0, integral = 1, overflow = 0;
    uint64_t magnitude = 0;
    if (*p == '-') {
        negative = 1;
        p++;
    }
    if (!is_digit(p, end))
        parse_fail(L, ctx, start, "invalid number");
    if (*p == '0') {
        if (is_digit(++p, end))
            parse_fail(L, ctx, start, "invalid number (leading zero)");
    } else {
        for (; is_digit(p, end); p++) {
            unsigned d = (unsigned)(*p - '0');
            if (magnitude > (UINT64_MAX - d) / 10)
                overflow = 1;
            else
                magnitude = magnitude * 10 + d;
        }
    }
    if (p < end && *p == '.') {
        integral = 0;
        if (!is_digit(++p, end))
            parse_fail(L, ctx, start, "invalid number (digits expected after '.')");
        while (is_digit(p, end))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integral = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!is_digit(p, end))
            parse_fail(L, ctx, start, "invalid number (digits expected in the exponent)");
        while (is_digit(p, end))
            p++;
    }
    ctx->p = p;
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
    size_t n = (size_t)(p - start);
    char *text = (char *)scratch_reserve(L, ctx, 0, n + 1), *stop;
    memcpy(text, start, n);
    text[n] = '\0';
    if (!ctx->decimal_point)
        ctx->decimal_point = locale_decimal_point();
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

/* Moves the pending members into the table, creating it sized for them. */
static void drain(lua_State *L, parse_ctx *ctx, text_frame *f)
{
    int slot = f->slot;
    if (lua_isnil(L, slot)) {
        int n = f->pending > INT32_MAX ? 0 : (int)f->pending;
        lua_createtable(L, f->is_object ? 0 : n, f->is_object ? n : 0);
        lua_replace(L, slot);
    }
    for (size_t i = 0; i < f->pending; i++) {
        if (f->is_object) {
            int key = slot + 1 + 3 * (int)i;
            lua_pushvalue(L, key);
            if (lua_rawget(L, slot) != LUA_TNIL) {
                json_path path;
                size_t len;
                const char *name = lua_tolstring(L, key, &len);
                parse_path(L, ctx, &path);
                path_push_key(&path, name, len);
                parse_raise(L, ctx, CR_INVALID, (size_t)lua_tointeger(L, key + 2), &path,
                            "duplicate key");
            }
            lua_pop(L, 1);
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
                    json_path path;
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
                parse_string(L, ctx);
                f->in_member = 1;
                skip_space(ctx);
                if (ctx->p >= ctx->end || *ctx->p != ':')
                    parse_fail(L, ctx, ctx->p, "':' expected after the key");
                ctx->p++;
                if (!parse_value(L, ctx)) {
                    lua_pushlightuserdata(L, (void *)&null_member);
                    f->nulls++;
                }
                lua_pushinteger(L, (lua_Integer)(at - ctx->text));
            } else {
                f->in_member = 1;
                if (!parse_value(L, ctx))
                    parse_fail(L, ctx, at, "null inside an array (it would leave a hole)");
            }
            f->in_member = 0;
            if (++f->pending * (is_object ? 3 : 1) >= CHUNK_SLOTS)
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
    if (ctx->frozen == LUAJSON_TEXT_FROZEN_BELOW ? ctx->open > 0 : ctx->frozen != 0) {
        sandbox_push_readonly(L, -1);
        lua_replace(L, -2);
    }
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
    case '"':
        parse_string(L, ctx);
        break;
    case 't':
        parse_literal(L, ctx, "true", 4);
        lua_pushboolean(L, 1);
        break;
    case 'f':
        parse_literal(L, ctx, "false", 5);
        lua_pushboolean(L, 0);
        break;
    default:
        if (*ctx->p != '-' && !is_digit(ctx->p, ctx->end))
            parse_fail(L, ctx, ctx->p, "invalid value (expected a JSON value)");
        parse_number(L, ctx);
        break;
    }
    return 1;
}

/* lua_CFunction run by luajson_push_text: [1] light userdata parse_ctx. */
static int push_text_protected(lua_State *L)
{
    parse_ctx *ctx = lua_touserdata(L, 1);
    lua_pushnil(L);
    ctx->scratch_slot = lua_gettop(L);
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
    ctx.limits = limits_or_default(limits);
    ctx.frozen = frozen;
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

/* ---- Lua -> text ------------------------------------------------------- */

typedef struct encode_member {
    const char *key; /* string keys: points into a Lua string the table holds */
    size_t key_len;
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
    char decimal_point;            /* 0 until a real is written */
    int key_slot[MAX_DEPTH];       /* stack index of the key being converted, per open table */
    const void *tables[MAX_DEPTH]; /* the tables being converted, outermost first */
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

/* The path of a value inside `levels` open tables, as luajson.c builds it. */
static void encode_path(const encode_ctx *ctx, int levels, json_path *path)
{
    path->len = 0;
    path->text[0] = '\0';
    for (int d = 0; d < levels; d++) {
        int key = ctx->key_slot[d];
        if (lua_type(ctx->L, key) == LUA_TSTRING) {
            size_t len;
            const char *s = lua_tolstring(ctx->L, key, &len);
            path_push_key(path, s, len);
        } else {
            path_push(path, "[%lld]", (long long)lua_tointeger(ctx->L, key));
        }
    }
}

static int out_of_memory(encode_ctx *ctx, int levels)
{
    json_path path;
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

static int out_add(encode_ctx *ctx, const char *s, size_t n)
{
    if (ctx->cap - ctx->len < n + 1 && !grow(&ctx->out, &ctx->cap, ctx->len + n + 1))
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

/* jansson 2.14's jsonp_dtostr without dtoa: "%.17g", '.' whatever the
 * locale, ".0" when neither '.' nor 'e' shows, no '+' or leading zeros in
 * the exponent. */
static int out_real(encode_ctx *ctx, double value)
{
    char buf[100], *start, *end;
    int n = snprintf(buf, sizeof buf, "%.17g", value);
    size_t length;
    if (n < 0 || (size_t)n >= sizeof buf - 3)
        return 0;
    length = (size_t)n;
    if (!ctx->decimal_point)
        ctx->decimal_point = locale_decimal_point();
    if (ctx->decimal_point != '.' && (start = strchr(buf, ctx->decimal_point)))
        *start = '.';
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        memcpy(buf + length, ".0", 3);
        length += 2;
    }
    if ((start = strchr(buf, 'e'))) {
        start++;
        end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, length - (size_t)(end - buf));
            length -= (size_t)(end - start);
        }
    }
    return out_add(ctx, buf, length);
}

/* A string literal as jansson's dump_string writes it without flags:
 * the two-character escapes, \u00XX for other control characters, all
 * else (including '/', DEL and non-ASCII) as is. */
static int out_string(encode_ctx *ctx, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;
    if (!out_add(ctx, "\"", 1))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = {'\\', 0, '0', '0', 0, 0};
        size_t n = 2;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (!out_add(ctx, s + run, i - run) || !out_add(ctx, esc, n))
            return 0;
        run = i + 1;
    }
    return out_add(ctx, s + run, len - run) && out_add(ctx, "\"", 1);
}

static int compare_keys(const void *a, const void *b)
{
    const encode_member *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
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
    json_path path;

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
            if (memchr(member.key, '\0', member.key_len)) {
                encode_path(ctx, depth + 1, &path);
                ok = encode_fail(ctx, "key at %s contains a NUL byte", path_show(&path));
            } else if ((ctx->bytes += member.key_len) > ctx->limits.max_string_bytes) {
                encode_path(ctx, depth + 1, &path);
                ok = encode_fail(ctx, "result holds more than %zu bytes of text (at%s%s)",
                                 ctx->limits.max_string_bytes, PATH_AT(&path));
            } else if (!out_string(ctx, member.key, member.key_len) || !out_add(ctx, ":", 1)) {
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
            in_order = compare_keys(&m[i - 1], &m[i]) < 0;
        if (!in_order)
            qsort(m, n, sizeof *m, compare_keys);
        for (size_t i = 0; i < n; i++)
            if (!utf8_valid(m[i].key, m[i].key_len)) {
                encode_path(ctx, depth, &path);
                path_push_key(&path, m[i].key, m[i].key_len);
                return encode_fail(ctx, "key at %s is not valid UTF-8", path_show(&path));
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
            qsort(m, n, sizeof *m, compare_indexes);
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
    json_path path;
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
        if (!utf8_valid(s, len)) {
            encode_path(ctx, depth, &path);
            return encode_fail(ctx, "string at%s%s is not valid UTF-8", PATH_AT(&path));
        }
        ok = out_string(ctx, s, len);
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

char *luajson_encode(lua_State *L, int idx, const luajson_limits *limits, size_t *len, cr_err *err)
{
    encode_ctx ctx;
    int top = lua_gettop(L), ok;
    memset(&ctx, 0, offsetof(encode_ctx, key_slot));
    ctx.L = L;
    ctx.limits = limits_or_default(limits);
    ctx.err = err;
    ok = encode_value(&ctx, lua_absindex(L, idx), 0) && out_add(&ctx, "", 0);
    lua_settop(L, top);
    free(ctx.spare);
    free(ctx.members);
    if (!ok) {
        free(ctx.out);
        return NULL;
    }
    ctx.out[ctx.len] = '\0'; /* out_add keeps a byte free */
    if (len)
        *len = ctx.len;
    return ctx.out;
}
