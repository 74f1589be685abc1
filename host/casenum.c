/*
 * casenum.c -- 案号 and 法院代字 grammar (see casenum.h).
 *
 * Decisions the header leaves open:
 *  - New-style numbers need year 2016..2199: the 2015 案号规定 took effect on
 *    2016-01-01 and cases received in 2015 kept their 字第 numbers. Old-style
 *    numbers need year 1949..2015.
 *  - Parentheses: "(" or "（" opens, ")" or "）" closes; a mixed pair such as
 *    "(2024）" is accepted, since it is a typing slip that changes no meaning.
 *  - Sequence numbers are 1..10^9 without leading zeros, in both styles.
 *  - Court codes are checked for shape only (which digits exist is data).
 */
#include "casenum.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define YEAR_MIN 1949
#define YEAR_NEW_STYLE 2016 /* first year of the 2015 规定's format */
#define YEAR_MAX 2199
#define SEQ_MAX 1000000000LL

/* High courts: province-level abbreviations, plus 兵 (新疆高院生产建设兵团分院
 * and its courts) and 军 (military courts). Each is one CJK character (three
 * bytes in UTF-8). */
static const char PROVINCES[][4] = {"京", "津", "冀", "晋", "内", "辽", "吉", "黑", "沪",
                                        "苏", "浙", "皖", "闽", "赣", "鲁", "豫", "鄂", "湘",
                                        "粤", "桂", "琼", "渝", "川", "贵", "云", "藏", "陕",
                                        "甘", "青", "宁", "新", "兵", "军"};

/* 专门审判代字, one character each. The element was added by 法〔2018〕335号
 * (关于修改《关于人民法院案件案号的若干规定》的决定), which names 知 for patent
 * and other technical IP cases, e.g. (2019)最高法知民终1号. 环 (环境资源审判)
 * is taken from the project brief and has not been checked against a published
 * SPC list. 金 and 破 are deliberately absent: financial courts are told apart
 * by their court code (沪74), and bankruptcy is the type code 民破 / 执破. */
static const char SPECIALS[][4] = {"知", "环"};

/* 类型代字 (人民法院案件类型及其代字标准) with the kind casenum_kind reports. */
#define TC(code, kind) {code, sizeof(code) - 1, kind}
static const struct type_code {
    const char *code;
    size_t len; /* strlen(code) */
    const char *kind;
} TYPE_CODES[] = {
    TC("民初", "民事"),     TC("民终", "民事"),   TC("民申", "民事"),       TC("民再", "民事"),
    TC("民抗", "民事"),     TC("民监", "民事"),   TC("民特", "民事"),       TC("民催", "民事"),
    TC("民督", "民事"),     TC("民破", "民事"),   TC("民撤", "民事"),       TC("民辖", "民事"),
    TC("民辖终", "民事"),   TC("民他", "民事"),   TC("民算", "民事"),       TC("刑初", "刑事"),
    TC("刑终", "刑事"),     TC("刑申", "刑事"),   TC("刑再", "刑事"),       TC("刑抗", "刑事"),
    TC("刑监", "刑事"),     TC("刑核", "刑事"),   TC("刑更", "刑事"),       TC("刑医", "刑事"),
    TC("刑没", "刑事"),     TC("刑辖", "刑事"),   TC("刑他", "刑事"),       TC("刑止", "刑事"),
    TC("行初", "行政"),     TC("行终", "行政"),   TC("行申", "行政"),       TC("行再", "行政"),
    TC("行抗", "行政"),     TC("行监", "行政"),   TC("行审", "行政"),       TC("行审复", "行政"),
    TC("行辖", "行政"),     TC("行他", "行政"),   TC("行赔初", "国家赔偿"), TC("行赔终", "国家赔偿"),
    TC("执", "执行"),       TC("执恢", "执行"),   TC("执异", "执行"),       TC("执复", "执行"),
    TC("执保", "执行"),     TC("执监", "执行"),   TC("执协", "执行"),       TC("执他", "执行"),
    TC("执破", "执行"),     TC("财保", "保全"),   TC("行保", "保全"),       TC("证保", "保全"),
    TC("司救", "司法救助"), TC("赔", "国家赔偿"), TC("委赔", "国家赔偿"),   TC("法赔", "国家赔偿"),
};
#undef TC

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

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

static size_t count_digits(const char *p)
{
    size_t n = 0;
    while (is_digit(p[n]))
        n++;
    return n;
}

/* p starts with the string literal prefix (whose length is known here, so
 * the comparison is inlined instead of a strncmp call per byte scanned). */
#define starts_with(p, prefix) (strncmp((p), "" prefix, sizeof(prefix) - 1) == 0)

/* Length of the well-formed UTF-8 sequence at p, or 0 if it is not one
 * (overlong forms, surrogates and code points past U+10FFFF are rejected). */
static size_t utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        return (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        unsigned char lo = p[0] == 0xE0 ? 0xA0 : 0x80, hi = p[0] == 0xED ? 0x9F : 0xBF;
        if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
            return 0;
        return 3;
    }
    if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        unsigned char lo = p[0] == 0xF0 ? 0x90 : 0x80, hi = p[0] == 0xF4 ? 0x8F : 0xBF;
        if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

