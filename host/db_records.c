/*
 * db_records.c -- SQL for courts, people, cases, events and ingest batches.
 */
#include "db_records.h"
#include "db_internal.h"
#include "jsontext.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

enum stmt_op { OP_LOOKUP, OP_INSERT, OP_UPDATE, OP_TOUCH, OP_COUNT, N_OPS };

/* Per record type: key lookup (batch_id, doc unchanged?), insert, full
 * update, touch (mark seen in this batch), count. Column order of insert and
 * update matches bind_columns(). */
static const char *const sql[REC_TYPE_COUNT][N_OPS] = {
    [REC_COURT] =
        {
            "SELECT batch_id, doc = ?2 FROM courts WHERE code = ?1",
            "INSERT INTO courts(code, name, level, parent, doc, batch_id) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            "UPDATE courts SET name = ?2, level = ?3, parent = ?4, doc = ?5, batch_id = ?6 "
            "WHERE code = ?1",
            "UPDATE courts SET batch_id = ?2 WHERE code = ?1",
            "SELECT count(*) FROM courts",
        },
    [REC_PERSON] =
        {
            "SELECT batch_id, doc = ?2 FROM people WHERE id = ?1",
            "INSERT INTO people(id, court, name, roles, division, team, in_quota, start_date, "
            "end_date, doc, batch_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            "UPDATE people SET court = ?2, name = ?3, roles = ?4, division = ?5, team = ?6, "
            "in_quota = ?7, start_date = ?8, end_date = ?9, doc = ?10, batch_id = ?11 "
            "WHERE id = ?1",
            "UPDATE people SET batch_id = ?2 WHERE id = ?1",
            "SELECT count(*) FROM people",
        },
    [REC_CASE] =
        {
            "SELECT batch_id, doc = ?2, court, filing_date FROM cases WHERE case_no = ?1",
            "INSERT INTO cases(case_no, court, year, type_code, seq, kind, cause, procedure, "
            "filing_date, claim_fen, party_count, status, closing_date, doc, batch_id, "
            "changed_batch) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
            "?14, ?15, ?15)",
            "UPDATE cases SET court = ?2, year = ?3, type_code = ?4, seq = ?5, kind = ?6, "
            "cause = ?7, procedure = ?8, filing_date = ?9, claim_fen = ?10, party_count = ?11, "
            "status = ?12, closing_date = ?13, doc = ?14, batch_id = ?15, changed_batch = ?15 "
            "WHERE case_no = ?1",
            "UPDATE cases SET batch_id = ?2 WHERE case_no = ?1",
            "SELECT count(*) FROM cases",
        },
    [REC_EVENT] =
        {
            "SELECT batch_id, doc = ?2 FROM events WHERE id = ?1",
            "INSERT INTO events(id, case_no, court, type, at, doc, batch_id) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            "UPDATE events SET case_no = ?2, court = ?3, type = ?4, at = ?5, doc = ?6, "
            "batch_id = ?7 WHERE id = ?1",
            "UPDATE events SET batch_id = ?2 WHERE id = ?1",
            "SELECT count(*) FROM events",
        },
};

/* One court's cases filed on one day, added in this batch (n, may be
 * negative); court "" marks a free slot. A court code is an id of at most
 * 64 bytes (record.c), so every one fits. */
enum { DAY_SLOTS = 1024, DAY_COURT_MAX = 65 };
typedef struct day_delta {
    char court[DAY_COURT_MAX];
    char day[11];
    int64_t n;
} day_delta;

struct db_records_stmts {
    sqlite3_stmt *op[REC_TYPE_COUNT][N_OPS];
    sqlite3_stmt *staffing_delete, *staffing_insert, *case_changed, *day_count;
    sqlite3_stmt *judges_delete, *judges_insert;
    sqlite3_stmt *batch_open, *batch_close;
    /* The case last marked changed, and in which batch: events follow their
     * case in a file, so this saves an UPDATE per event. */
    char marked_case[128];
    int64_t marked_batch;
    /* The batch's changes to case_day_counts, added up here and written
     * when the batch closes (a row per court and day instead of an upsert
     * per case); cleared when a batch opens, so a batch rolled back leaves
     * none behind. */
    day_delta days[DAY_SLOTS];
    size_t n_days;
};

