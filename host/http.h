/*
 * http.h -- the HTTP server (libmicrohttpd) in front of http_api.c.
 *
 * Defences against slow or half-open clients: a fixed pool of polling
 * threads (epoll where available), so an idle or trickling connection holds
 * no thread; a total and a per-IP connection limit; an idle timeout; a
 * per-connection memory limit for headers; and a body cap enforced while
 * reading (Content-Length checked up front, chunked bodies counted as they
 * arrive), answered with 413.
 */
#ifndef COURTRULES_HTTP_H
#define COURTRULES_HTTP_H

#include <stddef.h>

#include "engine.h"
#include "err.h"

typedef struct http_config {
    const char *listen;       /* "127.0.0.1:8080", "[::1]:8080", "localhost:0" */
    unsigned threads;         /* polling threads, each answering one request at a time */
    size_t max_body;          /* bytes */
    unsigned max_connections; /* in total */
    unsigned per_ip;          /* connections from one address */
    unsigned timeout_s;       /* idle connections are closed after this; a request
                                 still sending its body after 4 times this is cut off */
    unsigned token_cache_ms;  /* a valid token is rechecked after this; 0: every request */
} http_config;

typedef struct http_server http_server;

/* Parses "HOST:PORT" ("[v6]:PORT" for IPv6) and starts listening. CR_INVALID
 * for a malformed address, CR_FAIL if it cannot listen. */
cr_status http_start(const http_config *cfg, engine *e, http_server **out, cr_err *err);

/* The port listened on (useful with port 0). */
unsigned http_port(http_server *s);

/* Stops accepting, lets the requests in progress finish and answer, then
 * stops. NULL is a no-op. */
void http_stop(http_server *s);

#endif
