/*
 * eval_bare.c -- the bare limit of evaluation: the same rules over the same
 * cases, as pre-built Lua tables in one plain lua_State, nothing persisted.
 *
 * usage: eval_bare RULES_DIR JSONL [--as-of DATE] [--calendar FILE] [--block N]
 *
 * RULES_DIR is one rule set folder (ruleset.json and the rule scripts, e.g.
 * bench/rules/bench): every top-level .lua file is a rule, loaded as text in
 * name order, as host/rules.c does. JSONL is `gen` output, where every case
 * line is followed by its events; courts, people and court-level events are
 * skipped. Each case is normalized by record_parse (the very document
 * `courtrules ingest` stores), gets its events sorted by (at, id) as the
 * evaluator reads them, and is pushed as plain tables by luajson_push.
 *
 * What it leaves out, by design: the sandbox (allow-lists, read-only views of
 * case, ctx and params, instruction and memory budgets), reading cases from
 * SQLite, converting results to JSON, storing results, alerts and case marks.
 * State: luaL_newstate + luaL_openlibs, default garbage collector.
 *
 * Cases are pre-built a block at a time and only the hook calls are timed:
 * for each case, for each rule, on_case(case, ctx), the result dropped.
 * Building a block, and the full collection that drops it, are not timed.
 * The block is small by default (1,000 cases, a few MB of Lua heap) because
 * the evaluator itself holds one case at a time: with 100,000 cases (256 MB
 * of tables) the same calls run about 1.5 times slower, from cache misses
 * and the collector traversing the big live heap, which would flatter the
 * ratio. --block 0 builds the whole file first (about 2.5 GB per million).
 *
 * ctx has the documented fields with the documented semantics and no more
 * work than that: as_of, params (a plain table from ruleset.json), alert
 * (checks it got a table, counts), log (does nothing), fen (the host's own,
 * luaapi_fen), date.* over
 * host/luaapi.c's own functions (luaapi_date_functions), and the workday
 * and excluded-period functions of date.* from host/luaapi_calendar.h over
 * the same calendar `courtrules eval` would load (--calendar FILE, else
 * $COURTRULES_CALENDAR, else ./data/calendar/cn.json if readable, else
 * Monday to Friday). There is no ctx.query: it reads the database.
 *
 * Prints "bare: N cases in S s = R cases/s", then a line of details.
 */
#include <dirent.h>
#include <jansson.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "dates.h"
#include "luajson.h"
#include "luaapi.h"
#include "luaapi_calendar.h"
#include "record.h"

#define MAX_RULES 64

/* Stack slots of the state while cases are built and run. */
enum { SLOT_CTX = 1, SLOT_RULES, SLOT_BLOCK };

typedef struct bare {
    lua_State *L;
    size_t n_rules;
    char rule_names[MAX_RULES][64];
    size_t block_size, in_block; /* block_size 0: one block for the whole file */
    long long cases, calls, failures, alerts, orphan_events;
    double call_seconds, build_seconds;
    int heap_peak_kb;
    char first_failure[512];
} bare;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- ctx: the documented API, minimal ---- */

static int ctx_alert(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    long long *alerts = lua_touserdata(L, lua_upvalueindex(1));
    (*alerts)++;
    return 0;
}

static int ctx_log(lua_State *L)
{
    (void)L;
    return 0;
}


/* Pushes ctx; params is the manifest's "params" object (may be NULL), cal
 * the calendar (may be NULL) and must outlive the state. */
static int push_ctx(bare *b, const char *as_of, const json_t *params, const calendar *cal)
{
    lua_State *L = b->L;
    lua_createtable(L, 0, 5);
    lua_pushstring(L, as_of);
    lua_setfield(L, -2, "as_of");
    json_t *empty = json_object();
    cr_err err;
    cr_status st = luajson_push(L, params ? params : empty, NULL, &err);
    json_decref(empty);
    if (st != CR_OK) {
        fprintf(stderr, "eval_bare: params: %s\n", err.msg);
        return -1;
    }
    lua_setfield(L, -2, "params");
    lua_pushlightuserdata(L, &b->alerts);
    lua_pushcclosure(L, ctx_alert, 1);
    lua_setfield(L, -2, "alert");
    lua_pushcfunction(L, ctx_log);
    lua_setfield(L, -2, "log");
    lua_pushcfunction(L, luaapi_fen);
    lua_setfield(L, -2, "fen");
    lua_newtable(L);
    luaL_setfuncs(L, luaapi_date_functions, 0);
    lua_pushlightuserdata(L, (void *)cal);
    luaL_setfuncs(L, luaapi_calendar_functions, 1);
    lua_setfield(L, -2, "date");
    return 0;
}

