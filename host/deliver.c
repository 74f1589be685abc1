/*
 * deliver.c -- the delivery loop: outbox -> messages -> HTTP -> attempts.
 * See deliver.h. One thread, one cr_db, one curl multi handle.
 */
#include "deliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "webhook.h"
#include "webhook_format.h"

#define GROUP_MAX_ALERTS 100   /* alerts in one grouped message */
#define PREPARE_MAX_ROWS 256   /* outbox rows made into messages per endpoint per prepare:
                                  small, so sending goes on between chunks */
#define PENDING_BATCH 500      /* outbox rows read at a time */
#define FLUSH_EVERY 1024       /* attempts recorded per transaction, at most */
#define FLUSH_AFTER_MS 100     /* ... or after this long */
#define REPEAT_CHECK_MS 30000  /* how often open alerts are checked for repeats */
#define RESPONSE_EXCERPT 256
#define QUEUE_BATCH 1024     /* due messages fetched per endpoint at a time */

typedef struct endpoint {
    db_webhook w;
    webhook_schedule schedule;
    webhook_format *format;
    int in_flight;
    double tokens;
    int64_t refilled_ms;
    int broken; /* its format failed this pass: skip it */
    db_message *queue; /* due messages fetched, not yet started */
    int queue_n, queue_pos;
} endpoint;

typedef struct transfer {
    CURL *easy;
    struct curl_slist *headers;
    webhook_request req;
    int64_t webhook_id;
    webhook_format *format; /* owned by the deliverer */
    int64_t timeout_ms;
    int64_t message; /* messages.id */
    char msg_id[WEBHOOK_MSG_ID_LEN + 1];
    int attempt;
    int64_t started_ms;
    char response[RESPONSE_EXCERPT + 1];
    size_t response_len;
    char curl_error[CURL_ERROR_SIZE];
} transfer;

/* A finished attempt waiting to be committed. */
typedef struct done_attempt {
    char error[256];
    char response[RESPONSE_EXCERPT + 1];
    int has_error, has_response;
    db_attempt a;
} done_attempt;

typedef struct deliverer {
    cr_db *db;
    const deliver_options *opt;
    deliver_summary *sum;
    CURLM *multi;
    endpoint *eps;
    int n_eps;
    webhook_format **formats; /* one per distinct format name, owned */
    int n_formats;
    transfer **active; /* max_connections slots; NULL = free */
    int max_active, in_flight;
    done_attempt *done;
    int n_done, cap_done;
    int64_t last_flush_ms, last_repeat_ms;
    int outbox_left; /* the last prepare stopped at its limit */
    char instance[33]; /* the database's id, for message ids */
} deliverer;

static int64_t now_ms(void)
{
    return db_now_ms();
}

static uint32_t random32(void)
{
    uint32_t r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        r = (uint32_t)now_ms() * 2654435761u;
    return r;
}

/* ---- endpoints and formats --------------------------------------------- */

static webhook_format *format_for(deliverer *d, const char *name, cr_err *err)
{
    for (int i = 0; i < d->n_formats; i++)
        if (strcmp(webhook_format_name(d->formats[i]), name) == 0)
            return d->formats[i];
    webhook_format *f;
    if (webhook_format_load(d->opt->plugins_dir, name, &f, err) != CR_OK)
        return NULL;
    webhook_format **grown = realloc(d->formats, (size_t)(d->n_formats + 1) * sizeof *grown);
    if (!grown) {
        webhook_format_free(f);
        cr_errf(err, CR_FAIL, "out of memory");
        return NULL;
    }
    d->formats = grown;
    d->formats[d->n_formats++] = f;
    return f;
}

/* Re-reads the endpoints, keeping the in-flight counts and rate buckets of
 * those still there. An endpoint whose format does not load is skipped. */
