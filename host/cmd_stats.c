/*
 * cmd_stats.c -- `courtrules stats`: what the database holds.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "db_records.h"

static void print_group(json_t *stats, const char *key, const char *title)
{
    json_t *g = json_object_get(stats, key);
    if (!g || json_object_size(g) == 0)
        return;
    printf("%s:\n", title);
    const char *label;
    json_t *n;
    json_object_foreach(g, label, n)
    {
        /* Labels are court codes and Chinese terms: pad by display width. */
        fputs("  ", stdout);
        cli_print_padded(stdout, label, 24);
        printf(" %10lld\n", (long long)json_integer_value(n));
    }
}

int cmd_stats(int argc, char **argv, const cli_common *common)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: courtrules [--db PATH] [--json] stats\n\n"
                   "Prints what the database holds: courts, people, cases and events,\n"
                   "cases by court, kind, status and procedure.\n");
            return 0;
        }
        return cli_usage_error("stats", "unexpected argument '%s'", argv[i]);
    }
    int status = 0;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    json_t *stats = NULL;
    cr_err err;
    cr_status st = db_record_stats(db, &stats, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    if (common->json) {
        char *s = json_dumps(stats, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
    } else {
        json_t *totals = json_object_get(stats, "totals");
        printf("%s: %lld courts, %lld people, %lld cases, %lld events\n", common->db_path,
               (long long)json_integer_value(json_object_get(totals, "court")),
               (long long)json_integer_value(json_object_get(totals, "person")),
               (long long)json_integer_value(json_object_get(totals, "case")),
               (long long)json_integer_value(json_object_get(totals, "event")));
        print_group(stats, "courts_by_level", "courts by level");
        print_group(stats, "cases_by_court", "cases by court");
        print_group(stats, "cases_by_kind", "cases by kind");
        print_group(stats, "cases_by_status", "cases by status");
        print_group(stats, "cases_by_procedure", "cases by procedure");
        print_group(stats, "events_by_type", "events by type");
        print_group(stats, "triage_recommended", "繁简分流: recommended procedure");
        print_group(stats, "open_alerts_by_code", "open alerts by code");
        print_group(stats, "open_alerts_by_court", "open alerts by court");
    }
    json_decref(stats);
    return 0;
}
