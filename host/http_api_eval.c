/*
 * http_api_eval.c -- the filing system's endpoints: POST /v1/records,
 * /v1/triage and /v1/evaluate (see http_api.h).
 *
 * Records go through ingest_stream, so they are validated and stored
 * exactly as `courtrules ingest` does it (same messages, one transaction,
 * audited). Before that, every record's court is checked against the
 * token's scope from the record alone -- never from the database -- so a
 * refusal says nothing about what another court has stored.
 */
#include "http_api_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casenum.h"
#include "ingest.h"
#include "jsontext.h"
#include "metrics.h"
#include "record.h"
#include "token.h"

/* The court a record belongs to, from the record alone; NULL when only the
 * database could tell (an event of an old-style case number). */
static const char *record_court(const record *rec, char buf[32])
{
    switch (rec->type) {
    case REC_COURT:
        return rec->key;
    case REC_PERSON:
        return rec->u.person.court;
    case REC_CASE:
        return rec->u.kase.court;
    case REC_EVENT:
        if (rec->u.event.case_no) {
            cr_casenum no;
            char why[128];
            if (casenum_parse(rec->u.event.case_no, &no, why, sizeof why) != 0 || !*no.court)
                return NULL;
            snprintf(buf, 32, "%s", no.court);
            return buf;
        }
        return rec->u.event.court;
    default:
        return NULL;
    }
}

/* 0 if every record that parses is in the token's courts; -1 with reply
 * set to 403 naming the first that is not. Records that do not parse are
 * left to ingest, which reports them with its own messages. */
static int check_scope(const http_call *call, const char *lines, http_reply *reply)
{
    const char *scope = call->token->court;
    if (strcmp(scope, "*") == 0)
        return 0;
    long lineno = 0;
    for (const char *p = lines; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        record rec;
        cr_err err;
        if (record_parse(p, len, NULL, &rec, &err) == CR_OK) {
            char buf[32];
            const char *court = record_court(&rec, buf);
            int ok = court && token_covers(scope, court);
            if (!ok)
                http_reply_error(reply, 403, "request:%ld: %s '%s' %s", lineno,
                                 record_type_name(rec.type), rec.key,
                                 court ? "belongs to a court outside this token's courts"
                                       : "has no court code in its case number; only a token "
                                         "for every court may post it");
            if (ok && !court)
                ok = 0;
            record_free(&rec);
            if (!ok) {
                json_object_set_new(reply->json, "line", json_integer(lineno));
                return -1;
            }
        }
        p += len + (nl != NULL);
    }
    return 0;
}

/* Stores JSON Lines text as `ingest` does. 0, or -1 with reply set. */
static int ingest_lines(engine_slot *s, const http_call *call, const char *lines,
                        ingest_summary *sum, http_reply *reply)
{
    char actor[200];
    http_api_actor(call, actor, sizeof actor);
    size_t len = strlen(lines);
    FILE *in = len ? fmemopen((void *)lines, len, "r") : NULL;
    if (len && !in) {
        http_reply_error(reply, 500, "cannot read the request body");
        return -1;
    }
    if (!in) {
        http_reply_error(reply, 400, "request: no records (empty input)");
        return -1;
    }
    ingest_options opt = {.source = "request", .actor = actor};
    cr_err err;
    cr_status st = ingest_stream(engine_db(s), in, &opt, sum, &err);
    fclose(in);
    if (st != CR_OK) {
        http_api_fail(reply, 400, &err, st);
        return -1;
    }
    metrics_add(METRIC_RECORDS, sum->records);
    return 0;
}

/* Appends v as one JSON line. */
static int add_line(char **buf, size_t *len, json_t *v)
{
    char *text = jsontext_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY, NULL);
    if (!text)
        return -1;
    size_t n = strlen(text);
    char *p = realloc(*buf, *len + n + 2);
    if (!p) {
        free(text);
        return -1;
    }
    memcpy(p + *len, text, n);
    p[*len + n] = '\n';
    p[*len + n + 1] = 0;
    *buf = p;
    *len += n + 1;
    free(text);
    return 0;
}

