/*
 * dates.c -- proleptic Gregorian dates as day numbers, and timestamps
 * normalised to Beijing time (see dates.h).
 *
 * Day arithmetic follows Howard Hinnant's days_from_civil / civil_from_days
 * ("chrono-Compatible Low-Level Date Algorithms"): exact for every year, no
 * tables, no time-zone database. China has had no DST since 1991, and before
 * that the rules here (fixed UTC+8) are what court records use anyway.
 */
#include "dates.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define YEAR_MIN 1900
#define YEAR_MAX 2199
#define BEIJING_OFFSET_MIN (8 * 60)
#define MAX_OFFSET_MIN (14 * 60) /* UTC+14 (Kiribati) is the widest in use */

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

/* Floor division: rounds toward minus infinity, so day -1 is 1969-12-31. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                                   /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

static cr_date civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    cr_date r;
    r.d = (int)(doy - (153 * mp + 2) / 5 + 1);
    r.m = (int)(mp < 10 ? mp + 3 : mp - 9);
    r.y = (int)(yoe + era * 400 + (r.m <= 2));
    return r;
}

int date_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int date_days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && date_is_leap(y) ? 29 : days[m - 1];
}

int32_t date_to_days(cr_date d)
{
    return (int32_t)days_from_civil(d.y, d.m, d.d);
}

cr_date date_from_days(int32_t days)
{
    return civil_from_days(days);
}

cr_date date_add_months(cr_date d, int n)
{
    int64_t months = (int64_t)d.y * 12 + (d.m - 1) + n;
    cr_date r;
    r.y = (int)floor_div(months, 12);
    r.m = (int)(months - (int64_t)r.y * 12) + 1;
    int last = date_days_in_month(r.y, r.m);
    r.d = d.d > last ? last : d.d;
    return r;
}

cr_date date_add_days(cr_date d, int n)
{
    return civil_from_days(days_from_civil(d.y, d.m, d.d) + n);
}

int date_weekday(cr_date d)
{
    /* Day 0, 1970-01-01, was a Thursday. */
    int64_t days = days_from_civil(d.y, d.m, d.d);
    return (int)(days + 3 - floor_div(days + 3, 7) * 7) + 1;
}

void date_format(cr_date d, char out[11])
{
    /* by hand: rules format dates by the thousand, snprintf was 2% of eval */
    if (d.y < 0 || d.y > 9999 || d.m < 0 || d.m > 99 || d.d < 0 || d.d > 99) {
        snprintf(out, 11, "%04d-%02d-%02d", d.y, d.m, d.d);
        return;
    }
    out[0] = (char)('0' + d.y / 1000);
    out[1] = (char)('0' + d.y / 100 % 10);
    out[2] = (char)('0' + d.y / 10 % 10);
    out[3] = (char)('0' + d.y % 10);
    out[4] = '-';
    out[5] = (char)('0' + d.m / 10);
    out[6] = (char)('0' + d.m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d.d / 10);
    out[9] = (char)('0' + d.d % 10);
    out[10] = '\0';
}

cr_date date_today_shanghai(void)
{
    int64_t now = (int64_t)time(NULL) + BEIJING_OFFSET_MIN * 60;
    return civil_from_days(floor_div(now, 86400));
}

/* Reads exactly n ASCII digits at p. */
static int read_digits(const char *p, int n, int *v)
{
    int r = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        r = r * 10 + (p[i] - '0');
    }
    *v = r;
    return 0;
}

/* Reads "YYYY-MM-DD" at the start of s (10 bytes) and checks the date exists. */
static int parse_ymd(const char *s, cr_date *out, char *why, size_t whylen)
{
    cr_date d;
    if (read_digits(s, 4, &d.y) != 0 || s[4] != '-' || read_digits(s + 5, 2, &d.m) != 0 ||
        s[7] != '-' || read_digits(s + 8, 2, &d.d) != 0)
        return fail(why, whylen, "\"%.40s\" is not a date of the form YYYY-MM-DD", s);
    if (d.y < YEAR_MIN || d.y > YEAR_MAX)
        return fail(why, whylen, "year %d outside %d..%d", d.y, YEAR_MIN, YEAR_MAX);
    if (d.m < 1 || d.m > 12)
        return fail(why, whylen, "month %02d outside 01..12", d.m);
    int last = date_days_in_month(d.y, d.m);
    if (d.d < 1 || d.d > last)
        return fail(why, whylen, "%.10s does not exist (%04d-%02d has %d days)", s, d.y, d.m, last);
    *out = d;
    return 0;
}

