/*
 * ingest.c -- streaming JSON Lines ingestion.
 */
#include "ingest.h"

#include <openssl/evp.h>
#include <pthread.h>
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

/* ---- reference lookups, with a cache of keys known to exist ----
 *
 * Direct-mapped, one table per record type, filled by lookups that found a
 * key and by every record stored (an event's case was stored just before
 * it). 8192 slots keep the people of a large province apart: with 1024, a
 * file of 1,364 people looked judges up in the database again and again.
 */

#define CACHE_SLOTS 8192
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

/* Remembers rec, just stored, as known (a case with its court). Copied
 * with memcpy: snprintf here cost about as much as the lookups it saves. */
static void ref_remember(ref_ctx *ctx, const record *rec)
{
    ref_slot *slot = NULL;
    const char *court = rec->type == REC_CASE && rec->u.kase.court ? rec->u.kase.court : "";
    size_t key_len = strlen(rec->key), court_len = strlen(court);
    if (!ctx->cache[rec->type] || key_len >= sizeof slot->key || court_len >= sizeof slot->court)
        return;
    slot = &ctx->cache[rec->type][hash_key(rec->key)];
    memcpy(slot->key, rec->key, key_len + 1);
    memcpy(slot->court, court, court_len + 1);
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

/* ---- the parser thread ----
 *
 * Parsing, validating and serializing records is as costly as storing them,
 * so a second thread does it: it reads lines into chunks of parsed records
 * and hands them, in order, through a small bounded queue to the thread that
 * owns the database. Memory stays flat: at most QUEUE_CHUNKS chunks of at
 * most CHUNK_ITEMS records or CHUNK_BYTES of input are in flight.
 */

#define CHUNK_ITEMS 256
#define CHUNK_BYTES (1 << 20)
#define QUEUE_CHUNKS 8

typedef struct item {
    int64_t lineno;
    char *line; /* the raw line (owned), for the digest and rejects */
    size_t len;
    int too_long;
    cr_status st;  /* of parsing */
    char *errmsg;  /* when st != CR_OK */
    record rec;    /* when st == CR_OK */
    char *doc;     /* normalized JSON text */
} item;

typedef struct chunk {
    item items[CHUNK_ITEMS];
    size_t n;
    int64_t lines;  /* lines read so far, blank ones included */
    int eof, read_error;
} chunk;

typedef struct pipeline {
    line_reader *reader;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    chunk *queue[QUEUE_CHUNKS];
    size_t head, count;
    int stop; /* set by the writer when it gives up */
} pipeline;

static void chunk_free(chunk *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].line);
        free(c->items[i].errmsg);
        free(c->items[i].doc);
        if (c->items[i].st == CR_OK)
            record_free(&c->items[i].rec);
    }
    free(c);
}

static void parse_item(item *it, const char *line, size_t len)
{
    cr_err e;
    it->st = record_parse(line, len, NULL, &it->rec, &e);
    if (it->st == CR_OK && !(it->doc = record_doc_text(&it->rec))) {
        record_free(&it->rec);
        it->st = cr_errf(&e, CR_FAIL, "out of memory");
    }
    if (it->st != CR_OK)
        it->errmsg = strdup(e.msg);
}

static void *parser_main(void *arg)
{
    pipeline *p = arg;
    line_reader *r = p->reader;
    int64_t lines = 0;
    int done = 0;
    while (!done) {
        chunk *c = calloc(1, sizeof *c);
        size_t bytes = 0;
        while (c && c->n < CHUNK_ITEMS && bytes < CHUNK_BYTES) {
            if (!next_line(r)) {
                done = 1;
                break;
            }
            lines++;
            if (!r->too_long && is_blank(r->line, r->line_len))
                continue;
            item *it = &c->items[c->n++];
            it->lineno = lines;
            it->too_long = r->too_long;
            it->len = r->too_long ? 0 : r->line_len;
            it->line = malloc(it->len + 1);
            if (!it->line) {
                it->st = CR_FAIL;
                it->errmsg = strdup("out of memory");
                continue;
            }
            memcpy(it->line, r->line ? r->line : "", it->len);
            it->line[it->len] = 0;
            if (it->too_long) {
                char msg[96];
                snprintf(msg, sizeof msg, "line is longer than %zu bytes", r->max);
                it->st = CR_INVALID;
                it->errmsg = strdup(msg);
            } else {
                parse_item(it, it->line, it->len);
            }
            bytes += it->len;
        }
        pthread_mutex_lock(&p->lock);
        if (!c) {
            p->stop = 1; /* out of memory: the writer sees a missing eof */
            done = 1;
        }
        if (c) {
            c->lines = lines;
            c->eof = done || p->stop;
            c->read_error = r->error;
            done = c->eof;
            while (p->count == QUEUE_CHUNKS && !p->stop)
                pthread_cond_wait(&p->changed, &p->lock);
            p->queue[(p->head + p->count++) % QUEUE_CHUNKS] = c;
        }
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        if (p->stop && !c)
            break;
    }
    return NULL;
}

