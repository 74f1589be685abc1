/*
 * db_internal.h -- shared by the storage module's files only (db*.c).
 */
#ifndef COURTRULES_DB_INTERNAL_H
#define COURTRULES_DB_INTERNAL_H

#include <sqlite3.h>

#include "db.h"

struct db_records_stmts; /* db_records.c */
struct db_audit_stmts;   /* db_audit.c */
struct db_eval_stmts;    /* db_eval.c */
struct db_webhook_stmts; /* db_webhook.c */

struct cr_db {
    sqlite3 *sql;
    char path[1024];
    int in_tx;
    struct db_records_stmts *records;
    struct db_audit_stmts *audit;
    struct db_eval_stmts *eval;
    struct db_webhook_stmts *webhook;
};

cr_status db_exec(cr_db *db, const char *sql, cr_err *err);

/* A cached statement: prepared (persistent) on first use into *slot, reset
 * with bindings cleared on every later use. NULL with err set on failure. */
sqlite3_stmt *db_stmt(cr_db *db, sqlite3_stmt **slot, const char *sql, cr_err *err);
/* Binds s (not copied: it must outlive the step), or NULL as SQL NULL. */
void db_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Steps a statement to completion (rows are ignored), then resets it and
 * clears its bindings. CR_FAIL naming `what` on error. */
cr_status db_step_done(cr_db *db, sqlite3_stmt *st, const char *what, cr_err *err);
cr_status db_sqlerr(cr_db *db, cr_err *err, const char *what);

/* The same 案号 with the other kind of parentheses (db_eval.c): ingest
 * accepts ASCII and full-width ones and stores the number as given, so a
 * user may type either. Returns a malloc'd string, or NULL (no parentheses
 * to swap, or no memory). */
char *db_other_parentheses(const char *case_no);

/* The db->eval cache slot of a case selection's statement (an enum
 * db_case_select), which db_eval_cases.c's iterators borrow; NULL with err
 * set if out of memory. */
sqlite3_stmt **db_eval_case_slot(cr_db *db, int select, cr_err *err);

/* Each file finalizes its own prepared statements on close. */
void db_records_finalize(cr_db *db);
void db_audit_finalize(cr_db *db);
void db_eval_finalize(cr_db *db);
void db_webhook_finalize(cr_db *db);

#endif
