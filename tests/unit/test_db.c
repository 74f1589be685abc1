/* Unit tests: opening the database, pragmas and schema migrations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "db_records.h"
#include "record.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/courtrules-test-db.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/t.db", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static int pragma_int(const char *p, const char *pragma)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    int v = -1;
    assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, pragma, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static void fresh_database_migrates_to_current(void **state)
{
    cr_db *db;
    cr_err err;
    int from = -1, to = -1;
    assert_int_equal(db_open(path, DB_OPEN_CREATE, &db, &err), CR_OK);
    assert_int_equal(db_user_version(db), 0);
    assert_int_equal(db_migrate(db, &from, &to, &err), CR_OK);
    assert_int_equal(from, 0);
    assert_int_equal(to, db_schema_version());
    assert_int_equal(db_user_version(db), db_schema_version());
    /* Migrating again is a no-op. */
    assert_int_equal(db_migrate(db, &from, &to, &err), CR_OK);
    assert_int_equal(from, to);
    assert_int_equal(db_integrity_check(db, &err), CR_OK);
    db_close(db);
    assert_int_equal(pragma_int(path, "PRAGMA user_version"), db_schema_version());
}

static void existing_mode_needs_a_migrated_file(void **state)
{
    cr_db *db;
    cr_err err;
    assert_int_equal(db_open(path, DB_OPEN_EXISTING, &db, &err), CR_INVALID);
    assert_non_null(strstr(err.msg, "courtrules init"));
    assert_null(db);
    /* Created but not migrated: refused too, with the reason. */
    assert_int_equal(db_open(path, DB_OPEN_CREATE, &db, &err), CR_OK);
    db_close(db);
    assert_int_equal(db_open(path, DB_OPEN_EXISTING, &db, &err), CR_INVALID);
    assert_non_null(strstr(err.msg, "needs migration"));
}

static void newer_schema_is_refused(void **state)
{
    cr_db *db;
    cr_err err;
    assert_int_equal(db_open(path, DB_OPEN_CREATE, &db, &err), CR_OK);
    assert_int_equal(db_migrate(db, NULL, NULL, &err), CR_OK);
    db_close(db);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "PRAGMA user_version=9999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(db_open(path, DB_OPEN_EXISTING, &db, &err), CR_INVALID);
    assert_non_null(strstr(err.msg, "newer than this courtrules"));
    assert_int_equal(db_open(path, DB_OPEN_CREATE, &db, &err), CR_INVALID);
}

static void pragmas_are_set(void **state)
{
    cr_db *db;
    cr_err err;
    assert_int_equal(db_open(path, DB_OPEN_CREATE, &db, &err), CR_OK);
    assert_int_equal(db_migrate(db, NULL, NULL, &err), CR_OK);
    sqlite3 *h = db_handle(db);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA foreign_keys", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA synchronous", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2); /* FULL */
    sqlite3_finalize(st);
    /* WAL persists in the file: a plain connection sees it without asking. */
    sqlite3 *other;
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(other, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(other);
    db_close(db);
}

