/*
 * eval_store.c -- the evaluation's writer: what it stores for each case and
 * court the workers ran (effects, alerts, failures, rule health and
 * quarantine, stale alerts resolved), and the run's opening (rule-set
 * versions, activations, load failures, quarantines).
 *
 * Everything here runs on the calling thread, which alone writes (eval.c).
 */
#include "eval_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db_query.h"
#include "jsontext.h"

/* ---- the cases with open alerts ---- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static int case_set_grow(eval_case_set *cs)
{
    size_t cap = cs->cap ? cs->cap * 2 : 1024;
    char **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < cs->cap; i++) {
        if (!cs->slots[i])
            continue;
        size_t j = hash_str(cs->slots[i]) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = cs->slots[i];
    }
    free(cs->slots);
    cs->slots = slots;
    cs->cap = cap;
    return 0;
}

static void case_set_add(void *ud, const char *case_no)
{
    eval_case_set *cs = ud;
    if (cs->oom || ((cs->n + 1) * 2 > cs->cap && case_set_grow(cs) != 0)) {
        cs->oom = 1;
        return;
    }
    size_t j = hash_str(case_no) & (cs->cap - 1);
    while (cs->slots[j]) {
        if (strcmp(cs->slots[j], case_no) == 0)
            return;
        j = (j + 1) & (cs->cap - 1);
    }
    if (!(cs->slots[j] = strdup(case_no)))
        cs->oom = 1;
    else
        cs->n++;
}

/* 1 if case_no may have open alerts (also when the set could not be built). */
static int case_set_has(const eval_case_set *cs, const char *case_no)
{
    if (cs->oom)
        return 1;
    if (!cs->cap)
        return 0;
    size_t j = hash_str(case_no) & (cs->cap - 1);
    for (; cs->slots[j]; j = (j + 1) & (cs->cap - 1))
        if (strcmp(cs->slots[j], case_no) == 0)
            return 1;
    return 0;
}

void eval_case_set_free(eval_case_set *cs)
{
    for (size_t i = 0; i < cs->cap; i++)
        free(cs->slots[i]);
    free(cs->slots);
    memset(cs, 0, sizeof *cs);
}

/* ---- storing effects ---- */

static int *consecutive(eval_writer *wr, unsigned s, unsigned r)
{
    return &wr->consecutive[wr->flags.base[s] + r];
}

static cr_status store_failure(eval_writer *wr, const work_case *c, const effect *e, cr_err *err)
{
    const rule_set *set = &wr->rs->sets[e->set];
    const rule *r = &set->rules[e->rule];
    wr->sum->failures++;
    cr_status st = db_eval_put_failure(wr->db, wr->run_id, set->name, r->name, c->case_no,
                                       e->fail_kind, e->reason, err);
    if (st != CR_OK)
        return st;
    /* The rule set's own setting, else the evaluation's, else 5. */
    int threshold = set->quarantine_after > 0       ? set->quarantine_after
                    : wr->opt->quarantine_after > 0 ? wr->opt->quarantine_after
                                                    : 5;
    int quarantined = 0;
    int *count = consecutive(wr, e->set, e->rule);
    *count = *count < 0 ? 1 : *count + 1;
    st =
        db_eval_rule_health(wr->db, set->name, r->name, 0, threshold, e->reason, &quarantined, err);
    if (st != CR_OK || !quarantined)
        return st;
    atomic_store(&wr->flags.quarantined[wr->flags.base[e->set] + e->rule], 1);
    wr->sum->quarantined++;
    /* A quarantined rule is itself an alert: somebody must fix the script. */
    char message[1024], key[256], data[64];
    snprintf(message, sizeof message,
             "规则 %s/%s（%s 版）连续 %d 次执行失败，已被隔离，不再参与评估；最后一次失败：%.600s",
             set->name, r->name, r->version, threshold, e->reason);
    snprintf(key, sizeof key, "%s/%s:RULE-QUARANTINED", set->name, r->name);
    snprintf(data, sizeof data, "{\"threshold\":%d}", threshold);
    db_alert a = {.dedup_key = key,
                  .rule_set = set->name,
                  .rule = r->name,
                  .rule_version = r->version,
                  .rule_set_sha = set->sha256,
                  .code = "RULE-QUARANTINED",
                  .severity = "critical",
                  .court = c->court,
                  .case_no = NULL,
                  .message = message,
                  .basis = "规则运行保障：连续失败的规则自动隔离，修复后由运维人员解除",
                  .data_json = data,
                  .as_of = wr->opt->as_of};
    db_alert_outcome outcome;
    st = db_eval_put_alert(wr->db, wr->run_id, &a, &outcome, NULL, err);
    if (st == CR_OK && outcome != DB_ALERT_REPEATED)
        wr->sum->alerts_created++;
    return st;
}

