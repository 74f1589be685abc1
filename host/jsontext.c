/*
 * jsontext.c -- json_t trees to compact JSON text, as json_dumps writes
 * them (see jsontext.h).
 *
 * json_dumps sets up its output through a callback and a growable buffer
 * per call, writes each string through a UTF-8 iterator a character at a
 * time and looks keys up again to sort them; ingest stores every record as
 * its text, so that was a sixth of an ingest. This writes into one buffer,
 * skips a string's plain runs 8 bytes at a time and checks UTF-8 in the
 * same pass.
 */
#include "jsontext.h"

#include <assert.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* Nesting deeper than jansson's parser allows (JSON_PARSER_MAX_DEPTH) is
 * refused rather than recursed into. */
#define DUMP_MAX_DEPTH 2048

char jsontext_decimal_point(void)
{
    const struct lconv *lc = localeconv();
    return lc && lc->decimal_point && lc->decimal_point[0] ? lc->decimal_point[0] : '.';
}

size_t jsontext_real(double value, char buf[40])
{
    char *start, *end;
    int n = snprintf(buf, 40, "%.17g", value);
    if (n < 0 || n >= 40 - 3)
        return 0;
    size_t length = (size_t)n;
    char point = jsontext_decimal_point();
    if (point != '.' && (start = strchr(buf, point)))
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
            memmove(start, end, length - (size_t)(end - buf) + 1);
            length -= (size_t)(end - start);
        }
    }
    return length;
}

size_t jsontext_escape(unsigned char c, char esc[6])
{
    static const char hex[] = "0123456789ABCDEF";
    esc[0] = '\\';
    switch (c) {
    case '"':
    case '\\':
        esc[1] = (char)c;
        return 2;
    case '\b':
        esc[1] = 'b';
        return 2;
    case '\f':
        esc[1] = 'f';
        return 2;
    case '\n':
        esc[1] = 'n';
        return 2;
    case '\r':
        esc[1] = 'r';
        return 2;
    case '\t':
        esc[1] = 't';
        return 2;
    default:
        memcpy(esc + 1, "u00", 3);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        return 6;
    }
}

int jsontext_simple_escape(unsigned char e)
{
    switch (e) {
    case '"':
    case '\\':
    case '/':
        return e;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return -1;
    }
}

int jsontext_hex4(const unsigned char *p, const unsigned char *end, uint32_t *out)
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

