/*
 * ruletest_internal.h -- what the rule-test files share; not for other modules.
 *
 * ruletest.c        the run: where the tests are, building each ctx, calling
 *                   the rule, the report
 * ruletest_plan.c   reading and checking test files into a plan of cases
 * ruletest_match.c  an outcome against what the case expects; the messages
 * ruletest_cov.c    line coverage of the rule scripts
 * ruletest_data.c   the tests' data: the case under test as ingest would
 *                   see it, temporary databases for ctx.query
 */
#ifndef COURTRULES_RULETEST_INTERNAL_H
#define COURTRULES_RULETEST_INTERNAL_H

#include <limits.h>
#include <stddef.h>

#include <jansson.h>

#include "db.h"
#include "err.h"
#include "luaapi.h"
#include "rules.h"
#include "ruletest.h"

/* ---- growing text, for messages (ruletest_match.c) ---- */

/* {0} is empty; s is malloc'd (NULL until something is written), the
 * holder frees it. */
typedef struct ruletest_text {
    char *s;
    size_t len, cap;
} ruletest_text;

/* Appends formatted text; out of memory leaves t as it was. */
void ruletest_text_addf(ruletest_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- the plan: test files read and checked (ruletest_plan.c) ---- */

typedef struct ruletest_entry {
    const char *file;                        /* the test file, for messages */
    const rule_set *owner;                   /* the set whose tests/ holds it */
    const char *name, *rule, *as_of, *court; /* court NULL: the case's */
    const char *court_code;                  /* a court-level test (on_court), else NULL */
    const char *schedule;                    /* with court_code: that schedule's run, not on_court */
    const json_t *case_spec;                 /* borrowed from the file's value; NULL for a
                                                court-level test */
    const json_t *expect;                    /* object or NULL */
    json_t *alert_patterns;                  /* expect.alerts as patterns (owned), or NULL */
    const char *db_path;                     /* the database of its data (owned by the
                                                plan), or NULL: no data, no ctx.query */
} ruletest_entry;

typedef struct ruletest_file {
    char *path;
    json_t *value;
} ruletest_file;

/* ---- the tests' data (ruletest_data.c) ---- */

/* Temporary databases, in one directory made on first use. Starts {0}. */
typedef struct ruletest_dbs {
    char dir[PATH_MAX]; /* "" until made */
    char **paths;
    size_t n;
} ruletest_dbs;

/*
 * Makes a new database in dbs's directory and stores base's records, then
 * extra's, as `courtrules ingest` stores a file each (validated, references
 * checked, a key once per list; extra may replace base's records). Either
 * list may be NULL. *path (owned by dbs) names the database. CR_INVALID
 * reads "FILE: WHERE[i] (type 'key'): field: reason", WHERE being
 * base_where or extra_where ("data", "cases[2].data"); CR_FAIL when the
 * database cannot be made.
 */
cr_status ruletest_data_build(ruletest_dbs *dbs, const char *file, const json_t *base,
                              const char *base_where, const json_t *extra, const char *extra_where,
                              const char **path, cr_err *err);

/* Removes the databases and their directory. */
void ruletest_data_free(ruletest_dbs *dbs);

/* The court's record as on_court gets it (with its staffing), or NULL in
 * *court when the database has no such court. */
cr_status ruletest_data_court(cr_db *db, const char *code, json_t **court, cr_err *err);

/* The case table's data: the fixture validated as ingest validates a
 * record (no reference checks) and normalized, with its events (ids T1,
 * T2, ... where not given) in stored order. NULL with the reason in why. */
json_t *ruletest_build_case(const json_t *spec, ruletest_text *why);

/* Starts {0}; entries borrow from files and dbs, so all go with
 * ruletest_plan_free. */
typedef struct ruletest_plan {
    ruletest_file *files;
    size_t n_files;
    ruletest_entry *tests;
    size_t n_tests;
    ruletest_dbs dbs;
} ruletest_plan;

/*
 * Reads and checks the test files of set -- tests/ *.lua in name order,
 * leaving out helpers (_*.lua), or only the one named `only` if not NULL --
 * and adds their cases to p, with a database for each file's data and each
 * case's own data. A set without tests/ adds nothing. CR_INVALID names the
 * file (and the field, or the data record) of a test file that fails to run
 * or is malformed; CR_FAIL when out of memory or a sandbox or database
 * cannot be made. What was added before an error stays in p.
 */
cr_status ruletest_plan_set(ruletest_plan *p, const rule_set *set, const char *only, cr_err *err);

void ruletest_plan_free(ruletest_plan *p);

/* luajson turns an empty table into []: where an object is meant, that is {}. */
static inline int ruletest_is_table(const json_t *v)
{
    return json_is_object(v) || (json_is_array(v) && json_array_size(v) == 0);
}

/* ---- matching (ruletest_match.c) ---- */

/*
 * Compares a call that returned (value, and the alerts and log in call)
 * with what t expects; each difference is appended to diff ("; " between),
 * so diff stays empty if the test passes.
 */
void ruletest_check_outcome(const ruletest_entry *t, const json_t *value, const luaapi_call *call,
                            ruletest_text *diff);

/*
 * A call that failed: why holds its reason on entry and, on return, why
 * the test fails -- empty if t expects an error whose text the reason
 * contains.
 */
void ruletest_check_failure(const ruletest_entry *t, ruletest_text *why);

/* ---- coverage (ruletest_cov.c) ---- */

struct ruletest_cov_file;

/* Starts {0}; free with ruletest_cov_free whatever ruletest_cov_init returns. */
typedef struct ruletest_cov {
    struct ruletest_cov_file *files;
    size_t n;
    const char *last_source; /* cache: the chunk name last seen and its file */
    struct ruletest_cov_file *last;
} ruletest_cov;

/*
 * Finds the lines with code of every rule script of rs and installs the
 * line hook that marks them run in each set's sandbox (cov must outlive
 * the hook). Scripts of the set in folder set_folder ("" = every set) are
 * the ones reported. CR_FAIL naming the script if it cannot be read or
 * compiled, or when out of memory.
 */
cr_status ruletest_cov_init(ruletest_cov *cov, rule_sets *rs, const char *set_folder, cr_err *err);

/* The report's "coverage" section; *all_ok is 0 if a reported script has
 * less than min percent of its lines covered. */
json_t *ruletest_cov_report(const ruletest_cov *cov, double min, int *all_ok);

void ruletest_cov_free(ruletest_cov *cov);

/* ---- the run (ruletest.c) ---- */

/* Is set the one in folder `folder` of the rules directory? */
int ruletest_set_in_folder(const rule_set *set, const char *folder);

#endif
