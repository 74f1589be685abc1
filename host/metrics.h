/*
 * metrics.h -- the daemon's counters, rendered in the Prometheus text
 * exposition format (GET /metrics). Counting is lock-free (atomics), so any
 * thread -- request handlers, background jobs -- may count.
 */
#ifndef COURTRULES_METRICS_H
#define COURTRULES_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "http_route.h"

typedef enum metrics_counter {
    METRIC_EVALUATIONS,        /* cases evaluated through the API */
    METRIC_EVAL_FAILURES,      /* rule calls that failed in them */
    METRIC_ALERTS,             /* alerts their rules raised */
    METRIC_RECORDS,            /* records stored through the API */
    METRIC_RELOADS_OK,         /* rule-set reloads swapped in */
    METRIC_RELOADS_REFUSED,    /* reloads refused (the old rules kept serving) */
    METRIC_DELIVERIES,         /* webhook deliveries made (the delivery job counts) */
    METRIC_DELIVERY_FAILURES,  /* webhook delivery attempts that failed */
    METRIC_JOB_RUNS,           /* background job passes */
    METRIC_JOB_FAILURES,       /* background job passes that failed */
    METRIC_RULE_RERUNS,        /* rule calls made again with the count hook (sandbox.h) */
    METRIC_COUNTER_COUNT
} metrics_counter;

typedef enum metrics_gauge {
    GAUGE_ALERTS_OPEN, /* open alerts in the database, refreshed by a job */
    GAUGE_ALERTS_ACKED,
    GAUGE_COUNT
} metrics_gauge;

void metrics_add(metrics_counter c, int64_t n);
void metrics_set(metrics_gauge g, int64_t value);

/* One request: its route, status code and duration. */
void metrics_request(http_route_id route, int status, double seconds);

/* The exposition text (malloc'd; caller frees). rules_fingerprint labels
 * courtrules_rules_info. */
char *metrics_render(const char *rules_fingerprint);

#endif