static cr_status load_endpoints(deliverer *d, cr_err *err)
{
    db_webhook *ws;
    int n;
    cr_status st = db_webhook_list(d->db, &ws, &n, err);
    if (st != CR_OK)
        return st;
    endpoint *eps = calloc((size_t)n + 1, sizeof *eps);
    if (!eps) {
        free(ws);
        return cr_errf(err, CR_FAIL, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        endpoint *e = &eps[i];
        e->w = ws[i];
        e->tokens = e->w.rate_per_s > 1 ? e->w.rate_per_s : 1;
        e->refilled_ms = now_ms();
        for (int j = 0; j < d->n_eps; j++)
            if (d->eps[j].w.id == e->w.id) {
                e->in_flight = d->eps[j].in_flight;
                e->tokens = d->eps[j].tokens;
                e->refilled_ms = d->eps[j].refilled_ms;
            }
        cr_err ferr;
        if (webhook_parse_schedule(e->w.retry_schedule, &e->schedule, &ferr) != CR_OK ||
            !(e->format = format_for(d, e->w.format, &ferr))) {
            if (e->w.enabled)
                fprintf(stderr, "courtrules deliver: webhook '%s': %s\n", e->w.name, ferr.msg);
            e->broken = 1;
            d->sum->format_failures++;
        }
    }
    free(ws);
    /* queued messages may have changed meanwhile (another process removed
     * the endpoint, redelivered, ...): fetch them afresh */
    for (int j = 0; j < d->n_eps; j++)
        db_webhook_free_messages(d->eps[j].queue, d->eps[j].queue_n);
    free(d->eps);
    d->eps = eps;
    d->n_eps = n;
    return CR_OK;
}

static endpoint *endpoint_by_id(deliverer *d, int64_t id)
{
    for (int i = 0; i < d->n_eps; i++)
        if (d->eps[i].w.id == id)
            return &d->eps[i];
    return NULL;
}

/* ---- outbox -> messages ------------------------------------------------ */

static cr_status make_message(deliverer *d, endpoint *e, char *const *alerts,
                              const int64_t *ids, int count, int64_t now, cr_err *err)
{
    char *body = NULL;
    char msg_id[WEBHOOK_MSG_ID_LEN + 1];
    cr_status st = webhook_format_render(e->format, e->w.name, alerts, count, now, &body, err);
    webhook_message_id_for(d->instance, e->w.id, ids, count, msg_id);
    if (st == CR_OK)
        st = db_webhook_put_message(d->db, e->w.id, msg_id, body, ids, count, now, err);
    free(body);
    return st;
}

/* Makes messages of one endpoint's pending outbox rows. A format failure
 * marks the endpoint broken for this pass and is not a storage failure. */
static cr_status prepare_endpoint(deliverer *d, endpoint *e, int64_t now, cr_err *err)
{
    int made = 0;
    char *alerts[PENDING_BATCH];
    int64_t ids[PENDING_BATCH];
    for (;;) {
        if (made >= PREPARE_MAX_ROWS) {
            d->outbox_left = 1;
            return CR_OK;
        }
        int n;
        int64_t oldest;
        cr_status st = db_webhook_pending(d->db, e->w.id, PENDING_BATCH, alerts, ids, &n,
                                          &oldest, err);
        if (st != CR_OK)
            return st;
        if (n == 0 || (e->w.group_window_ms > 0 && oldest + e->w.group_window_ms > now)) {
            db_webhook_free_texts(alerts, n);
            return CR_OK;
        }
        int step = e->w.group_window_ms > 0 ? GROUP_MAX_ALERTS : 1;
        for (int i = 0; i < n && st == CR_OK; i += step) {
            int count = n - i < step ? n - i : step;
            cr_err ferr;
            st = make_message(d, e, alerts + i, ids + i, count, now, &ferr);
            if (st != CR_OK && strstr(ferr.msg, "webhook format")) {
                fprintf(stderr, "courtrules deliver: webhook '%s': %s\n", e->w.name, ferr.msg);
                e->broken = 1;
                d->sum->format_failures++;
                db_webhook_free_texts(alerts, n);
                return CR_OK;
            }
            if (st != CR_OK) {
                *err = ferr;
                break;
            }
            d->sum->messages++;
            made += count;
        }
        db_webhook_free_texts(alerts, n);
        if (st != CR_OK || n < PENDING_BATCH)
            return st;
    }
}

/* Makes messages. Committed without waiting for the disk like attempts
 * (see flush): a message lost to a power cut is made again from the same
 * outbox rows, with the same id (webhook_message_id_for). */
static cr_status prepare(deliverer *d, cr_err *err)
{
    int64_t now = now_ms();
    cr_status st = db_begin(d->db, err);
    if (st != CR_OK)
        return st;
    d->outbox_left = 0;
    if (now - d->last_repeat_ms >= REPEAT_CHECK_MS) {
        int64_t added = 0;
        st = db_webhook_enqueue_repeats(d->db, now, &added, err);
        d->sum->repeats += added;
        d->last_repeat_ms = now;
    }
    for (int i = 0; i < d->n_eps && st == CR_OK; i++)
        if (d->eps[i].w.enabled && !d->eps[i].broken)
            st = prepare_endpoint(d, &d->eps[i], now, err);
    if (st != CR_OK) {
        db_rollback(d->db);
        return st;
    }
    return db_commit(d->db, err);
}

/* ---- sending ------------------------------------------------------------ */

static size_t keep_excerpt(char *data, size_t size, size_t nmemb, void *ud)
{
    transfer *t = ud;
    size_t n = size * nmemb;
    size_t room = RESPONSE_EXCERPT - t->response_len;
    size_t take = n < room ? n : room;
    memcpy(t->response + t->response_len, data, take);
    t->response_len += take;
    t->response[t->response_len] = '\0';
    return n;
}

static void free_transfer(transfer *t)
{
    if (!t)
        return;
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    webhook_request_free(&t->req);
    free(t);
}

/* Sets up the easy handle for a signed request. */
static CURL *make_easy(transfer *t, int64_t timeout_ms)
{
    CURL *easy = curl_easy_init();
    if (!easy)
        return NULL;
    for (int i = 0; i < t->req.n_headers; i++)
        t->headers = curl_slist_append(t->headers, t->req.headers[i]);
    t->headers = curl_slist_append(t->headers, "Expect:");
    curl_easy_setopt(easy, CURLOPT_URL, t->req.url);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t->req.body);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(t->req.body));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_ms < 10000 ? timeout_ms
                                                                                : 10000));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "courtrules/" COURTRULES_VERSION);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, keep_excerpt);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->curl_error);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
    return easy;
}

