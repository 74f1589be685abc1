/*
 * engine_render.h -- an evaluated case as the API's JSON answer, written as
 * text (part of the engine module; see engine.h for the answer's shape).
 *
 * The rules' results are already JSON text (eval_worker encodes them for
 * storage); parsing them into a jansson tree only to print the tree again
 * cost more than a fifth of a triage call. The renderer copies that text
 * into the answer and builds only the small parts around it.
 */
#ifndef COURTRULES_ENGINE_RENDER_H
#define COURTRULES_ENGINE_RENDER_H

#include <jansson.h>
#include <stdint.h>

#include "engine.h"
#include "err.h"
#include "eval_worker.h"
#include "luajson_text.h"
#include "rules.h"

/* What a persisted evaluation adds: the run, the stored alerts it raised
 * or saw again (with ids and status; replaces the raised ones), and how
 * many alerts it resolved. */
typedef struct engine_persisted {
    int64_t run_id;
    int64_t alerts_resolved;
    const json_t *alerts;
} engine_persisted;

/* Renders wc, evaluated by rs as of as_of, into *out (see engine.h);
 * values is the buffer of the worker that ran it (its rules' result values);
 * persisted is NULL for an evaluation that stored nothing. CR_FAIL if out
 * of memory, with *out empty. */
cr_status engine_render_case(const rule_sets *rs, const work_case *wc, const luajson_buffer *values,
                             const char *as_of, const engine_persisted *persisted,
                             engine_answer *out, cr_err *err);

#endif
