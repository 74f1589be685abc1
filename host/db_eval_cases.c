/*
 * db_eval_cases.c -- reading the cases to evaluate (see db_eval.h:
 * db_case_iter), a page at a time.
 *
 * A case iterator borrows its selection's cached SELECT from db->eval
 * (db_eval_case_slot) for as long as it is open (a second iterator of the
 * same kind prepares its own), so it may stay open across the caller's
 * writes and transactions.
 */
#include "db_eval.h"
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* A court or code prefix p matches s when p <= s < p || U+10FFFF: in
 * binary (UTF-8 byte) order the strings that start with p, and no others,
 * lie in that range. LIKE is avoided: its wildcards and ASCII-only case
 * folding do not belong in a match on CJK court codes. The unary + keeps the
 * planner off the court index and on the case_no one, so cases stream in
 * case_no order instead of being sorted (events and all) in a temporary
 * b-tree first. */
#define COURT_PREFIX_MATCHES "(?2 IS NULL OR (+c.court >= ?2 AND +c.court < ?2 || char(0x10FFFF)))"

/* Cases are read a page at a time (keyset pagination on case_no), each
 * page copied out at once and its statement reset, so a read transaction
 * lasts as long as reading one page and no longer: a reader that holds one
 * (even page by page, while its consumer is busy) stops the WAL from
 * restarting after a checkpoint, and it then grows with every result
 * written (hundreds of MB per 100k cases), slowing every page lookup. */
#define PAGE " AND c.case_no > ?5 ORDER BY c.case_no LIMIT ?6"
/* Every case is read in storage (rowid) order: ingest stores a case and its
 * events side by side, so reading them in that order reads the tables from
 * front to back. In case_no order every case was a page somewhere else
 * (case numbers are not filed in order), which on a machine whose page
 * cache does not hold the database made a 1M-case run wait on the disk. */
#define PAGE_BY_ROWID " AND c.rowid > ?5 ORDER BY c.rowid LIMIT ?6"
#define PAGE_ROWS 1000

/* The events of case c, as a JSON array text in time order. The ORDER BY of
 * the inner subquery is honoured because SQLite does not flatten an ordered
 * subquery into an aggregate (tests/unit/test_db_eval.c checks it). */
#define CASE_COLUMNS                                                                               \
    "SELECT c.case_no, c.court, c.doc,"                                                            \
    " (SELECT '[' || coalesce(group_concat(doc, ','), '') || ']' FROM"                             \
    "   (SELECT e.doc FROM events e WHERE e.case_no = c.case_no ORDER BY e.at, e.id)),"            \
    " c.changed_batch, c.rowid FROM cases c "

/* The three selections of enum db_case_select. */
static const char sql_cases_all[] = CASE_COLUMNS "WHERE " COURT_PREFIX_MATCHES PAGE_BY_ROWID;
static const char sql_cases_one[] =
    CASE_COLUMNS "WHERE c.case_no IN (?1, ?3) AND " COURT_PREFIX_MATCHES " ORDER BY c.case_no";
/* The page of case numbers is chosen from the covering indexes alone; only
 * the chosen cases' documents are read. */
static const char sql_cases_changed[] =
    CASE_COLUMNS "WHERE c.case_no IN (SELECT k.case_no FROM cases k INDEXED BY cases_changed"
                 " LEFT JOIN evaluations v ON v.case_no = k.case_no"
                 " WHERE (v.case_no IS NULL OR v.evaluated_batch < k.changed_batch"
                 " OR (?1 IS NOT NULL AND v.rules_fingerprint <> ?1)"
                 " OR (?4 IS NOT NULL AND v.date_dependent AND v.as_of <> ?4))"
                 " AND (?2 IS NULL OR (k.court >= ?2 AND k.court < ?2 || char(0x10FFFF)))"
                 " AND k.case_no > ?5 ORDER BY k.case_no LIMIT ?6)"
                 " ORDER BY c.case_no";

/* The same selection from the evaluation mark (db_eval.h). The candidates
 * -- cases changed after batch ?1 (index cases_batch), date-dependent
 * evaluations of another as-of date than ?2 (index evaluations_dated, as
 * two ranges: "<>" or an OR of both would scan it) -- are read once, as
 * the cases' rowids, into the iterator; each page then checks its slice
 * of them (?8, a JSON array) as sql_cases_changed checks every case. By
 * rowid, the changed cases come from cases_batch alone (it holds the rowid,
 * not the case_no), each is then fetched by its key without a case_no
 * lookup, and they are read in storage order, next to their events, as a
 * full run reads them. An IN list of all candidates in one paged statement
 * was probed whole for every page, before the keyset condition could
 * apply. */
