/*
 * tz.c -- reading TZif files and the POSIX TZ rule of their footer.
 */
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"

#define TZIF_MAX_BYTES (256 * 1024) /* real files are under 4 KiB */

/* A POSIX TZ rule date: Jn (julian, no Feb 29), n (zero-based, with Feb 29)
 * or Mm.w.d (weekday d, 0 = Sunday, of week w, 5 = last, of month m); time
 * is seconds after local midnight (may be negative or past 24 h). */
typedef struct rule_date {
    char kind; /* 'J', 'N', 'M' */
    int n, m, w, d;
    int32_t time;
} rule_date;

typedef struct posix_rule {
    int32_t std_off, dst_off; /* seconds east of UTC */
    int has_dst;
    rule_date start, end;
} posix_rule;

struct cr_tz {
    char name[TZ_NAME_MAX];
    int64_t *times; /* transitions, ascending */
    uint8_t *idx;   /* the type in force from times[i] */
    size_t n_times;
    int32_t *offsets; /* per type */
    size_t n_types;
    int has_rule; /* the footer applies after the last transition */
    posix_rule rule;
};

/* ---- the POSIX TZ string ---- */

static const char *parse_name(const char *p)
{
    if (*p == '<') {
        const char *q = strchr(p, '>');
        return q && q - p >= 4 ? q + 1 : NULL;
    }
    const char *q = p;
    while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
        q++;
    return q - p >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]], hours up to max_hours. */
static const char *parse_hms(const char *p, int max_hours, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    int32_t parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (i && *p != ':')
            break;
        if (i)
            p++;
        if (*p < '0' || *p > '9')
            return NULL;
        int v = 0;
        while (*p >= '0' && *p <= '9' && v <= 1000)
            v = v * 10 + (*p++ - '0');
        parts[i] = v;
    }
    if (parts[0] > max_hours || parts[1] > 59 || parts[2] > 59)
        return NULL;
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return p;
}

static const char *parse_int(const char *p, int lo, int hi, int *out)
{
    if (*p < '0' || *p > '9')
        return NULL;
    int v = 0;
    while (*p >= '0' && *p <= '9' && v <= 1000)
        v = v * 10 + (*p++ - '0');
    if (v < lo || v > hi)
        return NULL;
    *out = v;
    return p;
}

static const char *parse_rule_date(const char *p, rule_date *r)
{
    memset(r, 0, sizeof *r);
    r->time = 2 * 3600;
    if (*p == 'J') {
        r->kind = 'J';
        p = parse_int(p + 1, 1, 365, &r->n);
    } else if (*p == 'M') {
        r->kind = 'M';
        if ((p = parse_int(p + 1, 1, 12, &r->m)) && *p == '.' &&
            (p = parse_int(p + 1, 1, 5, &r->w)) && *p == '.')
            p = parse_int(p + 1, 0, 6, &r->d);
        else
            p = NULL;
    } else {
        r->kind = 'N';
        p = parse_int(p, 0, 365, &r->n);
    }
    if (p && *p == '/')
        p = parse_hms(p + 1, 167, &r->time);
    return p;
}

static int parse_posix(const char *s, posix_rule *r)
{
    memset(r, 0, sizeof *r);
    const char *p = parse_name(s);
    int32_t west;
    if (!p || !(p = parse_hms(p, 24, &west)))
        return -1;
    r->std_off = -west;
    if (!*p)
        return 0;
    if (!(p = parse_name(p)))
        return -1;
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = parse_hms(p, 24, &west)))
            return -1;
        r->dst_off = -west;
    }
    if (!*p) /* POSIX leaves the default rule to the implementation: the US one */
        p = ",M3.2.0,M11.1.0";
    if (*p++ != ',' || !(p = parse_rule_date(p, &r->start)) || *p++ != ',' ||
        !(p = parse_rule_date(p, &r->end)) || *p)
        return -1;
    return 0;
}

/* Local midnight (as seconds on the local clock since 1970) of the rule's
 * day in year y. */
static int64_t rule_day(const rule_date *r, int y)
{
    int32_t jan1 = date_to_days((cr_date){y, 1, 1});
    if (r->kind == 'J') /* 1..365, February 29 is never counted */
        return (int64_t)(jan1 + r->n - 1 + (date_is_leap(y) && r->n >= 60)) * 86400;
    if (r->kind == 'N')
        return (int64_t)(jan1 + r->n) * 86400;
    int32_t first = date_to_days((cr_date){y, r->m, 1});
    int wd = date_weekday((cr_date){y, r->m, 1}) % 7; /* 0 = Sunday */
    int day = 1 + (r->d - wd + 7) % 7 + (r->w - 1) * 7;
    while (day > date_days_in_month(y, r->m))
        day -= 7;
    return (int64_t)(first + day - 1) * 86400;
}