/* Signs and builds one attempt of a message; NULL with err on failure. */
static transfer *new_transfer(endpoint *e, int64_t message, const char *msg_id,
                              const char *body, int attempt, cr_err *err)
{
    transfer *t = calloc(1, sizeof *t);
    if (!t) {
        cr_errf(err, CR_FAIL, "out of memory");
        return NULL;
    }
    t->webhook_id = e->w.id;
    t->message = message;
    t->format = e->format;
    t->timeout_ms = e->w.timeout_ms;
    snprintf(t->msg_id, sizeof t->msg_id, "%s", msg_id);
    t->attempt = attempt;
    t->started_ms = now_ms();
    const char *secrets[2] = {*e->w.secret ? e->w.secret : NULL,
                              *e->w.secret_previous ? e->w.secret_previous : NULL};
    if (webhook_format_sign(e->format, msg_id, t->started_ms, e->w.url, body, secrets, &t->req,
                            err) != CR_OK ||
        !(t->easy = make_easy(t, e->w.timeout_ms))) {
        if (!*err->msg)
            cr_errf(err, CR_FAIL, "cannot set up a transfer");
        free_transfer(t);
        return NULL;
    }
    return t;
}

static void refill(endpoint *e, int64_t now)
{
    if (e->w.rate_per_s <= 0)
        return;
    double burst = e->w.rate_per_s > 1 ? e->w.rate_per_s : 1;
    e->tokens += (double)(now - e->refilled_ms) * e->w.rate_per_s / 1000.0;
    if (e->tokens > burst)
        e->tokens = burst;
    e->refilled_ms = now;
}

static cr_status flush(deliverer *d, cr_err *err);

static int is_in_flight(deliverer *d, int64_t message)
{
    /* transfers are few (max_connections): a scan is cheaper than a map */
    for (int i = 0; i < d->max_active; i++)
        if (d->active[i] && d->active[i]->message == message)
            return 1;
    return 0;
}

static cr_status start(deliverer *d, endpoint *e, const db_message *m, cr_err *err)
{
    cr_err terr = {{0}};
    transfer *t = new_transfer(e, m->row, m->id, m->body, m->attempts + 1, &terr);
    if (!t) {
        /* a signing script that fails is a format failure of this endpoint */
        fprintf(stderr, "courtrules deliver: webhook '%s': %s\n", e->w.name, terr.msg);
        e->broken = 1;
        d->sum->format_failures++;
        return CR_OK;
    }
    int slot = 0;
    while (d->active[slot])
        slot++;
    if (curl_multi_add_handle(d->multi, t->easy) != CURLM_OK) {
        free_transfer(t);
        return cr_errf(err, CR_FAIL, "libcurl refused a transfer");
    }
    d->active[slot] = t;
    e->in_flight++;
    d->in_flight++;
    return CR_OK;
}

