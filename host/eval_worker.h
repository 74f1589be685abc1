/*
 * eval_worker.h -- the Lua side of evaluation, run on worker threads.
 *
 * A worker owns its own copy of the rule sets (its own sandboxes) and turns
 * a case into effects: per applicable rule, a result or a failure, and the
 * alerts the rule raised. Workers never touch the database; the evaluator's
 * writer thread stores the effects (eval_store.c).
 */
#ifndef COURTRULES_EVAL_WORKER_H
#define COURTRULES_EVAL_WORKER_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#include "calendar.h"
#include "luaapi.h"
#include "luajson_text.h"
#include "rules.h"

typedef enum effect_kind {
    EFFECT_OK,         /* value_len (and maybe log_json, alerts) are set */
    EFFECT_FAILED,     /* fail_kind and reason are set */
    EFFECT_QUARANTINED /* the rule was skipped */
} effect_kind;

typedef struct effect {
    unsigned set, rule;
    effect_kind kind;
    /* The result's JSON text: bytes [value_at, value_at + value_len) of the
     * worker's buffer while the worker runs the case (eval_worker_case
     * copies them into results_json), and the log array's text (owned; NULL
     * when the rule logged nothing). */
    size_t value_at, value_len;
    char *log_json;
    luaapi_alerts alerts;  /* from ctx.alert (owned; n 0 when none) */
    const char *fail_kind; /* static: "error", "instructions", "memory", "result", "case" … */
    char *reason;          /* owned */
    int64_t duration_us;
} effect;

/* A case, or a court (case_no NULL, doc the court record with its staffing,
 * events NULL): the subject of on_case or on_court hooks. */
typedef struct work_case {
    char *case_no, *court, *doc, *events; /* owned copies, or pointers into block */
    char *block; /* when set, the one allocation holding all four strings (the evaluator's
                    reader copies a case at once: one malloc instead of four) */
    /* When doc_tree is set (the API's triage, which has just validated the
     * case), the case is read from it and events_tree (an array; NULL reads
     * as empty), both borrowed, instead of from doc and events: the text is
     * not written only to be parsed again in every rule set's state. */
    const json_t *doc_tree, *events_tree;
    int64_t changed_batch;
    int date_dependent; /* some rule read ctx.as_of */
    effect *effects;
    size_t n_effects, cap_effects;
    /* Encoded by the worker once all rules ran, so the writer only stores:
     * the results array (db_eval_put_evaluation) and the "set/rule" names of
     * the rules that failed or were skipped, whose open alerts stay open
     * (db_eval_resolve_stale). NULL if out of memory. */
    char *results_json; /* the results as the API shows them (and court rows are stored); NULL for a
                           case when store_only */
    /* The results as evaluations.results stores them (flags->ids set: there
     * is a run to store into), each rule named by its rule_versions id:
     * [{"r":ID,"v":VALUE,"us":N}, {"r":ID,"status":"failed","reason":…,
     * "us":N}, …] -- about a third of the verbose form's bytes. */
    char *stored_json;
    char *kept_rules_json;
} work_case;

/* Per (set, rule) quarantine flags shared by all workers, indexed
 * flag_base[set] + rule. Set by the writer, read by workers. */
typedef struct rule_flags {
    atomic_int *quarantined;
    size_t *base; /* per set */
    /* The rule_versions id of each (set, rule), indexed like quarantined;
     * NULL when nothing is stored (then no stored_json is made). */
    int64_t *ids;
} rule_flags;

/* Allocates f->base -- each set's first index among all the rules, and at
 * [rs->n] the number of rules -- and f->quarantined, all clear (ids is left
 * alone). Returns the number of rules; on out of memory a NULL base or
 * quarantined tells. The caller frees both. */
size_t rule_flags_alloc(rule_flags *f, const rule_sets *rs);

typedef struct eval_worker {
    rule_sets *rs;
    const char *as_of;
    const rule_flags *flags;
    luaapi_call call;
    struct ctx_cache *ctx;      /* per set: ctx by the list of covering sets (params differ) */
    struct court_rules *court;  /* the rules of the last case's court (eval_worker.c) */
    const calendar *cal;        /* may be NULL */
    cr_db *query_db;            /* this worker's query-only connection */
    luaapi_query_scope *scopes; /* per set: what its ctx.query may reach */
    luajson_buffer values;      /* the current case's result values, end to end */
    int store_only;             /* cases get stored_json only, no results_json (eval runs) */
    /* Per rule, the start of its verbose result up to the status,
     * {"rule_set":…,"rule":…,"rule_version":…,"status":" -- written once:
     * bytes [head_at[i], head_at[i + 1]) of heads for i = flags->base[set]
     * + rule. */
    char *heads;
    size_t *head_at;
    /* Per rule, indexed like flags->quarantined: how many of its latest
     * calls in a row had to be made again with the count hook
     * (sandbox_call_replayable); from RUNS_LONG_AFTER on, its calls are made
     * hooked at once (see run_rule). */
    unsigned char *runs_long;
    int64_t reruns; /* this worker's calls made again that way */
} eval_worker;

/* Builds each set's ctx; db_path (may be NULL: no ctx.query) is opened
 * query-only for this worker's queries. */
cr_status eval_worker_init(eval_worker *w, rule_sets *rs, const char *as_of,
                           const rule_flags *flags, const calendar *cal, const char *db_path,
                           cr_err *err);
void eval_worker_free(eval_worker *w);

/* Evaluates one case (or court): appends one effect per applicable rule
 * having the matching hook. Never fails:
 * whatever goes wrong becomes a failure effect (out of memory included). */
void eval_worker_case(eval_worker *w, work_case *c);

/* Calls one function of rule r of set s -- fn_ref, a registry reference in
 * the set's state (a schedule's run) -- on the court c (doc: the court
 * record, case_no NULL) with the court's ctx, as on_court is called;
 * appends its one effect (none if the rule is quarantined in flags: then
 * EFFECT_QUARANTINED) and encodes c->results_json as eval_worker_case
 * does (one element). Never fails, like eval_worker_case. */
void eval_worker_call(eval_worker *w, work_case *c, unsigned s, unsigned r, int fn_ref);

void work_case_clear(work_case *c);

#endif
