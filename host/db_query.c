/*
 * db_query.c -- SQL for the read-only queries of rule scripts.
 *
 * Statements are prepared per call: queries are rare next to case
 * evaluation, and a query-only connection keeps no state worth caching.
 */
#include "db_query.h"
#include "db_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * A query's WHERE clause holds only the filters given, each as a plain
 * comparison on its column, so that SQLite searches the indexes with every
 * one it can: "(?2 IS NULL OR e.type = ?2)" is true for every row when ?2
 * is NULL, so SQLite cannot seek on it, and a court query read every event
 * of the court range to keep those of one type.
 */
enum { MAX_BINDS = 16 };

typedef struct where {
    char sql[2048];
    size_t len;
    int overflow;
    const char *bind[MAX_BINDS]; /* ?1, ?2, ... in order */
    int n;
} where;

static void where_text(where *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void where_text(where *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->sql + w->len, sizeof w->sql - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof w->sql - w->len)
        w->overflow = 1;
    else
        w->len += (size_t)n;
}

/* The next parameter's number, bound to value. */
static int where_bind(where *w, const char *value)
{
    if (w->n == MAX_BINDS) {
        w->overflow = 1;
        return MAX_BINDS;
    }
    w->bind[w->n++] = value;
    return w->n;
}

/* " AND <col> <op> ?N", with value bound to ?N, if value is given. */
static void where_cmp(where *w, const char *col, const char *op, const char *value)
{
    if (!value)
        return;
    int i = where_bind(w, value);
    where_text(w, " AND %s %s ?%d", col, op, i);
}

/* The court filter: exactly one court's code, or every code starting with
 * prefix (a range, [prefix, prefix || U+10FFFF), so the court indexes are
 * searched; "" is every court). Opens the clause. */
static void where_court(where *w, const char *col, const char *prefix, int exact)
{
    int i = where_bind(w, prefix ? prefix : "");
    if (exact)
        where_text(w, " WHERE %s = ?%d", col, i);
    else
        where_text(w, " WHERE %s >= ?%d AND %s < ?%d || char(0x10FFFF)", col, i, col, i);
}

/* An event's time is a normalized datetime, "YYYY-MM-DD..." in ASCII, and
 * from and to are dates of 10 bytes: substr(at, 1, 10) >= from is at >=
 * from, and substr(at, 1, 10) <= to is at below to followed by the largest
 * character, written so the index on at can be searched. */
static void where_at_range(where *w, const char *col, const char *from, const char *to)
{
    where_cmp(w, col, ">=", from);
    if (to)
        where_text(w, " AND %s < ?%d || char(0x10FFFF)", col, where_bind(w, to));
}

static sqlite3_stmt *prepare(cr_db *db, const char *head, const where *w, const char *tail,
                             cr_err *err)
{
    char sql[4096];
    int n = snprintf(sql, sizeof sql, "%s%s%s", head, w->sql, tail ? tail : "");
    if (w->overflow || n < 0 || (size_t)n >= sizeof sql) {
        cr_errf(err, CR_FAIL, "query: filter too long");
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
        db_sqlerr(db, err, "query");
        return NULL;
    }
    for (int i = 0; i < w->n; i++)
        sqlite3_bind_text(st, i + 1, w->bind[i], -1, SQLITE_TRANSIENT);
    return st;
}

/* A judge is looked up in case_judges (one row per person id among a
 * case's judges or presiding, with the case's court and closing date:
 * db_records.c), so a case counts once and no document is parsed. CROSS
 * JOIN fixes the loop order: the judge's rows outside, tested on court and
 * closing date there, and only the cases that pass them fetched by their
 * key, whatever the court range. */
static const char cases_from[] = " FROM cases c";
static const char judge_from[] = " FROM case_judges j CROSS JOIN cases c ON c.case_no = j.case_no";

/* "SELECT <columns>" over the cases that pass f, then tail (ORDER BY ...). */
static sqlite3_stmt *case_stmt(cr_db *db, const char *columns, const char *tail,
                               const db_case_filter *f, cr_err *err)
{
    char head[256];
    where w = {0};
    /* the columns case_judges holds too are tested on its rows */
    const char *t = f->judge ? "j" : "c";
    char court[16], closing[24];
    snprintf(court, sizeof court, "%s.court", t);
    snprintf(closing, sizeof closing, "%s.closing_date", t);
    snprintf(head, sizeof head, "SELECT %s%s", columns, f->judge ? judge_from : cases_from);
    where_court(&w, court, f->court, f->exact_court);
    where_cmp(&w, "c.status", "=", f->status);
    /* Ingest allows a closing date only on a closed case (record.c), so a
     * closing-date range is among the 已结 cases: saying so lets it be
     * searched on cases_court_dates (court, status, closing_date, ...)
     * instead of tested on every entry of the court. */
    if (!f->status && !f->judge && (f->closed_from || f->closed_to))
        where_cmp(&w, "c.status", "=", "已结");
    where_cmp(&w, "c.kind", "=", f->kind);
    where_cmp(&w, "c.procedure", "=", f->procedure);
    where_cmp(&w, "c.type_code", "=", f->type_code);
    where_cmp(&w, "c.cause", "=", f->cause);
    where_cmp(&w, "c.filing_date", ">=", f->filed_from);
    where_cmp(&w, "c.filing_date", "<=", f->filed_to);
    where_cmp(&w, closing, ">=", f->closed_from);
    where_cmp(&w, closing, "<=", f->closed_to);
    where_cmp(&w, "j.judge", "=", f->judge);
    return prepare(db, head, &w, tail, err);
}

static cr_status one_count(cr_db *db, sqlite3_stmt *st, int64_t *count, cr_err *err)
{
    int rc = sqlite3_step(st);
    *count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    cr_status result = rc == SQLITE_ROW ? CR_OK : db_sqlerr(db, err, "query");
    sqlite3_finalize(st);
    return result;
}

