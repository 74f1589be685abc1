/*
 * http_api.c -- authentication, dispatch, and the read and operator
 * endpoints (see http_api.h).
 */
#include "http_api_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_action.h"
#include "casenum.h"
#include "dates.h"
#include "db_eval.h"
#include "jsontext.h"
#include "metrics.h"
#include "token.h"

/* docs/openapi.json, embedded at build time (CMakeLists.txt). */
extern const unsigned char http_openapi_doc[];
extern const unsigned long http_openapi_doc_len;

void http_reply_error(http_reply *reply, int status, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_decref(reply->json);
    reply->status = status;
    reply->json = json_pack("{s:s, s:i}", "error", msg, "status", status);
}

void http_api_fail(http_reply *reply, int invalid_status, const cr_err *err, int st)
{
    if (st == CR_INVALID)
        http_reply_error(reply, invalid_status, "%s", err->msg);
    else
        http_reply_error(reply, 500, "%s", err->msg);
}

json_t *http_api_body_json(const http_call *call, http_reply *reply)
{
    json_error_t jerr;
    json_t *j = jsontext_loadb(call->body, call->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        http_reply_error(reply, 400, "invalid JSON at line %d, column %d (byte %d): %s", jerr.line,
                         jerr.column, jerr.position, jerr.text);
        json_object_set_new(reply->json, "line", json_integer(jerr.line));
        json_object_set_new(reply->json, "column", json_integer(jerr.column));
        json_object_set_new(reply->json, "position", json_integer(jerr.position));
    }
    return j;
}

void http_api_actor(const http_call *call, char *out, size_t len)
{
    if (call->token)
        snprintf(out, len, "token:%lld:%s", (long long)call->token->id, call->token->name);
    else
        snprintf(out, len, "http");
}

int http_api_as_of(json_t *body, char out[11], http_reply *reply)
{
    json_t *given = json_object_get(body, "as_of");
    if (!given || json_is_null(given)) {
        date_format(date_today_shanghai(), out);
        return 0;
    }
    cr_date d;
    char why[128];
    if (!json_is_string(given) || date_parse(json_string_value(given), &d, why, sizeof why) != 0) {
        http_reply_error(reply, 400, "as_of: %s",
                         json_is_string(given) ? why : "must be a date string (YYYY-MM-DD)");
        return -1;
    }
    date_format(d, out);
    return 0;
}

int http_api_authenticate(engine *e, token_cache *cache, const char *authorization, db_token *token,
                          http_reply *reply)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0) {
        http_reply_error(reply, 401, "a bearer token is required (Authorization: Bearer crt_…)");
        return 0;
    }
    const char *text = authorization + 7;
    text += strspn(text, " ");
    if (!token_well_formed(text)) {
        http_reply_error(reply, 401, "the bearer token is not valid");
        return 0;
    }
    if (token_cache_get(cache, text, token))
        return 1;
    char hash[65];
    token_hash(text, hash);
    cr_err err;
    engine_slot *s = engine_acquire(e);
    int found = db_token_lookup(engine_db(s), hash, token, &err);
    engine_release(e, s);
    if (found < 0) {
        http_reply_error(reply, 500, "%s", err.msg);
        return 0;
    }
    if (!found) {
        http_reply_error(reply, 401, "the bearer token is not valid (unknown or revoked)");
        return 0;
    }
    token_cache_put(cache, text, token);
    return 1;
}

/* ---- reads ---- */

/* The explain document of a case in the token's scope; NULL with reply
 * set to 404 -- the same for a missing case and another court's. */
static json_t *case_in_scope(engine *e, const http_call *call, http_reply *reply)
{
    const char *case_no = call->route->arg;
    cr_casenum no;
    char why[256];
    if (casenum_parse(case_no, &no, why, sizeof why) != 0) {
        http_reply_error(reply, 400, "case number '%s': %s", case_no, why);
        return NULL;
    }
    engine_slot *s = engine_acquire(e);
    json_t *doc = NULL;
    cr_err err;
    cr_status st = db_eval_explain(engine_db(s), case_no, &doc, &err);
    engine_release(e, s);
    if (st == CR_OK) {
        const char *court =
            json_string_value(json_object_get(json_object_get(doc, "case"), "court"));
        if (!token_covers(call->token->court, court)) {
            json_decref(doc);
            doc = NULL;
            st = cr_errf(&err, CR_INVALID, "case %s is not in the database", case_no);
        }
    }
    if (st != CR_OK)
        http_api_fail(reply, 404, &err, st);
    return doc;
}

