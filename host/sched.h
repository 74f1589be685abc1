/*
 * sched.h -- cron expressions, next fire times in a time zone, working-day
 * filtering and the catch-up planner. Pure functions: no clock, no database
 * (sched_run.h runs schedules and persists their state).
 *
 * Syntax and semantics are Vixie cron's (crontab(5)): five fields, minute
 * 0-59, hour 0-23, day of month 1-31, month 1-12 or jan-dec, day of week 0-7
 * or sun-sat (0 and 7 are Sunday); each a list of values, ranges a-b, and
 * steps: '*' or a range followed by /n (and v/n, meaning v-max/n as cronie
 * and robfig/cron accept, max being sat for days of the week); names are case-insensitive and may
 * end ranges; @yearly
 * (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
 *
 * When both day of month and day of week are restricted, a day matching
 * either fires; when either field starts with '*' (including "*" + "/n"),
 * a day must match both.
 *
 * Fire times are wall-clock times in the schedule's time zone. Around DST
 * changes the scheduler follows Vixie cron's rules for a clock that jumps:
 * a job whose minute and hour fields are both fixed and whose time is
 * skipped (spring forward) fires once when the gap ends; a job with a
 * wildcard minute or hour ("*" first) simply has no run for the skipped
 * times. A repeated time (fall back) fires once, at its first occurrence,
 * for a fixed job, and at both occurrences for a wildcard job.
 */
#ifndef COURTRULES_SCHED_H
#define COURTRULES_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "err.h"
#include "tz.h"

#define SCHED_EXPR_MAX 128

enum {
    SCHED_DOM_STAR = 1, /* the day-of-month field starts with '*' */
    SCHED_DOW_STAR = 2, /* the day-of-week field starts with '*' */
    SCHED_MIN_STAR = 4, /* the minute field starts with '*' */
    SCHED_HOUR_STAR = 8 /* the hour field starts with '*' */
};

/* A parsed expression: one bit per allowed value. */
typedef struct sched_cron {
    uint64_t minutes; /* bits 0-59 */
    uint32_t hours;   /* bits 0-23 */
    uint32_t doms;    /* bits 1-31 */
    uint16_t months;  /* bits 1-12 */
    uint8_t dows;     /* bits 0-6, 0 = Sunday */
    uint8_t flags;    /* SCHED_*_STAR */
} sched_cron;

/*
 * Parses a five-field expression or an @name. CR_INVALID with a message
 * naming the field, the token and why ("day-of-week: '8': above 7",
 * "month: 'foo': not a number or month name"), and an expression that can
 * never fire ("0 0 30 feb *": day 30 never occurs in February).
 */
cr_status sched_parse(const char *expr, sched_cron *out, cr_err *err);

/* Does the local date (y, m, d) match the day fields (Vixie's rule above)? */
int sched_day_matches(const sched_cron *c, int y, int m, int d);

/*
 * The first fire time strictly after the UTC instant `after` (seconds since
 * 1970), as a UTC instant, in zone tz. With workdays_only, only on working
 * days of cal (holidays off, make-up days on; cal may be NULL: Monday to
 * Friday), judged by the local date. Returns 0, or -1 if there is none in
 * the next 40 years.
 */
int sched_next(const sched_cron *c, const cr_tz *tz, int workdays_only, const calendar *cal,
               int64_t after, int64_t *next);

/* The catch-up policy of a schedule after downtime. */
typedef enum sched_policy_kind {
    SCHED_CATCH_UP_SKIP, /* missed runs are dropped; only an on-time one runs */
    SCHED_CATCH_UP_ONCE, /* missed runs collapse into one, as of the latest (default) */
    SCHED_CATCH_UP_ALL   /* each missed run, oldest first, at most max of the latest */
} sched_policy_kind;

typedef struct sched_policy {
    sched_policy_kind kind;
    int max; /* with SCHED_CATCH_UP_ALL: 1..1000 */
} sched_policy;

#define SCHED_CATCH_UP_MAX 1000

/* "skip", "once" or "all:N" (N from 1 to 1000); CR_INVALID saying what is
 * accepted. */
cr_status sched_policy_parse(const char *text, sched_policy *out, cr_err *err);
/* The text form ("all:5"), into out (at least 16 bytes). */
void sched_policy_format(const sched_policy *p, char *out, size_t len);

typedef struct sched_plan {
    int64_t latest; /* the latest fire time in (last_fire, now], or -1 if none */
    int64_t missed; /* fire times in (last_fire, now] not run (dropped or collapsed) */
    size_t n_run;   /* fire times to run now, oldest first, in run[] */
} sched_plan;

/*
 * The catch-up planner. The fire times due are those in (last_fire, now];
 * the latest of them is "on time" when now - latest <= grace seconds (the
 * caller's polling interval). Which to run now:
 *   skip   the latest if on time, else none;
 *   once   the latest;
 *   all:N  the latest N, oldest first.
 * run (capacity cap, at least the policy's N or 1) receives them. Whatever
 * runs, the caller then stores plan->latest as the new last_fire, so no
 * fire time is considered twice. A schedule never run before passes
 * last_fire = the time it was first seen (nothing before it is due).
 */
void sched_plan_due(const sched_cron *c, const cr_tz *tz, int workdays_only, const calendar *cal,
                    int64_t last_fire, int64_t now, int64_t grace, sched_policy policy,
                    int64_t *run, size_t cap, sched_plan *plan);

/* Formats a UTC instant as local time in tz: "2026-03-02T07:30:00+08:00"
 * (out: at least 26 bytes). */
void sched_format_time(const cr_tz *tz, int64_t t, char *out, size_t len);

/* Parses "YYYY-MM-DDTHH:MM[:SS]" with "Z" or "+hh:mm"/"-hh:mm", or without
 * an offset as local time in tz (a skipped local time is read with the
 * offset before the gap, a repeated one as its first occurrence). 0, or -1
 * with why. */
int sched_parse_time(const cr_tz *tz, const char *s, int64_t *out, char *why, size_t whylen);

#endif
