#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_common(int argc, char **argv, cli_common *common)
{
    const char *env_db = getenv("COURTRULES_DB");
    common->db_path = env_db && *env_db ? env_db : "./courtrules.db";
    common->rules_dir = "./rules";
    common->json = 0;
    int out = 0;
    int i = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        const char **target = NULL;
        if (strcmp(a, "--db") == 0 || strncmp(a, "--db=", 5) == 0)
            target = &common->db_path;
        else if (strcmp(a, "--rules") == 0 || strncmp(a, "--rules=", 8) == 0)
            target = &common->rules_dir;
        if (target) {
            const char *eq = strchr(a, '=');
            if (eq) {
                *target = eq + 1;
            } else if (i + 1 < argc) {
                *target = argv[++i];
            } else {
                fprintf(stderr, "courtrules: %s needs a value\n", a);
                return -1;
            }
            continue;
        }
        if (strcmp(a, "--json") == 0) {
            common->json = 1;
            continue;
        }
        argv[out++] = argv[i];
    }
    for (; i < argc; i++)
        argv[out++] = argv[i];
    argv[out] = NULL;
    return out;
}

int cli_fail(cr_status st, const cr_err *err)
{
    fprintf(stderr, "courtrules: %s\n", err->msg);
    return st == CR_INVALID ? 2 : 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "courtrules %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see `courtrules %s --help`)\n", cmd);
    return 2;
}

cr_db *cli_open_db(const cli_common *common, int *status)
{
    cr_db *db = NULL;
    cr_err err;
    cr_status st = db_open(common->db_path, DB_OPEN_EXISTING, &db, &err);
    if (st != CR_OK) {
        *status = cli_fail(st, &err);
        return NULL;
    }
    return db;
}
