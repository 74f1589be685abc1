/*
 * ruletest.c -- table-driven rule tests: test files in, a report out.
 *
 * The run has two phases: every test file is read and checked, and its data
 * stored, before any test runs (ruletest_plan.c, ruletest_data.c), so a
 * malformed file stops the run with its name and nothing half-printed; then
 * each case is built (or, in a court-level test, the court's record read
 * from its data), its rule resolved and called with ctx.query on the
 * test's data, and the outcome compared with what the case expects
 * (ruletest_match.c). ruletest_cov.c measures line coverage on the way.
 */
#include "ruletest.h"

#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eval.h"
#include "luaapi.h"
#include "luajson.h"
#include "rules.h"
#include "sandbox.h"
#include "ruletest_internal.h"

#define MAX_RULES_PER_COURT 256

/* ---- where the tests are ---- */

typedef struct target {
    char rules_dir[PATH_MAX];
    char set_folder[NAME_MAX + 1]; /* "" = every set */
    char only_file[NAME_MAX + 1];  /* "" = every test file */
} target;

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_manifest(const char *dir)
{
    char path[PATH_MAX + 16];
    struct stat st;
    snprintf(path, sizeof path, "%s/ruleset.json", dir);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Splits path into parent and last component, lexically where it can (so
 * messages keep the user's relative paths), else through realpath. */
static int split_path(const char *path, char *parent, size_t cap, char *last, size_t last_cap)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    char *slash = strrchr(buf, '/');
    const char *base = slash ? slash + 1 : buf;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        char real[PATH_MAX];
        if (!realpath(path, real) || strcmp(real, "/") == 0)
            return -1;
        snprintf(buf, sizeof buf, "%s", real);
        slash = strrchr(buf, '/');
        base = slash + 1;
    }
    snprintf(last, last_cap, "%s", base);
    if (!slash)
        snprintf(parent, cap, ".");
    else if (slash == buf)
        snprintf(parent, cap, "/");
    else
        snprintf(parent, cap, "%.*s", (int)(slash - buf), buf);
    return 0;
}

/* DIR: a rules directory, a set's folder, its tests/ folder, or a test file. */
static cr_status find_target(const char *dir, target *t, cr_err *err)
{
    memset(t, 0, sizeof *t);
    struct stat st;
    if (stat(dir, &st) != 0)
        return cr_errf(err, CR_INVALID, "%s: no such file or directory", dir);
    char parent[PATH_MAX], last[NAME_MAX + 1], set_dir[PATH_MAX];
    if (S_ISREG(st.st_mode)) {
        char tests_name[NAME_MAX + 1];
        if (split_path(dir, parent, sizeof parent, t->only_file, sizeof t->only_file) != 0 ||
            split_path(parent, set_dir, sizeof set_dir, tests_name, sizeof tests_name) != 0 ||
            strcmp(tests_name, "tests") != 0 || !has_manifest(set_dir))
            return cr_errf(err, CR_INVALID,
                           "%s: not a test file of a rule set (<rules>/<set>/tests/*.lua)", dir);
        snprintf(parent, sizeof parent, "%s", set_dir);
        dir = parent;
    } else if (!S_ISDIR(st.st_mode)) {
        return cr_errf(err, CR_INVALID, "%s: not a directory", dir);
    } else if (!has_manifest(dir) &&
               split_path(dir, set_dir, sizeof set_dir, last, sizeof last) == 0 &&
               strcmp(last, "tests") == 0 && has_manifest(set_dir)) {
        snprintf(parent, sizeof parent, "%s", set_dir);
        dir = parent;
    }
    if (has_manifest(dir)) {
        char rules[PATH_MAX];
        if (split_path(dir, rules, sizeof rules, t->set_folder, sizeof t->set_folder) != 0)
            return cr_errf(err, CR_INVALID, "%s: cannot find the rules directory above it", dir);
        snprintf(t->rules_dir, sizeof t->rules_dir, "%s", rules);
    } else {
        snprintf(t->rules_dir, sizeof t->rules_dir, "%s", dir);
    }
    if (!is_dir(t->rules_dir))
        return cr_errf(err, CR_INVALID, "%s: not a directory", t->rules_dir);
    return CR_OK;
}

