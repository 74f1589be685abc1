/*
 * eval.c -- the evaluation loop: the writer side.
 *
 * The calling thread reads cases in chunks and queues them; worker threads
 * (eval_worker.c) run the rules; the calling thread stores each chunk's
 * effects in chunk order, committing every batch_cases cases. One writer,
 * one lua_State per worker and rule set.
 */
#include "eval.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "db_query.h"
#include "eval_worker.h"

#define CHUNK_CASES 128
#define WINDOW_PER_WORKER 8

typedef struct work_chunk {
    int64_t seq;
    size_t n;
    int ready;
    work_case cases[CHUNK_CASES];
} work_chunk;

/* The ring of chunks between the reader thread (fills slots), the workers
 * (run rules) and the writer (stores, frees the slot). A slot holds chunk
 * seq % window; seqs in [stored, submitted) are in flight. */
typedef struct pool {
    pthread_mutex_t lock;
    pthread_cond_t todo_cond; /* a chunk to run, or closing (workers wait) */
    pthread_cond_t done_cond; /* a chunk ran, or the reader finished (writer waits) */
    pthread_cond_t free_cond; /* a slot was freed, or closing (reader waits) */
    work_chunk **ring;
    size_t window;
    int64_t next_todo; /* next seq a worker takes */
    int64_t submitted; /* seqs < submitted were read */
    int64_t stored;    /* seqs < stored were stored; their slots are free */
    int closing;
    db_case_iter *it;  /* on the reader's own connection */
    int reader_done;
    cr_status reader_st;
    cr_err reader_err;
} pool;

typedef struct worker_thread {
    pthread_t thread;
    eval_worker w;
    pool *pool;
} worker_thread;

/* The cases that had open alerts when the run started: only they can have
 * alerts to resolve, so the others skip that statement. */
typedef struct case_set {
    char **slots;
    size_t cap, n;
    int oom;
} case_set;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static int case_set_grow(case_set *cs)
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
    case_set *cs = ud;
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
static int case_set_has(const case_set *cs, const char *case_no)
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

static void case_set_free(case_set *cs)
{
    for (size_t i = 0; i < cs->cap; i++)
        free(cs->slots[i]);
    free(cs->slots);
    memset(cs, 0, sizeof *cs);
}

typedef struct writer {
    cr_db *db;
    rule_sets *rs; /* worker 0's copy: names, versions, sha256 */
    const eval_options *opt;
    eval_summary *sum;
    int64_t run_id;
    rule_flags flags;
    int *consecutive; /* per (set, rule), like flags */
    case_set open_alerts;
    /* "set/rule" of rules with open alerts whose script did not load this
     * time: nobody knows whether they still fire, so their alerts stay. */
    json_t *kept_unloaded;
    const rule_set *scanning; /* while collecting kept_unloaded */
} writer;

int eval_open_api(lua_State *L)
{
    (void)L; /* ctx is passed to each hook; nothing is global */
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- workers ---- */

static void *worker_main(void *arg)
{
    worker_thread *t = arg;
    pool *p = t->pool;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (p->next_todo == p->submitted && !p->closing)
            pthread_cond_wait(&p->todo_cond, &p->lock);
        if (p->next_todo == p->submitted) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        work_chunk *c = p->ring[p->next_todo++ % p->window];
        pthread_mutex_unlock(&p->lock);

        for (size_t i = 0; i < c->n; i++)
            eval_worker_case(&t->w, &c->cases[i]);

        pthread_mutex_lock(&p->lock);
        c->ready = 1;
        pthread_cond_broadcast(&p->done_cond);
        pthread_mutex_unlock(&p->lock);
    }
}

/* ---- storing effects ---- */

static int *consecutive(writer *wr, unsigned s, unsigned r)
{
    return &wr->consecutive[wr->flags.base[s] + r];
}

static cr_status store_failure(writer *wr, const work_case *c, const effect *e, cr_err *err)
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
    st = db_eval_rule_health(wr->db, set->name, r->name, 0, threshold, e->reason, &quarantined,
                             err);
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

