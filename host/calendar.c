/*
 * calendar.c -- holidays and make-up workdays as data (see calendar.h and
 * docs/calendar.md for the file format).
 *
 * Each listed year keeps one byte per day of the year: the default (Monday
 * to Friday work, weekend off), off, or work. Lookups read only; nothing is
 * cached, so a loaded calendar is safe to share between threads.
 */
#include "calendar.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CAL_YEAR_MIN 1900 /* the range dates.h supports */
#define CAL_YEAR_MAX 2199

enum day_kind { DAY_DEFAULT = 0, DAY_OFF = 1, DAY_WORK = 2 };

typedef struct calendar_year {
    int year;
    char *source;
    unsigned char kind[366]; /* enum day_kind, by day of year (0 = January 1) */
} calendar_year;

struct calendar {
    calendar_year *years; /* sorted by year, no two alike */
    size_t n;
};

static const char *const top_keys[] = {"years", NULL};
static const char *const year_keys[] = {"source", "off", "work", NULL};

static int is_one_of(const char *key, const char *const *keys)
{
    for (; *keys; keys++)
        if (strcmp(*keys, key) == 0)
            return 1;
    return 0;
}

static int32_t day_of_year(cr_date d)
{
    cr_date jan1 = {d.y, 1, 1};
    return date_to_days(d) - date_to_days(jan1);
}

static const char *weekday_name(int weekday)
{
    static const char *const names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};
    return names[(weekday - 1) % 7];
}

/* ---- loading ---- */

/* Reads one date of an entry; field names it for messages. */
static cr_status read_date(json_t *v, const char *file, const char *field, cr_date *out,
                           cr_err *err)
{
    const char *s = json_string_value(v);
    if (!s)
        return cr_errf(err, CR_INVALID, "%s: %s: must be a date \"YYYY-MM-DD\"", file, field);
    char why[128];
    if (date_parse(s, out, why, sizeof why) != 0)
        return cr_errf(err, CR_INVALID, "%s: %s: %s", file, field, why);
    return CR_OK;
}

/*
 * Marks the days of one entry of years.<y>.<list>: a date "YYYY-MM-DD" or an
 * inclusive range ["from", "to"]. Every day must lie in year y, must not be
 * listed already, and a work day must fall on a weekend.
 */
static cr_status mark_entry(calendar_year *cy, json_t *v, enum day_kind kind, const char *file,
                            const char *field, cr_err *err)
{
    char sub[96];
    cr_date from, to;
    cr_status st;
    if (json_is_string(v)) {
        if ((st = read_date(v, file, field, &from, err)) != CR_OK)
            return st;
        to = from;
    } else if (json_is_array(v) && json_array_size(v) == 2) {
        snprintf(sub, sizeof sub, "%s[0]", field);
        if ((st = read_date(json_array_get(v, 0), file, sub, &from, err)) != CR_OK)
            return st;
        snprintf(sub, sizeof sub, "%s[1]", field);
        if ((st = read_date(json_array_get(v, 1), file, sub, &to, err)) != CR_OK)
            return st;
        if (date_to_days(to) < date_to_days(from))
            return cr_errf(err, CR_INVALID, "%s: %s: range ends before it starts", file, field);
    } else {
        return cr_errf(err, CR_INVALID,
                       "%s: %s: must be a date \"YYYY-MM-DD\" or a range [\"from\", \"to\"]", file,
                       field);
    }
    if (from.y != cy->year || to.y != cy->year) {
        cr_date bad = from.y != cy->year ? from : to;
        return cr_errf(err, CR_INVALID, "%s: %s: %04d-%02d-%02d is not in %d", file, field, bad.y,
                       bad.m, bad.d, cy->year);
    }
    const char *list = kind == DAY_OFF ? "off" : "work";
    for (int32_t day = date_to_days(from); day <= date_to_days(to); day++) {
        cr_date d = date_from_days(day);
        char text[11];
        date_format(d, text);
        int weekday = date_weekday(d);
        if (kind == DAY_WORK && weekday <= 5)
            return cr_errf(err, CR_INVALID,
                           "%s: %s: %s is a %s; only a Saturday or Sunday can be a make-up "
                           "workday",
                           file, field, text, weekday_name(weekday));
        unsigned char *k = &cy->kind[day_of_year(d)];
        if (*k == kind)
            return cr_errf(err, CR_INVALID, "%s: %s: %s is listed twice in %s", file, field, text,
                           list);
        if (*k != DAY_DEFAULT)
            return cr_errf(err, CR_INVALID, "%s: %s: %s is listed both in off and in work", file,
                           field, text);
        *k = (unsigned char)kind;
    }
    return CR_OK;
}

static cr_status mark_list(calendar_year *cy, json_t *year_obj, const char *list,
                           enum day_kind kind, const char *file, cr_err *err)
{
    json_t *arr = json_object_get(year_obj, list);
    if (!arr)
        return cr_errf(err, CR_INVALID, "%s: years.%d.%s: required (may be [])", file, cy->year,
                       list);
    if (!json_is_array(arr))
        return cr_errf(err, CR_INVALID, "%s: years.%d.%s: must be an array", file, cy->year, list);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        char field[64];
        snprintf(field, sizeof field, "years.%d.%s[%zu]", cy->year, list, i);
        cr_status st = mark_entry(cy, json_array_get(arr, i), kind, file, field, err);
        if (st != CR_OK)
            return st;
    }
    return CR_OK;
}

/* Parses a key of "years": exactly four digits, within the dates.h range. */
static int parse_year_key(const char *key, int *year)
{
    int y = 0;
    for (int i = 0; i < 4; i++) {
        if (key[i] < '0' || key[i] > '9')
            return -1;
        y = y * 10 + (key[i] - '0');
    }
    if (key[4] != '\0' || y < CAL_YEAR_MIN || y > CAL_YEAR_MAX)
        return -1;
    *year = y;
    return 0;
}

