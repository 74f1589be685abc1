/*
 * cmd_schedule.c -- `courtrules schedule list|run-due`: the schedules rules
 * declare, their next fire times and state, and one scheduler pass.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit.h"
#include "calendar.h"
#include "cli.h"
#include "db_sched.h"
#include "eval.h"
#include "rules.h"
#include "sched.h"
#include "sched_run.h"
#include "tz.h"

#define NEXT_FIRES 5

static const char schedule_help[] =
    "usage: courtrules [--db PATH] [--rules DIR] [--json] schedule list [--now TIME]\n"
    "       courtrules [--db PATH] [--rules DIR] [--json] schedule run-due [--now TIME]\n"
    "                  [--grace SECONDS]\n"
    "\n"
    "list     every schedule the rules declare: rule set, rule, name, cron, time\n"
    "         zone, working days only or not, catch-up policy, the last fire time\n"
    "         and outcome (when the database exists) and the next five fire times\n"
    "         after --now; exit status 1 while a rule script does not load\n"
    "run-due  one scheduler pass at --now: runs every schedule whose fire time has\n"
    "         come (catching up missed ones by its policy), stores alerts, failures\n"
    "         and the last fire time; for system cron or tests (the daemon does the\n"
    "         same every 30 seconds)\n"
    "\n"
    "  --now TIME        YYYY-MM-DDTHH:MM[:SS], with Z or +hh:mm, else Beijing time\n"
    "                    (default: the clock)\n"
    "  --grace SECONDS   how late a fire time still counts as on time for\n"
    "                    catch_up = \"skip\" (default 120)\n"
    "  --plugins DIR     Lua modules rules may require (default ./plugins, else\n"
    "                    plugins/ beside the rules folder)\n"
    "  --calendar FILE   holidays and make-up workdays (default: $COURTRULES_CALENDAR,\n"
    "                    else data/calendar/cn.json here or beside the rules folder;\n"
    "                    without one, Monday to Friday)\n"
    "  --json            machine output\n";

typedef struct schedule_args {
    const char *plugins, *calendar_path, *now_text;
    int64_t now, grace;
} schedule_args;

static int parse_args(int argc, char **argv, schedule_args *a)
{
    a->calendar_path = getenv("COURTRULES_CALENDAR");
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        int m;
        if ((m = cli_option_value(argc, argv, &i, "--plugins", &v)) != 0) {
            a->plugins = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--calendar", &v)) != 0) {
            a->calendar_path = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--now", &v)) != 0) {
            a->now_text = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--grace", &v)) != 0) {
            char *end;
            long n = v ? strtol(v, &end, 10) : 0;
            if (v && (*end || n < 1 || n > 86400))
                return cli_usage_error("schedule", "--grace: seconds from 1 to 86400");
            a->grace = n;
        } else {
            return argv[i][0] == '-'
                       ? cli_usage_error("schedule", "unknown option '%s'", argv[i])
                       : cli_usage_error("schedule", "unexpected argument '%s'", argv[i]);
        }
        if (m < 0)
            return cli_usage_error("schedule", "%s needs a value", argv[i]);
    }
    a->now = (int64_t)time(NULL);
    if (a->now_text) {
        cr_tz *sh = NULL;
        char why[200];
        tz_load(TZ_DEFAULT, &sh, NULL); /* built in: cannot fail but for memory */
        int bad = !sh || sched_parse_time(sh, a->now_text, &a->now, why, sizeof why) != 0;
        tz_free(sh);
        if (bad)
            return cli_usage_error("schedule", "--now: %s", sh ? why : "out of memory");
    }
    return 0;
}

/* The schedule's state row from rows (db_sched_list), or NULL. */
static json_t *state_of(json_t *rows, const rule_set *set, const rule *r, const rule_schedule *sc)
{
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        if (strcmp(json_string_value(json_object_get(row, "rule_set")), set->name) == 0 &&
            strcmp(json_string_value(json_object_get(row, "rule")), r->name) == 0 &&
            strcmp(json_string_value(json_object_get(row, "schedule")), sc->name) == 0)
            return row;
    }
    return NULL;
}

