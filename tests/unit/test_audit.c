/*
 * Unit tests for host/audit.c and host/db_audit.c: the hash-chained audit
 * trail. Each tamper test plays an attacker with write access to the file:
 * it opens it with plain sqlite3, drops the append-only triggers, edits, and
 * expects audit_verify() to name the first bad entry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "db_audit.h"
#include "db_fixture.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
#define N_ENTRIES 10

static int setup(void **state)
{
    return fixture_setup(state, "audit", NULL);
}

static int teardown(void **state)
{
    return fixture_teardown(state);
}

/* Appends one entry in its own transaction; returns its seq. */
static int64_t append_one(cr_db *db, int n)
{
    char subject[64], detail[128];
    snprintf(subject, sizeof subject, "(2024)粤0703民初%d号", n);
    snprintf(detail, sizeof detail, "{\"n\": %d, \"note\": \"第%d次\"}", n, n);
    cr_err err;
    int64_t seq = 0;
    if (db_begin(db, &err) != CR_OK ||
        audit_append(db, "test:unit", "case.update", subject, detail, &seq, &err) != CR_OK ||
        db_commit(db, &err) != CR_OK)
        fail_msg("append %d: %s", n, err.msg);
    return seq;
}

static void append_entries(cr_db *db, int count)
{
    for (int i = 1; i <= count; i++)
        assert_int_equal(append_one(db, i), i);
}

/* Plays the attacker: closes our connection, drops the triggers, runs sql
 * with plain sqlite3, and reopens. */
