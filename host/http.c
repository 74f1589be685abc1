/*
 * http.c -- libmicrohttpd glue: connections, bodies, authentication and
 * dispatch to http_api.c (see http.h).
 */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http_api.h"
#include "jsontext.h"
#include "log.h"
#include "metrics.h"
#include "token.h"

struct http_server {
    struct MHD_Daemon *mhd;
    engine *engine;
    token_cache *tokens;
    size_t max_body;
    double body_seconds;  /* a request still sending its body after this is cut off */
    atomic_int in_flight; /* requests begun and not yet completed */
    unsigned port;
};

/* One request, from its first callback to its completion. */
typedef struct request {
    http_route route;
    db_token token;
    int has_token;
    char *body;
    size_t len, cap;
    int status;       /* set once a response is queued */
    int too_large;    /* the body went over max_body: it is discarded, then 413 */
    size_t discarded; /* bytes discarded since */
    double started;
    http_reply early; /* refused before its body: answered once the body is read */
    const char *early_allow;
    int has_early;
    char method[16];
    char path[384]; /* longer: 414 (and the struct stays in the allocator's per-thread cache) */
} request;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *query_arg(void *ud, const char *key)
{
    return MHD_lookup_connection_value(ud, MHD_GET_ARGUMENT_KIND, key);
}

