/*
 * engine_render.c -- an evaluated case as JSON text (see engine_render.h).
 */
#include "engine_render.h"
#include "jsontext.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tb_json(strbuf *b, const json_t *v)
{
    if (jsontext_dump_append(v, JSON_COMPACT | JSON_ENCODE_ANY, b) != 0)
        b->oom = 1;
}

/* The "triage" member: the value of the first rule named "triage" that ran
 * OK, the procedure recommendation the filing system shows; null if none.
 * A value's JSON text is bytes [value_at, value_at + value_len) of the
 * worker's buffer (eval_worker.h), still there after the case. */
static void tb_triage(strbuf *b, const rule_sets *rs, const work_case *wc,
                      const luajson_buffer *values)
{
    for (size_t i = 0; i < wc->n_effects; i++) {
        const effect *e = &wc->effects[i];
        if (e->kind != EFFECT_OK || strcmp(rs->sets[e->set].rules[e->rule].name, "triage") != 0)
            continue;
        if (values && values->text && e->value_at + e->value_len <= values->len && e->value_len) {
            strbuf_add(b, values->text + e->value_at, e->value_len);
            return;
        }
        break;
    }
    strbuf_str(b, "null");
}

/* The alerts the rules raised, each named by its rule. */
static int64_t tb_raised_alerts(strbuf *b, const rule_sets *rs, const work_case *wc)
{
    int64_t n = 0;
    strbuf_add(b, "[", 1);
    for (size_t i = 0; i < wc->n_effects; i++) {
        const effect *ef = &wc->effects[i];
        for (size_t k = 0; k < ef->alerts.n; k++) {
            if (n++)
                strbuf_add(b, ",", 1);
            strbuf_add(b, "{", 1);
            /* ctx.alert's members (luaapi.h), then the rule's names (ASCII,
             * as rules.c checks them). */
            luaapi_alert_members(b, &ef->alerts.v[k]);
            strbuf_str(b, ",\"rule_set\":");
            strbuf_json_string(b, rs->sets[ef->set].name);
            strbuf_str(b, ",\"rule\":");
            strbuf_json_string(b, rs->sets[ef->set].rules[ef->rule].name);
            strbuf_add(b, "}", 1);
        }
    }
    strbuf_add(b, "]", 1);
    return n;
}

cr_status engine_render_case(const rule_sets *rs, const work_case *wc, const luajson_buffer *values,
                             const char *as_of, const engine_persisted *persisted,
                             engine_answer *out, cr_err *err)
{
    memset(out, 0, sizeof *out);
    if (!wc->results_json)
        return cr_errf(err, CR_FAIL, "case %s: out of memory encoding results", wc->case_no);
    strbuf b = {0};
    strbuf_str(&b, "{\"case_no\":");
    strbuf_json_string(&b, wc->case_no);
    strbuf_str(&b, ",\"court\":");
    strbuf_json_string(&b, wc->court);
    strbuf_str(&b, ",\"as_of\":");
    strbuf_json_string(&b, as_of);
    strbuf_str(&b, ",\"rules_fingerprint\":");
    strbuf_json_string(&b, rs->fingerprint);
    strbuf_str(&b, persisted ? ",\"persisted\":true" : ",\"persisted\":false");
    strbuf_str(&b, ",\"results\":");
    strbuf_str(&b, wc->results_json);
    strbuf_str(&b, ",\"alerts\":");
    if (persisted) {
        tb_json(&b, persisted->alerts);
        out->alerts = (int64_t)json_array_size(persisted->alerts);
        strbuf_str(&b, ",\"run\":");
        strbuf_int(&b, persisted->run_id);
        strbuf_str(&b, ",\"alerts_resolved\":");
        strbuf_int(&b, persisted->alerts_resolved);
    } else {
        out->alerts = tb_raised_alerts(&b, rs, wc);
    }
    strbuf_str(&b, ",\"triage\":");
    tb_triage(&b, rs, wc, values);
    strbuf_add(&b, "}", 1);
    if (b.oom) {
        free(b.s);
        memset(out, 0, sizeof *out);
        return cr_errf(err, CR_FAIL, "case %s: out of memory encoding the answer", wc->case_no);
    }
    for (size_t i = 0; i < wc->n_effects; i++)
        out->failures += wc->effects[i].kind == EFFECT_FAILED;
    out->json = b.s;
    out->len = b.len;
    return CR_OK;
}
