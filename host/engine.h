/*
 * engine.h -- the daemon's evaluation slots and the rule sets they run.
 *
 * A slot is what one request needs to touch data and run rules: its own
 * database connection and its own copy of the rule sets (a lua_State
 * belongs to one thread at a time). Requests check a slot out and back in;
 * a thread gets back the slot it checked in last whenever that one is free,
 * so the slot's states are still in the caches of the core it runs on.
 *
 * The rule sets live in generations: a generation holds one copy per slot
 * and is reference-counted. A reload loads a new generation into fresh
 * states, runs the rule sets' own tests as a gate, and only then makes it
 * current; each slot moves to it when it is next checked out, and the old
 * generation is freed when its last slot has moved. A request therefore
 * finishes on the rules it started with, and a failed reload changes
 * nothing.
 */
#ifndef COURTRULES_ENGINE_H
#define COURTRULES_ENGINE_H

#include <jansson.h>
#include <stdint.h>

#include "calendar.h"
#include "db.h"
#include "err.h"

typedef struct engine_config {
    const char *db_path;
    const char *rules_dir;
    const char *plugins_dir; /* may be NULL */
    const calendar *cal;     /* may be NULL: Monday to Friday; must outlive the engine */
    int slots;               /* >= 1 */
} engine_config;

typedef struct engine engine;
typedef struct engine_slot engine_slot;

/* Opens every slot's connection and loads the first generation (not gated:
 * the operator chose these rules by starting the daemon; scripts that do
 * not load are logged). CR_INVALID if the rules directory is malformed. */
cr_status engine_open(const engine_config *cfg, engine **out, cr_err *err);

/* Frees everything. Every slot must be checked in. */
void engine_close(engine *e);

/* Checks a slot out, waiting while all are busy, and moves it to the
 * current generation. Never NULL. */
engine_slot *engine_acquire(engine *e);
void engine_release(engine *e, engine_slot *s);

/* The slot's read-write connection (owned by the slot). */
cr_db *engine_db(engine_slot *s);

/* An evaluation's answer, rendered: the JSON object as compact text, and
 * the counts /metrics adds up. */
typedef struct engine_answer {
    char *json; /* owned; free() it */
    size_t len;
    int64_t failures; /* rules that failed */
    int64_t alerts;   /* alerts in the answer */
    int64_t reruns;   /* rule calls made again with the count hook (eval_worker) */
} engine_answer;

/*
 * Evaluates a case given as documents (doc: the case record as record_parse
 * normalized it; events: an array of event docs, NULL or empty if none;
 * both borrowed, read only) as of as_of, storing nothing. out->json:
 * {case_no, court, as_of, rules_fingerprint, persisted: false, results:
 * [...], alerts: [...], triage}, where alerts are those the rules raised,
 * each with its rule_set and rule, and triage is the value of the first
 * rule named "triage" that ran OK (null if none did).
 */
cr_status engine_eval_doc(engine_slot *s, const char *as_of, const char *case_no, const char *court,
                          const json_t *doc, const json_t *events, engine_answer *out, cr_err *err);

/*
 * Evaluates a stored case (with its stored events) as `eval --case` does
 * and, with persist, stores the outcome (eval_one, audited as actor).
 * court_scope ("*" or a prefix) must cover the case, else the answer is
 * the same CR_INVALID "case … is not in the database" as for a missing
 * case. *out as engine_eval_doc; with persist, persisted: true, alerts: the
 * stored alerts this run raised or saw again, with ids and status, then
 * run: id and alerts_resolved: n before triage.
 */
cr_status engine_eval_stored(engine_slot *s, const char *as_of, const char *case_no,
                             const char *court_scope, int persist, const char *actor,
                             engine_answer *out, cr_err *err);

/*
 * Loads the rules directory again into fresh states, runs its tests, and
 * makes it current if everything loaded and every test passed. Reloads
 * are serialized. Audited ("rules.reload", with the outcome) and logged
 * either way. *outcome: {ok, fingerprint, previous, reason?, failed_tests?,
 * load_failures?}. CR_OK when swapped; CR_INVALID with the reason when the
 * new version was refused (the old one keeps serving); CR_FAIL when the
 * attempt itself failed.
 */
cr_status engine_reload(engine *e, const char *actor, json_t **outcome, cr_err *err);

/* {fingerprint, loaded_at, generation, rule_sets: [{name, scope, sha256}]}. */
json_t *engine_status(engine *e);

#endif