static cr_status store_alerts(eval_writer *wr, const work_case *c, const effect *e, cr_err *err)
{
    const rule_set *set = &wr->rs->sets[e->set];
    const rule *r = &set->rules[e->rule];
    for (size_t i = 0; i < e->alerts.n; i++) {
        const luaapi_alert *a = &e->alerts.v[i];
        const char *code = a->code, *given = a->dedup_key;
        char key[512];
        if (given)
            snprintf(key, sizeof key, "%s/%s:%s", set->name, r->name, given);
        else /* per case, or per court for on_court alerts */
            snprintf(key, sizeof key, "%s/%s:%s:%s", set->name, r->name, code,
                     c->case_no ? c->case_no : c->court);
        db_alert row = {.dedup_key = key,
                        .rule_set = set->name,
                        .rule = r->name,
                        .rule_version = r->version,
                        .rule_set_sha = set->sha256,
                        .code = code,
                        .severity = a->severity,
                        .court = c->court,
                        .case_no = c->case_no,
                        .message = a->message,
                        .basis = a->basis,
                        .data_json = a->data,
                        .as_of = wr->opt->as_of};
        db_alert_outcome outcome;
        cr_status st = db_eval_put_alert(wr->db, wr->run_id, &row, &outcome, NULL, err);
        if (st != CR_OK)
            return st;
        if (outcome == DB_ALERT_CREATED)
            wr->sum->alerts_created++;
        else if (outcome == DB_ALERT_REOPENED)
            wr->sum->alerts_reopened++;
        else
            wr->sum->alerts_repeated++;
    }
    return CR_OK;
}

/* Stores one effect's side effects: alerts, failures, rule health. */
static cr_status store_effect(eval_writer *wr, const work_case *c, const effect *e, cr_err *err)
{
    const rule_set *set = &wr->rs->sets[e->set];
    const rule *r = &set->rules[e->rule];
    cr_status st = CR_OK;
    switch (e->kind) {
    case EFFECT_QUARANTINED:
        wr->sum->skipped_quarantined++;
        break;
    case EFFECT_FAILED:
        wr->sum->calls++;
        st = store_failure(wr, c, e, err);
        break;
    case EFFECT_OK:
        wr->sum->calls++;
        if (e->alerts.n)
            st = store_alerts(wr, c, e, err);
        /* A success ends a run of failures, including one left by earlier
         * evaluations (-1: not yet known in this run). */
        if (st == CR_OK && *consecutive(wr, e->set, e->rule) != 0) {
            *consecutive(wr, e->set, e->rule) = 0;
            st = db_eval_rule_health(wr->db, set->name, r->name, 1, 0, NULL, NULL, err);
        }
        break;
    }
    return st;
}

/* The worker's kept list, plus the rules that did not load (usually none:
 * then the worker's list itself is returned). */
static char *kept_rules(eval_writer *wr, char *worker_kept)
{
    if (!json_array_size(wr->kept_unloaded))
        return worker_kept;
    json_error_t jerr;
    json_t *all = json_loads(worker_kept, 0, &jerr);
    if (!all || json_array_extend(all, wr->kept_unloaded) != 0) {
        json_decref(all);
        return NULL;
    }
    char *text = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    return text;
}

/* 1 if the case has or may have open alerts, 0 if not, -1 with err set.
 * An unread set asks the database: one SELECT, where the resolving UPDATE
 * costs several times more even when it changes nothing. */
static int may_have_open_alerts(eval_writer *wr, const char *case_no, cr_err *err)
{
    if (wr->open_alerts.unread)
        return db_eval_case_has_open_alerts(wr->db, case_no, err);
    return case_set_has(&wr->open_alerts, case_no);
}

cr_status eval_store_case(eval_writer *wr, work_case *wc, cr_err *err)
{
    if (!wc->stored_json || !wc->kept_rules_json)
        return cr_errf(err, CR_FAIL, "case %s: out of memory encoding results", wc->case_no);
    for (size_t j = 0; j < wc->n_effects; j++) {
        cr_status st = store_effect(wr, wc, &wc->effects[j], err);
        if (st != CR_OK)
            return st;
    }
    cr_status st = db_eval_put_evaluation(wr->db, wr->run_id, wc->case_no, wc->changed_batch,
                                          wr->rs->fingerprint, wr->opt->as_of, wc->date_dependent,
                                          wc->stored_json, err);
    int open = st == CR_OK ? may_have_open_alerts(wr, wc->case_no, err) : 0;
    if (open < 0)
        st = CR_FAIL;
    if (open > 0) {
        int64_t resolved = 0;
        char *kept = kept_rules(wr, wc->kept_rules_json);
        st = kept ? db_eval_resolve_stale(wr->db, wr->run_id, wc->case_no, kept, &resolved, err)
                  : cr_errf(err, CR_FAIL, "out of memory");
        if (kept != wc->kept_rules_json)
            free(kept);
        wr->sum->alerts_resolved += resolved;
    }
    return st;
}

