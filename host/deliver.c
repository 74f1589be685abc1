/*
 * deliver.c -- the delivery loop: outbox -> messages -> HTTP -> attempts.
 * See deliver.h. This thread owns the database connection: it makes
 * messages (deliver_prepare.c), hands due ones to the sender thread
 * (deliver_send.c: signing and libcurl) and records what comes back.
 */
#include "deliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "deliver_internal.h"
#include "deliver_send.h"
#include "webhook.h"
#include "webhook_format.h"

static uint32_t random32(void)
{
    uint32_t r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        r = (uint32_t)deliver_now_ms() * 2654435761u;
    return r;
}

/* ---- sending ------------------------------------------------------------ */

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
    /* attempts in flight are few (max_connections): a scan beats a map,
     * over the slots ever taken, not all of them */
    for (int i = 0; i < d->active_used; i++)
        if (d->active[i] == message)
            return 1;
    return 0;
}

/* Hands one attempt of m to the sender; m's body moves into the job. */
static cr_status start(deliverer *d, endpoint *e, db_message *m, cr_err *err)
{
    deliver_job *job = calloc(1, sizeof *job);
    if (!job)
        return cr_errf(err, CR_FAIL, "out of memory");
    job->message = m->row;
    job->webhook_id = e->w.id;
    memcpy(job->msg_id, m->id, sizeof job->msg_id);
    job->attempt = m->attempts + 1;
    job->body = m->body;
    m->body = NULL;
    /* the endpoint's texts are NUL-terminated fields of the same sizes:
     * copied whole (four snprintf calls were 0.7% of a pass) */
    _Static_assert(sizeof job->format == sizeof e->w.format && sizeof job->url == sizeof e->w.url &&
                       sizeof job->secrets[0] == sizeof e->w.secret &&
                       sizeof job->secrets[1] == sizeof e->w.secret_previous,
                   "deliver_job's texts are db_webhook's");
    memcpy(job->format, e->w.format, sizeof job->format);
    memcpy(job->url, e->w.url, sizeof job->url);
    memcpy(job->secrets[0], e->w.secret, sizeof job->secrets[0]);
    memcpy(job->secrets[1], e->w.secret_previous, sizeof job->secrets[1]);
    job->timeout_ms = e->w.timeout_ms;
    job->max_in_flight = e->w.max_in_flight;
    int slot = 0;
    while (d->active[slot])
        slot++;
    d->active[slot] = m->row;
    if (slot >= d->active_used)
        d->active_used = slot + 1;
    e->in_flight++;
    d->in_flight++;
    deliver_sender_post(d->sender, job);
    return CR_OK;
}

/* Refills an endpoint's queue with due messages. Attempts waiting to be
 * recorded are flushed first, so that the only due messages that are not
 * really due are the ones in flight (skipped when started). */
static cr_status refill_queue(deliverer *d, endpoint *e, int64_t now, cr_err *err)
{
    db_webhook_free_messages(e->queue, e->queue_n);
    e->queue = NULL;
    e->queue_n = e->queue_pos = e->queue_cap = 0;
    cr_status st = flush(d, err);
    if (st != CR_OK)
        return st;
    st = db_webhook_due(d->db, e->w.id, now, QUEUE_BATCH + e->in_flight, &e->queue, &e->queue_n,
                        err);
    e->queue_cap = e->queue_n;
    return st;
}