static void get_case(engine *e, const http_call *call, http_reply *reply)
{
    json_t *doc = case_in_scope(e, call, reply);
    if (!doc)
        return;
    json_object_del(doc, "results");
    json_object_del(doc, "failures");
    reply->status = 200;
    reply->json = doc;
}

static void get_explain(engine *e, const http_call *call, http_reply *reply)
{
    json_t *doc = case_in_scope(e, call, reply);
    if (!doc)
        return;
    reply->status = 200;
    reply->json = doc;
}

#define ALERTS_PAGE_DEFAULT 100
#define ALERTS_PAGE_MAX 1000

static int query_positive(const http_call *call, const char *key, int64_t *out, http_reply *reply)
{
    const char *v = call->query(call->query_ud, key);
    if (!v)
        return 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < 1) {
        http_reply_error(reply, 400, "%s: a number >= 1, not '%s'", key, v);
        return -1;
    }
    *out = n;
    return 0;
}

static void get_alerts(engine *e, const http_call *call, http_reply *reply)
{
    db_alert_filter f = {.limit = ALERTS_PAGE_DEFAULT};
    const char *scope = call->token->court;
    const char *court = call->query(call->query_ud, "court");
    char why[256], since[26];
    if (court) {
        if (court_code_check(court, why, sizeof why) != 0) {
            http_reply_error(reply, 400, "court '%s': %s", court, why);
            return;
        }
        if (!token_scope_within(court, scope)) {
            http_reply_error(reply, 403, "court %s is outside this token's courts (%s)", court,
                             scope);
            return;
        }
        f.court_prefix = court;
    } else {
        f.court_prefix = strcmp(scope, "*") == 0 ? NULL : scope;
    }
    f.code = call->query(call->query_ud, "code");
    f.status = call->query(call->query_ud, "status");
    if (f.status && strcmp(f.status, "open") && strcmp(f.status, "acked") &&
        strcmp(f.status, "resolved")) {
        http_reply_error(reply, 400, "status must be open, acked or resolved, not '%s'", f.status);
        return;
    }
    const char *since_arg = call->query(call->query_ud, "since");
    if (since_arg) {
        cr_date day;
        if (datetime_parse(since_arg, since, &day, why, sizeof why) != 0) {
            http_reply_error(reply, 400, "since '%s': %s", since_arg, why);
            return;
        }
        f.since = since;
    }
    f.case_no = call->query(call->query_ud, "case_no");
    cr_casenum no;
    if (f.case_no && casenum_parse(f.case_no, &no, why, sizeof why) != 0) {
        http_reply_error(reply, 400, "case_no '%s': %s", f.case_no, why);
        return;
    }
    if (query_positive(call, "limit", &f.limit, reply) != 0 ||
        query_positive(call, "before", &f.before_id, reply) != 0)
        return;
    if (f.limit > ALERTS_PAGE_MAX)
        f.limit = ALERTS_PAGE_MAX;
    int64_t page = f.limit;
    f.limit = page + 1; /* one more tells whether there is a next page */
    engine_slot *s = engine_acquire(e);
    json_t *alerts = NULL;
    cr_err err;
    cr_status st = db_eval_alerts(engine_db(s), &f, &alerts, &err);
    engine_release(e, s);
    if (st != CR_OK) {
        http_api_fail(reply, 400, &err, st);
        return;
    }
    json_t *next = json_null();
    if ((int64_t)json_array_size(alerts) > page) {
        json_array_remove(alerts, (size_t)page);
        json_t *last = json_array_get(alerts, (size_t)page - 1);
        next = json_integer(json_integer_value(json_object_get(last, "id")));
    }
    reply->status = 200;
    reply->json = json_pack("{s:o, s:I, s:o}", "alerts", alerts, "limit", (json_int_t)page,
                            "next_before", next);
}

/* ---- operators ---- */

