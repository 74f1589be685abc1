/*
 * http_route.c -- the route table (see http_route.h).
 */
#include "http_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

/* A path pattern is literal text with at most one "{}" standing for one
 * non-empty segment (no '/'). */
static const struct {
    http_route_id id;
    const char *method, *pattern, *name;
    int perm, has_body, numeric_arg;
} routes[] = {
    {ROUTE_HEALTHZ, "GET", "/healthz", "healthz", 0, 0, 0},
    {ROUTE_METRICS, "GET", "/metrics", "metrics", TOKEN_READ, 0, 0},
    {ROUTE_OPENAPI, "GET", "/v1/openapi.json", "openapi", 0, 0, 0},
    {ROUTE_RECORDS, "POST", "/v1/records", "records", TOKEN_FILE, 1, 0},
    {ROUTE_TRIAGE, "POST", "/v1/triage", "triage", TOKEN_FILE, 1, 0},
    {ROUTE_EVALUATE, "POST", "/v1/evaluate", "evaluate", TOKEN_FILE, 1, 0},
    {ROUTE_CASE, "GET", "/v1/cases/{}", "case", TOKEN_READ, 0, 0},
    {ROUTE_CASE_EXPLAIN, "GET", "/v1/cases/{}/explain", "case_explain", TOKEN_READ, 0, 0},
    {ROUTE_ALERTS, "GET", "/v1/alerts", "alerts", TOKEN_READ, 0, 0},
    {ROUTE_ALERT_ACK, "POST", "/v1/alerts/{}/ack", "alert_ack", TOKEN_OPERATE, 1, 1},
    {ROUTE_ALERT_RESOLVE, "POST", "/v1/alerts/{}/resolve", "alert_resolve", TOKEN_OPERATE, 1, 1},
    {ROUTE_RULES_RELOAD, "POST", "/v1/rules/reload", "rules_reload", TOKEN_ADMIN, 0, 0},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

/* Does path match pattern? The "{}" segment is copied to arg. */
static int path_matches(const char *pattern, const char *path, char *arg)
{
    const char *hole = strstr(pattern, "{}");
    if (!hole)
        return strcmp(pattern, path) == 0;
    size_t head = (size_t)(hole - pattern);
    const char *tail = hole + 2;
    size_t tail_len = strlen(tail), path_len = strlen(path);
    if (path_len < head + tail_len + 1 || strncmp(path, pattern, head) != 0 ||
        strcmp(path + path_len - tail_len, tail) != 0)
        return 0;
    size_t seg = path_len - head - tail_len;
    if (seg >= HTTP_ROUTE_ARG_MAX || memchr(path + head, '/', seg))
        return 0;
    memcpy(arg, path + head, seg);
    arg[seg] = 0;
    return 1;
}

static int positive_number(const char *s)
{
    char *end;
    if (!*s || *s == '0' || strlen(s) > 18)
        return 0;
    long long v = strtoll(s, &end, 10);
    return !*end && v > 0;
}

int http_route_match(const char *method, const char *path, http_route *out, const char **allow)
{
    int path_known = 0;
    for (size_t i = 0; i < N_ROUTES; i++) {
        char arg[HTTP_ROUTE_ARG_MAX] = "";
        if (!path_matches(routes[i].pattern, path, arg))
            continue;
        if (routes[i].numeric_arg && !positive_number(arg))
            continue;
        if (strcmp(routes[i].method, method) != 0) {
            path_known = 1;
            if (allow)
                *allow = routes[i].method;
            continue;
        }
        out->id = routes[i].id;
        out->name = routes[i].name;
        out->perm = routes[i].perm;
        out->has_body = routes[i].has_body;
        snprintf(out->arg, sizeof out->arg, "%s", arg);
        return HTTP_ROUTE_FOUND;
    }
    return path_known ? HTTP_ROUTE_BAD_METHOD : HTTP_ROUTE_NOT_FOUND;
}

const char *http_route_name(http_route_id id)
{
    for (size_t i = 0; i < N_ROUTES; i++)
        if (routes[i].id == id)
            return routes[i].name;
    return "unknown";
}