/* ---- court-level evaluation ---- */

/* 1 if code is in the array of strings. */
static int listed(const json_t *codes, const char *code)
{
    size_t i;
    json_t *c;
    json_array_foreach(codes, i, c)
    {
        if (strcmp(json_string_value(c), code) == 0)
            return 1;
    }
    return 0;
}

cr_status eval_courts_run(cr_db *db, eval_worker *w, const eval_options *opt,
                          const char *fingerprint, eval_court_batch *b, cr_err *err)
{
    json_t *courts = NULL, *current = NULL;
    memset(b, 0, sizeof *b);
    cr_status st = db_eval_last_batch(db, &b->seen_batch, err);
    /* --changed: a court whose evaluation is current (same rules and as-of
     * date, no data of its subtree since) keeps it, and its alerts */
    if (st == CR_OK && opt->select == DB_CASES_CHANGED)
        st = db_eval_courts_current(db, fingerprint, opt->as_of, &current, err);
    if (st == CR_OK)
        st = db_query_courts(db, opt->court_prefix ? opt->court_prefix : "", 0, &courts, err);
    if (st == CR_OK && json_array_size(courts) > 0) {
        b->courts = calloc(json_array_size(courts), sizeof *b->courts);
        if (!b->courts)
            st = cr_errf(err, CR_FAIL, "out of memory");
    }
    size_t i;
    json_t *court;
    json_array_foreach(courts, i, court)
    {
        if (st != CR_OK)
            break;
        const char *code = json_string_value(json_object_get(court, "code"));
        if (current && code && listed(current, code)) {
            b->current++;
            continue;
        }
        work_case *wc = &b->courts[b->n++];
        wc->court = strdup(code);
        wc->doc = jsontext_dumps(court, JSON_COMPACT, NULL);
        if (!wc->court || !wc->doc) {
            st = cr_errf(err, CR_FAIL, "out of memory");
            break;
        }
        eval_worker_case(w, wc); /* no rule with on_court: no effects, and stale
                                    court alerts (of removed rules) still resolve */
        if (!wc->results_json || !wc->kept_rules_json)
            st = cr_errf(err, CR_FAIL, "court %s: out of memory encoding results", wc->court);
    }
    json_decref(courts);
    json_decref(current);
    if (st != CR_OK)
        eval_court_batch_free(b);
    return st;
}

cr_status eval_courts_store(eval_writer *wr, eval_court_batch *b, cr_err *err)
{
    cr_status st = CR_OK;
    wr->sum->courts_current += b->current;
    for (size_t i = 0; st == CR_OK && i < b->n; i++) {
        work_case *wc = &b->courts[i];
        for (size_t j = 0; st == CR_OK && j < wc->n_effects; j++)
            st = store_effect(wr, wc, &wc->effects[j], err);
        if (st == CR_OK && wc->n_effects)
            st = db_eval_put_court_evaluation(wr->db, wr->run_id, wc->court, wr->rs->fingerprint,
                                              wr->opt->as_of, wc->results_json, b->seen_batch,
                                              err);
        if (st == CR_OK) {
            int64_t resolved = 0;
            char *kept = kept_rules(wr, wc->kept_rules_json);
            st = kept ? db_eval_resolve_stale_court(wr->db, wr->run_id, wc->court, kept, &resolved,
                                                    err)
                      : cr_errf(err, CR_FAIL, "out of memory");
            if (kept != wc->kept_rules_json)
                free(kept);
            wr->sum->alerts_resolved += resolved;
        }
        if (st == CR_OK && wc->n_effects)
            wr->sum->courts++;
    }
    return st;
}

void eval_court_batch_free(eval_court_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        work_case_clear(&b->courts[i]);
    free(b->courts);
    memset(b, 0, sizeof *b);
}

cr_status eval_courts(eval_writer *wr, eval_worker *w, cr_err *err)
{
    eval_court_batch b;
    cr_status st = eval_courts_run(wr->db, w, wr->opt, wr->rs->fingerprint, &b, err);
    if (st == CR_OK)
        st = eval_courts_store(wr, &b, err);
    eval_court_batch_free(&b);
    return st;
}

/* ---- the evaluation mark ---- */

