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

void strbuf_json_string(strbuf *b, const char *s)
{
    if (!s) {
        strbuf_str(b, "null");
        return;
    }
    strbuf_add(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        char esc[6];
        strbuf_add(b, run, (size_t)(s - run));
        strbuf_add(b, esc, jsontext_escape(ch, esc));
        run = s + 1;
    }
    strbuf_add(b, run, (size_t)(s - run));
    strbuf_add(b, "\"", 1);
}

char *strbuf_take(strbuf *b)
{
    char *s = b->oom ? (free(b->s), NULL) : b->s;
    b->s = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
    return s;
}