static cr_status store_alerts(writer *wr, const work_case *c, const effect *e, cr_err *err)
{
    const rule_set *set = &wr->rs->sets[e->set];
    const rule *r = &set->rules[e->rule];
    size_t i;
    json_t *a;
    json_array_foreach(e->alerts, i, a)
    {
        const char *code = json_string_value(json_object_get(a, "code"));
        const char *given = json_string_value(json_object_get(a, "dedup_key"));
        char key[512];
        if (given)
            snprintf(key, sizeof key, "%s/%s:%s", set->name, r->name, given);
        else /* per case, or per court for on_court alerts */
            snprintf(key, sizeof key, "%s/%s:%s:%s", set->name, r->name, code,
                     c->case_no ? c->case_no : c->court);
        json_t *data = json_object_get(a, "data");
        char *data_text = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        db_alert row = {.dedup_key = key,
                        .rule_set = set->name,
                        .rule = r->name,
                        .rule_version = r->version,
                        .rule_set_sha = set->sha256,
                        .code = code,
                        .severity = json_string_value(json_object_get(a, "severity")),
                        .court = c->court,
                        .case_no = c->case_no,
                        .message = json_string_value(json_object_get(a, "message")),
                        .basis = json_string_value(json_object_get(a, "basis")),
                        .data_json = data_text,
                        .as_of = wr->opt->as_of};
        db_alert_outcome outcome;
        cr_status st = db_eval_put_alert(wr->db, wr->run_id, &row, &outcome, NULL, err);
        free(data_text);
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
static cr_status store_effect(writer *wr, const work_case *c, const effect *e, cr_err *err)
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
        if (e->alerts)
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
static char *kept_rules(writer *wr, char *worker_kept)
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

static cr_status store_case(writer *wr, work_case *wc, cr_err *err)
{
    if (!wc->results_json || !wc->kept_rules_json)
        return cr_errf(err, CR_FAIL, "case %s: out of memory encoding results", wc->case_no);
    for (size_t j = 0; j < wc->n_effects; j++) {
        cr_status st = store_effect(wr, wc, &wc->effects[j], err);
        if (st != CR_OK)
            return st;
    }
    cr_status st = db_eval_put_evaluation(wr->db, wr->run_id, wc->case_no, wc->changed_batch,
                                          wr->rs->fingerprint, wr->opt->as_of,
                                          wc->date_dependent, wc->results_json, err);
    if (st == CR_OK && case_set_has(&wr->open_alerts, wc->case_no)) {
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

/* Runs the on_court hooks of every court under the run's court prefix, on
 * the calling thread with worker w (idle: every case chunk is stored), and
 * stores them like cases. Courts are few; their rules make the aggregate
 * checks (caseload standards, staffing ratios, monthly reports). */
static cr_status eval_courts(writer *wr, eval_worker *w, cr_err *err)
{
    json_t *courts = NULL;
    cr_status st = db_query_courts(wr->db, wr->opt->court_prefix ? wr->opt->court_prefix : "",
                                   &courts, err);
    size_t i;
    json_t *court;
    json_array_foreach(courts, i, court)
    {
        if (st != CR_OK)
            break;
        work_case wc = {0};
        wc.court = strdup(json_string_value(json_object_get(court, "code")));
        wc.doc = json_dumps(court, JSON_COMPACT);
        if (!wc.court || !wc.doc) {
            work_case_clear(&wc);
            st = cr_errf(err, CR_FAIL, "out of memory");
            break;
        }
        eval_worker_case(w, &wc); /* no rule with on_court: no effects, and stale
                                     court alerts (of removed rules) still resolve */
        if (!wc.results_json || !wc.kept_rules_json)
            st = cr_errf(err, CR_FAIL, "court %s: out of memory encoding results", wc.court);
        for (size_t j = 0; st == CR_OK && j < wc.n_effects; j++)
            st = store_effect(wr, &wc, &wc.effects[j], err);
        if (st == CR_OK && wc.n_effects)
            st = db_eval_put_court_evaluation(wr->db, wr->run_id, wc.court, wr->rs->fingerprint,
                                              wr->opt->as_of, wc.results_json, err);
        if (st == CR_OK) {
            int64_t resolved = 0;
            char *kept = kept_rules(wr, wc.kept_rules_json);
            st = kept ? db_eval_resolve_stale_court(wr->db, wr->run_id, wc.court, kept,
                                                    &resolved, err)
                      : cr_errf(err, CR_FAIL, "out of memory");
            if (kept != wc.kept_rules_json)
                free(kept);
            wr->sum->alerts_resolved += resolved;
        }
        if (st == CR_OK && wc.n_effects)
            wr->sum->courts++;
        work_case_clear(&wc);
    }
    json_decref(courts);
    return st;
}

static cr_status store_chunk(writer *wr, work_chunk *c, cr_err *err)
{
    for (size_t i = 0; i < c->n; i++) {
        cr_status st = store_case(wr, &c->cases[i], err);
        if (st != CR_OK)
            return st;
        wr->sum->cases++;
    }
    return CR_OK;
}

/* ---- the run ---- */

json_t *eval_summary_json(const eval_summary *s)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}",
                     "run", (json_int_t)s->run_id, "cases", (json_int_t)s->cases, "courts",
                     (json_int_t)s->courts, "calls",
                     (json_int_t)s->calls, "failures", (json_int_t)s->failures, "alerts_created",
                     (json_int_t)s->alerts_created, "alerts_repeated",
                     (json_int_t)s->alerts_repeated, "alerts_reopened",
                     (json_int_t)s->alerts_reopened, "alerts_resolved",
                     (json_int_t)s->alerts_resolved, "quarantined", (json_int_t)s->quarantined,
                     "skipped_quarantined", (json_int_t)s->skipped_quarantined, "load_failures",
                     (json_int_t)s->load_failures, "seconds", s->seconds);
}

/* The copies must agree rule for rule, or effects would be misattributed. */
static cr_status check_copies(rule_sets **rs, int n, cr_err *err)
{
    for (int w = 1; w < n; w++) {
        int same = strcmp(rs[w]->fingerprint, rs[0]->fingerprint) == 0 && rs[w]->n == rs[0]->n;
        for (size_t s = 0; same && s < rs[0]->n; s++) {
            same = rs[w]->sets[s].n_rules == rs[0]->sets[s].n_rules;
            for (size_t r = 0; same && r < rs[0]->sets[s].n_rules; r++)
                same = strcmp(rs[w]->sets[s].rules[r].name, rs[0]->sets[s].rules[r].name) == 0;
        }
        if (!same)
            return cr_errf(err, CR_INVALID,
                           "the rule sets changed while they were being loaded; run again");
    }
    return CR_OK;
}

/* A rule-set version used for the first time is an activation: audited with
 * its scope and every rule's name, version and source file. */
static cr_status audit_activation(writer *wr, const rule_set *set, cr_err *err)
{
    json_t *rules = json_array();
    for (size_t r = 0; r < set->n_rules; r++)
        json_array_append_new(rules, json_pack("{s:s, s:s, s:s}", "name", set->rules[r].name,
                                               "version", set->rules[r].version, "file",
                                               set->rules[r].file));
    json_t *detail = json_pack("{s:s, s:s, s:o, s:I}", "sha256", set->sha256, "scope",
                               set->scope, "rules", rules, "load_failures",
                               (json_int_t)set->n_failures);
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
    writer *wr = ud;
    const rule_set *set = wr->scanning;
    for (size_t r = 0; r < set->n_rules; r++)
        if (strcmp(set->rules[r].name, rule_name) == 0)
            return; /* loaded: its alerts follow its results */
    char name[2 * RULE_NAME_MAX + 2];
    snprintf(name, sizeof name, "%s/%s", set->name, rule_name);
    json_array_append_new(wr->kept_unloaded, json_string(name));
}

/* Opens the run, records rule-set versions and load failures, reads quarantines. */
static cr_status start_run(writer *wr, const char *scope, cr_err *err)
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
        }
    }
    if (st == CR_OK)
        st = db_eval_cases_with_open_alerts(wr->db, case_set_add, &wr->open_alerts, err);
    if (st == CR_OK)
        st = db_commit(wr->db, err);
    else
        db_rollback(wr->db);
    return st;
}

