/*
 * http_api.h -- the HTTP API's handlers, apart from the server glue
 * (http.c): a call comes in with its route, token and body; a reply goes
 * out with a status and a JSON (or text) body. Handlers never see
 * libmicrohttpd.
 *
 * Court isolation: every handler limits what it reads and writes to the
 * token's court scope, and answers for another court's case or alert
 * exactly as for a missing one.
 */
#ifndef COURTRULES_HTTP_API_H
#define COURTRULES_HTTP_API_H

#include <jansson.h>
#include <stddef.h>

#include "db_tokens.h"
#include "engine.h"
#include "http_route.h"
#include "token_cache.h"

typedef struct http_call {
    const http_route *route;
    const db_token *token; /* NULL on public routes */
    const char *body;      /* NUL-terminated; "" when none */
    size_t body_len;
    const char *content_type; /* may be NULL */
    /* A decoded query-string argument, or NULL. */
    const char *(*query)(void *ud, const char *key);
    void *query_ud;
} http_call;

typedef struct http_reply {
    int status;
    json_t *json;             /* the body as JSON (owned), or NULL and: */
    const char *text;         /* a body of static text (the OpenAPI document), or */
    char *owned_text;         /* a malloc'd body (metrics) */
    size_t text_len;
    const char *content_type; /* for text bodies */
} http_reply;

/* Fills reply with {"error": message, "status": status}. */
void http_reply_error(http_reply *reply, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks an Authorization header ("Bearer crt_…") against the stored
 * tokens, or against cache (may be NULL) if the token was found valid less
 * than the cache's ttl ago. 1 with token filled; 0 with reply set to 401
 * (or 500). */
int http_api_authenticate(engine *e, token_cache *cache, const char *authorization,
                          db_token *token, http_reply *reply);

/* Runs the call's handler. */
void http_api_handle(engine *e, const http_call *call, http_reply *reply);

/* The rule-set reload (POST /v1/rules/reload and SIGHUP): *reply gets the
 * outcome, 200 if swapped in, 422 if refused. */
void http_api_reload(engine *e, const char *actor, http_reply *reply);

#endif
