/*
 * sched_run.c -- one scheduler pass: plan, run and persist each schedule's
 * due fire times (sched_run.h).
 */
#include "sched_run.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db_eval.h"
#include "db_query.h"
#include "db_sched.h"
#include "eval_worker.h"
#include "jsontext.h"
#include "sched.h"
#include "tz.h"

#define MAX_RULES_PER_COURT 256

/* What a pass shares across schedules. */
typedef struct pass {
    cr_db *db;
    rule_sets *rs;
    const sched_run_options *opt;
    sched_run_summary *sum;
    rule_flags flags; /* all clear: quarantine is checked per schedule */
    int64_t grace, lease;
} pass;

/* One schedule being handled. */
typedef struct job {
    unsigned s, r;
    const rule_set *set;
    const rule *rule;
    const rule_schedule *sc;
    sched_cron cron;
    cr_tz *tz;
    db_sched_key key;
    char key_prefix[3 * RULE_NAME_MAX + 4]; /* "set/rule@schedule:" */
} job;

static void add_event(pass *p, const job *j, const char *fire, const char *status,
                      json_int_t courts, json_int_t failed, const char *reason, int64_t run_id,
                      json_int_t created)
{
    json_t *e = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:I, s:I}", "rule_set", j->set->name, "rule",
                          j->rule->name, "schedule", j->sc->name, "fire", fire, "status", status,
                          "courts", courts, "failed", failed);
    if (!e)
        return;
    if (reason)
        json_object_set_new(e, "reason", json_string(reason));
    if (run_id >= 0) {
        json_object_set_new(e, "run_id", json_integer(run_id));
        json_object_set_new(e, "alerts_created", json_integer(created));
    }
    json_array_append_new(p->sum->events, e);
}

/* Does rule (s, r) apply to court (not replaced or disabled there)? */
static int applies(const rule_sets *rs, unsigned s, unsigned r, const char *court)
{
    rule_ref refs[MAX_RULES_PER_COURT];
    size_t n = rules_for_court(rs, court, refs, MAX_RULES_PER_COURT);
    for (size_t i = 0; i < n; i++)
        if (refs[i].set == s && refs[i].rule == r)
            return 1;
    return 0;
}

static cr_status store_alerts(pass *p, const job *j, int64_t run_id, const char *as_of,
                              const work_case *c, const effect *e, json_int_t *created, cr_err *err)
{
    for (size_t i = 0; i < e->alerts.n; i++) {
        const luaapi_alert *a = &e->alerts.v[i];
        const char *code = a->code, *given = a->dedup_key;
        char key[640];
        if (given)
            snprintf(key, sizeof key, "%s%s", j->key_prefix, given);
        else
            snprintf(key, sizeof key, "%s%s:%s", j->key_prefix, code, c->court);
        db_alert row = {.dedup_key = key,
                        .rule_set = j->set->name,
                        .rule = j->rule->name,
                        .rule_version = j->rule->version,
                        .rule_set_sha = j->set->sha256,
                        .code = code,
                        .severity = a->severity,
                        .court = c->court,
                        .case_no = NULL,
                        .message = a->message,
                        .basis = a->basis,
                        .data_json = a->data,
                        .as_of = as_of};
        db_alert_outcome outcome;
        cr_status st = db_eval_put_alert(p->db, run_id, &row, &outcome, NULL, err);
        if (st != CR_OK)
            return st;
        if (outcome != DB_ALERT_REPEATED)
            (*created)++;
    }
    return CR_OK;
}

/* Runs fire time `fire` on every court the rule applies to and stores the
 * outcome, the new last fire time (new_last) and missed in one transaction;
 * clears the running mark if last. */