static const char sql_candidates[] =
    "SELECT rowid FROM cases WHERE changed_batch > ?1"
    " UNION SELECT c.rowid FROM evaluations e JOIN cases c ON c.case_no = e.case_no"
    "  WHERE e.date_dependent AND e.as_of < ?2"
    " UNION SELECT c.rowid FROM evaluations e JOIN cases c ON c.case_no = e.case_no"
    "  WHERE e.date_dependent AND e.as_of > ?2";
/* (No ORDER BY: the planner then merges full scans in order. They are
 * sorted here.) */
static const char sql_cases_changed_after[] =
    CASE_COLUMNS "LEFT JOIN evaluations v ON v.case_no = c.case_no"
                 " WHERE c.rowid IN (SELECT value FROM json_each(?8))"
                 " AND (v.case_no IS NULL OR v.evaluated_batch < c.changed_batch"
                 " OR (?1 IS NOT NULL AND v.rules_fingerprint <> ?1)"
                 " OR (?4 IS NOT NULL AND v.date_dependent AND v.as_of <> ?4))"
                 " AND " COURT_PREFIX_MATCHES " ORDER BY c.rowid";

/* A row of the current page: offsets into the page's text. */
typedef struct case_row {
    size_t case_no, court, doc, events;
    int64_t changed_batch;
} case_row;

struct db_case_iter {
    cr_db *db;
    sqlite3_stmt *stmt;
    sqlite3_stmt **home; /* the cache slot it was borrowed from, or NULL (own statement) */
    int done;            /* the statement has no more pages */
    /* How pages follow each other: ALL pages on the rowid, CHANGED on the
     * case_no (?5 = the last key read, ?6 = the page size), ONE is one
     * page, CHANGED_AFTER a page per slice of its candidates. */
    enum db_case_select sel;
    int64_t last_rowid; /* the last rowid read (ALL) */
    char last[256];     /* the last case_no read (CHANGED) */
    /* CHANGED_AFTER: the candidates' rowids in order, read at the first
     * page (cand_read), and where the next page starts. */
    int64_t after_batch;
    char *as_of;
    int64_t *cand;
    size_t n_cand, cand_pos;
    int cand_read;
    /* The current page, copied out of the statement: */
    case_row *rows;
    size_t n_rows, next_row, cap_rows;
    char *text; /* every row's strings, NUL-terminated, end to end */
    size_t text_len, text_cap;
};

char *db_other_parentheses(const char *case_no)
{
    static const char fw_open[] = "\xef\xbc\x88", fw_close[] = "\xef\xbc\x89"; /* （ ） */
    size_t len = strlen(case_no);
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    int swapped = 0;
    for (size_t i = 0; i < len;) {
        const char *p = case_no + i;
        if (*p == '(' || *p == ')') {
            memcpy(out + o, *p == '(' ? fw_open : fw_close, 3);
            o += 3, i += 1, swapped = 1;
        } else if (strncmp(p, fw_open, 3) == 0 || strncmp(p, fw_close, 3) == 0) {
            out[o++] = p[2] == fw_open[2] ? '(' : ')';
            i += 3, swapped = 1;
        } else {
            out[o++] = case_no[i++];
        }
    }
    out[o] = '\0';
    if (!swapped) {
        free(out);
        return NULL;
    }
    return out;
}

