/*
 * daemon.c -- background jobs, the daemon lock and signals (see daemon.h).
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

typedef struct job {
    char name[64];
    unsigned period_ms;
    daemon_job_fn fn;
    void *ud;
    cr_db *db;
    pthread_t thread;
    struct daemon_jobs *owner;
    struct job *next;
} job;

struct daemon_jobs {
    char *db_path;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* stop was asked */
    int stopping;
    volatile sig_atomic_t stop_flag; /* the same, for passes that poll it */
    job *jobs;
};

daemon_jobs *daemon_jobs_new(const char *db_path)
{
    daemon_jobs *d = calloc(1, sizeof *d);
    if (!d || !(d->db_path = strdup(db_path))) {
        free(d);
        return NULL;
    }
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* periods ignore clock changes */
    pthread_cond_init(&d->wake, &attr);
    pthread_condattr_destroy(&attr);
    return d;
}

static void *job_main(void *arg)
{
    job *j = arg;
    daemon_jobs *d = j->owner;
    for (;;) {
        cr_err err;
        cr_status st = j->fn(j->db, j->ud, &err);
        db_rollback(j->db); /* a failed pass leaves no transaction open */
        metrics_add(METRIC_JOB_RUNS, 1);
        if (st != CR_OK) {
            metrics_add(METRIC_JOB_FAILURES, 1);
            log_event("error", "job.failed", json_pack("{s:s, s:s}", "job", j->name, "error", err.msg));
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += j->period_ms / 1000;
        until.tv_nsec += (long)(j->period_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&d->lock);
        while (!d->stopping && pthread_cond_timedwait(&d->wake, &d->lock, &until) != ETIMEDOUT)
            ;
        int stop = d->stopping;
        pthread_mutex_unlock(&d->lock);
        if (stop)
            return NULL;
    }
}

cr_status daemon_add_job(daemon_jobs *d, const char *name, unsigned period_ms, daemon_job_fn fn,
                         void *ud, cr_err *err)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return cr_errf(err, CR_FAIL, "job %s: out of memory", name);
    snprintf(j->name, sizeof j->name, "%s", name);
    j->period_ms = period_ms ? period_ms : 1;
    j->fn = fn;
    j->ud = ud;
    j->owner = d;
    cr_status st = db_open(d->db_path, DB_OPEN_EXISTING, &j->db, err);
    if (st == CR_OK && pthread_create(&j->thread, NULL, job_main, j) != 0)
        st = cr_errf(err, CR_FAIL, "job %s: cannot start its thread", name);
    if (st != CR_OK) {
        cr_err_prefix(err, "job %s", name);
        db_close(j->db);
        free(j);
        return st;
    }
    pthread_mutex_lock(&d->lock);
    j->next = d->jobs;
    d->jobs = j;
    pthread_mutex_unlock(&d->lock);
    log_event("info", "job.started",
              json_pack("{s:s, s:I}", "job", name, "period_ms", (json_int_t)period_ms));
    return CR_OK;
}

volatile sig_atomic_t *daemon_jobs_stop_flag(daemon_jobs *d)
{
    return &d->stop_flag;
}

void daemon_jobs_stop(daemon_jobs *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = 1;
    d->stop_flag = 1;
    pthread_cond_broadcast(&d->wake);
    job *j = d->jobs;
    d->jobs = NULL;
    pthread_mutex_unlock(&d->lock);
    while (j) {
        job *next = j->next;
        pthread_join(j->thread, NULL);
        db_close(j->db);
        free(j);
        j = next;
    }
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->wake);
    free(d->db_path);
    free(d);
}

/* ---- the daemon lock ---- */

static void lock_path(const char *db_path, char *out, size_t len)
{
    char real[4096];
    /* The same file reached by two names must give one lock. */
    snprintf(out, len, "%s.serve.lock", realpath(db_path, real) ? real : db_path);
}

cr_status daemon_lock(const char *db_path, const char *listen, int *fd, cr_err *err)
{
    char path[4200];
    lock_path(db_path, path, sizeof path);
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0)
        return cr_errf(err, CR_FAIL, "%s: cannot open the daemon lock: %s", path, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        char holder[256] = "";
        ssize_t n = pread(f, holder, sizeof holder - 1, 0);
        holder[n > 0 ? n : 0] = 0;
        holder[strcspn(holder, "\n")] = 0;
        close(f);
        if (errno == EWOULDBLOCK || errno == EAGAIN || n >= 0)
            return cr_errf(err, CR_INVALID,
                           "%s: another `courtrules serve` is already running on this database "
                           "(%s); stop it first, one daemon per database",
                           db_path, *holder ? holder : "pid unknown");
        return cr_errf(err, CR_FAIL, "%s: cannot lock: %s", path, strerror(errno));
    }
    char text[256];
    int len = snprintf(text, sizeof text, "pid %ld, listening on %s\n", (long)getpid(), listen);
    if (ftruncate(f, 0) != 0 || pwrite(f, text, (size_t)len, 0) != len) {
        close(f);
        return cr_errf(err, CR_FAIL, "%s: cannot write the daemon lock: %s", path,
                       strerror(errno));
    }
    *fd = f;
    return CR_OK;
}

void daemon_unlock(const char *db_path, int fd)
{
    (void)db_path;
    if (fd < 0)
        return;
    /* The file stays (unlinking it would let a newcomer lock a fresh file
     * while another process still holds the old one); only the holder line
     * goes. A failed truncate leaves a stale line, which the next holder
     * overwrites. */
    int truncated = ftruncate(fd, 0);
    (void)truncated;
    close(fd);
}

/* ---- signals ---- */

static void signal_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

void daemon_block_signals(void)
{
    sigset_t set;
    signal_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client that hangs up is an error return, not death */
}

int daemon_wait_signal(void)
{
    sigset_t set;
    signal_set(&set);
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    return sig;
}
