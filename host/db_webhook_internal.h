/*
 * db_webhook_internal.h -- shared by db_webhook*.c only.
 */
#ifndef COURTRULES_DB_WEBHOOK_INTERNAL_H
#define COURTRULES_DB_WEBHOOK_INTERNAL_H

#include <jansson.h>
#include <sqlite3.h>

#include "db_webhook.h"

/* Which endpoints an alert `a` goes to; the same test as the outbox
 * triggers of migration 5 (w = webhooks). */
#define MATCHES(a)                                                                                 \
    " w.removed_at IS NULL"                                                                        \
    " AND substr(" a ".court, 1, length(w.court_prefix)) = w.court_prefix"                         \
    " AND (CASE " a ".severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END)"           \
    "     >= w.min_severity"                                                                       \
    " AND EXISTS (SELECT 1 FROM webhook_codes c WHERE c.webhook_id = w.id"                         \
    "             AND " a ".code GLOB c.pattern)"

/* Runs a one-off statement with integer parameters ?1.. (n of them) and
 * adds its change count to *changes (may be NULL). */
cr_status db_webhook_exec(cr_db *db, const char *sql, const int64_t *params, int n,
                          int64_t *changes, const char *what, cr_err *err);

/* Column col as text into out (cap bytes; "" for NULL). */
void db_webhook_copy_col(sqlite3_stmt *st, int col, char *out, size_t cap);

/* obj[key] = column col as a JSON string, or null. */
void db_webhook_set_text(json_t *obj, const char *key, sqlite3_stmt *st, int col);

#endif
