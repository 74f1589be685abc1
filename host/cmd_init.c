/*
 * cmd_init.c -- `courtrules init`: create or migrate the database.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "cli.h"

int cmd_init(int argc, char **argv, const cli_common *common)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: courtrules [--db PATH] init\n\n"
                   "Creates the database, or migrates it to schema version %d.\n"
                   "A database newer than this binary is refused.\n",
                   db_schema_version());
            return 0;
        }
        return cli_usage_error("init", "unexpected argument '%s'", argv[i]);
    }
    cr_db *db = NULL;
    cr_err err;
    cr_status st = db_open(common->db_path, DB_OPEN_CREATE, &db, &err);
    if (st != CR_OK)
        return cli_fail(st, &err);
    int from = 0, to = 0;
    st = db_migrate(db, &from, &to, &err);
    if (st == CR_OK && from != to) {
        char detail[96];
        snprintf(detail, sizeof detail, "{\"from\":%d,\"to\":%d}", from, to);
        st = db_begin(db, &err);
        if (st == CR_OK)
            st = audit_append(db, audit_cli_actor(), "db.migrate", common->db_path, detail, NULL,
                              &err);
        st = db_end(db, st, &err);
    }
    db_close(db);
    if (st != CR_OK)
        return cli_fail(st, &err);
    if (from == to)
        printf("%s: schema version %d, up to date\n", common->db_path, to);
    else
        printf("%s: migrated schema version %d -> %d\n", common->db_path, from, to);
    return 0;
}