/* Takes the next chunk; NULL if the parser died without an eof chunk. */
static chunk *next_chunk(pipeline *p, int parser_alive)
{
    pthread_mutex_lock(&p->lock);
    while (p->count == 0 && !(p->stop && !parser_alive))
        pthread_cond_wait(&p->changed, &p->lock);
    chunk *c = NULL;
    if (p->count) {
        c = p->queue[p->head];
        p->head = (p->head + 1) % QUEUE_CHUNKS;
        p->count--;
    }
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    return c;
}

/* Stops the parser and frees whatever it queued. */
static void pipeline_drain(pipeline *p, pthread_t parser)
{
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    pthread_join(parser, NULL);
    while (p->count) {
        chunk_free(p->queue[p->head]);
        p->head = (p->head + 1) % QUEUE_CHUNKS;
        p->count--;
    }
}

/* ---- the batch ---- */

static const char *key_field(record_type t)
{
    static const char *const names[] = {"code", "id", "case_no", "id"};
    return names[t];
}

/* Stores one parsed item. CR_INVALID/CR_FAIL with item_err set on failure. */
static cr_status store_item(cr_db *db, ingest_summary *sum, const record_refs *refs, item *it,
                            EVP_MD_CTX *sha, cr_err *item_err)
{
    if (it->st != CR_OK)
        return cr_errf(item_err, it->st, "%s", it->errmsg ? it->errmsg : "out of memory");
    cr_status st = record_check_refs(&it->rec, refs, item_err);
    if (st != CR_OK)
        return st;
    db_put_result put = DB_PUT_NEW;
    if ((st = db_put_record(db, sum->batch_id, &it->rec, it->doc, &put, item_err)) != CR_OK)
        return st;
    if (put == DB_PUT_DUPLICATE)
        return cr_errf(item_err, CR_INVALID,
                       "%s: '%s' is given twice in this batch (a %s key must be unique within "
                       "one file)",
                       key_field(it->rec.type), it->rec.key, record_type_name(it->rec.type));
    ref_remember(refs->ud, &it->rec);
    sum->records++;
    sum->counts[it->rec.type][put == DB_PUT_NEW       ? INGEST_NEW
                              : put == DB_PUT_UPDATED ? INGEST_UPDATED
                                                      : INGEST_UNCHANGED]++;
    EVP_DigestUpdate(sha, it->line, it->len);
    EVP_DigestUpdate(sha, "\n", 1);
    return CR_OK;
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
    pipeline pipe = {.reader = &reader};
    pthread_t parser;
    int parser_started = 0, saw_eof = 0;
    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    cr_status st = CR_OK;
    cr_err item_err;

    for (int t = 0; t < REC_TYPE_COUNT; t++)
        refs_ctx.cache[t] = calloc(CACHE_SLOTS, sizeof(ref_slot));
    pthread_mutex_init(&pipe.lock, NULL);
    pthread_cond_init(&pipe.changed, NULL);
    if (!sha || !EVP_DigestInit_ex(sha, EVP_sha256(), NULL)) {
        st = cr_errf(err, CR_FAIL, "cannot initialise SHA-256");
        goto cleanup;
    }
    if ((st = db_begin(db, err)) != CR_OK)
        goto cleanup;
    if ((st = db_batch_open(db, source, &sum->batch_id, err)) != CR_OK)
        goto rollback;
    if (pthread_create(&parser, NULL, parser_main, &pipe) != 0) {
        st = cr_errf(err, CR_FAIL, "cannot start the parser thread");
        goto rollback;
    }
    parser_started = 1;

    while (!saw_eof) {
        chunk *c = next_chunk(&pipe, 1);
        if (!c) {
            st = cr_errf(err, CR_FAIL, "%s: out of memory while reading", source);
            goto rollback;
        }
        saw_eof = c->eof;
        sum->lines = c->lines;
        if (c->read_error) {
            chunk_free(c);
            st = cr_errf(err, CR_FAIL, "%s: read error after line %lld", source,
                         (long long)sum->lines);
            goto rollback;
        }
        for (size_t i = 0; i < c->n; i++) {
            item *it = &c->items[i];
            st = store_item(db, sum, &refs, it, sha, &item_err);
            if (st == CR_INVALID && opt->skip_invalid) {
                sum->rejected++;
                write_reject(opt->rejects, source, it->lineno, it->line,
                             it->too_long ? SIZE_MAX : it->len, item_err.msg);
                st = CR_OK;
            }
            if (st != CR_OK) {
                *err = item_err;
                cr_err_prefix(err, "%s:%lld", source, (long long)it->lineno);
                chunk_free(c);
                goto rollback;
            }
        }
        chunk_free(c);
        if (opt->progress && now_seconds() - last_progress > 0.25) {
            show_progress(sum, started, source);
            last_progress = now_seconds();
        }
    }
    pthread_join(parser, NULL);
    parser_started = 0;
    if (opt->progress)
        fprintf(stderr, "\r\033[K");
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
    if (parser_started)
        pipeline_drain(&pipe, parser);
    pthread_mutex_destroy(&pipe.lock);
    pthread_cond_destroy(&pipe.changed);
    EVP_MD_CTX_free(sha);
    free(reader.line);
    for (int t = 0; t < REC_TYPE_COUNT; t++)
        free(refs_ctx.cache[t]);
    return st;
}
