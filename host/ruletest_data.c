/*
 * ruletest_data.c -- the data of rule tests, as ingest would see it: a
 * case under test validated and normalized (with no reference checks), and
 * a test file's `data` (and a case's own) stored in a temporary database,
 * as `courtrules ingest` would store it, for ctx.query and court-level
 * tests to read.
 *
 * Records go through record_parse with reference checks and db_put_record,
 * one batch per list inside one transaction, exactly the path ingest takes
 * per line; a bad record is named by its place in the list and its field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_query.h"
#include "db_records.h"
#include "record.h"
#include "ruletest_internal.h"

/* Lua reads {} as []: the members of a record that are objects (flags,
 * extra, data) are made {} again. */
static void fix_objects(json_t *obj)
{
    static const char *const object_members[] = {"flags", "extra", "data", NULL};
    for (const char *const *k = object_members; *k; k++) {
        json_t *v = json_object_get(obj, *k);
        if (json_is_array(v) && json_array_size(v) == 0)
            json_object_set_new(obj, *k, json_object());
    }
}

/* ---- building a case as ingest would ---- */

/* Validates a fixture record as ingest does (no reference checks) and
 * returns its normalized document, or NULL with the reason in why. */
static json_t *normalize(json_t *obj, const char *type, ruletest_text *why)
{
    fix_objects(obj);
    json_object_set_new(obj, "type", json_string(type));
    char *textual = json_dumps(obj, JSON_COMPACT);
    if (!textual) {
        ruletest_text_addf(why, "out of memory");
        return NULL;
    }
    record rec;
    cr_err err;
    cr_status st = record_parse(textual, strlen(textual), NULL, &rec, &err);
    free(textual);
    if (st != CR_OK) {
        ruletest_text_addf(why, "%s", err.msg);
        return NULL;
    }
    json_t *doc = json_incref(rec.doc);
    record_free(&rec);
    return doc;
}

/* Events in stored order: by time, then id (db_eval reads them so). */
static int cmp_events(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(json_string_value(json_object_get(x, "at")),
                   json_string_value(json_object_get(y, "at")));
    return c ? c
             : strcmp(json_string_value(json_object_get(x, "id")),
                      json_string_value(json_object_get(y, "id")));
}

json_t *ruletest_build_case(const json_t *spec, ruletest_text *why)
{
    json_t *c = json_is_object(spec) ? json_deep_copy(spec) : json_object();
    json_t *events = json_incref(json_object_get(c, "events"));
    json_object_del(c, "events");
    json_t *doc = normalize(c, "case", why);
    json_decref(c);
    if (!doc) {
        json_decref(events);
        return NULL;
    }
    if (events && !json_is_array(events)) {
        ruletest_text_addf(why, "events: must be a list of events");
        goto fail;
    }
    size_t n = json_array_size(events);
    int width = n >= 100 ? 3 : n >= 10 ? 2 : 1; /* ids sort as the list does */
    json_t **docs = calloc(n + 1, sizeof *docs);
    if (!docs) {
        ruletest_text_addf(why, "out of memory");
        goto fail;
    }
    size_t i;
    for (i = 0; i < n; i++) {
        json_t *e = json_array_get(events, i);
        if (!ruletest_is_table(e)) {
            ruletest_text_addf(why, "events[%zu]: must be a table", i + 1);
            break;
        }
        json_t *copy = json_is_object(e) ? json_deep_copy(e) : json_object();
        if (!json_object_get(copy, "id")) {
            char id[32];
            snprintf(id, sizeof id, "T%0*zu", width, i + 1);
            json_object_set_new(copy, "id", json_string(id));
        }
        if (!json_object_get(copy, "case_no"))
            json_object_set(copy, "case_no", json_object_get(doc, "case_no"));
        ruletest_text reason = {0};
        docs[i] = normalize(copy, "event", &reason);
        json_decref(copy);
        if (!docs[i]) {
            ruletest_text_addf(why, "events[%zu]: %s", i + 1, reason.s ? reason.s : "invalid");
            free(reason.s);
            break;
        }
    }
    json_t *sorted = i == n ? json_array() : NULL;
    if (sorted) {
        qsort(docs, n, sizeof *docs, cmp_events);
        for (i = 0; i < n; i++)
            json_array_append(sorted, docs[i]);
        json_object_set_new(doc, "events", sorted);
    }
    for (i = 0; i < n; i++)
        json_decref(docs[i]);
    free(docs);
    json_decref(events);
    if (!sorted)
        json_decref(doc);
    return sorted ? doc : NULL;
fail:
    json_decref(events);
    json_decref(doc);
    return NULL;
}

/* ---- the temporary directory ---- */

static cr_status make_dir(ruletest_dbs *dbs, cr_err *err)
{
    if (dbs->dir[0])
        return CR_OK;
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    snprintf(dbs->dir, sizeof dbs->dir, "%s/courtrules-test.XXXXXX", tmp);
    if (!mkdtemp(dbs->dir)) {
        int e = errno;
        cr_status st = cr_errf(err, CR_FAIL, "%s: cannot make a directory for the tests' data: %s",
                               dbs->dir, strerror(e));
        dbs->dir[0] = '\0';
        return st;
    }
    return CR_OK;
}

void ruletest_data_free(ruletest_dbs *dbs)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", NULL};
    for (size_t i = 0; i < dbs->n; i++) {
        for (const char *const *s = suffixes; *s; s++) {
            char path[PATH_MAX + 16];
            snprintf(path, sizeof path, "%s%s", dbs->paths[i], *s);
            unlink(path);
        }
        free(dbs->paths[i]);
    }
    free(dbs->paths);
    if (dbs->dir[0])
        rmdir(dbs->dir);
    memset(dbs, 0, sizeof *dbs);
}