static void transactions_roll_back(void **state)
{
    cr_db *db;
    cr_err err;
    assert_int_equal(db_open(path, DB_OPEN_CREATE, &db, &err), CR_OK);
    assert_int_equal(db_migrate(db, NULL, NULL, &err), CR_OK);
    assert_int_equal(db_begin(db, &err), CR_OK);
    assert_int_equal(sqlite3_exec(db_handle(db), "INSERT INTO meta(key, value) VALUES ('k', 'v')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    db_rollback(db);
    db_rollback(db); /* safe twice */
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db_handle(db), "SELECT count(*) FROM meta WHERE key='k'", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    db_close(db);
}

/* Takes a current file back to version 17: undoes migrations 19 and 18
 * (leaves user_version to the caller). */
#define AS_VERSION_17                                                                              \
    "DROP TABLE case_day_counts;" /* migration 19 */                                               \
    "DROP INDEX cases_batch;"     /* migration 18 */                                               \
    "CREATE INDEX cases_batch ON cases(changed_batch);"

/* Takes a current file back to version 12: undoes migrations 19 to 13
 * (dropping case_judges undoes 16 and 14; leaves user_version to the
 * caller). */
#define AS_VERSION_12                                                                              \
    AS_VERSION_17                                                                                  \
    "DROP INDEX cases_court_dates;" /* migration 15 */                                             \
    "CREATE INDEX cases_court ON cases(court, status);"                                            \
    "DROP TABLE case_judges;" /* migration 14 */                                                   \
    "DROP INDEX events_case;" /* migration 13 */                                                   \
    "CREATE INDEX events_case ON events(case_no, at);"

/* A file at path with the current schema. */
static void make_current_file(void)
{
    cr_db *db;
    cr_err err;
    assert_int_equal(db_open(path, DB_OPEN_CREATE, &db, &err), CR_OK);
    assert_int_equal(db_migrate(db, NULL, NULL, &err), CR_OK);
    db_close(db);
}

/* Opens the file at path, which is at version `from`, and migrates it to
 * the current schema. */
static cr_db *open_migrated_from(int from)
{
    cr_db *db;
    cr_err err;
    int was, to;
    assert_int_equal(db_open(path, DB_OPEN_CREATE, &db, &err), CR_OK);
    if (db_migrate(db, &was, &to, &err) != CR_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(was, from);
    assert_int_equal(to, db_schema_version());
    return db;
}

/* Migration 8 rebuilds evaluations as a rowid table: a file at version 7,
 * with its WITHOUT ROWID table and a stored evaluation, keeps the row. */
static void evaluations_survive_rowid_migration(void **state)
{
    cr_db *db;
    cr_err err;
    make_current_file();
    sqlite3 *h;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    const char *as_version_7 =
        "PRAGMA foreign_keys=OFF;" AS_VERSION_12
        "DROP INDEX cases_batch;"       /* migration 12 (evaluations_dated goes with its table) */
        "DROP VIEW evaluation_results;" /* migration 10 */
        "DROP TABLE rule_versions;"
        "ALTER TABLE court_evaluations DROP COLUMN evaluated_batch;" /* migration 9 */
        "DROP TABLE evaluations;"
        "CREATE TABLE evaluations(case_no TEXT PRIMARY KEY REFERENCES cases(case_no),"
        " run_id INTEGER NOT NULL REFERENCES eval_runs(id), as_of TEXT NOT NULL,"
        " rules_fingerprint TEXT NOT NULL, evaluated_batch INTEGER NOT NULL,"
        " evaluated_at TEXT NOT NULL, date_dependent INTEGER NOT NULL,"
        " results TEXT NOT NULL) WITHOUT ROWID;"
        "CREATE INDEX evaluations_state ON evaluations(case_no, evaluated_batch,"
        " rules_fingerprint, date_dependent, as_of);"
        "INSERT INTO batches(id, source, started_at) VALUES (1, 't', 'now');"
        "INSERT INTO courts(code, name, level, doc, batch_id) VALUES ('粤0703', 'c', 'basic',"
        " '{}', 1);"
        "INSERT INTO cases(case_no, court, year, type_code, seq, kind, filing_date,"
        " party_count, status, doc, batch_id, changed_batch) VALUES ('(2024)粤0703民初1号',"
        " '粤0703', 2024, '民初', 1, 'civil', '2024-01-02', 2, '在办', '{}', 1, 1);"
        "INSERT INTO eval_runs(id, as_of, scope, started_at) VALUES (7, '2026-03-31', 'all',"
        " 'now');"
        "INSERT INTO evaluations VALUES ('(2024)粤0703民初1号', 7, '2026-03-31', 'fp', 3,"
        " '2026-03-31T08:00:00+08:00', 1, '[{\"rule\":\"r\"}]');"
        "PRAGMA user_version=7;";
    char *why = NULL;
    int rc = sqlite3_exec(h, as_version_7, NULL, NULL, &why);
    if (rc != SQLITE_OK)
        fail_msg("making a version-7 file: %s", why ? why : "?");
    sqlite3_close(h);

    db = open_migrated_from(7);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db_handle(db),
                                        "SELECT rowid > 0, case_no || '|' || run_id || '|' ||"
                                        " as_of || '|' || rules_fingerprint || '|' ||"
                                        " evaluated_batch || '|' || evaluated_at || '|' ||"
                                        " date_dependent || '|' || results FROM evaluations",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1); /* a rowid table now */
    assert_string_equal((const char *)sqlite3_column_text(st, 1),
                        "(2024)粤0703民初1号|7|2026-03-31|fp|3|2026-03-31T08:00:00+08:00|1|"
                        "[{\"rule\":\"r\"}]");
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db_handle(db),
                                        "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
                                        " AND name IN ('evaluations_state', 'evaluations_dated')",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    assert_int_equal(db_integrity_check(db, &err), CR_OK);
    db_close(db);
}

/* Runs sql on the file at path through a connection of its own. */
static void exec_on_file(const char *sql)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    char *why = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &why) != SQLITE_OK)
        fail_msg("%s", why ? why : "?");
    sqlite3_close(h);
}