int ruletest_set_in_folder(const rule_set *set, const char *folder)
{
    const char *slash = strrchr(set->dir, '/');
    return strcmp(slash ? slash + 1 : set->dir, folder) == 0;
}

/* ---- resolving the rule ---- */

/* Why rule `name` does not apply to court, for the failure message. */
static void explain_missing(const rule_sets *rs, const char *name, const char *court,
                            ruletest_text *why)
{
    ruletest_text_addf(why, "rule '%s' does not apply to court '%s'", name, court);
    int defined = 0;
    for (size_t s = 0; s < rs->n; s++) {
        const rule_set *set = &rs->sets[s];
        for (size_t r = 0; r < set->n_rules; r++) {
            if (strcmp(set->rules[r].name, name) != 0)
                continue;
            ruletest_text_addf(why, "%s rule set '%s' (scope '%s'%s)",
                               defined++ ? "," : ": defined in", set->name, set->scope,
                               rules_scope_covers(set->scope, court) ? ", covers the court" : "");
        }
        for (size_t d = 0; d < set->n_disable; d++)
            if (strcmp(set->disable[d], name) == 0 && rules_scope_covers(set->scope, court))
                ruletest_text_addf(why, "; switched off by rule set '%s' (disable)", set->name);
    }
    if (defined)
        return;
    ruletest_text_addf(why, ": no rule set defines it");
    for (size_t s = 0; s < rs->n; s++)
        for (size_t f = 0; f < rs->sets[s].n_failures; f++)
            ruletest_text_addf(why, "; %s did not load: %s", rs->sets[s].failures[f].file,
                               rs->sets[s].failures[f].reason);
}

/* ---- running one test ---- */

typedef struct call_inputs {
    const json_t *params, *subject; /* subject: the case, or the court */
    const char *as_of;
    luaapi_call *call;
    const calendar *cal;
    luaapi_query_scope *query;
} call_inputs;

/* Protected: pushes the case (or court) table, ctx and the params
 * reference, as eval_worker builds them. */
static int push_inputs(lua_State *L)
{
    const call_inputs *in = lua_touserdata(L, 1);
    cr_err err;
    if (!luaapi_push_frozen_json(L, in->subject, &err))
        return luaL_error(L, "case or court data: %s", err.msg);
    if (!luaapi_push_frozen_json(L, in->params, &err))
        return luaL_error(L, "params: %s", err.msg);
    int params_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    luaapi_push_ctx(L, in->as_of, params_ref, in->call, in->cal, in->query);
    lua_pushinteger(L, params_ref);
    return 3;
}

typedef struct runner {
    const ruletest_options *opt;
    rule_sets *rs;
    luaapi_call call;
    luaapi_query_scope *scopes; /* per rule set, as eval_worker's */
    cr_db *db;                  /* query-only, on db_path: the running test's data */
    const char *db_path;
} runner;

/* Points every set's ctx.query at the database of a test's data, or at
 * none (queries are then not available). Paths are the plan's, one string
 * per database, so consecutive tests of one file share the connection. */
static cr_status use_data(runner *run, const char *path, cr_err *err)
{
    if (path == run->db_path)
        return CR_OK;
    for (size_t s = 0; s < run->rs->n; s++)
        run->scopes[s].db = NULL;
    db_close(run->db);
    run->db = NULL;
    run->db_path = NULL;
    if (path && db_open(path, DB_OPEN_QUERY_ONLY, &run->db, err) != CR_OK)
        return CR_FAIL;
    run->db_path = path;
    for (size_t s = 0; s < run->rs->n; s++)
        run->scopes[s].db = run->db;
    return CR_OK;
}