/* Queues reply (consuming it) and records its status in r. */
static enum MHD_Result send_reply(struct MHD_Connection *c, request *r, http_reply *reply,
                                  const char *allow)
{
    struct MHD_Response *resp;
    const char *type = "application/json; charset=utf-8";
    if (reply->json) {
        char *text = jsontext_dumps(reply->json, JSON_COMPACT, NULL);
        json_decref(reply->json);
        reply->json = NULL;
        if (!text) {
            reply->status = 500;
            text = strdup("{\"error\":\"out of memory\",\"status\":500}");
        }
        size_t n = text ? strlen(text) : 0;
        resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    } else if (reply->owned_text) {
        resp = MHD_create_response_from_buffer(reply->text_len, reply->owned_text,
                                               MHD_RESPMEM_MUST_FREE);
        type = reply->content_type;
    } else {
        resp = MHD_create_response_from_buffer(reply->text_len, (void *)reply->text,
                                               MHD_RESPMEM_PERSISTENT);
        type = reply->content_type ? reply->content_type : type;
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (reply->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"courtrules\"");
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    r->status = reply->status;
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)reply->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* The first callback of a request: route, authentication, permission and
 * the declared body size. Returns 1 if a response was queued (an error).
 * path_len: the request path's length (r->path holds less when too long). */
static int begin_request(http_server *s, struct MHD_Connection *c, request *r, size_t path_len,
                         http_reply *reply, const char **allow)
{
    if (path_len >= sizeof r->path) {
        http_reply_error(reply, 414, "request path of %zu bytes is over the limit of %zu bytes",
                         path_len, sizeof r->path - 1);
        r->route.id = ROUTE_COUNT;
        return 1;
    }
    int found = http_route_match(r->method, r->path, &r->route, allow);
    if (found == HTTP_ROUTE_NOT_FOUND) {
        http_reply_error(reply, 404, "no such resource: %s %s", r->method, r->path);
        r->route.id = ROUTE_COUNT;
        return 1;
    }
    if (found == HTTP_ROUTE_BAD_METHOD) {
        http_reply_error(reply, 405, "%s is not allowed on %s (allowed: %s)", r->method, r->path,
                         *allow);
        r->route.id = ROUTE_COUNT;
        return 1;
    }
    *allow = NULL;
    if (r->route.perm) {
        const char *auth =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (!http_api_authenticate(s->engine, s->tokens, auth, &r->token, reply))
            return 1;
        r->has_token = 1;
        int perms = token_role_perms(r->token.role);
        if ((perms & r->route.perm) != r->route.perm) {
            http_reply_error(reply, 403, "token %lld (role %s) may not call %s %s",
                             (long long)r->token.id, r->token.role, r->method, r->path);
            return 1;
        }
    }
    const char *length =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length && strtoull(length, NULL, 10) > s->max_body) {
        http_reply_error(reply, 413, "request body of %s bytes is over the limit of %zu bytes",
                         length, s->max_body);
        return 1;
    }
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    http_server *s = cls;
    request *r = *con_cls;
    http_reply reply = {0};
    const char *allow = NULL;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *con_cls = r;
        atomic_fetch_add(&s->in_flight, 1);
        r->started = now_seconds();
        snprintf(r->method, sizeof r->method, "%s", method);
        snprintf(r->path, sizeof r->path, "%s", url);
        if (begin_request(s, c, r, strlen(url), &reply, &allow)) {
            /* A request refused before its body (401, 403, 404, 405, 414, 413
             * declared) is answered once its body is read: libmicrohttpd
             * would read it anyway, and reading it here keeps the body
             * deadline below in force. */
            const char *length =
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
            const char *chunked =
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
            if ((length && strcmp(length, "0") != 0) || chunked) {
                r->early = reply;
                r->early_allow = allow;
                r->has_early = 1;
                return MHD_YES;
            }
            return send_reply(c, r, &reply, allow);
        }
        return MHD_YES;
    }
    /* the idle timeout does not stop a client that trickles its body a byte
     * at a time: a request gets body_seconds in all to send it */
    if (*upload_data_size && now_seconds() - r->started > s->body_seconds)
        return MHD_NO;
    if (r->has_early) {
        if (*upload_data_size) {
            *upload_data_size = 0; /* dropped */
            return MHD_YES;
        }
        r->has_early = 0;
        return send_reply(c, r, &r->early, r->early_allow);
    }
    if (r->status) { /* answered early: the rest of the body is dropped */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->too_large || r->len + n > s->max_body) {
            /* libmicrohttpd answers only once the body is read, so an
             * oversize chunked body is read and dropped, not stored; a
             * client that keeps sending far past the cap is cut off. */
            free(r->body);
            r->body = NULL;
            r->len = r->cap = 0;
            r->too_large = 1;
            r->discarded += n;
            return r->discarded > 4 * s->max_body + (1u << 20) ? MHD_NO : MHD_YES;
        }
        if (r->len + n + 1 > r->cap) {
            /* From 512 bytes: a filing system's case fits, and a block
             * that small comes from the allocator's per-thread cache (one
             * of 4,096 made it sort its free lists on every request). */
            size_t cap = r->cap ? r->cap : 512;
            while (cap < r->len + n + 1)
                cap *= 2;
            char *p = realloc(r->body, cap);
            if (!p)
                return MHD_NO;
            r->body = p;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        r->body[r->len] = 0;
        return MHD_YES;
    }
    if (r->too_large) {
        http_reply_error(&reply, 413, "request body is over the limit of %zu bytes", s->max_body);
        return send_reply(c, r, &reply, NULL);
    }
    http_call call = {.route = &r->route,
                      .token = r->has_token ? &r->token : NULL,
                      .body = r->body ? r->body : "",
                      .body_len = r->len,
                      .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                                  MHD_HTTP_HEADER_CONTENT_TYPE),
                      .query = query_arg,
                      .query_ud = c};
    http_api_handle(s->engine, &call, &reply);
    return send_reply(c, r, &reply, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    http_server *s = cls;
    request *r = *con_cls;
    if (!r)
        return;
    double seconds = now_seconds() - r->started;
    int status = r->status ? r->status : 0; /* 0: the client left before an answer */
    metrics_request(r->route.id, status, seconds);
    /* The access log line, written as text: through json_pack and
     * json_dumps it cost as much as parsing the request's body. */
    char method[64], path[1400], members[1600];
    log_json_string(method, sizeof method, r->method);
    log_json_string(path, sizeof path, r->path);
    int n = snprintf(members, sizeof members, "\"method\":%s,\"path\":%s,\"status\":%d,\"ms\":%.3f",
                     method, path, status, seconds * 1e3);
    if (r->has_token && n > 0 && (size_t)n < sizeof members)
        n += snprintf(members + n, sizeof members - (size_t)n, ",\"token\":%lld",
                      (long long)r->token.id);
    if (why != MHD_REQUEST_TERMINATED_COMPLETED_OK && n > 0 && (size_t)n < sizeof members)
        snprintf(members + n, sizeof members - (size_t)n, ",\"terminated\":%d", (int)why);
    log_event_text(status >= 500 ? "error" : "info", "request", members);
    if (r->has_early) { /* cut off before its body ended: never answered */
        json_decref(r->early.json);
        free(r->early.owned_text);
    }
    free(r->body);
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

/* "HOST:PORT" or "[V6]:PORT" → a socket address. */
static cr_status parse_listen(const char *listen, struct sockaddr_storage *sa, int *v6, cr_err *err)
{
    char host[256];
    const char *port;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host)
            return cr_errf(err, CR_INVALID, "--listen '%s': expected [ADDRESS]:PORT", listen);
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = 0;
        port = close + 2;
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) >= sizeof host)
            return cr_errf(err, CR_INVALID, "--listen '%s': expected HOST:PORT", listen);
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = 0;
        port = colon + 1;
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535)
        return cr_errf(err, CR_INVALID, "--listen '%s': the port must be 0 to 65535", listen);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
    if (rc != 0 || !res)
        return cr_errf(err, CR_INVALID, "--listen '%s': %s", listen, gai_strerror(rc));
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return CR_OK;
}