static void alert_action(engine *e, const http_call *call, http_reply *reply)
{
    int64_t id = strtoll(call->route->arg, NULL, 10);
    const char *action = call->route->id == ROUTE_ALERT_ACK ? "ack" : "resolve";
    json_t *body = NULL;
    const char *note = NULL;
    if (call->body_len) {
        if (!(body = http_api_body_json(call, reply)))
            return;
        json_t *n = json_object_get(body, "note");
        if (!json_is_object(body) || (n && !json_is_string(n) && !json_is_null(n))) {
            http_reply_error(reply, 400, "the body must be an object {\"note\": \"text\"}");
            json_decref(body);
            return;
        }
        note = json_string_value(n);
    }
    char actor[200], code[64] = "", court[32] = "";
    http_api_actor(call, actor, sizeof actor);
    engine_slot *s = engine_acquire(e);
    cr_db *db = engine_db(s);
    /* The alert must be in the token's courts before anything else is said
     * about it: another court's alert is answered as a missing one. */
    db_alert_filter f = {
        .id = id, .court_prefix = strcmp(call->token->court, "*") ? call->token->court : NULL};
    json_t *found = NULL;
    cr_err err;
    cr_status st = db_eval_alerts(db, &f, &found, &err);
    if (st == CR_OK && json_array_size(found) == 0)
        st = cr_errf(&err, CR_INVALID, "alert %lld does not exist", (long long)id);
    int missing = st == CR_INVALID;
    if (st == CR_OK)
        st = alert_action_apply(db, id, action, actor, note, code, court, &err);
    engine_release(e, s);
    json_decref(found);
    if (st != CR_OK) {
        http_api_fail(reply, missing ? 404 : 409, &err, st);
    } else {
        reply->status = 200;
        reply->json =
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?}", "id", (json_int_t)id, "code", code,
                      "court", court, "status", strcmp(action, "ack") == 0 ? "acked" : "resolved",
                      "actor", actor, "note", note);
    }
    json_decref(body); /* note points into it */
}

void http_api_reload(engine *e, const char *actor, http_reply *reply)
{
    json_t *outcome = NULL;
    cr_err err;
    cr_status st = engine_reload(e, actor, &outcome, &err);
    metrics_add(st == CR_OK ? METRIC_RELOADS_OK : METRIC_RELOADS_REFUSED, 1);
    reply->status = st == CR_OK ? 200 : st == CR_INVALID ? 422 : 500;
    reply->json = outcome;
    if (st != CR_OK)
        json_object_set_new(outcome, "error", json_string(err.msg));
}

/* ---- service ---- */

static void get_metrics(engine *e, const http_call *call, http_reply *reply)
{
    /* Counts span every court: only a token for every court may read them. */
    if (strcmp(call->token->court, "*") != 0) {
        http_reply_error(reply, 403, "metrics cover every court: they need a token for '*'");
        return;
    }
    json_t *status = engine_status(e);
    char *text = metrics_render(json_string_value(json_object_get(status, "fingerprint")));
    json_decref(status);
    if (!text) {
        http_reply_error(reply, 500, "out of memory");
        return;
    }
    reply->status = 200;
    reply->owned_text = text;
    reply->text_len = strlen(text);
    reply->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

void http_api_handle(engine *e, const http_call *call, http_reply *reply)
{
    char actor[200];
    switch (call->route->id) {
    case ROUTE_HEALTHZ:
        reply->status = 200;
        reply->json = json_pack("{s:s, s:o}", "status", "ok", "rules", engine_status(e));
        return;
    case ROUTE_OPENAPI:
        reply->status = 200;
        reply->text = (const char *)http_openapi_doc;
        reply->text_len = http_openapi_doc_len;
        reply->content_type = "application/json; charset=utf-8";
        return;
    case ROUTE_METRICS:
        get_metrics(e, call, reply);
        return;
    case ROUTE_RECORDS:
        http_api_records(e, call, reply);
        return;
    case ROUTE_TRIAGE:
        http_api_triage(e, call, reply);
        return;
    case ROUTE_EVALUATE:
        http_api_evaluate(e, call, reply);
        return;
    case ROUTE_CASE:
        get_case(e, call, reply);
        return;
    case ROUTE_CASE_EXPLAIN:
        get_explain(e, call, reply);
        return;
    case ROUTE_ALERTS:
        get_alerts(e, call, reply);
        return;
    case ROUTE_ALERT_ACK:
    case ROUTE_ALERT_RESOLVE:
        alert_action(e, call, reply);
        return;
    case ROUTE_RULES_RELOAD:
        http_api_actor(call, actor, sizeof actor);
        http_api_reload(e, actor, reply);
        return;
    case ROUTE_COUNT:
        break;
    }
    http_reply_error(reply, 404, "no such resource");
}
