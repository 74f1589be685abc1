/*
 * db_query.c -- SQL for the read-only queries of rule scripts.
 *
 * Statements are prepared per call: queries are rare next to case
 * evaluation, and a query-only connection keeps no state worth caching.
 */
#include "db_query.h"
#include "db_internal.h"

#include <string.h>

/* ?1 is a court-code prefix, or one court's code when ?20 is 1. Written as
 * a range on col with bounds that do not depend on the row, so that SQLite
 * searches the court indexes (a CASE around the comparison made every query
 * scan the whole table): exactly ?1 is [?1, ?1 || char(1)) -- codes hold no
 * control characters -- and a prefix is [?1, ?1 || U+10FFFF). */
#define PREFIX_MATCH(col)                                                                      \
    "(" col " >= ?1 AND " col " < ?1 || CASE WHEN ?20 THEN char(1) ELSE char(0x10FFFF) END)"

static const char case_where[] =
    " WHERE " PREFIX_MATCH("c.court") " AND (?2 IS NULL OR c.status = ?2)"
    " AND (?3 IS NULL OR c.kind = ?3) AND (?4 IS NULL OR c.procedure = ?4)"
    " AND (?5 IS NULL OR c.type_code = ?5) AND (?6 IS NULL OR c.cause = ?6)"
    " AND (?7 IS NULL OR c.filing_date >= ?7) AND (?8 IS NULL OR c.filing_date <= ?8)"
    " AND (?9 IS NULL OR c.closing_date >= ?9) AND (?10 IS NULL OR c.closing_date <= ?10)";

/* A judge (?11) is looked up in case_judges (one row per person id among a
 * case's judges or presiding: db_records.c), so a case counts once and no
 * document is parsed. CROSS JOIN fixes the loop order: the judge's rows
 * outside, each case fetched by its key, whatever the court range. */
static const char cases_from[] = " FROM cases c";
static const char judge_from[] = " FROM case_judges j CROSS JOIN cases c ON c.case_no = j.case_no";
static const char judge_where[] = " AND j.judge = ?11";

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static sqlite3_stmt *prepare(cr_db *db, const char *head, const char *tail, cr_err *err)
{
    char sql[2048];
    snprintf(sql, sizeof sql, "%s%s", head, tail ? tail : "");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
        db_sqlerr(db, err, "query");
        return NULL;
    }
    return st;
}

/* "SELECT <columns>" over the cases that pass f, then tail (ORDER BY ...). */
static sqlite3_stmt *case_stmt(cr_db *db, const char *columns, const char *tail,
                               const db_case_filter *f, cr_err *err)
{
    char head[256], where[2048];
    snprintf(head, sizeof head, "SELECT %s%s", columns, f->judge ? judge_from : cases_from);
    snprintf(where, sizeof where, "%s%s%s", case_where, f->judge ? judge_where : "",
             tail ? tail : "");
    sqlite3_stmt *st = prepare(db, head, where, err);
    if (!st)
        return NULL;
    const char *v[] = {f->court ? f->court : "", f->status,     f->kind,     f->procedure,
                       f->type_code,             f->cause,      f->filed_from, f->filed_to,
                       f->closed_from,           f->closed_to,  f->judge};
    for (int i = 0; i < 11; i++)
        bind_opt(st, i + 1, v[i]);
    sqlite3_bind_int(st, 20, f->exact_court != 0);
    return st;
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

cr_status db_query_count_cases(cr_db *db, const db_case_filter *f, int64_t *count, cr_err *err)
{
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
    sqlite3_stmt *st = prepare(
        db,
        "SELECT json_set(c.doc, '$.staffing', (SELECT json_group_array(json_object("
        " 'year', s.year, 'authorized_staff', s.authorized_staff,"
        " 'central_special_staff', s.central_special_staff, 'quota_allotted', s.quota_allotted,"
        " 'quota_filled', s.quota_filled, 'admin_staff', s.admin_staff))"
        " FROM court_staffing s WHERE s.court = c.code)) FROM courts c WHERE ",
        PREFIX_MATCH("c.code") " ORDER BY c.code", err);
    if (!st)
        return CR_FAIL;
    bind_opt(st, 1, prefix ? prefix : "");
    sqlite3_bind_int(st, 20, exact != 0);
    return doc_rows(db, st, out, err);
}

cr_status db_query_people(cr_db *db, const char *prefix, int exact, const char *role,
                          int in_quota, json_t **out, cr_err *err)
{
    sqlite3_stmt *st =
        prepare(db, "SELECT p.doc FROM people p WHERE ",
                PREFIX_MATCH("p.court") " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM"
                                        " json_each(p.roles) r WHERE r.value = ?2))"
                                        " AND (?3 < 0 OR p.in_quota = ?3) ORDER BY p.id",
                err);
    if (!st)
        return CR_FAIL;
    bind_opt(st, 1, prefix ? prefix : "");
    bind_opt(st, 2, role);
    sqlite3_bind_int(st, 3, in_quota);
    sqlite3_bind_int(st, 20, exact != 0);
    return doc_rows(db, st, out, err);
}

cr_status db_query_count_events(cr_db *db, const char *prefix, int exact, const char *event,
                                const char *from, const char *to, int64_t *count, cr_err *err)
{
    sqlite3_stmt *st =
        prepare(db, "SELECT count(*) FROM events e WHERE ",
                PREFIX_MATCH("e.court") " AND (?2 IS NULL OR e.type = ?2)"
                                        " AND (?3 IS NULL OR substr(e.at, 1, 10) >= ?3)"
                                        " AND (?4 IS NULL OR substr(e.at, 1, 10) <= ?4)",
                err);
    if (!st)
        return CR_FAIL;
    bind_opt(st, 1, prefix ? prefix : "");
    bind_opt(st, 2, event);
    bind_opt(st, 3, from);
    bind_opt(st, 4, to);
    sqlite3_bind_int(st, 20, exact != 0);
    return one_count(db, st, count, err);
}

cr_status db_query_events(cr_db *db, const char *prefix, int exact, const char *event,
                          const char *from, const char *to, int64_t limit, json_t **out,
                          cr_err *err)
{
    if (limit <= 0 || limit > DB_QUERY_MAX_ROWS)
        limit = DB_QUERY_MAX_ROWS;
    char tail[1024];
    snprintf(tail, sizeof tail,
             PREFIX_MATCH("e.court") " AND (?2 IS NULL OR e.type = ?2)"
                                     " AND (?3 IS NULL OR substr(e.at, 1, 10) >= ?3)"
                                     " AND (?4 IS NULL OR substr(e.at, 1, 10) <= ?4)"
                                     " ORDER BY e.at, e.id LIMIT %lld",
             (long long)limit);
    sqlite3_stmt *st =
        prepare(db, "SELECT json_set(e.doc, '$.court', e.court) FROM events e WHERE ", tail, err);
    if (!st)
        return CR_FAIL;
    bind_opt(st, 1, prefix ? prefix : "");
    bind_opt(st, 2, event);
    bind_opt(st, 3, from);
    bind_opt(st, 4, to);
    sqlite3_bind_int(st, 20, exact != 0);
    return doc_rows(db, st, out, err);
}
