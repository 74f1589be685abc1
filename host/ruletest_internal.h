/*
 * ruletest_internal.h -- what the rule-test files share; not for other modules.
 *
 * ruletest.c        the run: where the tests are, building each case and ctx,
 *                   calling its rule, the report
 * ruletest_plan.c   reading and checking test files into a plan of cases
 * ruletest_match.c  an outcome against what the case expects; the messages
 * ruletest_cov.c    line coverage of the rule scripts
 */
#ifndef COURTRULES_RULETEST_INTERNAL_H
#define COURTRULES_RULETEST_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

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
    const json_t *case_spec;                 /* borrowed from the file's value */
    const json_t *expect;                    /* object or NULL */
    json_t *alert_patterns;                  /* expect.alerts as patterns (owned), or NULL */
} ruletest_entry;

typedef struct ruletest_file {
    char *path;
    json_t *value;
} ruletest_file;

/* Starts {0}; entries borrow from files, so both go with ruletest_plan_free. */
typedef struct ruletest_plan {
    ruletest_file *files;
    size_t n_files;
    ruletest_entry *tests;
    size_t n_tests;
} ruletest_plan;

/*
 * Reads and checks the test files of set -- tests/ *.lua in name order,
 * leaving out helpers (_*.lua), or only the one named `only` if not NULL --
 * and adds their cases to p. A set without tests/ adds nothing. CR_INVALID
 * names the file (and the field) of a test file that fails to run or is
 * malformed; CR_FAIL when out of memory or a sandbox cannot be made. What
 * was added before an error stays in p.
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
