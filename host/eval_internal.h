/*
 * eval_internal.h -- what the evaluator's files share; not for other modules.
 *
 * eval.c        the run: the reader, worker and writer threads and the ring
 *               of chunks between them
 * eval_store.c  the writer's storing: opening the run, each case's effects
 *               (alerts, failures, quarantine), court-level evaluation
 */
#ifndef COURTRULES_EVAL_INTERNAL_H
#define COURTRULES_EVAL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db.h"
#include "err.h"
#include "eval.h"
#include "eval_worker.h"
#include "rules.h"

/* The cases that had open alerts when the run started: only they can have
 * alerts to resolve, so the others skip that statement. */
typedef struct eval_case_set {
    char **slots;
    size_t cap, n;
    int oom;    /* out of memory while filling: any case may be in it */
    int unread; /* not read (a run of few cases): each case is looked up */
} eval_case_set;

/* Frees the set's copies and leaves it empty ({0}). */
void eval_case_set_free(eval_case_set *cs);

/* The writer's state. Only the calling thread touches it, except flags,
 * which the workers read. */
typedef struct eval_writer {
    cr_db *db;
    rule_sets *rs; /* worker 0's copy: names, versions, sha256 */
    const eval_options *opt;
    /* the cases the run reads: opt->select, or for --changed how they are
     * found (from the mark, every case's state, or every case) */
    enum db_case_select select;
    eval_summary *sum;
    int64_t run_id;
    rule_flags flags;
    int *consecutive; /* per (set, rule), like flags */
    eval_case_set open_alerts;
    /* "set/rule" of rules with open alerts whose script did not load this
     * time: nobody knows whether they still fire, so their alerts stay. */
    json_t *kept_unloaded;
    const rule_set *scanning; /* while collecting kept_unloaded */
} eval_writer;

/* Opens the run, records rule-set versions and load failures, reads
 * quarantines into flags and, for a run over all cases (of a court prefix),
 * the cases with open alerts into open_alerts, in a transaction of its own
 * (rolled back on failure). A run of one case or of the changed ones does
 * not read every open alert for the few it evaluates: open_alerts.unread. */
cr_status eval_start_run(eval_writer *wr, const char *scope, cr_err *err);

/* Stores a case the workers ran: its effects, its evaluation, and the
 * resolution of its stale alerts. Inside the caller's transaction. */
cr_status eval_store_case(eval_writer *wr, work_case *wc, cr_err *err);

/* The courts a run evaluates with on_court hooks, evaluated, to be stored:
 * those under the run's court prefix, less (--changed) those whose
 * evaluation is current, which are only counted. */
typedef struct eval_court_batch {
    work_case *courts; /* n of them, in code order, with their effects */
    size_t n;
    int64_t current;    /* courts left as they are (--changed) */
    int64_t seen_batch; /* the last ingest batch before the courts were read */
} eval_court_batch;

/* Runs the on_court hooks of every court under opt's court prefix with
 * worker w, reading the courts through db (the writer's connection, or any
 * other: nothing a run writes is read), into b. Stores nothing; any thread
 * may call it with a worker of its own. Courts are few; their rules make
 * the aggregate checks (caseload standards, staffing ratios, monthly
 * reports). On failure b is empty. */
cr_status eval_courts_run(cr_db *db, eval_worker *w, const eval_options *opt,
                          const char *fingerprint, eval_court_batch *b, cr_err *err);

/* Stores b's courts like cases (effects, court evaluation, stale court
 * alerts), in b's order. The writer's thread, inside its transaction. */
cr_status eval_courts_store(eval_writer *wr, eval_court_batch *b, cr_err *err);

void eval_court_batch_free(eval_court_batch *b);

/* eval_courts_run on the writer's connection with worker w (idle: every
 * case chunk is stored), then eval_courts_store. */
cr_status eval_courts(eval_writer *wr, eval_worker *w, cr_err *err);

/* Moves the evaluation mark (db_eval.h) after a run: a run over every
 * case (whole: full or --changed, no court prefix) sets it to start_batch,
 * the last batch before the run read any case; a partial run (--court,
 * --case, the API) with rules other than the mark's clears it. In the
 * run's last transaction. */
cr_status eval_update_mark(cr_db *db, int whole, const char *fingerprint, int64_t start_batch,
                           cr_err *err);

#endif