static json_t *time_json(const cr_tz *tz, json_t *seconds)
{
    if (!json_is_integer(seconds))
        return json_null();
    char text[40];
    sched_format_time(tz, json_integer_value(seconds), text, sizeof text);
    return json_string(text);
}

static json_t *list_json(const rule_sets *rs, json_t *rows, const calendar *cal, int64_t now)
{
    json_t *out = json_array();
    for (size_t s = 0; s < rs->n; s++) {
        const rule_set *set = &rs->sets[s];
        for (size_t r = 0; r < set->n_rules; r++) {
            const rule *ru = &set->rules[r];
            for (size_t k = 0; k < ru->n_schedules; k++) {
                const rule_schedule *sc = &ru->schedules[k];
                sched_cron c;
                cr_tz *tz = NULL;
                if (sched_parse(sc->cron, &c, NULL) != CR_OK || tz_load(sc->tz, &tz, NULL))
                    continue; /* both checked at load */
                json_t *next = json_array();
                int64_t t = now;
                for (int i = 0; i < NEXT_FIRES; i++) {
                    if (sched_next(&c, tz, sc->workdays_only, cal, t, &t) != 0)
                        break;
                    char text[40];
                    sched_format_time(tz, t, text, sizeof text);
                    json_array_append_new(next, json_string(text));
                }
                json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o}", "rule_set",
                                      set->name, "rule", ru->name, "schedule", sc->name, "file",
                                      ru->file, "cron", sc->cron, "tz", sc->tz, "workdays_only",
                                      sc->workdays_only, "catch_up", sc->catch_up, "next", next);
                json_t *st = state_of(rows, set, ru, sc);
                json_object_set_new(e, "last_fire",
                                    time_json(tz, json_object_get(st, "last_fire")));
                json_object_set_new(e, "running_since",
                                    time_json(tz, json_object_get(st, "running_since")));
                static const char *const copied[] = {"last_status", "last_reason", "last_run_id",
                                                     "runs",        "failures",    "missed"};
                for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
                    json_t *v = json_object_get(st, copied[i]);
                    json_object_set_new(e, copied[i], v ? json_incref(v) : json_null());
                }
                json_array_append_new(out, e);
                tz_free(tz);
            }
        }
    }
    return out;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static void print_list(json_t *list)
{
    size_t i, j;
    json_t *e, *t;
    if (json_array_size(list) == 0)
        printf("no schedules: no rule declares `schedules`\n");
    json_array_foreach(list, i, e)
    {
        printf("%s/%s@%s  (%s)\n", str(e, "rule_set"), str(e, "rule"), str(e, "schedule"),
               str(e, "file"));
        printf("  cron      %s  %s%s\n", str(e, "cron"), str(e, "tz"),
               json_is_true(json_object_get(e, "workdays_only")) ? ", workdays only" : "");
        printf("  catch-up  %s\n", str(e, "catch_up"));
        printf("  last      %s", str(e, "last_fire"));
        if (json_is_string(json_object_get(e, "last_status")))
            printf(" %s", str(e, "last_status"));
        if (json_is_string(json_object_get(e, "last_reason"))) {
            printf(": ");
            cli_print_text(stdout, str(e, "last_reason"), NULL);
        }
        if (json_is_string(json_object_get(e, "running_since")))
            printf("  (running since %s)", str(e, "running_since"));
        printf("\n");
        json_array_foreach(json_object_get(e, "next"), j, t)
            printf("  %-9s %s\n", j == 0 ? "next" : "", json_string_value(t));
    }
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int cmd_schedule(int argc, char **argv, const cli_common *common)
{
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(schedule_help, sub ? stdout : stderr);
        return sub ? 0 : 2;
    }
    int list = strcmp(sub, "list") == 0;
    if (!list && strcmp(sub, "run-due") != 0)
        return cli_usage_error("schedule", "unknown subcommand '%s' (list, run-due)", sub);
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(schedule_help, stdout);
            return 0;
        }
    schedule_args a = {0};
    int status = parse_args(argc, argv, &a);
    if (status)
        return status;
    char plugins_buf[4096], calendar_buf[4096];
    a.plugins = cli_find_beside_rules(a.plugins, common->rules_dir, "plugins", 1, plugins_buf,
                                      sizeof plugins_buf);
    a.calendar_path =
        cli_find_beside_rules(a.calendar_path, common->rules_dir, "data/calendar/cn.json", 0,
                              calendar_buf, sizeof calendar_buf);
    cr_err err;
    calendar *cal = NULL;
    if (a.calendar_path && calendar_load(a.calendar_path, &cal, &err) != CR_OK)
        return cli_fail(CR_INVALID, &err);
    if (!a.calendar_path)
        fprintf(stderr, "courtrules: no holiday calendar (--calendar FILE): workdays are "
                        "Monday to Friday\n");
    rule_sets *rs = NULL;
    cr_status st = rules_load(common->rules_dir, a.plugins, eval_open_api, NULL, &rs, &err);
    if (st != CR_OK) {
        calendar_free(cal);
        return cli_fail(st, &err);
    }
    size_t load_failures = 0;
    for (size_t s = 0; s < rs->n; s++)
        for (size_t f = 0; f < rs->sets[s].n_failures; f++, load_failures++)
            fprintf(stderr, "courtrules: rule script %s not loaded: %s\n",
                    rs->sets[s].failures[f].file, rs->sets[s].failures[f].reason);
    cr_db *db = NULL;
    if (!list || file_exists(common->db_path)) {
        db = cli_open_db(common, &status);
        if (!db) {
            rules_free(rs);
            calendar_free(cal);
            return status;
        }
    }
    if (list) {
        json_t *rows = NULL;
        if (db && (st = db_sched_list(db, &rows, &err)) != CR_OK) {
            status = cli_fail(st, &err);
        } else {
            json_t *out = list_json(rs, rows, cal, a.now);
            if (common->json) {
                char *text = json_dumps(out, JSON_INDENT(2));
                printf("%s\n", text);
                free(text);
            } else {
                print_list(out);
            }
            json_decref(out);
            status = load_failures ? 1 : 0;
        }
        json_decref(rows);
    } else {
        sched_run_options opt = {
            .now = a.now, .grace = a.grace, .cal = cal, .actor = audit_cli_actor()};
        sched_run_summary sum;
        st = sched_run_due(db, rs, &opt, &sum, &err);
        if (st != CR_OK) {
            status = cli_fail(st, &err);
        } else if (common->json) {
            json_t *j = json_pack(
                "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:O}", "schedules", (json_int_t)sum.schedules,
                "runs", (json_int_t)sum.runs, "failed_runs", (json_int_t)sum.failed_runs,
                "skipped_running", (json_int_t)sum.skipped_running, "missed",
                (json_int_t)sum.missed, "alerts_created", (json_int_t)sum.alerts_created,
                "alerts_resolved", (json_int_t)sum.alerts_resolved, "events", sum.events);
            char *text = json_dumps(j, JSON_INDENT(2));
            printf("%s\n", text);
            free(text);
            json_decref(j);
        } else {
            size_t i;
            json_t *e;
            json_array_foreach(sum.events, i, e)
            {
                printf("%s/%s@%s %s %s", str(e, "rule_set"), str(e, "rule"), str(e, "schedule"),
                       str(e, "fire"), str(e, "status"));
                if (json_object_get(e, "run_id"))
                    printf(" (run %lld, %lld courts, %lld alerts new)",
                           (long long)json_integer_value(json_object_get(e, "run_id")),
                           (long long)json_integer_value(json_object_get(e, "courts")),
                           (long long)json_integer_value(json_object_get(e, "alerts_created")));
                if (json_is_string(json_object_get(e, "reason"))) {
                    printf(": ");
                    cli_print_text(stdout, str(e, "reason"), NULL);
                }
                printf("\n");
            }
            printf("%lld schedules, %lld runs (%lld failed), %lld missed, %lld busy; alerts: "
                   "%lld new, %lld resolved\n",
                   (long long)sum.schedules, (long long)sum.runs, (long long)sum.failed_runs,
                   (long long)sum.missed, (long long)sum.skipped_running,
                   (long long)sum.alerts_created, (long long)sum.alerts_resolved);
        }
        json_decref(sum.events);
    }
    db_close(db);
    rules_free(rs);
    calendar_free(cal);
    return status;
}
