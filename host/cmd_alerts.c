/*
 * cmd_alerts.c -- `courtrules alerts`: list alerts, newest first.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "casenum.h"
#include "alert_action.h"
#include "audit.h"
#include "cli.h"
#include "dates.h"
#include "db_eval.h"

static const char ALERTS_USAGE[] =
    "usage: courtrules [--db PATH] [--json] alerts [--court PREFIX] [--code CODE|PREFIX*]\n"
    "                  [--status open|acked|resolved] [--since DATE] [--case 案号] [--limit N]\n"
    "       courtrules [--db PATH] alerts ack|resolve ID [--note TEXT]\n"
    "\n"
    "ack marks an open alert as seen (it stays acked while its rule keeps raising\n"
    "it); resolve closes it by hand (it reopens if its rule raises it again).\n"
    "Both are recorded in the audit trail with who did it and the note.\n"
    "\n"
    "Lists alerts, newest first, one per line: id, severity, status, code, court,\n"
    "案号, message and legal basis (法律依据); then how many were listed.\n"
    "`courtrules explain 案号` tells why a case's alerts fired.\n"
    "\n"
    "  --court PREFIX   alerts of a court and the courts under it (粤07 covers 粤0703)\n"
    "  --code CODE      one alert code (4C-MASS), or all codes with a prefix when it\n"
    "                   ends in '*' (\"4C-*\"; quote it for the shell)\n"
    "  --status S       open, acked or resolved\n"
    "  --since DATE     created on or after DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS],\n"
    "                   Beijing time unless an offset is given)\n"
    "  --case 案号      one case's alerts\n"
    "  --limit N        at most N alerts (N >= 1)\n"
    "  --json           a JSON array of alert objects: id, dedup_key, rule_set, rule,\n"
    "                   rule_version, rule_set_sha, code, severity, court, case_no,\n"
    "                   message, basis, data, status, as_of, created_at, last_seen_at,\n"
    "                   resolved_at, run_id\n";

/* Prints s padded to width columns and two spaces (none after the last
 * cell); control characters (a newline in a message) print as spaces so one
 * alert stays one line. */
static void print_cell(const char *s, int width, int last)
{
    if (last) {
        cli_print_text(stdout, s, NULL);
        return;
    }
    cli_print_padded(stdout, s, width);
    fputs("  ", stdout);
}

static const char *field(json_t *obj, const char *key, const char *none)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && *s ? s : none;
}

static void print_alerts(json_t *alerts, int64_t limit)
{
    static const int widths[] = {6, 8, 8, 12, 8, 24};
    static const char *const headers[] = {"ID", "SEVERITY", "STATUS", "CODE", "COURT", "案号"};
    if (json_array_size(alerts) > 0) {
        for (int c = 0; c < 6; c++)
            print_cell(headers[c], widths[c], 0);
        puts("MESSAGE / 法律依据");
    }
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a)
    {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(a, "id")));
        const char *cells[] = {id,
                               field(a, "severity", "-"),
                               field(a, "status", "-"),
                               field(a, "code", "-"),
                               field(a, "court", "-"),
                               field(a, "case_no", "-")};
        for (int c = 0; c < 6; c++)
            print_cell(cells[c], widths[c], 0);
        const char *basis = field(a, "basis", NULL);
        print_cell(field(a, "message", ""), 0, !basis);
        if (basis) {
            fputs("依据：", stdout);
            print_cell(basis, 0, 1);
        }
        putchar('\n');
    }
    size_t n = json_array_size(alerts);
    printf("%zu alert%s", n, n == 1 ? "" : "s");
    if (limit > 0 && (int64_t)n == limit)
        printf(" (--limit %lld reached; there may be more)", (long long)limit);
    putchar('\n');
}

/* `alerts ack|resolve ID [--note TEXT]`: an operator's action, audited. */
static int alert_action(int argc, char **argv, const cli_common *common)
{
    const char *action = argv[1], *note = NULL;
    const char *status = strcmp(action, "ack") == 0 ? "acked" : "resolved";
    char *end = NULL;
    long long id = argc > 2 ? strtoll(argv[2], &end, 10) : 0;
    if (argc < 3 || !end || *end || id <= 0)
        return cli_usage_error("alerts", "%s needs an alert id (see `courtrules alerts`)", action);
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--note") == 0 && i + 1 < argc)
            note = argv[++i];
        else
            return cli_usage_error("alerts", "unexpected argument '%s'", argv[i]);
    }
    int exit_status = 0;
    cr_db *db = cli_open_db(common, &exit_status);
    if (!db)
        return exit_status;
    cr_err err;
    char code[64] = "", court[32] = "";
    cr_status st = alert_action_apply(db, id, action, audit_cli_actor(), note, code, court, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    printf("alert %lld (%s, %s): %s\n", id, code, court, status);
    return 0;
}

int cmd_alerts(int argc, char **argv, const cli_common *common)
{
    if (argc >= 2 && (strcmp(argv[1], "ack") == 0 || strcmp(argv[1], "resolve") == 0))
        return alert_action(argc, argv, common);
    db_alert_filter filter = {0};
    char since[26], why[256];
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int m;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(ALERTS_USAGE, stdout);
            return 0;
        } else if ((m = cli_option_value(argc, argv, &i, "--court", &v)) != 0) {
            if (m < 0)
                return cli_usage_error("alerts", "--court needs a court code (e.g. 粤07)");
            if (court_code_check(v, why, sizeof why) != 0)
                return cli_usage_error("alerts", "--court '%s': %s", v, why);
            filter.court_prefix = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--code", &v)) != 0) {
            if (m < 0 || !*v)
                return cli_usage_error("alerts", "--code needs an alert code or a PREFIX*");
            filter.code = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--status", &v)) != 0) {
            if (m < 0)
                return cli_usage_error("alerts", "--status needs open, acked or resolved");
            if (strcmp(v, "open") != 0 && strcmp(v, "acked") != 0 && strcmp(v, "resolved") != 0)
                return cli_usage_error("alerts",
                                       "--status must be open, acked or resolved, not '%s'", v);
            filter.status = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--since", &v)) != 0) {
            cr_date day;
            if (m < 0)
                return cli_usage_error("alerts", "--since needs a date (YYYY-MM-DD)");
            if (datetime_parse(v, since, &day, why, sizeof why) != 0)
                return cli_usage_error("alerts", "--since '%s': %s", v, why);
            filter.since = since;
        } else if ((m = cli_option_value(argc, argv, &i, "--case", &v)) != 0) {
            cr_casenum no;
            if (m < 0)
                return cli_usage_error("alerts", "--case needs a case number (案号)");
            if (casenum_parse(v, &no, why, sizeof why) != 0)
                return cli_usage_error("alerts", "--case '%s': %s", v, why);
            filter.case_no = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--limit", &v)) != 0) {
            char *end = NULL;
            errno = 0;
            long long n = m > 0 && *v >= '0' && *v <= '9' ? strtoll(v, &end, 10) : 0;
            if (m < 0 || !end || *end || errno || n < 1)
                return cli_usage_error("alerts", "--limit needs a number >= 1");
            filter.limit = n;
        } else {
            return cli_usage_error("alerts", "unexpected argument '%s'", argv[i]);
        }
    }
    int status;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    json_t *alerts = NULL;
    cr_err err;
    cr_status st = db_eval_alerts(db, &filter, &alerts, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    if (common->json) {
        json_dumpf(alerts, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        print_alerts(alerts, filter.limit);
    }
    json_decref(alerts);
    return fflush(stdout) == 0 ? 0 : 1;
}
