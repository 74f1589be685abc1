/*
 * strbuf.h -- a growable NUL-terminated text buffer for building JSON text
 * by hand where a jansson tree would cost more than it saves (evaluation
 * results, API answers).
 *
 * Out of memory is sticky: after a failed growth every call is a no-op and
 * oom stays set, so a writer checks once at the end. s is malloc'd (NULL
 * until something was added); the caller frees it.
 */
#ifndef COURTRULES_STRBUF_H
#define COURTRULES_STRBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct strbuf {
    char *s;
    size_t len, cap;
    int oom;
} strbuf;

/* The growing part of strbuf_add. */
void strbuf_add_grow(strbuf *b, const char *s, size_t n);

/* Appends n bytes of s. Inline: JSON is written a quote and a comma at a
 * time. After a failed growth cap is 0, so every call takes the slow path,
 * which does nothing. */
static inline void strbuf_add(strbuf *b, const char *s, size_t n)
{
    if (b->len + n < b->cap) {
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = 0;
        return;
    }
    strbuf_add_grow(b, s, n);
}
/* strbuf_add of a string literal, its length known without strlen. */
#define STRBUF_LITERAL(b, s) strbuf_add((b), "" s, sizeof(s) - 1)

/* Appends the NUL-terminated s. */
void strbuf_str(strbuf *b, const char *s);
/* Appends v in decimal. */
void strbuf_int(strbuf *b, int64_t v);
/* Appends s as a JSON string literal, escaped as json_dumps escapes it (s is
 * valid UTF-8), or null when s is NULL. */
void strbuf_json_string(strbuf *b, const char *s);
/* Appends len bytes of s as a JSON string literal, escaped as json_dumps
 * escapes it. check_utf8: -1 (and a cut literal) if s is not UTF-8;
 * otherwise 0. */
int strbuf_json_stringn(strbuf *b, const char *s, size_t len, int check_utf8);
/* Cuts the text back to its first len bytes (len at most b->len): what was
 * added since is dropped. */
static inline void strbuf_cut(strbuf *b, size_t len)
{
    if (b->s && len <= b->len) {
        b->len = len;
        b->s[len] = 0;
    }
}
/* The text, now the caller's to free; NULL (and the buffer freed) if some
 * growth failed. The buffer is empty ({0}) afterwards. */
char *strbuf_take(strbuf *b);

#endif
