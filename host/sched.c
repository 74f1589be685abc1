/*
 * sched.c -- cron parsing (Vixie cron semantics), next fire times in a time
 * zone, and the catch-up planner.
 */
#include "sched.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_DAYS (40 * 366) /* the longest wait: a weekday on 29 February */

/* ---- parsing ---- */

typedef struct field_spec {
    const char *label;
    int lo, hi;
    const char *const *names; /* names[i] is value lo + i (NULL: none) */
} field_spec;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

enum { F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, N_FIELDS };

static const field_spec fields[N_FIELDS] = {
    {"minute", 0, 59, NULL},          {"hour", 0, 23, NULL},
    {"day-of-month", 1, 31, NULL},    {"month", 1, 12, month_names},
    {"day-of-week", 0, 7, dow_names},
};

static const struct {
    const char *name, *expr;
} shortcuts[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

/* A number or a name of the field; 0 or -1 with why. */
static int parse_value(const field_spec *f, const char *s, size_t n, int *out, char *why,
                       size_t whylen)
{
    if (n == 0) {
        snprintf(why, whylen, "a value is missing");
        return -1;
    }
    if (isdigit((unsigned char)s[0])) {
        int v = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)s[i])) {
                snprintf(why, whylen, "'%.*s' is not a number", (int)n, s);
                return -1;
            }
            if (v < 1000)
                v = v * 10 + (s[i] - '0');
        }
        if (v < f->lo || v > f->hi) {
            snprintf(why, whylen, "%d is out of range %d-%d", v, f->lo, f->hi);
            return -1;
        }
        *out = v;
        return 0;
    }
    for (int i = 0; f->names && f->names[i]; i++)
        if (n == 3 && strncasecmp(s, f->names[i], 3) == 0) {
            *out = f->lo + i; /* jan = 1, sun = 0 */
            return 0;
        }
    snprintf(why, whylen, "'%.*s' is not a number%s", (int)n, s,
             f->names == month_names ? " or a month name (jan-dec)"
             : f->names == dow_names ? " or a day name (sun-sat)"
                                     : "");
    return -1;
}

/* One element of a list: *, *\/n, v, a-b, a-b/n, v/n. Sets bits. */
static int parse_element(const field_spec *f, const char *s, size_t n, uint64_t *bits, char *why,
                         size_t whylen)
{
    const char *slash = memchr(s, '/', n);
    size_t range_len = slash ? (size_t)(slash - s) : n;
    int lo, hi, step = 1;
    if (slash) {
        const char *st = slash + 1;
        size_t sn = n - range_len - 1;
        field_spec step_spec = {"step", 1, f->hi - f->lo + 1, NULL};
        if (sn == 0 || parse_value(&step_spec, st, sn, &step, why, whylen) != 0) {
            if (sn == 0 || !isdigit((unsigned char)st[0]))
                snprintf(why, whylen, "the step after '/' must be a number");
            else if (strspn(st, "0123456789") == sn && atoi(st) == 0)
                snprintf(why, whylen, "a step of 0 never advances");
            return -1;
        }
    }
    if (range_len == 1 && s[0] == '*') {
        lo = f->lo;
        hi = f->hi;
    } else {
        const char *dash = memchr(s, '-', range_len);
        size_t a_len = dash ? (size_t)(dash - s) : range_len;
        if (parse_value(f, s, a_len, &lo, why, whylen) != 0)
            return -1;
        if (dash) {
            if (parse_value(f, dash + 1, range_len - a_len - 1, &hi, why, whylen) != 0)
                return -1;
            if (hi < lo) {
                snprintf(why, whylen, "the range ends before it starts (%d-%d)", lo, hi);
                return -1;
            }
        } else {
            /* "5/15" is 5-max/15, as cronie and robfig/cron read it; for days
             * of the week max is 6, so "mon/2" is mon,wed,fri and not Sunday. */
            hi = !slash ? lo : f == &fields[F_DOW] ? 6 : f->hi;
        }
    }
    for (int v = lo; v <= hi; v += step)
        *bits |= (uint64_t)1 << (f == &fields[F_DOW] && v == 7 ? 0 : v);
    return 0;
}