static cr_status run_fire(pass *p, job *j, int64_t fire, int64_t new_last, int64_t missed, int last,
                          cr_err *err)
{
    char fire_text[40], as_of[11];
    sched_format_time(j->tz, fire, fire_text, sizeof fire_text);
    memcpy(as_of, fire_text, 10);
    as_of[10] = 0;
    const char *scope = strcmp(j->set->scope, "*") == 0 ? "" : j->set->scope;
    json_t *courts = NULL;
    cr_status st = db_query_courts(p->db, scope, 0, &courts, err);
    if (st != CR_OK)
        return st;
    size_t n_courts = json_array_size(courts), n_done = 0;
    work_case *cases = calloc(n_courts ? n_courts : 1, sizeof *cases);
    eval_worker w;
    int worker_ready = 0;
    if (!cases)
        st = cr_errf(err, CR_FAIL, "out of memory");
    if (st == CR_OK) {
        st = eval_worker_init(&w, p->rs, as_of, &p->flags, p->opt->cal, db_path(p->db), err);
        worker_ready = 1;
    }
    for (size_t i = 0; st == CR_OK && i < n_courts; i++) {
        json_t *court = json_array_get(courts, i);
        const char *code = json_string_value(json_object_get(court, "code"));
        if (!code || !applies(p->rs, j->s, j->r, code))
            continue;
        work_case *c = &cases[n_done++];
        c->court = strdup(code);
        c->doc = jsontext_dumps(court, JSON_COMPACT, NULL);
        if (!c->court || !c->doc)
            st = cr_errf(err, CR_FAIL, "out of memory");
        else
            eval_worker_call(&w, c, j->s, j->r, j->sc->run_ref);
    }
    if (worker_ready)
        eval_worker_free(&w);
    json_decref(courts);

    int64_t run_id = -1;
    json_int_t failed = 0, created = 0;
    int64_t resolved = 0;
    char subject[3 * RULE_NAME_MAX + 4], scope_text[256], first_failure[700] = "";
    snprintf(subject, sizeof subject, "%s/%s@%s", j->set->name, j->rule->name, j->sc->name);
    snprintf(scope_text, sizeof scope_text, "schedule %s %s", subject, fire_text);
    json_t *results = json_object();
    if (st == CR_OK)
        st = db_begin(p->db, err);
    if (st == CR_OK)
        st = db_eval_run_open(p->db, as_of, scope_text, &run_id, err);
    for (size_t i = 0; st == CR_OK && i < n_done; i++) {
        const work_case *c = &cases[i];
        if (!c->n_effects)
            continue;
        const effect *e = &c->effects[0];
        if (e->kind == EFFECT_OK) {
            if (e->alerts.n)
                st = store_alerts(p, j, run_id, as_of, c, e, &created, err);
            int64_t n = 0;
            if (st == CR_OK)
                st = db_sched_resolve_stale(p->db, run_id, c->court, j->key_prefix, &n, err);
            resolved += n;
            /* results_json: [{rule_set, rule, ..., result: {value, log?}}] */
            json_error_t jerr;
            json_t *all = c->results_json ? json_loads(c->results_json, 0, &jerr) : NULL;
            json_t *value =
                json_object_get(json_object_get(json_array_get(all, 0), "result"), "value");
            json_object_set_new(results, c->court, value ? json_incref(value) : json_null());
            json_decref(all);
        } else if (e->kind == EFFECT_FAILED) {
            char reason[1200];
            snprintf(reason, sizeof reason, "schedule %s at %s, court %s: %s", j->sc->name,
                     fire_text, c->court, e->reason ? e->reason : "unknown");
            if (!failed++)
                snprintf(first_failure, sizeof first_failure, "court %s: %.600s", c->court,
                         e->reason ? e->reason : "unknown");
            st = db_eval_put_failure(p->db, run_id, j->set->name, j->rule->name, NULL, e->fail_kind,
                                     reason, err);
        }
    }
    char reason[900];
    if (failed)
        snprintf(reason, sizeof reason, "%lld of %zu courts failed; first: %s", (long long)failed,
                 n_done, first_failure);
    db_sched_outcome o = {.last_fire = new_last,
                          .status = failed ? "failed" : "ok",
                          .reason = failed ? reason : NULL,
                          .run_id = run_id,
                          .ran = 1,
                          .missed = missed,
                          .cron = j->sc->cron,
                          .tz = j->sc->tz};
    if (st == CR_OK)
        st = db_sched_record(p->db, &j->key, &o, err);
    if (st == CR_OK && last)
        st = db_sched_set_running(p->db, &j->key, -1, err);
    if (st == CR_OK) {
        json_t *summary =
            json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o}", "schedule", subject, "cron",
                      j->sc->cron, "tz", j->sc->tz, "fire", fire_text, "courts", (json_int_t)n_done,
                      "failed", failed, "alerts_created", created, "alerts_resolved",
                      (json_int_t)resolved, "results", results);
        results = NULL; /* stolen by the pack */
        char *text = summary ? json_dumps(summary, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(summary);
        st = text ? db_eval_run_close(p->db, run_id, text, err)
                  : cr_errf(err, CR_FAIL, "out of memory");
        if (st == CR_OK)
            st = audit_append(p->db, p->opt->actor ? p->opt->actor : audit_cli_actor(),
                              "schedule.run", subject, text, NULL, err);
        free(text);
    }
    json_decref(results);
    if (st == CR_OK)
        st = db_commit(p->db, err);
    else
        db_rollback(p->db);
    for (size_t i = 0; i < n_done; i++)
        work_case_clear(&cases[i]);
    free(cases);
    if (st == CR_OK) {
        p->sum->runs++;
        p->sum->failed_runs += failed != 0;
        p->sum->missed += missed;
        p->sum->alerts_created += created;
        p->sum->alerts_resolved += resolved;
        add_event(p, j, fire_text, failed ? "failed" : "ok", (json_int_t)n_done, failed,
                  failed ? reason : NULL, run_id, created);
    }
    return st;
}

/* Records a decision that runs nothing (skipped or quarantined). */
static cr_status record_only(pass *p, job *j, const sched_plan *plan, const char *status,
                             const char *reason, cr_err *err)
{
    db_sched_outcome o = {.last_fire = plan->latest,
                          .status = status,
                          .reason = reason,
                          .run_id = -1,
                          .missed = plan->missed + (int64_t)plan->n_run,
                          .cron = j->sc->cron,
                          .tz = j->sc->tz};
    cr_status st = db_sched_record(p->db, &j->key, &o, err);
    if (st == CR_OK) {
        p->sum->missed += o.missed;
        char fire[40];
        sched_format_time(j->tz, plan->latest, fire, sizeof fire);
        add_event(p, j, fire, status, 0, 0, reason, -1, 0);
    }
    return st;
}

