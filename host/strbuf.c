/*
 * strbuf.c -- a growable text buffer. See strbuf.h.
 */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

void strbuf_add_grow(strbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 2048; /* a bench case's results: about 1.9 KB */
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            b->cap = 0; /* strbuf_add's fast path is closed for good */
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

void strbuf_str(strbuf *b, const char *s)
{
    strbuf_add(b, s, strlen(s));
}

void strbuf_int(strbuf *b, int64_t v)
{
    char buf[24], *end = buf + sizeof buf, *p = end;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    strbuf_add(b, p, (size_t)(end - p));
}

int strbuf_json_stringn(strbuf *b, const char *str, size_t len, int check_utf8)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0, i;
    strbuf_add(b, "\"", 1);
    while ((i = jsontext_plain_run(s, len, run, check_utf8)) < len) {
        char esc[6];
        strbuf_add(b, str + run, i - run);
        strbuf_add(b, esc, jsontext_escape(s[i], esc));
        run = i + 1;
    }
    if (i == (size_t)-1)
        return -1;
    strbuf_add(b, str + run, len - run);
    strbuf_add(b, "\"", 1);
    return 0;
}

void strbuf_json_string(strbuf *b, const char *s)
{
    if (s)
        strbuf_json_stringn(b, s, strlen(s), 0);
    else
        strbuf_str(b, "null");
}

char *strbuf_take(strbuf *b)
{
    char *s = b->oom ? (free(b->s), NULL) : b->s;
    b->s = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
    return s;
}
