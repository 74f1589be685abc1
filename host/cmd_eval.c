/*
 * cmd_eval.c -- `courtrules eval`.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "calendar.h"
#include "cli.h"
#include "dates.h"
#include "eval.h"

static const char eval_help[] =
    "usage: courtrules [--db PATH] [--rules DIR] eval [--as-of DATE] [--court PREFIX]\n"
    "                  [--case 案号 | --changed] [--plugins DIR] [--quarantine-after N]\n"
    "\n"
    "Evaluates stored cases against every rule set whose scope covers their court.\n"
    "Results, alerts and failures are stored in batched transactions, each with the\n"
    "rule set's SHA-256, the rule's version and the as-of date.\n"
    "\n"
    "  --as-of DATE          the evaluation date (default: today in Asia/Shanghai)\n"
    "  --court PREFIX        only cases of courts whose code starts with PREFIX\n"
    "  --case 案号           only this case\n"
    "  --changed             only cases changed since their last evaluation, never\n"
    "                        evaluated, or evaluated by other rule versions\n"
    "  --plugins DIR         Lua modules rules may require (default ./plugins, else\n"
    "                        plugins/ beside the rules folder)\n"
    "  --quarantine-after N  quarantine a rule after N failures in a row (default 5)\n"
    "  --workers N           threads running rules (default: one per processor)\n"
    "  --calendar FILE       holidays and make-up workdays (default: $COURTRULES_CALENDAR,\n"
    "                        else ./data/calendar/cn.json, else data/calendar/cn.json\n"
    "                        beside the rules folder; without one, Monday to Friday)\n"
    "  --json                print the summary as JSON\n";

int cmd_eval(int argc, char **argv, const cli_common *common)
{
    eval_options opt = {.select = DB_CASES_ALL};
    const char *plugins = NULL;
    const char *calendar_path = getenv("COURTRULES_CALENDAR");
    char today[11];
    date_format(date_today_shanghai(), today);
    opt.as_of = today;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(eval_help, stdout);
            return 0;
        } else if (strcmp(a, "--changed") == 0) {
            if (opt.select == DB_CASES_ONE)
                return cli_usage_error("eval", "--changed and --case exclude each other");
            opt.select = DB_CASES_CHANGED;
            continue;
        }
        static const char *const with_value[] = {"--as-of",   "--court",
                                                 "--case",    "--plugins",
                                                 "--quarantine-after", "--workers",
                                                 "--calendar", NULL};
        int known = 0;
        for (const char *const *o = with_value; *o; o++)
            known |= strcmp(a, *o) == 0;
        if (!known)
            return a[0] == '-' ? cli_usage_error("eval", "unknown option '%s'", a)
                               : cli_usage_error("eval", "unexpected argument '%s'", a);
        if (!v)
            return cli_usage_error("eval", "%s needs a value", a);
        i++;
        if (strcmp(a, "--as-of") == 0) {
            cr_date d;
            char why[128];
            if (date_parse(v, &d, why, sizeof why) != 0)
                return cli_usage_error("eval", "--as-of: %s", why);
            opt.as_of = v;
        } else if (strcmp(a, "--court") == 0) {
            opt.court_prefix = v;
        } else if (strcmp(a, "--case") == 0) {
            if (opt.select == DB_CASES_CHANGED)
                return cli_usage_error("eval", "--changed and --case exclude each other");
            opt.select = DB_CASES_ONE;
            opt.case_no = v;
        } else if (strcmp(a, "--plugins") == 0) {
            plugins = v;
        } else if (strcmp(a, "--calendar") == 0) {
            calendar_path = v;
        } else if (strcmp(a, "--quarantine-after") == 0) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 1000)
                return cli_usage_error("eval", "--quarantine-after: a number from 1 to 1000");
            opt.quarantine_after = (int)n;
        } else if (strcmp(a, "--workers") == 0) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 64)
                return cli_usage_error("eval", "--workers: a number from 1 to 64");
            opt.workers = (int)n;
        } else {
            return cli_usage_error("eval", "unknown option '%s'", a);
        }
    }
    char plugins_buf[4096], calendar_buf[4096];
    plugins = cli_find_beside_rules(plugins, common->rules_dir, "plugins", 1, plugins_buf,
                                    sizeof plugins_buf);

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
    int status = 0;
    cr_db *db = cli_open_db(common, &status);
    if (!db) {
        calendar_free(cal);
        return status;
    }
    if (opt.workers == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        opt.workers = cpus < 1 ? 1 : cpus > 16 ? 16 : (int)cpus;
    }
    rule_sets *rs[EVAL_MAX_COPIES];
    cr_status st = eval_load_rules(common->rules_dir, plugins, &opt, rs, &err);
    if (st != CR_OK) {
        db_close(db);
        calendar_free(cal);
        return cli_fail(st, &err);
    }
    for (size_t s = 0; s < rs[0]->n; s++)
        for (size_t f = 0; f < rs[0]->sets[s].n_failures; f++)
            fprintf(stderr, "courtrules: rule script %s not loaded: %s\n",
                    rs[0]->sets[s].failures[f].file, rs[0]->sets[s].failures[f].reason);
    opt.progress = isatty(STDERR_FILENO);
    opt.actor = audit_cli_actor();
    eval_summary sum;
    st = eval_run(db, rs, &opt, &sum, &err);
    if (st == CR_OK) {
        if (common->json) {
            json_t *j = eval_summary_json(&sum);
            json_object_set_new(j, "as_of", json_string(opt.as_of));
            json_object_set_new(j, "rules_fingerprint", json_string(rs[0]->fingerprint));
            char *text = json_dumps(j, JSON_INDENT(2));
            printf("%s\n", text);
            free(text);
            json_decref(j);
        } else {
            printf("evaluated %lld cases as of %s with %zu rule set%s in %.2f s (run %lld, %d "
                   "worker%s)\n",
                   (long long)sum.cases, opt.as_of, rs[0]->n, rs[0]->n == 1 ? "" : "s",
                   sum.seconds, (long long)sum.run_id, opt.workers, opt.workers == 1 ? "" : "s");
            if (sum.courts)
                printf("  courts evaluated by court-level rules: %lld\n", (long long)sum.courts);
            if (sum.courts_current)
                printf("  courts whose court-level results were still current: %lld\n",
                       (long long)sum.courts_current);
            if (sum.load_failures)
                printf("  rule scripts not loaded: %lld (their open alerts are kept; see "
                       "`courtrules rules list`)\n",
                       (long long)sum.load_failures);
            printf("  rule calls %lld, failures %lld, quarantined %lld\n",
                   (long long)sum.calls, (long long)sum.failures, (long long)sum.quarantined);
            if (sum.reruns)
                printf("  rule calls made again with every instruction counted: %lld (rules "
                       "running over about 1 ms; see docs/sandbox.md)\n",
                       (long long)sum.reruns);
            printf("  alerts: %lld new, %lld still open, %lld reopened, %lld resolved\n",
                   (long long)sum.alerts_created, (long long)sum.alerts_repeated,
                   (long long)sum.alerts_reopened, (long long)sum.alerts_resolved);
        }
    } else {
        status = cli_fail(st, &err);
    }
    eval_free_rules(rs, &opt);
    db_close(db);
    calendar_free(cal);
    return status;
}