/* Refills an endpoint's queue with due messages. Attempts waiting to be
 * recorded are flushed first, so that the only due messages that are not
 * really due are the ones in flight (skipped when started). */
static cr_status refill_queue(deliverer *d, endpoint *e, int64_t now, cr_err *err)
{
    db_webhook_free_messages(e->queue, e->queue_n);
    e->queue = NULL;
    e->queue_n = e->queue_pos = 0;
    cr_status st = flush(d, err);
    if (st != CR_OK)
        return st;
    return db_webhook_due(d->db, e->w.id, now, QUEUE_BATCH + e->in_flight, &e->queue,
                          &e->queue_n, err);
}

static cr_status dispatch(deliverer *d, int *started, cr_err *err)
{
    int64_t now = now_ms();
    *started = 0;
    for (int i = 0; i < d->n_eps; i++) {
        endpoint *e = &d->eps[i];
        if (!e->w.enabled || e->broken)
            continue;
        refill(e, now);
        int room = e->w.max_in_flight - e->in_flight;
        if (room > d->max_active - d->in_flight)
            room = d->max_active - d->in_flight;
        if (e->w.rate_per_s > 0 && room > (int)e->tokens)
            room = (int)e->tokens;
        int refilled = 0;
        while (room > 0 && !e->broken) {
            if (e->queue_pos == e->queue_n) {
                if (refilled)
                    break; /* nothing more is due */
                cr_status st = refill_queue(d, e, now, err);
                if (st != CR_OK)
                    return st;
                refilled = 1;
                continue;
            }
            const db_message *m = &e->queue[e->queue_pos++];
            if (is_in_flight(d, m->row))
                continue;
            cr_status st = start(d, e, m, err);
            if (st != CR_OK)
                return st;
            room--;
            (*started)++;
            if (e->w.rate_per_s > 0)
                e->tokens -= 1;
        }
    }
    return CR_OK;
}

/* ---- recording ---------------------------------------------------------- */

static cr_status flush(deliverer *d, cr_err *err)
{
    if (d->n_done == 0)
        return CR_OK;
    /* Attempt records need not survive a power failure: losing them only
     * sends their messages again, with the same webhook-id. So the delivery
     * connection commits without waiting for the disk (WAL with
     * synchronous=NORMAL: a process crash loses nothing, a power cut the
     * last commits). */
    cr_status st = db_begin(d->db, err);
    for (int i = 0; i < d->n_done && st == CR_OK; i++) {
        done_attempt *x = &d->done[i];
        x->a.error = x->has_error ? x->error : NULL;
        x->a.response = x->has_response ? x->response : NULL;
        st = db_webhook_put_attempt(d->db, &x->a, err);
    }
    if (st == CR_OK)
        st = db_commit(d->db, err);
    else
        db_rollback(d->db);
    d->n_done = 0;
    if (st == CR_OK && d->opt->on_flush)
        d->opt->on_flush(d->opt->on_flush_ud, d->sum);
    d->last_flush_ms = now_ms();
    return st;
}

