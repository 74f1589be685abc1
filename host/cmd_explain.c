/*
 * cmd_explain.c -- `courtrules explain 案号`: every rule's result and reasons
 * for one case, the alerts it raised and why, and rule failures.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "casenum.h"
#include "cli.h"
#include "db_eval.h"

static const char EXPLAIN_USAGE[] =
    "usage: courtrules [--db PATH] [--json] explain 案号\n"
    "\n"
    "Shows what courtrules stored about one case's evaluation, to answer \"why did\n"
    "this fire?\" (or \"why not?\"):\n"
    "  - the case: 案号, court, kind, procedure, filing date, status;\n"
    "  - each rule that ran on it, grouped by rule set (national baseline first):\n"
    "    rule, version, the SHA-256 of the rule set (first 12 hex digits), the\n"
    "    as-of date, status (ok, failed, quarantined), the result it returned, and\n"
    "    the reason when it failed;\n"
    "  - the alerts raised: code, severity, status, message, legal basis\n"
    "    (法律依据), which rule raised it, first and last seen;\n"
    "  - recent failures of rules on this case.\n"
    "Both (2024)粤0703民初1234号 and （2024）粤0703民初1234号 work.\n"
    "\n"
    "  --json   the same as one JSON object: case, events, results, alerts,\n"
    "           failures, evaluated\n";

static const char *str(json_t *obj, const char *key, const char *none)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && *s ? s : none;
}

static void print_case(json_t *kase, json_t *events, json_t *evaluated)
{
    printf("%s  court %s  kind %s  procedure %s  filed %s  status %s", str(kase, "case_no", "?"),
           str(kase, "court", "-"), str(kase, "kind", "-"), str(kase, "procedure", "-"),
           str(kase, "filing_date", "-"), str(kase, "status", "-"));
    if (json_object_get(kase, "closing_date"))
        printf(" (closed %s)", str(kase, "closing_date", "-"));
    putchar('\n');
    if (json_object_get(kase, "cause")) {
        fputs("  cause (案由): ", stdout);
        cli_print_text(stdout, str(kase, "cause", "-"), "  ");
        putchar('\n');
    }
    size_t n = json_array_size(events);
    if (n) {
        json_t *last = json_array_get(events, n - 1);
        printf("  %zu event%s, last %s %s\n", n, n == 1 ? "" : "s", str(last, "at", "-"),
               str(last, "event", "-"));
    } else {
        puts("  no events");
    }
    if (!json_is_object(evaluated)) {
        puts("  not evaluated yet: run `courtrules eval`");
        return;
    }
    printf("  evaluated as of %s, rules fingerprint %.12s\n", str(evaluated, "as_of", "-"),
           str(evaluated, "rules_fingerprint", "-"));
    if (json_is_true(json_object_get(evaluated, "case_changed_since")))
        puts("  the case has changed since: results may be stale (run `courtrules eval`)");
}

static void print_results(json_t *results)
{
    size_t n = json_array_size(results);
    printf("\nrules (%zu):\n", n);
    if (!n)
        puts("  none ran on this case");
    const char *group = NULL, *group_sha = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(results, i, r)
    {
        const char *set = str(r, "rule_set", "?"), *sha = str(r, "rule_set_sha", "");
        if (!group || strcmp(group, set) != 0) {
            group = set;
            group_sha = sha;
            printf("  rule set %s  (sha256 %.12s)\n", set, sha);
        }
        printf("    %s", str(r, "rule", "?"));
        if (json_is_string(json_object_get(r, "rule_version")))
            printf(" %s", str(r, "rule_version", ""));
        if (strcmp(sha, group_sha) != 0) /* a result left from another version of the set */
            printf(" (sha256 %.12s)", sha);
        printf("  as of %s  %s", str(r, "as_of", "-"), str(r, "status", "?"));
        json_t *result = json_object_get(r, "result");
        if (result && !json_is_null(result)) {
            char *text = json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY);
            if (text) {
                fputs("  ", stdout);
                cli_print_text(stdout, text, "      ");
            }
            free(text);
        }
        putchar('\n');
        const char *reason = str(r, "reason", NULL);
        if (reason) {
            fputs("      reason: ", stdout);
            cli_print_text(stdout, reason, "        ");
            putchar('\n');
        }
    }
}

