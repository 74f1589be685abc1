/*
 * main.c -- command dispatch only. Each subcommand lives in cmd_<name>.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
    {"init", cmd_init, "create or migrate the database"},
    {"ingest", cmd_ingest, "load courts, people, cases, case events (JSON Lines)"},
    {"eval", cmd_eval, "evaluate cases against the rule sets in scope"},
    {"rules", cmd_rules, "list rule sets, versions and health; release a quarantined rule"},
    {"alerts", cmd_alerts, "list alerts"},
    {"explain", cmd_explain, "every rule's result and reasons for one case"},
    {"test", cmd_test, "run rule-set tests (table-driven), print N passed, N failed"},
    {"lint", cmd_lint, "check rule scripts with luacheck"},
    {"stats", cmd_stats, "what the database holds, by court, kind and status"},
    {"webhook", cmd_webhook, "manage webhook endpoints: add, list, remove, test, rotate"},
    {"deliver", cmd_deliver, "send due webhook messages (one pass, or --follow)"},
    {"deliveries", cmd_deliveries, "every delivery attempt: time, status, latency, error"},
    {"redeliver", cmd_redeliver, "send one alert again, or every failed message since a time"},
    {"audit", cmd_audit, "verify or list the hash-chained audit trail"},
    {"schedule", cmd_schedule, "schedules rules declare: next fire times; run the due ones"},
    {"token", cmd_token, "create, list or revoke bearer tokens for the HTTP API"},
    {"serve", cmd_serve, "daemon: HTTP API and background jobs"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: courtrules [--db PATH] [--rules DIR] [--json] COMMAND [ARGS]\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`courtrules COMMAND --help` describes a command.\n"
                 "The database defaults to $COURTRULES_DB, else ./courtrules.db.\n");
}

int main(int argc, char **argv)
{
    cli_common common;
    argc = cli_parse_common(argc - 1, argv + 1, &common);
    argv++;
    if (argc < 0)
        return 2;
    if (argc == 0) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
        strcmp(argv[0], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[0], "--version") == 0) {
        printf("courtrules %s\n", COURTRULES_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[0], commands[i].name) == 0)
            return commands[i].run(argc, argv, &common);
    fprintf(stderr, "courtrules: unknown command '%s'\n", argv[0]);
    usage(stderr);
    return 2;
}