/* The one value sql yields on h is the text want. */
static void expect_text(sqlite3 *h, const char *sql, const char *want)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), want);
    sqlite3_finalize(st);
}

/* The index's columns, in order, are columns ("a,b,c"). */
static void expect_index_columns(sqlite3 *h, const char *index, const char *columns)
{
    char *sql = sqlite3_mprintf("SELECT group_concat(name) FROM"
                                " (SELECT name FROM pragma_index_info(%Q) ORDER BY seqno)",
                                index);
    assert_non_null(sql);
    expect_text(h, sql, columns);
    sqlite3_free(sql);
}

/* Migration 11 makes messages again (its state CHECK without an IN list):
 * the rows, their attempts' foreign key, the indexes and the CHECK stay. */
static void messages_survive_check_migration(void **state)
{
    cr_db *db;
    cr_err err;
    make_current_file();
    exec_on_file(
        "PRAGMA foreign_keys=OFF;" AS_VERSION_12 "DROP INDEX cases_batch;" /* migration 12 */
        "DROP INDEX evaluations_dated;"
        "CREATE INDEX evaluations_state ON evaluations(case_no, evaluated_batch,"
        " rules_fingerprint, date_dependent, as_of);"
        "DROP VIEW evaluation_results;" /* migration 10 */
        "DROP TABLE rule_versions;"
        "INSERT INTO webhooks(id, name, url, format, max_in_flight, rate_per_s, timeout_ms,"
        " group_window_ms, repeat_interval_ms, send_resolved, retry_schedule, created_at)"
        " VALUES (1, 'w', 'http://x', 'standard', 4, 0, 1000, 0, 0, 1, '1s', 'now');"
        "DROP TABLE messages;" /* as migration 5 made it */
        "CREATE TABLE messages(id INTEGER PRIMARY KEY, msg_id TEXT NOT NULL,"
        " webhook_id INTEGER NOT NULL REFERENCES webhooks(id), created_ms INTEGER NOT NULL,"
        " alerts INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN"
        " ('pending', 'delivered', 'rejected', 'dead', 'cancelled')),"
        " attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL,"
        " last_status INTEGER, last_error TEXT, finished_ms INTEGER, body TEXT NOT NULL);"
        "CREATE INDEX messages_due ON messages(webhook_id, next_attempt_ms)"
        " WHERE state = 'pending';"
        "CREATE INDEX messages_finished ON messages(finished_ms)"
        " WHERE state IN ('rejected', 'dead');"
        "INSERT INTO messages VALUES (7, 'msg_a', 1, 5, 1, 'dead', 3, 5, 500, 'e', 9, '{}'),"
        " (8, 'msg_b', 1, 6, 1, 'pending', 0, 6, NULL, NULL, NULL, '{\"a\":1}');"
        "INSERT INTO delivery_attempts(message, webhook_id, attempt, at, latency_ms, outcome)"
        " VALUES (7, 1, 1, 'now', 3, 'dead');"
        "PRAGMA user_version=9;");

    db = open_migrated_from(9);
    sqlite3 *h = db_handle(db);
    expect_text(h,
                "SELECT group_concat(id || '|' || msg_id || '|' || state || '|' || attempts"
                " || '|' || body, ' ') FROM (SELECT * FROM messages ORDER BY id)",
                "7|msg_a|dead|3|{} 8|msg_b|pending|0|{\"a\":1}");
    expect_text(h,
                "SELECT (SELECT count(*) FROM pragma_foreign_key_check) || '|' ||"
                " (SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
                "  AND name IN ('messages_due', 'messages_finished'))",
                "0|2");
    /* the CHECK still refuses other states, and the foreign key holds */
    assert_int_equal(
        sqlite3_exec(h, "UPDATE messages SET state = 'lost' WHERE id = 8", NULL, NULL, NULL),
        SQLITE_CONSTRAINT_CHECK);
    assert_int_equal(sqlite3_exec(h, "DELETE FROM messages WHERE id = 7", NULL, NULL, NULL),
                     SQLITE_CONSTRAINT_FOREIGNKEY);
    assert_int_equal(db_integrity_check(db, &err), CR_OK);
    db_close(db);
}

