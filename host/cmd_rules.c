/*
 * cmd_rules.c -- `courtrules rules list|release`: what rule sets are loaded,
 * their versions and health, and lifting a quarantine.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "cli.h"
#include "db_eval.h"
#include "eval.h"
#include "rules.h"

static const char rules_help[] =
    "usage: courtrules [--db PATH] [--rules DIR] [--json] rules list [--plugins DIR]\n"
    "       courtrules [--db PATH] rules release SET/RULE [--note TEXT]\n"
    "\n"
    "list     every rule set under --rules: name, scope, SHA-256, its rules with\n"
    "         their versions, scripts that failed to load (then the exit status\n"
    "         is 1), and (with a database) each rule's consecutive failures and\n"
    "         quarantine\n"
    "release  lift the quarantine of a rule after its script was fixed: it runs\n"
    "         again at the next evaluation, its RULE-QUARANTINED alert is resolved,\n"
    "         and the release is recorded in the audit trail\n";

static json_t *sets_json(const rule_sets *rs)
{
    json_t *sets = json_array();
    for (size_t s = 0; s < rs->n; s++) {
        const rule_set *set = &rs->sets[s];
        json_t *rules = json_array(), *failures = json_array();
        for (size_t r = 0; r < set->n_rules; r++)
            json_array_append_new(rules, json_pack("{s:s, s:s, s:s}", "name", set->rules[r].name,
                                                   "version", set->rules[r].version, "file",
                                                   set->rules[r].file));
        for (size_t f = 0; f < set->n_failures; f++)
            json_array_append_new(failures,
                                  json_pack("{s:s, s:s, s:s}", "file", set->failures[f].file,
                                            "kind", sandbox_reason_name(set->failures[f].kind),
                                            "reason", set->failures[f].reason));
        json_array_append_new(sets, json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", set->name,
                                              "scope", set->scope, "sha256", set->sha256,
                                              "rules", rules, "load_failures", failures));
    }
    return sets;
}

static void print_list(json_t *report)
{
    size_t i, j;
    json_t *set, *r;
    printf("rules fingerprint %.12s\n",
           json_string_value(json_object_get(report, "rules_fingerprint")));
    json_array_foreach(json_object_get(report, "sets"), i, set)
    {
        printf("%s  scope %s  sha256 %.12s\n", json_string_value(json_object_get(set, "name")),
               json_string_value(json_object_get(set, "scope")),
               json_string_value(json_object_get(set, "sha256")));
        json_array_foreach(json_object_get(set, "rules"), j, r)
        {
            printf("  %-24s %-10s %s\n", json_string_value(json_object_get(r, "name")),
                   json_string_value(json_object_get(r, "version")),
                   json_string_value(json_object_get(r, "file")));
        }
        json_array_foreach(json_object_get(set, "load_failures"), j, r)
        {
            printf("  NOT LOADED %s: %s\n", json_string_value(json_object_get(r, "file")),
                   json_string_value(json_object_get(r, "reason")));
        }
    }
    json_t *health = json_object_get(report, "health");
    json_array_foreach(health, i, r)
    {
        const char *q = json_string_value(json_object_get(r, "quarantined_at"));
        json_int_t n = json_integer_value(json_object_get(r, "consecutive_failures"));
        if (!q && n == 0)
            continue;
        printf("%s %s/%s: %lld consecutive failure%s%s%s\n", q ? "QUARANTINED" : "failing",
               json_string_value(json_object_get(r, "rule_set")),
               json_string_value(json_object_get(r, "rule")), (long long)n, n == 1 ? "" : "s",
               q ? " since " : "", q ? q : "");
    }
}

static int rules_list(int argc, char **argv, const cli_common *common)
{
    const char *plugins = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--plugins") == 0 && i + 1 < argc)
            plugins = argv[++i];
        else
            return cli_usage_error("rules", "unexpected argument '%s'", argv[i]);
    }
    char plugins_buf[4096];
    plugins = cli_find_beside_rules(plugins, common->rules_dir, "plugins", 1, plugins_buf,
                                    sizeof plugins_buf);
    rule_sets *rs = NULL;
    cr_err err;
    cr_status st = rules_load(common->rules_dir, plugins, eval_open_api, NULL, &rs, &err);
    if (st != CR_OK)
        return cli_fail(st, &err);
    json_t *report = json_pack("{s:s, s:o}", "rules_fingerprint", rs->fingerprint, "sets",
                               sets_json(rs));
    size_t not_loaded = 0;
    for (size_t k = 0; k < rs->n; k++)
        not_loaded += rs->sets[k].n_failures;
    rules_free(rs);
    /* Health, if there is a database to read it from. */
    cr_db *db = NULL;
    if (db_open(common->db_path, DB_OPEN_QUERY_ONLY, &db, &err) == CR_OK) {
        json_t *health = NULL;
        if (db_eval_rule_health_list(db, &health, &err) == CR_OK)
            json_object_set_new(report, "health", health);
        db_close(db);
    }
    if (common->json) {
        char *text = json_dumps(report, JSON_INDENT(2));
        printf("%s\n", text);
        free(text);
    } else {
        print_list(report);
    }
    json_decref(report);
    return not_loaded ? 1 : 0; /* a script that does not load is a failure to fix */
}

static int rules_release(int argc, char **argv, const cli_common *common)
{
    const char *target = NULL, *note = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--note") == 0 && i + 1 < argc)
            note = argv[++i];
        else if (!target && argv[i][0] != '-')
            target = argv[i];
        else
            return cli_usage_error("rules", "unexpected argument '%s'", argv[i]);
    }
    const char *slash = target ? strchr(target, '/') : NULL;
    if (!slash || slash == target || !slash[1])
        return cli_usage_error("rules", "release needs SET/RULE, e.g. national/triage");
    char set[RULE_NAME_MAX], rule_name[RULE_NAME_MAX], key[2 * RULE_NAME_MAX + 32];
    snprintf(set, sizeof set, "%.*s", (int)(slash - target), target);
    snprintf(rule_name, sizeof rule_name, "%s", slash + 1);
    snprintf(key, sizeof key, "%s/%s:RULE-QUARANTINED", set, rule_name);

    int status = 0;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    cr_err err;
    int released = 0, resolved = 0;
    cr_status st = db_begin(db, &err);
    if (st == CR_OK)
        st = db_eval_release(db, set, rule_name, &released, &err);
    if (st == CR_OK && !released)
        st = cr_errf(&err, CR_INVALID, "%s/%s is not quarantined", set, rule_name);
    if (st == CR_OK)
        st = db_eval_resolve_key(db, key, &resolved, &err);
    if (st == CR_OK) {
        json_t *detail = json_pack("{s:s, s:s, s:b, s:s?}", "rule_set", set, "rule", rule_name,
                                   "alert_resolved", resolved, "note", note);
        char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(detail);
        st = audit_append(db, audit_cli_actor(), "rules.release", target, text, NULL, &err);
        free(text);
    }
    st = db_end(db, st, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    printf("%s: quarantine lifted%s; it runs again at the next evaluation\n", target,
           resolved ? ", RULE-QUARANTINED alert resolved" : "");
    return 0;
}

int cmd_rules(int argc, char **argv, const cli_common *common)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(rules_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "list") == 0)
        return rules_list(argc, argv, common);
    if (strcmp(argv[1], "release") == 0)
        return rules_release(argc, argv, common);
    return cli_usage_error("rules", "unknown subcommand '%s' (list, release)", argv[1]);
}
