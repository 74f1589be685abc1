/*
 * http_route.h -- the HTTP API's routes: which handler a method and path
 * reach, and what permission it needs. Pure: no I/O, so it is unit-tested
 * on its own. Paths arrive percent-decoded (libmicrohttpd decodes them).
 */
#ifndef COURTRULES_HTTP_ROUTE_H
#define COURTRULES_HTTP_ROUTE_H

#include <stddef.h>

typedef enum http_route_id {
    ROUTE_HEALTHZ,
    ROUTE_METRICS,
    ROUTE_OPENAPI,
    ROUTE_RECORDS,
    ROUTE_TRIAGE,
    ROUTE_EVALUATE,
    ROUTE_CASE,
    ROUTE_CASE_EXPLAIN,
    ROUTE_ALERTS,
    ROUTE_ALERT_ACK,
    ROUTE_ALERT_RESOLVE,
    ROUTE_RULES_RELOAD,
    ROUTE_COUNT
} http_route_id;

#define HTTP_ROUTE_ARG_MAX 256

typedef struct http_route {
    http_route_id id;
    const char *name; /* for logs and metrics: "triage", "case_explain" … */
    int perm;         /* token_perm bits needed; 0 = no token needed */
    int has_body;     /* the handler reads a JSON body */
    char arg[HTTP_ROUTE_ARG_MAX]; /* the {案号} or {id} path segment, or "" */
} http_route;

enum { HTTP_ROUTE_FOUND = 0, HTTP_ROUTE_NOT_FOUND = 404, HTTP_ROUTE_BAD_METHOD = 405 };

/*
 * Matches method and path. Returns HTTP_ROUTE_FOUND with out filled;
 * HTTP_ROUTE_NOT_FOUND for an unknown path (or a path segment longer than
 * HTTP_ROUTE_ARG_MAX, or an alert id that is not a positive number);
 * HTTP_ROUTE_BAD_METHOD when the path exists with other methods (allow
 * receives them, e.g. "GET"). A trailing slash is not accepted.
 */
int http_route_match(const char *method, const char *path, http_route *out, const char **allow);

/* The route's name by id ("healthz" …), for metrics. */
const char *http_route_name(http_route_id id);

#endif
