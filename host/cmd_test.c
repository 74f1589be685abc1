/*
 * cmd_test.c -- `courtrules test [DIR]`: run rule-set tests.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calendar.h"
#include "cli.h"
#include "ruletest.h"

static const char test_help[] =
    "usage: courtrules [--rules DIR] [--json] test [DIR] [--coverage [--min PCT]]\n"
    "                  [--plugins DIR] [--calendar FILE]\n"
    "\n"
    "Runs the table-driven tests of rule sets: every rules/<set>/tests/*.lua (files\n"
    "starting with _ are helpers they may require). Each case is validated and\n"
    "normalized as `ingest` would, evaluated by the rule that applies to its court\n"
    "(over every rule set of the rules directory, with the merged params), and\n"
    "compared with what it expects:\n"
    "\n"
    "  return { rule = \"four_category\", as_of = \"2026-03-31\",  -- defaults (court = too)\n"
    "    cases = { { name = \"10 parties\", case = { case_no = ..., events = {...} },\n"
    "                expect = { result = { categories = { \"群体性\" } },  -- subset\n"
    "                           alerts = { \"4C-MASS\" } } } } }            -- exactly\n"
    "\n"
    "expect may also hold error = \"text\" (the hook must fail so),\n"
    "log_contains = \"text\" and not_applicable = true; alerts may list tables\n"
    "{code=, severity=, message_contains=}.\n"
    "\n"
    "data = { {type=\"court\", ...}, {type=\"person\", ...}, {type=\"case\", ...},\n"
    "{type=\"event\", ...} } (in the file, and in a case, added to the file's) holds\n"
    "records as `ingest` takes them, stored as ingest stores them (a bad record\n"
    "stops the run, named: data[2] (person 'P1'): in_quota: ...) in a temporary\n"
    "database that ctx.query reads; a case's data may replace the file's records.\n"
    "Without data, ctx.query is not available. The case under test is not stored.\n"
    "\n"
    "A court-level test gives court_code = \"浙0102\" instead of case: the rule's\n"
    "on_court runs on that court's record (with its staffing), which must be in\n"
    "data; expect works the same.\n"
    "\n"
    "DIR is a rules directory (every set's tests; default --rules, else ./rules),\n"
    "one set's folder, its tests/ folder, or one test file; a set is resolved\n"
    "against the rules directory it sits in.\n"
    "\n"
    "Prints one line per case (`ok   set/rule: name` or `FAIL set/rule: name: why`)\n"
    "and ends with `N passed, N failed`. Exit 0 if all passed, 1 if any failed or\n"
    "a script is below the coverage threshold, 2 on bad usage or a malformed test\n"
    "file.\n"
    "\n"
    "  --coverage        line coverage of each rule script under test\n"
    "  --min PCT         with --coverage: fail below PCT percent (default 80)\n"
    "  --plugins DIR     Lua modules rules may require (default ./plugins)\n"
    "  --calendar FILE   holidays and make-up workdays (default: $COURTRULES_CALENDAR,\n"
    "                    else ./data/calendar/cn.json; without one, Monday to Friday)\n"
    "  --json            print the report as JSON\n";

/* "3-5, 9": the missed lines as ranges. */
static void print_ranges(const json_t *lines)
{
    size_t n = json_array_size(lines);
    for (size_t i = 0; i < n;) {
        json_int_t from = json_integer_value(json_array_get(lines, i)), to = from;
        while (++i < n && json_integer_value(json_array_get(lines, i)) == to + 1)
            to++;
        printf("%s%lld", from == json_integer_value(json_array_get(lines, 0)) ? "" : ", ",
               (long long)from);
        if (to != from)
            printf("-%lld", (long long)to);
    }
}

static void print_test(void *ud, const json_t *t)
{
    (void)ud;
    int ok = json_is_true(json_object_get(t, "ok"));
    printf("%s %s/%s: ", ok ? "ok  " : "FAIL", json_string_value(json_object_get(t, "rule_set")),
           json_string_value(json_object_get(t, "rule")));
    cli_print_text(stdout, json_string_value(json_object_get(t, "name")), NULL);
    if (!ok) {
        fputs(": ", stdout);
        cli_print_text(stdout, json_string_value(json_object_get(t, "message")), NULL);
    }
    putchar('\n');
    fflush(stdout);
}

