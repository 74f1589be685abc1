/*
 * cmd_token.c -- `courtrules token create|list|revoke`: bearer tokens for
 * the HTTP API (serve). A token is printed once; only its hash is stored.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "db_tokens.h"
#include "token.h"

static const char TOKEN_USAGE[] =
    "usage: courtrules [--db PATH] token create --court PREFIX --role ROLE [--name NAME]\n"
    "       courtrules [--db PATH] [--json] token list\n"
    "       courtrules [--db PATH] token revoke ID\n"
    "\n"
    "Bearer tokens for `courtrules serve`. create prints the token once (keep it: only\n"
    "its SHA-256 is stored); every request made with it is limited to the courts\n"
    "whose code starts with PREFIX (\"粤07\" covers 粤07 and 粤0703; \"*\" covers every\n"
    "court) and to what ROLE allows:\n"
    "  reader    read cases, explanations and alerts\n"
    "  filer     reader, and post records, triage and evaluate cases\n"
    "  operator  reader, and acknowledge and resolve alerts\n"
    "  admin     everything, and reload the rule sets\n"
    "Creating and revoking tokens is recorded in the audit trail.\n";

static int token_create(int argc, char **argv, const cli_common *common)
{
    const char *court = NULL, *role = NULL, *name = NULL;
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        int m;
        if ((m = cli_option_value(argc, argv, &i, "--court", &v)) != 0) {
            if (m < 0)
                return cli_usage_error("token", "--court needs a court-code prefix or '*'");
            court = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--role", &v)) != 0) {
            if (m < 0)
                return cli_usage_error("token", "--role needs one of %s", token_role_names());
            role = v;
        } else if ((m = cli_option_value(argc, argv, &i, "--name", &v)) != 0) {
            if (m < 0 || !*v)
                return cli_usage_error("token", "--name needs a name");
            name = v;
        } else {
            return cli_usage_error("token", "unexpected argument '%s'", argv[i]);
        }
    }
    char why[256];
    if (!court)
        return cli_usage_error("token", "create needs --court PREFIX (or '*')");
    if (token_scope_check(court, why, sizeof why) != 0)
        return cli_usage_error("token", "--court '%s': %s", court, why);
    if (!role || !token_role_perms(role))
        return cli_usage_error("token", "--role must be one of %s", token_role_names());
    char default_name[96];
    if (!name) {
        snprintf(default_name, sizeof default_name, "%s-%s", court, role);
        name = default_name;
    }
    int status = 0;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    cr_err err;
    char token[TOKEN_TEXT_LEN + 1], hash[65], subject[48];
    int64_t id = 0;
    cr_status st = token_generate(token, &err);
    if (st == CR_OK) {
        token_hash(token, hash);
        st = db_begin(db, &err);
    }
    if (st == CR_OK)
        st = db_token_insert(db, name, hash, court, role, audit_cli_actor(), &id, &err);
    if (st == CR_OK) {
        json_t *detail = json_pack("{s:s, s:s, s:s}", "name", name, "court", court, "role", role);
        char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(detail);
        snprintf(subject, sizeof subject, "token %lld", (long long)id);
        st = text ? audit_append(db, audit_cli_actor(), "token.create", subject, text, NULL, &err)
                  : cr_errf(&err, CR_FAIL, "out of memory");
        free(text);
    }
    st = db_end(db, st, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    if (common->json) {
        json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)id, "name", name,
                              "court", court, "role", role, "token", token);
        char *text = json_dumps(j, JSON_INDENT(2));
        printf("%s\n", text);
        free(text);
        json_decref(j);
    } else {
        fprintf(stderr, "token %lld (%s): role %s, courts %s -- shown once, keep it safe\n",
                (long long)id, name, role, court);
        printf("%s\n", token);
    }
    return 0;
}

static int token_list(const cli_common *common)
{
    int status = 0;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    cr_err err;
    json_t *list = NULL;
    cr_status st = db_token_list(db, &list, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    if (common->json) {
        char *text = json_dumps(list, JSON_INDENT(2));
        printf("%s\n", text);
        free(text);
    } else {
        size_t i;
        json_t *t;
        if (json_array_size(list))
            printf("%-5s %-8s ", "ID", "ROLE");
        if (json_array_size(list)) {
            cli_print_padded(stdout, "COURTS", 8);
            printf(" %-25s %-24s\n", "CREATED", "NAME / REVOKED");
        }
        json_array_foreach(list, i, t)
        {
            const char *revoked = json_string_value(json_object_get(t, "revoked_at"));
            printf("%-5lld %-8s ", (long long)json_integer_value(json_object_get(t, "id")),
                   json_string_value(json_object_get(t, "role")));
            cli_print_padded(stdout, json_string_value(json_object_get(t, "court")), 8);
            printf(" %-25s ", json_string_value(json_object_get(t, "created_at")));
            cli_print_text(stdout, json_string_value(json_object_get(t, "name")), NULL);
            if (revoked)
                printf("  (revoked %s)", revoked);
            putchar('\n');
        }
        printf("%zu token%s\n", json_array_size(list), json_array_size(list) == 1 ? "" : "s");
    }
    json_decref(list);
    return 0;
}

static int token_revoke(int argc, char **argv, const cli_common *common)
{
    char *end = NULL;
    long long id = argc == 3 ? strtoll(argv[2], &end, 10) : 0;
    if (argc != 3 || !end || *end || id <= 0)
        return cli_usage_error("token", "revoke needs a token id (see `courtrules token list`)");
    int status = 0;
    cr_db *db = cli_open_db(common, &status);
    if (!db)
        return status;
    cr_err err;
    db_token t;
    char subject[48];
    cr_status st = db_begin(db, &err);
    if (st == CR_OK)
        st = db_token_revoke(db, id, &t, &err);
    if (st == CR_OK) {
        json_t *detail =
            json_pack("{s:s, s:s, s:s}", "name", t.name, "court", t.court, "role", t.role);
        char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(detail);
        snprintf(subject, sizeof subject, "token %lld", id);
        st = text ? audit_append(db, audit_cli_actor(), "token.revoke", subject, text, NULL, &err)
                  : cr_errf(&err, CR_FAIL, "out of memory");
        free(text);
    }
    st = db_end(db, st, &err);
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    printf("token %lld (%s) revoked\n", id, t.name);
    return 0;
}

int cmd_token(int argc, char **argv, const cli_common *common)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(TOKEN_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "create") == 0)
        return token_create(argc, argv, common);
    if (strcmp(argv[1], "list") == 0)
        return argc == 2 ? token_list(common)
                         : cli_usage_error("token", "unexpected argument '%s'", argv[2]);
    if (strcmp(argv[1], "revoke") == 0)
        return token_revoke(argc, argv, common);
    return cli_usage_error("token", "unknown subcommand '%s'", argv[1]);
}