static int parse_field(const field_spec *f, const char *text, uint64_t *bits, cr_err *err)
{
    *bits = 0;
    const char *p = text;
    for (;;) {
        size_t n = strcspn(p, ",");
        char why[160];
        if (parse_element(f, p, n, bits, why, sizeof why) != 0) {
            cr_errf(err, CR_INVALID, "%s: '%.*s': %s", f->label, (int)n, p, why);
            return -1;
        }
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

int sched_day_matches(const sched_cron *c, int y, int m, int d)
{
    if (!(c->months >> m & 1))
        return 0;
    int dom = c->doms >> d & 1;
    int dow = c->dows >> (date_weekday((cr_date){y, m, d}) % 7) & 1;
    /* Vixie cron: either field starting with '*' makes it "both must match". */
    return (c->flags & (SCHED_DOM_STAR | SCHED_DOW_STAR)) ? (dom && dow) : (dom || dow);
}

cr_status sched_parse(const char *expr, sched_cron *out, cr_err *err)
{
    memset(out, 0, sizeof *out);
    while (isspace((unsigned char)*expr))
        expr++;
    if (expr[0] == '@') {
        size_t n = strcspn(expr, " \t");
        if (expr[n + strspn(expr + n, " \t")])
            return cr_errf(err, CR_INVALID, "'%s': nothing may follow %.*s", expr, (int)n, expr);
        for (size_t i = 0; i < sizeof shortcuts / sizeof shortcuts[0]; i++)
            if (strlen(shortcuts[i].name) == n && strncasecmp(expr, shortcuts[i].name, n) == 0)
                return sched_parse(shortcuts[i].expr, out, err);
        return cr_errf(err, CR_INVALID,
                       "'%.*s': unknown; use @yearly, @annually, @monthly, @weekly, @daily, "
                       "@midnight or @hourly (@reboot has no meaning here)",
                       (int)n, expr);
    }
    char copy[SCHED_EXPR_MAX];
    if (strlen(expr) >= sizeof copy)
        return cr_errf(err, CR_INVALID, "cron expression longer than %d characters",
                       SCHED_EXPR_MAX - 1);
    snprintf(copy, sizeof copy, "%s", expr);
    char *tok[N_FIELDS + 1];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(copy, " \t", &save); t;
         t = strtok_r(NULL, " \t", &save)) {
        if (n == N_FIELDS)
            return cr_errf(err, CR_INVALID,
                           "'%s': more than five fields (minute hour day-of-month month "
                           "day-of-week; no seconds, years or command)",
                           expr);
        tok[n++] = t;
    }
    if (n < N_FIELDS)
        return cr_errf(err, CR_INVALID,
                       "'%s': %d field%s; a cron expression has five: minute hour "
                       "day-of-month month day-of-week",
                       expr, n, n == 1 ? "" : "s");
    uint64_t bits[N_FIELDS];
    for (int i = 0; i < N_FIELDS; i++)
        if (parse_field(&fields[i], tok[i], &bits[i], err) != 0)
            return CR_INVALID;
    out->minutes = bits[F_MIN];
    out->hours = (uint32_t)bits[F_HOUR];
    out->doms = (uint32_t)bits[F_DOM];
    out->months = (uint16_t)bits[F_MON];
    out->dows = (uint8_t)bits[F_DOW];
    out->flags = (tok[F_MIN][0] == '*' ? SCHED_MIN_STAR : 0) |
                 (tok[F_HOUR][0] == '*' ? SCHED_HOUR_STAR : 0) |
                 (tok[F_DOM][0] == '*' ? SCHED_DOM_STAR : 0) |
                 (tok[F_DOW][0] == '*' ? SCHED_DOW_STAR : 0);
    /* 28 years hold every combination of weekday and leap year (1901-2099). */
    for (int y = 2000; y < 2028; y++)
        for (int m = 1; m <= 12; m++)
            for (int d = 1; d <= date_days_in_month(y, m); d++)
                if (sched_day_matches(out, y, m, d))
                    return CR_OK;
    return cr_errf(
        err, CR_INVALID, "'%s': never fires: no date has day-of-month '%s' in month '%s'%s", expr,
        tok[F_DOM], tok[F_MON], out->flags & SCHED_DOW_STAR ? "" : " on day-of-week given");
}

/* ---- local time <-> UTC ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/*
 * The UTC instants whose local clock in tz reads L (seconds since 1970 on
 * the local clock). Returns how many: 1 normally, 2 in a repeated hour (t[0]
 * < t[1]), 0 in a skipped one (then *gap_end is the instant the clock
 * jumped, and *before the reading with the offset before the jump).
 */
static int local_to_utc(const cr_tz *tz, int64_t L, int64_t t[2], int64_t *gap_end, int64_t *before)
{
    int32_t o1 = tz_offset(tz, L - 2 * 86400), o2 = tz_offset(tz, L + 2 * 86400);
    int n = 0;
    int32_t offs[2] = {o1, o2};
    for (int i = 0; i < (o1 == o2 ? 1 : 2); i++) {
        int64_t cand = L - offs[i];
        if (tz_offset(tz, cand) == offs[i])
            t[n++] = cand;
    }
    if (n == 2 && t[1] < t[0]) {
        int64_t x = t[0];
        t[0] = t[1];
        t[1] = x;
    }
    if (n == 0) { /* o1 is the offset before the jump, o2 after it (o2 > o1) */
        *gap_end = tz_transition_after(tz, L - o2, L - o1);
        *before = L - o1;
    }
    return n;
}

/* ---- next fire time ---- */

static int day_ok(const sched_cron *c, int workdays_only, const calendar *cal, int32_t day)
{
    cr_date d = date_from_days(day);
    return sched_day_matches(c, d.y, d.m, d.d) &&
           (!workdays_only || calendar_is_workday(cal, d, NULL));
}

int sched_next(const sched_cron *c, const cr_tz *tz, int workdays_only, const calendar *cal,
               int64_t after, int64_t *next)
{
    int wildcard = (c->flags & (SCHED_MIN_STAR | SCHED_HOUR_STAR)) != 0;
    int32_t first = (int32_t)floor_div(after + tz_offset(tz, after), 86400) - 1;
    int64_t best = INT64_MAX;
    for (int32_t day = first; day < first + SEARCH_DAYS; day++) {
        int64_t base = (int64_t)day * 86400;
        int32_t oa = tz_offset(tz, base - 3 * 86400), ob = tz_offset(tz, base + 4 * 86400);
        int32_t off_lo = oa < ob ? oa : ob, off_hi = oa < ob ? ob : oa;
        if (best != INT64_MAX && base - off_hi > best)
            break; /* every time of this day and later is after best */
        if (base + 86399 - off_lo <= after || !day_ok(c, workdays_only, cal, day))
            continue;
        for (int h = 0; h < 24; h++) {
            if (!(c->hours >> h & 1) || base + h * 3600 + 3599 - off_lo <= after)
                continue;
            for (int m = 0; m < 60; m++) {
                int64_t L = base + h * 3600 + m * 60;
                if (!(c->minutes >> m & 1) || L - off_lo <= after)
                    continue;
                if (L - off_hi > best)
                    break;
                int64_t t[2], gap_end = 0, before = 0;
                int n = local_to_utc(tz, L, t, &gap_end, &before);
                if (n == 0 && !wildcard) /* skipped: a fixed job fires as the gap ends */
                    t[n++] = gap_end;
                if (n == 2 && !wildcard) /* repeated: a fixed job fires once */
                    n = 1;
                for (int i = 0; i < n; i++)
                    if (t[i] > after && t[i] < best)
                        best = t[i];
            }
        }
    }
    if (best == INT64_MAX)
        return -1;
    *next = best;
    return 0;
}

/* ---- catch-up ---- */

cr_status sched_policy_parse(const char *text, sched_policy *out, cr_err *err)
{
    memset(out, 0, sizeof *out);
    if (strcmp(text, "skip") == 0) {
        out->kind = SCHED_CATCH_UP_SKIP;
        return CR_OK;
    }
    if (strcmp(text, "once") == 0) {
        out->kind = SCHED_CATCH_UP_ONCE;
        out->max = 1;
        return CR_OK;
    }
    if (strncmp(text, "all:", 4) == 0 && text[4] >= '1' && text[4] <= '9' &&
        strspn(text + 4, "0123456789") == strlen(text + 4) && strlen(text + 4) <= 4 &&
        atoi(text + 4) <= SCHED_CATCH_UP_MAX) {
        out->kind = SCHED_CATCH_UP_ALL;
        out->max = atoi(text + 4);
        return CR_OK;
    }
    return cr_errf(err, CR_INVALID,
                   "'%s': must be \"skip\", \"once\" or \"all:N\" with N from 1 to %d", text,
                   SCHED_CATCH_UP_MAX);
}

void sched_policy_format(const sched_policy *p, char *out, size_t len)
{
    if (p->kind == SCHED_CATCH_UP_ALL)
        snprintf(out, len, "all:%d", p->max);
    else
        snprintf(out, len, "%s", p->kind == SCHED_CATCH_UP_SKIP ? "skip" : "once");
}

void sched_plan_due(const sched_cron *c, const cr_tz *tz, int workdays_only, const calendar *cal,
                    int64_t last_fire, int64_t now, int64_t grace, sched_policy policy,
                    int64_t *run, size_t cap, sched_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->latest = -1;
    size_t keep = policy.kind == SCHED_CATCH_UP_ALL ? (size_t)policy.max : 1;
    if (keep > cap)
        keep = cap;
    /* The latest `keep` fire times in (last_fire, now], in a ring. */
    int64_t total = 0, t = last_fire, next;
    while (keep && sched_next(c, tz, workdays_only, cal, t, &next) == 0 && next <= now) {
        run[total % (int64_t)keep] = next;
        total++;
        t = next;
    }
    if (total == 0)
        return;
    plan->latest = t;
    size_t n = total < (int64_t)keep ? (size_t)total : keep;
    if (policy.kind == SCHED_CATCH_UP_SKIP && now - t > grace)
        n = 0;
    if (n && total > (int64_t)keep) { /* the ring wrapped: rotate, oldest first */
        size_t start = (size_t)(total % (int64_t)keep);
        int64_t tmp[SCHED_CATCH_UP_MAX];
        for (size_t i = 0; i < keep; i++)
            tmp[i] = run[(start + i) % keep];
        memcpy(run, tmp, keep * sizeof *run);
    }
    plan->n_run = n;
    plan->missed = total - (int64_t)n;
}

/* ---- formatting and parsing instants ---- */

void sched_format_time(const cr_tz *tz, int64_t t, char *out, size_t len)
{
    int32_t off = tz_offset(tz, t);
    int64_t local = t + off;
    int64_t day = floor_div(local, 86400), sec = local - day * 86400;
    cr_date d = date_from_days((int32_t)day);
    int aoff = off < 0 ? -off : off;
    snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", d.y, d.m, d.d, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60), off < 0 ? '-' : '+', aoff / 3600,
             aoff / 60 % 60);
}