static void print_alerts(json_t *alerts)
{
    size_t n = json_array_size(alerts);
    printf("\nalerts (%zu):\n", n);
    if (!n)
        puts("  none");
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a)
    {
        printf("  #%lld %s  %s  %s\n", (long long)json_integer_value(json_object_get(a, "id")),
               str(a, "code", "?"), str(a, "severity", "?"), str(a, "status", "?"));
        fputs("    ", stdout);
        cli_print_text(stdout, str(a, "message", ""), "    ");
        putchar('\n');
        const char *basis = str(a, "basis", NULL);
        if (basis) {
            fputs("    法律依据：", stdout);
            cli_print_text(stdout, basis, "    ");
            putchar('\n');
        }
        printf("    raised by %s/%s", str(a, "rule_set", "?"), str(a, "rule", "?"));
        if (json_is_string(json_object_get(a, "rule_version")))
            printf(" %s", str(a, "rule_version", ""));
        printf(" (sha256 %.12s) as of %s\n", str(a, "rule_set_sha", ""), str(a, "as_of", "-"));
        printf("    first seen %s, last seen %s", str(a, "created_at", "-"),
               str(a, "last_seen_at", "-"));
        if (json_is_string(json_object_get(a, "resolved_at")))
            printf(", resolved %s", str(a, "resolved_at", "-"));
        putchar('\n');
        json_t *data = json_object_get(a, "data");
        if (data && !json_is_null(data)) {
            char *text = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
            if (text) {
                fputs("    data: ", stdout);
                cli_print_text(stdout, text, "      ");
                putchar('\n');
            }
            free(text);
        }
    }
}

static void print_failures(json_t *failures)
{
    size_t n = json_array_size(failures);
    if (!n)
        return;
    printf("\nfailures (%zu, most recent first):\n", n);
    size_t i;
    json_t *f;
    json_array_foreach(failures, i, f)
    {
        printf("  %s  %s/%s  %s (run %lld): ", str(f, "at", "-"), str(f, "rule_set", "?"),
               str(f, "rule", "?"), str(f, "kind", "?"),
               (long long)json_integer_value(json_object_get(f, "run_id")));
        cli_print_text(stdout, str(f, "reason", ""), "    ");
        putchar('\n');
    }
}

int cmd_explain(int argc, char **argv, const cli_common *common)
{
    const char *case_no = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(EXPLAIN_USAGE, stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error("explain", "unknown option '%s'", argv[i]);
        if (case_no)
            return cli_usage_error("explain", "one case number at a time ('%s' and '%s')", case_no,
                                   argv[i]);
        case_no = argv[i];
    }
    if (!case_no)
        return cli_usage_error("explain", "missing the case number (案号), e.g. "
                                          "'(2024)粤0703民初1234号'");
    cr_casenum no;
    char why[256];
    if (casenum_parse(case_no, &no, why, sizeof why) != 0)
        return cli_usage_error("explain", "'%s' is not a case number: %s", case_no, why);

    int status;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    json_t *out = NULL;
    cr_err err;
    cr_status st = db_eval_explain(db, case_no, &out, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    if (common->json) {
        json_dumpf(out, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        print_case(json_object_get(out, "case"), json_object_get(out, "events"),
                   json_object_get(out, "evaluated"));
        print_results(json_object_get(out, "results"));
        print_alerts(json_object_get(out, "alerts"));
        print_failures(json_object_get(out, "failures"));
    }
    json_decref(out);
    return fflush(stdout) == 0 ? 0 : 1;
}