static void tamper(fixture *fx, const char *sql)
{
    db_close(fx->db);
    fx->db = NULL;
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(fx->path, &raw), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(raw,
                     "DROP TRIGGER IF EXISTS audit_no_update;"
                     "DROP TRIGGER IF EXISTS audit_no_delete;",
                     NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(raw, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("tamper: %s", msg ? msg : "?");
    sqlite3_close(raw);
    cr_err err;
    if (db_open(fx->path, DB_OPEN_EXISTING, &fx->db, &err) != CR_OK)
        fail_msg("%s", err.msg);
}

/* Verifies, expecting a break at first_bad with a message containing want. */
static void expect_broken(fixture *fx, int64_t first_bad, const char *want)
{
    audit_verify_result res;
    cr_err err = {""};
    cr_status st = audit_verify(fx->db, &res, &err);
    if (st != CR_FAIL || res.first_bad_seq != first_bad || !strstr(err.msg, want))
        fail_msg("verify: status %d, first bad %" PRId64 ", \"%s\"; wanted %" PRId64 ", \"%s\"", st,
                 res.first_bad_seq, err.msg, first_bad, want);
}

static void expect_intact(fixture *fx, int64_t entries)
{
    audit_verify_result res;
    cr_err err = {""};
    if (audit_verify(fx->db, &res, &err) != CR_OK)
        fail_msg("verify: %s", err.msg);
    assert_int_equal(res.entries, entries);
    assert_int_equal(res.first_bad_seq, 0);
}

/* The encoding documented in audit.c, written out independently so that a
 * change to the hashed bytes (which would break every existing trail) fails
 * here. */
static void reference_hash(const char *prev, int64_t seq, const char *at, const char *actor,
                           const char *action, const char *subject, const char *detail,
                           char out[65])
{
    char seq_text[32];
    snprintf(seq_text, sizeof seq_text, "%" PRId64, seq);
    const char *fields[] = {prev, seq_text, at, actor, action, subject, detail};
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_true(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL));
    EVP_DigestUpdate(ctx, "courtrules-audit-v1\n", 20);
    for (int i = 0; i < 7; i++) {
        char prefix[32];
        int n = snprintf(prefix, sizeof prefix, "%zu:", strlen(fields[i]));
        EVP_DigestUpdate(ctx, prefix, (size_t)n);
        EVP_DigestUpdate(ctx, fields[i], strlen(fields[i]));
        EVP_DigestUpdate(ctx, "\n", 1);
    }
    unsigned char md[32];
    unsigned int len;
    EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Reads entry seq through the storage iterator into caller buffers. */
static void read_entry(cr_db *db, int64_t seq, char at[32], char detail[256], char prev[65],
                       char hash[65])
{
    db_audit_filter one = {seq - 1, NULL, 1};
    db_audit_iter *it;
    db_audit_entry e;
    int has_row;
    cr_err err;
    assert_int_equal(db_audit_iter_open(db, &one, &it, &err), CR_OK);
    assert_int_equal(db_audit_iter_next(it, &e, &has_row, &err), CR_OK);
    assert_true(has_row);
    assert_int_equal(e.seq, seq);
    snprintf(at, 32, "%s", e.at.s);
    snprintf(detail, 256, "%s", e.detail.s);
    snprintf(prev, 65, "%s", e.prev_hash.s);
    snprintf(hash, 65, "%s", e.hash.s);
    db_audit_iter_close(it);
}

static void test_empty_trail_is_intact(void **state)
{
    fixture *fx = *state;
    audit_verify_result res;
    cr_err err;
    assert_int_equal(audit_verify(fx->db, &res, &err), CR_OK);
    assert_int_equal(res.entries, 0);
    assert_string_equal(res.head_hash, GENESIS);
}

static void test_append_and_verify_intact(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    expect_intact(fx, N_ENTRIES);

    /* The recorded head is the last entry. */
    int found;
    int64_t head_seq;
    char head_hash[65], at[32], detail[256], prev[65], hash[65];
    cr_err err;
    assert_int_equal(db_audit_head_get(fx->db, &found, &head_seq, head_hash, &err), CR_OK);
    assert_true(found);
    assert_int_equal(head_seq, N_ENTRIES);
    read_entry(fx->db, N_ENTRIES, at, detail, prev, hash);
    assert_string_equal(head_hash, hash);
    audit_verify_result res;
    assert_int_equal(audit_verify(fx->db, &res, &err), CR_OK);
    assert_string_equal(res.head_hash, hash);
}

static void test_several_appends_in_one_transaction(void **state)
{
    fixture *fx = *state;
    cr_err err;
    int64_t seq = 0;
    assert_int_equal(db_begin(fx->db, &err), CR_OK);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(
            audit_append(fx->db, "test:unit", "ingest.batch", "a.jsonl", NULL, &seq, &err), CR_OK);
        assert_int_equal(seq, i);
    }
    assert_int_equal(db_commit(fx->db, &err), CR_OK);
    expect_intact(fx, 3);
}

static void test_hash_encoding_is_pinned(void **state)
{
    fixture *fx = *state;
    append_one(fx->db, 1);
    cr_err err;
    assert_int_equal(db_begin(fx->db, &err), CR_OK);
    assert_int_equal(audit_append(fx->db, "cli:张三", "rules.activate", "rules/粤",
                                  "{ \"b\": 1, \"a\": [1, 2], \"c\": \"法发〔2020〕26号\" }", NULL,
                                  &err),
                     CR_OK);
    assert_int_equal(db_commit(fx->db, &err), CR_OK);

    char at[32], detail[256], prev[65], hash[65], prev1[65], hash1[65], want[65];
    read_entry(fx->db, 1, at, detail, prev1, hash1);
    assert_string_equal(prev1, GENESIS);
    read_entry(fx->db, 2, at, detail, prev, hash);
    /* Stored canonical: compact, keys sorted, UTF-8 kept. */
    assert_string_equal(detail, "{\"a\":[1,2],\"b\":1,\"c\":\"法发〔2020〕26号\"}");
    assert_string_equal(prev, hash1);
    reference_hash(prev, 2, at, "cli:张三", "rules.activate", "rules/粤", detail, want);
    assert_string_equal(hash, want);
    assert_int_equal(strlen(at), 25);
    assert_string_equal(at + 19, "+08:00");
}

static void test_detail_must_be_a_json_object(void **state)
{
    fixture *fx = *state;
    const char *bad[] = {"[1]",      "42",    "\"text\"",          "null", "not json",
                         "{\"a\":1", "{} {}", "{\"a\":1,\"a\":2}", ""};
    cr_err err;
    assert_int_equal(db_begin(fx->db, &err), CR_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_status st = audit_append(fx->db, "test:unit", "x.y", "s", bad[i], NULL, &err);
        if (st != CR_INVALID)
            fail_msg("detail '%s' was accepted (status %d)", bad[i], st);
        assert_non_null(strstr(err.msg, "audit detail"));
    }
    assert_int_equal(audit_append(fx->db, "", "x.y", "s", NULL, NULL, &err), CR_INVALID);
    assert_int_equal(audit_append(fx->db, "test:unit", NULL, "s", NULL, NULL, &err), CR_INVALID);
    /* NULL detail means {}. */
    int64_t seq;
    assert_int_equal(audit_append(fx->db, "test:unit", "x.y", NULL, NULL, &seq, &err), CR_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(db_commit(fx->db, &err), CR_OK);
    char at[32], detail[256], prev[65], hash[65];
    read_entry(fx->db, 1, at, detail, prev, hash);
    assert_string_equal(detail, "{}");
    expect_intact(fx, 1);
}

static void test_append_outside_transaction_is_refused(void **state)
{
    fixture *fx = *state;
    cr_err err;
    assert_int_equal(audit_append(fx->db, "test:unit", "x.y", "s", NULL, NULL, &err), CR_FAIL);
    assert_non_null(strstr(err.msg, "outside a transaction"));
    expect_intact(fx, 0);
}

static void test_rollback_leaves_no_entry(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, 2);
    cr_err err;
    assert_int_equal(db_begin(fx->db, &err), CR_OK);
    assert_int_equal(audit_append(fx->db, "test:unit", "x.y", "s", NULL, NULL, &err), CR_OK);
    db_rollback(fx->db);
    expect_intact(fx, 2);
    assert_int_equal(append_one(fx->db, 3), 3);
    expect_intact(fx, 3);
}

static void test_triggers_refuse_update_and_delete(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, 2);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(fx->path, &raw), SQLITE_OK);
    sqlite3_busy_timeout(raw, 2000);
    assert_int_not_equal(
        sqlite3_exec(raw, "UPDATE audit SET detail='{}' WHERE seq=1", NULL, NULL, NULL), SQLITE_OK);
    assert_non_null(strstr(sqlite3_errmsg(raw), "append-only"));
    assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM audit WHERE seq=2", NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(raw);
    expect_intact(fx, 2);
}