cr_status db_case_iter_open(cr_db *db, enum db_case_select sel, const char *arg, const char *as_of,
                            const char *court_prefix, db_case_iter **out, cr_err *err)
{
    *out = NULL;
    const char *sql = sel == DB_CASES_ONE             ? sql_cases_one
                      : sel == DB_CASES_CHANGED       ? sql_cases_changed
                      : sel == DB_CASES_CHANGED_AFTER ? sql_cases_changed_after
                                                      : sql_cases_all;
    if (sel == DB_CASES_ONE && (!arg || !*arg))
        return cr_errf(err, CR_INVALID, "no case number given");
    sqlite3_stmt **slot = db_eval_case_slot(db, sel, err);
    db_case_iter *it = slot ? calloc(1, sizeof *it) : NULL;
    if (!it)
        return slot ? cr_errf(err, CR_FAIL, "out of memory") : CR_FAIL;
    it->db = db;
    if (*slot) { /* borrow the cached statement */
        it->stmt = *slot;
        it->home = slot;
        *slot = NULL;
    } else if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &it->stmt, NULL) !=
               SQLITE_OK) {
        free(it);
        return db_sqlerr(db, err, "reading cases: prepare");
    } else {
        it->home = slot; /* becomes the cached one when closed, if the slot is free */
    }
    if (sel != DB_CASES_ALL && arg)
        sqlite3_bind_text(it->stmt, 1, arg, -1, SQLITE_TRANSIENT);
    if (court_prefix && *court_prefix)
        sqlite3_bind_text(it->stmt, 2, court_prefix, -1, SQLITE_TRANSIENT);
    if ((sel == DB_CASES_CHANGED || sel == DB_CASES_CHANGED_AFTER) && as_of)
        sqlite3_bind_text(it->stmt, 4, as_of, -1, SQLITE_TRANSIENT);
    it->sel = sel;
    if (sel == DB_CASES_CHANGED_AFTER) {
        if (as_of && !(it->as_of = strdup(as_of))) {
            db_case_iter_close(it);
            return cr_errf(err, CR_FAIL, "out of memory");
        }
    }
    if (sel == DB_CASES_ALL)
        sqlite3_bind_int64(it->stmt, 5, 0);
    else if (sel == DB_CASES_CHANGED)
        sqlite3_bind_text(it->stmt, 5, "", -1, SQLITE_STATIC);
    if (sel == DB_CASES_ALL || sel == DB_CASES_CHANGED)
        sqlite3_bind_int(it->stmt, 6, PAGE_ROWS);
    if (sel == DB_CASES_ONE) {
        char *other = db_other_parentheses(arg);
        if (other)
            sqlite3_bind_text(it->stmt, 3, other, -1, free);
    }
    *out = it;
    return CR_OK;
}