static void print_coverage(const json_t *cov)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(cov, "files"), i, f)
    {
        int ok = json_is_true(json_object_get(f, "ok"));
        printf("%s %s: %lld/%lld lines, %.1f%%", ok ? "coverage" : "FAIL coverage",
               json_string_value(json_object_get(f, "file")),
               (long long)json_integer_value(json_object_get(f, "covered")),
               (long long)json_integer_value(json_object_get(f, "lines")),
               json_real_value(json_object_get(f, "percent")));
        if (!ok)
            printf(" (below %g%%)", json_real_value(json_object_get(cov, "min")));
        if (json_array_size(json_object_get(f, "missed"))) {
            fputs("; not run: ", stdout);
            print_ranges(json_object_get(f, "missed"));
        }
        putchar('\n');
    }
}

int cmd_test(int argc, char **argv, const cli_common *common)
{
    ruletest_options opt = {.dir = NULL, .plugins_dir = NULL, .min_coverage = 80};
    const char *calendar_path = getenv("COURTRULES_CALENDAR");
    int min_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int r;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(test_help, stdout);
            return 0;
        } else if (strcmp(a, "--coverage") == 0) {
            opt.coverage = 1;
        } else if ((r = cli_option_value(argc, argv, &i, "--min", &v)) != 0) {
            char *end;
            if (r < 0)
                return cli_usage_error("test", "--min needs a value");
            opt.min_coverage = strtod(v, &end);
            if (end == v || *end || !(opt.min_coverage >= 0 && opt.min_coverage <= 100))
                return cli_usage_error("test", "--min: a percentage from 0 to 100");
            min_given = 1;
        } else if ((r = cli_option_value(argc, argv, &i, "--plugins", &v)) != 0) {
            if (r < 0)
                return cli_usage_error("test", "--plugins needs a value");
            opt.plugins_dir = v;
        } else if ((r = cli_option_value(argc, argv, &i, "--calendar", &v)) != 0) {
            if (r < 0)
                return cli_usage_error("test", "--calendar needs a value");
            calendar_path = v;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("test", "unknown option '%s'", a);
        } else if (opt.dir) {
            return cli_usage_error("test", "unexpected argument '%s' (one DIR at most)", a);
        } else {
            opt.dir = a;
        }
    }
    if (min_given && !opt.coverage)
        return cli_usage_error("test", "--min needs --coverage");
    if (!opt.dir)
        opt.dir = common->rules_dir;
    /* Companions are looked for beside the rules directory the tests sit in. */
    char plugins_buf[4096], calendar_buf[4096];
    opt.plugins_dir = cli_find_beside_rules(opt.plugins_dir, common->rules_dir, "plugins", 1,
                                            plugins_buf, sizeof plugins_buf);

    cr_err err;
    calendar *cal = NULL;
    calendar_path = cli_find_beside_rules(calendar_path, common->rules_dir,
                                          "data/calendar/cn.json", 0, calendar_buf,
                                          sizeof calendar_buf);
    if (calendar_path) {
        cr_status cst = calendar_load(calendar_path, &cal, &err);
        if (cst != CR_OK)
            return cli_fail(cst, &err);
    } else {
        fprintf(stderr, "courtrules: no holiday calendar (--calendar FILE): workdays are "
                        "Monday to Friday\n");
    }
    opt.cal = cal;
    if (!common->json)
        opt.on_test = print_test;

    json_t *report = NULL;
    cr_status st = ruletest_run(&opt, &report, &err);
    calendar_free(cal);
    if (st != CR_OK)
        return cli_fail(st, &err);

    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(report, "load_failures"), i, f)
        fprintf(stderr, "courtrules: rule script %s not loaded: %s\n",
                json_string_value(json_object_get(f, "file")),
                json_string_value(json_object_get(f, "reason")));
    json_int_t passed = json_integer_value(json_object_get(report, "passed"));
    json_int_t failed = json_integer_value(json_object_get(report, "failed"));
    if (passed + failed == 0)
        fprintf(stderr,
                "courtrules: no tests under %s (rule sets keep them in <set>/tests/*.lua)\n",
                opt.dir);
    if (common->json) {
        char *text = json_dumps(report, JSON_INDENT(2));
        if (text)
            printf("%s\n", text);
        free(text);
    } else {
        if (json_object_get(report, "coverage"))
            print_coverage(json_object_get(report, "coverage"));
        printf("%lld passed, %lld failed\n", (long long)passed, (long long)failed);
    }
    int status = json_is_true(json_object_get(report, "ok")) ? 0 : 1;
    json_decref(report);
    return status;
}
