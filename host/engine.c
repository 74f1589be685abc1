/*
 * engine.c -- evaluation slots and rule-set generations (see engine.h).
 */
#include "engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db_eval.h"
#include "eval.h"
#include "engine_render.h"
#include "eval_worker.h"
#include "log.h"
#include "rules.h"
#include "ruletest.h"

typedef struct generation {
    int refs;           /* slots on it, + 1 while current; under engine.lock */
    int number;         /* 1 for the rules loaded at start */
    rule_sets **copies; /* copies[i] is slot i's, and only slot i's */
    int n;
    char loaded_at[26];
} generation;

struct engine_slot {
    struct engine *owner;
    int index;
    cr_db *db;
    generation *gen;       /* the generation the worker runs; NULL before first use */
    eval_worker worker;    /* valid while worker_ready */
    int worker_ready;
    char as_of[11];        /* the worker's as-of date (its ctx holds it) */
    rule_flags flags;      /* quarantines as of the worker's start */
    engine_slot *next_free;
};

struct engine {
    char *db_path, *rules_dir, *plugins_dir;
    const calendar *cal;
    int n_slots;
    engine_slot *slots;
    pthread_mutex_t lock; /* free list, current, every generation's refs */
    pthread_cond_t slot_freed;
    engine_slot *free_list;
    generation *current;
    int generations;
    pthread_mutex_t reload_lock; /* one reload at a time */
};

/* ---- generations ---- */

static void gen_free(generation *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n; i++)
        rules_free(g->copies[i]);
    free(g->copies);
    free(g);
}

/* Loads one copy of the rules per slot. The copies must agree, or slots
 * would judge the same case differently. */
static cr_status gen_load(engine *e, generation **out, cr_err *err)
{
    generation *g = calloc(1, sizeof *g);
    if (!g || !(g->copies = calloc((size_t)e->n_slots, sizeof *g->copies))) {
        free(g);
        return cr_errf(err, CR_FAIL, "out of memory");
    }
    g->n = e->n_slots;
    db_now(g->loaded_at);
    for (int i = 0; i < g->n; i++) {
        cr_status st =
            rules_load(e->rules_dir, e->plugins_dir, eval_open_api, NULL, &g->copies[i], err);
        if (st == CR_OK && strcmp(g->copies[i]->fingerprint, g->copies[0]->fingerprint) != 0)
            st = cr_errf(err, CR_INVALID,
                         "%s: the rule files changed while they were being loaded; try again",
                         e->rules_dir);
        if (st != CR_OK) {
            gen_free(g);
            return st;
        }
    }
    *out = g;
    return CR_OK;
}

/* ---- slots ---- */

static void slot_worker_free(engine_slot *s)
{
    if (s->worker_ready)
        eval_worker_free(&s->worker);
    s->worker_ready = 0;
    free(s->flags.base);
    free(s->flags.quarantined);
    memset(&s->flags, 0, sizeof s->flags);
}

/* Makes the slot's worker ready for as_of on its generation's copy, with
 * the quarantines stored now. */
static cr_status slot_worker(engine_slot *s, const char *as_of, cr_err *err)
{
    engine *e = s->owner;
    if (s->worker_ready && strcmp(s->as_of, as_of) == 0)
        return CR_OK;
    slot_worker_free(s);
    rule_sets *rs = s->gen->copies[s->index];
    rule_flags_alloc(&s->flags, rs);
    if (!s->flags.base || !s->flags.quarantined)
        return cr_errf(err, CR_FAIL, "out of memory");
    for (size_t k = 0; k < rs->n; k++)
        for (size_t r = 0; r < rs->sets[k].n_rules; r++) {
            int q = db_eval_is_quarantined(s->db, rs->sets[k].name, rs->sets[k].rules[r].name,
                                           NULL, 0, err);
            if (q < 0)
                return CR_FAIL;
            atomic_store(&s->flags.quarantined[s->flags.base[k] + r], q == 1);
        }
    snprintf(s->as_of, sizeof s->as_of, "%s", as_of);
    cr_status st = eval_worker_init(&s->worker, rs, s->as_of, &s->flags, e->cal, e->db_path, err);
    if (st != CR_OK) {
        eval_worker_free(&s->worker);
        return st;
    }
    s->worker_ready = 1;
    return CR_OK;
}

/* The engine and slot this thread released last. A thread takes that slot
 * again when it is free, so the slot's rule states stay in the caches of the
 * core the thread ran on: two server threads alternating over one list each
 * took the slot the other had just released whenever their releases and
 * acquisitions interleaved. Only compared, never followed: an engine closed
 * since is at most a preference for an index. */
static __thread const engine *last_engine;
static __thread int last_index;

