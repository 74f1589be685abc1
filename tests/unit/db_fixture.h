/*
 * db_fixture.h -- what the database unit tests share: a fresh, migrated
 * database in its own temporary directory, and records put in through the
 * real records API as `ingest` writes them. Header-only: each test is one
 * executable. Include after cmocka.h.
 */
#ifndef COURTRULES_TEST_DB_FIXTURE_H
#define COURTRULES_TEST_DB_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "db_records.h"
#include "record.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    cr_db *db;
} fixture;

/* A migrated database in a new directory /tmp/courtrules-test-NAME-XXXXXX. */
static inline fixture *fixture_open(const char *name)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/courtrules-test-%s-XXXXXX", name);
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/t.db", fx->dir);
    cr_err err;
    if (db_open(fx->path, DB_OPEN_CREATE, &fx->db, &err) != CR_OK ||
        db_migrate(fx->db, NULL, NULL, &err) != CR_OK)
        fail_msg("%s", err.msg);
    return fx;
}

/* Closes the database and removes its files and directory. */
static inline void fixture_close(fixture *fx)
{
    db_close(fx->db);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
        unlink(p);
    }
    rmdir(fx->dir);
    free(fx);
}

static inline int fixture_refs_known(void *ud, record_type type, const char *key,
                                     const char **court_out, cr_err *err)
{
    static char court[32];
    int known = db_record_known(ud, type, key, court, sizeof court, err);
    if (court_out)
        *court_out = court;
    return known;
}

/* Ingests lines (NULL-terminated) as one batch; returns the batch id. */
static inline int64_t ingest(cr_db *db, const char *const *lines)
{
    cr_err err;
    int64_t batch = 0;
    record_refs refs = {fixture_refs_known, db};
    if (db_begin(db, &err) != CR_OK || db_batch_open(db, "test", &batch, &err) != CR_OK)
        fail_msg("%s", err.msg);
    for (const char *const *l = lines; *l; l++) {
        record rec;
        if (record_parse(*l, strlen(*l), &refs, &rec, &err) != CR_OK)
            fail_msg("%s: %s", *l, err.msg);
        char *doc = record_doc_text(&rec);
        db_put_result put;
        if (db_put_record(db, batch, &rec, doc, &put, &err) != CR_OK)
            fail_msg("%s", err.msg);
        free(doc);
        record_free(&rec);
    }
    if (db_batch_close(db, batch, "{}", &err) != CR_OK || db_commit(db, &err) != CR_OK)
        fail_msg("%s", err.msg);
    return batch;
}

/* cmocka setup: a fixture named name holding records (NULL-terminated, or
 * NULL for none) in *state; teardown with fixture_teardown. */
static inline int fixture_setup(void **state, const char *name, const char *const *records)
{
    fixture *fx = fixture_open(name);
    if (records)
        ingest(fx->db, records);
    *state = fx;
    return 0;
}

static inline int fixture_teardown(void **state)
{
    fixture_close(*state);
    return 0;
}

#endif