/* Calls the rule's hook on subject; on success *value is its result as JSON. */
static cr_status call_rule(runner *run, unsigned s, int hook, const char *court, const char *as_of,
                           const json_t *subject, json_t **value, ruletest_text *why)
{
    rule_set *set = &run->rs->sets[s];
    lua_State *L = sandbox_state(set->sb);
    json_t *params = rules_params_for_court(run->rs, s, court);
    call_inputs in = {params, subject, as_of, &run->call, run->opt->cal, &run->scopes[s]};
    cr_err err;
    luaapi_call_reset(&run->call);
    lua_pushcfunction(L, push_inputs);
    lua_pushlightuserdata(L, &in);
    cr_status st = sandbox_call(set->sb, 1, 3, &err);
    json_decref(params);
    if (st != CR_OK) {
        ruletest_text_addf(why, "cannot build the hook's arguments and ctx: %s", err.msg);
        return CR_FAIL;
    }
    int params_ref = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, hook);
    lua_insert(L, -3); /* hook, subject, ctx */
    st = sandbox_call(set->sb, 2, 1, &err);
    if (st == CR_OK) {
        *value = luajson_to_json(L, -1, NULL, &err);
        lua_pop(L, 1);
        if (!*value) {
            ruletest_text_addf(why, "(result) %s", err.msg);
            st = CR_FAIL;
        }
    } else {
        sandbox_reason r = sandbox_last_reason(set->sb);
        ruletest_text_addf(why, "(%s) %s", sandbox_reason_name(r != SANDBOX_OK ? r : SANDBOX_ERROR),
                           err.msg);
    }
    luaL_unref(L, LUA_REGISTRYINDEX, params_ref);
    return st;
}

/* The court's record from the test's data, or NULL with why filled. */
static json_t *court_record(runner *run, const char *court, ruletest_text *why)
{
    json_t *doc = NULL;
    cr_err err;
    if (!run->db)
        ruletest_text_addf(why,
                           "court '%s' is not in the test's data: it has none (a court-level "
                           "test needs data = { { type = \"court\", code = \"%s\", ... } })",
                           court, court);
    else if (ruletest_data_court(run->db, court, &doc, &err) != CR_OK)
        ruletest_text_addf(why, "reading court '%s' from the test's data: %s", court, err.msg);
    else if (!doc)
        ruletest_text_addf(why,
                           "court '%s' is not in the test's data (a court-level test needs "
                           "the court's record, with its staffing, in data)",
                           court);
    return doc;
}

/* Calls the rule t names for court, on the case (kase) or, in a court-level
 * test, on the court's record, and checks the outcome; ran gets "set/rule". */