/* case_judges as "seq:judge,..." (seq: the case number's sequence). */
#define CASE_JUDGES                                                                                \
    "SELECT coalesce(group_concat(s, ','), '') FROM (SELECT c.seq || ':' || j.judge AS s"          \
    " FROM case_judges j JOIN cases c ON c.case_no = j.case_no ORDER BY c.seq, j.judge)"

/* The number of (case, person id) pairs on which case_judges and the judge
 * filter's old test of the documents disagree (an id among doc.judges, or
 * doc.presiding), over every id stored plus two never stored, plus the rows
 * whose court or closing date is not their case's: 0 when the table agrees
 * with the cases. */
#define CASE_JUDGES_DISAGREE                                                                       \
    "SELECT count(*) + (SELECT count(*) FROM case_judges k JOIN cases c ON c.case_no = k.case_no"  \
    "  WHERE k.court IS NOT c.court OR k.closing_date IS NOT c.closing_date) FROM cases c,"        \
    " (SELECT judge FROM case_judges UNION SELECT 'nobody' UNION SELECT '[\"P8\"]') p"             \
    " WHERE (coalesce(json_extract(c.doc, '$.presiding') = p.judge, 0) OR EXISTS"                  \
    "  (SELECT 1 FROM json_each(c.doc, '$.judges') j WHERE j.value = p.judge))"                    \
    " != EXISTS (SELECT 1 FROM case_judges k WHERE k.case_no = c.case_no"                          \
    "  AND k.judge = p.judge)"

#define CASE_NO(seq) "(2024)粤0703民初" #seq "号"

/* A case of 粤0703 as ingest input; more: further members. */
#define CASE_LINE(seq, more)                                                                       \
    "{\"type\":\"case\",\"case_no\":\"" CASE_NO(seq) "\",\"filing_date\":\"2024-03-01\"" more "}"

/* Stores line (no reference checks) in batch; returns what db_put_record
 * did. */
static db_put_result put_line(cr_db *db, int64_t batch, const char *line)
{
    cr_err err;
    record rec;
    if (record_parse(line, strlen(line), NULL, &rec, &err) != CR_OK)
        fail_msg("%s: %s", line, err.msg);
    char *doc = record_doc_text(&rec);
    db_put_result put;
    if (db_put_record(db, batch, &rec, doc, &put, &err) != CR_OK)
        fail_msg("%s: %s", line, err.msg);
    free(doc);
    record_free(&rec);
    return put;
}

/* Migration 13 fills case_judges from the stored documents, with every
 * value the old judge filter matched: a person both presiding and among
 * the judges is one row, non-text values match no id and are left out.
 * Ingest then replaces a migrated case's rows. */