/* Rejects bytes that are not UTF-8, ASCII controls and spaces (ASCII, U+00A0,
 * U+3000): a case number is one token, and a stray space usually means two
 * fields ran together. */
static int check_text(const char *s, char *why, size_t whylen)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; p[i];) {
        size_t n = utf8_len(p + i);
        if (n == 0)
            return fail(why, whylen, "invalid UTF-8 at byte %zu", i);
        if (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r') || starts_with(s + i, "\u00a0") ||
            starts_with(s + i, "\u3000"))
            return fail(why, whylen, "contains a space at byte %zu", i);
        if (p[i] < 0x20 || p[i] == 0x7f)
            return fail(why, whylen, "contains a control character at byte %zu", i);
        i += n;
    }
    return 0;
}

/* Reads a court code at the start of p: 最高法, or a PROVINCES entry followed
 * by a run of ASCII digits that must be 0, 2 or 4 long. Sets *len to its byte
 * length and *ndigits to the digit count (-1 for 最高法). */
static int parse_court(const char *p, size_t *len, int *ndigits, char *why, size_t whylen)
{
    if (starts_with(p, "最高法")) {
        *len = strlen("最高法");
        *ndigits = -1;
        return 0;
    }
    if (*p == '\0')
        return fail(why, whylen, "missing court code");
    size_t n = utf8_len((const unsigned char *)p);
    for (size_t i = 0; n == 3 && i < COUNT(PROVINCES); i++) {
        if (memcmp(p, PROVINCES[i], 3) == 0) {
            size_t d = count_digits(p + n);
            if (d != 0 && d != 2 && d != 4)
                return fail(why, whylen,
                            "court code \"%.*s\": expected 0, 2 or 4 digits after %s, got %zu",
                            (int)(n + d), p, PROVINCES[i], d);
            *len = n + d;
            *ndigits = (int)d;
            return 0;
        }
    }
    return fail(why, whylen, "unknown court code starting with \"%.*s\"", (int)n, p);
}

/* Reads sequence + "号" + end of string. */
static int parse_tail(const char *p, long long *seq, char *why, size_t whylen)
{
    size_t n = count_digits(p);
    if (n == 0) {
        if (*p == '\0')
            return fail(why, whylen, "missing sequence number and 号");
        return fail(why, whylen, "expected a sequence number, got \"%s\"", p);
    }
    if (p[0] == '0')
        return fail(why, whylen,
                    n == 1 ? "sequence number is zero" : "sequence number has a leading zero");
    if (n > 10)
        return fail(why, whylen, "sequence number %.*s exceeds %lld", (int)n, p, SEQ_MAX);
    long long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    if (v > SEQ_MAX)
        return fail(why, whylen, "sequence number %lld exceeds %lld", v, SEQ_MAX);
    p += n;
    if (*p == '\0')
        return fail(why, whylen, "missing 号 at the end");
    if (!starts_with(p, "号"))
        return fail(why, whylen, "unexpected \"%s\" after sequence number %lld", p, v);
    p += strlen("号");
    if (*p != '\0')
        return fail(why, whylen, "trailing text after 号: \"%s\"", p);
    *seq = v;
    return 0;
}

static const struct type_code *find_type(const char *p, size_t len)
{
    for (size_t i = 0; i < COUNT(TYPE_CODES); i++)
        if (TYPE_CODES[i].len == len && memcmp(p, TYPE_CODES[i].code, len) == 0)
            return &TYPE_CODES[i];
    return NULL;
}

static int is_special(const char *p, size_t len)
{
    for (size_t i = 0; len == 3 && i < COUNT(SPECIALS); i++)
        if (memcmp(p, SPECIALS[i], 3) == 0)
            return 1;
    return 0;
}

/* rest: what follows the closing parenthesis; no 字第 in it. */
static int parse_new_style(const char *rest, cr_casenum *cn, char *why, size_t whylen)
{
    size_t court_len;
    int ndigits;
    if (parse_court(rest, &court_len, &ndigits, why, whylen) != 0)
        return -1;
    memcpy(cn->court, rest, court_len); /* <= 9 bytes, checked by parse_court */
    cn->court[court_len] = '\0';

    /* middle = [specialised char] type code: everything up to the sequence. */
    const char *mid = rest + court_len, *end = mid;
    while (*end && !is_digit(*end) && !starts_with(end, "号"))
        end++;
    size_t mid_len = (size_t)(end - mid);
    if (mid_len == 0)
        return fail(why, whylen, "missing case type code after court code %s", cn->court);

    /* The longest catalogued code that ends the middle is the type code. */
    const struct type_code *type = NULL;
    for (size_t i = 0; i < COUNT(TYPE_CODES); i++) {
        size_t n = TYPE_CODES[i].len;
        /* the last byte first: it tells most codes apart without a call */
        if (n <= mid_len && end[-1] == TYPE_CODES[i].code[n - 1] &&
            memcmp(end - n, TYPE_CODES[i].code, n) == 0 && (!type || n > type->len))
            type = &TYPE_CODES[i];
    }
    if (!type)
        return fail(why, whylen, "unknown case type code \"%.*s\"", (int)mid_len, mid);
    size_t pre_len = mid_len - type->len;
    if (pre_len > 0 && !is_special(mid, pre_len)) {
        if (utf8_len((const unsigned char *)mid) == pre_len)
            return fail(why, whylen,
                        "unknown case type code \"%.*s\" (\"%.*s\" before %s is not a "
                        "specialised-trial character)",
                        (int)mid_len, mid, (int)pre_len, mid, type->code);
        return fail(why, whylen, "unknown case type code \"%.*s\"", (int)mid_len, mid);
    }
    memcpy(cn->special, mid, pre_len);
    cn->special[pre_len] = '\0';
    strcpy(cn->type_code, type->code); /* catalogue entries are < 16 bytes */
    return parse_tail(end, &cn->seq, why, whylen);
}

