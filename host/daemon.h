/*
 * daemon.h -- what `courtrules serve` runs besides the HTTP API: periodic
 * background jobs, the one-daemon-per-database lock, and signals.
 *
 * A job is a function called every period on a thread of its own, with a
 * database connection of its own (a cr_db belongs to one thread). A pass
 * is never interrupted: stopping waits for the running pass to return, so
 * a job that commits per pass loses nothing on SIGTERM. The scheduler's
 * tick and the webhook delivery pass are jobs (see serve_register_jobs in
 * serve.c).
 */
#ifndef COURTRULES_DAEMON_H
#define COURTRULES_DAEMON_H

#include <signal.h>

#include "db.h"
#include "err.h"

/* One pass of a job. Returns CR_OK, or a failure that is logged and
 * counted; the job runs again next period either way. */
typedef cr_status (*daemon_job_fn)(cr_db *db, void *ud, cr_err *err);

typedef struct daemon_jobs daemon_jobs;

/* An empty set of jobs whose connections open db_path. NULL if out of memory. */
daemon_jobs *daemon_jobs_new(const char *db_path);

/* Starts job `name`: fn(db, ud, err) runs at once, then period_ms after
 * each pass ends. CR_FAIL if the connection or thread cannot be made. */
cr_status daemon_add_job(daemon_jobs *d, const char *name, unsigned period_ms, daemon_job_fn fn,
                         void *ud, cr_err *err);

/* Becomes non-zero when the jobs are asked to stop: a pass that runs long
 * (webhook delivery follows the outbox until then) polls it. */
volatile sig_atomic_t *daemon_jobs_stop_flag(daemon_jobs *d);

/* Asks every job to stop, waits for running passes to finish, closes the
 * connections and frees d. NULL is a no-op. */
void daemon_jobs_stop(daemon_jobs *d);

/* Takes the daemon lock of the database at db_path: an exclusive flock on
 * "<db>.serve.lock", which records the holder's pid and listen address. A
 * second daemon gets CR_INVALID naming the first. The kernel drops the
 * lock when the process dies, even by kill -9. *fd receives the lock. */
cr_status daemon_lock(const char *db_path, const char *listen, int *fd, cr_err *err);
void daemon_unlock(const char *db_path, int fd);

/* Blocks SIGTERM, SIGINT, SIGHUP (and ignores SIGPIPE) in the calling
 * thread and every thread it starts afterwards: call before starting any. */
void daemon_block_signals(void);

/* Waits for one of the blocked signals; returns its number. */
int daemon_wait_signal(void);

#endif