static void test_tamper_edited_detail(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    tamper(fx, "UPDATE audit SET detail='{\"n\":99}' WHERE seq=7");
    expect_broken(fx, 7, "entry 7: content does not match its hash (edited?)");
}

static void test_tamper_hidden_bytes_after_nul(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    /* Same C string, different stored value: must not pass as unchanged. */
    tamper(fx, "UPDATE audit SET detail = detail || char(0) || 'hidden' WHERE seq=7");
    expect_broken(fx, 7, "entry 7: content does not match its hash");
}

static void test_tamper_deleted_middle_entry(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    tamper(fx, "DELETE FROM audit WHERE seq=5");
    expect_broken(fx, 5, "entry 5 is missing (sequence jumps from 4 to 6)");
}

static void test_tamper_deleted_several_entries(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    tamper(fx, "DELETE FROM audit WHERE seq BETWEEN 4 AND 6");
    expect_broken(fx, 4, "entries 4 to 6 are missing (sequence jumps from 3 to 7)");
}

static void test_tamper_deleted_first_entry(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    tamper(fx, "DELETE FROM audit WHERE seq=1");
    expect_broken(fx, 1, "entry 1 is missing (the chain starts at entry 2)");
}

static void test_tamper_deleted_last_entry(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    tamper(fx, "DELETE FROM audit WHERE seq=10");
    expect_broken(fx, 10, "chain ends at entry 9 but the recorded head is entry 10");
}

static void test_tamper_deleted_all_entries(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, 3);
    tamper(fx, "DELETE FROM audit");
    expect_broken(fx, 1, "chain is empty but the recorded head is entry 3");
}

