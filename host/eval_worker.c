/*
 * eval_worker.c -- running rules on one case inside the sandboxes.
 */
#include "eval_worker.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "luajson.h"
#include "luajson_text.h"
#include "sandbox.h"
#include "strbuf.h"

#define MAX_RULES_PER_CASE 256

#define MAX_COVERING 16

/* A set's ctx for one list of covering sets: the params a rule sees depend on
 * which more specific sets cover the court (rules_params_for_court). */
typedef struct ctx_entry {
    unsigned covering[MAX_COVERING];
    size_t n;
    int ref, params_ref; /* registry references in the set's state */
} ctx_entry;

struct ctx_cache {
    ctx_entry *entries;
    size_t n, cap;
};

/* The rules that apply to one court and the sets covering it: the same for
 * every case of the court, and cases come court by court (an eval run reads
 * them so) or from one court's filing system (the API); worked out again
 * only when the court changes. */
struct court_rules {
    char court[64]; /* "" until the first case */
    rule_ref all[MAX_RULES_PER_CASE];
    size_t n_all;
    unsigned covering[MAX_COVERING];
    size_t n_covering;
};

/* w->court, for court: kept if it is the last case's court. */
static const struct court_rules *court_rules_for(eval_worker *w, const char *court)
{
    struct court_rules *cr = w->court;
    if (*cr->court && strcmp(cr->court, court) == 0)
        return cr;
    cr->n_all = rules_for_court(w->rs, court, cr->all, MAX_RULES_PER_CASE);
    cr->n_covering = rules_covering(w->rs, court, cr->covering, MAX_COVERING);
    size_t len = strlen(court);
    if (len < sizeof cr->court) /* a longer code is worked out every time */
        memcpy(cr->court, court, len + 1);
    else
        cr->court[0] = 0;
    return cr;
}

/* Protected: ctx with the given params (args: as_of, params json, call,
 * calendar, query scope). */
static int build_ctx(lua_State *L)
{
    const char *as_of = lua_touserdata(L, 1);
    const json_t *params = lua_touserdata(L, 2);
    cr_err err;
    if (!luaapi_push_frozen_json(L, params, &err))
        return luaL_error(L, "params: %s", err.msg);
    int params_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    luaapi_push_ctx(L, as_of, params_ref, lua_touserdata(L, 3), lua_touserdata(L, 4),
                    lua_touserdata(L, 5));
    lua_pushinteger(L, params_ref); /* released with the ctx (eval_worker_free) */
    return 2;
}

/* The registry reference of set s's ctx for a court covered by the given
 * sets, built on first use; LUA_NOREF with err set on failure. */
static int ctx_for(eval_worker *w, unsigned s, const char *court, const unsigned *covering,
                   size_t n, cr_err *err)
{
    struct ctx_cache *cache = &w->ctx[s];
    for (size_t i = 0; i < cache->n; i++)
        if (cache->entries[i].n == n &&
            memcmp(cache->entries[i].covering, covering, n * sizeof *covering) == 0)
            return cache->entries[i].ref;
    if (cache->n == cache->cap) {
        size_t cap = cache->cap ? cache->cap * 2 : 4;
        ctx_entry *e = realloc(cache->entries, cap * sizeof *e);
        if (!e) {
            cr_errf(err, CR_FAIL, "out of memory");
            return LUA_NOREF;
        }
        cache->entries = e;
        cache->cap = cap;
    }
    rule_set *set = &w->rs->sets[s];
    lua_State *L = sandbox_state(set->sb);
    json_t *params = rules_params_for_court(w->rs, s, court);
    lua_pushcfunction(L, build_ctx);
    lua_pushlightuserdata(L, (void *)w->as_of);
    lua_pushlightuserdata(L, params);
    lua_pushlightuserdata(L, &w->call);
    lua_pushlightuserdata(L, (void *)w->cal);
    lua_pushlightuserdata(L, &w->scopes[s]);
    cr_status st = params ? sandbox_call(set->sb, 5, 2, err)
                          : (lua_pop(L, 6), cr_errf(err, CR_FAIL, "out of memory"));
    json_decref(params);
    if (st != CR_OK) {
        cr_err_prefix(err, "rule set %s: cannot build ctx", set->name);
        return LUA_NOREF;
    }
    ctx_entry *e = &cache->entries[cache->n++];
    memcpy(e->covering, covering, n * sizeof *covering);
    e->n = n;
    e->params_ref = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    e->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return e->ref;
}