/* ---- rules ---- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every top-level .lua file of dir into the rules table at SLOT_RULES. */
static int load_rules(bare *b, const char *dir)
{
    lua_State *L = b->L;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "eval_bare: cannot open %s\n", dir);
        return -1;
    }
    char *names[MAX_RULES];
    size_t n = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".lua") != 0)
            continue;
        if (n == MAX_RULES) {
            fprintf(stderr, "eval_bare: more than %d rules in %s\n", MAX_RULES, dir);
            rc = -1;
            break;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    /* `require` finds modules in the rule set's folder, as in the sandbox. */
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/?.lua", dir);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (luaL_loadfilex(L, path, "t") != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
            fprintf(stderr, "eval_bare: %s\n", lua_tostring(L, -1));
            rc = -1;
        } else if (!lua_istable(L, -1) || lua_getfield(L, -1, "on_case") != LUA_TFUNCTION ||
                   lua_getfield(L, -2, "name") != LUA_TSTRING) {
            fprintf(stderr, "eval_bare: %s: not a rule with name and on_case\n", path);
            rc = -1;
        } else {
            snprintf(b->rule_names[b->n_rules], sizeof b->rule_names[0], "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
            lua_rawseti(L, SLOT_RULES, (lua_Integer)++b->n_rules);
        }
        lua_settop(L, SLOT_BLOCK);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    if (rc == 0 && b->n_rules == 0) {
        fprintf(stderr, "eval_bare: no rules in %s\n", dir);
        rc = -1;
    }
    return rc;
}

/* ---- cases ---- */

static int by_time(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(json_string_value(json_object_get(x, "at")),
                   json_string_value(json_object_get(y, "at")));
    return c ? c
             : strcmp(json_string_value(json_object_get(x, "id")),
                      json_string_value(json_object_get(y, "id")));
}

