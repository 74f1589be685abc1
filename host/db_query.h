/*
 * db_query.h -- the read-only queries rule scripts may make (ctx.query),
 * over a connection opened with DB_OPEN_QUERY_ONLY. Part of the storage
 * module. Every query is limited to a court-code prefix; the Lua API checks
 * that the prefix lies inside the calling rule set's scope.
 */
#ifndef COURTRULES_DB_QUERY_H
#define COURTRULES_DB_QUERY_H

#include <jansson.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

#define DB_QUERY_MAX_ROWS 10000 /* largest list one query returns */

/* Case filters; NULL fields do not filter. Dates are "YYYY-MM-DD", ranges
 * inclusive. court is a court-code prefix ("" = every court). */
typedef struct db_case_filter {
    const char *court;
    int exact_court; /* 1: court is one court's code, not a prefix */
    const char *status, *kind, *procedure, *type_code, *cause;
    const char *filed_from, *filed_to, *closed_from, *closed_to;
    const char *judge; /* a person id among judges or presiding */
} db_case_filter;

cr_status db_query_count_cases(cr_db *db, const db_case_filter *f, int64_t *count, cr_err *err);
/* Case documents (without events), in case-number order, at most limit. */
cr_status db_query_cases(cr_db *db, const db_case_filter *f, int64_t limit, json_t **out,
                         cr_err *err);
/* In the functions below, exact = 1 makes prefix one court's code. */

/* Court documents whose code starts with prefix, each with "staffing": the
 * stored per-year figures. */
cr_status db_query_courts(cr_db *db, const char *prefix, int exact, json_t **out, cr_err *err);
/* People of courts under prefix; role (may be NULL) keeps those holding it;
 * in_quota -1 any, 0 or 1. */
cr_status db_query_people(cr_db *db, const char *prefix, int exact, const char *role,
                          int in_quota, json_t **out, cr_err *err);
/* Events under prefix; event kind and [from, to] dates may be NULL. */
cr_status db_query_count_events(cr_db *db, const char *prefix, int exact, const char *event,
                                const char *from, const char *to, int64_t *count, cr_err *err);
/* The event records themselves (with their court), in time order, at most
 * limit (<= DB_QUERY_MAX_ROWS). */
cr_status db_query_events(cr_db *db, const char *prefix, int exact, const char *event,
                          const char *from, const char *to, int64_t limit, json_t **out,
                          cr_err *err);

#endif