static void test_tamper_renumbered_after_delete(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    /* Close the gap the delete left: the link still gives it away. */
    tamper(fx, "DELETE FROM audit WHERE seq=5;"
               "UPDATE audit SET seq = -seq WHERE seq > 5;"
               "UPDATE audit SET seq = -seq - 1 WHERE seq < 0;"
               "UPDATE meta SET value='9' WHERE key='audit_head_seq';");
    expect_broken(fx, 5, "entry 5: does not link to entry 4");
}

static void test_tamper_reordered_by_seq(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    tamper(fx, "UPDATE audit SET seq=-3 WHERE seq=3;"
               "UPDATE audit SET seq=3 WHERE seq=4;"
               "UPDATE audit SET seq=4 WHERE seq=-3;");
    expect_broken(fx, 3, "entry 3: does not link to entry 2");
}

static void test_tamper_swapped_contents(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    /* Keep the seq, swap everything else (including the hashes). */
    tamper(fx, "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (3, 4);"
               "UPDATE audit SET (at, actor, action, subject, detail, prev_hash, hash) ="
               " (SELECT at, actor, action, subject, detail, prev_hash, hash FROM t"
               "  WHERE t.seq = 7 - audit.seq) WHERE seq IN (3, 4);");
    expect_broken(fx, 3, "entry 3: does not link to entry 2");
}

static void test_tamper_rehashed_entry(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    /* A careful attacker edits entry 4 and recomputes its hash. */
    char at[32], detail[256], prev[65], hash[65], forged[65], sql[512];
    read_entry(fx->db, 4, at, detail, prev, hash);
    reference_hash(prev, 4, at, "test:unit", "case.update", "(2024)粤0703民初4号", "{\"n\":0}",
                   forged);
    snprintf(sql, sizeof sql, "UPDATE audit SET detail='{\"n\":0}', hash='%s' WHERE seq=4", forged);
    tamper(fx, sql);
    expect_broken(fx, 5, "entry 5: does not link to entry 4");
}

static void test_tamper_head_seq_edited(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    tamper(fx, "UPDATE meta SET value='12' WHERE key='audit_head_seq'");
    expect_broken(fx, 11, "chain ends at entry 10 but the recorded head is entry 12");
}

static void test_tamper_head_seq_lowered(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    tamper(fx, "UPDATE meta SET value='9' WHERE key='audit_head_seq'");
    expect_broken(fx, 10, "chain ends at entry 10 but the recorded head is entry 9");
    /* And appending refuses to chain on from a head that hides rows. */
    cr_err err;
    assert_int_equal(db_begin(fx->db, &err), CR_OK);
    assert_int_equal(audit_append(fx->db, "test:unit", "x.y", "s", NULL, NULL, &err), CR_FAIL);
    assert_non_null(strstr(err.msg, "beyond its recorded head"));
    db_rollback(fx->db);
}

static void test_tamper_head_hash_edited(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    tamper(fx, "UPDATE meta SET value='" GENESIS "' WHERE key='audit_head_hash'");
    expect_broken(fx, 10, "chain ends at entry 10 but the recorded head hash differs");
}

static void test_tamper_head_deleted(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    tamper(fx, "DELETE FROM meta WHERE key LIKE 'audit_head_%'");
    expect_broken(fx, 1, "chain ends at entry 10 but no head is recorded");
    tamper(fx, "INSERT INTO meta VALUES('audit_head_seq', '10')");
    expect_broken(fx, 10, "audit head is incomplete");
}

static void test_append_after_deleted_last_entry_keeps_the_gap(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    tamper(fx, "DELETE FROM audit WHERE seq=10");
    /* The next entry chains from the recorded head, so the hole stays. */
    assert_int_equal(append_one(fx->db, 11), 11);
    expect_broken(fx, 10, "entry 10 is missing (sequence jumps from 9 to 11)");
}