int date_parse(const char *s, cr_date *out, char *why, size_t whylen)
{
    if (!s || *s == '\0')
        return fail(why, whylen, "empty date");
    cr_date d;
    if (parse_ymd(s, &d, why, whylen) != 0)
        return -1;
    if (s[10] != '\0')
        return fail(why, whylen, "unexpected \"%.20s\" after date %.10s", s + 10, s);
    if (out)
        *out = d;
    return 0;
}

/* Reads "Z", "+hh:mm" or "-hh:mm" at p into minutes east of UTC; *len gets
 * the bytes used. */
static int parse_offset(const char *p, int *minutes, size_t *len, char *why, size_t whylen)
{
    if (*p == 'Z') {
        *minutes = 0;
        *len = 1;
        return 0;
    }
    int hh, mm;
    if ((*p != '+' && *p != '-') || read_digits(p + 1, 2, &hh) != 0 || p[3] != ':' ||
        read_digits(p + 4, 2, &mm) != 0)
        return fail(why, whylen, "bad UTC offset \"%.20s\": expected Z, +hh:mm or -hh:mm", p);
    if (mm > 59 || hh * 60 + mm > MAX_OFFSET_MIN)
        return fail(why, whylen, "UTC offset %.6s outside -14:00..+14:00", p);
    *minutes = (*p == '-' ? -1 : 1) * (hh * 60 + mm);
    *len = 6;
    return 0;
}

int datetime_parse(const char *s, char norm[26], cr_date *date, char *why, size_t whylen)
{
    if (!s || *s == '\0')
        return fail(why, whylen, "empty timestamp");
    cr_date d;
    if (parse_ymd(s, &d, why, whylen) != 0)
        return -1;
    const char *p = s + 10;
    int hh = 0, mi = 0, ss = 0;
    if (*p == 'T') {
        if (read_digits(p + 1, 2, &hh) != 0 || p[3] != ':' || read_digits(p + 4, 2, &mi) != 0)
            return fail(why, whylen, "bad time \"%.20s\": expected THH:MM or THH:MM:SS", p);
        p += 6;
        if (*p == ':') {
            if (read_digits(p + 1, 2, &ss) != 0)
                return fail(why, whylen, "bad seconds \"%.20s\": expected two digits", p);
            p += 3;
            if (*p == '.' || *p == ',')
                return fail(why, whylen, "fractional seconds are not supported");
        }
        if (hh > 23)
            return fail(why, whylen, "hour %02d outside 00..23", hh);
        if (mi > 59)
            return fail(why, whylen, "minute %02d outside 00..59", mi);
        if (ss > 59) /* leap seconds included: no record needs them */
            return fail(why, whylen, "second %02d outside 00..59", ss);
    } else if (*p == ' ' || *p == 't') {
        return fail(why, whylen, "date and time must be separated by an uppercase T");
    }
    int offset = BEIJING_OFFSET_MIN;
    if (*p != '\0') {
        size_t len = 0;
        if (parse_offset(p, &offset, &len, why, whylen) != 0)
            return -1;
        p += len;
    }
    if (*p != '\0')
        return fail(why, whylen, "unexpected \"%.20s\" at the end of timestamp", p);

    /* Minutes since 1970-01-01T00:00 Beijing; then split back into date and time. */
    int64_t minutes =
        days_from_civil(d.y, d.m, d.d) * 1440 + hh * 60 + mi - offset + BEIJING_OFFSET_MIN;
    int64_t day = floor_div(minutes, 1440);
    int rem = (int)(minutes - day * 1440);
    cr_date bj = civil_from_days(day);
    if (bj.y < YEAR_MIN || bj.y > YEAR_MAX)
        return fail(why, whylen, "timestamp falls outside %d..%d in Beijing time", YEAR_MIN,
                    YEAR_MAX);
    /* YYYY-MM-DDTHH:MM:SS+08:00, every field range-checked above; by hand,
     * as date_format: ingest normalizes every event's timestamp. */
    if (norm) {
        date_format(bj, norm);
        unsigned t[3] = {(unsigned)rem / 60u, (unsigned)rem % 60u, (unsigned)ss};
        for (int i = 0; i < 3; i++) {
            norm[10 + 3 * i] = i ? ':' : 'T';
            norm[11 + 3 * i] = (char)('0' + t[i] / 10 % 10);
            norm[12 + 3 * i] = (char)('0' + t[i] % 10);
        }
        memcpy(norm + 19, "+08:00", 7);
    }
    if (date)
        *date = bj;
    return 0;
}