void db_records_finalize(cr_db *db)
{
    struct db_records_stmts *s = db->records;
    if (!s)
        return;
    for (int t = 0; t < REC_TYPE_COUNT; t++)
        for (int o = 0; o < N_OPS; o++)
            sqlite3_finalize(s->op[t][o]);
    sqlite3_finalize(s->staffing_delete);
    sqlite3_finalize(s->staffing_insert);
    sqlite3_finalize(s->case_changed);
    sqlite3_finalize(s->day_count);
    sqlite3_finalize(s->judges_delete);
    sqlite3_finalize(s->judges_insert);
    sqlite3_finalize(s->batch_open);
    sqlite3_finalize(s->batch_close);
    free(s);
    db->records = NULL;
}

static cr_status flush_days(cr_db *db, cr_err *err);

static struct db_records_stmts *stmts(cr_db *db, cr_err *err)
{
    if (!db->records && !(db->records = calloc(1, sizeof *db->records)))
        cr_errf(err, CR_FAIL, "out of memory");
    return db->records;
}

static sqlite3_stmt *op_stmt(cr_db *db, record_type t, enum stmt_op op, cr_err *err)
{
    struct db_records_stmts *s = stmts(db, err);
    return s ? db_stmt(db, &s->op[t][op], sql[t][op], err) : NULL;
}

cr_status db_batch_open(cr_db *db, const char *source, int64_t *batch_id, cr_err *err)
{
    struct db_records_stmts *s = stmts(db, err);
    sqlite3_stmt *st = s ? db_stmt(db, &s->batch_open,
                                   "INSERT INTO batches(source, started_at) VALUES (?1, ?2)", err)
                         : NULL;
    if (!st)
        return CR_FAIL;
    char now[26];
    db_now(now);
    db_bind_text(st, 1, source);
    db_bind_text(st, 2, now);
    cr_status rc = db_step_done(db, st, "open batch", err);
    if (rc == CR_OK)
        *batch_id = sqlite3_last_insert_rowid(db->sql);
    for (size_t i = 0; i < DAY_SLOTS; i++) /* a batch rolled back may have left some */
        s->days[i].court[0] = 0;
    s->n_days = 0;
    return rc;
}

cr_status db_batch_close(cr_db *db, int64_t batch_id, const char *summary_json, cr_err *err)
{
    struct db_records_stmts *s = stmts(db, err);
    sqlite3_stmt *st =
        s ? db_stmt(db, &s->batch_close,
                    "UPDATE batches SET finished_at = ?2, summary = ?3 WHERE id = ?1", err)
          : NULL;
    if (!st)
        return CR_FAIL;
    if (flush_days(db, err) != CR_OK)
        return CR_FAIL;
    char now[26];
    db_now(now);
    sqlite3_bind_int64(st, 1, batch_id);
    db_bind_text(st, 2, now);
    db_bind_text(st, 3, summary_json);
    return db_step_done(db, st, "close batch", err);
}

/* Binds the insert/update columns of rec; returns the index of the batch_id
 * parameter. */
static int bind_columns(sqlite3_stmt *st, const record *rec, const char *doc, char **roles_text)
{
    db_bind_text(st, 1, rec->key);
    switch (rec->type) {
    case REC_COURT:
        db_bind_text(st, 2, rec->u.court.name);
        db_bind_text(st, 3, rec->u.court.level);
        db_bind_text(st, 4, rec->u.court.parent);
        db_bind_text(st, 5, doc);
        return 6;
    case REC_PERSON:
        *roles_text = jsontext_dumps(rec->u.person.roles, JSON_COMPACT, NULL);
        db_bind_text(st, 2, rec->u.person.court);
        db_bind_text(st, 3, rec->u.person.name);
        db_bind_text(st, 4, *roles_text);
        db_bind_text(st, 5, rec->u.person.division);
        db_bind_text(st, 6, rec->u.person.team);
        sqlite3_bind_int(st, 7, rec->u.person.in_quota);
        db_bind_text(st, 8, rec->u.person.start_date);
        db_bind_text(st, 9, rec->u.person.end_date);
        db_bind_text(st, 10, doc);
        return 11;
    case REC_CASE:
        db_bind_text(st, 2, rec->u.kase.court);
        sqlite3_bind_int(st, 3, rec->u.kase.no.year);
        db_bind_text(st, 4, rec->u.kase.no.type_code);
        sqlite3_bind_int64(st, 5, rec->u.kase.no.seq);
        db_bind_text(st, 6, rec->u.kase.kind);
        db_bind_text(st, 7, rec->u.kase.cause);
        db_bind_text(st, 8, rec->u.kase.procedure);
        db_bind_text(st, 9, rec->u.kase.filing_date);
        if (rec->u.kase.has_claim)
            sqlite3_bind_int64(st, 10, rec->u.kase.claim_fen);
        else
            sqlite3_bind_null(st, 10);
        sqlite3_bind_int64(st, 11, rec->u.kase.party_count);
        db_bind_text(st, 12, rec->u.kase.status);
        db_bind_text(st, 13, rec->u.kase.closing_date);
        db_bind_text(st, 14, doc);
        return 15;
    case REC_EVENT:
        db_bind_text(st, 2, rec->u.event.case_no);
        db_bind_text(st, 3, rec->u.event.court);
        db_bind_text(st, 4, rec->u.event.event);
        db_bind_text(st, 5, rec->u.event.at);
        db_bind_text(st, 6, doc);
        return 7;
    default:
        return 0;
    }
}