/* Unlinks and returns the free slot to use: this thread's last, else the
 * first. Under e->lock; the list is not empty. */
static engine_slot *take_free_slot(engine *e)
{
    engine_slot **link = &e->free_list;
    if (last_engine == e)
        for (engine_slot **l = &e->free_list; *l; l = &(*l)->next_free)
            if ((*l)->index == last_index) {
                link = l;
                break;
            }
    engine_slot *s = *link;
    *link = s->next_free;
    return s;
}

engine_slot *engine_acquire(engine *e)
{
    generation *stale = NULL;
    pthread_mutex_lock(&e->lock);
    while (!e->free_list)
        pthread_cond_wait(&e->slot_freed, &e->lock);
    engine_slot *s = take_free_slot(e);
    generation *old = s->gen;
    if (old != e->current) {
        e->current->refs++;
        s->gen = e->current;
        if (old && --old->refs == 0)
            stale = old;
    }
    pthread_mutex_unlock(&e->lock);
    if (old != s->gen)
        slot_worker_free(s); /* it ran the old copy */
    gen_free(stale);         /* every slot has left it */
    return s;
}

void engine_release(engine *e, engine_slot *s)
{
    db_rollback(s->db); /* a handler that failed midway leaves no transaction open */
    last_engine = e;
    last_index = s->index;
    pthread_mutex_lock(&e->lock);
    s->next_free = e->free_list;
    e->free_list = s;
    pthread_cond_signal(&e->slot_freed);
    pthread_mutex_unlock(&e->lock);
}

cr_db *engine_db(engine_slot *s)
{
    return s->db;
}

/* ---- open and close ---- */

cr_status engine_open(const engine_config *cfg, engine **out, cr_err *err)
{
    engine *e = calloc(1, sizeof *e);
    if (!e)
        return cr_errf(err, CR_FAIL, "out of memory");
    e->n_slots = cfg->slots > 0 ? cfg->slots : 1;
    e->cal = cfg->cal;
    e->db_path = strdup(cfg->db_path);
    e->rules_dir = strdup(cfg->rules_dir);
    e->plugins_dir = cfg->plugins_dir ? strdup(cfg->plugins_dir) : NULL;
    e->slots = calloc((size_t)e->n_slots, sizeof *e->slots);
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->slot_freed, NULL);
    pthread_mutex_init(&e->reload_lock, NULL);
    cr_status st = CR_OK;
    if (!e->db_path || !e->rules_dir || (cfg->plugins_dir && !e->plugins_dir) || !e->slots)
        st = cr_errf(err, CR_FAIL, "out of memory");
    for (int i = 0; st == CR_OK && i < e->n_slots; i++) {
        e->slots[i].owner = e;
        e->slots[i].index = i;
        st = db_open(e->db_path, DB_OPEN_EXISTING, &e->slots[i].db, err);
        e->slots[i].next_free = e->free_list;
        e->free_list = &e->slots[i];
    }
    if (st == CR_OK)
        st = gen_load(e, &e->current, err);
    if (st != CR_OK) {
        engine_close(e);
        return st;
    }
    e->current->refs = 1;
    e->current->number = ++e->generations;
    rule_sets *rs = e->current->copies[0];
    for (size_t k = 0; k < rs->n; k++)
        for (size_t f = 0; f < rs->sets[k].n_failures; f++)
            log_event("warn", "rules.load_failure",
                      json_pack("{s:s, s:s}", "file", rs->sets[k].failures[f].file, "reason",
                                rs->sets[k].failures[f].reason));
    *out = e;
    return CR_OK;
}

void engine_close(engine *e)
{
    if (!e)
        return;
    for (int i = 0; e->slots && i < e->n_slots; i++) {
        engine_slot *s = &e->slots[i];
        slot_worker_free(s);
        db_close(s->db);
        if (s->gen && s->gen != e->current && --s->gen->refs == 0)
            gen_free(s->gen);
    }
    gen_free(e->current);
    pthread_mutex_destroy(&e->lock);
    pthread_cond_destroy(&e->slot_freed);
    pthread_mutex_destroy(&e->reload_lock);
    free(e->slots);
    free(e->db_path);
    free(e->rules_dir);
    free(e->plugins_dir);
    free(e);
}

/* ---- evaluation ---- */

cr_status engine_eval_doc(engine_slot *s, const char *as_of, const char *case_no,
                          const char *court, const json_t *doc, const json_t *events,
                          engine_answer *out, cr_err *err)
{
    memset(out, 0, sizeof *out);
    cr_status st = slot_worker(s, as_of, err);
    if (st != CR_OK)
        return st;
    work_case wc = {.case_no = strdup(case_no),
                    .court = strdup(court),
                    .doc_tree = doc,
                    .events_tree = events};
    if (!wc.case_no || !wc.court) {
        work_case_clear(&wc);
        return cr_errf(err, CR_FAIL, "out of memory");
    }
    int64_t reruns = s->worker.reruns;
    eval_worker_case(&s->worker, &wc);
    st = engine_render_case(s->gen->copies[s->index], &wc, &s->worker.values, s->as_of, NULL, out, err);
    out->reruns = s->worker.reruns - reruns;
    work_case_clear(&wc);
    return st;
}

