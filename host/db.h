/*
 * db.h -- the storage module. All SQL in courtrules lives behind db_*.
 *
 * One cr_db is one SQLite connection, used by one thread. The file is opened
 * in WAL mode with synchronous=FULL, foreign_keys=ON and a busy timeout;
 * writes happen inside db_begin()/db_commit() (BEGIN IMMEDIATE). The schema
 * is versioned by PRAGMA user_version and migrated by db_migrate().
 *
 * The storage module is split by concern: db.c (open, transactions,
 * migrations), db_records.c (courts, people, cases, events), db_audit.c
 * (the audit trail). Other modules never see sqlite3.h.
 */
#ifndef COURTRULES_DB_H
#define COURTRULES_DB_H

#include <stdint.h>

#include "err.h"

typedef struct cr_db cr_db;

/* The schema version this binary writes and understands. */
int db_schema_version(void);

enum db_open_mode {
    DB_OPEN_EXISTING,  /* fail if the file does not exist or is not migrated */
    DB_OPEN_CREATE,    /* create the file if needed (used by `init`) */
    DB_OPEN_QUERY_ONLY /* as EXISTING, and refuse every write (rule queries) */
};

/* Opens path. Refuses a file on a network filesystem (NFS, CIFS/SMB, …)
 * unless COURTRULES_ALLOW_NETWORK_FS=1, and a file whose schema is newer
 * than this binary. With DB_OPEN_EXISTING, also refuses a file that needs
 * migration (the message says to run `courtrules init`). */
cr_status db_open(const char *path, enum db_open_mode mode, cr_db **out, cr_err *err);
void db_close(cr_db *db);

/* Applies pending migrations in one transaction. *from and *to (may be NULL)
 * receive the versions before and after. */
cr_status db_migrate(cr_db *db, int *from, int *to, cr_err *err);

/* The file's current PRAGMA user_version. */
int db_user_version(cr_db *db);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. db_rollback is safe to call when no
 * transaction is open. */
cr_status db_begin(cr_db *db, cr_err *err);
cr_status db_commit(cr_db *db, cr_err *err);
void db_rollback(cr_db *db);
/* Ends the open transaction: commits if st is CR_OK, else rolls back.
 * Returns st, or the commit's failure. */
cr_status db_end(cr_db *db, cr_status st, cr_err *err);

/* PRAGMA synchronous: full (1) waits for the disk at every commit, normal
 * (0) only at checkpoints (in WAL mode a process crash loses nothing, a
 * power failure the last commits). Opened connections are full; outside a
 * transaction only. */
cr_status db_set_synchronous(cr_db *db, int full, cr_err *err);
/* A connection's page cache, in megabytes, unless db_set_cache_mb changed it. */
#define DB_CACHE_MB 16
/* Sets the connection's page cache to about mb megabytes. */
cr_status db_set_cache_mb(cr_db *db, int mb, cr_err *err);

/* meta[key]: *found is 0 when absent. value is copied into buf (size). */
cr_status db_meta_get(cr_db *db, const char *key, char *buf, size_t size, int *found, cr_err *err);
/* Sets meta[key] = value (inserted or replaced). */
cr_status db_meta_set(cr_db *db, const char *key, const char *value, cr_err *err);

/* Runs PRAGMA integrity_check; CR_OK when it answers "ok". */
cr_status db_integrity_check(cr_db *db, cr_err *err);

/* Current time as "YYYY-MM-DDTHH:MM:SS+08:00" (Asia/Shanghai). */
void db_now(char out[26]);

/* Unix milliseconds ms in the same form (seconds truncated). */
void db_format_ms(int64_t ms, char out[26]);

/* The file this connection opened. */
const char *db_path(const cr_db *db);

/* Internal to the storage module: the raw connection (sqlite3 *). */
void *db_handle(cr_db *db);

#endif