/* Pushes one of a case's JSON values, frozen as luajson_text.h says: from
 * its tree when the case has one (the API's triage: doc_tree and
 * events_tree), else from its text (doc and events). */
static cr_status push_case_json(lua_State *L, const work_case *c, const json_t *tree,
                                const char *text, int frozen, cr_err *err)
{
    return c->doc_tree ? luajson_push_tree(L, tree, frozen, NULL, err)
                       : luajson_push_text(L, text, strlen(text), frozen, NULL, err);
}

/* The registry key of a state's read-only empty events array. */
static const char no_events;

/* Pushes the case's events array, read-only. A case without events
 * (every case the filing system triages) gets the state's one
 * empty view, made the first time as any other: being empty and
 * read-only, it carries nothing from one case to the next, and it spares
 * every such case a table and its view. */
static cr_status push_events(lua_State *L, const work_case *c, cr_err *err)
{
    const char *events = c->events;
    int empty = c->doc_tree ? json_array_size(c->events_tree) == 0
                            : events[0] == '[' && events[1] == ']' && !events[2];
    if (empty && lua_rawgetp(L, LUA_REGISTRYINDEX, &no_events) == LUA_TTABLE)
        return CR_OK;
    if (empty)
        lua_pop(L, 1);
    /* The empty array is kept for every later case: never a pooled view. */
    cr_status st = push_case_json(
        L, c, c->events_tree, events,
        empty ? LUAJSON_TEXT_FROZEN : LUAJSON_TEXT_FROZEN | LUAJSON_TEXT_POOLED, err);
    if (st == CR_OK && empty) {
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &no_events);
    }
    return st;
}

/* Protected: the case table, with its events, every table read-only.
 * [1] the work_case: its doc_tree and events_tree, or its doc and events
 * arrays as NUL-terminated JSON text. */
static int build_case(lua_State *L)
{
    const work_case *c = lua_touserdata(L, 1);
    const char *doc = c->doc;
    cr_err err;
    lua_settop(L, 0);
    if (c->doc_tree ? !json_is_object(c->doc_tree) : doc[strspn(doc, " \t\r\n")] != '{')
        return luaL_error(L, "case data: not a JSON object");
    /* The tables of the case before are done with: their results are
     * encoded, their alerts copied (sandbox.h). */
    sandbox_views_restart(L);
    if (push_case_json(L, c, c->doc_tree, doc, LUAJSON_TEXT_FROZEN_BELOW | LUAJSON_TEXT_POOLED,
                       &err) != CR_OK)
        return luaL_error(L, "case data: %s", err.msg);
    if (c->doc_tree || c->events) { /* a court has none; a posted case has, if empty */
        if (push_events(L, c, &err) != CR_OK)
            return luaL_error(L, "case events: %s", err.msg);
        lua_pushliteral(L, "events");
        lua_insert(L, -2);
        lua_rawset(L, 1); /* over any "events" of the doc, as json_object_set did */
    }
    luaL_checkstack(L, SANDBOX_VIEW_KIT_SLOTS + 1 + SANDBOX_VIEW_SLOTS, "case view");
    int kit = lua_gettop(L) + 1;
    sandbox_push_view_kit(L, 1);
    lua_pushvalue(L, 1);
    sandbox_readonly_fresh(L, kit); /* the case table's own view, from the pool too */
    return 1;
}

size_t rule_flags_alloc(rule_flags *f, const rule_sets *rs)
{
    size_t n = 0;
    f->base = calloc(rs->n + 1, sizeof *f->base);
    for (size_t s = 0; f->base && s < rs->n; s++) {
        f->base[s] = n;
        n += rs->sets[s].n_rules;
    }
    if (f->base)
        f->base[rs->n] = n;
    f->quarantined = calloc(n + 1, sizeof *f->quarantined);
    return n;
}