static cr_status dispatch(deliverer *d, int *started, cr_err *err)
{
    int64_t now = deliver_now_ms();
    *started = 0;
    d->held = 0;
    for (int i = 0; i < d->n_eps; i++) {
        endpoint *e = &d->eps[i];
        if (!e->w.enabled || e->broken)
            continue;
        refill(e, now);
        int room = e->w.max_in_flight * PIPELINE - e->in_flight;
        if (room > d->max_active - d->in_flight)
            room = d->max_active - d->in_flight;
        int rate_bound = e->w.rate_per_s > 0 && room > (int)e->tokens;
        if (rate_bound)
            room = (int)e->tokens;
        if (rate_bound && room <= 0 && (e->queue_pos < e->queue_n || e->in_flight == 0))
            d->held = 1; /* the queue (or a refill) has due messages: wait for tokens */
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
            db_message *m = &e->queue[e->queue_pos++];
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
    if (*started)
        deliver_sender_kick(d->sender);
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
    d->last_flush_ms = deliver_now_ms();
    return st;
}

/* Turns a finished attempt into a record waiting to be committed. */
static cr_status finish(deliverer *d, const deliver_done *r)
{
    endpoint *e = deliver_endpoint_by_id(d, r->webhook_id);
    if (e)
        e->in_flight--;
    d->in_flight--;
    for (int i = 0; i < d->active_used; i++)
        if (d->active[i] == r->message) {
            d->active[i] = 0;
            break;
        }
    if (r->skipped) /* its endpoint answered 410 meanwhile: not sent, still due */
        return CR_OK;
    if (r->format_failed) { /* nothing was sent: the message stays due */
        fprintf(stderr, "courtrules deliver: webhook '%s': %s\n", e ? e->w.name : "(removed)",
                r->error);
        if (e && !e->broken) {
            e->broken = 1;
            d->sum->format_failures++;
        }
        return CR_OK;
    }
    if (d->n_done == d->cap_done) {
        int cap = d->cap_done ? d->cap_done * 2 : 64;
        done_attempt *grown = realloc(d->done, (size_t)cap * sizeof *grown);
        if (!grown)
            return CR_FAIL;
        d->done = grown;
        d->cap_done = cap;
    }
    done_attempt *x = &d->done[d->n_done++];
    memset(&x->a, 0, sizeof x->a);
    x->has_error = *r->error != 0;
    x->has_response = *r->response != 0;
    memcpy(x->error, r->error, sizeof x->error);
    memcpy(x->response, r->response, sizeof x->response);
    int64_t now = deliver_now_ms();
    x->a.message = r->message;
    x->a.webhook_id = r->webhook_id;
    x->a.attempt = r->attempt;
    x->a.http_status = r->http_status;
    x->a.latency_ms = r->latency_ms;
    x->a.outcome = webhook_classify(r->http_status);
    x->a.now_ms = now;
    x->a.next_attempt_ms = -1;
    if (x->a.outcome == WEBHOOK_RETRY && e) {
        int64_t delay = webhook_next_delay(&e->schedule, r->attempt, r->retry_after_ms, random32());
        x->a.next_attempt_ms = delay < 0 ? -1 : now + delay;
    }
    deliver_summary *s = d->sum;
    s->attempts++;
    switch (x->a.outcome) {
    case WEBHOOK_DELIVERED:
        s->delivered++;
        break;
    case WEBHOOK_REJECTED:
        s->rejected++;
        break;
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
                e ? e->w.name : "(removed)", r->msg_id, r->attempt, r->http_status,
                webhook_outcome_name(x->a.outcome), (long long)r->latency_ms,
                x->has_error ? " " : "", r->error);
    return CR_OK;
}

/* Collects finished attempts; flushes their records when enough are
 * waiting or enough time passed (or `force`). */
static cr_status collect(deliverer *d, int force, cr_err *err)
{
    deliver_done batch[64];
    int n;
    while ((n = deliver_sender_take(d->sender, batch, 64)) > 0)
        for (int i = 0; i < n; i++)
            if (finish(d, &batch[i]) != CR_OK)
                return cr_errf(err, CR_FAIL, "out of memory recording deliveries");
    if (d->n_done > 0 && (force || d->n_done >= FLUSH_EVERY ||
                          deliver_now_ms() - d->last_flush_ms >= FLUSH_AFTER_MS))
        return flush(d, err);
    return CR_OK;
}

static void free_deliverer(deliverer *d)
{
    deliver_sender_stop(d->sender); /* after the loop waited for every attempt */
    free(d->active);
    for (int i = 0; i < d->n_formats; i++)
        webhook_format_free(d->formats[i]);
    free(d->formats);
    for (int j = 0; j < d->n_eps; j++) {
        db_webhook_free_messages(d->eps[j].queue, d->eps[j].queue_n);
        free(d->eps[j].made);
    }
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
    int connections = opt->max_connections > 0 ? opt->max_connections : 64;
    d.max_active = connections * PIPELINE;
    int64_t poll_ms = opt->poll_ms > 0 ? opt->poll_ms : 200;
    d.active = calloc((size_t)d.max_active, sizeof *d.active);
    if (!d.active)
        return cr_errf(err, CR_FAIL, "out of memory starting delivery");
    cr_status st = deliver_sender_start(opt->plugins_dir, connections, &d.sender, err);
    if (st != CR_OK) {
        free(d.active);
        return st;
    }
    st = db_webhook_instance(db, d.instance, err);
    if (st == CR_OK)
        st = db_set_synchronous(db, 0, err); /* see flush() and prepare() */
    if (st != CR_OK) {
        free_deliverer(&d);
        return st;
    }
    int64_t next_prepare = 0;
    d.last_flush_ms = deliver_now_ms();
    for (;;) {
        int64_t now = deliver_now_ms();
        if (!stopping(opt) && now >= next_prepare) {
            st = deliver_load_endpoints(&d, err);
            if (st == CR_OK)
                st = deliver_prepare(&d, err);
            if (st != CR_OK)
                break;
            next_prepare = now + poll_ms;
        }
        /* results first: the slots they free are filled at once */
        int64_t attempts_before = sum->attempts;
        if ((st = collect(&d, 0, err)) != CR_OK)
            break;
        int started = 0;
        if (!stopping(opt) && (st = dispatch(&d, &started, err)) != CR_OK)
            break;
        int progressed = started > 0 || sum->attempts != attempts_before;
        /* the requests just started travel while the next chunk is made */
        if (d.outbox_left && !stopping(opt)) {
            if ((st = deliver_prepare(&d, err)) != CR_OK)
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
            if (started == 0 && !opt->follow && !d.held)
                break; /* nothing in flight and nothing due: the pass is over */
            if (started)
                continue;
        }
        if (stopping(opt) && d.in_flight == 0)
            break;
        if (progressed)
            continue; /* start the next ones at once; wait only when idle */
        deliver_sender_wait(d.sender, d.in_flight ? 20 : (int)(poll_ms < 100 ? poll_ms : 100));
    }
    /* a storage failure ends the loop with attempts in flight: their
     * results are dropped and the messages, still pending, go again */
    while (st == CR_OK && d.in_flight > 0) {
        deliver_sender_wait(d.sender, 100);
        if ((st = collect(&d, 0, err)) != CR_OK)
            break;
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
    webhook_format *format;
    cr_status st = webhook_format_load(plugins_dir, w->format, &format, err);
    if (st != CR_OK)
        return st;
    char now_text[26];
    db_now(now_text);
    webhook_alert alert = {.id = 0};
    const char **f = alert.field;
    f[WEBHOOK_ALERT_EVENT] = "firing";
    f[WEBHOOK_ALERT_CODE] = "TEST";
    f[WEBHOOK_ALERT_SEVERITY] = "info";
    f[WEBHOOK_ALERT_COURT] = *w->court_prefix ? w->court_prefix : "最高法";
    f[WEBHOOK_ALERT_MESSAGE] = "courtrules 测试消息：此端点配置正确即可收到本条。";
    f[WEBHOOK_ALERT_BASIS] = "无（测试）";
    f[WEBHOOK_ALERT_RULE_SET] = "courtrules";
    f[WEBHOOK_ALERT_RULE] = "webhook-test";
    f[WEBHOOK_ALERT_RULE_VERSION] = "0";
    f[WEBHOOK_ALERT_RULE_SET_SHA] = "-";
    f[WEBHOOK_ALERT_STATUS] = "open";
    f[WEBHOOK_ALERT_AS_OF] = f[WEBHOOK_ALERT_CREATED_AT] = f[WEBHOOK_ALERT_LAST_SEEN_AT] = now_text;
    const webhook_alert *alerts[1] = {&alert};
    deliver_job job = {.webhook_id = w->id, .attempt = 1, .timeout_ms = w->timeout_ms};
    st = webhook_format_render(format, w->name, alerts, 1, deliver_now_ms(), &job.body, err);
    webhook_format_free(format);
    if (st == CR_OK)
        st = webhook_message_id(job.msg_id, err);
    if (st == CR_OK) {
        snprintf(job.format, sizeof job.format, "%s", w->format);
        snprintf(job.url, sizeof job.url, "%s", w->url);
        snprintf(job.secrets[0], sizeof job.secrets[0], "%s", w->secret);
        snprintf(job.secrets[1], sizeof job.secrets[1], "%s", w->secret_previous);
        deliver_done done;
        st = deliver_send_one(plugins_dir, &job, &done, err);
        if (st == CR_OK) {
            memcpy(res->msg_id, job.msg_id, sizeof res->msg_id);
            res->http_status = done.http_status;
            res->latency_ms = done.latency_ms;
            snprintf(res->error, sizeof res->error, "%s", done.error);
            snprintf(res->response, sizeof res->response, "%s", done.response);
        }
    }
    free(job.body);
    return st;
}