static void case_judges_filled_by_migration(void **state)
{
    cr_db *db;
    cr_err err;
    make_current_file();
#define CASE_ROW(seq, doc)                                                                         \
    "INSERT INTO cases(case_no, court, year, type_code, seq, kind, filing_date, party_count,"      \
    " status, doc, batch_id, changed_batch) VALUES ('" CASE_NO(                                    \
        seq) "', '粤0703', 2024,"                                                                 \
             " '民初', " #seq ", 'civil', '2024-03-01', 2, '在办', '" doc "', 1, 1);"
    exec_on_file("PRAGMA foreign_keys=OFF;" AS_VERSION_12
                 "INSERT INTO batches(id, source, started_at) VALUES (1, 't', 'now');"
                 "INSERT INTO courts(code, name, level, doc, batch_id)"
                 " VALUES ('粤0703', 'c', '基层', '{}', 1);" CASE_ROW(
                     1, "{\"judges\":[\"P1\",\"P2\"],\"presiding\":\"P1\"}")
                     CASE_ROW(2, "{\"presiding\":\"P3\"}")
                         CASE_ROW(3, "{\"judges\":[7,\"P4\",[\"P8\"],null],\"presiding\":true}")
                             CASE_ROW(4, "{}") "UPDATE cases SET closing_date = '2024-05-10'"
                                               " WHERE seq = 2;"
                                               "PRAGMA user_version=12;");
#undef CASE_ROW
    db = open_migrated_from(12);
    sqlite3 *h = db_handle(db);
    expect_text(h, CASE_JUDGES, "1:P1,1:P2,2:P3,3:P4,3:[\"P8\"]");
    expect_text(h, CASE_JUDGES_DISAGREE, "0");

    int64_t batch;
    assert_int_equal(db_begin(db, &err), CR_OK);
    assert_int_equal(db_batch_open(db, "test", &batch, &err), CR_OK);
    assert_int_equal(put_line(db, batch, CASE_LINE(1, ",\"status\":\"在办\",\"judges\":[\"P5\"]")),
                     DB_PUT_UPDATED);
    assert_int_equal(put_line(db, batch, CASE_LINE(3, ",\"status\":\"在办\"")), DB_PUT_UPDATED);
    assert_int_equal(db_commit(db, &err), CR_OK);
    expect_text(h, CASE_JUDGES, "1:P5,2:P3");
    expect_text(h, CASE_JUDGES_DISAGREE, "0");
    assert_int_equal(db_integrity_check(db, &err), CR_OK);
    db_close(db);
}

/* Ingest keeps case_judges in step with every case it stores: new cases,
 * replaced documents whose judges change, keep or go, unchanged ones. */
