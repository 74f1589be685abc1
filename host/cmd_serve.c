/*
 * cmd_serve.c -- `courtrules serve`.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "cli.h"
#include "sched.h"
#include "serve.h"

static const char SERVE_USAGE[] =
    "usage: courtrules [--db PATH] [--rules DIR] serve --listen HOST:PORT [options]\n"
    "\n"
    "Runs the HTTP API (docs/serve.md, docs/openapi.json) and the background jobs\n"
    "on one database until SIGTERM. SIGHUP reloads the rule sets (their tests must\n"
    "pass, or the running version keeps serving). Logs are JSON lines on stderr.\n"
    "One daemon per database: a second one is refused.\n"
    "\n"
    "  --listen HOST:PORT     address to listen on: 127.0.0.1:8080, [::1]:8080; port 0\n"
    "                         picks a free port (logged in the \"listening\" line)\n"
    "  --workers N            request threads, each with its own copy of the rules\n"
    "                         (default: one per processor, at most 16)\n"
    "  --max-body BYTES       largest request body (default 8388608); larger is 413\n"
    "  --max-connections N    open connections in total (default 512)\n"
    "  --per-ip N             open connections from one address (default 256)\n"
    "  --timeout SECONDS      close a connection idle this long (default 30)\n"
    "  --token-cache MS       trust a token found valid for this long before checking\n"
    "                         the database again; a revoked token is refused at most\n"
    "                         this much later (default 1000; 0: check every request)\n"
    "  --plugins DIR          Lua modules rules may require (default ./plugins, else\n"
    "                         plugins/ beside the rules folder)\n"
    "  --calendar FILE        holidays (default as for `eval`)\n"
    "  --daily-eval CRON|off  when to evaluate the changed and date-dependent cases again\n"
    "                         (the daily time-limit scan), on working days, Asia/Shanghai;\n"
    "                         default \"30 7 * * *\"; a missed scan runs once at start\n";

int cmd_serve(int argc, char **argv, const cli_common *common)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    serve_config cfg = {.daily_eval = "30 7 * * *",
                        .db_path = common->db_path,
                        .rules_dir = common->rules_dir,
                        .workers = cpus < 1    ? 1
                                   : cpus > 16 ? 16
                                               : (int)cpus,
                        .http = {.max_body = 8u << 20,
                                 .max_connections = 512,
                                 .per_ip = 256,
                                 .timeout_s = 30,
                                 .token_cache_ms = 1000}};
    const char *calendar_path = getenv("COURTRULES_CALENDAR");
    static const struct {
        const char *name;
        long lo, hi;
    } numeric[] = {
        {"--workers", 1, 64},   {"--max-body", 1024, 1L << 30}, {"--max-connections", 1, 65536},
        {"--per-ip", 1, 65536}, {"--timeout", 1, 3600},         {"--token-cache", 0, 60000}};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int m;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(SERVE_USAGE, stdout);
            return 0;
        }
        if ((m = cli_option_value(argc, argv, &i, "--listen", &v)) != 0) {
            if (m < 0)
                return cli_usage_error("serve", "--listen needs HOST:PORT");
            cfg.http.listen = v;
            continue;
        }
        if ((m = cli_option_value(argc, argv, &i, "--plugins", &v)) != 0) {
            if (m < 0)
                return cli_usage_error("serve", "--plugins needs a directory");
            cfg.plugins_dir = v;
            continue;
        }
        if ((m = cli_option_value(argc, argv, &i, "--daily-eval", &v)) != 0) {
            sched_cron cron;
            cr_err cerr;
            if (m < 0)
                return cli_usage_error("serve", "--daily-eval needs a cron expression or off");
            if (strcmp(v, "off") != 0 && sched_parse(v, &cron, &cerr) != CR_OK)
                return cli_usage_error("serve", "--daily-eval '%s': %s", v, cerr.msg);
            cfg.daily_eval = strcmp(v, "off") == 0 ? NULL : v;
            continue;
        }
        if ((m = cli_option_value(argc, argv, &i, "--calendar", &v)) != 0) {
            if (m < 0)
                return cli_usage_error("serve", "--calendar needs a file");
            calendar_path = v;
            continue;
        }
        int matched = 0;
        for (size_t k = 0; !matched && k < sizeof numeric / sizeof numeric[0]; k++) {
            if ((m = cli_option_value(argc, argv, &i, numeric[k].name, &v)) == 0)
                continue;
            matched = 1;
            int64_t n;
            if (m < 0 || cli_parse_int(v, numeric[k].lo, numeric[k].hi, &n) != 0)
                return cli_usage_error("serve", "%s needs a number from %ld to %ld",
                                       numeric[k].name, numeric[k].lo, numeric[k].hi);
            if (k == 0)
                cfg.workers = (int)n;
            else if (k == 1)
                cfg.http.max_body = (size_t)n;
            else if (k == 2)
                cfg.http.max_connections = (unsigned)n;
            else if (k == 3)
                cfg.http.per_ip = (unsigned)n;
            else if (k == 4)
                cfg.http.timeout_s = (unsigned)n;
            else
                cfg.http.token_cache_ms = (unsigned)n;
        }
        if (!matched)
            return cli_usage_error("serve", "unexpected argument '%s'", argv[i]);
    }
    if (!cfg.http.listen)
        return cli_usage_error("serve", "--listen HOST:PORT is required");
    char plugins_buf[4096], calendar_buf[4096];
    cfg.plugins_dir = cli_find_beside_rules(cfg.plugins_dir, common->rules_dir, "plugins", 1,
                                            plugins_buf, sizeof plugins_buf);
    calendar_path = cli_find_beside_rules(calendar_path, common->rules_dir, "data/calendar/cn.json",
                                          0, calendar_buf, sizeof calendar_buf);
    cr_err err;
    calendar *cal = NULL;
    if (calendar_path) {
        cr_status cst = calendar_load(calendar_path, &cal, &err);
        if (cst != CR_OK)
            return cli_fail(cst, &err);
    }
    cfg.cal = cal;
    cr_status st = serve_run(&cfg, &err);
    calendar_free(cal);
    return st == CR_OK ? 0 : cli_fail(st, &err);
}