/* Writes every rule's head (eval_worker.h). 0, or -1 out of memory. */
static int write_heads(eval_worker *w)
{
    const rule_sets *rs = w->rs;
    size_t n = w->flags->base[rs->n];
    strbuf heads = {0};
    if (!(w->head_at = malloc((n + 1) * sizeof *w->head_at)))
        return -1;
    for (size_t s = 0, i = 0; s < rs->n; s++)
        for (size_t r = 0; r < rs->sets[s].n_rules; r++, i++) {
            w->head_at[i] = heads.len;
            STRBUF_LITERAL(&heads, "{\"rule_set\":");
            strbuf_json_string(&heads, rs->sets[s].name);
            STRBUF_LITERAL(&heads, ",\"rule\":");
            strbuf_json_string(&heads, rs->sets[s].rules[r].name);
            STRBUF_LITERAL(&heads, ",\"rule_version\":");
            strbuf_json_string(&heads, rs->sets[s].rules[r].version);
            /* The set's SHA-256 is recorded once per run (eval_runs.summary),
             * not per rule and case: it was a third of every stored row. */
            STRBUF_LITERAL(&heads, ",\"status\":\"");
        }
    w->head_at[n] = heads.len;
    if (!heads.len)
        STRBUF_LITERAL(&heads, ""); /* no rules: an empty text, not NULL */
    return (w->heads = strbuf_take(&heads)) ? 0 : -1;
}

cr_status eval_worker_init(eval_worker *w, rule_sets *rs, const char *as_of,
                           const rule_flags *flags, const calendar *cal, const char *db_path,
                           cr_err *err)
{
    memset(w, 0, sizeof *w);
    w->cal = cal;
    if (db_path && db_open(db_path, DB_OPEN_QUERY_ONLY, &w->query_db, err) != CR_OK)
        return CR_FAIL;
    w->scopes = calloc(rs->n ? rs->n : 1, sizeof *w->scopes);
    if (!w->scopes)
        return cr_errf(err, CR_FAIL, "out of memory");
    for (size_t s = 0; s < rs->n; s++) {
        w->scopes[s].db = w->query_db;
        snprintf(w->scopes[s].scope, sizeof w->scopes[s].scope, "%s", rs->sets[s].scope);
    }
    w->rs = rs;
    w->as_of = as_of;
    w->flags = flags;
    luaapi_call_reset(&w->call);
    w->ctx = calloc(rs->n ? rs->n : 1, sizeof *w->ctx);
    w->runs_long = calloc(flags->base[rs->n] + 1, 1);
    w->court = calloc(1, sizeof *w->court);
    if (!w->ctx || !w->runs_long || !w->court || write_heads(w) != 0)
        return cr_errf(err, CR_FAIL, "out of memory");
    return CR_OK;
}

void eval_worker_free(eval_worker *w)
{
    luaapi_call_free(&w->call);
    luajson_buffer_free(&w->values);
    /* A worker made again on the same rule sets (the daemon, schedules)
     * must not leave its ctx tables behind in the states: they count
     * against the sets' memory caps. luaL_unref only rewrites existing
     * registry slots, so it cannot raise outside a protected call. */
    for (size_t s = 0; w->ctx && s < w->rs->n; s++) {
        lua_State *L = w->ctx[s].n ? sandbox_state(w->rs->sets[s].sb) : NULL;
        for (size_t i = 0; i < w->ctx[s].n; i++) {
            luaL_unref(L, LUA_REGISTRYINDEX, w->ctx[s].entries[i].ref);
            luaL_unref(L, LUA_REGISTRYINDEX, w->ctx[s].entries[i].params_ref);
        }
        free(w->ctx[s].entries);
    }
    free(w->ctx);
    free(w->runs_long);
    free(w->court);
    w->court = NULL;
    free(w->scopes);
    free(w->heads);
    free(w->head_at);
    db_close(w->query_db);
    w->ctx = NULL;
    w->runs_long = NULL;
    w->scopes = NULL;
    w->query_db = NULL;
    w->heads = NULL;
    w->head_at = NULL;
}

void work_case_clear(work_case *c)
{
    for (size_t i = 0; i < c->n_effects; i++) {
        free(c->effects[i].log_json);
        free(c->effects[i].reason);
        luaapi_alerts_free(&c->effects[i].alerts);
    }
    free(c->effects);
    free(c->results_json);
    free(c->stored_json);
    free(c->kept_rules_json);
    if (c->block) {
        free(c->block);
    } else {
        free(c->case_no);
        free(c->court);
        free(c->doc);
        free(c->events);
    }
    memset(c, 0, sizeof *c);
}

