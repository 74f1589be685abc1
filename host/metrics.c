/*
 * metrics.c -- counters and request histograms (see metrics.h).
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *help;
} counter_info[METRIC_COUNTER_COUNT] = {
    {"courtrules_evaluations_total", "Cases evaluated through the API."},
    {"courtrules_evaluation_failures_total", "Rule calls that failed during API evaluations."},
    {"courtrules_alerts_raised_total", "Alerts raised by rules during API evaluations."},
    {"courtrules_records_total", "Records stored through POST /v1/records."},
    {"courtrules_rules_reloads_total{result=\"ok\"}", NULL},
    {"courtrules_rules_reloads_total{result=\"refused\"}", NULL},
    {"courtrules_deliveries_total", "Webhook deliveries made."},
    {"courtrules_delivery_failures_total", "Webhook delivery attempts that failed."},
    {"courtrules_job_runs_total", "Background job passes."},
    {"courtrules_job_failures_total", "Background job passes that failed."},
    {"courtrules_rule_reruns_total",
     "Rule calls made again with every instruction counted (they ran over about 1 ms)."},
};

static const struct {
    const char *name, *help;
} gauge_info[GAUGE_COUNT] = {
    {"courtrules_alerts{status=\"open\"}", "Alerts in the database by status."},
    {"courtrules_alerts{status=\"acked\"}", NULL},
};

/* Upper bounds in seconds; the last bucket is +Inf. */
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,   0.25,   0.5,   1,    2.5,   10};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])
#define N_CLASSES 5 /* 1xx … 5xx */

static atomic_llong counters[METRIC_COUNTER_COUNT];
static atomic_llong gauges[GAUGE_COUNT];
static atomic_llong requests[ROUTE_COUNT][N_CLASSES];
static atomic_llong hist[ROUTE_COUNT][N_BUCKETS + 1];
static atomic_llong hist_sum_us[ROUTE_COUNT];

void metrics_add(metrics_counter c, int64_t n)
{
    /* Adding nothing (no failures, no reruns: most evaluations) would still
     * take the counters' cache line from the other server thread's core. */
    if (n)
        atomic_fetch_add(&counters[c], n);
}

void metrics_set(metrics_gauge g, int64_t value)
{
    atomic_store(&gauges[g], value);
}

void metrics_request(http_route_id route, int status, double seconds)
{
    if ((unsigned)route >= ROUTE_COUNT)
        return;
    int cls = status / 100 - 1;
    if (cls >= 0 && cls < N_CLASSES)
        atomic_fetch_add(&requests[route][cls], 1);
    size_t b = 0;
    while (b < N_BUCKETS && seconds > buckets[b])
        b++;
    atomic_fetch_add(&hist[route][b], 1);
    atomic_fetch_add(&hist_sum_us[route], (long long)(seconds * 1e6));
}

typedef struct out {
    char *s;
    size_t len, cap;
    int oom;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = o->oom ? 0 : vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (o->oom || n < 0)
            return;
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = o->cap * 2 + (size_t)n + 1;
        char *p = realloc(o->s, cap);
        if (!p) {
            o->oom = 1;
            return;
        }
        o->s = p;
        o->cap = cap;
    }
}

/* "name{a="b"}" → "name"; "name" → itself. */
static void family(const char *metric, char *out_name, size_t len)
{
    snprintf(out_name, len, "%s", metric);
    char *brace = strchr(out_name, '{');
    if (brace)
        *brace = 0;
}

char *metrics_render(const char *rules_fingerprint)
{
    out o = {.cap = 8192};
    o.s = malloc(o.cap);
    if (!o.s)
        return NULL;
    o.s[0] = 0;
    char fam[128];
    for (int c = 0; c < METRIC_COUNTER_COUNT; c++) {
        family(counter_info[c].name, fam, sizeof fam);
        if (counter_info[c].help)
            put(&o, "# HELP %s %s\n# TYPE %s counter\n", fam, counter_info[c].help, fam);
        else if (c == METRIC_RELOADS_OK)
            put(&o, "# HELP %s Rule-set reloads by result.\n# TYPE %s counter\n", fam, fam);
        put(&o, "%s %lld\n", counter_info[c].name, (long long)atomic_load(&counters[c]));
    }
    for (int g = 0; g < GAUGE_COUNT; g++) {
        family(gauge_info[g].name, fam, sizeof fam);
        if (gauge_info[g].help)
            put(&o, "# HELP %s %s\n# TYPE %s gauge\n", fam, gauge_info[g].help, fam);
        put(&o, "%s %lld\n", gauge_info[g].name, (long long)atomic_load(&gauges[g]));
    }
    put(&o, "# HELP courtrules_http_requests_total HTTP requests by route and status class.\n"
            "# TYPE courtrules_http_requests_total counter\n");
    for (int r = 0; r < ROUTE_COUNT; r++)
        for (int k = 0; k < N_CLASSES; k++) {
            long long n = atomic_load(&requests[r][k]);
            if (n)
                put(&o, "courtrules_http_requests_total{route=\"%s\",status=\"%dxx\"} %lld\n",
                    http_route_name((http_route_id)r), k + 1, n);
        }
    put(&o, "# HELP courtrules_http_request_duration_seconds Time to answer a request.\n"
            "# TYPE courtrules_http_request_duration_seconds histogram\n");
    for (int r = 0; r < ROUTE_COUNT; r++) {
        const char *name = http_route_name((http_route_id)r);
        long long cumulative = 0;
        for (size_t b = 0; b <= N_BUCKETS; b++) {
            cumulative += atomic_load(&hist[r][b]);
            if (b < N_BUCKETS)
                put(&o,
                    "courtrules_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                    "%lld\n",
                    name, buckets[b], cumulative);
            else
                put(&o,
                    "courtrules_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                    "%lld\n",
                    name, cumulative);
        }
        put(&o, "courtrules_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", name,
            (double)atomic_load(&hist_sum_us[r]) / 1e6);
        put(&o, "courtrules_http_request_duration_seconds_count{route=\"%s\"} %lld\n", name,
            cumulative);
    }
    put(&o, "# HELP courtrules_rules_info The rule sets serving, by fingerprint.\n"
            "# TYPE courtrules_rules_info gauge\n"
            "courtrules_rules_info{fingerprint=\"%s\"} 1\n",
        rules_fingerprint ? rules_fingerprint : "");
    if (o.oom) {
        free(o.s);
        return NULL;
    }
    return o.s;
}
