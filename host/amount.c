/*
 * amount.c -- exact yuan amounts as int64 fen (see amount.h).
 *
 * Leading zeros ("007.50") are accepted: the value is unambiguous. Every step
 * of the accumulation is checked against AMOUNT_MAX_FEN, which is far below
 * INT64_MAX, so no intermediate value can overflow.
 */
#include "amount.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Names the first character that makes s not a plain decimal, so the message
 * tells a clerk what to fix. */
static int not_decimal(const char *s, const char *bad, char *why, size_t whylen)
{
    const char *hint = "";
    if (*bad == ',')
        hint = ": no thousands separators";
    else if (*bad == ' ' || *bad == '\t')
        hint = ": no spaces";
    else if (*bad == 'e' || *bad == 'E')
        hint = ": no exponents";
    else if (*bad == '+')
        hint = ": no sign";
    return fail(why, whylen, "\"%.40s\" is not a decimal number%s", s, hint);
}

int amount_parse(const char *s, int64_t *fen, char *why, size_t whylen)
{
    if (!s || *s == '\0')
        return fail(why, whylen, "empty amount");
    if (*s == '-')
        return fail(why, whylen, "negative amounts are not allowed: \"%.40s\"", s);

    const char *p = s;
    int64_t yuan = 0;
    if (*p == '.')
        return fail(why, whylen, "\"%.40s\" is not a decimal number: no digits before '.'", s);
    if (!is_digit(*p))
        return not_decimal(s, p, why, whylen);
    for (; is_digit(*p); p++) {
        yuan = yuan * 10 + (*p - '0');
        if (yuan > AMOUNT_MAX_FEN / 100)
            return fail(why, whylen, "amount \"%.40s\" exceeds %" PRId64 " yuan", s,
                        AMOUNT_MAX_FEN / 100);
    }

    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int ndec = 0;
        for (; is_digit(*p); p++, ndec++)
            if (ndec < 2)
                frac = frac * 10 + (*p - '0');
        if (ndec == 0)
            return fail(why, whylen, "\"%.40s\" is not a decimal number: no digits after '.'", s);
        if (ndec > 2 && *p == '\0')
            return fail(why, whylen, "\"%.40s\" has more than two decimals", s);
        if (ndec == 1)
            frac *= 10;
        if (*p != '\0')
            return not_decimal(s, p, why, whylen);
    }
    if (*p != '\0')
        return not_decimal(s, p, why, whylen);

    int64_t total = yuan * 100 + frac;
    if (total > AMOUNT_MAX_FEN)
        return fail(why, whylen, "amount \"%.40s\" exceeds %" PRId64 " yuan", s,
                    AMOUNT_MAX_FEN / 100);
    if (fen)
        *fen = total;
    return 0;
}

void amount_format(int64_t fen, char out[32])
{
    /* Unsigned magnitude, so INT64_MIN formats instead of overflowing.
     * Digits written from the end by hand: snprintf's "%s%llu.%02u" cost
     * about 1,400 instructions, on every amount ingest normalizes. */
    uint64_t mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    char buf[32], *p = buf + sizeof buf;
    *--p = (char)('0' + mag % 10);
    *--p = (char)('0' + mag / 10 % 10);
    *--p = '.';
    uint64_t yuan = mag / 100;
    do
        *--p = (char)('0' + yuan % 10);
    while (yuan /= 10);
    if (fen < 0)
        *--p = '-';
    size_t n = (size_t)(buf + sizeof buf - p);
    memcpy(out, p, n);
    out[n] = '\0';
}