static cr_status load_year(calendar_year *cy, const char *key, json_t *v, const char *file,
                           cr_err *err)
{
    if (parse_year_key(key, &cy->year) != 0)
        return cr_errf(err, CR_INVALID, "%s: years.%s: a year must be four digits, %d..%d", file,
                       key, CAL_YEAR_MIN, CAL_YEAR_MAX);
    if (!json_is_object(v))
        return cr_errf(err, CR_INVALID, "%s: years.%s: must be an object", file, key);
    const char *k;
    json_t *member;
    json_object_foreach(v, k, member)
    {
        if (!is_one_of(k, year_keys))
            return cr_errf(err, CR_INVALID,
                           "%s: years.%s.%s: unknown field (expected source, off, work)", file, key,
                           k);
    }
    const char *source = json_string_value(json_object_get(v, "source"));
    if (!source || !*source)
        return cr_errf(err, CR_INVALID,
                       "%s: years.%s.source: required, the notice the dates come from", file, key);
    if (!(cy->source = strdup(source)))
        return cr_errf(err, CR_FAIL, "out of memory");
    cr_status st = mark_list(cy, v, "off", DAY_OFF, file, err);
    if (st == CR_OK)
        st = mark_list(cy, v, "work", DAY_WORK, file, err);
    return st;
}

static int cmp_year(const void *a, const void *b)
{
    const calendar_year *x = a, *y = b;
    return (x->year > y->year) - (x->year < y->year);
}

cr_status calendar_load(const char *path, calendar **out, cr_err *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        if (jerr.line < 0)
            return cr_errf(err, CR_INVALID, "%s: %s", path, jerr.text);
        return cr_errf(err, CR_INVALID, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    }
    cr_status st = CR_OK;
    calendar *cal = NULL;
    const char *key;
    json_t *v;
    if (!json_is_object(doc)) {
        st = cr_errf(err, CR_INVALID, "%s: must be a JSON object {\"years\": {…}}", path);
        goto cleanup;
    }
    json_object_foreach(doc, key, v)
    {
        if (!is_one_of(key, top_keys)) {
            st = cr_errf(err, CR_INVALID, "%s: %s: unknown field (expected years)", path, key);
            goto cleanup;
        }
    }
    json_t *years = json_object_get(doc, "years");
    if (!json_is_object(years) || json_object_size(years) == 0) {
        st =
            cr_errf(err, CR_INVALID, "%s: years: required, an object with at least one year", path);
        goto cleanup;
    }
    cal = calloc(1, sizeof *cal);
    if (cal)
        cal->years = calloc(json_object_size(years), sizeof *cal->years);
    if (!cal || !cal->years) {
        st = cr_errf(err, CR_FAIL, "out of memory");
        goto cleanup;
    }
    json_object_foreach(years, key, v)
    {
        /* Counted before loading so calendar_free releases a partial year. */
        if ((st = load_year(&cal->years[cal->n++], key, v, path, err)) != CR_OK)
            goto cleanup;
    }
    qsort(cal->years, cal->n, sizeof *cal->years, cmp_year);
    *out = cal;
    cal = NULL;
cleanup:
    calendar_free(cal);
    json_decref(doc);
    return st;
}

void calendar_free(calendar *cal)
{
    if (!cal)
        return;
    for (size_t i = 0; i < cal->n; i++)
        free(cal->years[i].source);
    free(cal->years);
    free(cal);
}

/* ---- queries ---- */

static const calendar_year *find_year(const calendar *cal, int y)
{
    if (!cal)
        return NULL;
    size_t lo = 0, hi = cal->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->years[mid].year < y)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < cal->n && cal->years[lo].year == y ? &cal->years[lo] : NULL;
}

int calendar_has_year(const calendar *cal, int y)
{
    return find_year(cal, y) != NULL;
}

const char *calendar_source(const calendar *cal, int y)
{
    const calendar_year *cy = find_year(cal, y);
    return cy ? cy->source : NULL;
}

int calendar_is_workday(const calendar *cal, cr_date d, int *known)
{
    const calendar_year *cy = find_year(cal, d.y);
    if (known)
        *known = cy != NULL;
    if (cy) {
        switch (cy->kind[day_of_year(d)]) {
        case DAY_OFF:
            return 0;
        case DAY_WORK:
            return 1;
        default:
            break;
        }
    }
    return date_weekday(d) <= 5;
}

static int is_workday_at(const calendar *cal, int32_t day)
{
    return calendar_is_workday(cal, date_from_days(day), NULL);
}

cr_date calendar_add_workdays(const calendar *cal, cr_date d, int n)
{
    int32_t day = date_to_days(d);
    int step = n < 0 ? -1 : 1;
    /* Every week outside the listed years has five workdays, so this ends. */
    for (long long left = n < 0 ? -(long long)n : n; left > 0;) {
        day += step;
        if (is_workday_at(cal, day))
            left--;
    }
    return date_from_days(day);
}

int calendar_workdays_between(const calendar *cal, cr_date a, cr_date b)
{
    int32_t from = date_to_days(a), to = date_to_days(b);
    int count = 0;
    if (from <= to) {
        for (int32_t day = from + 1; day <= to; day++) /* (a, b] */
            count += is_workday_at(cal, day);
        return count;
    }
    for (int32_t day = to; day < from; day++) /* [b, a) */
        count += is_workday_at(cal, day);
    return -count;
}

cr_date calendar_next_workday_on_or_after(const calendar *cal, cr_date d)
{
    int32_t day = date_to_days(d);
    while (!is_workday_at(cal, day))
        day++;
    return date_from_days(day);
}
