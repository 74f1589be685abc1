/*
 * calendar.h -- working days: statutory holidays (放假) and make-up
 * workdays (调休上班) as data, loaded from data/calendar/cn.json
 * (format in docs/calendar.md).
 *
 * A day is a workday if it is Monday to Friday and not listed as off, or a
 * Saturday or Sunday listed as work. Years the file does not cover fall back
 * to Monday to Friday; calendar_is_workday says so through *known.
 *
 * A calendar is immutable once loaded: every function below only reads it,
 * so one calendar may be shared by any number of threads. Every function
 * accepts cal == NULL (no calendar loaded) and then uses Monday to Friday.
 */
#ifndef COURTRULES_CALENDAR_H
#define COURTRULES_CALENDAR_H

#include "dates.h"
#include "err.h"

typedef struct calendar calendar;

/*
 * Loads and validates a calendar file. Strict: unknown keys, malformed or
 * non-existent dates, a date outside the year it is listed under, a work day
 * that is not a Saturday or Sunday, a day listed twice, or both off and work,
 * make it CR_INVALID with a message naming the file and the field
 * ("cn.json: years.2026.off[1][0]: …"). CR_FAIL when out of memory. On
 * success *out owns a new calendar (free with calendar_free).
 */
cr_status calendar_load(const char *path, calendar **out, cr_err *err);

void calendar_free(calendar *cal);

/* 1 if the calendar lists year y. */
int calendar_has_year(const calendar *cal, int y);

/* The "source" given for year y (the notice it comes from), or NULL. */
const char *calendar_source(const calendar *cal, int y);

/* 1 if d is a workday, else 0. known (may be NULL) is set to 1 if d's year is
 * in the calendar, 0 if the answer is only Monday to Friday. */
int calendar_is_workday(const calendar *cal, cr_date d, int *known);

/* n > 0: the n-th workday after d; n < 0: the |n|-th workday before d;
 * n == 0: d itself (workday or not). */
cr_date calendar_add_workdays(const calendar *cal, cr_date d, int n);

/* The workdays walking from a to b, a excluded and b included: those in
 * (a, b] when b >= a, minus those in [b, a) when b < a. So
 * calendar_add_workdays(a, calendar_workdays_between(a, b)) == b for a
 * workday b. */
int calendar_workdays_between(const calendar *cal, cr_date a, cr_date b);

/* d if it is a workday, else the first workday after it (民事诉讼法 第85条:
 * a period whose last day is a statutory holiday ends on the next working
 * day). */
cr_date calendar_next_workday_on_or_after(const calendar *cal, cr_date d);

#endif