/* Reads up to CHUNK_CASES cases into c. */
static cr_status read_chunk(db_case_iter *it, work_chunk *c, int *eof, cr_err *err)
{
    c->n = 0;
    c->ready = 0;
    while (c->n < CHUNK_CASES) {
        int has_row;
        const char *case_no, *court, *doc, *events;
        int64_t changed;
        cr_status st =
            db_case_iter_next(it, &has_row, &case_no, &court, &doc, &events, &changed, err);
        if (st != CR_OK)
            return st;
        if (!has_row) {
            *eof = 1;
            break;
        }
        work_case *wc = &c->cases[c->n];
        memset(wc, 0, sizeof *wc);
        wc->case_no = strdup(case_no);
        wc->court = strdup(court);
        wc->doc = strdup(doc);
        wc->events = strdup(events);
        wc->changed_batch = changed;
        c->n++;
        if (!wc->case_no || !wc->court || !wc->doc || !wc->events)
            return cr_errf(err, CR_FAIL, "out of memory");
    }
    return CR_OK;
}

static void chunk_clear(work_chunk *c)
{
    for (size_t i = 0; i < c->n; i++)
        work_case_clear(&c->cases[i]);
    c->n = 0;
}

/* The reader thread: fills free slots with chunks of cases, on its own
 * connection, so the writer only writes. */
