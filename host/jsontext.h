/*
 * jsontext.h -- JSON text exactly as jansson 2.14 writes and reads it,
 * faster: json_t trees to compact text (jsontext_dumps) and text to trees
 * (jsontext_loadb), and the pieces the other writers share
 * (luajson_encode.c, strbuf.c): string escapes, reals, UTF-8 checks.
 *
 * "Exactly" is byte for byte: documents are stored as this text and
 * compared by hash, and tests compare it with json_dumps's output.
 */
#ifndef COURTRULES_JSONTEXT_H
#define COURTRULES_JSONTEXT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "strbuf.h"

/* json_dumps(v, flags) for flags made of JSON_COMPACT, JSON_SORT_KEYS and
 * JSON_ENCODE_ANY (anything else is passed to json_dumps): the same text
 * or the same NULL (a non-container without JSON_ENCODE_ANY, a string that
 * is not UTF-8, a tree that contains itself, out of memory). Two
 * differences, both for trees no code here builds: a key that is not
 * UTF-8 (only jansson's _nocheck setters make one) is NULL, where
 * json_dumps writes broken text (the key's opening quote, then ':'); a
 * tree nested deeper than jansson's parser allows (2,048 levels) is NULL. len, if not NULL, gets
 * the length. The caller frees the text. */
char *jsontext_dumps(const json_t *v, size_t flags, size_t *len);

/* Appends the text jsontext_dumps(v, flags) returns to out, for flags made
 * of JSON_COMPACT, JSON_SORT_KEYS and JSON_ENCODE_ANY only. 0; or -1 where
 * jsontext_dumps returns NULL, out's text then ending where it ended (or
 * out->oom set: out of memory is sticky, as strbuf.h has it). */
int jsontext_dump_append(const json_t *v, size_t flags, strbuf *out);

/* json_loadb(text, len, flags, error) for flags 0 or JSON_REJECT_DUPLICATES
 * (anything else is passed to it): the same tree, or NULL with the same
 * error. Text it does not handle itself, errors included, goes to
 * json_loadb (jsontext_load.c). */
json_t *jsontext_loadb(const char *text, size_t len, size_t flags, json_error_t *error);

/* A real as jansson 2.14's jsonp_dtostr writes it (its build here has no
 * dtoa): "%.17g", '.' whatever the locale, ".0" when neither '.' nor 'e'
 * shows, no '+' or leading zeros in the exponent. Its length, or 0. */
size_t jsontext_real(double value, char buf[40]);

/* The escape of an ASCII byte that needs one in a JSON string (c < 0x20,
 * '"' or '\\'), as jansson's dump_string writes it without flags: the
 * two-character escapes, \u00XX (upper case) for other control
 * characters. Its length. */
size_t jsontext_escape(unsigned char c, char esc[6]);

/* Nonzero if one of the 8 bytes in x is non-ASCII, below 0x20, '"' or
 * '\\' (the "has less than" and "has zero byte" bit tricks): a string's
 * plain runs are skipped 8 bytes at a time. */
static inline uint64_t jsontext_any_special(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
    return ((x - ones * 0x20) | (quote - ones) | (backslash - ones) | x) & highs;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF -- jansson's utf8_check_full), or 0.
 * Inline: the parser calls it for every non-ASCII character. */
static inline size_t jsontext_utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Most non-ASCII text here is CJK: three bytes led by E1-EC or EE-EF,
     * whose second byte has no range of its own to check. With a fourth
     * byte to read, one load tests them: the lead's high nibble E and the
     * two continuation bytes' 10 by mask, its low nibble by 0xDFFE (bits
     * 1-12, 14, 15: not E0, not ED, which the general code below checks). */
    if (avail >= 4) {
        uint32_t w;
        memcpy(&w, s, 4);
        if ((w & 0xC0C0F0u) == 0x8080E0u && (0xDFFEu >> (w & 0xF)) & 1u)
            return 3;
    }
#endif
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

/* From s[i] on, past the run of CJK characters jsontext_utf8_sequence's
 * one-load test accepts, two at a time (while 8 bytes can be read); the
 * index of the first character it did not take. */
static inline size_t jsontext_cjk_pairs(const unsigned char *s, size_t len, size_t i)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (len - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if ((w & 0xC0C0F0C0C0F0u) != 0x8080E08080E0u ||
            !((0xDFFEu >> (w & 0xF)) & (0xDFFEu >> ((w >> 24) & 0xF)) & 1u))
            break;
        i += 6;
    }
