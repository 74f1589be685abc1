/*
 * db_sched.h -- storage of schedule state (table `schedules`, migration 5
 * in db.c). Part of the storage module. Times are UTC seconds since 1970;
 * -1 means "none". Writes happen inside the caller's db_begin()/db_commit().
 */
#ifndef COURTRULES_DB_SCHED_H
#define COURTRULES_DB_SCHED_H

#include <jansson.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

typedef struct db_sched_key {
    const char *rule_set, *rule, *schedule;
} db_sched_key;

typedef struct db_sched_state {
    int exists;
    int64_t seen_from;     /* fire times before it are never due */
    int64_t last_fire;     /* the latest fire time handled, or -1 */
    int64_t running_since; /* a run under way since, or -1 */
    char last_status[16];  /* "ok", "failed", "skipped", "quarantined" or "" */
} db_sched_state;

cr_status db_sched_get(cr_db *db, const db_sched_key *k, db_sched_state *out, cr_err *err);

/* Creates the row on first sight (no-op if it exists): nothing before
 * seen_from is due. cron and tz are stored for `schedule list`. */
cr_status db_sched_init(cr_db *db, const db_sched_key *k, const char *cron, const char *tz,
                        int64_t seen_from, cr_err *err);

/* Sets (since >= 0) or clears (since = -1) the running mark. */
cr_status db_sched_set_running(cr_db *db, const db_sched_key *k, int64_t since, cr_err *err);

/* Records an outcome: last_fire, status and reason (may be NULL), the
 * eval_runs id (-1: none), ran (1 if a run happened: runs += 1, failures +=
 * 1 when status is "failed"), missed fire times added. Keeps cron and tz
 * current. */
typedef struct db_sched_outcome {
    int64_t last_fire;
    const char *status, *reason;
    int64_t run_id;
    int ran;
    int64_t missed;
    const char *cron, *tz;
} db_sched_outcome;
cr_status db_sched_record(cr_db *db, const db_sched_key *k, const db_sched_outcome *o, cr_err *err);

/* Resolves the open or acked alerts of court whose dedup key starts with
 * key_prefix ("set/rule@schedule:") and that run_id did not raise. */
cr_status db_sched_resolve_stale(cr_db *db, int64_t run_id, const char *court,
                                 const char *key_prefix, int64_t *resolved, cr_err *err);

/* Every row: [{rule_set, rule, schedule, cron, tz, seen_from, last_fire,
 * last_status, last_reason, last_run_id, last_finished_at, running_since,
 * runs, failures, missed}] (times as UTC seconds or null). Caller decrefs. */
cr_status db_sched_list(cr_db *db, json_t **out, cr_err *err);

#endif
