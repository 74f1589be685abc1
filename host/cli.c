#include "cli.h"

#include <errno.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_parse_common(int argc, char **argv, cli_common *common)
{
    const char *env_db = getenv("COURTRULES_DB");
    common->db_path = env_db && *env_db ? env_db : "./courtrules.db";
    common->rules_dir = "./rules";
    common->json = 0;
    int out = 0;
    int i = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        const char **target = NULL;
        if (strcmp(a, "--db") == 0 || strncmp(a, "--db=", 5) == 0)
            target = &common->db_path;
        else if (strcmp(a, "--rules") == 0 || strncmp(a, "--rules=", 8) == 0)
            target = &common->rules_dir;
        if (target) {
            const char *eq = strchr(a, '=');
            if (eq) {
                *target = eq + 1;
            } else if (i + 1 < argc) {
                *target = argv[++i];
            } else {
                fprintf(stderr, "courtrules: %s needs a value\n", a);
                return -1;
            }
            continue;
        }
        if (strcmp(a, "--json") == 0) {
            common->json = 1;
            continue;
        }
        argv[out++] = argv[i];
    }
    for (; i < argc; i++)
        argv[out++] = argv[i];
    argv[out] = NULL;
    return out;
}

int cli_fail(cr_status st, const cr_err *err)
{
    fprintf(stderr, "courtrules: %s\n", err->msg);
    return st == CR_INVALID ? 2 : 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "courtrules %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see `courtrules %s --help`)\n", cmd);
    return 2;
}

cr_db *cli_open_db(const cli_common *common, int *status)
{
    cr_db *db = NULL;
    cr_err err;
    cr_status st = db_open(common->db_path, DB_OPEN_EXISTING, &db, &err);
    if (st != CR_OK) {
        *status = cli_fail(st, &err);
        return NULL;
    }
    return db;
}

int cli_option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

/* East Asian Width W and F code points (Unicode 14 EastAsianWidth.txt, with
 * the CJK ideograph planes and blocks wide even where unassigned, and
 * adjacent ranges merged across unassigned gaps), sorted for binary search. */
static const struct {
    uint32_t first, last;
} wide_ranges[] = {
    {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},   {0x23e9, 0x23ec},
    {0x23f0, 0x23f0},   {0x23f3, 0x23f3},   {0x25fd, 0x25fe},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267f, 0x267f},   {0x2693, 0x2693},   {0x26a1, 0x26a1},
    {0x26aa, 0x26ab},   {0x26bd, 0x26be},   {0x26c4, 0x26c5},   {0x26ce, 0x26ce},
    {0x26d4, 0x26d4},   {0x26ea, 0x26ea},   {0x26f2, 0x26f3},   {0x26f5, 0x26f5},
    {0x26fa, 0x26fa},   {0x26fd, 0x26fd},   {0x2705, 0x2705},   {0x270a, 0x270b},
    {0x2728, 0x2728},   {0x274c, 0x274c},   {0x274e, 0x274e},   {0x2753, 0x2755},
    {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27b0, 0x27b0},   {0x27bf, 0x27bf},
    {0x2b1b, 0x2b1c},   {0x2b50, 0x2b50},   {0x2b55, 0x2b55},   {0x2e80, 0x303e},
    {0x3041, 0x3247},   {0x3250, 0x4dbf},   {0x4e00, 0xa4c6},   {0xa960, 0xa97c},
    {0xac00, 0xd7a3},   {0xf900, 0xfaff},   {0xfe10, 0xfe19},   {0xfe30, 0xfe6b},
    {0xff01, 0xff60},   {0xffe0, 0xffe6},   {0x16fe0, 0x1b2fb}, {0x1f004, 0x1f004},
    {0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f320},
    {0x1f32d, 0x1f335}, {0x1f337, 0x1f37c}, {0x1f37e, 0x1f393}, {0x1f3a0, 0x1f3ca},
    {0x1f3cf, 0x1f3d3}, {0x1f3e0, 0x1f3f0}, {0x1f3f4, 0x1f3f4}, {0x1f3f8, 0x1f43e},
    {0x1f440, 0x1f440}, {0x1f442, 0x1f4fc}, {0x1f4ff, 0x1f53d}, {0x1f54b, 0x1f54e},
    {0x1f550, 0x1f567}, {0x1f57a, 0x1f57a}, {0x1f595, 0x1f596}, {0x1f5a4, 0x1f5a4},
    {0x1f5fb, 0x1f64f}, {0x1f680, 0x1f6c5}, {0x1f6cc, 0x1f6cc}, {0x1f6d0, 0x1f6d2},
    {0x1f6d5, 0x1f6df}, {0x1f6eb, 0x1f6ec}, {0x1f6f4, 0x1f6fc}, {0x1f7e0, 0x1f7f0},
    {0x1f90c, 0x1f93a}, {0x1f93c, 0x1f945}, {0x1f947, 0x1f9ff}, {0x1fa70, 0x1faf6},
    {0x20000, 0x3fffd},
};

static int is_wide(uint32_t cp)
{
    size_t lo = 0, hi = sizeof wide_ranges / sizeof wide_ranges[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < wide_ranges[mid].first)
            hi = mid;
        else if (cp > wide_ranges[mid].last)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* Decodes the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF) into *cp; returns its length, or 0 if p does
 * not start one. Stops at a NUL, which is never a continuation byte. */
static int utf8_decode(const unsigned char *p, uint32_t *cp)
{
    int n;
    uint32_t min;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    } else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2, min = 0x80, *cp = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3, min = 0x800, *cp = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4, min = 0x10000, *cp = p[0] & 0x07;
    } else {
        return 0;
    }
    for (int k = 1; k < n; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        *cp = *cp << 6 | (p[k] & 0x3f);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return n;
}

int cli_display_width(const char *utf8)
{
    if (!utf8)
        return 0;
    int width = 0;
    for (const unsigned char *p = (const unsigned char *)utf8; *p;) {
        uint32_t cp;
        int n = utf8_decode(p, &cp);
        if (n == 0) { /* a stray byte: one replacement character */
            width++;
            p++;
            continue;
        }
        width += is_wide(cp) ? 2 : 1;
        p += n;
    }
    return width;
}

void cli_print_text(FILE *f, const char *utf8, const char *indent)
{
    if (!utf8)
        return;
    for (const char *p = utf8; *p; p++) {
        if (indent && *p == '\n' && p[1])
            fprintf(f, "\n%s", indent);
        else
            putc((unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
    }
}

void cli_print_padded(FILE *f, const char *utf8, int columns)
{
    cli_print_text(f, utf8, NULL);
    for (int w = cli_display_width(utf8); w < columns; w++)
        putc(' ', f);
}

const char *cli_find_beside_rules(const char *given, const char *rules_dir, const char *name,
                                  int kind_dir, char *buf, size_t len)
{
    if (given)
        return given;
    struct stat st;
    const char *candidates[2] = {name, NULL};
    snprintf(buf, len, "%s/../%s", rules_dir, name);
    candidates[1] = buf;
    for (int i = 0; i < 2; i++)
        if (stat(candidates[i], &st) == 0 && (kind_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)))
            return candidates[i];
    return NULL;
}

int cli_parse_int(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    if (!text || *text < '0' || *text > '9')
        return -1;
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (*end || errno || n < lo || n > hi)
        return -1;
    *out = n;
    return 0;
}