/* Turns a finished transfer into a done_attempt and frees it. */
static cr_status finish(deliverer *d, transfer *t, CURLcode code)
{
    if (d->n_done == d->cap_done) {
        int cap = d->cap_done ? d->cap_done * 2 : 64;
        done_attempt *grown = realloc(d->done, (size_t)cap * sizeof *grown);
        if (!grown)
            return CR_FAIL;
        d->done = grown;
        d->cap_done = cap;
    }
    done_attempt *x = &d->done[d->n_done++];
    memset(x, 0, sizeof *x);
    long status = 0;
    curl_off_t retry_after = 0;
    if (code == CURLE_OK) {
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry_after);
    } else {
        x->has_error = 1;
        snprintf(x->error, sizeof x->error, "%s", *t->curl_error ? t->curl_error
                                                                  : curl_easy_strerror(code));
    }
    if (t->response_len) {
        x->has_response = 1;
        memcpy(x->response, t->response, t->response_len + 1);
    }
    x->a.message = t->message;
    int64_t now = now_ms();
    endpoint *e = endpoint_by_id(d, t->webhook_id);
    x->a.webhook_id = t->webhook_id;
    x->a.attempt = t->attempt;
    x->a.http_status = status;
    x->a.latency_ms = now - t->started_ms;
    x->a.outcome = webhook_classify(status);
    x->a.now_ms = now;
    x->a.next_attempt_ms = -1;
    if (x->a.outcome == WEBHOOK_RETRY && e) {
        int64_t delay = webhook_next_delay(&e->schedule, t->attempt, (int64_t)retry_after * 1000,
                                           random32());
        x->a.next_attempt_ms = delay < 0 ? -1 : now + delay;
    }
    deliver_summary *s = d->sum;
    s->attempts++;
    switch (x->a.outcome) {
    case WEBHOOK_DELIVERED: s->delivered++; break;
    case WEBHOOK_REJECTED: s->rejected++; break;
    case WEBHOOK_GONE:
        if (e && e->w.enabled) {
            s->disabled++;
            e->w.enabled = 0; /* stop sending to it in this pass */
        }
        break;
    case WEBHOOK_RETRY:
        if (x->a.next_attempt_ms < 0)
            s->dead++;
        else
            s->retried++;
        break;
    }
    if (d->opt->verbose)
        fprintf(stderr, "deliver: %s %s attempt %d: %ld %s (%lld ms)%s%s\n",
                e ? e->w.name : "(removed)",
                t->msg_id, t->attempt, status, webhook_outcome_name(x->a.outcome),
                (long long)x->a.latency_ms, x->has_error ? " " : "",
                x->has_error ? x->error : "");
    if (e)
        e->in_flight--;
    d->in_flight--;
    for (int i = 0; i < d->max_active; i++)
        if (d->active[i] == t)
            d->active[i] = NULL;
    curl_multi_remove_handle(d->multi, t->easy);
    free_transfer(t);
    return CR_OK;
}

/* Collects finished transfers; flushes their records when enough are
 * waiting or enough time passed (or `force`). */
static cr_status collect(deliverer *d, int force, cr_err *err)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(d->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        transfer *t;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        if (finish(d, t, msg->data.result) != CR_OK)
            return cr_errf(err, CR_FAIL, "out of memory recording deliveries");
    }
    if (d->n_done > 0 &&
        (force || d->n_done >= FLUSH_EVERY || now_ms() - d->last_flush_ms >= FLUSH_AFTER_MS))
        return flush(d, err);
    return CR_OK;
}

static void free_deliverer(deliverer *d)
{
    for (int i = 0; i < d->max_active; i++)
        if (d->active[i]) {
            curl_multi_remove_handle(d->multi, d->active[i]->easy);
            free_transfer(d->active[i]);
        }
    free(d->active);
    if (d->multi)
        curl_multi_cleanup(d->multi);
    for (int i = 0; i < d->n_formats; i++)
        webhook_format_free(d->formats[i]);
    free(d->formats);
    for (int j = 0; j < d->n_eps; j++)
        db_webhook_free_messages(d->eps[j].queue, d->eps[j].queue_n);
    free(d->eps);
    free(d->done);
}

static int stopping(const deliver_options *opt)
{
    return opt->stop && *opt->stop;
}