static void *reader_main(void *arg)
{
    pool *p = arg;
    int eof = 0;
    while (!eof) {
        pthread_mutex_lock(&p->lock);
        while (p->submitted - p->stored >= (int64_t)p->window && !p->closing)
            pthread_cond_wait(&p->free_cond, &p->lock);
        int closing = p->closing;
        pthread_mutex_unlock(&p->lock);
        if (closing)
            break;
        work_chunk *c = p->ring[p->submitted % p->window]; /* only this thread moves submitted */
        cr_err err;
        cr_status st = read_chunk(p->it, c, &eof, &err);
        pthread_mutex_lock(&p->lock);
        if (st != CR_OK || c->n == 0) {
            chunk_clear(c);
            if (st != CR_OK) {
                p->reader_st = st;
                p->reader_err = err;
            }
            eof = 1;
        } else {
            c->seq = p->submitted++;
            pthread_cond_signal(&p->todo_cond);
        }
        pthread_mutex_unlock(&p->lock);
    }
    pthread_mutex_lock(&p->lock);
    p->reader_done = 1;
    pthread_cond_broadcast(&p->done_cond);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* The writer: stores chunks in order as their workers finish them, until
 * the reader is done and every chunk is stored, or something fails. */
static cr_status store_all(writer *wr, pool *p, cr_err *err)
{
    const eval_options *opt = wr->opt;
    int batch = opt->batch_cases > 0 ? opt->batch_cases : 4000, in_batch = 0;
    double started = now_seconds(), last_progress = started;
    cr_status st = CR_OK;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (p->stored == p->submitted && !p->reader_done)
            pthread_cond_wait(&p->done_cond, &p->lock);
        if (p->stored == p->submitted) { /* the reader is done and all is stored */
            if (p->reader_st != CR_OK) {
                st = p->reader_st;
                *err = p->reader_err;
            }
            pthread_mutex_unlock(&p->lock);
            break;
        }
        work_chunk *c = p->ring[p->stored % p->window];
        while (!c->ready)
            pthread_cond_wait(&p->done_cond, &p->lock);
        pthread_mutex_unlock(&p->lock);

        if (!in_batch && (st = db_begin(wr->db, err)) != CR_OK)
            break;
        st = store_chunk(wr, c, err);
        in_batch += (int)c->n;
        chunk_clear(c);
        pthread_mutex_lock(&p->lock);
        p->stored++;
        pthread_cond_signal(&p->free_cond);
        pthread_mutex_unlock(&p->lock);
        if (st == CR_OK && in_batch >= batch) {
            st = db_commit(wr->db, err);
            in_batch = 0;
        }
        if (st != CR_OK)
            break;
        if (opt->progress && now_seconds() - last_progress > 0.25) {
            double dt = now_seconds() - started;
            fprintf(stderr, "\r\033[Keval: %lld cases (%.0f/s), %lld alerts created",
                    (long long)wr->sum->cases, dt > 0 ? wr->sum->cases / dt : 0.0,
                    (long long)wr->sum->alerts_created);
            last_progress = now_seconds();
        }
    }
    if (opt->progress)
        fprintf(stderr, "\r\033[K");
    if (st != CR_OK) {
        db_rollback(wr->db); /* only the unfinished batch: committed cases stay evaluated */
        return st;
    }
    if (!in_batch)
        st = db_begin(wr->db, err); /* the run's summary commits in the last batch */
    return st;
}