void http_api_records(engine *e, const http_call *call, http_reply *reply)
{
    const char *type = call->content_type ? call->content_type : "";
    int jsonl = strncmp(type, "application/x-ndjson", 20) == 0 ||
                strncmp(type, "application/jsonl", 17) == 0;
    char *lines = NULL;
    size_t len = 0;
    if (jsonl) {
        lines = strdup(call->body);
    } else {
        json_t *body = http_api_body_json(call, reply);
        if (!body)
            return;
        if (json_is_array(body)) {
            size_t i;
            json_t *v;
            lines = strdup("");
            json_array_foreach(body, i, v)
            {
                if (lines && add_line(&lines, &len, v) != 0) {
                    free(lines);
                    lines = NULL;
                }
            }
        } else {
            lines = strdup("");
            if (lines && add_line(&lines, &len, body) != 0) {
                free(lines);
                lines = NULL;
            }
        }
        json_decref(body);
    }
    if (!lines) {
        http_reply_error(reply, 500, "out of memory");
        return;
    }
    if (check_scope(call, lines, reply) != 0) {
        free(lines);
        return;
    }
    engine_slot *s = engine_acquire(e);
    ingest_summary sum;
    int rc = ingest_lines(s, call, lines, &sum, reply);
    engine_release(e, s);
    free(lines);
    if (rc != 0)
        return;
    reply->status = 200;
    reply->json = ingest_summary_json(&sum);
}

/* ---- evaluation ---- */

/* A case posted for evaluation, validated. */
typedef struct posted_case {
    record rec; /* rec.doc: the normalized case record */
    int parsed;
    json_t *events; /* array of its normalized event records */
    char *lines;    /* the case and its events as JSON Lines, for ingest */
} posted_case;

static void posted_free(posted_case *pc)
{
    if (pc->parsed)
        record_free(&pc->rec);
    json_decref(pc->events);
    free(pc->lines);
    memset(pc, 0, sizeof *pc);
}

/* Validates obj as a case record (its "type" may be left out) and events
 * (may be NULL) as its events, and checks the court; both are normalized
 * in place, so they must be the request's own. where names the
 * case in messages ("case", "cases[2]"). With lines, pc->lines is also
 * made for ingest (persist); without, nothing is printed only to be parsed
 * again. 0, or -1 with reply set. */
static int post_case(const http_call *call, json_t *obj, json_t *events, const char *where,
                     int lines, posted_case *pc, http_reply *reply)
{
    memset(pc, 0, sizeof *pc);
    if (!json_is_object(obj)) {
        http_reply_error(reply, 400, "%s: must be a case record (an object)", where);
        return -1;
    }
    if (events && !json_is_array(events)) {
        http_reply_error(reply, 400, "events: must be an array of event records");
        return -1;
    }
    /* Normalizing rewrites nested members (parties) in place: obj is the
     * request's own tree, read by nothing after this (the lines for ingest
     * are printed before), so it is normalized where it is. */
    json_t *c = json_incref(obj);
    if (c && !json_object_get(c, "type"))
        json_object_set_new(c, "type", json_string("case"));
    size_t len = 0;
    cr_err err;
    cr_status st = c && (!lines || add_line(&pc->lines, &len, c) == 0) ? CR_OK : CR_FAIL;
    if (st == CR_OK)
        st = record_parse_json(json_incref(c), NULL, &pc->rec, &err);
    json_decref(c);
    if (st == CR_OK) {
        pc->parsed = 1;
        if (pc->rec.type != REC_CASE)
            st = cr_errf(&err, CR_INVALID, "type: must be \"case\"");
    }
    if (st != CR_OK) {
        http_reply_error(reply, st == CR_INVALID ? 400 : 500, "%s: %s", where,
                         st == CR_INVALID ? err.msg : "out of memory");
        return -1;
    }
    if (!token_covers(call->token->court, pc->rec.u.kase.court)) {
        http_reply_error(reply, 403, "%s: case %s belongs to a court outside this token's courts",
                         where, pc->rec.key);
        return -1;
    }
    json_t *docs = pc->events = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        json_t *copy = json_incref(ev);
        if (json_is_object(copy)) {
            if (!json_object_get(copy, "type"))
                json_object_set_new(copy, "type", json_string("event"));
            if (!json_object_get(copy, "case_no"))
                json_object_set_new(copy, "case_no", json_string(pc->rec.key));
        }
        st = copy && (!lines || add_line(&pc->lines, &len, copy) == 0) ? CR_OK : CR_FAIL;
        record erec;
        if (st == CR_OK)
            st = record_parse_json(json_incref(copy), NULL, &erec, &err);
        json_decref(copy);
        if (st == CR_OK) {
            if (erec.type != REC_EVENT || !erec.u.event.case_no ||
                strcmp(erec.u.event.case_no, pc->rec.key) != 0)
                st = cr_errf(&err, CR_INVALID, "must be an event of case %s", pc->rec.key);
            else
                json_array_append(docs, erec.doc);
            record_free(&erec);
        }
        if (st != CR_OK) {
            http_reply_error(reply, st == CR_INVALID ? 400 : 500, "events[%zu]: %s", i,
                             st == CR_INVALID ? err.msg : "out of memory");
            return -1;
        }
    }
    if (!docs) {
        http_reply_error(reply, 500, "out of memory");
        return -1;
    }
    return 0;
}

