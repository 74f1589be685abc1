/*
 * periods.h -- counting days while leaving out periods, for 审限 (trial
 * time limits): service by publication, appraisal, settlement, jurisdiction
 * objections, suspension until resumption … are not counted (domain.md §3).
 *
 * Days are counted from the day after the start, as 审限 are. A day is
 * excluded if it lies in any of the given periods, so overlapping periods
 * count once; periods, or parts of periods, on or before the start change
 * nothing. Calendar days: holidays count (see calendar.h for workdays).
 * No allocation, no state.
 */
#ifndef COURTRULES_PERIODS_H
#define COURTRULES_PERIODS_H

#include <stddef.h>
#include <stdint.h>

#include "dates.h"

/* An inclusive range of days; from > to is an empty range. */
typedef struct cr_date_range {
    cr_date from, to;
} cr_date_range;

/*
 * Rewrites ranges[0..n) in place as the same set of days in normal form:
 * no empty ranges, sorted by from, overlapping or adjacent ranges merged.
 * Returns the new count (<= n). O(n log n).
 */
size_t periods_normalize(cr_date_range *ranges, size_t n);

/*
 * days > 0: the date on which the days-th counted day after start falls,
 * counting only days outside every excluded period. With no periods that is
 * start + days; each excluded day on the way pushes the date out by one, so a
 * period covering the would-be due date pushes it past the period's end.
 * days < 0 counts backwards the same way; days == 0 gives start. The result
 * is never inside an excluded period (except start itself).
 *
 * Periods in any order are fine; time is O(n) for periods in normal form
 * (periods_normalize), O(n²) at worst otherwise, and never grows with days.
 */
cr_date periods_add_days_excluding(cr_date start, int days, const cr_date_range *excluded,
                                   size_t n);

/*
 * The counted days (those outside every excluded period) walking from start
 * to end, start excluded and end included: those in (start, end], or minus
 * those in [end, start) when end < start. So periods_add_days_excluding(start,
 * periods_days_excluding(start, end, …), …) == end when end is not excluded.
 * Same cost as periods_add_days_excluding.
 */
int64_t periods_days_excluding(cr_date start, cr_date end, const cr_date_range *excluded, size_t n);

#endif