static void test_truncation_with_rewritten_head_needs_an_anchor(void **state)
{
    fixture *fx = *state;
    append_entries(fx->db, N_ENTRIES);
    char at[32], detail[256], prev[65], hash9[65], sql[256];
    read_entry(fx->db, 9, at, detail, prev, hash9);
    /* Deleting the tail and rewriting the head consistently leaves nothing to
     * find inside the file: this is why `audit head` is anchored outside. */
    snprintf(sql, sizeof sql,
             "DELETE FROM audit WHERE seq=10;"
             "UPDATE meta SET value='9' WHERE key='audit_head_seq';"
             "UPDATE meta SET value='%s' WHERE key='audit_head_hash';",
             hash9);
    tamper(fx, sql);
    expect_intact(fx, 9);
}

static void test_log_filters(void **state)
{
    fixture *fx = *state;
    cr_err err;
    assert_int_equal(db_begin(fx->db, &err), CR_OK);
    const char *actions[] = {"db.migrate", "ingest.batch", "ingest.case", "alert.ack",
                             "ingest.batch"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(audit_append(fx->db, "test:unit", actions[i], "s", NULL, NULL, &err),
                         CR_OK);
    assert_int_equal(db_commit(fx->db, &err), CR_OK);

    db_audit_filter f = {1, "ingest.", 2};
    db_audit_iter *it;
    db_audit_entry e;
    int has_row;
    int64_t seen[8];
    int n = 0;
    assert_int_equal(db_audit_iter_open(fx->db, &f, &it, &err), CR_OK);
    while (db_audit_iter_next(it, &e, &has_row, &err) == CR_OK && has_row)
        seen[n++] = e.seq;
    db_audit_iter_close(it);
    assert_int_equal(n, 2);
    assert_int_equal(seen[0], 2);
    assert_int_equal(seen[1], 3);

    f = (db_audit_filter){3, "ingest.", 0};
    n = 0;
    assert_int_equal(db_audit_iter_open(fx->db, &f, &it, &err), CR_OK);
    while (db_audit_iter_next(it, &e, &has_row, &err) == CR_OK && has_row)
        seen[n++] = e.seq;
    db_audit_iter_close(it);
    assert_int_equal(n, 1);
    assert_int_equal(seen[0], 5);
}

static void test_cli_actor(void **state)
{
    (void)state;
    const char *actor = audit_cli_actor();
    assert_non_null(actor);
    assert_memory_equal(actor, "cli:", 4);
    assert_true(strlen(actor) > 4);
}

static void test_finalize_without_statements(void **state)
{
    (void)state;
    /* Opening and closing without any audit call must not touch db->audit. */
    char dir[] = "/tmp/courtrules-test-audit-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
    cr_db *db;
    cr_err err;
    assert_int_equal(db_open(path, DB_OPEN_CREATE, &db, &err), CR_OK);
    db_close(db);
    char p[160];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
    rmdir(dir);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_empty_trail_is_intact),
        T(test_append_and_verify_intact),
        T(test_several_appends_in_one_transaction),
        T(test_hash_encoding_is_pinned),
        T(test_detail_must_be_a_json_object),
        T(test_append_outside_transaction_is_refused),
        T(test_rollback_leaves_no_entry),
        T(test_triggers_refuse_update_and_delete),
        T(test_tamper_edited_detail),
        T(test_tamper_hidden_bytes_after_nul),
        T(test_tamper_deleted_middle_entry),
        T(test_tamper_deleted_several_entries),
        T(test_tamper_deleted_first_entry),
        T(test_tamper_deleted_last_entry),
        T(test_tamper_deleted_all_entries),
        T(test_tamper_renumbered_after_delete),
        T(test_tamper_reordered_by_seq),
        T(test_tamper_swapped_contents),
        T(test_tamper_rehashed_entry),
        T(test_tamper_head_seq_edited),
        T(test_tamper_head_seq_lowered),
        T(test_tamper_head_hash_edited),
        T(test_tamper_head_deleted),
        T(test_append_after_deleted_last_entry_keeps_the_gap),
        T(test_truncation_with_rewritten_head_needs_an_anchor),
        T(test_log_filters),
        T(test_cli_actor),
        cmocka_unit_test(test_finalize_without_statements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