static void case_judges_follow_ingest(void **state)
{
    cr_db *db;
    cr_err err;
    int64_t batch;
    make_current_file();
    assert_int_equal(db_open(path, DB_OPEN_EXISTING, &db, &err), CR_OK);
    sqlite3 *h = db_handle(db);
    assert_int_equal(db_begin(db, &err), CR_OK);
    assert_int_equal(db_batch_open(db, "first", &batch, &err), CR_OK);
    put_line(db, batch,
             "{\"type\":\"court\",\"code\":\"粤0703\",\"name\":\"c\",\"level\":\"基层\"}");
    static const char *const first[] = {
        CASE_LINE(1, ",\"status\":\"在办\",\"presiding\":\"P1\",\"judges\":[\"P1\",\"P2\"]"),
        CASE_LINE(2, ",\"status\":\"在办\",\"presiding\":\"P3\""),
        CASE_LINE(3, ",\"status\":\"在办\",\"judges\":[\"P4\",\"P4\"]"),
        CASE_LINE(4, ",\"status\":\"在办\""),
        CASE_LINE(5, ",\"status\":\"在办\",\"presiding\":\"P7\""),
    };
    for (size_t i = 0; i < sizeof first / sizeof first[0]; i++)
        assert_int_equal(put_line(db, batch, first[i]), DB_PUT_NEW);
    assert_int_equal(db_commit(db, &err), CR_OK);
    expect_text(h, CASE_JUDGES, "1:P1,1:P2,2:P3,3:P4,5:P7");

    assert_int_equal(db_begin(db, &err), CR_OK);
    assert_int_equal(db_batch_open(db, "second", &batch, &err), CR_OK);
    assert_int_equal(put_line(db, batch, first[0]), DB_PUT_UNCHANGED);
    assert_int_equal(put_line(db, batch, CASE_LINE(2, ",\"status\":\"在办\",\"judges\":[\"P5\"]")),
                     DB_PUT_UPDATED);
    assert_int_equal(put_line(db, batch,
                              CASE_LINE(3, ",\"status\":\"已结\",\"closing_date\":\"2024-05-10\","
                                           "\"judges\":[\"P4\",\"P4\"]")),
                     DB_PUT_UPDATED); /* same judges, other fields */
    assert_int_equal(put_line(db, batch, CASE_LINE(4, ",\"status\":\"在办\",\"presiding\":\"P6\"")),
                     DB_PUT_UPDATED);
    assert_int_equal(put_line(db, batch, CASE_LINE(5, ",\"status\":\"在办\"")), DB_PUT_UPDATED);
    /* given twice in one batch: refused, nothing written */
    assert_int_equal(put_line(db, batch, CASE_LINE(5, ",\"status\":\"在办\",\"presiding\":\"P9\"")),
                     DB_PUT_DUPLICATE);
    assert_int_equal(db_commit(db, &err), CR_OK);
    expect_text(h, CASE_JUDGES, "1:P1,1:P2,2:P5,3:P4,4:P6");
    expect_text(h, CASE_JUDGES_DISAGREE, "0");
    db_close(db);
}

/* Migration 14 replaces cases_court by cases_court_dates, which leads with
 * the same columns and adds both dates. */
static void cases_court_gains_dates(void **state)
{
    cr_err err;
    make_current_file();
    exec_on_file(AS_VERSION_12 "PRAGMA user_version=12;");
    cr_db *db = open_migrated_from(12);
    sqlite3 *h = db_handle(db);
    expect_text(h,
                "SELECT group_concat(name) FROM sqlite_schema WHERE type = 'index'"
                " AND name IN ('cases_court', 'cases_court_dates')",
                "cases_court_dates");
    expect_index_columns(h, "cases_court_dates", "court,status,closing_date,filing_date");
    assert_int_equal(db_integrity_check(db, &err), CR_OK);
    db_close(db);
}

/* Migration 18 gives cases_batch the court; migration 19 fills
 * case_day_counts from the cases already stored (ingest keeps it after:
 * test_db_query.c). */
static void case_day_counts_filled_by_migration(void **state)
{
    cr_err err;
    make_current_file();
#define CASE_ROW(no, court, day)                                                                   \
    "INSERT INTO cases(case_no, court, year, type_code, seq, kind, filing_date, party_count,"      \
    " status, doc, batch_id, changed_batch) VALUES ('" no "', '" court "', 2026, '民初', 1,"     \
    " '民事', '" day "', 2, '在办', '{}', 1, 1);"
    exec_on_file("PRAGMA foreign_keys=OFF;" AS_VERSION_17 CASE_ROW("a", "粤01", "2026-01-02")
                     CASE_ROW("b", "粤01", "2026-01-02") CASE_ROW("c", "粤01", "2026-01-03")
                         CASE_ROW("d", "粤0103", "2026-01-02") "PRAGMA user_version=17;");
#undef CASE_ROW
    cr_db *db = open_migrated_from(17);
    sqlite3 *h = db_handle(db);
    expect_index_columns(h, "cases_batch", "changed_batch,court");
    expect_text(h,
                "SELECT group_concat(court || ' ' || filing_date || ' ' || n, ', ') FROM"
                " (SELECT * FROM case_day_counts ORDER BY court, filing_date)",
                "粤01 2026-01-02 2, 粤01 2026-01-03 1, 粤0103 2026-01-02 1");
    assert_int_equal(db_integrity_check(db, &err), CR_OK);
    db_close(db);
}

