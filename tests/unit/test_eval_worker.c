/* Unit tests for host/eval_worker.c: a worker made and freed again and again
 * on the same rule sets (the daemon's requests, the scheduler's runs) leaves
 * nothing behind in the sets' Lua states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "eval_worker.h"
#include "rules.h"
#include "sandbox.h"

#define FIXTURES COURTRULES_SOURCE_DIR "/tests/fixtures"

static const char CASE_DOC[] =
    "{\"case_no\":\"(2024)粤0703民初1号\",\"court\":\"粤0703\",\"kind\":\"civil\","
    "\"party_count\":4,\"status\":\"在办\"}";

static void evaluate_once(rule_sets *rs, const rule_flags *flags)
{
    eval_worker w;
    cr_err err;
    assert_int_equal(eval_worker_init(&w, rs, "2026-03-31", flags, NULL, NULL, &err), CR_OK);
    work_case c = {0};
    c.case_no = strdup("(2024)粤0703民初1号");
    c.court = strdup("粤0703");
    c.doc = strdup(CASE_DOC);
    c.events = strdup("[]");
    eval_worker_case(&w, &c);
    assert_int_equal(c.n_effects, 1);
    if (c.effects[0].kind != EFFECT_OK)
        fail_msg("the rule failed: %s", c.effects[0].reason ? c.effects[0].reason : "?");
    assert_non_null(strstr(c.results_json, "\"over\":true"));
    work_case_clear(&c);
    free(c.case_no);
    free(c.court);
    free(c.doc);
    free(c.events);
    eval_worker_free(&w);
}

/* eval_worker_free releases the ctx and params tables its ctx cache made. */
static void worker_leaves_no_ctx_behind(void **state)
{
    (void)state;
    rule_sets *rs;
    cr_err err;
    if (rules_load(FIXTURES "/worker/rules", NULL, eval_open_api, NULL, &rs, &err) != CR_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(rs->n, 1);
    rule_flags flags = {0};
    rule_flags_alloc(&flags, rs);
    assert_non_null(flags.base);
    assert_non_null(flags.quarantined);
    sandbox *sb = rs->sets[0].sb;
    evaluate_once(rs, &flags); /* warm: modules, interned strings */
    lua_gc(sandbox_state(sb), LUA_GCCOLLECT);
    size_t before = sandbox_memory_used(sb);
    for (int i = 0; i < 200; i++)
        evaluate_once(rs, &flags);
    lua_gc(sandbox_state(sb), LUA_GCCOLLECT);
    size_t after = sandbox_memory_used(sb);
    /* 200 leaked ctx tables would be hundreds of kilobytes */
    if (after > before + 16 * 1024)
        fail_msg("the set's state grew from %zu to %zu bytes over 200 workers", before, after);
    free(flags.base);
    free(flags.quarantined);
    rules_free(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(worker_leaves_no_ctx_behind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
