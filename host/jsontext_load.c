/*
 * jsontext_load.c -- JSON text to json_t trees, as json_loadb builds them
 * (see jsontext.h: jsontext_loadb).
 *
 * json_loadb reads through a stream abstraction a byte at a time, copies
 * every token into a growable buffer and checks each string's UTF-8 twice
 * (lexing, then json_string). Ingest parses every record and the API every
 * request body: it was a third of an ingest's instructions. This parser
 * reads the text in place and builds the same tree through jansson's
 * unchecked setters, having checked everything itself.
 *
 * It accepts a strict subset of what json_loadb accepts: anything else --
 * every error, and the rare valid input it does not handle (surrogate
 * escapes, \u0000, numbers out of range, nesting deeper than MAX_DEPTH, a
 * locale whose decimal point is not '.') -- is handed to json_loadb, which
 * parses it or reports the error with its own message and position. So
 * the result, and every message, is json_loadb's.
 */
#include "jsontext.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512 /* json_loadb's limit is 2,048; deeper texts go to it */

typedef struct load {
    const unsigned char *p, *end;
    int reject_duplicates;
    char *scratch; /* an escaped string's bytes */
    size_t scratch_cap;
} load;

static void skip_ws(load *l)
{
    while (l->p < l->end && (*l->p == ' ' || *l->p == '\n' || *l->p == '\r' || *l->p == '\t'))
        l->p++;
}

/* Room for need bytes in the scratch buffer: 1, or 0 out of memory. */
static int reserve(load *l, size_t need)
{
    if (need <= l->scratch_cap)
        return 1;
    size_t cap = l->scratch_cap ? l->scratch_cap : 256;
    while (cap < need)
        cap *= 2;
    char *grown = realloc(l->scratch, cap);
    if (!grown)
        return 0;
    l->scratch = grown;
    l->scratch_cap = cap;
    return 1;
}

/* The string whose opening quote is at l->p: its bytes in *s (the text
 * itself, or the scratch buffer when it has escapes) and *len. 0, or -1
 * for anything left to json_loadb. */
static int read_string(load *l, const char **s, size_t *len)
{
    const unsigned char *start = l->p + 1, *p = start, *end = l->end;
    size_t used = 0;
    int escaped = 0;
    const unsigned char *run = start;
    for (;;) {
        size_t plain = jsontext_plain_run(p, (size_t)(end - p), 0, 1);
        if (plain == (size_t)-1)
            return -1;
        p += plain;
        if (p >= end)
            return -1;
        unsigned char c = *p;
        if (c == '"')
            break;
        if (c < 0x20)
            return -1;
        /* an escape: the string is built in the scratch buffer */
        if (end - p < 2)
            return -1;
        size_t n = (size_t)(p - run);
        if (!reserve(l, used + n + 4)) /* the run, then up to 4 bytes of the escape */
            return -1;
        memcpy(l->scratch + used, run, n);
        used += n;
        escaped = 1;
        unsigned char e = p[1];
        unsigned char *o = (unsigned char *)l->scratch + used;
        int simple = jsontext_simple_escape(e);
        uint32_t cp;
        p += 2;
        if (simple >= 0) {
            *o = (unsigned char)simple;
            used++;
        } else if (e == 'u' && jsontext_hex4(p, end, &cp) && cp != 0 &&
                   (cp < 0xD800 || cp > 0xDFFF)) {
            p += 4;
            used += jsontext_utf8_put(cp, o); /* NUL and surrogates: json_loadb's business */
        } else {
            return -1;
        }
        run = p;
    }
    if (escaped) {
        size_t n = (size_t)(p - run);
        if (!reserve(l, used + n))
            return -1;
        memcpy(l->scratch + used, run, n);
        used += n;
        *s = l->scratch;
        *len = used;
    } else {
        *s = (const char *)start;
        *len = (size_t)(p - start);
    }
    l->p = p + 1;
    return 0;
}

/* A number, with json_loadb's grammar (jsontext_number). */
static json_t *read_number(load *l)
{
    int integral;
    const char *why;
    size_t n = jsontext_number(l->p, l->end, &integral, &why);
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return NULL; /* json_loadb's business */
    memcpy(buf, l->p, n);
    buf[n] = '\0';
    char *stop;
    errno = 0;
    json_t *v;
    if (!integral) {
        double d = strtod(buf, &stop);
        v = errno || *stop ? NULL : json_real(d);
    } else {
        long long i = strtoll(buf, &stop, 10);
        v = errno || *stop ? NULL : json_integer(i);
    }
    if (v)
        l->p += n;
    return v;
}