#else
    (void)s, (void)len;
#endif
    return i;
}

/* Nonzero if the len bytes at s are valid UTF-8 (jsontext_utf8_sequence's
 * rules; NUL is a character). ASCII is skipped 8 bytes at a time. */
static inline int jsontext_utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint64_t word;
        if (len - i >= 8 && (memcpy(&word, s + i, 8), !(word & 0x8080808080808080u))) {
            i += 8;
            continue;
        }
        size_t n = jsontext_utf8_sequence(s + i, len - i);
        if (!n)
            return 0;
        i = jsontext_cjk_pairs(s, len, i + n);
    }
    return 1;
}

/* json_stringn(s, len), UTF-8 checked as above: NULL if s is not UTF-8 (or
 * memory ran out). */
static inline json_t *jsontext_string(const char *s, size_t len)
{
    return jsontext_utf8_valid((const unsigned char *)s, len) ? json_stringn_nocheck(s, len) : NULL;
}

/* jansson's order of object keys (its compare_keys): by bytes, then the
 * shorter first. Inline, a byte at a time: keys are short and mostly differ
 * in their first bytes, where a call to memcmp costs more. */
static inline int jsontext_key_order(const char *a, size_t alen, const char *b, size_t blen)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return (alen > blen) - (alen < blen);
}

/* An object member on its way to text or a tree, for sorting by key. */
typedef struct jsontext_member {
    const char *key;
    size_t len;
    json_t *value;
} jsontext_member;

/* jsontext_sort's comparator of jsontext_members: jsontext_key_order. */
int jsontext_member_order(const void *a, const void *b);

/* qsort, with an insertion sort for n <= 16 (elements of at most 64
 * bytes): glibc's qsort is a merge sort that sets up a buffer even for the
 * two or three members of most objects. Not stable: for distinct keys. */
void jsontext_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* From s[i] on, the index of the next byte of s a JSON string must escape
 * (c < 0x20, '"' or '\\'), or len; with check_utf8, (size_t)-1 if a
 * sequence on the way is not UTF-8. Plain ASCII is skipped 8 bytes at a
 * time, up to the first byte of the word that is not (the lowest byte
 * jsontext_any_special flags is one: no borrow crosses a plain byte); a
 * run of non-ASCII characters (CJK text, most of what rules write) one
 * sequence after another. */
static inline size_t jsontext_plain_run(const unsigned char *s, size_t len, size_t i,
                                        int check_utf8)
{
    while (i < len) {
        if (len - i >= 8) {
            uint64_t word, special;
            memcpy(&word, s + i, 8);
            if (!(special = jsontext_any_special(word))) {
                i += 8;
                continue;
            }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            i += (size_t)__builtin_ctzll(special) / 8;
#endif
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c < 0x20 || c == '"' || c == '\\')
                return i;
            i++;
            continue;
        }
        if (!check_utf8) {
            do
                i++;
            while (i < len && s[i] >= 0x80);
            continue;
        }
        do {
            size_t n = jsontext_utf8_sequence(s + i, len - i);
            if (!n)
                return (size_t)-1;
            i = jsontext_cjk_pairs(s, len, i + n);
        } while (i < len && s[i] >= 0x80);
    }
    return len;
}

/* ---- reading: the lexical pieces both parsers share (jsontext_load.c,
 * luajson_text.c) ---- */

/* The byte a two-character escape \e stands for ('"', '\\', '/', b f n r t),
 * or -1 (\u and anything else). */
int jsontext_simple_escape(unsigned char e);

/* The four hex digits at p (before end) into *out: 1, or 0 if they are not
 * four hex digits. */
int jsontext_hex4(const unsigned char *p, const unsigned char *end, uint32_t *out);

/* Code point cp (not a surrogate, at most U+10FFFF) as UTF-8 into out; its
 * length. */
size_t jsontext_utf8_put(uint32_t cp, unsigned char out[4]);

/* The length of the JSON number at p (before end):
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?, with *integral set when
 * it has neither fraction nor exponent; 0 and *why (json_loadb's kinds of
 * complaint) when p does not start one. */
size_t jsontext_number(const unsigned char *p, const unsigned char *end, int *integral,
                       const char **why);

/* The decimal point printf and strtod use in the current locale (jansson's
 * get_decimal_point), so text always has '.' whatever the locale. */
char jsontext_decimal_point(void);

#endif
