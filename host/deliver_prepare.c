/*
 * deliver_prepare.c -- the database side of a delivery pass before
 * sending: the endpoints as stored, and outbox rows made into messages
 * (grouped, repeated) that join their endpoint's send queue once committed.
 * See deliver.h and deliver_internal.h.
 */
#include "deliver_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
cr_status deliver_load_endpoints(deliverer *d, cr_err *err)
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
        e->refilled_ms = deliver_now_ms();
        for (int j = 0; j < d->n_eps; j++)
            if (d->eps[j].w.id == e->w.id) {
                endpoint *old = &d->eps[j];
                e->in_flight = old->in_flight;
                e->tokens = old->tokens;
                e->refilled_ms = old->refilled_ms;
                /* the queue carries over: its messages are pending and the
                 * endpoint still exists (one removed meanwhile is not here) */
                e->queue = old->queue;
                e->queue_n = old->queue_n;
                e->queue_pos = old->queue_pos;
                e->queue_cap = old->queue_cap;
                e->made = old->made;
                e->made_cap = old->made_cap;
                old->queue = old->made = NULL;
                old->queue_n = 0;
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
    for (int j = 0; j < d->n_eps; j++) { /* endpoints removed meanwhile */
        db_webhook_free_messages(d->eps[j].queue, d->eps[j].queue_n);
        free(d->eps[j].made);
    }
    free(d->eps);
    d->eps = eps;
    d->n_eps = n;
    return CR_OK;
}

endpoint *deliver_endpoint_by_id(deliverer *d, int64_t id)
{
    for (int i = 0; i < d->n_eps; i++)
        if (d->eps[i].w.id == id)
            return &d->eps[i];
    return NULL;
}

/* ---- outbox -> messages ------------------------------------------------ */

/* Appends m to the array *a (n used, cap allocated); 0, or -1 if out of
 * memory (m untouched). */
static int push_message(db_message **a, int *n, int *cap, const db_message *m)
{
    if (*n == *cap) {
        int grown_cap = *cap ? *cap * 2 : 64;
        db_message *grown = realloc(*a, (size_t)grown_cap * sizeof *grown);
        if (!grown)
            return -1;
        *a = grown;
        *cap = grown_cap;
    }
    (*a)[(*n)++] = *m;
    return 0;
}

/* Renders and stores one message; keeps it in e->made so that, once the
 * transaction commits, it is sent without being read back. */
static cr_status make_message(deliverer *d, endpoint *e, const webhook_alert *const *alerts,
                              const int64_t *ids,
                              int count, int64_t now, cr_err *err)
{
    db_message m = {0};
    cr_status st = webhook_format_render(e->format, e->w.name, alerts, count, now, &m.body, err);
    webhook_message_id_for(d->instance, e->w.id, ids, count, m.id);
    if (st == CR_OK)
        st = db_webhook_put_message(d->db, e->w.id, m.id, m.body, ids, count, now, &m.row, err);
    m.next_attempt_ms = now;
    if (st != CR_OK || push_message(&e->made, &e->made_n, &e->made_cap, &m) != 0)
        free(m.body); /* not kept: a later refill reads it from the database */
    return st;
}

/* After prepare's transaction: committed messages join their endpoint's
 * queue; rolled-back ones are dropped. */
static void settle_made(deliverer *d, int committed)
{
    for (int i = 0; i < d->n_eps; i++) {
        endpoint *e = &d->eps[i];
        for (int k = 0; k < e->made_n; k++)
            if (!committed || push_message(&e->queue, &e->queue_n, &e->queue_cap, &e->made[k]))
                free(e->made[k].body);
        e->made_n = 0;
    }
}

/* Makes messages of one endpoint's pending outbox rows, about *budget rows
 * (a grouped endpoint reads whole groups, so it may go past by less than a
 * group); *budget is reduced by the rows made. A format failure marks the
 * endpoint broken for this pass and is not a storage failure. */
static cr_status prepare_endpoint(deliverer *d, endpoint *e, int64_t now, int *budget, cr_err *err)
{
    webhook_alert *alerts[PENDING_BATCH];
    int64_t ids[PENDING_BATCH];
    int grouped = e->w.group_window_ms > 0;
    for (;;) {
        if (*budget <= 0) {
            d->outbox_left = 1;
            return CR_OK;
        }
        /* only the rows made now are read: each costs its alert's JSON */
        int limit = grouped ? (*budget + GROUP_MAX_ALERTS - 1) / GROUP_MAX_ALERTS * GROUP_MAX_ALERTS
                            : *budget;
        if (limit > PENDING_BATCH)
            limit = PENDING_BATCH;
        int n;
        int64_t oldest;
        cr_status st = db_webhook_pending(d->db, e->w.id, limit, alerts, ids, &n, &oldest, err);
        if (st != CR_OK)
            return st;
        if (n == 0 || (grouped && oldest + e->w.group_window_ms > now)) {
            db_webhook_free_alerts(alerts, n);
            return CR_OK;
        }
        int step = grouped ? GROUP_MAX_ALERTS : 1;
        for (int i = 0; i < n && st == CR_OK; i += step) {
            int count = n - i < step ? n - i : step;
            cr_err ferr;
            st = make_message(d, e, (const webhook_alert *const *)alerts + i, ids + i, count, now,
                              &ferr);
            if (st != CR_OK && strstr(ferr.msg, "webhook format")) {
                fprintf(stderr, "courtrules deliver: webhook '%s': %s\n", e->w.name, ferr.msg);
                e->broken = 1;
                d->sum->format_failures++;
                db_webhook_free_alerts(alerts, n);
                return CR_OK;
            }
            if (st != CR_OK) {
                *err = ferr;
                break;
            }
            d->sum->messages++;
            *budget -= count;
        }
        db_webhook_free_alerts(alerts, n);
        if (st != CR_OK || n < limit)
            return st;
    }
}

/* Makes messages. Committed without waiting for the disk like attempts
 * (see flush): a message lost to a power cut is made again from the same
 * outbox rows, with the same id (webhook_message_id_for). */
cr_status deliver_prepare(deliverer *d, cr_err *err)
{
    int64_t now = deliver_now_ms();
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
    /* the endpoints take turns starting, so that a small budget reaches
     * every one of them over successive prepares */
    int budget = PREPARE_MAX_ROWS;
    int first = d->n_eps > 0 ? d->prepare_turn++ % d->n_eps : 0;
    for (int k = 0; k < d->n_eps && st == CR_OK; k++) {
        endpoint *e = &d->eps[(first + k) % d->n_eps];
        if (e->w.enabled && !e->broken)
            st = prepare_endpoint(d, e, now, &budget, err);
    }
    st = db_end(d->db, st, err);
    settle_made(d, st == CR_OK);
    return st;
}