/* Runs every rule on every case of the block (timed), then drops the block. */
static void run_block(bare *b)
{
    lua_State *L = b->L;
    int heap = lua_gc(L, LUA_GCCOUNT);
    if (heap > b->heap_peak_kb)
        b->heap_peak_kb = heap;
    double t0 = now_seconds();
    for (size_t i = 1; i <= b->in_block; i++) {
        lua_rawgeti(L, SLOT_BLOCK, (lua_Integer)i);
        for (size_t r = 1; r <= b->n_rules; r++) {
            lua_rawgeti(L, SLOT_RULES, (lua_Integer)r);
            lua_pushvalue(L, -2);
            lua_pushvalue(L, SLOT_CTX);
            if (lua_pcall(L, 2, 1, 0) != LUA_OK && b->failures++ == 0) {
                const char *msg = lua_tostring(L, -1);
                snprintf(b->first_failure, sizeof b->first_failure, "%s: %s", b->rule_names[r - 1],
                         msg ? msg : "(error object is not a string)");
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    b->call_seconds += now_seconds() - t0;
    b->calls += (long long)(b->in_block * b->n_rules);
    b->cases += (long long)b->in_block;
    b->in_block = 0;
    lua_newtable(L);
    lua_replace(L, SLOT_BLOCK);
    lua_gc(L, LUA_GCCOLLECT);
}

/* Adds the case (doc with its events, both consumed) to the block. */
static int add_case(bare *b, json_t *doc, json_t *events)
{
    size_t n = json_array_size(events);
    json_t **items = malloc((n ? n : 1) * sizeof *items);
    json_t *sorted = json_array();
    if (!items || !sorted) {
        free(items);
        json_decref(sorted);
        json_decref(doc);
        json_decref(events);
        fprintf(stderr, "eval_bare: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(events, i);
    qsort(items, n, sizeof *items, by_time);
    for (size_t i = 0; i < n; i++)
        json_array_append(sorted, items[i]);
    free(items);
    json_decref(events);
    json_object_set_new(doc, "events", sorted);
    cr_err err;
    cr_status st = luajson_push(b->L, doc, NULL, &err);
    if (st != CR_OK) {
        fprintf(stderr, "eval_bare: case %s: %s\n",
                json_string_value(json_object_get(doc, "case_no")), err.msg);
        json_decref(doc);
        return -1;
    }
    json_decref(doc);
    lua_rawseti(b->L, SLOT_BLOCK, (lua_Integer)++b->in_block);
    if (b->block_size && b->in_block == b->block_size)
        run_block(b);
    return 0;
}

/* Reads the file, building and running blocks of cases. */
static int run_file(bare *b, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "eval_bare: cannot open %s\n", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long long lineno = 0;
    json_t *doc = NULL, *events = NULL; /* the case being collected */
    int rc = 0;
    double t_build = now_seconds(), t_calls = b->call_seconds;
    while (rc == 0 && (len = getline(&line, &cap, f)) != -1) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        record rec;
        cr_err err;
        if (record_parse(line, (size_t)len, NULL, &rec, &err) != CR_OK) {
            fprintf(stderr, "eval_bare: %s:%lld: %s\n", path, lineno, err.msg);
            rc = -1;
            break;
        }
        if (rec.type == REC_CASE) {
            if (doc)
                rc = add_case(b, doc, events); /* consumes both */
            doc = json_incref(rec.doc);
            events = json_array();
        } else if (rec.type == REC_EVENT && rec.u.event.case_no) {
            if (doc && strcmp(rec.u.event.case_no,
                              json_string_value(json_object_get(doc, "case_no"))) == 0)
                json_array_append(events, rec.doc);
            else
                b->orphan_events++;
        }
        record_free(&rec);
    }
    if (rc == 0 && doc) {
        rc = add_case(b, doc, events); /* consumes both */
        doc = events = NULL;
    }
    if (rc == 0 && b->in_block)
        run_block(b);
    json_decref(doc);
    json_decref(events);
    free(line);
    fclose(f);
    /* Building is the whole read minus the timed calls. */
    b->build_seconds = now_seconds() - t_build - (b->call_seconds - t_calls);
    return rc;
}

int main(int argc, char **argv)
{
    const char *usage =
        "usage: eval_bare RULES_DIR JSONL [--as-of DATE] [--calendar FILE] [--block N]\n";
    if (argc < 3) {
        fputs(usage, stderr);
        return 2;
    }
    const char *rules_dir = argv[1], *jsonl = argv[2], *as_of = "2026-03-31";
    const char *calendar_path = getenv("COURTRULES_CALENDAR");
    bare b = {.block_size = 1000};
    for (int i = 3; i < argc; i++) {
        cr_date d;
        if (strcmp(argv[i], "--as-of") == 0 && i + 1 < argc &&
            date_parse(argv[i + 1], &d, NULL, 0) == 0) {
            as_of = argv[++i];
        } else if (strcmp(argv[i], "--calendar") == 0 && i + 1 < argc) {
            calendar_path = argv[++i];
        } else if (strcmp(argv[i], "--block") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 0) {
                fputs(usage, stderr);
                return 2;
            }
            b.block_size = (size_t)n;
        } else {
            fputs(usage, stderr);
            return 2;
        }
    }

    char manifest_path[4096];
    snprintf(manifest_path, sizeof manifest_path, "%s/ruleset.json", rules_dir);
    json_error_t jerr;
    json_t *manifest = json_load_file(manifest_path, JSON_REJECT_DUPLICATES, &jerr);
    if (!manifest) {
        fprintf(stderr, "eval_bare: %s:%d: %s\n", manifest_path, jerr.line, jerr.text);
        return 2;
    }
    int status = 1;
    calendar *cal = NULL;
    if (!calendar_path && access("data/calendar/cn.json", R_OK) == 0)
        calendar_path = "data/calendar/cn.json";
    cr_err err;
    if (calendar_path && calendar_load(calendar_path, &cal, &err) != CR_OK) {
        fprintf(stderr, "eval_bare: %s\n", err.msg);
        goto cleanup;
    }
    b.L = luaL_newstate();
    if (!b.L) {
        fprintf(stderr, "eval_bare: cannot create a Lua state\n");
        goto cleanup;
    }
    luaL_openlibs(b.L);
    if (push_ctx(&b, as_of, json_object_get(manifest, "params"), cal) != 0) /* SLOT_CTX */
        goto cleanup;
    lua_newtable(b.L); /* SLOT_RULES */
    lua_newtable(b.L); /* SLOT_BLOCK */
    if (load_rules(&b, rules_dir) != 0 || run_file(&b, jsonl) != 0)
        goto cleanup;

    double rate = b.call_seconds > 0 ? (double)b.cases / b.call_seconds : 0;
    printf("bare: %lld cases in %.2f s = %.0f cases/s\n", b.cases, b.call_seconds, rate);
    printf("bare: %zu rules, %lld calls, %lld alerts, %lld failures; built in %.2f s, blocks of "
           "%zu, Lua heap peak %.0f MB, calendar %s%s\n",
           b.n_rules, b.calls, b.alerts, b.failures, b.build_seconds,
           b.block_size ? b.block_size : (size_t)b.cases, b.heap_peak_kb / 1024.0,
           calendar_path ? calendar_path : "none (Monday to Friday)",
           b.orphan_events ? "; events not after their case skipped" : "");
    if (b.failures)
        printf("bare: first failure: %s\n", b.first_failure);
    status = 0;
cleanup:
    if (b.L)
        lua_close(b.L);
    calendar_free(cal);
    json_decref(manifest);
    return status;
}