static cr_status run_schedule(pass *p, job *j, cr_err *err)
{
    const sched_run_options *opt = p->opt;
    db_sched_state state;
    cr_status st = db_begin(p->db, err);
    if (st == CR_OK)
        st = db_sched_get(p->db, &j->key, &state, err);
    if (st == CR_OK && !state.exists) {
        state.seen_from = opt->now - p->grace;
        st = db_sched_init(p->db, &j->key, j->sc->cron, j->sc->tz, state.seen_from, err);
    }
    if (st != CR_OK) {
        db_rollback(p->db);
        return st;
    }
    if (state.running_since >= 0 && opt->now - state.running_since < p->lease) {
        p->sum->skipped_running++;
        char since[40];
        sched_format_time(j->tz, state.running_since, since, sizeof since);
        add_event(p, j, since, "running", 0, 0, "another run of this schedule is under way", -1, 0);
        return db_commit(p->db, err);
    }
    sched_policy policy;
    sched_policy_parse(j->sc->catch_up, &policy, NULL); /* validated at load */
    int64_t due[SCHED_CATCH_UP_MAX];
    sched_plan plan;
    sched_plan_due(&j->cron, j->tz, j->sc->workdays_only, opt->cal,
                   state.last_fire >= 0 ? state.last_fire : state.seen_from, opt->now, p->grace,
                   policy, due, SCHED_CATCH_UP_MAX, &plan);
    if (plan.latest < 0)
        return db_commit(p->db, err);
    char why[512];
    int quarantined =
        db_eval_is_quarantined(p->db, j->set->name, j->rule->name, why, sizeof why, err);
    if (quarantined < 0)
        st = CR_FAIL;
    else if (quarantined)
        st = record_only(p, j, &plan, "quarantined",
                         "the rule is quarantined (`courtrules rules release` lifts it)", err);
    else if (plan.n_run == 0)
        st = record_only(p, j, &plan, "skipped",
                         "missed while the scheduler was not running (catch_up = \"skip\")", err);
    else
        st = db_sched_set_running(p->db, &j->key, opt->now, err);
    if (st != CR_OK) {
        db_rollback(p->db);
        return st;
    }
    if ((st = db_commit(p->db, err)) != CR_OK || quarantined || plan.n_run == 0)
        return st;
    for (size_t i = 0; i < plan.n_run && st == CR_OK; i++) {
        int last = i + 1 == plan.n_run;
        st = run_fire(p, j, due[i], last ? plan.latest : due[i], last ? plan.missed : 0, last, err);
    }
    if (st != CR_OK) { /* leave no mark behind: the next pass retries */
        cr_err ignored;
        if (db_begin(p->db, &ignored) == CR_OK &&
            db_sched_set_running(p->db, &j->key, -1, &ignored) == CR_OK)
            db_commit(p->db, &ignored);
        else
            db_rollback(p->db);
    }
    return st;
}

cr_status sched_run_due(cr_db *db, rule_sets *rs, const sched_run_options *opt,
                        sched_run_summary *sum, cr_err *err)
{
    memset(sum, 0, sizeof *sum);
    sum->events = json_array();
    pass p = {.db = db,
              .rs = rs,
              .opt = opt,
              .sum = sum,
              .grace = opt->grace > 0 ? opt->grace : SCHED_DEFAULT_GRACE,
              .lease = opt->lease > 0 ? opt->lease : SCHED_DEFAULT_LEASE};
    rule_flags_alloc(&p.flags, rs);
    cr_status st = p.flags.base && p.flags.quarantined && sum->events
                       ? CR_OK
                       : cr_errf(err, CR_FAIL, "out of memory");
    for (unsigned s = 0; st == CR_OK && s < rs->n; s++) {
        const rule_set *set = &rs->sets[s];
        for (unsigned r = 0; st == CR_OK && r < set->n_rules; r++) {
            const rule *ru = &set->rules[r];
            for (size_t k = 0; st == CR_OK && k < ru->n_schedules; k++) {
                job j = {.s = s, .r = r, .set = set, .rule = ru, .sc = &ru->schedules[k]};
                j.key = (db_sched_key){set->name, ru->name, j.sc->name};
                snprintf(j.key_prefix, sizeof j.key_prefix, "%s/%s@%s:", set->name, ru->name,
                         j.sc->name);
                sum->schedules++;
                /* Both were checked when the rule loaded. */
                if ((st = sched_parse(j.sc->cron, &j.cron, err)) == CR_OK &&
                    (st = tz_load(j.sc->tz, &j.tz, err)) == CR_OK)
                    st = run_schedule(&p, &j, err);
                if (st != CR_OK)
                    cr_err_prefix(err, "schedule %s/%s@%s", set->name, ru->name, j.sc->name);
                tz_free(j.tz);
            }
        }
    }
    free(p.flags.base);
    free(p.flags.quarantined);
    return st;
}
