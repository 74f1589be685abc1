/*
 * eval.c -- the evaluation loop: cases in, results and alerts out.
 */
#include "eval.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "luaapi.h"
#include "luajson.h"

#define MAX_RULES_PER_CASE 256
#define COURT_CACHE 64

typedef struct court_rules {
    char court[32];
    size_t n;
    rule_ref refs[MAX_RULES_PER_CASE];
} court_rules;

typedef struct rule_state {
    int consecutive_failures;
    int quarantined;
} rule_state;

typedef struct eval_state {
    cr_db *db;
    rule_sets *rs;
    const eval_options *opt;
    eval_summary *sum;
    int64_t run_id;
    luaapi_call call;
    int *ctx_refs;          /* per set */
    rule_state **health;    /* per set, per rule */
    court_rules *courts;    /* small cache: court -> applicable rules */
    size_t n_courts, next_court;
} eval_state;

int eval_open_api(lua_State *L)
{
    (void)L; /* ctx is passed to each hook; nothing is global */
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- building Lua values (protected: these allocate) ---- */

static int build_case(lua_State *L)
{
    const json_t *doc = lua_touserdata(L, 1);
    const json_t *events = lua_touserdata(L, 2);
    lua_settop(L, 0);
    json_t *with_events = json_copy((json_t *)doc); /* shallow: shares members */
    if (!with_events)
        return luaL_error(L, "out of memory");
    json_object_set(with_events, "events", (json_t *)events);
    cr_err err;
    int ok = luaapi_push_frozen_json(L, with_events, &err);
    json_decref(with_events);
    if (!ok)
        return luaL_error(L, "case data: %s", err.msg);
    return 1;
}

static int build_ctx(lua_State *L)
{
    const char *as_of = lua_touserdata(L, 1);
    int params_ref = (int)lua_tointeger(L, 2);
    luaapi_call *call = lua_touserdata(L, 3);
    luaapi_push_ctx(L, as_of, params_ref, call);
    return 1;
}

/* ---- recording ---- */

static cr_status record_failure(eval_state *es, const rule_set *set, const rule *r,
                                const char *case_no, const char *court, const char *kind,
                                const char *reason, cr_err *err)
{
    eval_summary *sum = es->sum;
    sum->failures++;
    cr_status st = db_eval_put_failure(es->db, es->run_id, set->name, r->name, case_no, kind,
                                       reason, err);
    if (st != CR_OK)
        return st;
    rule_state *h = &es->health[set - es->rs->sets][r - set->rules];
    int threshold = es->opt->quarantine_after > 0 ? es->opt->quarantine_after : 5;
    int quarantined = 0;
    h->consecutive_failures++;
    st = db_eval_rule_health(es->db, set->name, r->name, 0, threshold, reason, &quarantined, err);
    if (st != CR_OK || !quarantined)
        return st;
    h->quarantined = 1;
    sum->quarantined++;
    /* A quarantined rule is itself an alert: somebody must fix the script. */
    char message[1024], key[256], data[64];
    snprintf(message, sizeof message,
             "规则 %s/%s（%s 版）连续 %d 次执行失败，已被隔离，不再参与评估；最后一次失败：%s",
             set->name, r->name, r->version, threshold, reason);
    snprintf(key, sizeof key, "%s/%s:RULE-QUARANTINED", set->name, r->name);
    snprintf(data, sizeof data, "{\"threshold\":%d}", threshold);
    db_alert a = {.dedup_key = key,
                  .rule_set = set->name,
                  .rule = r->name,
                  .rule_version = r->version,
                  .rule_set_sha = set->sha256,
                  .code = "RULE-QUARANTINED",
                  .severity = "critical",
                  .court = court,
                  .case_no = NULL,
                  .message = message,
                  .basis = "规则运行保障：连续失败的规则自动隔离（courtrules 运维规范）",
                  .data_json = data,
                  .as_of = es->opt->as_of};
    db_alert_outcome outcome;
    int64_t id;
    st = db_eval_put_alert(es->db, es->run_id, &a, &outcome, &id, err);
    if (st == CR_OK && outcome != DB_ALERT_REPEATED)
        sum->alerts_created++;
    return st;
}

static cr_status store_alerts(eval_state *es, const rule_set *set, const rule *r,
                              const char *case_no, const char *court, cr_err *err)
{
    size_t i;
    json_t *a;
    json_array_foreach(es->call.alerts, i, a)
    {
        const char *code = json_string_value(json_object_get(a, "code"));
        const char *given = json_string_value(json_object_get(a, "dedup_key"));
        char key[512];
        if (given)
            snprintf(key, sizeof key, "%s/%s:%s", set->name, r->name, given);
        else
            snprintf(key, sizeof key, "%s/%s:%s:%s", set->name, r->name, code, case_no);
        json_t *data = json_object_get(a, "data");
        char *data_text = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        db_alert row = {.dedup_key = key,
                        .rule_set = set->name,
                        .rule = r->name,
                        .rule_version = r->version,
                        .rule_set_sha = set->sha256,
                        .code = code,
                        .severity = json_string_value(json_object_get(a, "severity")),
                        .court = court,
                        .case_no = case_no,
                        .message = json_string_value(json_object_get(a, "message")),
                        .basis = json_string_value(json_object_get(a, "basis")),
                        .data_json = data_text,
                        .as_of = es->opt->as_of};
        db_alert_outcome outcome;
        int64_t id;
        cr_status st = db_eval_put_alert(es->db, es->run_id, &row, &outcome, &id, err);
        free(data_text);
        if (st != CR_OK)
            return st;
        if (outcome == DB_ALERT_CREATED)
            es->sum->alerts_created++;
        else if (outcome == DB_ALERT_REOPENED)
            es->sum->alerts_reopened++;
        else
            es->sum->alerts_repeated++;
    }
    int64_t resolved = 0;
    cr_status st = db_eval_resolve_stale(es->db, es->run_id, case_no, set->name, r->name,
                                         &resolved, err);
    es->sum->alerts_resolved += resolved;
    return st;
}

/* Runs one rule on the case table at case_idx; stores what it produced. */
static cr_status run_rule(eval_state *es, const rule_set *set, const rule *r, int case_idx,
                          const char *case_no, const char *court, cr_err *err)
{
    lua_State *L = sandbox_state(set->sb);
    rule_state *h = &es->health[set - es->rs->sets][r - set->rules];
    db_result res = {.case_no = case_no,
                     .rule_set = set->name,
                     .rule = r->name,
                     .rule_version = r->version,
                     .rule_set_sha = set->sha256,
                     .as_of = es->opt->as_of};
    if (h->quarantined) {
        es->sum->skipped_quarantined++;
        res.status = "quarantined";
        res.reason = "rule is quarantined after repeated failures (courtrules rules release)";
        return db_eval_put_result(es->db, es->run_id, &res, err);
    }
    if (r->on_case_ref == LUA_NOREF)
        return CR_OK;

    luaapi_call_reset(&es->call);
    double t0 = now_seconds();
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->on_case_ref);
    lua_pushvalue(L, case_idx);
    lua_rawgeti(L, LUA_REGISTRYINDEX, es->ctx_refs[set - es->rs->sets]);
    cr_err call_err;
    cr_status st = sandbox_call(set->sb, 2, 1, &call_err);
    json_t *value = NULL;
    if (st == CR_OK) {
        value = luajson_to_json(L, -1, NULL, &call_err);
        lua_pop(L, 1);
        if (!value) {
            st = CR_INVALID;
            cr_err_prefix(&call_err, "result");
        }
    }
    res.duration_us = (int64_t)((now_seconds() - t0) * 1e6);
    es->sum->calls++;

    if (st != CR_OK) {
        const char *kind = sandbox_last_reason(set->sb) != SANDBOX_OK
                               ? sandbox_reason_name(sandbox_last_reason(set->sb))
                               : "result";
        res.status = "failed";
        res.reason = call_err.msg;
        st = db_eval_put_result(es->db, es->run_id, &res, err);
        if (st == CR_OK)
            st = record_failure(es, set, r, case_no, court, kind, call_err.msg, err);
        return st;
    }
    json_t *stored = json_pack("{s:o, s:O}", "value", value ? value : json_null(), "log",
                               es->call.log);
    char *text = stored ? json_dumps(stored, JSON_COMPACT) : NULL;
    json_decref(stored);
    res.status = "ok";
    res.result_json = text;
    st = db_eval_put_result(es->db, es->run_id, &res, err);
    free(text);
    if (st == CR_OK)
        st = store_alerts(es, set, r, case_no, court, err);
    if (st == CR_OK && h->consecutive_failures > 0) {
        h->consecutive_failures = 0;
        int q;
        st = db_eval_rule_health(es->db, set->name, r->name, 1, 0, NULL, &q, err);
    }
    return st;
}