/* Counts an evaluation in the metrics. */
static void count_evaluation(const engine_answer *answer)
{
    metrics_add(METRIC_EVALUATIONS, 1);
    metrics_add(METRIC_EVAL_FAILURES, answer->failures);
    metrics_add(METRIC_ALERTS, answer->alerts);
    metrics_add(METRIC_RULE_RERUNS, answer->reruns);
}

/* Answers with JSON text already rendered (owned, consumed). */
static void reply_text(http_reply *reply, char *json, size_t len)
{
    reply->status = 200;
    reply->owned_text = json;
    reply->text_len = len;
    reply->content_type = "application/json; charset=utf-8";
}

/* {"evaluations":[...]} built from rendered answers, in order. */
typedef struct evaluations {
    char *s;
    size_t len, cap;
    int oom;
} evaluations;

static void evaluations_add(evaluations *ev, const char *json, size_t len)
{
    static const char head[] = "{\"evaluations\":[";
    if (ev->oom)
        return;
    /* The head or a comma, the answer, and room for the closing "]}". */
    size_t need = (ev->s ? ev->len + 1 : sizeof head - 1) + len + sizeof "]}";
    if (need > ev->cap) {
        size_t cap = ev->cap ? ev->cap : 8192;
        while (cap < need)
            cap *= 2;
        char *p = realloc(ev->s, cap);
        if (!p) {
            ev->oom = 1;
            return;
        }
        if (!ev->s) {
            memcpy(p, head, sizeof head - 1);
            ev->len = sizeof head - 1;
        } else {
            p[ev->len++] = ',';
        }
        ev->s = p;
        ev->cap = cap;
    } else {
        ev->s[ev->len++] = ',';
    }
    memcpy(ev->s + ev->len, json, len);
    ev->len += len;
}

/* Replies with the list (consumed). There is at least one answer. */
static void evaluations_reply(evaluations *ev, http_reply *reply)
{
    assert(ev->oom || ev->s);
    if (ev->oom) {
        free(ev->s);
        ev->s = NULL;
        http_reply_error(reply, 500, "out of memory");
        return;
    }
    memcpy(ev->s + ev->len, "]}", 3);
    reply_text(reply, ev->s, ev->len + 2);
    ev->s = NULL;
}

/* "persist": true unless false is given. 1, 0, or -1 with reply set. */
static int persist_flag(json_t *body, http_reply *reply)
{
    json_t *p = json_object_get(body, "persist");
    if (!p)
        return 1;
    if (!json_is_boolean(p)) {
        http_reply_error(reply, 400, "persist: must be true or false");
        return -1;
    }
    return json_is_true(p);
}

/* Evaluates a validated posted case: stored first with persist, else only
 * evaluated. 0 with *answer, or -1 with reply set. */
static int evaluate_posted(engine_slot *s, const http_call *call, posted_case *pc, int persist,
                           const char *as_of, engine_answer *answer, http_reply *reply)
{
    cr_err err;
    cr_status st;
    if (persist) {
        char actor[200];
        ingest_summary sum;
        http_api_actor(call, actor, sizeof actor);
        if (ingest_lines(s, call, pc->lines, &sum, reply) != 0)
            return -1;
        st = engine_eval_stored(s, as_of, pc->rec.key, call->token->court, 1, actor, answer, &err);
    } else {
        st = engine_eval_doc(s, as_of, pc->rec.key, pc->rec.u.kase.court, pc->rec.doc, pc->events,
                             answer, &err);
    }
    if (st != CR_OK) {
        http_api_fail(reply, 404, &err, st);
        return -1;
    }
    count_evaluation(answer);
    return 0;
}

void http_api_triage(engine *e, const http_call *call, http_reply *reply)
{
    json_t *body = http_api_body_json(call, reply);
    if (!body)
        return;
    char as_of[11];
    int persist = json_is_object(body) ? persist_flag(body, reply) : -1;
    posted_case pc = {0};
    if (persist >= 0 && !json_object_get(body, "case")) {
        http_reply_error(reply, 400, "case: required (the case record to triage)");
        persist = -1;
    }
    if (!json_is_object(body))
        http_reply_error(reply, 400, "the body must be an object {\"case\": {...}}");
    if (persist >= 0 && http_api_as_of(body, as_of, reply) == 0 &&
        post_case(call, json_object_get(body, "case"), json_object_get(body, "events"), "case",
                  persist, &pc, reply) == 0) {
        engine_answer answer;
        engine_slot *s = engine_acquire(e);
        int rc = evaluate_posted(s, call, &pc, persist, as_of, &answer, reply);
        engine_release(e, s);
        if (rc == 0)
            reply_text(reply, answer.json, answer.len);
    }
    posted_free(&pc);
    json_decref(body);
}