static effect *add_effect(work_case *c, unsigned set, unsigned rule_index, effect_kind kind)
{
    if (c->n_effects == c->cap_effects) {
        /* 8 to start (576 bytes): a case has a few rules, and a block that
         * small comes from the allocator's per-thread cache (16 was a
         * large-bin request on every case, which sorts the free lists). */
        size_t cap = c->cap_effects ? c->cap_effects * 2 : 8;
        effect *e = realloc(c->effects, cap * sizeof *e);
        if (!e)
            return NULL;
        c->effects = e;
        c->cap_effects = cap;
    }
    effect *e = &c->effects[c->n_effects++];
    memset(e, 0, sizeof *e);
    e->set = set;
    e->rule = rule_index;
    e->kind = kind;
    return e;
}

static void fail(effect *e, const char *kind, const char *reason)
{
    e->kind = EFFECT_FAILED;
    e->fail_kind = kind;
    e->reason = strdup(reason);
}

/* A hook's only effects are its result and what it left in w->call: a call
 * made again (sandbox_call_replayable) starts from an empty one.
 *
 * A rule whose calls had to be made again RUNS_LONG_AFTER times in a row
 * runs long (one that queries on every case, say): its later calls are
 * hooked from the start rather than run twice each. One call made again
 * says little: the thread may have been descheduled during it (with more
 * threads than cores, about one call in a thousand). Court-level hooks and
 * schedules, tens of milliseconds of queries each and one call per court,
 * are always hooked. Either way gives the same outcome. */
#define RUNS_LONG_AFTER 2

static void reset_call(void *call)
{
    luaapi_call_reset(call);
}

/* One rule's hook (on_case, or on_court for a court; or hook_ref given, a
 * schedule's run) on the table at case_idx, with the ctx at ctx_ref. */
static void run_rule(eval_worker *w, work_case *c, unsigned s, unsigned r, int case_idx,
                     int ctx_ref, int hook_ref)
{
    rule_set *set = &w->rs->sets[s];
    const rule *ru = &set->rules[r];
    if (atomic_load_explicit(&w->flags->quarantined[w->flags->base[s] + r], memory_order_relaxed)) {
        add_effect(c, s, r, EFFECT_QUARANTINED);
        return;
    }
    int hook = hook_ref != LUA_NOREF ? hook_ref : c->case_no ? ru->on_case_ref : ru->on_court_ref;
    if (hook == LUA_NOREF)
        return;
    effect *e = add_effect(c, s, r, EFFECT_OK);
    if (!e)
        return;
    lua_State *L = sandbox_state(set->sb);
    luaapi_call_reset(&w->call);
    lua_rawgeti(L, LUA_REGISTRYINDEX, hook);
    lua_pushvalue(L, case_idx);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ctx_ref);
    cr_err err;
    unsigned char *runs_long = &w->runs_long[w->flags->base[s] + r];
    uint64_t reruns = sandbox_reruns(set->sb);
    cr_status st = *runs_long >= RUNS_LONG_AFTER || !c->case_no
                       ? sandbox_call(set->sb, 2, 1, &err)
                       : sandbox_call_replayable(set->sb, 2, 1, reset_call, &w->call, &err);
    if (sandbox_reruns(set->sb) != reruns) {
        ++*runs_long;
        w->reruns++;
    } else if (*runs_long < RUNS_LONG_AFTER) {
        *runs_long = 0;
    }
    cr_status encoded = CR_OK;
    e->value_at = w->values.len;
    if (st == CR_OK) {
        encoded = luajson_encode_append(L, -1, NULL, &w->values, &err);
        lua_pop(L, 1);
        if (encoded != CR_OK)
            cr_err_prefix(&err, "result");
    }
    e->duration_us = sandbox_call_elapsed_us(set->sb); /* the call and its result's encoding */
    if (st != CR_OK) {
        sandbox_reason why = sandbox_last_reason(set->sb);
        fail(e, why != SANDBOX_OK ? sandbox_reason_name(why) : "error", err.msg);
        return;
    }
    if (encoded != CR_OK) {
        fail(e, "result", err.msg);
        return;
    }
    e->value_len = w->values.len - e->value_at;
    /* Most calls log nothing: then the result is {"value":…} alone. */
    if (w->call.n_log && !(e->log_json = luaapi_call_log_text(&w->call))) {
        fail(e, "memory", "out of memory storing the result");
        return;
    }
    if (w->call.alerts.n) { /* the call's list becomes the effect's */
        e->alerts = w->call.alerts;
        memset(&w->call.alerts, 0, sizeof w->call.alerts);
    }
}