static const court_rules *rules_for(eval_state *es, const char *court)
{
    for (size_t i = 0; i < es->n_courts; i++)
        if (strcmp(es->courts[i].court, court) == 0)
            return &es->courts[i];
    size_t slot = es->n_courts < COURT_CACHE ? es->n_courts++ : es->next_court++ % COURT_CACHE;
    court_rules *c = &es->courts[slot];
    snprintf(c->court, sizeof c->court, "%s", court);
    c->n = rules_for_court(es->rs, court, c->refs, MAX_RULES_PER_CASE);
    return c;
}

static cr_status eval_case(eval_state *es, const char *case_no, const char *court,
                           const char *doc_text, const char *events_text, cr_err *err)
{
    json_error_t jerr;
    json_t *doc = json_loads(doc_text, 0, &jerr);
    json_t *events = json_loads(events_text, 0, &jerr);
    cr_status st = CR_OK;
    if (!doc || !events) {
        st = cr_errf(err, CR_FAIL, "case %s: stored document is not valid JSON: %s", case_no,
                     jerr.text);
        goto done;
    }
    const court_rules *cr = rules_for(es, court);
    size_t i = 0;
    while (i < cr->n && st == CR_OK) {
        /* One case table per rule set, shared by that set's rules. */
        rule_set *set = &es->rs->sets[cr->refs[i].set];
        lua_State *L = sandbox_state(set->sb);
        lua_pushcfunction(L, build_case);
        lua_pushlightuserdata(L, doc);
        lua_pushlightuserdata(L, events);
        cr_err build_err;
        if (sandbox_call(set->sb, 2, 1, &build_err) != CR_OK) {
            /* The set's state is out of memory or broken: every rule of it fails. */
            for (; i < cr->n && &es->rs->sets[cr->refs[i].set] == set && st == CR_OK; i++) {
                const rule *r = &set->rules[cr->refs[i].rule];
                db_result res = {case_no, set->name, r->name, r->version, set->sha256,
                                 es->opt->as_of, "failed", NULL, build_err.msg, 0};
                st = db_eval_put_result(es->db, es->run_id, &res, err);
                if (st == CR_OK)
                    st = record_failure(es, set, r, case_no, court, "case", build_err.msg, err);
            }
            continue;
        }
        int case_idx = lua_gettop(L);
        for (; i < cr->n && &es->rs->sets[cr->refs[i].set] == set && st == CR_OK; i++)
            st = run_rule(es, set, &set->rules[cr->refs[i].rule], case_idx, case_no, court, err);
        lua_settop(L, case_idx - 1);
    }
done:
    json_decref(doc);
    json_decref(events);
    return st;
}