size_t jsontext_utf8_put(uint32_t cp, unsigned char out[4])
{
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

static int is_digit(const unsigned char *p, const unsigned char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

size_t jsontext_number(const unsigned char *p, const unsigned char *end, int *integral,
                       const char **why)
{
    const unsigned char *start = p;
    *integral = 1;
    if (p < end && *p == '-')
        p++;
    if (!is_digit(p, end))
        return *why = "invalid number", 0;
    if (*p == '0') {
        if (is_digit(++p, end))
            return *why = "invalid number (leading zero)", 0;
    } else {
        while (is_digit(p, end))
            p++;
    }
    if (p < end && *p == '.') {
        *integral = 0;
        if (!is_digit(++p, end))
            return *why = "invalid number (digits expected after '.')", 0;
        while (is_digit(p, end))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *integral = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!is_digit(p, end))
            return *why = "invalid number (digits expected in the exponent)", 0;
        while (is_digit(p, end))
            p++;
    }
    return (size_t)(p - start);
}

int jsontext_member_order(const void *a, const void *b)
{
    const jsontext_member *x = a, *y = b;
    return jsontext_key_order(x->key, x->len, y->key, y->len);
}

void jsontext_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *m = base, v[64];
    if (n > 16 || size > sizeof v) {
        if (n > 1)
            qsort(base, n, size, cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        memcpy(v, m + i * size, size);
        size_t j = i;
        for (; j > 0 && cmp(m + (j - 1) * size, v) > 0; j--)
            memcpy(m + j * size, m + (j - 1) * size, size);
        memcpy(m + j * size, v, size);
    }
}

typedef struct dump {
    strbuf b;
    int sort_keys;
    const json_t *open[DUMP_MAX_DEPTH]; /* the containers being written, to refuse a cycle */
} dump;

static int put_value(dump *d, const json_t *v, int depth);

static int put_object(dump *d, const json_t *v, int depth)
{
    size_t n = json_object_size(v), i = 0;
    if (n == 0) {
        strbuf_add(&d->b, "{}", 2);
        return 0;
    }
    jsontext_member small[16], *m = n <= 16 ? small : malloc(n * sizeof *m);
    if (!m)
        return -1;
    const char *key;
    size_t key_len;
    json_t *value;
    json_object_keylen_foreach((json_t *)v, key, key_len, value)
    {
        if (i < n)
            m[i++] = (jsontext_member){key, key_len, value};
    }
    if (d->sort_keys)
        jsontext_sort(m, i, sizeof *m, jsontext_member_order);
    int rc = 0;
    strbuf_add(&d->b, "{", 1);
    for (size_t k = 0; k < i && rc == 0; k++) {
        if (k)
            strbuf_add(&d->b, ",", 1);
        rc = strbuf_json_stringn(&d->b, m[k].key, m[k].len, 1);
        strbuf_add(&d->b, ":", 1);
        if (rc == 0)
            rc = put_value(d, m[k].value, depth + 1);
    }
    strbuf_add(&d->b, "}", 1);
    if (m != small)
        free(m);
    return rc;
}

static int put_value(dump *d, const json_t *v, int depth)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        strbuf_add(&d->b, "null", 4);
        return 0;
    case JSON_TRUE:
        strbuf_add(&d->b, "true", 4);
        return 0;
    case JSON_FALSE:
        strbuf_add(&d->b, "false", 5);
        return 0;
    case JSON_INTEGER:
        strbuf_int(&d->b, json_integer_value(v));
        return 0;
    case JSON_REAL: {
        char buf[40];
        size_t n = jsontext_real(json_real_value(v), buf);
        if (!n)
            return -1;
        strbuf_add(&d->b, buf, n);
        return 0;
    }
    case JSON_STRING:
        return strbuf_json_stringn(&d->b, json_string_value(v), json_string_length(v), 1);
    case JSON_OBJECT:
    case JSON_ARRAY:
        break;
    default:
        return -1;
    }
    if (depth >= DUMP_MAX_DEPTH)
        return -1;
    for (int i = 0; i < depth; i++)
        if (d->open[i] == v)
            return -1; /* contains itself */
    d->open[depth] = v;
    if (json_is_object(v))
        return put_object(d, v, depth);
    size_t n = json_array_size(v);
    strbuf_add(&d->b, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_add(&d->b, ",", 1);
        if (put_value(d, json_array_get(v, i), depth + 1) != 0)
            return -1;
    }
    strbuf_add(&d->b, "]", 1);
    return 0;
}

int jsontext_dump_append(const json_t *v, size_t flags, strbuf *out)
{
    assert(!(flags & ~(size_t)(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)));
    if (!v || (!(flags & JSON_ENCODE_ANY) && !json_is_object(v) && !json_is_array(v)))
        return -1;
    dump d; /* 16 KB of stack for the ancestors, as deep as jansson's parser goes */
    size_t before = out->len;
    d.b = *out;
    d.sort_keys = (flags & JSON_SORT_KEYS) != 0;
    int rc = put_value(&d, v, 0);
    *out = d.b;
    if (rc != 0)
        strbuf_cut(out, before);
    return rc != 0 || out->oom ? -1 : 0;
}

char *jsontext_dumps(const json_t *v, size_t flags, size_t *len)
{
    if (flags & ~(size_t)(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)) {
        char *text = json_dumps(v, flags);
        if (text && len)
            *len = strlen(text);
        return text;
    }
    strbuf b = {0};
    int rc = jsontext_dump_append(v, flags, &b);
    size_t n = b.len;
    char *text = strbuf_take(&b);
    if (rc != 0 || !text) {
        free(text);
        return NULL;
    }
    if (len)
        *len = n;
    return text;
}