static cr_status put_staffing(cr_db *db, const record *rec, cr_err *err)
{
    struct db_records_stmts *s = db->records;
    sqlite3_stmt *del =
        db_stmt(db, &s->staffing_delete, "DELETE FROM court_staffing WHERE court = ?1", err);
    if (!del)
        return CR_FAIL;
    db_bind_text(del, 1, rec->key);
    cr_status rc = db_step_done(db, del, "staffing", err);
    size_t i;
    json_t *entry;
    static const char *const columns[] = {
        "year",           "authorized_staff", "central_special_staff",
        "quota_allotted", "quota_filled",     "admin_staff"};
    json_array_foreach(rec->u.court.staffing, i, entry)
    {
        if (rc != CR_OK)
            break;
        sqlite3_stmt *ins = db_stmt(db, &s->staffing_insert,
                                    "INSERT INTO court_staffing(court, year, authorized_staff, "
                                    "central_special_staff, quota_allotted, quota_filled, "
                                    "admin_staff) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                    err);
        if (!ins)
            return CR_FAIL;
        db_bind_text(ins, 1, rec->key);
        for (int c = 0; c < 6; c++) {
            json_t *v = json_object_get(entry, columns[c]);
            if (v)
                sqlite3_bind_int64(ins, c + 2, json_integer_value(v));
            else
                sqlite3_bind_null(ins, c + 2);
        }
        rc = db_step_done(db, ins, "staffing", err);
    }
    return rc;
}

/*
 * case_judges holds one (judge, case_no) row per person id among a case's
 * judges or its presiding judge, with the case's court and closing date, so
 * that ctx.query's judge filter looks the judge up instead of parsing case
 * documents (db_query.c). Invariant: its rows are exactly those of the
 * cases' stored documents, court and closing date included; db_put_record
 * is the only writer of cases.doc and keeps them in step in the same
 * transaction (a changed document's rows are deleted and written again).
 * Keyed by judge alone (no index on case_no, which would cost ingest a
 * second b-tree insert per row): a case's old rows are found from its old
 * document, which is still stored when they are deleted.
 */

/* Deletes the case_judges rows of case_no's stored document; call before
 * the document is replaced. */
static cr_status delete_case_judges(cr_db *db, const char *case_no, cr_err *err)
{
    sqlite3_stmt *st =
        db_stmt(db, &db->records->judges_delete,
                "DELETE FROM case_judges WHERE case_no = ?1 AND judge IN"
                " (SELECT j.value FROM cases c, json_each(c.doc, '$.judges') j WHERE c.case_no = ?1"
                "  UNION ALL SELECT c.doc ->> '$.presiding' FROM cases c WHERE c.case_no = ?1)",
                err);
    if (!st)
        return CR_FAIL;
    db_bind_text(st, 1, case_no);
    return db_step_done(db, st, "case judges", err);
}

/* Was id already stored for this case: the presiding judge, or one of
 * judges[0..n)? Lists are a few names long. */
static int judge_seen(const record *rec, size_t n, const char *id)
{
    if (rec->u.kase.presiding && strcmp(rec->u.kase.presiding, id) == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(json_string_value(json_array_get(rec->u.kase.judges, i)), id) == 0)
            return 1;
    return 0;
}

static cr_status insert_case_judge(cr_db *db, const char *judge, const record *rec, cr_err *err)
{
    sqlite3_stmt *ins = db_stmt(db, &db->records->judges_insert,
                                "INSERT OR IGNORE INTO case_judges(judge, case_no, court, closing_date)"
                                " VALUES (?1, ?2, ?3, ?4)",
                                err);
    if (!ins)
        return CR_FAIL;
    db_bind_text(ins, 1, judge);
    db_bind_text(ins, 2, rec->key);
    db_bind_text(ins, 3, rec->u.kase.court);
    db_bind_text(ins, 4, rec->u.kase.closing_date);
    return db_step_done(db, ins, "case judges", err);
}

/* Inserts the case_judges rows of rec (a case): its presiding judge and each
 * id among its judges, each once. */
static cr_status insert_case_judges(cr_db *db, const record *rec, cr_err *err)
{
    cr_status st = CR_OK;
    if (rec->u.kase.presiding)
        st = insert_case_judge(db, rec->u.kase.presiding, rec, err);
    size_t i;
    json_t *j;
    json_array_foreach(rec->u.kase.judges, i, j)
    {
        if (st == CR_OK && !judge_seen(rec, i, json_string_value(j)))
            st = insert_case_judge(db, json_string_value(j), rec, err);
    }
    return st;
}

/* Adds delta to case_day_counts for court's cases filed on day. */
static cr_status write_day(cr_db *db, const char *court, const char *day, int64_t delta,
                           cr_err *err)
{
    sqlite3_stmt *st = db_stmt(db, &db->records->day_count,
                               "INSERT INTO case_day_counts(court, filing_date, n)"
                               " VALUES (?1, ?2, ?3) ON CONFLICT(court, filing_date)"
                               " DO UPDATE SET n = n + excluded.n",
                               err);
    if (!st)
        return CR_FAIL;
    db_bind_text(st, 1, court);
    db_bind_text(st, 2, day);
    sqlite3_bind_int64(st, 3, delta);
    return db_step_done(db, st, "count the cases' filing days", err);
}

/* Writes the batch's added-up days and empties the table. */
static cr_status flush_days(cr_db *db, cr_err *err)
{
    struct db_records_stmts *s = db->records;
    cr_status st = CR_OK;
    for (size_t i = 0; s && i < DAY_SLOTS && s->n_days; i++) {
        day_delta *d = &s->days[i];
        if (!d->court[0])
            continue;
        if (st == CR_OK && d->n)
            st = write_day(db, d->court, d->day, d->n, err);
        d->court[0] = 0;
        s->n_days--;
    }
    return st;
}

/* Adds delta to the cases court filed on day (case_day_counts, schema 19):
 * in the batch's table, written when it closes (or when the table is full;
 * a court or day longer than record.c allows would be written at once). */
static cr_status count_day(cr_db *db, const char *court, const char *day, int delta, cr_err *err)
{
    struct db_records_stmts *s = db->records;
    size_t court_len = strlen(court);
    if (court_len >= DAY_COURT_MAX || strlen(day) != 10)
        return write_day(db, court, day, delta, err);
    uint32_t h = 2166136261u; /* FNV-1a over court and day */
    for (const char *p = court; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (const char *p = day; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (size_t i = h & (DAY_SLOTS - 1);; i = (i + 1) & (DAY_SLOTS - 1)) {
        day_delta *d = &s->days[i];
        if (!d->court[0]) {
            if (s->n_days >= DAY_SLOTS * 3 / 4) { /* full enough: write what is there */
                cr_status st = flush_days(db, err);
                return st == CR_OK ? count_day(db, court, day, delta, err) : st;
            }
            memcpy(d->court, court, court_len + 1);
            memcpy(d->day, day, 11);
            d->n = delta;
            s->n_days++;
            return CR_OK;
        }
        if (strcmp(d->court, court) == 0 && memcmp(d->day, day, 10) == 0) {
            d->n += delta;
            return CR_OK;
        }
    }
}

/* Inserts rec as new. *conflict = 1 (and nothing written) if the key is
 * already stored. Fresh loads take this path only: no lookup first. */
static cr_status insert_new(cr_db *db, int64_t batch_id, const record *rec, const char *doc_text,
                            int *conflict, cr_err *err)
{
    *conflict = 0;
    sqlite3_stmt *w = op_stmt(db, rec->type, OP_INSERT, err);
    if (!w)
        return CR_FAIL;
    char *roles = NULL;
    int batch_param = bind_columns(w, rec, doc_text, &roles);
    sqlite3_bind_int64(w, batch_param, batch_id);
    int rc = sqlite3_step(w);
    cr_status st = CR_OK;
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        *conflict = 1;
    else if (rc != SQLITE_DONE)
        st = db_sqlerr(db, err, "insert");
    sqlite3_reset(w);
    sqlite3_clear_bindings(w);
    free(roles);
    return st;
}

cr_status db_put_record(cr_db *db, int64_t batch_id, const record *rec, const char *doc_text,
                        db_put_result *result, cr_err *err)
{
    int conflict;
    char old_court[256] = "", old_day[32] = "";
    cr_status st = insert_new(db, batch_id, rec, doc_text, &conflict, err);
    if (st != CR_OK)
        return st;
    int exists = conflict;
    if (exists) {
        sqlite3_stmt *look = op_stmt(db, rec->type, OP_LOOKUP, err);
        if (!look)
            return CR_FAIL;
        db_bind_text(look, 1, rec->key);
        db_bind_text(look, 2, doc_text);
        int rc = sqlite3_step(look);
        int64_t prev_batch = rc == SQLITE_ROW ? sqlite3_column_int64(look, 0) : 0;
        int same = rc == SQLITE_ROW && sqlite3_column_int(look, 1);
        if (rec->type == REC_CASE && rc == SQLITE_ROW) { /* its day as stored, for the counts */
            const char *c = (const char *)sqlite3_column_text(look, 2);
            const char *d = (const char *)sqlite3_column_text(look, 3);
            snprintf(old_court, sizeof old_court, "%s", c ? c : "");
            snprintf(old_day, sizeof old_day, "%s", d ? d : "");
        }
        sqlite3_reset(look);
        if (rc != SQLITE_ROW)
            return rc == SQLITE_DONE
                       ? cr_errf(err, CR_FAIL, "%s: lookup: %s vanished", db->path, rec->key)
                       : db_sqlerr(db, err, "lookup");
        if (prev_batch == batch_id) {
            *result = DB_PUT_DUPLICATE;
            return CR_OK;
        }
        if (same) {
            sqlite3_stmt *touch = op_stmt(db, rec->type, OP_TOUCH, err);
            if (!touch)
                return CR_FAIL;
            db_bind_text(touch, 1, rec->key);
            sqlite3_bind_int64(touch, 2, batch_id);
            *result = DB_PUT_UNCHANGED;
            return db_step_done(db, touch, "touch", err);
        }
        if (rec->type == REC_CASE && delete_case_judges(db, rec->key, err) != CR_OK)
            return CR_FAIL;
        sqlite3_stmt *w = op_stmt(db, rec->type, OP_UPDATE, err);
        if (!w)
            return CR_FAIL;
        char *roles = NULL;
        int batch_param = bind_columns(w, rec, doc_text, &roles);
        sqlite3_bind_int64(w, batch_param, batch_id);
        st = db_step_done(db, w, "update", err);
        free(roles);
    }
    *result = exists ? DB_PUT_UPDATED : DB_PUT_NEW;
    if (st == CR_OK && rec->type == REC_CASE) {
        const char *court = rec->u.kase.court, *day = rec->u.kase.filing_date;
        if (!exists)
            st = count_day(db, court, day, 1, err);
        else if (strcmp(old_court, court) != 0 || strcmp(old_day, day) != 0) {
            st = count_day(db, old_court, old_day, -1, err);
            if (st == CR_OK)
                st = count_day(db, court, day, 1, err);
        }
    }
    if (st == CR_OK && rec->type == REC_COURT && (exists || rec->u.court.staffing))
        st = put_staffing(db, rec, err);
    if (st == CR_OK && rec->type == REC_CASE)
        st = insert_case_judges(db, rec, err);
    struct db_records_stmts *s = db->records;
    if (st == CR_OK && rec->type == REC_CASE) {
        snprintf(s->marked_case, sizeof s->marked_case, "%s", rec->key);
        s->marked_batch = batch_id;
    }
    if (st == CR_OK && rec->type == REC_EVENT && rec->u.event.case_no &&
        !(s->marked_batch == batch_id && strcmp(s->marked_case, rec->u.event.case_no) == 0)) {
        /* A new or changed event changes what rules see of its case. */
        snprintf(s->marked_case, sizeof s->marked_case, "%s", rec->u.event.case_no);
        s->marked_batch = batch_id;
        sqlite3_stmt *ch = db_stmt(db, &db->records->case_changed,
                                   "UPDATE cases SET changed_batch = ?2 WHERE case_no = ?1", err);
        if (!ch)
            return CR_FAIL;
        db_bind_text(ch, 1, rec->u.event.case_no);
        sqlite3_bind_int64(ch, 2, batch_id);
        st = db_step_done(db, ch, "mark case changed", err);
    }
    return st;
}

int db_record_known(cr_db *db, record_type type, const char *key, char *court_out, size_t court_len,
                    cr_err *err)
{
    sqlite3_stmt *look = op_stmt(db, type, OP_LOOKUP, err);
    if (!look)
        return -1;
    db_bind_text(look, 1, key);
    sqlite3_bind_null(look, 2);
    int rc = sqlite3_step(look);
    if (rc == SQLITE_ROW && type == REC_CASE && court_out) {
        const char *c = (const char *)sqlite3_column_text(look, 2);
        snprintf(court_out, court_len, "%s", c ? c : "");
    }
    sqlite3_reset(look);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_sqlerr(db, err, "lookup");
        return -1;
    }
    return rc == SQLITE_ROW;
}

cr_status db_record_counts(cr_db *db, int64_t counts[REC_TYPE_COUNT], cr_err *err)
{
    for (int t = 0; t < REC_TYPE_COUNT; t++) {
        sqlite3_stmt *st = op_stmt(db, (record_type)t, OP_COUNT, err);
        if (!st)
            return CR_FAIL;
        if (sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_reset(st);
            return db_sqlerr(db, err, "count");
        }
        counts[t] = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return CR_OK;
}

/* Runs a two-column (label, count) query into a JSON object. */
static cr_status group_counts(cr_db *db, const char *query, json_t *into, cr_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, query, -1, &st, NULL) != SQLITE_OK)
        return db_sqlerr(db, err, "stats");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *label = (const char *)sqlite3_column_text(st, 0);
        json_object_set_new(into, label ? label : "(none)",
                            json_integer(sqlite3_column_int64(st, 1)));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? CR_OK : db_sqlerr(db, err, "stats");
}

cr_status db_record_stats(cr_db *db, json_t **out, cr_err *err)
{
    static const struct {
        const char *name, *query;
    } groups[] = {
        {"courts_by_level", "SELECT level, count(*) FROM courts GROUP BY 1 ORDER BY 2 DESC"},
        {"cases_by_court", "SELECT court, count(*) FROM cases GROUP BY 1 ORDER BY 1"},
        {"cases_by_kind", "SELECT kind, count(*) FROM cases GROUP BY 1 ORDER BY 2 DESC"},
        {"cases_by_status", "SELECT status, count(*) FROM cases GROUP BY 1 ORDER BY 2 DESC"},
        {"cases_by_procedure", "SELECT procedure, count(*) FROM cases GROUP BY 1 ORDER BY 2 DESC"},
        {"events_by_type", "SELECT type, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC"},
        {"open_alerts_by_code",
         "SELECT code, count(*) FROM alerts WHERE status <> 'resolved' GROUP BY 1 ORDER BY 2 DESC"},
        {"triage_recommended",
         "SELECT value ->> '$.recommended', count(*) FROM evaluation_results"
         " WHERE rule = 'triage' AND status = 'ok' AND value ->> '$.recommended' IS NOT NULL"
         " GROUP BY 1 ORDER BY 2 DESC"},
        {"open_alerts_by_court",
         "SELECT court, count(*) FROM alerts WHERE status <> 'resolved' GROUP BY 1 ORDER BY 1"},
    };
    int64_t counts[REC_TYPE_COUNT];
    cr_status st = db_record_counts(db, counts, err);
    if (st != CR_OK)
        return st;
    json_t *j = json_object();
    json_t *totals = json_object();
    for (int t = 0; t < REC_TYPE_COUNT; t++)
        json_object_set_new(totals, record_type_name((record_type)t), json_integer(counts[t]));
    json_object_set_new(j, "totals", totals);
    for (size_t i = 0; i < sizeof groups / sizeof groups[0] && st == CR_OK; i++) {
        json_t *g = json_object();
        json_object_set_new(j, groups[i].name, g);
        st = group_counts(db, groups[i].query, g, err);
    }
    if (st != CR_OK) {
        json_decref(j);
        return st;
    }
    *out = j;
    return CR_OK;
}