/* ---- encoding the results without building JSON trees ---- */

static const char *const status_names[] = {"ok", "failed", "quarantined"};

/* The reason a rule that did not run OK has, NULL for one that did. */
static const char *effect_reason(const effect *e)
{
    return e->kind == EFFECT_FAILED        ? e->reason
           : e->kind == EFFECT_QUARANTINED ? "rule is quarantined after repeated failures"
                                           : NULL;
}

/* One effect as the API shows it: {"rule_set", "rule", "rule_version",
 * "status", "result": {"value", "log"?} or null, "reason"?, "duration_us"}. */
static void encode_verbose(const eval_worker *w, const effect *e, strbuf *res)
{
    size_t i = w->flags->base[e->set] + e->rule;
    strbuf_add(res, w->heads + w->head_at[i], w->head_at[i + 1] - w->head_at[i]);
    if (e->kind == EFFECT_OK) { /* {"value":…} or {"value":…,"log":…} */
        STRBUF_LITERAL(res, "ok\",\"result\":{\"value\":");
        strbuf_add(res, w->values.text + e->value_at, e->value_len);
        if (e->log_json) {
            STRBUF_LITERAL(res, ",\"log\":");
            strbuf_str(res, e->log_json);
        }
        strbuf_add(res, "}", 1);
    } else {
        strbuf_str(res, status_names[e->kind]);
        STRBUF_LITERAL(res, "\",\"result\":null");
    }
    if (effect_reason(e)) {
        STRBUF_LITERAL(res, ",\"reason\":");
        strbuf_json_string(res, effect_reason(e));
    }
    STRBUF_LITERAL(res, ",\"duration_us\":");
    strbuf_int(res, e->duration_us);
    strbuf_add(res, "}", 1);
}

/* One effect as evaluations.results stores it: the rule by its
 * rule_versions id, "status" only when not ok ({"r", "v", "log"?, "us"} or
 * {"r", "status", "reason", "us"}). explain expands it (db_eval_read.c). */
static void encode_stored(const eval_worker *w, const effect *e, strbuf *res)
{
    strbuf_str(res, "{\"r\":");
    strbuf_int(res, w->flags->ids[w->flags->base[e->set] + e->rule]);
    if (e->kind == EFFECT_OK) {
        strbuf_str(res, ",\"v\":");
        strbuf_add(res, w->values.text + e->value_at, e->value_len);
        if (e->log_json) {
            strbuf_str(res, ",\"log\":");
            strbuf_str(res, e->log_json);
        }
    } else {
        strbuf_str(res, ",\"status\":\"");
        strbuf_str(res, status_names[e->kind]);
        strbuf_str(res, "\",\"reason\":");
        strbuf_json_string(res, effect_reason(e));
    }
    strbuf_str(res, ",\"us\":");
    strbuf_int(res, e->duration_us);
    strbuf_add(res, "}", 1);
}

/* The case's results (verbose unless store_only; stored when there are rule
 * ids) and the names of the rules that did not run OK. */