cr_status eval_update_mark(cr_db *db, int whole, const char *fingerprint, int64_t start_batch,
                           cr_err *err)
{
    if (whole) /* every case up to start_batch is now evaluated with these rules */
        return db_eval_mark_set(db, fingerprint, start_batch, err);
    int64_t mark;
    cr_status st = db_eval_mark_get(db, fingerprint, &mark, err);
    if (st == CR_OK && mark < 0) /* part of the cases with other rules: no mark holds */
        st = db_eval_mark_set(db, NULL, -1, err);
    return st;
}

/* ---- opening the run ---- */

/* A rule-set version used for the first time is an activation: audited with
 * its scope and every rule's name, version and source file. */
static cr_status audit_activation(eval_writer *wr, const rule_set *set, cr_err *err)
{
    json_t *rules = json_array();
    for (size_t r = 0; r < set->n_rules; r++)
        json_array_append_new(rules,
                              json_pack("{s:s, s:s, s:s}", "name", set->rules[r].name, "version",
                                        set->rules[r].version, "file", set->rules[r].file));
    json_t *detail = json_pack("{s:s, s:s, s:o, s:I}", "sha256", set->sha256, "scope", set->scope,
                               "rules", rules, "load_failures", (json_int_t)set->n_failures);
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    if (!text)
        return cr_errf(err, CR_FAIL, "out of memory");
    cr_status st = audit_append(wr->db, wr->opt->actor ? wr->opt->actor : audit_cli_actor(),
                                "rules.activate", set->name, text, NULL, err);
    free(text);
    return st;
}

static void keep_if_unloaded(void *ud, const char *rule_name)
{
    eval_writer *wr = ud;
    const rule_set *set = wr->scanning;
    for (size_t r = 0; r < set->n_rules; r++)
        if (strcmp(set->rules[r].name, rule_name) == 0)
            return; /* loaded: its alerts follow its results */
    char name[2 * RULE_NAME_MAX + 2];
    snprintf(name, sizeof name, "%s/%s", set->name, rule_name);
    json_array_append_new(wr->kept_unloaded, json_string(name));
}

cr_status eval_start_run(eval_writer *wr, const char *scope, cr_err *err)
{
    rule_sets *rs = wr->rs;
    cr_status st = db_begin(wr->db, err);
    if (st != CR_OK)
        return st;
    st = db_eval_run_open(wr->db, wr->opt->as_of, scope, &wr->run_id, err);
    for (size_t s = 0; s < rs->n && st == CR_OK; s++) {
        rule_set *set = &rs->sets[s];
        char *manifest = json_dumps(set->manifest, JSON_COMPACT | JSON_SORT_KEYS);
        int is_new = 0;
        st = db_eval_rule_set(wr->db, set->sha256, set->name, set->scope,
                              manifest ? manifest : "{}", &is_new, err);
        free(manifest);
        if (st == CR_OK && is_new)
            st = audit_activation(wr, set, err);
        if (set->n_failures && st == CR_OK) {
            wr->scanning = set;
            st = db_eval_rules_with_open_alerts(wr->db, set->name, keep_if_unloaded, wr, err);
        }
        for (size_t f = 0; f < set->n_failures && st == CR_OK; f++) {
            wr->sum->load_failures++;
            st = db_eval_put_failure(wr->db, wr->run_id, set->name, set->failures[f].file, NULL,
                                     sandbox_reason_name(set->failures[f].kind),
                                     set->failures[f].reason, err);
        }
        for (size_t r = 0; r < set->n_rules && st == CR_OK; r++) {
            int q = db_eval_is_quarantined(wr->db, set->name, set->rules[r].name, NULL, 0, err);
            if (q < 0)
                st = CR_FAIL;
            atomic_store(&wr->flags.quarantined[wr->flags.base[s] + r], q == 1);
            if (st == CR_OK)
                st = db_eval_rule_version(wr->db, set->name, set->rules[r].name,
                                          set->rules[r].version,
                                          &wr->flags.ids[wr->flags.base[s] + r], err);
        }
    }
    /* A stale alert is resolved by one statement per case with open alerts.
     * Knowing those cases costs a pass over every open alert: worth it when
     * most cases are evaluated, not for one case or a --changed run (each of
     * its cases then looks its own up, one probe of alerts_case). */
    wr->open_alerts.unread = wr->select != DB_CASES_ALL;
    if (st == CR_OK && !wr->open_alerts.unread)
        st = db_eval_cases_with_open_alerts(wr->db, case_set_add, &wr->open_alerts, err);
    if (st == CR_OK)
        st = db_commit(wr->db, err);
    else
        db_rollback(wr->db);
    return st;
}