/* ---- storing the records ---- */

/* Reference checks against what is stored so far, as ingest's. */
typedef struct refs_ctx {
    cr_db *db;
    char court[32];
} refs_ctx;

static int ref_known(void *ud, record_type type, const char *key, const char **court_out,
                     cr_err *err)
{
    refs_ctx *r = ud;
    int known = db_record_known(r->db, type, key, r->court, sizeof r->court, err);
    if (court_out)
        *court_out = r->court;
    return known;
}

/* "data[3] (person 'A-P')": where a record sits, and what it says it is. */
static void describe(char *out, size_t cap, const char *where, size_t i, const json_t *rec)
{
    static const char *const types[] = {"court", "person", "case", "event"};
    static const char *const keys[] = {"code", "id", "case_no", "id"};
    int n = snprintf(out, cap, "%s[%zu]", where, i + 1);
    const char *type = json_string_value(json_object_get(rec, "type"));
    for (size_t t = 0; type && n > 0 && (size_t)n < cap && t < 4; t++) {
        if (strcmp(type, types[t]) != 0)
            continue;
        const char *key = json_string_value(json_object_get(rec, keys[t]));
        if (key)
            snprintf(out + n, cap - (size_t)n, " (%s '%s')", type, key);
        else
            snprintf(out + n, cap - (size_t)n, " (%s)", type);
    }
}

/* Stores one record; e says why not ("field: reason"). */
static cr_status put_one(cr_db *db, int64_t batch, const record_refs *refs, const json_t *spec,
                         cr_err *e)
{
    if (!ruletest_is_table(spec))
        return cr_errf(e, CR_INVALID, "must be a record table { type = \"court\", ... }");
    json_t *copy = json_is_object(spec) ? json_deep_copy(spec) : json_object();
    if (!copy)
        return cr_errf(e, CR_FAIL, "out of memory");
    fix_objects(copy);
    char *text = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    if (!text)
        return cr_errf(e, CR_FAIL, "out of memory");
    record rec;
    cr_status st = record_parse(text, strlen(text), refs, &rec, e);
    free(text);
    if (st != CR_OK)
        return st;
    char *doc = record_doc_text(&rec);
    db_put_result put = DB_PUT_NEW;
    st = doc ? db_put_record(db, batch, &rec, doc, &put, e) : cr_errf(e, CR_FAIL, "out of memory");
    if (st == CR_OK && put == DB_PUT_DUPLICATE) {
        static const char *const keys[] = {"code", "id", "case_no", "id"};
        st = cr_errf(e, CR_INVALID,
                     "%s: '%s' is given twice in this list (a %s key must be unique within one "
                     "data list, as within one ingest file)",
                     keys[rec.type], rec.key, record_type_name(rec.type));
    }
    free(doc);
    record_free(&rec);
    return st;
}

/* One list as one batch, as ingest stores one file. */
static cr_status put_list(cr_db *db, const json_t *list, const char *file, const char *where,
                          cr_err *err)
{
    refs_ctx rc = {.db = db};
    record_refs refs = {ref_known, &rc};
    int64_t batch = 0;
    cr_status st = db_batch_open(db, where, &batch, err);
    for (size_t i = 0; st == CR_OK && i < json_array_size(list); i++) {
        const json_t *spec = json_array_get(list, i);
        cr_err e;
        if ((st = put_one(db, batch, &refs, spec, &e)) != CR_OK) {
            char at[256];
            describe(at, sizeof at, where, i, spec);
            st = cr_errf(err, st, "%s: %s: %s", file, at, e.msg);
        }
    }
    if (st == CR_OK)
        st = db_batch_close(db, batch, "{\"source\":\"courtrules test\"}", err);
    return st;
}

cr_status ruletest_data_build(ruletest_dbs *dbs, const char *file, const json_t *base,
                              const char *base_where, const json_t *extra, const char *extra_where,
                              const char **path, cr_err *err)
{
    *path = NULL;
    cr_status st = make_dir(dbs, err);
    if (st != CR_OK)
        return st;
    char **more = realloc(dbs->paths, (dbs->n + 1) * sizeof *more);
    if (!more)
        return cr_errf(err, CR_FAIL, "out of memory");
    dbs->paths = more;
    size_t len = strlen(dbs->dir) + 32;
    char *p = malloc(len);
    if (!p)
        return cr_errf(err, CR_FAIL, "out of memory");
    snprintf(p, len, "%s/data-%zu.db", dbs->dir, dbs->n + 1);
    dbs->paths[dbs->n++] = p; /* removed with the others whatever happens next */

    cr_db *db = NULL;
    if ((st = db_open(p, DB_OPEN_CREATE, &db, err)) != CR_OK ||
        (st = db_migrate(db, NULL, NULL, err)) != CR_OK) {
        cr_err_prefix(err, "%s: the test data's database", file);
        db_close(db);
        return CR_FAIL;
    }
    if ((st = db_begin(db, err)) == CR_OK) {
        if (base)
            st = put_list(db, base, file, base_where, err);
        if (st == CR_OK && extra)
            st = put_list(db, extra, file, extra_where, err);
        if (st == CR_OK)
            st = db_commit(db, err);
        else
            db_rollback(db);
    }
    db_close(db);
    if (st == CR_OK)
        *path = p;
    return st;
}

cr_status ruletest_data_court(cr_db *db, const char *code, json_t **court, cr_err *err)
{
    json_t *rows = NULL;
    *court = NULL;
    cr_status st = db_query_courts(db, code, 1, &rows, err);
    if (st == CR_OK && json_array_size(rows) > 0)
        *court = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return st;
}