void db_case_iter_after(db_case_iter *it, int64_t after_batch)
{
    it->after_batch = after_batch;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Reads the candidates of DB_CASES_CHANGED_AFTER (sql_candidates), in
 * rowid order, into it->cand. */
static cr_status read_candidates(db_case_iter *it, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(it->db->sql, sql_candidates, -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(it->db, err, "reading changed cases: prepare");
    sqlite3_bind_int64(st, 1, it->after_batch);
    if (it->as_of)
        sqlite3_bind_text(st, 2, it->as_of, -1, SQLITE_STATIC);
    int64_t *cand = NULL;
    size_t n = 0, cap = 0;
    int rc = SQLITE_DONE, oom = 0;
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            int64_t *grown = realloc(cand, ncap * sizeof *grown);
            if (!grown) {
                oom = 1;
                break;
            }
            cand = grown;
            cap = ncap;
        }
        cand[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st); /* ends its read transaction */
    if (oom || (rc != SQLITE_DONE && rc != SQLITE_ROW)) {
        free(cand);
        return oom ? cr_errf(err, CR_FAIL, "out of memory reading changed cases")
                   : db_sqlerr(it->db, err, "reading changed cases");
    }
    if (n > 1)
        qsort(cand, n, sizeof *cand, by_value);
    it->cand = cand;
    it->n_cand = n;
    it->cand_read = 1;
    return CR_OK;
}

/* Binds ?8 to the next page's slice of the candidates; 0 when none is left. */
static int bind_next_candidates(db_case_iter *it, cr_err *err)
{
    if (it->cand_pos >= it->n_cand)
        return 0;
    strbuf b = {0};
    strbuf_add(&b, "[", 1);
    for (int n = 0; n < PAGE_ROWS && it->cand_pos < it->n_cand; n++) {
        if (n)
            strbuf_add(&b, ",", 1);
        strbuf_int(&b, it->cand[it->cand_pos++]);
    }
    strbuf_add(&b, "]", 1);
    size_t len = b.len;
    char *json = strbuf_take(&b);
    if (!json) {
        cr_errf(err, CR_FAIL, "out of memory reading changed cases");
        return -1;
    }
    sqlite3_bind_text(it->stmt, 8, json, (int)len, free);
    return 1;
}

/* Appends s and its NUL to the page's text; its offset in *at. */
static int page_add(db_case_iter *it, const char *s, size_t len, size_t *at)
{
    if (it->text_cap - it->text_len < len + 1) {
        size_t cap = it->text_cap ? it->text_cap : (size_t)1 << 20;
        while (cap - it->text_len < len + 1)
            cap *= 2;
        char *grown = realloc(it->text, cap);
        if (!grown)
            return 0;
        it->text = grown;
        it->text_cap = cap;
    }
    memcpy(it->text + it->text_len, s, len);
    it->text[it->text_len + len] = '\0';
    *at = it->text_len;
    it->text_len += len + 1;
    return 1;
}

/* Reads the next page (everything, for ONE) into it->rows and resets
 * the statement, which ends its read transaction. */
static cr_status read_page(db_case_iter *it, cr_err *err)
{
    it->n_rows = it->next_row = 0;
    it->text_len = 0;
    if (it->sel == DB_CASES_CHANGED_AFTER) {
        cr_status st = it->cand_read ? CR_OK : read_candidates(it, err);
        int bound = st == CR_OK ? bind_next_candidates(it, err) : -1;
        if (bound <= 0) {
            it->done = 1;
            return bound < 0 ? CR_FAIL : CR_OK;
        }
    }
    int rc;
    while ((rc = sqlite3_step(it->stmt)) == SQLITE_ROW) {
        if (it->n_rows == it->cap_rows) {
            size_t cap = it->cap_rows ? it->cap_rows * 2 : 64;
            case_row *grown = realloc(it->rows, cap * sizeof *grown);
            if (!grown)
                goto oom;
            it->rows = grown;
            it->cap_rows = cap;
        }
        case_row *r = &it->rows[it->n_rows];
        size_t *at[4] = {&r->case_no, &r->court, &r->doc, &r->events}; /* columns 0-3 */
        for (int i = 0; i < 4; i++) {
            const char *v = (const char *)sqlite3_column_text(it->stmt, i);
            size_t len = v ? (size_t)sqlite3_column_bytes(it->stmt, i) : 0;
            if (!v)
                v = i == 3 ? "[]" : ""; /* no events */
            if (!page_add(it, v, v[0] && !len ? strlen(v) : len, at[i]))
                goto oom;
        }
        r->changed_batch = sqlite3_column_int64(it->stmt, 4);
        it->last_rowid = sqlite3_column_int64(it->stmt, 5);
        it->n_rows++;
    }
    if (rc != SQLITE_DONE) {
        it->done = 1;
        cr_status st = db_sqlerr(it->db, err, "reading cases");
        sqlite3_reset(it->stmt);
        return st;
    }
    sqlite3_reset(it->stmt); /* ends the read transaction */
    /* A short page is the last one; a full one may have a next. A page of
     * candidates may come back short or empty with more candidates left. */
    if (it->sel == DB_CASES_CHANGED_AFTER) {
        it->done = it->cand_pos >= it->n_cand;
    } else if (it->sel == DB_CASES_ONE || it->n_rows < PAGE_ROWS) {
        it->done = 1;
    } else if (it->sel == DB_CASES_ALL) {
        sqlite3_bind_int64(it->stmt, 5, it->last_rowid);
    } else {
        const char *last = it->text + it->rows[it->n_rows - 1].case_no;
        if (snprintf(it->last, sizeof it->last, "%s", last) >= (int)sizeof it->last) {
            it->done = 1; /* cannot page past a key longer than the buffer */
            return cr_errf(err, CR_FAIL, "case number too long to page: %.80s…", last);
        }
        sqlite3_bind_text(it->stmt, 5, it->last, -1, SQLITE_TRANSIENT);
    }
    return CR_OK;
oom:
    it->done = 1;
    sqlite3_reset(it->stmt);
    return cr_errf(err, CR_FAIL, "out of memory reading cases");
}

cr_status db_case_iter_next(db_case_iter *it, int *has_row, const char **case_no,
                            const char **court, const char **doc, const char **events_json,
                            int64_t *changed_batch, cr_err *err)
{
    *has_row = 0;
    while (it->next_row == it->n_rows) { /* a page may be empty with more to come */
        if (it->done)
            return CR_OK;
        cr_status st = read_page(it, err);
        if (st != CR_OK)
            return st;
    }
    const case_row *r = &it->rows[it->next_row++];
    *has_row = 1;
    *case_no = it->text + r->case_no;
    *court = it->text + r->court;
    *doc = it->text + r->doc;
    *events_json = it->text + r->events;
    *changed_batch = r->changed_batch;
    return CR_OK;
}

void db_case_iter_close(db_case_iter *it)
{
    if (!it)
        return;
    sqlite3_reset(it->stmt);
    sqlite3_clear_bindings(it->stmt);
    if (it->home && !*it->home && it->db->eval)
        *it->home = it->stmt; /* back into the cache */
    else
        sqlite3_finalize(it->stmt);
    free(it->rows);
    free(it->text);
    free(it->cand);
    free(it->as_of);
    free(it);
}
