/*
 * sched_run.h -- running the schedules rules declare (docs/schedules.md).
 *
 * A schedule's run is a court-level evaluation: at a fire time, run(court,
 * ctx) is called for every court in its rule set's scope to which its rule
 * applies (as on_court is: not where a more specific set replaces or
 * disables the rule), with the ctx on_court gets and ctx.as_of the fire
 * time's date in the schedule's zone. Alerts are stored like on_court
 * alerts, under the dedup namespace "set/rule@schedule:" so that
 * evaluations and schedule runs never resolve each other's; a court's
 * schedule alerts not raised again by the next successful run of that
 * schedule are resolved. A failure is recorded (failures, schedule state)
 * with rule, court and reason; it does not count towards quarantine, but a
 * quarantined rule's schedules do not run.
 */
#ifndef COURTRULES_SCHED_RUN_H
#define COURTRULES_SCHED_RUN_H

#include <jansson.h>
#include <stdint.h>

#include "calendar.h"
#include "db.h"
#include "err.h"
#include "rules.h"

#define SCHED_DEFAULT_GRACE 120        /* seconds a fire time stays "on time" */
#define SCHED_DEFAULT_LEASE (6 * 3600) /* a running mark older than this is stale */

typedef struct sched_run_options {
    int64_t now;         /* the pass's clock, UTC seconds (the daemon: time(NULL)) */
    int64_t grace;       /* on-time window for catch_up "skip"; 0 = SCHED_DEFAULT_GRACE */
    int64_t lease;       /* a run marked running longer than this is presumed dead
                            (its process crashed) and taken over; 0 = SCHED_DEFAULT_LEASE */
    const calendar *cal; /* workdays_only and ctx.date; NULL = Monday to Friday */
    const char *actor;   /* for the audit trail; NULL = audit_cli_actor() */
} sched_run_options;

typedef struct sched_run_summary {
    int64_t schedules;       /* schedules looked at */
    int64_t runs;            /* fire times run */
    int64_t failed_runs;     /* of which some court's run failed */
    int64_t skipped_running; /* schedules left alone: another run holds the mark */
    int64_t missed;          /* fire times dropped or collapsed by catch-up */
    int64_t alerts_created, alerts_resolved;
    json_t *events; /* [{rule_set, rule, schedule, fire, status, courts, failed, reason?,
                        run_id?, alerts_created?}] one per run or decision; caller decrefs */
} sched_run_summary;

/*
 * One pass of the scheduler: for every schedule of every loaded rule, plans
 * the fire times due at opt->now (sched_plan_due with the schedule's
 * catch-up policy and its persisted last fire time), runs them oldest
 * first, and for each stores alerts, failures and the new last fire time in
 * one transaction. A schedule seen for the first time has nothing due
 * before now - grace. Runs of one schedule never overlap: the schedule is
 * marked running (committed, BEGIN IMMEDIATE) before its runs and cleared
 * by the last one; a pass that finds the mark (another process, or a
 * crashed run younger than the lease) leaves the schedule alone.
 *
 * Threading: db is the calling thread's own connection (one cr_db per
 * thread) and rs is used only by this thread for the call (its lua_States
 * are not shared); one query-only connection is opened per fire time for
 * ctx.query. A daemon calls this from its scheduler thread, e.g. every 30
 * seconds with grace at least twice that interval.
 *
 * CR_FAIL on a storage failure (runs committed before it stay); rule
 * failures are not errors. sum->events must be decref'd by the caller.
 */
cr_status sched_run_due(cr_db *db, rule_sets *rs, const sched_run_options *opt,
                        sched_run_summary *sum, cr_err *err);

#endif