cr_status engine_eval_stored(engine_slot *s, const char *as_of, const char *case_no,
                             const char *court_scope, int persist, const char *actor,
                             engine_answer *out, cr_err *err)
{
    memset(out, 0, sizeof *out);
    cr_status st = slot_worker(s, as_of, err);
    if (st != CR_OK)
        return st;
    const char *prefix = strcmp(court_scope, "*") == 0 ? NULL : court_scope;
    db_case_iter *it = NULL;
    work_case wc = {0};
    int has_row = 0;
    const char *no, *court, *doc, *events;
    st = db_case_iter_open(s->db, DB_CASES_ONE, case_no, s->as_of, prefix, &it, err);
    if (st == CR_OK)
        st = db_case_iter_next(it, &has_row, &no, &court, &doc, &events, &wc.changed_batch, err);
    if (st == CR_OK && has_row) {
        wc.case_no = strdup(no);
        wc.court = strdup(court);
        wc.doc = strdup(doc);
        wc.events = strdup(events);
        if (!wc.case_no || !wc.court || !wc.doc || !wc.events)
            st = cr_errf(err, CR_FAIL, "out of memory");
    }
    db_case_iter_close(it);
    /* Another court's case answers exactly as a missing one. */
    if (st == CR_OK && !has_row)
        st = cr_errf(err, CR_INVALID, "case %s is not in the database", case_no);
    eval_options opt = {.as_of = s->as_of,
                        .select = DB_CASES_ONE,
                        .case_no = case_no,
                        .actor = actor,
                        .cal = s->owner->cal};
    eval_summary sum;
    int64_t reruns = s->worker.reruns;
    if (st == CR_OK && !persist) {
        eval_worker_case(&s->worker, &wc);
        st = engine_render_case(s->gen->copies[s->index], &wc, &s->worker.values, s->as_of, NULL, out, err);
        out->reruns = s->worker.reruns - reruns;
        work_case_clear(&wc);
        return st;
    }
    if (st == CR_OK)
        st = eval_one(s->db, &s->worker, &wc, &opt, &sum, err);
    json_t *alerts = NULL;
    if (st == CR_OK) {
        db_alert_filter filter = {.case_no = wc.case_no};
        st = db_eval_alerts(s->db, &filter, &alerts, err);
    }
    if (st == CR_OK) {
        /* The stored alerts this run raised or saw again, with their ids. */
        json_t *seen = json_array();
        size_t i;
        json_t *a;
        json_array_foreach(alerts, i, a)
        {
            if (json_integer_value(json_object_get(a, "run_id")) == sum.run_id)
                json_array_append(seen, a);
        }
        engine_persisted p = {
            .run_id = sum.run_id, .alerts_resolved = sum.alerts_resolved, .alerts = seen};
        st = engine_render_case(s->gen->copies[s->index], &wc, &s->worker.values, s->as_of, &p, out, err);
        out->reruns = s->worker.reruns - reruns;
        json_decref(seen);
    }
    json_decref(alerts);
    work_case_clear(&wc);
    return st;
}

/* ---- reload ---- */

/* Why a new generation may not serve: scripts that did not load, or tests
 * that failed. NULL if it may. */