int sched_parse_time(const cr_tz *tz, const char *s, int64_t *out, char *why, size_t whylen)
{
    char date[11];
    cr_date d;
    int h = 0, mi = 0, se = 0, used = 0;
    if (strlen(s) < 10) {
        snprintf(why, whylen, "'%s': expected YYYY-MM-DDTHH:MM[:SS][Z|+hh:mm]", s);
        return -1;
    }
    memcpy(date, s, 10);
    date[10] = 0;
    if (date_parse(date, &d, why, whylen) != 0)
        return -1;
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &used) != 2 || used != 5) {
            snprintf(why, whylen, "'%s': expected HH:MM after the date", s);
            return -1;
        }
        p += 1 + used;
        if (*p == ':') {
            if (sscanf(p + 1, "%2d%n", &se, &used) != 1 || used != 2) {
                snprintf(why, whylen, "'%s': expected seconds after HH:MM:", s);
                return -1;
            }
            p += 3;
        }
    }
    if (h > 23 || mi > 59 || se > 59) {
        snprintf(why, whylen, "'%s': no such time of day", s);
        return -1;
    }
    int64_t L = (int64_t)date_to_days(d) * 86400 + h * 3600 + mi * 60 + se;
    if (*p == 0) {
        int64_t t[2], gap_end, before;
        *out = local_to_utc(tz, L, t, &gap_end, &before) ? t[0] : before;
        return 0;
    }
    int oh, om;
    if (strcmp(p, "Z") == 0) {
        *out = L;
        return 0;
    }
    if ((p[0] == '+' || p[0] == '-') && sscanf(p + 1, "%2d:%2d%n", &oh, &om, &used) == 2 &&
        used == 5 && !p[6] && oh <= 23 && om <= 59) {
        *out = L - (p[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
        return 0;
    }
    snprintf(why, whylen, "'%s': the offset must be Z or +hh:mm / -hh:mm", s);
    return -1;
}