/* Collects column 0 (a JSON document) of every row into an array. */
static cr_status doc_rows(cr_db *db, sqlite3_stmt *st, json_t **out, cr_err *err)
{
    json_t *rows = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
        if (doc)
            json_array_append_new(rows, doc);
        if (json_array_size(rows) > DB_QUERY_MAX_ROWS)
            break;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        json_decref(rows);
        return db_sqlerr(db, err, "query");
    }
    if (json_array_size(rows) > DB_QUERY_MAX_ROWS) {
        json_decref(rows);
        return cr_errf(err, CR_INVALID, "query: more than %d rows; narrow it", DB_QUERY_MAX_ROWS);
    }
    *out = rows;
    return CR_OK;
}

/* A count of the cases of some courts filed in a window, and nothing else
 * asked: the sum of those courts' days in case_day_counts (schema 19,
 * kept by ingest: db_records.c), the same number as count(*) over the cases,
 * read from a few rows per court and day instead of an index entry per
 * case (a province's year is half a million of them). */
static int by_filing_day(const db_case_filter *f)
{
    return !f->status && !f->kind && !f->procedure && !f->type_code && !f->cause &&
           !f->closed_from && !f->closed_to && !f->judge;
}

cr_status db_query_count_cases(cr_db *db, const db_case_filter *f, int64_t *count, cr_err *err)
{
    if (by_filing_day(f)) {
        where w = {0};
        where_court(&w, "d.court", f->court, f->exact_court);
        where_cmp(&w, "d.filing_date", ">=", f->filed_from);
        where_cmp(&w, "d.filing_date", "<=", f->filed_to);
        sqlite3_stmt *st =
            prepare(db, "SELECT coalesce(sum(d.n), 0) FROM case_day_counts d", &w, NULL, err);
        return st ? one_count(db, st, count, err) : CR_FAIL;
    }
    sqlite3_stmt *st = case_stmt(db, "count(*)", NULL, f, err);
    return st ? one_count(db, st, count, err) : CR_FAIL;
}

cr_status db_query_cases(cr_db *db, const db_case_filter *f, int64_t limit, json_t **out,
                         cr_err *err)
{
    if (limit <= 0 || limit > DB_QUERY_MAX_ROWS)
        limit = DB_QUERY_MAX_ROWS;
    char tail[64];
    snprintf(tail, sizeof tail, " ORDER BY c.case_no LIMIT %lld", (long long)limit);
    sqlite3_stmt *st = case_stmt(db, "c.doc", tail, f, err);
    return st ? doc_rows(db, st, out, err) : CR_FAIL;
}

cr_status db_query_courts(cr_db *db, const char *prefix, int exact, json_t **out, cr_err *err)
{
    where w = {0};
    where_court(&w, "c.code", prefix, exact);
    sqlite3_stmt *st = prepare(
        db,
        "SELECT json_set(c.doc, '$.staffing', (SELECT json_group_array(json_object("
        " 'year', s.year, 'authorized_staff', s.authorized_staff,"
        " 'central_special_staff', s.central_special_staff, 'quota_allotted', s.quota_allotted,"
        " 'quota_filled', s.quota_filled, 'admin_staff', s.admin_staff))"
        " FROM court_staffing s WHERE s.court = c.code)) FROM courts c",
        &w, " ORDER BY c.code", err);
    return st ? doc_rows(db, st, out, err) : CR_FAIL;
}

cr_status db_query_people(cr_db *db, const char *prefix, int exact, const char *role,
                          int in_quota, json_t **out, cr_err *err)
{
    where w = {0};
    where_court(&w, "p.court", prefix, exact);
    if (role)
        where_text(&w, " AND EXISTS (SELECT 1 FROM json_each(p.roles) r WHERE r.value = ?%d)",
                   where_bind(&w, role));
    if (in_quota >= 0)
        where_text(&w, " AND p.in_quota = %d", in_quota != 0);
    sqlite3_stmt *st = prepare(db, "SELECT p.doc FROM people p", &w, " ORDER BY p.id", err);
    return st ? doc_rows(db, st, out, err) : CR_FAIL;
}

/* The events under prefix (or of one court) of one kind (NULL: any) on
 * days from .. to (either may be NULL). */
static void event_where(where *w, const char *prefix, int exact, const char *event,
                        const char *from, const char *to)
{
    where_court(w, "e.court", prefix, exact);
    where_cmp(w, "e.type", "=", event);
    where_at_range(w, "e.at", from, to);
}

cr_status db_query_count_events(cr_db *db, const char *prefix, int exact, const char *event,
                                const char *from, const char *to, int64_t *count, cr_err *err)
{
    where w = {0};
    event_where(&w, prefix, exact, event, from, to);
    sqlite3_stmt *st = prepare(db, "SELECT count(*) FROM events e", &w, NULL, err);
    return st ? one_count(db, st, count, err) : CR_FAIL;
}

cr_status db_query_events(cr_db *db, const char *prefix, int exact, const char *event,
                          const char *from, const char *to, int64_t limit, json_t **out,
                          cr_err *err)
{
    if (limit <= 0 || limit > DB_QUERY_MAX_ROWS)
        limit = DB_QUERY_MAX_ROWS;
    char tail[64];
    snprintf(tail, sizeof tail, " ORDER BY e.at, e.id LIMIT %lld", (long long)limit);
    where w = {0};
    event_where(&w, prefix, exact, event, from, to);
    sqlite3_stmt *st =
        prepare(db, "SELECT json_set(e.doc, '$.court', e.court) FROM events e", &w, tail, err);
    return st ? doc_rows(db, st, out, err) : CR_FAIL;
}