cr_status eval_run(cr_db *db, rule_sets **rs, int n_workers, const eval_options *opt,
                   eval_summary *sum, cr_err *err)
{
    memset(sum, 0, sizeof *sum);
    if (n_workers < 1)
        n_workers = 1;
    double started = now_seconds();
    writer wr = {.db = db, .rs = rs[0], .opt = opt, .sum = sum, .kept_unloaded = json_array()};
    pool p = {.window = (size_t)n_workers * WINDOW_PER_WORKER};
    worker_thread *threads = calloc((size_t)n_workers, sizeof *threads);
    size_t n_rules = 0;
    int started_threads = 0, pool_ready = 0, reader_started = 0;
    pthread_t reader;
    cr_db *reader_db = NULL;
    cr_status st = check_copies(rs, n_workers, err);
    char scope[256];
    snprintf(scope, sizeof scope, "%s%s%s%s",
             opt->select == DB_CASES_ONE       ? "case "
             : opt->select == DB_CASES_CHANGED ? "changed"
                                               : "all",
             opt->select == DB_CASES_ONE ? opt->case_no : "",
             opt->court_prefix ? " court " : "", opt->court_prefix ? opt->court_prefix : "");

    wr.flags.base = calloc(rs[0]->n + 1, sizeof *wr.flags.base);
    for (size_t s = 0; wr.flags.base && s < rs[0]->n; s++) {
        wr.flags.base[s] = n_rules;
        n_rules += rs[0]->sets[s].n_rules;
    }
    wr.flags.quarantined = calloc(n_rules + 1, sizeof *wr.flags.quarantined);
    wr.consecutive = calloc(n_rules + 1, sizeof *wr.consecutive);
    for (size_t i = 0; wr.consecutive && i < n_rules; i++)
        wr.consecutive[i] = -1;
    p.ring = calloc(p.window, sizeof *p.ring);
    for (size_t i = 0; p.ring && i < p.window; i++)
        p.ring[i] = calloc(1, sizeof(work_chunk));
    int oom = !threads || !wr.flags.base || !wr.flags.quarantined || !wr.consecutive || !p.ring;
    for (size_t i = 0; !oom && i < p.window; i++)
        oom = !p.ring[i];
    if (st == CR_OK && oom)
        st = cr_errf(err, CR_FAIL, "out of memory");
    if (st == CR_OK)
        st = start_run(&wr, scope, err);
    sum->run_id = wr.run_id;
    /* The reader has its own connection: reading never waits for writing. */
    if (st == CR_OK)
        st = db_open(db_path(db), DB_OPEN_QUERY_ONLY, &reader_db, err);
    if (st == CR_OK)
        st = db_case_iter_open(reader_db, opt->select,
                               opt->select == DB_CASES_ONE ? opt->case_no : rs[0]->fingerprint,
                               opt->as_of, opt->court_prefix, &p.it, err);
    if (st == CR_OK) {
        pthread_mutex_init(&p.lock, NULL);
        pthread_cond_init(&p.todo_cond, NULL);
        pthread_cond_init(&p.done_cond, NULL);
        pthread_cond_init(&p.free_cond, NULL);
        pool_ready = 1;
    }
    for (int w = 0; st == CR_OK && w < n_workers; w++) {
        threads[w].pool = &p;
        st = eval_worker_init(&threads[w].w, rs[w], opt->as_of, &wr.flags, opt->cal,
                              db_path(db), err);
        if (st == CR_OK && pthread_create(&threads[w].thread, NULL, worker_main, &threads[w]))
            st = cr_errf(err, CR_FAIL, "cannot start a worker thread");
        if (st == CR_OK)
            started_threads++;
        else
            eval_worker_free(&threads[w].w);
    }
    if (st == CR_OK && pthread_create(&reader, NULL, reader_main, &p) != 0)
        st = cr_errf(err, CR_FAIL, "cannot start the reader thread");
    else if (st == CR_OK)
        reader_started = 1;
    if (st == CR_OK)
        st = store_all(&wr, &p, err);
    /* Court-level rules run on full and --changed runs (their aggregates
     * move with any case), not for a single --case. */
    if (st == CR_OK && opt->select != DB_CASES_ONE) {
        st = eval_courts(&wr, &threads[0].w, err);
        if (st != CR_OK)
            db_rollback(db);
    }
    if (st == CR_OK && opt->select == DB_CASES_ONE && sum->cases == 0) {
        db_rollback(db);
        st = opt->court_prefix
                 ? cr_errf(err, CR_INVALID,
                           "case %s: no such case among the cases of courts %s*",
                           opt->case_no, opt->court_prefix)
                 : cr_errf(err, CR_INVALID, "case %s is not in the database", opt->case_no);
    }
    if (st == CR_OK) {
        sum->seconds = now_seconds() - started;
        json_t *summary = eval_summary_json(sum);
        json_object_set_new(summary, "as_of", json_string(opt->as_of));
        json_object_set_new(summary, "rules_fingerprint", json_string(rs[0]->fingerprint));
        json_object_set_new(summary, "workers", json_integer(n_workers));
        char *text = json_dumps(summary, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(summary);
        st = text ? db_eval_run_close(db, wr.run_id, text, err)
                  : cr_errf(err, CR_FAIL, "out of memory");
        if (st == CR_OK)
            st = audit_append(db, opt->actor ? opt->actor : audit_cli_actor(), "eval.run", scope,
                              text, NULL, err);
        free(text);
        if (st == CR_OK)
            st = db_commit(db, err);
        else
            db_rollback(db);
    }

    if (pool_ready) {
        pthread_mutex_lock(&p.lock);
        p.closing = 1;
        pthread_cond_broadcast(&p.todo_cond);
        pthread_cond_broadcast(&p.free_cond);
        pthread_mutex_unlock(&p.lock);
    }
    if (reader_started)
        pthread_join(reader, NULL);
    for (int w = 0; w < started_threads; w++) {
        pthread_join(threads[w].thread, NULL);
        eval_worker_free(&threads[w].w);
    }
    if (pool_ready) {
        pthread_mutex_destroy(&p.lock);
        pthread_cond_destroy(&p.todo_cond);
        pthread_cond_destroy(&p.done_cond);
        pthread_cond_destroy(&p.free_cond);
    }
    db_case_iter_close(p.it);
    db_close(reader_db);
    for (size_t i = 0; p.ring && i < p.window; i++) {
        if (p.ring[i])
            chunk_clear(p.ring[i]);
        free(p.ring[i]);
    }
    free(p.ring);
    free(threads);
    free(wr.flags.base);
    free(wr.flags.quarantined);
    free(wr.consecutive);
    case_set_free(&wr.open_alerts);
    json_decref(wr.kept_unloaded);
    return st;
}
