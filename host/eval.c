/*
 * eval.c -- the evaluation loop: its threads and the run.
 *
 * A reader thread reads cases in chunks and queues them; worker threads
 * (eval_worker.c) run the rules; the calling thread stores each chunk's
 * effects in chunk order (eval_store.c), committing every batch_cases cases.
 * One writer, one lua_State per worker and rule set.
 */
#include "eval_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"

#define CHUNK_CASES 128
/* Cases per transaction. Over every case, large batches: every commit
 * rewrites the index pages its cases touched (the case_no key's), so
 * fewer, larger commits write fewer pages per case; 20,000 cases are about
 * 20 MB of WAL. Over the changed cases from the mark each case has pages of
 * its own (its evaluation row, its alerts), so a batch shares none, and a
 * single commit at the end left the whole WAL to the checkpoint at close
 * (10,000 changed cases: ~11,700 pages, then 0.18 s of fdatasync after all
 * else); in batches of 2,000 the checkpoints run while the workers still
 * evaluate (bench/README, "An eighth round"). */
#define EVAL_BATCH_CASES 20000
#define EVAL_BATCH_CHANGED 2000
/* Page caches of a run's connections, in megabytes. A cache pays only for
 * pages read again: each of its pages is memory touched for the first time,
 * a page fault (about 10-20 us on these machines) where a read from the
 * operating system's cache is a few. The writer of a run over every case
 * reads the evaluations' case_no index (about 40 MB at a million cases) at
 * random, a leaf page about a hundred times; the process's own pages stay,
 * those of the operating system's cache can be taken back at any time. A
 * run over the changed cases (or one case) reads a leaf once: there the
 * large cache only cost page faults (`eval --changed` after touching 1% of
 * a million cases: 31,000 minor faults and 0.6-0.9 s with it, 12,000 and
 * 0.55-0.6 s without). The reader reads every case once, in storage order;
 * only the b-trees' inner pages are read again (bench/README, "An eighth
 * round"). */
#define EVAL_WRITER_CACHE_MB 64
#define EVAL_READER_CACHE_MB 2
/* Chunks in flight per worker. The writer stores chunks in order and
 * every batch_cases it commits: the WAL write, the fsync and the checkpoint
 * after it keep it from storing for tens of milliseconds, and once the
 * window is full the reader and then the workers wait too. At 8 chunks a
 * worker (about 50 ms of work), in 7% of a full run's samples only the
 * writer was running; at 24, in 1%: the workers run through a commit. */
#define WINDOW_PER_WORKER 24

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
    db_case_iter *it; /* on the reader's own connection */
    int reader_done;
    cr_status reader_st;
    cr_err reader_err;
} pool;

typedef struct worker_thread {
    pthread_t thread;
    eval_worker w;
    pool *pool;
} worker_thread;

/* The court-level rules, run alongside the cases on a copy of the rule sets
 * of their own (rs[n_workers]) and stored after them. Their queries read
 * cases, events, courts and people, which a run does not write, so they
 * see what they would see after the cases: they ran last, on one core, for
 * about a third of an `eval --changed` of the shipped sets (bench/README,
 * "An eighth round"). */
typedef struct court_thread {
    pthread_t thread;
    eval_worker w;
    int done; /* ran to its end (st says how) */
    const eval_options *opt;
    const char *fingerprint;
    eval_court_batch batch;
    cr_status st;
    cr_err err; /* unread: after a failure the courts run after the cases, and say why */
} court_thread;

static void *court_main(void *arg)
{
    court_thread *t = arg;
    t->st = eval_courts_run(t->w.query_db, &t->w, t->opt, t->fingerprint, &t->batch, &t->err);
    return NULL;
}

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

/* ---- the reader ---- */

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
        size_t n_no = strlen(case_no) + 1, n_court = strlen(court) + 1, n_doc = strlen(doc) + 1,
               n_events = strlen(events) + 1;
        char *block = malloc(n_no + n_court + n_doc + n_events);
        if (!block)
            return cr_errf(err, CR_FAIL, "out of memory");
        wc->block = wc->case_no = memcpy(block, case_no, n_no);
        wc->court = memcpy(block + n_no, court, n_court);
        wc->doc = memcpy(block + n_no + n_court, doc, n_doc);
        wc->events = memcpy(block + n_no + n_court + n_doc, events, n_events);
        wc->changed_batch = changed;
        c->n++;
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
        /* The writer leaves stored chunks as they are: freeing them here keeps
         * that work off the writer, the pipeline's busiest thread. */
        chunk_clear(c);
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

