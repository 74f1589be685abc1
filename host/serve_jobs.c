/*
 * serve_jobs.c -- the daemon's background jobs (see serve.h): alert gauges,
 * webhook delivery and the scheduler.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_eval.h"
#include "deliver.h"
#include "eval.h"
#include "log.h"
#include "metrics.h"
#include "rules.h"
#include "sched.h"
#include "sched_run.h"
#include "tz.h"
#include "serve.h"

/* Job: the open and acked alert counts for /metrics (a gauge a scrape
 * reads without touching the database). */
static cr_status alert_gauges_job(cr_db *db, void *ud, cr_err *err)
{
    (void)ud;
    int64_t open = 0, acked = 0;
    cr_status st = db_eval_alert_counts(db, &open, &acked, err);
    if (st == CR_OK) {
        metrics_set(GAUGE_ALERTS_OPEN, open);
        metrics_set(GAUGE_ALERTS_ACKED, acked);
    }
    return st;
}

/* ---- webhook delivery --------------------------------------------------- */

typedef struct deliver_job {
    const char *plugins_dir;
    volatile sig_atomic_t *stop;
    deliver_summary counted; /* what the metrics have of this pass */
    time_t logged;           /* when the last log line was written */
} deliver_job;

static void log_deliveries(const deliver_summary *sum)
{
    log_event("info", "deliver",
              json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "messages",
                        (json_int_t)sum->messages, "attempts", (json_int_t)sum->attempts,
                        "delivered", (json_int_t)sum->delivered, "retried",
                        (json_int_t)sum->retried, "rejected", (json_int_t)sum->rejected, "dead",
                        (json_int_t)sum->dead, "format_failures",
                        (json_int_t)sum->format_failures));
}

/* After each committed batch: metrics now, a log line every 10 s at most. */
static void deliver_flushed(void *ud, const deliver_summary *sum)
{
    deliver_job *j = ud;
    metrics_add(METRIC_DELIVERIES, sum->delivered - j->counted.delivered);
    metrics_add(METRIC_DELIVERY_FAILURES,
                (sum->attempts - sum->delivered) - (j->counted.attempts - j->counted.delivered));
    j->counted = *sum;
    time_t now = time(NULL);
    if (now - j->logged >= 10) {
        log_deliveries(sum);
        j->logged = now;
    }
}

/* Follows the outbox until the daemon stops; a storage failure ends the
 * pass (logged by the job runner) and the next pass starts after the
 * period. */
static cr_status deliver_job_pass(cr_db *db, void *ud, cr_err *err)
{
    deliver_job *j = ud;
    deliver_options opt = {.plugins_dir = j->plugins_dir,
                           .follow = 1,
                           .stop = j->stop,
                           .on_flush = deliver_flushed,
                           .on_flush_ud = j};
    deliver_summary sum;
    memset(&j->counted, 0, sizeof j->counted);
    j->logged = 0;
    cr_status st = deliver_run(db, &opt, &sum, err);
    if (sum.attempts || sum.messages)
        log_deliveries(&sum);
    return st;
}

/* ---- the scheduler -------------------------------------------------------- */

typedef struct sched_job {
    engine *e;
    const serve_config *cfg;
    rule_sets *rs;         /* this thread's copy */
    char fingerprint[128]; /* of the engine generation rs was loaded for */
} sched_job;

/* Loads a fresh copy of the rule sets when the engine swapped in new ones
 * (a gated reload), so schedules run the rules requests run. */
static cr_status sched_rules(sched_job *j, cr_err *err)
{
    json_t *status = engine_status(j->e);
    const char *fp = json_string_value(json_object_get(status, "fingerprint"));
    char current[128];
    snprintf(current, sizeof current, "%s", fp ? fp : "");
    json_decref(status);
    if (j->rs && strcmp(current, j->fingerprint) == 0)
        return CR_OK;
    rule_sets *rs;
    cr_status st =
        rules_load(j->cfg->rules_dir, j->cfg->plugins_dir, eval_open_api, NULL, &rs, err);
    if (st != CR_OK)
        return st;
    rules_free(j->rs);
    j->rs = rs;
    snprintf(j->fingerprint, sizeof j->fingerprint, "%s", current);
    return CR_OK;
}

static cr_status sched_job_pass(cr_db *db, void *ud, cr_err *err)
{
    sched_job *j = ud;
    cr_status st = sched_rules(j, err);
    if (st != CR_OK)
        return st;
    sched_run_options opt = {.now = (int64_t)time(NULL),
                             .grace = SCHED_DEFAULT_GRACE,
                             .cal = j->cfg->cal,
                             .actor = "daemon:scheduler"};
    sched_run_summary sum = {0};
    st = sched_run_due(db, j->rs, &opt, &sum, err);
    size_t i;
    json_t *ev;
    json_array_foreach(sum.events, i, ev) log_event("info", "schedule", json_incref(ev));
    json_decref(sum.events);
    return st;
}

/* ---- the daily evaluation (the time-limit scan) ------------------------------ */

#define DAILY_META "daily_eval_last_fire" /* UTC seconds of the last fire time handled */
#define DAILY_WORKERS 2