/* How many times the program of sql has the opcode op. */
static int count_opcode(sqlite3 *h, const char *sql, const char *op)
{
    char *explain = sqlite3_mprintf("EXPLAIN %s", sql);
    sqlite3_stmt *st;
    int n = 0;
    assert_int_equal(sqlite3_prepare_v2(h, explain, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        n += strcmp((const char *)sqlite3_column_text(st, 1), op) == 0;
    sqlite3_finalize(st);
    sqlite3_free(explain);
    return n;
}

#define ALERT_INSERT(id, key, severity, status)                                                    \
    "INSERT INTO alerts(id, dedup_key, rule_set, rule, rule_set_sha, code, severity, court,"       \
    " case_no, message, status, as_of, created_at, last_seen_at, run_id) VALUES (" #id ", '" key   \
    "', 's', 'r', 'sha', 'C1', '" severity "', '粤01', 'n', 'm', '" status "', '2026-03-31',"      \
    " 't', 't', 1);"

/* Migration 17 makes alerts and outbox again (their CHECKs without IN
 * lists): rows and ids, indexes, triggers, CHECKs and the foreign key stay,
 * no outbox row is queued by the move, and storing an alert no longer
 * builds a temporary b-tree. */
static void alerts_survive_check_migration(void **state)
{
    cr_err err;
    make_current_file();
    exec_on_file(
        "PRAGMA foreign_keys=OFF;" AS_VERSION_17
        "DROP TABLE outbox;" /* both as migration 5 made them (the triggers go too) */
        "DROP TABLE alerts;"
        "CREATE TABLE alerts(id INTEGER PRIMARY KEY, dedup_key TEXT NOT NULL UNIQUE,"
        " rule_set TEXT NOT NULL, rule TEXT NOT NULL, rule_version TEXT,"
        " rule_set_sha TEXT NOT NULL, code TEXT NOT NULL,"
        " severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),"
        " court TEXT NOT NULL, case_no TEXT, message TEXT NOT NULL, basis TEXT, data TEXT,"
        " status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acked', 'resolved')),"
        " as_of TEXT NOT NULL, created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL,"
        " resolved_at TEXT, run_id INTEGER NOT NULL);"
        "CREATE INDEX alerts_case ON alerts(case_no, rule_set, rule);"
        "CREATE INDEX alerts_court ON alerts(court, status, created_at);"
        "CREATE INDEX alerts_court_level ON alerts(court) WHERE case_no IS NULL;"
        "CREATE TABLE outbox(id INTEGER PRIMARY KEY,"
        " webhook_id INTEGER NOT NULL REFERENCES webhooks(id),"
        " alert_id INTEGER NOT NULL REFERENCES alerts(id),"
        " event TEXT NOT NULL CHECK (event IN ('firing', 'resolved', 'repeat')),"
        " created_ms INTEGER NOT NULL, message INTEGER);"
        "CREATE INDEX outbox_pending ON outbox(webhook_id, id) WHERE message IS NULL;"
        "CREATE INDEX outbox_alert ON outbox(alert_id, webhook_id, created_ms);"
        "CREATE INDEX outbox_message ON outbox(message) WHERE message IS NOT NULL;"
        "INSERT INTO webhooks(id, name, url, format, max_in_flight, rate_per_s, timeout_ms,"
        " group_window_ms, repeat_interval_ms, send_resolved, retry_schedule, created_at)"
        " VALUES (1, 'w', 'http://x', 'standard', 4, 0, 1000, 0, 0, 1, '1s', 'now');"
        "INSERT INTO webhook_codes(webhook_id, pattern) VALUES (1, '*');" ALERT_INSERT(
            5, "k5", "warning", "open")
            ALERT_INSERT(9, "k9", "critical",
                         "resolved") "INSERT INTO outbox VALUES (3, 1, 5, 'firing', 10, 7), (4, 1, "
                                     "9, 'resolved', 11, NULL);"
                                     "PRAGMA user_version=16;");

    cr_db *db = open_migrated_from(16);
    sqlite3 *h = db_handle(db);
    const char *alerts = "SELECT group_concat(id || '|' || dedup_key || '|' || severity || '|' ||"
                         " status, ' ') FROM (SELECT * FROM alerts ORDER BY id)";
    const char *outbox = "SELECT group_concat(id || '|' || alert_id || '|' || event || '|' ||"
                         " coalesce(message, '-'), ' ') FROM (SELECT * FROM outbox ORDER BY id)";
    expect_text(h, alerts, "5|k5|warning|open 9|k9|critical|resolved");
    expect_text(h, outbox, "3|5|firing|7 4|9|resolved|-"); /* nothing queued by the move */
    expect_text(h,
                "SELECT (SELECT count(*) FROM pragma_foreign_key_check) || '|' ||"
                " (SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN"
                "  ('alerts_case', 'alerts_court', 'alerts_court_level', 'outbox_pending',"
                "   'outbox_alert', 'outbox_message')) || '|' ||"
                " (SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                "  AND name LIKE '%_copy')",
                "0|6|0");
    /* no temporary b-tree for the CHECKs any more */
    assert_int_equal(count_opcode(h, ALERT_INSERT(12, "k12", "info", "open"), "OpenEphemeral"), 0);
    assert_int_equal(count_opcode(h,
                                  "INSERT INTO outbox(webhook_id, alert_id, event, created_ms)"
                                  " VALUES (1, 5, 'repeat', 12)",
                                  "OpenEphemeral"),
                     0);
    /* the triggers queue a new alert and a resolution, once each */
    assert_int_equal(sqlite3_exec(h, ALERT_INSERT(12, "k12", "info", "open"), NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(h, "UPDATE alerts SET status = 'resolved' WHERE id = 12", NULL, NULL, NULL),
        SQLITE_OK);
    expect_text(h,
                "SELECT group_concat(alert_id || '|' || event, ' ') FROM"
                " (SELECT * FROM outbox WHERE id > 4 ORDER BY id)",
                "12|firing 12|resolved");
    /* the CHECKs still refuse other values, and the foreign key holds */
    assert_int_equal(
        sqlite3_exec(h, "UPDATE alerts SET severity = 'fatal' WHERE id = 5", NULL, NULL, NULL),
        SQLITE_CONSTRAINT_CHECK);
    assert_int_equal(
        sqlite3_exec(h, "UPDATE alerts SET status = 'gone' WHERE id = 5", NULL, NULL, NULL),
        SQLITE_CONSTRAINT_CHECK);
    assert_int_equal(
        sqlite3_exec(h, "UPDATE outbox SET event = 'lost' WHERE id = 3", NULL, NULL, NULL),
        SQLITE_CONSTRAINT_CHECK);
    assert_int_equal(sqlite3_exec(h, "DELETE FROM alerts WHERE id = 5", NULL, NULL, NULL),
                     SQLITE_CONSTRAINT_FOREIGNKEY);
    assert_int_equal(db_integrity_check(db, &err), CR_OK);
    db_close(db);
}

static void not_a_database_is_reported(void **state)
{
    FILE *f = fopen(path, "w");
    fputs("this is not sqlite, just text that is long enough to have a header.........", f);
    fclose(f);
    cr_db *db;
    cr_err err;
    assert_int_not_equal(db_open(path, DB_OPEN_EXISTING, &db, &err), CR_OK);
    assert_non_null(strstr(err.msg, path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fresh_database_migrates_to_current, setup, teardown),
        cmocka_unit_test_setup_teardown(existing_mode_needs_a_migrated_file, setup, teardown),
        cmocka_unit_test_setup_teardown(newer_schema_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(pragmas_are_set, setup, teardown),
        cmocka_unit_test_setup_teardown(transactions_roll_back, setup, teardown),
        cmocka_unit_test_setup_teardown(not_a_database_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(evaluations_survive_rowid_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(messages_survive_check_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(case_judges_filled_by_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(case_judges_follow_ingest, setup, teardown),
        cmocka_unit_test_setup_teardown(cases_court_gains_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(case_day_counts_filled_by_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(alerts_survive_check_migration, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