static char *gate(engine *e, generation *g, json_t *outcome, cr_err *err, cr_status *st)
{
    rule_sets *rs = g->copies[0];
    json_t *load_failures = json_array();
    for (size_t k = 0; k < rs->n; k++)
        for (size_t f = 0; f < rs->sets[k].n_failures; f++)
            json_array_append_new(load_failures,
                                  json_pack("{s:s, s:s}", "file", rs->sets[k].failures[f].file,
                                            "reason", rs->sets[k].failures[f].reason));
    char buf[2048];
    if (json_array_size(load_failures)) {
        json_t *first = json_array_get(load_failures, 0);
        snprintf(buf, sizeof buf, "%zu rule script(s) did not load; first: %s: %s",
                 json_array_size(load_failures), json_string_value(json_object_get(first, "file")),
                 json_string_value(json_object_get(first, "reason")));
        json_object_set_new(outcome, "load_failures", load_failures);
        return strdup(buf);
    }
    json_decref(load_failures);
    ruletest_options topt = {.dir = e->rules_dir, .plugins_dir = e->plugins_dir, .cal = e->cal};
    json_t *report = NULL;
    cr_err terr;
    cr_status tst = ruletest_run(&topt, &report, &terr);
    if (tst == CR_INVALID) {
        snprintf(buf, sizeof buf, "the rule sets' tests cannot run: %s", terr.msg);
        return strdup(buf);
    }
    if (tst != CR_OK) {
        *st = tst;
        *err = terr;
        return strdup(terr.msg);
    }
    char *why = NULL;
    if (!json_is_true(json_object_get(report, "ok"))) {
        json_t *failed = json_array();
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(report, "tests"), i, t)
        {
            if (!json_is_true(json_object_get(t, "ok")) && json_array_size(failed) < 20)
                json_array_append_new(
                    failed, json_pack("{s:O, s:O, s:O}", "file", json_object_get(t, "file"),
                                      "name", json_object_get(t, "name"), "message",
                                      json_object_get(t, "message")));
        }
        snprintf(buf, sizeof buf, "%lld of the rule sets' tests failed",
                 (long long)json_integer_value(json_object_get(report, "failed")));
        json_object_set_new(outcome, "failed_tests", failed);
        why = strdup(buf);
    }
    json_object_set_new(outcome, "tests_passed", json_incref(json_object_get(report, "passed")));
    json_decref(report);
    return why;
}

static void audit_reload(engine *e, const char *actor, json_t *outcome)
{
    cr_db *db = NULL;
    cr_err err;
    char *text = json_dumps(outcome, JSON_COMPACT | JSON_SORT_KEYS);
    cr_status st = text ? db_open(e->db_path, DB_OPEN_EXISTING, &db, &err)
                        : cr_errf(&err, CR_FAIL, "out of memory");
    if (st == CR_OK)
        st = db_begin(db, &err);
    if (st == CR_OK)
        st = audit_append(db, actor, "rules.reload", e->rules_dir, text, NULL, &err);
    st = db_end(db, st, &err);
    db_close(db);
    free(text);
    if (st != CR_OK)
        log_event("error", "rules.reload.audit_failed", json_pack("{s:s}", "error", err.msg));
}

cr_status engine_reload(engine *e, const char *actor, json_t **outcome, cr_err *err)
{
    pthread_mutex_lock(&e->reload_lock);
    json_t *o = json_object();
    pthread_mutex_lock(&e->lock);
    json_object_set_new(o, "previous", json_string(e->current->copies[0]->fingerprint));
    pthread_mutex_unlock(&e->lock);
    generation *g = NULL;
    cr_status st = gen_load(e, &g, err);
    char *why = NULL;
    if (st == CR_INVALID) { /* a malformed manifest: refused like a failing test */
        why = strdup(err->msg);
        st = CR_OK;
    }
    if (st == CR_OK && g) {
        json_object_set_new(o, "fingerprint", json_string(g->copies[0]->fingerprint));
        why = gate(e, g, o, err, &st);
    }
    if (st == CR_OK && !why) {
        pthread_mutex_lock(&e->lock);
        generation *old = e->current;
        g->refs = 1;
        g->number = ++e->generations;
        e->current = g;
        g = NULL;
        if (--old->refs == 0)
            g = old; /* no slot was on it */
        pthread_mutex_unlock(&e->lock);
    }
    gen_free(g); /* the refused one, or an old one no slot used */
    json_object_set_new(o, "ok", json_boolean(st == CR_OK && !why));
    if (why)
        json_object_set_new(o, "reason", json_string(why));
    else if (st != CR_OK)
        json_object_set_new(o, "reason", json_string(err->msg));
    audit_reload(e, actor, o);
    log_event(st == CR_OK && !why ? "info" : "warn", "rules.reload", json_deep_copy(o));
    if (st == CR_OK && why)
        st = cr_errf(err, CR_INVALID, "reload refused, the previous rules keep serving: %s", why);
    free(why);
    pthread_mutex_unlock(&e->reload_lock);
    *outcome = o;
    return st;
}

json_t *engine_status(engine *e)
{
    pthread_mutex_lock(&e->lock);
    generation *g = e->current;
    rule_sets *rs = g->copies[0];
    json_t *sets = json_array();
    for (size_t k = 0; k < rs->n; k++)
        json_array_append_new(sets, json_pack("{s:s, s:s, s:s}", "name", rs->sets[k].name,
                                              "scope", rs->sets[k].scope, "sha256",
                                              rs->sets[k].sha256));
    json_t *j = json_pack("{s:s, s:s, s:i, s:o}", "fingerprint", rs->fingerprint, "loaded_at",
                          g->loaded_at, "generation", g->number, "rule_sets", sets);
    pthread_mutex_unlock(&e->lock);
    return j;
}