/* POST /v1/evaluate with "case_nos": stored cases. */
static void evaluate_stored(engine *e, const http_call *call, json_t *list, int persist,
                            const char *as_of, http_reply *reply)
{
    char actor[200];
    http_api_actor(call, actor, sizeof actor);
    evaluations list_out = {0};
    engine_slot *s = engine_acquire(e);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *case_no = json_string_value(v);
        engine_answer answer;
        cr_err err;
        cr_status st = engine_eval_stored(s, as_of, case_no, call->token->court, persist, actor,
                                          &answer, &err);
        if (st == CR_OK) {
            count_evaluation(&answer);
            evaluations_add(&list_out, answer.json, answer.len);
            free(answer.json);
        } else {
            json_t *failed = json_pack("{s:s, s:s, s:i}", "case_no", case_no, "error", err.msg,
                                       "status", st == CR_INVALID ? 404 : 500);
            char *text = failed ? json_dumps(failed, JSON_COMPACT) : NULL;
            json_decref(failed);
            if (text)
                evaluations_add(&list_out, text, strlen(text));
            else
                list_out.oom = 1;
            free(text);
        }
    }
    engine_release(e, s);
    evaluations_reply(&list_out, reply);
}

void http_api_evaluate(engine *e, const http_call *call, http_reply *reply)
{
    json_t *body = http_api_body_json(call, reply);
    if (!body)
        return;
    char as_of[11];
    json_t *cases = json_object_get(body, "cases"), *nos = json_object_get(body, "case_nos");
    json_t *list = cases ? cases : nos;
    int persist = -1;
    if (!json_is_object(body))
        http_reply_error(reply, 400, "the body must be an object");
    else if (!list || (cases && nos) || !json_is_array(list))
        http_reply_error(reply, 400,
                         "give either \"cases\" (an array of case records) or \"case_nos\" (an "
                         "array of stored 案号)");
    else if (json_array_size(list) == 0 || json_array_size(list) > HTTP_API_MAX_LIST)
        http_reply_error(reply, 400, "%s: from 1 to %d cases per call",
                         cases ? "cases" : "case_nos", HTTP_API_MAX_LIST);
    else
        persist = persist_flag(body, reply);
    if (persist < 0 || http_api_as_of(body, as_of, reply) != 0) {
        json_decref(body);
        return;
    }
    if (nos) {
        size_t i;
        json_t *v;
        json_array_foreach(nos, i, v)
        {
            if (!json_is_string(v)) {
                http_reply_error(reply, 400, "case_nos[%zu]: must be a string (a 案号)", i);
                json_decref(body);
                return;
            }
        }
        evaluate_stored(e, call, nos, persist, as_of, reply);
        json_decref(body);
        return;
    }
    /* Every posted case is validated before any is stored or evaluated. */
    size_t n = json_array_size(cases);
    posted_case *pcs = calloc(n, sizeof *pcs);
    int ok = pcs != NULL;
    if (!ok)
        http_reply_error(reply, 500, "out of memory");
    for (size_t i = 0; ok && i < n; i++) {
        char where[32];
        snprintf(where, sizeof where, "cases[%zu]", i);
        json_t *item = json_array_get(cases, i);
        json_t *rec = json_object_get(item, "case") ? json_object_get(item, "case") : item;
        json_t *events = json_object_get(item, "case") ? json_object_get(item, "events") : NULL;
        ok = post_case(call, rec, events, where, persist, &pcs[i], reply) == 0;
    }
    evaluations list_out = {0};
    if (ok) {
        engine_slot *s = engine_acquire(e);
        for (size_t i = 0; ok && i < n; i++) {
            engine_answer answer;
            ok = evaluate_posted(s, call, &pcs[i], persist, as_of, &answer, reply) == 0;
            if (ok) {
                evaluations_add(&list_out, answer.json, answer.len);
                free(answer.json);
            }
        }
        engine_release(e, s);
    }
    if (ok)
        evaluations_reply(&list_out, reply);
    else
        free(list_out.s);
    for (size_t i = 0; pcs && i < n; i++)
        posted_free(&pcs[i]);
    free(pcs);
    json_decref(body);
}