/* rest: what follows the closing parenthesis; zi points at its 字第. */
static int parse_old_style(const char *rest, const char *zi, cr_casenum *cn, char *why,
                           size_t whylen)
{
    size_t len = (size_t)(zi - rest);
    if (len == 0)
        return fail(why, whylen, "old-style number has no court/type text before 字第");
    if (count_digits(rest) == len)
        return fail(why, whylen, "old-style text before 字第 is only digits: \"%.*s\"", (int)len,
                    rest);
    if (len >= sizeof cn->type_code)
        return fail(why, whylen, "old-style text before 字第 is too long (%zu bytes, max %zu)", len,
                    sizeof cn->type_code - 1);
    memcpy(cn->type_code, rest, len);
    cn->type_code[len] = '\0';
    cn->old_style = 1;
    return parse_tail(zi + strlen("字第"), &cn->seq, why, whylen);
}

int casenum_parse(const char *s, cr_casenum *out, char *why, size_t whylen)
{
    if (!s || *s == '\0')
        return fail(why, whylen, "empty case number");
    if (check_text(s, why, whylen) != 0)
        return -1;

    const char *p = s;
    if (*p == '(')
        p++;
    else if (starts_with(p, "（"))
        p += strlen("（");
    else if (starts_with(p, "〔") || starts_with(p, "["))
        return fail(why, whylen,
                    "bad parentheses: case numbers use ( ) or （ ）, not [ ] or 〔 〕");
    else
        return fail(why, whylen, "bad parentheses: a case number starts with ( or （");

    size_t nd = count_digits(p);
    if (nd != 4)
        return fail(why, whylen, "year must be 4 digits, got %zu", nd);
    cr_casenum cn = {0};
    cn.year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    p += 4;
    if (*p == ')')
        p++;
    else if (starts_with(p, "）"))
        p += strlen("）");
    else
        return fail(why, whylen, "bad parentheses: expected ) or ） after year %d", cn.year);
    if (cn.year < YEAR_MIN || cn.year > YEAR_MAX)
        return fail(why, whylen, "year %d outside %d..%d", cn.year, YEAR_MIN, YEAR_MAX);

    const char *zi = strstr(p, "字第");
    if (zi) {
        if (cn.year >= YEAR_NEW_STYLE)
            return fail(why, whylen,
                        "old-style (…字第…号) number with year %d: that format ended in %d",
                        cn.year, YEAR_NEW_STYLE - 1);
        if (parse_old_style(p, zi, &cn, why, whylen) != 0)
            return -1;
    } else {
        if (cn.year < YEAR_NEW_STYLE)
            return fail(why, whylen,
                        "year %d is before %d: numbers of that time have the form "
                        "(year)…字第N号",
                        cn.year, YEAR_NEW_STYLE);
        if (parse_new_style(p, &cn, why, whylen) != 0)
            return -1;
    }
    if (out)
        *out = cn;
    return 0;
}

const char *casenum_kind(const char *type_code)
{
    if (!type_code)
        return NULL;
    const struct type_code *t = find_type(type_code, strlen(type_code));
    return t ? t->kind : NULL;
}

int court_code_check(const char *code, char *why, size_t whylen)
{
    if (!code || *code == '\0')
        return fail(why, whylen, "empty court code");
    if (check_text(code, why, whylen) != 0)
        return -1;
    size_t len;
    int ndigits;
    if (parse_court(code, &len, &ndigits, why, whylen) != 0)
        return -1;
    if (code[len] != '\0')
        return fail(why, whylen, "court code \"%s\": unexpected \"%s\" after \"%.*s\"", code,
                    code + len, (int)len, code);
    return 0;
}

const char *court_code_level(const char *code)
{
    if (court_code_check(code, NULL, 0) != 0)
        return NULL;
    size_t len;
    int ndigits;
    parse_court(code, &len, &ndigits, NULL, 0);
    switch (ndigits) {
    case -1:
        return "最高";
    case 0:
        return "高级";
    case 2:
        return "中级";
    default:
        return "基层";
    }
}
