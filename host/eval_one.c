/*
 * eval_one.c -- one case, evaluated and stored by a caller that keeps its
 * own worker (the HTTP API's evaluation slots), as eval_run stores each
 * case of a run.
 */
#include "eval_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

cr_status eval_one(cr_db *db, eval_worker *w, work_case *wc, const eval_options *opt,
                   eval_summary *sum, cr_err *err)
{
    memset(sum, 0, sizeof *sum);
    double started = now_seconds();
    rule_sets *rs = w->rs;
    eval_writer wr = {.db = db, .rs = rs, .opt = opt, .sum = sum, .kept_unloaded = json_array()};
    size_t n_rules = 0;
    wr.flags.base = calloc(rs->n + 1, sizeof *wr.flags.base);
    for (size_t s = 0; wr.flags.base && s < rs->n; s++) {
        wr.flags.base[s] = n_rules;
        n_rules += rs->sets[s].n_rules;
    }
    wr.flags.quarantined = calloc(n_rules + 1, sizeof *wr.flags.quarantined);
    wr.flags.ids = calloc(n_rules + 1, sizeof *wr.flags.ids);
    wr.consecutive = calloc(n_rules + 1, sizeof *wr.consecutive);
    for (size_t i = 0; wr.consecutive && i < n_rules; i++)
        wr.consecutive[i] = -1;
    char scope[256];
    snprintf(scope, sizeof scope, "case %s", wc->case_no);
    cr_status st = CR_OK;
    if (!wr.flags.base || !wr.flags.quarantined || !wr.flags.ids || !wr.consecutive ||
        !wr.kept_unloaded)
        st = cr_errf(err, CR_FAIL, "out of memory");
    if (st == CR_OK)
        st = eval_start_run(&wr, scope, err); /* reads the quarantines into wr.flags */
    sum->run_id = wr.run_id;
    if (st == CR_OK) {
        /* The worker runs with this run's quarantines, as eval_run's do. */
        const rule_flags *kept_flags = w->flags;
        w->flags = &wr.flags;
        eval_worker_case(w, wc);
        w->flags = kept_flags;
        st = db_begin(db, err);
    }
    if (st == CR_OK) {
        st = eval_store_case(&wr, wc, err);
        if (st == CR_OK)
            sum->cases = 1;
        sum->seconds = now_seconds() - started;
        json_t *summary = st == CR_OK ? eval_summary_json(sum) : NULL;
        char *text = NULL;
        if (summary) {
            json_object_set_new(summary, "as_of", json_string(opt->as_of));
            json_object_set_new(summary, "rules_fingerprint", json_string(rs->fingerprint));
            json_object_set_new(summary, "workers", json_integer(1));
            json_t *versions = json_object();
            for (size_t k = 0; k < rs->n; k++)
                json_object_set_new(versions, rs->sets[k].name, json_string(rs->sets[k].sha256));
            json_object_set_new(summary, "rule_sets", versions);
            text = json_dumps(summary, JSON_COMPACT | JSON_SORT_KEYS);
            json_decref(summary);
            if (!text)
                st = cr_errf(err, CR_FAIL, "out of memory");
        }
        if (st == CR_OK)
            st = db_eval_run_close(db, wr.run_id, text, err);
        if (st == CR_OK)
            st = eval_update_mark(db, 0, rs->fingerprint, 0, err); /* one case */
        if (st == CR_OK)
            st = audit_append(db, opt->actor ? opt->actor : audit_cli_actor(), "eval.run", scope,
                              text, NULL, err);
        free(text);
        if (st == CR_OK)
            st = db_commit(db, err);
        else
            db_rollback(db);
    }
    free(wr.flags.base);
    free(wr.flags.quarantined);
    free(wr.flags.ids);
    free(wr.consecutive);
    eval_case_set_free(&wr.open_alerts);
    json_decref(wr.kept_unloaded);
    return st;
}
