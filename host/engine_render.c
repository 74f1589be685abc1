/*
 * engine_render.c -- an evaluated case as JSON text (see engine_render.h).
 */
#include "engine_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct textbuf {
    char *s;
    size_t len, cap;
    int oom;
} textbuf;

static void tb_add(textbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

static void tb_str(textbuf *b, const char *s)
{
    tb_add(b, s, strlen(s));
}

/* s as a JSON string, escaped as json_dumps escapes it. The strings here
 * (case number, court, date, fingerprint) were validated as UTF-8 text. */
static void tb_json_string(textbuf *b, const char *s)
{
    tb_add(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        tb_add(b, run, (size_t)(s - run));
        char esc[8];
        if (ch == '"' || ch == '\\')
            snprintf(esc, sizeof esc, "\\%c", ch);
        else
            snprintf(esc, sizeof esc, "\\u%04x", ch);
        tb_str(b, esc);
        run = s + 1;
    }
    tb_add(b, run, (size_t)(s - run));
    tb_add(b, "\"", 1);
}

static void tb_json(textbuf *b, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        b->oom = 1;
        return;
    }
    tb_str(b, text);
    free(text);
}

static void tb_int(textbuf *b, int64_t n)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)n);
    tb_str(b, num);
}

/* The "triage" member: the value of the first rule named "triage" that ran
 * OK, the procedure recommendation the filing system shows; null if none.
 * A value's JSON text is bytes [value_at, value_at + value_len) of the
 * worker's buffer (eval_worker.h), still there after the case. */
static void tb_triage(textbuf *b, const rule_sets *rs, const work_case *wc,
                      const luajson_buffer *values)
{
    for (size_t i = 0; i < wc->n_effects; i++) {
        const effect *e = &wc->effects[i];
        if (e->kind != EFFECT_OK || strcmp(rs->sets[e->set].rules[e->rule].name, "triage") != 0)
            continue;
        if (values && values->text && e->value_at + e->value_len <= values->len && e->value_len) {
            tb_add(b, values->text + e->value_at, e->value_len);
            return;
        }
        break;
    }
    tb_str(b, "null");
}

/* The alerts the rules raised, each named by its rule. */
static int64_t tb_raised_alerts(textbuf *b, const rule_sets *rs, const work_case *wc)
{
    int64_t n = 0;
    tb_add(b, "[", 1);
    for (size_t i = 0; i < wc->n_effects; i++) {
        const effect *ef = &wc->effects[i];
        size_t k;
        json_t *a;
        json_array_foreach(ef->alerts, k, a)
        {
            json_t *copy = json_copy(a); /* shallow: only the two names are added */
            if (!copy) {
                b->oom = 1;
                continue;
            }
            json_object_set_new(copy, "rule_set", json_string(rs->sets[ef->set].name));
            json_object_set_new(copy, "rule", json_string(rs->sets[ef->set].rules[ef->rule].name));
            if (n++)
                tb_add(b, ",", 1);
            tb_json(b, copy);
            json_decref(copy);
        }
    }
    tb_add(b, "]", 1);
    return n;
}

cr_status engine_render_case(const rule_sets *rs, const work_case *wc, const luajson_buffer *values,
                             const char *as_of, const engine_persisted *persisted,
                             engine_answer *out, cr_err *err)
{
    memset(out, 0, sizeof *out);
    if (!wc->results_json)
        return cr_errf(err, CR_FAIL, "case %s: out of memory encoding results", wc->case_no);
    textbuf b = {0};
    tb_str(&b, "{\"case_no\":");
    tb_json_string(&b, wc->case_no);
    tb_str(&b, ",\"court\":");
    tb_json_string(&b, wc->court);
    tb_str(&b, ",\"as_of\":");
    tb_json_string(&b, as_of);
    tb_str(&b, ",\"rules_fingerprint\":");
    tb_json_string(&b, rs->fingerprint);
    tb_str(&b, persisted ? ",\"persisted\":true" : ",\"persisted\":false");
    tb_str(&b, ",\"results\":");
    tb_str(&b, wc->results_json);
    tb_str(&b, ",\"alerts\":");
    if (persisted) {
        tb_json(&b, persisted->alerts);
        out->alerts = (int64_t)json_array_size(persisted->alerts);
        tb_str(&b, ",\"run\":");
        tb_int(&b, persisted->run_id);
        tb_str(&b, ",\"alerts_resolved\":");
        tb_int(&b, persisted->alerts_resolved);
    } else {
        out->alerts = tb_raised_alerts(&b, rs, wc);
    }
    tb_str(&b, ",\"triage\":");
    tb_triage(&b, rs, wc, values);
    tb_add(&b, "}", 1);
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