static int32_t rule_offset(const posix_rule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int y = date_from_days((int32_t)((t + r->std_off) / 86400 - ((t + r->std_off) % 86400 < 0))).y;
    /* Start is given in standard time, end in daylight time. */
    int64_t start = rule_day(&r->start, y) + r->start.time - r->std_off;
    int64_t end = rule_day(&r->end, y) + r->end.time - r->dst_off;
    int dst = start < end ? (t >= start && t < end) : (t < end || t >= start);
    return dst ? r->dst_off : r->std_off;
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parses the TZif data; 0 or -1 (malformed). Uses the 64-bit block of a
 * version 2+ file, the 32-bit one otherwise. */
static int parse_tzif(cr_tz *tz, const unsigned char *b, size_t len)
{
    if (len < 44 || memcmp(b, "TZif", 4) != 0)
        return -1;
    int version = b[4];
    size_t tsize = 4;
    const unsigned char *h = b;
    for (int pass = 0; pass < 2; pass++) {
        if ((size_t)(h - b) + 44 > len)
            return -1;
        uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28),
                 timecnt = be32(h + 32), typecnt = be32(h + 36), charcnt = be32(h + 40);
        if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || leap > 10000 || charcnt > 10000 ||
            isut > 256 || isstd > 256)
            return -1;
        size_t data = (size_t)timecnt * tsize + timecnt + (size_t)typecnt * 6 + charcnt +
                      (size_t)leap * (tsize + 4) + isstd + isut;
        const unsigned char *p = h + 44;
        if ((size_t)(p - b) + data > len)
            return -1;
        if (pass == 0 && version >= '2') { /* skip the 32-bit block */
            h = p + data;
            tsize = 8;
            continue;
        }
        tz->times = malloc((timecnt ? timecnt : 1) * sizeof *tz->times);
        tz->idx = malloc(timecnt ? timecnt : 1);
        tz->offsets = malloc(typecnt * sizeof *tz->offsets);
        if (!tz->times || !tz->idx || !tz->offsets)
            return -2;
        for (uint32_t i = 0; i < timecnt; i++)
            tz->times[i] = tsize == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
        p += (size_t)timecnt * tsize;
        for (uint32_t i = 0; i < timecnt; i++)
            if ((tz->idx[i] = p[i]) >= typecnt)
                return -1;
        p += timecnt;
        for (uint32_t i = 0; i < typecnt; i++)
            tz->offsets[i] = (int32_t)be32(p + i * 6);
        tz->n_times = timecnt;
        tz->n_types = typecnt;
        if (tsize == 8) { /* the footer: "\n<POSIX TZ>\n" */
            const unsigned char *f =
                p + (size_t)typecnt * 6 + charcnt + (size_t)leap * 12 + isstd + isut;
            size_t rest = len - (size_t)(f - b);
            char footer[128];
            if (rest >= 2 && f[0] == '\n' && rest - 1 < sizeof footer) {
                memcpy(footer, f + 1, rest - 1);
                footer[rest - 1] = 0;
                char *nl = strchr(footer, '\n');
                if (nl) {
                    *nl = 0;
                    tz->has_rule = footer[0] && parse_posix(footer, &tz->rule) == 0;
                }
            }
        }
        return 0;
    }
    return -1;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= TZ_NAME_MAX || s[0] == '/' || s[0] == '.' || strstr(s, ".."))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr("/_+-", s[i])))
            return 0;
    return 1;
}

cr_status tz_load(const char *name, cr_tz **out, cr_err *err)
{
    *out = NULL;
    if (!valid_name(name))
        return cr_errf(err, CR_INVALID,
                       "time zone '%s': not a tz database name such as Asia/Shanghai", name);
    cr_tz *tz = calloc(1, sizeof *tz);
    if (!tz)
        return cr_errf(err, CR_FAIL, "out of memory");
    snprintf(tz->name, sizeof tz->name, "%s", name);
    const char *dir = getenv("TZDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t len = 0;
    if (f) {
        buf = malloc(TZIF_MAX_BYTES);
        len = buf ? fread(buf, 1, TZIF_MAX_BYTES, f) : 0;
        fclose(f);
    }
    int rc = buf ? parse_tzif(tz, buf, len) : -1;
    free(buf);
    if (rc == 0) {
        *out = tz;
        return CR_OK;
    }
    free(tz->times);
    free(tz->idx);
    free(tz->offsets);
    memset(tz, 0, sizeof *tz);
    snprintf(tz->name, sizeof tz->name, "%s", name);
    if (rc == -2) {
        free(tz);
        return cr_errf(err, CR_FAIL, "out of memory");
    }
    /* The built-in zones, when tzdata is not installed. */
    if (strcmp(name, "Asia/Shanghai") == 0 || strcmp(name, "UTC") == 0 ||
        strcmp(name, "Etc/UTC") == 0) {
        tz->has_rule = 1;
        tz->rule.std_off = name[0] == 'A' ? 8 * 3600 : 0;
        *out = tz;
        return CR_OK;
    }
    free(tz);
    return cr_errf(err, CR_INVALID, "time zone '%s': %s: %s", name, path,
                   f ? "not a TZif file" : "no such zone in the tz database");
}

void tz_free(cr_tz *tz)
{
    if (!tz)
        return;
    free(tz->times);
    free(tz->idx);
    free(tz->offsets);
    free(tz);
}

const char *tz_name(const cr_tz *tz)
{
    return tz->name;
}

int32_t tz_offset(const cr_tz *tz, int64_t t)
{
    if (tz->n_times == 0 || t < tz->times[0])
        return tz->n_times == 0 && tz->has_rule ? rule_offset(&tz->rule, t) : tz->offsets[0];
    if (t >= tz->times[tz->n_times - 1] && tz->has_rule)
        return rule_offset(&tz->rule, t);
    size_t lo = 0, hi = tz->n_times; /* times[lo] <= t < times[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->times[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->offsets[tz->idx[lo]];
}

int64_t tz_transition_after(const cr_tz *tz, int64_t a, int64_t b)
{
    int32_t at_a = tz_offset(tz, a);
    if (tz_offset(tz, b) == at_a)
        return b + 1;
    while (b - a > 1) { /* offset(a) == at_a, offset(b) != at_a */
        int64_t mid = a + (b - a) / 2;
        if (tz_offset(tz, mid) == at_a)
            a = mid;
        else
            b = mid;
    }
    return b;
}
