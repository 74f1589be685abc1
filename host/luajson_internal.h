/*
 * luajson_internal.h -- what the luajson files share; not for other modules.
 *
 * luajson.c         Lua values to jansson values and back; the limits
 * luajson_text.c    JSON text to Lua values (the parser)
 * luajson_encode.c  Lua values to JSON text (the encoder)
 * luajson_path.c    the path of the value being converted, for messages
 *
 * The text paths must refuse what the jansson paths refuse with the same
 * message, so the limits and the paths in messages live here, once.
 */
#ifndef COURTRULES_LUAJSON_INTERNAL_H
#define COURTRULES_LUAJSON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "luajson.h"

enum {
    LUAJSON_PATH_MAX_LEN = 256, /* a longer path is cut and ends in "..." */
    LUAJSON_MAX_DEPTH = 64,     /* the largest max_depth: per-level arrays are this long */
};

/* limits, or the defaults if NULL; a max_depth outside 1..LUAJSON_MAX_DEPTH
 * becomes LUAJSON_MAX_DEPTH (the per-level arrays and the C stack bound it). */
luajson_limits luajson_limits_or_default(const luajson_limits *limits);

/* ---- paths (luajson_path.c) ---- */

/* The path of the value being converted, e.g. ".alerts[2].when". {0} is
 * the top level. */
typedef struct luajson_path {
    char text[LUAJSON_PATH_MAX_LEN];
    size_t len;
} luajson_path;

/* Appends a segment; a path too long to show ends in "...". Returns the
 * previous length, to pass to luajson_path_pop. */
size_t luajson_path_push(luajson_path *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends a member's key: ".name" for an identifier, else ["key"] with at
 * most 32 bytes of the key. */
void luajson_path_push_key(luajson_path *path, const char *key, size_t len);

/* Cuts the path back to the length luajson_path_push returned. */
void luajson_path_pop(luajson_path *path, size_t before);

/* The path as messages show it: " the top level" when empty. */
const char *luajson_path_show(const luajson_path *path);

/* ---- text (luajson_text.c, luajson_encode.c) ---- */

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF -- jansson's utf8_check_full), or 0.
 * Inline: the parser calls it for every non-ASCII character. */
static inline size_t luajson_utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    /* Most non-ASCII text here is CJK: three bytes led by E1-EC or EE-EF,
     * whose second byte has no range of its own to check. */
    if (((c >= 0xE1 && c <= 0xEC) || c >= 0xEE) && c <= 0xEF)
        return avail >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 ? 3 : 0;
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

/* The decimal point printf and strtod use in the current locale (jansson's
 * get_decimal_point), so text always has '.' whatever the locale. */
static inline char luajson_decimal_point(void)
{
    char buf[8];
    snprintf(buf, sizeof buf, "%#.0f", 1.0);
    return buf[1];
}

#endif