static void encode_results(eval_worker *w, work_case *c)
{
    /* Courts are few: court_evaluations keeps the verbose form, which SQL
     * reports read as it is. */
    int verbose = !w->store_only || !c->case_no, stored = w->flags && w->flags->ids;
    strbuf res = {0}, sto = {0}, kept = {0};
    if (verbose)
        strbuf_add(&res, "[", 1);
    if (stored)
        strbuf_add(&sto, "[", 1);
    int n_kept = 0;
    for (size_t i = 0; i < c->n_effects; i++) {
        const effect *e = &c->effects[i];
        if (verbose) {
            if (i)
                strbuf_add(&res, ",", 1);
            encode_verbose(w, e, &res);
        }
        if (stored) {
            if (i)
                strbuf_add(&sto, ",", 1);
            encode_stored(w, e, &sto);
        }
        if (e->kind != EFFECT_OK) {
            const rule_set *set = &w->rs->sets[e->set];
            strbuf_add(&kept, n_kept++ ? "," : "[", 1);
            strbuf_add(&kept, "\"", 1);
            strbuf_str(&kept, set->name);
            strbuf_add(&kept, "/", 1);
            strbuf_str(&kept, set->rules[e->rule].name);
            strbuf_add(&kept, "\"", 1);
        }
    }
    if (verbose)
        strbuf_add(&res, "]", 1);
    if (stored)
        strbuf_add(&sto, "]", 1);
    if (n_kept)
        strbuf_add(&kept, "]", 1);
    else if (!(kept.s = strdup("[]")))
        kept.oom = 1;
    c->results_json = verbose ? strbuf_take(&res) : NULL;
    c->stored_json = stored ? strbuf_take(&sto) : NULL;
    c->kept_rules_json = strbuf_take(&kept);
}

void eval_worker_case(eval_worker *w, work_case *c)
{
    rule_ref refs[MAX_RULES_PER_CASE];
    size_t n = 0;
    const struct court_rules *cr = court_rules_for(w, c->court);
    /* Only the rules with the hook this subject needs: a rule with no
     * on_case is not part of a case's results, nor one with no on_court of
     * a court's. */
    for (size_t k = 0; k < cr->n_all; k++) {
        const rule *ru = &w->rs->sets[cr->all[k].set].rules[cr->all[k].rule];
        if ((c->case_no ? ru->on_case_ref : ru->on_court_ref) != LUA_NOREF)
            refs[n++] = cr->all[k];
    }
    const unsigned *covering = cr->covering;
    size_t n_covering = cr->n_covering;
    size_t i = 0;
    w->call.used_as_of = 0;
    w->values.len = 0; /* the buffer is reused case after case */
    while (i < n) {
        /* One case table per rule set, shared by that set's rules. */
        unsigned s = refs[i].set;
        rule_set *set = &w->rs->sets[s];
        lua_State *L = sandbox_state(set->sb);
        cr_err err;
        cr_status st = CR_FAIL;
        int ctx_ref = LUA_NOREF;
        if ((ctx_ref = ctx_for(w, s, c->court, covering, n_covering, &err)) == LUA_NOREF) {
            st = CR_FAIL;
        } else {
            lua_pushcfunction(L, build_case);
            lua_pushlightuserdata(L, c);
            st = sandbox_call(set->sb, 1, 1, &err);
        }
        if (st != CR_OK) {
            /* The set's state cannot hold the case: each of its rules fails. */
            for (; i < n && refs[i].set == s; i++) {
                effect *e = add_effect(c, s, refs[i].rule, EFFECT_OK);
                if (e)
                    fail(e, "case", err.msg);
            }
            continue;
        }
        int case_idx = lua_gettop(L);
        for (; i < n && refs[i].set == s; i++)
            run_rule(w, c, s, refs[i].rule, case_idx, ctx_ref, LUA_NOREF);
        lua_settop(L, case_idx - 1);
    }
    c->date_dependent = w->call.used_as_of;
    encode_results(w, c);
}

void eval_worker_call(eval_worker *w, work_case *c, unsigned s, unsigned r, int fn_ref)
{
    w->values.len = 0; /* one call, one case: results_json holds it afterwards */
    rule_set *set = &w->rs->sets[s];
    lua_State *L = sandbox_state(set->sb);
    unsigned covering[MAX_COVERING];
    size_t n_covering = rules_covering(w->rs, c->court, covering, MAX_COVERING);
    cr_err err;
    int ctx_ref = ctx_for(w, s, c->court, covering, n_covering, &err);
    cr_status st = CR_FAIL;
    if (ctx_ref != LUA_NOREF) {
        lua_pushcfunction(L, build_case);
        lua_pushlightuserdata(L, c);
        st = sandbox_call(set->sb, 1, 1, &err);
    }
    if (st != CR_OK) {
        effect *e = add_effect(c, s, r, EFFECT_OK);
        if (e)
            fail(e, "case", err.msg);
        return;
    }
    int case_idx = lua_gettop(L);
    run_rule(w, c, s, r, case_idx, ctx_ref, fn_ref);
    lua_settop(L, case_idx - 1);
    encode_results(w, c);
}