/* Each connection's block for its headers and buffers (docs/serve.md: about
 * 7,600 bytes of headers fit, more are 431; Tomcat's and Jetty's limit is
 * 8 KiB too). libmicrohttpd zeroes the whole block whenever a kept-alive
 * connection starts its next request, so it is no larger than headers
 * need (what 64 KiB cost: bench/README, api.sh, eleventh round). A body is
 * passed on in pieces and may be much larger (--max-body). */
#define CONNECTION_MEMORY (8 * 1024)

cr_status http_start(const http_config *cfg, engine *e, http_server **out, cr_err *err)
{
    struct sockaddr_storage sa;
    int v6 = 0;
    cr_status st = parse_listen(cfg->listen, &sa, &v6, err);
    if (st != CR_OK)
        return st;
    http_server *s = calloc(1, sizeof *s);
    if (!s)
        return cr_errf(err, CR_FAIL, "out of memory");
    s->engine = e;
    s->max_body = cfg->max_body;
    s->body_seconds = 4.0 * (cfg->timeout_s ? cfg->timeout_s : 30);
    if (cfg->token_cache_ms && !(s->tokens = token_cache_new(cfg->token_cache_ms))) {
        free(s);
        return cr_errf(err, CR_FAIL, "token cache: out of memory or no random key");
    }
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC | (v6 ? MHD_USE_IPv6 : 0);
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, cfg->threads ? cfg->threads : 1u, MHD_OPTION_CONNECTION_LIMIT,
        cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->mhd) {
        token_cache_free(s->tokens);
        free(s);
        return cr_errf(err, CR_FAIL, "cannot listen on %s (address in use, or not allowed?)",
                       cfg->listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    *out = s;
    return CR_OK;
}

unsigned http_port(http_server *s)
{
    return s->port;
}

void http_stop(http_server *s)
{
    if (!s)
        return;
    MHD_socket listener = MHD_quiesce_daemon(s->mhd);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    /* Requests already begun run to their answer (they hold a slot and a
     * transaction); idle keep-alive connections are not waited for. */
    struct timespec tick = {0, 10 * 1000 * 1000};
    while (atomic_load(&s->in_flight) > 0)
        nanosleep(&tick, NULL);
    MHD_stop_daemon(s->mhd);
    token_cache_free(s->tokens);
    free(s);
}