static json_t *read_value(load *l, int depth);

/* After a member of a container that ends with close: 1 at a ',' (skipped,
 * with the space after it), 0 at close (skipped), -1 otherwise. */
static int after_member(load *l, char close)
{
    skip_ws(l);
    if (l->p < l->end && *l->p == ',') {
        l->p++;
        skip_ws(l);
        return 1;
    }
    if (l->p < l->end && *l->p == (unsigned char)close) {
        l->p++;
        return 0;
    }
    return -1;
}

/* Past a container's opening byte: 0 if it closes at once with close
 * (skipped), 1 if members follow. */
static int opened(load *l, char close)
{
    l->p++;
    skip_ws(l);
    if (l->p < l->end && *l->p == (unsigned char)close) {
        l->p++;
        return 0;
    }
    return 1;
}

static json_t *read_object(load *l, int depth)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    if (!opened(l, '}'))
        return obj;
    for (;;) {
        const char *key;
        size_t key_len;
        if (l->p >= l->end || *l->p != '"' || read_string(l, &key, &key_len) != 0)
            break;
        /* the key may sit in the scratch buffer, which the value reuses */
        char small[64], *copy = key_len < sizeof small ? small : malloc(key_len + 1);
        if (!copy)
            break;
        memcpy(copy, key, key_len);
        copy[key_len] = '\0';
        skip_ws(l);
        json_t *value = NULL;
        if (l->p < l->end && *l->p == ':') {
            l->p++;
            skip_ws(l);
            value = read_value(l, depth + 1);
        }
        size_t before = json_object_size(obj);
        int ok = value && json_object_setn_new_nocheck(obj, copy, key_len, value) == 0 &&
                 (!l->reject_duplicates || json_object_size(obj) > before);
        if (copy != small)
            free(copy);
        int next = ok ? after_member(l, '}') : -1;
        if (next == 0)
            return obj;
        if (next < 0)
            break;
    }
    json_decref(obj);
    return NULL;
}

static json_t *read_array(load *l, int depth)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    if (!opened(l, ']'))
        return arr;
    for (;;) {
        json_t *value = read_value(l, depth + 1);
        int next = value && json_array_append_new(arr, value) == 0 ? after_member(l, ']') : -1;
        if (next == 0)
            return arr;
        if (next < 0)
            break;
    }
    json_decref(arr);
    return NULL;
}

static int literal(load *l, const char *word, size_t n)
{
    if ((size_t)(l->end - l->p) < n || memcmp(l->p, word, n) != 0)
        return 0;
    l->p += n;
    return 1;
}

static json_t *read_value(load *l, int depth)
{
    if (l->p >= l->end || depth > MAX_DEPTH)
        return NULL;
    switch (*l->p) {
    case '{':
        return read_object(l, depth);
    case '[':
        return read_array(l, depth);
    case '"': {
        const char *s;
        size_t len;
        return read_string(l, &s, &len) == 0 ? json_stringn_nocheck(s, len) : NULL;
    }
    case 't':
        return literal(l, "true", 4) ? json_true() : NULL;
    case 'f':
        return literal(l, "false", 5) ? json_false() : NULL;
    case 'n':
        return literal(l, "null", 4) ? json_null() : NULL;
    default:
        return read_number(l);
    }
}

json_t *jsontext_loadb(const char *text, size_t len, size_t flags, json_error_t *error)
{
    if ((flags & ~(size_t)JSON_REJECT_DUPLICATES) || jsontext_decimal_point() != '.')
        return json_loadb(text, len, flags, error);
    load l = {.p = (const unsigned char *)text,
              .end = (const unsigned char *)text + len,
              .reject_duplicates = (flags & JSON_REJECT_DUPLICATES) != 0};
    skip_ws(&l);
    json_t *v = NULL;
    if (l.p < l.end && (*l.p == '{' || *l.p == '['))
        v = read_value(&l, 0);
    skip_ws(&l);
    free(l.scratch);
    if (v && l.p == l.end)
        return v;
    json_decref(v);
    return json_loadb(text, len, flags, error); /* its tree, or its error */
}