/* ---- the writer ---- */

static cr_status store_chunk(eval_writer *wr, work_chunk *c, cr_err *err)
{
    for (size_t i = 0; i < c->n; i++) {
        cr_status st = eval_store_case(wr, &c->cases[i], err);
        if (st != CR_OK)
            return st;
        wr->sum->cases++;
    }
    return CR_OK;
}

/* The writer: stores chunks in order as their workers finish them, until
 * the reader is done and every chunk is stored, or something fails. */
static cr_status store_all(eval_writer *wr, pool *p, int batch, cr_err *err)
{
    const eval_options *opt = wr->opt;
    int in_batch = 0;
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
        pthread_mutex_lock(&p->lock); /* the reader clears the slot when it reuses it */
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

/* ---- the run ---- */

json_t *eval_summary_json(const eval_summary *s)
{
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "run",
        (json_int_t)s->run_id, "cases", (json_int_t)s->cases, "courts", (json_int_t)s->courts,
        "courts_current", (json_int_t)s->courts_current, "calls", (json_int_t)s->calls, "failures",
        (json_int_t)s->failures, "alerts_created", (json_int_t)s->alerts_created, "alerts_repeated",
        (json_int_t)s->alerts_repeated, "alerts_reopened", (json_int_t)s->alerts_reopened,
        "alerts_resolved", (json_int_t)s->alerts_resolved, "quarantined",
        (json_int_t)s->quarantined, "skipped_quarantined", (json_int_t)s->skipped_quarantined,
        "load_failures", (json_int_t)s->load_failures, "reruns", (json_int_t)s->reruns, "seconds",
        s->seconds);
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

static int workers_of(const eval_options *opt)
{
    return opt->workers < 1 ? 1 : opt->workers;
}

int eval_rule_copies(const eval_options *opt)
{
    return workers_of(opt) + (opt->select != DB_CASES_ONE);
}

cr_status eval_load_rules(const char *rules_dir, const char *plugins_dir, const eval_options *opt,
                          rule_sets **rs, cr_err *err)
{
    int n = eval_rule_copies(opt);
    if (n > EVAL_MAX_COPIES)
        return cr_errf(err, CR_INVALID, "%d copies of the rules: at most %d", n, EVAL_MAX_COPIES);
    cr_status st = CR_OK;
    for (int i = 0; i < n; i++)
        rs[i] = NULL;
    for (int i = 0; i < n && st == CR_OK; i++)
        st = rules_load(rules_dir, plugins_dir, eval_open_api, NULL, &rs[i], err);
    if (st != CR_OK)
        eval_free_rules(rs, opt);
    return st;
}

void eval_free_rules(rule_sets **rs, const eval_options *opt)
{
    int n = eval_rule_copies(opt);
    for (int i = 0; i < n && i < EVAL_MAX_COPIES; i++) {
        rules_free(rs[i]);
        rs[i] = NULL;
    }
}

/* How a run found its cases, for its summary (docs/results.md). */
static const char *selection_name(enum db_case_select select)
{
    switch (select) {
    case DB_CASES_ONE:
        return "case";
    case DB_CASES_CHANGED:
        return "changed";
    case DB_CASES_CHANGED_AFTER:
        return "changed from the mark";
    default:
        return "all";
    }
}

cr_status eval_run(cr_db *db, rule_sets **rs, const eval_options *opt, eval_summary *sum,
                   cr_err *err)
{
    memset(sum, 0, sizeof *sum);
    int n_workers = workers_of(opt);
    double started = now_seconds();
    eval_writer wr = {.db = db, .rs = rs[0], .opt = opt, .sum = sum, .kept_unloaded = json_array()};
    pool p = {.window = (size_t)n_workers * WINDOW_PER_WORKER};
    worker_thread *threads = calloc((size_t)n_workers, sizeof *threads);
    size_t n_rules = 0;
    int started_threads = 0, pool_ready = 0, reader_started = 0, courts_started = 0;
    pthread_t reader;
    cr_db *reader_db = NULL;
    /* rs[n_workers] runs the court-level rules alongside (eval_rule_copies) */
    court_thread courts = {.opt = opt, .fingerprint = rs[0]->fingerprint};
    int court_copy = eval_rule_copies(opt) > n_workers;
    cr_status st = check_copies(rs, eval_rule_copies(opt), err);
    char scope[256];
    snprintf(scope, sizeof scope, "%s%s%s%s",
             opt->select == DB_CASES_ONE       ? "case "
             : opt->select == DB_CASES_CHANGED ? "changed"
                                               : "all",
             opt->select == DB_CASES_ONE ? opt->case_no : "", opt->court_prefix ? " court " : "",
             opt->court_prefix ? opt->court_prefix : "");

    n_rules = rule_flags_alloc(&wr.flags, rs[0]);
    wr.flags.ids = calloc(n_rules + 1, sizeof *wr.flags.ids);
    wr.consecutive = calloc(n_rules + 1, sizeof *wr.consecutive);
    for (size_t i = 0; wr.consecutive && i < n_rules; i++)
        wr.consecutive[i] = -1;
    p.ring = calloc(p.window, sizeof *p.ring);
    for (size_t i = 0; p.ring && i < p.window; i++)
        p.ring[i] = calloc(1, sizeof(work_chunk));
    int oom = !threads || !wr.flags.base || !wr.flags.quarantined || !wr.flags.ids ||
              !wr.consecutive || !p.ring;
    for (size_t i = 0; !oom && i < p.window; i++)
        oom = !p.ring[i];
    if (st == CR_OK && oom)
        st = cr_errf(err, CR_FAIL, "out of memory");
    /* The last batch before any case is read: every case of it and before
     * is evaluated by the end of a full or --changed run (the mark). */
    int64_t start_batch = 0, mark = -1;
    if (st == CR_OK)
        st = db_eval_last_batch(db, &start_batch, err);
    int none_current = 0;
    if (st == CR_OK && opt->select == DB_CASES_CHANGED)
        st = db_eval_mark_get(db, rs[0]->fingerprint, &mark, err);
    if (st == CR_OK && opt->select == DB_CASES_CHANGED && mark < 0)
        st = db_eval_none_current(db, rs[0]->fingerprint, &none_current, err);
    /* --changed from the mark; or, when no evaluation can be current (new
     * rules, nothing evaluated yet), over every case as a full run reads
     * them: in storage order, not case_no order past each evaluation
     * (1M cases after a rules change: 20 s instead of 31-36 s). */
    enum db_case_select select = opt->select != DB_CASES_CHANGED ? opt->select
                                 : mark >= 0                     ? DB_CASES_CHANGED_AFTER
                                 : none_current                  ? DB_CASES_ALL
                                                                 : DB_CASES_CHANGED;
    wr.select = select;
    if (st == CR_OK)
        st = eval_start_run(&wr, scope, err);
    sum->run_id = wr.run_id;
    /* The reader has its own connection: reading never waits for writing. */
    if (st == CR_OK)
        st = db_open(db_path(db), DB_OPEN_QUERY_ONLY, &reader_db, err);
    if (st == CR_OK)
        st = db_set_cache_mb(reader_db, EVAL_READER_CACHE_MB, err);
    /* every case, or every case's state: the run's large page cache */
    if (st == CR_OK && (select == DB_CASES_ALL || select == DB_CASES_CHANGED))
        st = db_set_cache_mb(db, EVAL_WRITER_CACHE_MB, err);
    if (st == CR_OK)
        st = db_case_iter_open(reader_db, select,
                               opt->select == DB_CASES_ONE ? opt->case_no : rs[0]->fingerprint,
                               opt->as_of, opt->court_prefix, &p.it, err);
    if (st == CR_OK && select == DB_CASES_CHANGED_AFTER)
        db_case_iter_after(p.it, mark);
    if (st == CR_OK) {
        pthread_mutex_init(&p.lock, NULL);
        pthread_cond_init(&p.todo_cond, NULL);
        pthread_cond_init(&p.done_cond, NULL);
        pthread_cond_init(&p.free_cond, NULL);
        pool_ready = 1;
    }
    for (int w = 0; st == CR_OK && w < n_workers; w++) {
        threads[w].pool = &p;
        st = eval_worker_init(&threads[w].w, rs[w], opt->as_of, &wr.flags, opt->cal, db_path(db),
                              err);
        threads[w].w.store_only = 1; /* nobody reads the verbose results of a run */
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
    if (st == CR_OK && court_copy) {
        cr_err ignored; /* without it the courts run after the cases, as below */
        courts_started = eval_worker_init(&courts.w, rs[n_workers], opt->as_of, &wr.flags,
                                          opt->cal, db_path(db), &ignored) == CR_OK;
        courts.w.store_only = 1;
        courts_started =
            courts_started && pthread_create(&courts.thread, NULL, court_main, &courts) == 0;
    }
    if (st == CR_OK)
        st = store_all(&wr, &p,
                       opt->batch_cases > 0                ? opt->batch_cases
                       : select == DB_CASES_CHANGED_AFTER ? EVAL_BATCH_CHANGED
                                                          : EVAL_BATCH_CASES,
                       err);
    if (courts_started) { /* whatever store_all did */
        pthread_join(courts.thread, NULL);
        courts.done = 1;
    }
    /* Court-level rules run on full and --changed runs (their aggregates
     * move with any case), not for a single --case. They ran alongside the
     * cases unless that failed, or a rule was quarantined meanwhile: then,
     * as without a copy, they run now, with every quarantine of the cases
     * in force. */
    if (st == CR_OK && opt->select != DB_CASES_ONE) {
        if (courts.done && courts.st == CR_OK && sum->quarantined == 0)
            st = eval_courts_store(&wr, &courts.batch, err);
        else
            st = eval_courts(&wr, &threads[0].w, err);
        if (st != CR_OK)
            db_rollback(db);
    }
    if (st == CR_OK && opt->select == DB_CASES_ONE && sum->cases == 0) {
        db_rollback(db);
        st = opt->court_prefix
                 ? cr_errf(err, CR_INVALID, "case %s: no such case among the cases of courts %s*",
                           opt->case_no, opt->court_prefix)
                 : cr_errf(err, CR_INVALID, "case %s is not in the database", opt->case_no);
    }
    if (st == CR_OK) {
        sum->seconds = now_seconds() - started;
        /* every case is back from the workers: their counts are final */
        for (int w = 0; w < started_threads; w++)
            sum->reruns += threads[w].w.reruns;
        sum->reruns += courts.w.reruns;
        json_t *summary = eval_summary_json(sum);
        json_object_set_new(summary, "as_of", json_string(opt->as_of));
        json_object_set_new(summary, "rules_fingerprint", json_string(rs[0]->fingerprint));
        json_object_set_new(summary, "workers", json_integer(n_workers));
        json_object_set_new(summary, "selection", json_string(selection_name(select)));
        /* The version of every rule set, once per run: results name their
         * set, and explain finds its SHA-256 here. */
        json_t *versions = json_object();
        for (size_t k = 0; k < rs[0]->n; k++)
            json_object_set_new(versions, rs[0]->sets[k].name, json_string(rs[0]->sets[k].sha256));
        json_object_set_new(summary, "rule_sets", versions);
        char *text = json_dumps(summary, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(summary);
        st = text ? db_eval_run_close(db, wr.run_id, text, err)
                  : cr_errf(err, CR_FAIL, "out of memory");
        if (st == CR_OK)
            st = eval_update_mark(
                db, opt->select != DB_CASES_ONE && !(opt->court_prefix && *opt->court_prefix),
                rs[0]->fingerprint, start_batch, err);
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
    eval_court_batch_free(&courts.batch);
    eval_worker_free(&courts.w); /* also after a failed init, as the workers' */
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
    cr_err ignored; /* the caller's connection goes back to its usual cache */
    db_set_cache_mb(db, DB_CACHE_MB, &ignored);
    free(wr.flags.base);
    free(wr.flags.quarantined);
    free(wr.flags.ids);
    free(wr.consecutive);
    eval_case_set_free(&wr.open_alerts);
    json_decref(wr.kept_unloaded);
    return st;
}