static void run_rule(runner *run, const ruletest_entry *t, const char *court, const json_t *kase,
                     ruletest_text *why, char *ran, size_t ran_cap)
{
    rule_ref refs[MAX_RULES_PER_COURT];
    size_t n = rules_for_court(run->rs, court, refs, MAX_RULES_PER_COURT), i = 0;
    while (i < n && strcmp(run->rs->sets[refs[i].set].rules[refs[i].rule].name, t->rule) != 0)
        i++;
    int expect_none = json_is_true(json_object_get(t->expect, "not_applicable"));
    if (i == n && !expect_none) {
        explain_missing(run->rs, t->rule, court, why);
        return;
    }
    if (i == n)
        return; /* switched off or out of scope, as expected */
    const rule_set *set = &run->rs->sets[refs[i].set];
    const rule *ru = &set->rules[refs[i].rule];
    snprintf(ran, ran_cap, "%s/%s", set->name, ru->name);
    if (expect_none) {
        ruletest_text_addf(why, "expected rule '%s' not to apply to court '%s', but %s/%s does",
                           t->rule, court, set->name, t->rule);
        return;
    }
    int hook = t->court_code ? ru->on_court_ref : ru->on_case_ref;
    if (t->schedule) { /* a schedule's run(court, ctx), called as on_court is */
        hook = LUA_NOREF;
        for (size_t k = 0; k < ru->n_schedules; k++)
            if (strcmp(ru->schedules[k].name, t->schedule) == 0)
                hook = ru->schedules[k].run_ref;
        if (hook == LUA_NOREF) {
            ruletest_text_addf(why, "rule '%s' (%s) has no schedule '%s'", ru->name, ru->file,
                               t->schedule);
            for (size_t k = 0; k < ru->n_schedules; k++)
                ruletest_text_addf(why, "%s%s", k ? ", " : " (schedules: ",
                                   ru->schedules[k].name);
            ruletest_text_addf(why, "%s", ru->n_schedules ? ")" : "");
            return;
        }
    }
    if (hook == LUA_NOREF && t->court_code) {
        ruletest_text_addf(why,
                           "rule '%s' (%s) has no on_court hook: a court-level test "
                           "(court_code) calls on_court; test on_case with case = { ... }",
                           ru->name, ru->file);
        return;
    }
    if (hook == LUA_NOREF) {
        ruletest_text_addf(why, "rule '%s' (%s) has no on_case hook", ru->name, ru->file);
        if (ru->on_court_ref != LUA_NOREF)
            ruletest_text_addf(why, ": it is a court-level rule; test it with court_code = "
                                    "\"...\" (and the court's record in data) instead of case");
        return;
    }
    json_t *court_doc = t->court_code ? court_record(run, court, why) : NULL;
    if (t->court_code && !court_doc)
        return;
    json_t *value = NULL;
    if (call_rule(run, refs[i].set, hook, court, t->as_of, court_doc ? court_doc : kase, &value,
                  why) == CR_OK) {
        ruletest_check_outcome(t, value, &run->call, why);
    } else {
        ruletest_check_failure(t, why);
        if (why->len && !run->db && strstr(why->s, "ctx.query: not available"))
            ruletest_text_addf(why, " (the test has no data: give it data = { ... } to query)");
    }
    json_decref(value);
    json_decref(court_doc);
}

/* Runs one test; returns its report entry. */
static json_t *run_test(runner *run, const ruletest_entry *t)
{
    ruletest_text why = {0};
    char ran[2 * RULE_NAME_MAX + 2] = "";
    cr_err err;
    json_t *kase = NULL;
    if (use_data(run, t->db_path, &err) != CR_OK) {
        ruletest_text_addf(&why, "cannot open the test's data: %s", err.msg);
    } else if (t->court_code) {
        run_rule(run, t, t->court_code, NULL, &why, ran, sizeof ran);
    } else if (!(kase = ruletest_build_case(t->case_spec, &why))) {
        ruletest_text msg = {0};
        ruletest_text_addf(&msg, "fixture is not a valid case: %s", why.s ? why.s : "invalid");
        free(why.s);
        why = msg;
    } else {
        const char *court = t->court ? t->court : json_string_value(json_object_get(kase, "court"));
        run_rule(run, t, court, kase, &why, ran, sizeof ran);
    }
    json_decref(kase);
    json_t *entry = json_pack("{s:s, s:s, s:s, s:s, s:b}", "file", t->file, "rule_set",
                              t->owner->name, "rule", t->rule, "name", t->name, "ok", why.len == 0);
    if (entry) {
        json_object_set_new(entry, "message", why.len ? json_string(why.s) : json_null());
        json_object_set_new(entry, "ran", ran[0] ? json_string(ran) : json_null());
        if (t->court_code)
            json_object_set_new(entry, "court_code", json_string(t->court_code));
    }
    free(why.s);
    return entry;
}

/* ---- the run ---- */

