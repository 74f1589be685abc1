/*
 * periods.c -- counting days outside excluded periods (see periods.h).
 *
 * Days are day numbers (dates.h). Counting backwards is counting forwards on
 * the mirrored axis (day -> -day, [from, to] -> [-to, -from]), so one walk
 * serves both directions. The walk jumps from one run of excluded days to the
 * next instead of stepping day by day. Periods in normal form are runs
 * already and are taken in order; any other list is searched for the next
 * run each time, which needs no scratch memory and leaves the list alone.
 */
#include "periods.h"

#include <stdlib.h>

/* A period on the axis walked in direction dir (+1 or -1); 0 if it is empty. */
static int span(const cr_date_range *r, int dir, int64_t *lo, int64_t *hi)
{
    int64_t from = date_to_days(r->from), to = date_to_days(r->to);
    if (from > to)
        return 0;
    *lo = dir > 0 ? from : -to;
    *hi = dir > 0 ? to : -from;
    return 1;
}

/* Non-empty, sorted by from, at least one counted day between neighbours. */
static int is_normal(const cr_date_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (date_to_days(r[i].from) > date_to_days(r[i].to))
            return 0;
        if (i > 0 && date_to_days(r[i].from) <= date_to_days(r[i - 1].to) + 1)
            return 0;
    }
    return 1;
}

/* The runs of excluded days after a position that only moves forward. */
typedef struct run_iter {
    const cr_date_range *r;
    size_t n;
    int dir;
    int normal;  /* r is in normal form: each range is a run */
    size_t next; /* normal: the next range in walk order */
} run_iter;

static run_iter runs(const cr_date_range *r, size_t n, int dir)
{
    run_iter it = {r, n, dir, is_normal(r, n), 0};
    return it;
}

/*
 * The first excluded day after pos, and the last day of the run of excluded
 * days starting there (overlapping or adjacent periods form one run). Returns
 * 0 if no excluded day follows pos. pos must not decrease between calls.
 * Unsorted lists: each pass that extends the run absorbs at least one more
 * period, so at most n + 1 passes of n.
 */
static int next_run(run_iter *it, int64_t pos, int64_t *first, int64_t *last)
{
    int64_t lo = 0, hi = 0;
    if (it->normal) {
        while (it->next < it->n) {
            size_t k = it->next++;
            span(&it->r[it->dir > 0 ? k : it->n - 1 - k], it->dir, &lo, &hi);
            if (hi > pos) {
                *first = lo > pos ? lo : pos + 1;
                *last = hi;
                return 1;
            }
        }
        return 0;
    }
    int found = 0;
    for (size_t i = 0; i < it->n; i++) {
        if (!span(&it->r[i], it->dir, &lo, &hi) || hi <= pos)
            continue;
        int64_t f = lo > pos ? lo : pos + 1;
        if (!found || f < *first)
            *first = f;
        found = 1;
    }
    if (!found)
        return 0;
    *last = *first;
    for (int grew = 1; grew;) {
        grew = 0;
        for (size_t i = 0; i < it->n; i++) {
            if (span(&it->r[i], it->dir, &lo, &hi) && lo <= *last + 1 && hi > *last) {
                *last = hi;
                grew = 1;
            }
        }
    }
    return 1;
}

/* The day of the days-th counted day after start (days >= 0). */
static int64_t walk_forward(int64_t start, int64_t days, run_iter *it)
{
    int64_t pos = start, left = days, first, last;
    while (left > 0) {
        if (!next_run(it, pos, &first, &last))
            return pos + left;
        int64_t counted = first - pos - 1; /* days between pos and the run */
        if (left <= counted)
            return pos + left;
        left -= counted;
        pos = last;
    }
    return pos;
}

/* The counted days in (start, end], start <= end. */
static int64_t count_forward(int64_t start, int64_t end, run_iter *it)
{
    int64_t pos = start, count = 0, first, last;
    while (pos < end) {
        if (!next_run(it, pos, &first, &last) || first > end)
            return count + (end - pos);
        count += first - pos - 1;
        pos = last;
    }
    return count;
}

cr_date periods_add_days_excluding(cr_date start, int days, const cr_date_range *excluded, size_t n)
{
    int dir = days < 0 ? -1 : 1;
    run_iter it = runs(excluded, n, dir);
    int64_t day = walk_forward(dir * (int64_t)date_to_days(start), dir * (int64_t)days, &it);
    return date_from_days((int32_t)(dir * day));
}

int64_t periods_days_excluding(cr_date start, cr_date end, const cr_date_range *excluded, size_t n)
{
    int64_t a = date_to_days(start), b = date_to_days(end);
    int dir = b < a ? -1 : 1;
    run_iter it = runs(excluded, n, dir);
    return dir * count_forward(dir * a, dir * b, &it);
}

static int cmp_from(const void *a, const void *b)
{
    int32_t x = date_to_days(((const cr_date_range *)a)->from);
    int32_t y = date_to_days(((const cr_date_range *)b)->from);
    return (x > y) - (x < y);
}

size_t periods_normalize(cr_date_range *ranges, size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (date_to_days(ranges[i].from) <= date_to_days(ranges[i].to))
            ranges[kept++] = ranges[i];
    if (kept == 0)
        return 0;
    qsort(ranges, kept, sizeof *ranges, cmp_from);
    size_t out = 0;
    for (size_t i = 1; i < kept; i++) {
        if (date_to_days(ranges[i].from) <= date_to_days(ranges[out].to) + 1) {
            if (date_to_days(ranges[i].to) > date_to_days(ranges[out].to))
                ranges[out].to = ranges[i].to;
        } else {
            ranges[++out] = ranges[i];
        }
    }
    return out + 1;
}
