/*
 * ingest.c -- streaming JSON Lines ingestion.
 */
#include "ingest.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "db_records.h"

/* ---- a line reader with a length cap ---- */

typedef struct line_reader {
    FILE *in;
    char buf[1 << 16];
    size_t pos, len;
    char *line;       /* current line, NUL-terminated, without the newline */
    size_t line_len;
    size_t line_cap;
    size_t max;
    int too_long;     /* the current line exceeded max (its start is kept) */
    int error;        /* a read error happened */
} line_reader;

/* Reads the next line. Returns 1 if a line was read, 0 at end of input. */
static int next_line(line_reader *r)
{
    r->line_len = 0;
    r->too_long = 0;
    int any = 0;
    for (;;) {
        if (r->pos == r->len) {
            r->len = fread(r->buf, 1, sizeof r->buf, r->in);
            r->pos = 0;
            if (r->len == 0) {
                r->error = ferror(r->in);
                break;
            }
        }
        any = 1;
        char *start = r->buf + r->pos;
        char *nl = memchr(start, '\n', r->len - r->pos);
        size_t n = nl ? (size_t)(nl - start) : r->len - r->pos;
        if (!r->too_long) {
            if (r->line_len + n > r->max) {
                r->too_long = 1;
            } else {
                if (r->line_len + n + 1 > r->line_cap) {
                    size_t cap = r->line_cap ? r->line_cap : 4096;
                    while (cap < r->line_len + n + 1)
                        cap *= 2;
                    char *p = realloc(r->line, cap);
                    if (!p) {
                        r->error = 1;
                        return 0;
                    }
                    r->line = p;
                    r->line_cap = cap;
                }
                memcpy(r->line + r->line_len, start, n);
                r->line_len += n;
            }
        }
        r->pos += n + (nl != NULL);
        if (nl)
            break;
    }
    if (r->line)
        r->line[r->line_len] = 0;
    if (r->line_len && r->line[r->line_len - 1] == '\r')
        r->line[--r->line_len] = 0; /* CRLF files */
    return any;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

/* ---- reference lookups, with a small cache of keys known to exist ---- */

#define CACHE_SLOTS 1024
typedef struct ref_slot {
    char key[96];
    char court[32];
} ref_slot;

typedef struct ref_ctx {
    cr_db *db;
    ref_slot *cache[REC_TYPE_COUNT];
    char court[32];
} ref_ctx;

static unsigned hash_key(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % CACHE_SLOTS;
}

static int ref_known(void *ud, record_type type, const char *key, const char **court_out,
                     cr_err *err)
{
    ref_ctx *ctx = ud;
    ref_slot *slot = NULL;
    if (ctx->cache[type] && strlen(key) < sizeof slot->key) {
        slot = &ctx->cache[type][hash_key(key)];
        if (strcmp(slot->key, key) == 0) {
            if (court_out)
                *court_out = slot->court;
            return 1;
        }
    }
    int known = db_record_known(ctx->db, type, key, ctx->court, sizeof ctx->court, err);
    if (known == 1 && slot) {
        snprintf(slot->key, sizeof slot->key, "%s", key);
        snprintf(slot->court, sizeof slot->court, "%s", ctx->court);
    }
    if (court_out)
        *court_out = ctx->court;
    return known;
}

/* ---- rejects and progress ---- */

static void write_reject(FILE *out, const char *source, int64_t lineno, const char *text,
                         size_t len, const char *reason)
{
    if (!out)
        return;
    json_t *j = json_object();
    json_object_set_new(j, "source", json_string(source));
    json_object_set_new(j, "line", json_integer(lineno));
    json_object_set_new(j, "error", json_string(reason));
    json_t *t = len <= INGEST_MAX_LINE_BYTES ? json_stringn(text, len) : NULL;
    json_object_set_new(j, t ? "text" : "text_omitted",
                        t ? t : json_string("line too long or not valid UTF-8"));
    char *s = json_dumps(j, JSON_COMPACT);
    if (s)
        fprintf(out, "%s\n", s);
    free(s);
    json_decref(j);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void show_progress(const ingest_summary *sum, double started, const char *source)
{
    double dt = now_seconds() - started;
    fprintf(stderr, "\r\033[Kingest %s: %lld lines, %lld records (%.0f/s)", source,
            (long long)sum->lines, (long long)sum->records, dt > 0 ? sum->records / dt : 0.0);
    fflush(stderr);
}

/* ---- summary ---- */

json_t *ingest_summary_json(const ingest_summary *sum)
{
    static const char *const outcome[] = {"new", "updated", "unchanged"};
    json_t *j = json_object();
    json_object_set_new(j, "batch", json_integer(sum->batch_id));
    json_object_set_new(j, "lines", json_integer(sum->lines));
    json_object_set_new(j, "records", json_integer(sum->records));
    json_object_set_new(j, "rejected", json_integer(sum->rejected));
    for (int t = 0; t < REC_TYPE_COUNT; t++) {
        json_t *c = json_object();
        for (int o = 0; o < INGEST_OUTCOMES; o++)
            json_object_set_new(c, outcome[o], json_integer(sum->counts[t][o]));
        json_object_set_new(j, record_type_name((record_type)t), c);
    }
    json_object_set_new(j, "sha256", json_string(sum->sha256));
    return j;
}

/* ---- the batch ---- */

static const char *key_field(record_type t)
{
    static const char *const names[] = {"code", "id", "case_no", "id"};
    return names[t];
}

cr_status ingest_stream(cr_db *db, FILE *in, const ingest_options *opt, ingest_summary *sum,
                        cr_err *err)
{
    memset(sum, 0, sizeof *sum);
    const char *source = opt->source && strcmp(opt->source, "-") ? opt->source : "<stdin>";
    double started = now_seconds(), last_progress = started;
    line_reader reader = {.in = in, .max = opt->max_line_bytes ? opt->max_line_bytes
                                                                 : INGEST_MAX_LINE_BYTES};
    ref_ctx refs_ctx = {.db = db};
    record_refs refs = {ref_known, &refs_ctx};
    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    cr_status st = CR_OK;
    cr_err rec_err;

    for (int t = 0; t < REC_TYPE_COUNT; t++)
        refs_ctx.cache[t] = calloc(CACHE_SLOTS, sizeof(ref_slot));
    if (!sha || !EVP_DigestInit_ex(sha, EVP_sha256(), NULL)) {
        st = cr_errf(err, CR_FAIL, "cannot initialise SHA-256");
        goto cleanup;
    }
    if ((st = db_begin(db, err)) != CR_OK)
        goto cleanup;
    if ((st = db_batch_open(db, source, &sum->batch_id, err)) != CR_OK)
        goto rollback;

    while (next_line(&reader)) {
        sum->lines++;
        if (opt->progress && (sum->lines & 4095) == 0 && now_seconds() - last_progress > 0.25) {
            show_progress(sum, started, source);
            last_progress = now_seconds();
        }
        if (reader.too_long) {
            st = cr_errf(&rec_err, CR_INVALID, "line is longer than %zu bytes", reader.max);
        } else if (is_blank(reader.line, reader.line_len)) {
            continue;
        } else {
            record rec;
            st = record_parse(reader.line, reader.line_len, &refs, &rec, &rec_err);
            if (st == CR_OK) {
                char *doc = record_doc_text(&rec);
                db_put_result put = DB_PUT_NEW;
                st = doc ? db_put_record(db, sum->batch_id, &rec, doc, &put, &rec_err)
                         : cr_errf(&rec_err, CR_FAIL, "out of memory");
                if (st == CR_OK && put == DB_PUT_DUPLICATE) {
                    st = cr_errf(&rec_err, CR_INVALID,
                                 "%s: '%s' is given twice in this batch (a %s key must be "
                                 "unique within one file)",
                                 key_field(rec.type), rec.key, record_type_name(rec.type));
                } else if (st == CR_OK) {
                    sum->records++;
                    sum->counts[rec.type][put == DB_PUT_NEW       ? INGEST_NEW
                                          : put == DB_PUT_UPDATED ? INGEST_UPDATED
                                                                  : INGEST_UNCHANGED]++;
                    EVP_DigestUpdate(sha, reader.line, reader.line_len);
                    EVP_DigestUpdate(sha, "\n", 1);
                }
                free(doc);
                record_free(&rec);
            }
        }
        if (st == CR_FAIL) {
            *err = rec_err;
            cr_err_prefix(err, "%s:%lld", source, (long long)sum->lines);
            goto rollback;
        }
        if (st == CR_INVALID) {
            if (!opt->skip_invalid) {
                *err = rec_err;
                cr_err_prefix(err, "%s:%lld", source, (long long)sum->lines);
                goto rollback;
            }
            sum->rejected++;
            write_reject(opt->rejects, source, sum->lines, reader.line,
                         reader.too_long ? SIZE_MAX : reader.line_len, rec_err.msg);
            st = CR_OK;
        }
    }
    if (opt->progress)
        fprintf(stderr, "\r\033[K");
    if (reader.error) {
        st = cr_errf(err, CR_FAIL, "%s: read error after line %lld", source,
                     (long long)sum->lines);
        goto rollback;
    }
    if (sum->records == 0 && sum->rejected == 0) {
        st = cr_errf(err, CR_INVALID, "%s: no records (%s)", source,
                     sum->lines ? "only blank lines" : "empty input");
        goto rollback;
    }

    unsigned char md[32];
    unsigned int md_len = 0;
    EVP_DigestFinal_ex(sha, md, &md_len);
    for (unsigned i = 0; i < md_len; i++)
        snprintf(sum->sha256 + 2 * i, 3, "%02x", md[i]);

    json_t *summary = ingest_summary_json(sum);
    char *text = json_dumps(summary, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(summary);
    if (!text) {
        st = cr_errf(err, CR_FAIL, "out of memory");
        goto rollback;
    }
    st = db_batch_close(db, sum->batch_id, text, err);
    if (st == CR_OK)
        st = audit_append(db, opt->actor ? opt->actor : audit_cli_actor(), "ingest.batch", source,
                          text, &sum->audit_seq, err);
    free(text);
    if (st != CR_OK)
        goto rollback;
    if ((st = db_commit(db, err)) != CR_OK)
        goto cleanup;
    sum->seconds = now_seconds() - started;
    goto cleanup;

rollback:
    if (opt->progress)
        fprintf(stderr, "\r\033[K");
    db_rollback(db);
    memset(sum->counts, 0, sizeof sum->counts);
    sum->records = 0;
cleanup:
    EVP_MD_CTX_free(sha);
    free(reader.line);
    for (int t = 0; t < REC_TYPE_COUNT; t++)
        free(refs_ctx.cache[t]);
    return st;
}