cr_status ruletest_run(const ruletest_options *opt, json_t **report, cr_err *err)
{
    *report = NULL;
    target t;
    cr_status st = find_target(opt->dir, &t, err);
    if (st != CR_OK)
        return st;
    rule_sets *rs = NULL;
    if ((st = rules_load(t.rules_dir, opt->plugins_dir, eval_open_api, NULL, &rs, err)) != CR_OK)
        return st;
    ruletest_plan p = {0};
    int found_set = !t.set_folder[0];
    for (size_t s = 0; s < rs->n && st == CR_OK; s++) {
        if (t.set_folder[0] && !ruletest_set_in_folder(&rs->sets[s], t.set_folder))
            continue;
        found_set = 1;
        st = ruletest_plan_set(&p, &rs->sets[s], t.only_file[0] ? t.only_file : NULL, err);
    }
    if (st == CR_OK && rs->n == 0)
        st = cr_errf(err, CR_INVALID, "%s: no rule sets (folders with ruleset.json) in it",
                     t.rules_dir);
    else if (st == CR_OK && !found_set)
        st = cr_errf(err, CR_INVALID, "%s/%s: not loaded as a rule set", t.rules_dir, t.set_folder);
    ruletest_cov cov = {0};
    if (st == CR_OK && opt->coverage)
        st = ruletest_cov_init(&cov, rs, t.set_folder, err);
    if (st != CR_OK) {
        ruletest_cov_free(&cov);
        ruletest_plan_free(&p);
        rules_free(rs);
        return st;
    }

    runner run = {.opt = opt, .rs = rs};
    luaapi_call_reset(&run.call);
    if (!(run.scopes = calloc(rs->n ? rs->n : 1, sizeof *run.scopes)))
        st = cr_errf(err, CR_FAIL, "out of memory");
    for (size_t s = 0; run.scopes && s < rs->n; s++)
        snprintf(run.scopes[s].scope, sizeof run.scopes[s].scope, "%s", rs->sets[s].scope);
    json_t *tests = json_array(), *failures = json_array();
    json_int_t passed = 0, failed = 0;
    for (size_t i = 0; st == CR_OK && i < p.n_tests; i++) {
        json_t *entry = run_test(&run, &p.tests[i]);
        if (!entry) {
            st = cr_errf(err, CR_FAIL, "out of memory");
            break;
        }
        if (json_is_true(json_object_get(entry, "ok")))
            passed++;
        else
            failed++;
        if (opt->on_test)
            opt->on_test(opt->ud, entry);
        json_array_append_new(tests, entry);
    }
    for (size_t s = 0; s < rs->n; s++)
        for (size_t f = 0; f < rs->sets[s].n_failures; f++)
            json_array_append_new(failures,
                                  json_pack("{s:s, s:s}", "file", rs->sets[s].failures[f].file,
                                            "reason", rs->sets[s].failures[f].reason));
    int cov_ok = 1;
    json_t *cov_json = opt->coverage ? ruletest_cov_report(&cov, opt->min_coverage, &cov_ok) : NULL;
    if (st == CR_OK) {
        *report = json_pack("{s:s, s:I, s:I, s:b, s:o, s:o}", "rules_dir", t.rules_dir, "passed",
                            passed, "failed", failed, "ok", failed == 0 && cov_ok, "tests", tests,
                            "load_failures", failures);
        if (!*report)
            st = cr_errf(err, CR_FAIL, "out of memory");
        else if (cov_json)
            json_object_set_new(*report, "coverage", cov_json);
    } else {
        json_decref(tests);
        json_decref(failures);
    }
    if (!*report)
        json_decref(cov_json);
    if (opt->coverage)
        for (size_t s = 0; s < rs->n; s++)
            sandbox_set_line_hook(rs->sets[s].sb, NULL, NULL);
    if (run.scopes)
        use_data(&run, NULL, NULL);
    luaapi_call_free(&run.call);
    ruletest_cov_free(&cov);
    ruletest_plan_free(&p); /* removes the data's databases */
    rules_free(rs);
    free(run.scopes);
    return st;
}