typedef struct daily_job {
    engine *e;
    const serve_config *cfg;
    sched_cron cron;
    cr_tz *tz;
} daily_job;

/* Runs `eval --changed` as of the fire time's date with rules loaded from
 * the rules folder -- only if they are the rules the engine serves (a
 * folder edited but not reloaded is not used unchecked). */
static cr_status daily_eval_run(cr_db *db, daily_job *j, int64_t fire, cr_err *err)
{
    char when[32], as_of[11];
    sched_format_time(j->tz, fire, when, sizeof when);
    snprintf(as_of, sizeof as_of, "%.10s", when);
    eval_options opt = {.as_of = as_of,
                        .select = DB_CASES_CHANGED,
                        .workers = DAILY_WORKERS,
                        .actor = "daemon:daily-eval",
                        .cal = j->cfg->cal};
    rule_sets *rs[EVAL_MAX_COPIES];
    cr_status st = eval_load_rules(j->cfg->rules_dir, j->cfg->plugins_dir, &opt, rs, err);
    int loaded = st == CR_OK;
    if (st == CR_OK) {
        json_t *status = engine_status(j->e);
        const char *serving = json_string_value(json_object_get(status, "fingerprint"));
        if (!serving || strcmp(serving, rs[0]->fingerprint) != 0)
            st = cr_errf(err, CR_FAIL,
                         "daily evaluation as of %s not run: the rules folder differs from the "
                         "rules being served (%.12s…); reload them (SIGHUP or POST "
                         "/v1/rules/reload) so their tests gate them first",
                         as_of, serving ? serving : "?");
        json_decref(status);
    }
    eval_summary sum = {0};
    if (st == CR_OK)
        st = eval_run(db, rs, &opt, &sum, err);
    if (loaded)
        eval_free_rules(rs, &opt);
    metrics_add(METRIC_RULE_RERUNS, sum.reruns);
    if (st == CR_OK)
        log_event("info", "daily_eval",
                  json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f}", "fire", when, "as_of", as_of,
                            "cases", (json_int_t)sum.cases, "alerts_created",
                            (json_int_t)sum.alerts_created, "alerts_resolved",
                            (json_int_t)sum.alerts_resolved, "failures", (json_int_t)sum.failures,
                            "seconds", sum.seconds));
    return st;
}

static cr_status daily_eval_pass(cr_db *db, void *ud, cr_err *err)
{
    daily_job *j = ud;
    int64_t now = (int64_t)time(NULL);
    char text[32];
    int found;
    cr_status st = db_meta_get(db, DAILY_META, text, sizeof text, &found, err);
    if (st != CR_OK)
        return st;
    if (!found) { /* first start: nothing before now is due */
        snprintf(text, sizeof text, "%lld", (long long)now);
        return db_meta_set(db, DAILY_META, text, err);
    }
    int64_t run[1];
    sched_plan plan;
    sched_policy once = {SCHED_CATCH_UP_ONCE, 1};
    sched_plan_due(&j->cron, j->tz, 1, j->cfg->cal, strtoll(text, NULL, 10), now,
                   SCHED_DEFAULT_GRACE, once, run, 1, &plan);
    if (plan.n_run > 0 && (st = daily_eval_run(db, j, run[0], err)) != CR_OK)
        return st; /* the fire time stays due: tried again next pass */
    if (plan.latest < 0)
        return CR_OK;
    snprintf(text, sizeof text, "%lld", (long long)plan.latest);
    return db_meta_set(db, DAILY_META, text, err);
}

/* ---- registration ----------------------------------------------------------- */

static deliver_job the_deliver_job;
static sched_job the_sched_job;
static daily_job the_daily_job;

cr_status serve_register_jobs(daemon_jobs *jobs, engine *e, const serve_config *cfg, cr_err *err)
{
    the_deliver_job =
        (deliver_job){.plugins_dir = cfg->plugins_dir, .stop = daemon_jobs_stop_flag(jobs)};
    the_sched_job = (sched_job){.e = e, .cfg = cfg};
    cr_status st = daemon_add_job(jobs, "alert_gauges", 15000, alert_gauges_job, NULL, err);
    if (st == CR_OK)
        st = daemon_add_job(jobs, "deliver", 1000, deliver_job_pass, &the_deliver_job, err);
    if (st == CR_OK)
        st = daemon_add_job(jobs, "scheduler", 30000, sched_job_pass, &the_sched_job, err);
    if (st == CR_OK && cfg->daily_eval) {
        the_daily_job = (daily_job){.e = e, .cfg = cfg};
        st = sched_parse(cfg->daily_eval, &the_daily_job.cron, err);
        if (st == CR_OK)
            st = tz_load("Asia/Shanghai", &the_daily_job.tz, err);
        if (st == CR_OK)
            st = daemon_add_job(jobs, "daily_eval", 30000, daily_eval_pass, &the_daily_job, err);
    }
    return st;
}

void serve_jobs_free(void)
{
    rules_free(the_sched_job.rs);
    the_sched_job.rs = NULL;
    tz_free(the_daily_job.tz);
    the_daily_job.tz = NULL;
}
