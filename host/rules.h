/*
 * rules.h -- rule sets: discovery, manifests, versions, loading into
 * sandboxes, and which rules apply to a court.
 *
 * A rule set is a folder rules/<dir>/ holding ruleset.json (name, scope,
 * params, disable, limits) and *.lua rule scripts; tests/ below it holds its
 * tests and is not loaded. Its version is the SHA-256 of its manifest and
 * scripts and of the plugins they may require. Each set gets its own
 * sandbox, so sets cannot reach each other.
 *
 * A case is evaluated by every set whose scope ("*" or a court-code prefix)
 * covers its court. For each rule name the most specific set that defines it
 * wins; a set's "disable" list switches off wider sets' rules by name for the
 * cases in its scope; a set's "params" override wider sets' params for the
 * cases in its scope (rules_params_for_court).
 */
#ifndef COURTRULES_RULES_H
#define COURTRULES_RULES_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "sandbox.h"

#define RULE_NAME_MAX 64
#define RULES_DEFAULT_INSTRUCTIONS 10000000u /* per hook call, unless "limits" says */
#define RULES_DEFAULT_WALL_MS 1000u

/* A schedule a rule declares (docs/schedules.md): run(court, ctx) per court
 * of the set's scope at each fire time of cron in tz. Validated at load:
 * cron parses, tz loads, catch_up is a policy (sched.h). */
typedef struct rule_schedule {
    char name[RULE_NAME_MAX]; /* unique within the rule; default "schedule<N>" */
    char cron[128];
    char tz[64];        /* default Asia/Shanghai */
    int workdays_only;  /* only on working days of the holiday calendar */
    char catch_up[16];  /* "skip", "once" (default) or "all:N" */
    int run_ref;        /* registry reference to run */
} rule_schedule;

typedef struct rule {
    char name[RULE_NAME_MAX];
    char version[32];
    char file[256];  /* path relative to the rules directory, for messages */
    int on_case_ref;  /* registry reference to on_case, LUA_NOREF if none */
    int on_court_ref; /* registry reference to on_court, LUA_NOREF if none */
    rule_schedule *schedules; /* from the rule's `schedules` field (owned) */
    size_t n_schedules;
} rule;

/* A script that did not load: recorded, the rest of its set still runs. */
typedef struct rule_load_failure {
    char file[256];
    char reason[512];
    sandbox_reason kind;
} rule_load_failure;

typedef struct rule_set {
    char name[RULE_NAME_MAX];
    char scope[32]; /* "*" or a court-code prefix */
    char sha256[65];
    char dir[1024];
    json_t *manifest; /* ruleset.json as read */
    sandbox *sb;
    rule *rules;
    size_t n_rules;
    char (*disable)[RULE_NAME_MAX];
    size_t n_disable;
    int quarantine_after; /* from ruleset.json; 0 = the evaluation's setting */
    rule_load_failure *failures;
    size_t n_failures;
} rule_set;

typedef struct rule_sets {
    rule_set *sets; /* ordered widest scope first, then by name */
    size_t n;
    char fingerprint[65]; /* SHA-256 over every set's sha256: "which rules judged this" */
} rule_sets;

/* An applicable rule: set index and rule index. */
typedef struct rule_ref {
    unsigned set, rule;
} rule_ref;

/*
 * Loads every rule set under rules_dir. plugins_dir (may be NULL) is where
 * `require` also looks. A bad manifest or a duplicate rule name is bad input
 * (CR_INVALID, naming the file); a script that fails to load is recorded in
 * its set's failures and skipped. open_api adds the host's Lua API to each
 * sandbox (see sandbox_new).
 */
cr_status rules_load(const char *rules_dir, const char *plugins_dir, lua_CFunction open_api,
                     void *api_ud, rule_sets **out, cr_err *err);
void rules_free(rule_sets *rs);

/* Does scope cover court? ("*" covers all; otherwise a prefix.) */
int rules_scope_covers(const char *scope, const char *court);

/* Fills out with the rules that apply to court, in evaluation order (set
 * order, then rule order); returns how many (at most cap). */
size_t rules_for_court(const rule_sets *rs, const char *court, rule_ref *out, size_t cap);

/*
 * The parameters a rule runs with for a case of court: the params of every
 * set covering the court, deep-merged widest first, so the more specific set
 * wins (objects merge key by key; any other value replaces). A national rule
 * sees the province's overrides; a province's own or replacing rule sees the
 * national defaults it does not override. `set` is the rule's set (every
 * rule of one court sees the same cascade today). Returns a new reference.
 */
json_t *rules_params_for_court(const rule_sets *rs, size_t set, const char *court);

/* The indices of the sets covering court, widest first; returns how many
 * (at most cap). Two courts with the same list see the same rules and params. */
size_t rules_covering(const rule_sets *rs, const char *court, unsigned *out, size_t cap);

#endif