json_t *eval_summary_json(const eval_summary *s)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "run",
                     (json_int_t)s->run_id, "cases", (json_int_t)s->cases, "calls",
                     (json_int_t)s->calls, "failures", (json_int_t)s->failures, "alerts_created",
                     (json_int_t)s->alerts_created, "alerts_repeated",
                     (json_int_t)s->alerts_repeated, "alerts_reopened",
                     (json_int_t)s->alerts_reopened, "alerts_resolved",
                     (json_int_t)s->alerts_resolved, "quarantined", (json_int_t)s->quarantined,
                     "skipped_quarantined", (json_int_t)s->skipped_quarantined, "load_failures",
                     (json_int_t)s->load_failures, "seconds", s->seconds);
}

/* Opens the run, records rule-set versions and load failures, builds each
 * set's ctx and reads rule health. */
static cr_status start_run(eval_state *es, const char *scope, cr_err *err)
{
    rule_sets *rs = es->rs;
    cr_status st = db_begin(es->db, err);
    if (st != CR_OK)
        return st;
    st = db_eval_run_open(es->db, es->opt->as_of, scope, &es->run_id, err);
    for (size_t s = 0; s < rs->n && st == CR_OK; s++) {
        rule_set *set = &rs->sets[s];
        char *manifest = json_dumps(set->manifest, JSON_COMPACT);
        st = db_eval_rule_set(es->db, set->sha256, set->name, set->scope,
                              manifest ? manifest : "{}", err);
        free(manifest);
        for (size_t f = 0; f < set->n_failures && st == CR_OK; f++) {
            es->sum->load_failures++;
            st = db_eval_put_failure(es->db, es->run_id, set->name, set->failures[f].file, NULL,
                                     sandbox_reason_name(set->failures[f].kind),
                                     set->failures[f].reason, err);
        }
        es->health[s] = calloc(set->n_rules ? set->n_rules : 1, sizeof(rule_state));
        if (!es->health[s] && st == CR_OK)
            st = cr_errf(err, CR_FAIL, "out of memory");
        for (size_t r = 0; r < set->n_rules && st == CR_OK; r++) {
            char reason[256];
            int q = db_eval_is_quarantined(es->db, set->name, set->rules[r].name, reason,
                                           sizeof reason, err);
            if (q < 0)
                st = CR_FAIL;
            es->health[s][r].quarantined = q == 1;
        }
        if (st != CR_OK)
            break;
        lua_State *L = sandbox_state(set->sb);
        lua_pushcfunction(L, build_ctx);
        lua_pushlightuserdata(L, (void *)es->opt->as_of);
        lua_pushinteger(L, set->params_ref);
        lua_pushlightuserdata(L, &es->call);
        if ((st = sandbox_call(set->sb, 3, 1, err)) != CR_OK) {
            cr_err_prefix(err, "rule set %s: cannot build ctx", set->name);
            break;
        }
        es->ctx_refs[s] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    if (st == CR_OK)
        st = db_commit(es->db, err);
    else
        db_rollback(es->db);
    return st;
}

cr_status eval_run(cr_db *db, rule_sets *rs, const eval_options *opt, eval_summary *sum,
                   cr_err *err)
{
    memset(sum, 0, sizeof *sum);
    double started = now_seconds(), last_progress = started;
    eval_state es = {.db = db, .rs = rs, .opt = opt, .sum = sum};
    es.ctx_refs = calloc(rs->n ? rs->n : 1, sizeof *es.ctx_refs);
    es.health = calloc(rs->n ? rs->n : 1, sizeof *es.health);
    es.courts = calloc(COURT_CACHE, sizeof *es.courts);
    db_case_iter *it = NULL;
    cr_status st = CR_OK;
    char scope[256];
    snprintf(scope, sizeof scope, "%s%s%s%s",
             opt->select == DB_CASES_ONE       ? "case "
             : opt->select == DB_CASES_CHANGED ? "changed"
                                               : "all",
             opt->select == DB_CASES_ONE ? opt->case_no : "",
             opt->court_prefix ? " court " : "", opt->court_prefix ? opt->court_prefix : "");
    if (!es.ctx_refs || !es.health || !es.courts) {
        st = cr_errf(err, CR_FAIL, "out of memory");
        goto cleanup;
    }
    luaapi_call_reset(&es.call);
    if ((st = start_run(&es, scope, err)) != CR_OK)
        goto cleanup;
    sum->run_id = es.run_id;

    st = db_case_iter_open(db, opt->select,
                           opt->select == DB_CASES_ONE ? opt->case_no : rs->fingerprint,
                           opt->court_prefix, &it, err);
    if (st != CR_OK)
        goto cleanup;
    int batch = opt->batch_cases > 0 ? opt->batch_cases : 500, in_batch = 0;
    for (;;) {
        int has_row;
        const char *case_no, *court, *doc, *events;
        int64_t changed;
        if (!in_batch && (st = db_begin(db, err)) != CR_OK)
            break;
        st = db_case_iter_next(it, &has_row, &case_no, &court, &doc, &events, &changed, err);
        if (st != CR_OK || !has_row)
            break;
        st = eval_case(&es, case_no, court, doc, events, err);
        if (st == CR_OK)
            st = db_eval_mark_case(db, case_no, changed, rs->fingerprint, opt->as_of, err);
        if (st != CR_OK)
            break;
        sum->cases++;
        if (++in_batch == batch) {
            if ((st = db_commit(db, err)) != CR_OK)
                break;
            in_batch = 0;
            if (opt->progress && now_seconds() - last_progress > 0.25) {
                double dt = now_seconds() - started;
                fprintf(stderr, "\r\033[Keval: %lld cases (%.0f/s), %lld alerts created",
                        (long long)sum->cases, dt > 0 ? sum->cases / dt : 0.0,
                        (long long)sum->alerts_created);
                last_progress = now_seconds();
            }
        }
    }
    if (opt->progress)
        fprintf(stderr, "\r\033[K");
    if (st == CR_OK && opt->select == DB_CASES_ONE && sum->cases == 0)
        st = cr_errf(err, CR_INVALID, "case %s is not in the database", opt->case_no);
    if (st == CR_OK) {
        /* The last (possibly empty) batch commits with the run's summary. */
        sum->seconds = now_seconds() - started;
        json_t *summary = eval_summary_json(sum);
        json_object_set_new(summary, "as_of", json_string(opt->as_of));
        json_object_set_new(summary, "rules_fingerprint", json_string(rs->fingerprint));
        char *text = json_dumps(summary, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(summary);
        st = text ? db_eval_run_close(db, es.run_id, text, err) : cr_errf(err, CR_FAIL, "oom");
        if (st == CR_OK)
            st = audit_append(db, opt->actor ? opt->actor : audit_cli_actor(), "eval.run", scope,
                              text, NULL, err);
        free(text);
        if (st == CR_OK)
            st = db_commit(db, err);
    }
    if (st != CR_OK)
        db_rollback(db); /* only the unfinished batch: committed cases stay evaluated */

cleanup:
    db_case_iter_close(it);
    luaapi_call_free(&es.call);
    for (size_t s = 0; es.health && s < rs->n; s++)
        free(es.health[s]);
    free(es.health);
    free(es.ctx_refs);
    free(es.courts);
    return st;
}
