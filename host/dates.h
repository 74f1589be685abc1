/*
 * dates.h -- calendar dates without time zones, and timestamps.
 *
 * Dates are proleptic Gregorian, "YYYY-MM-DD", years 1900..2199. Day numbers
 * count days since 1970-01-01 so differences are plain subtraction.
 */
#ifndef COURTRULES_DATES_H
#define COURTRULES_DATES_H

#include <stddef.h>
#include <stdint.h>

typedef struct cr_date {
    int y, m, d;
} cr_date;

/* Strict "YYYY-MM-DD" that exists (rejects 2024-02-30, 2023-02-29, " 2024-01-01").
 * Returns 0 or -1 with a reason in why (why may be NULL). */
int date_parse(const char *s, cr_date *out, char *why, size_t whylen);

int date_is_leap(int y);
int date_days_in_month(int y, int m);
int32_t date_to_days(cr_date d);
cr_date date_from_days(int32_t days);
/* Adds n months; a day past the target month's end becomes its last day
 * (2024-08-31 + 6 months = 2025-02-28; 2023-08-31 + 6 = 2024-02-29). */
cr_date date_add_months(cr_date d, int n);
cr_date date_add_days(cr_date d, int n);
/* 1 = Monday … 7 = Sunday. */
int date_weekday(cr_date d);
/* Writes "YYYY-MM-DD" (needs 11 bytes). */
void date_format(cr_date d, char out[11]);
/* Today's date in Asia/Shanghai (UTC+8, no DST). */
cr_date date_today_shanghai(void);

/* A timestamp: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM", "YYYY-MM-DDTHH:MM:SS", each
 * optionally followed by "Z" or "+hh:mm"/"-hh:mm" (no offset = Asia/Shanghai).
 * On success writes the normalized form "YYYY-MM-DDTHH:MM:SS+08:00" (Beijing
 * time, 26 bytes with NUL) to norm and the date part (Beijing) to date. */
int datetime_parse(const char *s, char norm[26], cr_date *date, char *why, size_t whylen);

#endif