cr_status deliver_run(cr_db *db, const deliver_options *opt, deliver_summary *sum, cr_err *err)
{
    memset(sum, 0, sizeof *sum);
    sum->next_due_ms = INT64_MAX;
    deliverer d = {.db = db, .opt = opt, .sum = sum};
    d.max_active = opt->max_connections > 0 ? opt->max_connections : 64;
    int64_t poll_ms = opt->poll_ms > 0 ? opt->poll_ms : 200;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    d.active = calloc((size_t)d.max_active, sizeof *d.active);
    d.multi = curl_multi_init();
    if (!d.active || !d.multi) {
        free_deliverer(&d);
        return cr_errf(err, CR_FAIL, "out of memory starting delivery");
    }
    curl_multi_setopt(d.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)d.max_active);

    cr_status st = db_webhook_instance(db, d.instance, err);
    if (st == CR_OK)
        st = db_set_synchronous(db, 0, err); /* see flush() and prepare() */
    if (st != CR_OK) {
        free_deliverer(&d);
        return st;
    }
    int64_t next_prepare = 0;
    d.last_flush_ms = now_ms();
    for (;;) {
        int64_t now = now_ms();
        if (!stopping(opt) && now >= next_prepare) {
            st = load_endpoints(&d, err);
            if (st == CR_OK)
                st = prepare(&d, err);
            if (st != CR_OK)
                break;
            next_prepare = now + poll_ms;
        }
        int started = 0;
        if (!stopping(opt) && (st = dispatch(&d, &started, err)) != CR_OK)
            break;
        int running;
        curl_multi_perform(d.multi, &running);
        int64_t attempts_before = sum->attempts;
        if ((st = collect(&d, 0, err)) != CR_OK)
            break;
        int progressed = started > 0 || sum->attempts != attempts_before;
        /* the requests just started travel while the next chunk is made */
        if (d.outbox_left && !stopping(opt)) {
            if ((st = prepare(&d, err)) != CR_OK)
                break;
            progressed = 1;
        }
        if (d.in_flight == 0 && !stopping(opt)) {
            /* everything sent has come back: is anything else due now? */
            if ((st = flush(&d, err)) != CR_OK || (st = dispatch(&d, &started, err)) != CR_OK)
                break;
            if (started == 0 && d.outbox_left) {
                next_prepare = 0; /* more outbox rows to make messages of */
                continue;
            }
            if (started == 0 && !opt->follow)
                break; /* nothing in flight and nothing due: the pass is over */
            if (started)
                continue;
        }
        if (stopping(opt) && d.in_flight == 0)
            break;
        if (progressed)
            continue; /* start the next ones at once; wait only when idle */
        curl_multi_poll(d.multi, NULL, 0, d.in_flight ? 20 : (int)(poll_ms < 100 ? poll_ms : 100),
                        NULL);
    }
    cr_err ferr;
    if (flush(&d, &ferr) != CR_OK && st == CR_OK) {
        *err = ferr;
        st = CR_FAIL;
    }
    if (st == CR_OK)
        st = db_webhook_next_due(db, &sum->next_due_ms, &sum->pending, err);
    cr_err ignored;
    db_set_synchronous(db, 1, &ignored); /* the connection may serve others next */
    free_deliverer(&d);
    return st;
}

cr_status deliver_test(const db_webhook *w, const char *plugins_dir, deliver_result *res,
                       cr_err *err)
{
    memset(res, 0, sizeof *res);
    endpoint e = {.w = *w};
    cr_status st = webhook_format_load(plugins_dir, w->format, &e.format, err);
    if (st != CR_OK)
        return st;
    char now_text[26];
    db_now(now_text);
    const char *court = *w->court_prefix ? w->court_prefix : "最高法";
    json_t *alerts = json_pack(
        "[{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}]", "event",
        "firing", "id", (json_int_t)0, "code", "TEST", "severity", "info", "court", court,
        "message", "courtrules 测试消息：此端点配置正确即可收到本条。", "basis", "无（测试）",
        "rule_set", "courtrules", "rule", "webhook-test", "rule_version", "0", "rule_set_sha",
        "-", "status", "open", "as_of", now_text, "created_at", now_text, "last_seen_at",
        now_text);
    char *body = NULL;
    int64_t now = now_ms();
    char *alert_text = alerts ? json_dumps(json_array_get(alerts, 0), JSON_COMPACT) : NULL;
    json_decref(alerts);
    st = alert_text ? webhook_format_render(e.format, w->name, &alert_text, 1, now, &body, err)
                    : cr_errf(err, CR_FAIL, "out of memory");
    free(alert_text);
    if (st == CR_OK)
        st = webhook_message_id(res->msg_id, err);
    transfer *t = NULL;
    if (st == CR_OK) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        cr_err terr = {{0}};
        t = new_transfer(&e, 0, res->msg_id, body, 1, &terr);
        if (!t)
            st = cr_errf(err, CR_FAIL, "%s", terr.msg);
    }
    if (st == CR_OK) {
        CURLcode code = curl_easy_perform(t->easy);
        res->latency_ms = now_ms() - t->started_ms;
        if (code == CURLE_OK)
            curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &res->http_status);
        else
            snprintf(res->error, sizeof res->error, "%s",
                     *t->curl_error ? t->curl_error : curl_easy_strerror(code));
        snprintf(res->response, sizeof res->response, "%s", t->response);
    }
    free_transfer(t);
    free(body);
    webhook_format_free(e.format);
    return st;
}
