/*
 * serve.h -- `courtrules serve`: one process running the HTTP API and the
 * background jobs on one database, until SIGTERM.
 */
#ifndef COURTRULES_SERVE_H
#define COURTRULES_SERVE_H

#include "calendar.h"
#include "daemon.h"
#include "engine.h"
#include "err.h"
#include "http.h"

typedef struct serve_config {
    const char *db_path;
    const char *rules_dir;
    const char *plugins_dir; /* may be NULL */
    const calendar *cal;     /* may be NULL */
    int workers;             /* evaluation slots = HTTP threads */
    http_config http;        /* listen, limits; threads is set from workers */
    const char *daily_eval;  /* cron (Asia/Shanghai, working days) of the daily
                                evaluation of changed and date-dependent cases;
                                NULL: off */
} serve_config;

/*
 * The background jobs the daemon runs (serve_jobs.c), each on its own
 * thread and connection, committing what it did before a pass returns:
 *   alert_gauges  every 15 s: open/acked alert counts for /metrics;
 *   deliver       webhook delivery, following the outbox until SIGTERM
 *                 (then it finishes the requests in flight);
 *   scheduler     every 30 s: the schedules rules declare (sched_run_due),
 *                 on its own copy of the rule sets, reloaded when the
 *                 engine's rules change;
 *   daily_eval    every 30 s, checks cfg->daily_eval (default 07:30 on
 *                 working days): at a fire time, `eval --changed` as of that
 *                 day -- the daily time-limit scan: every case whose rules
 *                 read the date is evaluated again. The last fire time is
 *                 kept in meta; after downtime a missed scan runs once.
 */
cr_status serve_register_jobs(daemon_jobs *jobs, engine *e, const serve_config *cfg,
                              cr_err *err);
/* Frees what the jobs kept (the scheduler's rule sets), after they stopped. */
void serve_jobs_free(void);

/*
 * Runs the daemon: takes the database's daemon lock (a second daemon is
 * refused with CR_INVALID naming the first), loads the rules, listens,
 * starts the jobs, and serves until SIGTERM or SIGINT, reloading the rule
 * sets on SIGHUP. On SIGTERM it stops accepting, lets requests in progress
 * finish and answer, stops the jobs after their running pass, and returns
 * CR_OK. Logs go to stderr as JSON lines.
 */
cr_status serve_run(const serve_config *cfg, cr_err *err);

#endif
