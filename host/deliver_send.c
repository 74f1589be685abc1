/*
 * deliver_send.c -- the sender thread: sign, send, report. See
 * deliver_send.h.
 */
#include "deliver_send.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "webhook_format.h"

/* A job on the wire. */
typedef struct transfer {
    deliver_job *job;
    CURL *easy;
    struct curl_slist *headers; /* one block of nodes over req's lines (header_list) */
    webhook_request req;
    int64_t started_ms;
    char response[DELIVER_RESPONSE_EXCERPT + 1];
    size_t response_len;
    char curl_error[CURL_ERROR_SIZE];
} transfer;

/* Easy handles of finished transfers, reset, for the next ones: a handle
 * made anew costs an allocation and its setup every time. */
typedef struct handle_pool {
    CURL **idle;
    int n, cap;
} handle_pool;

typedef struct formats {
    char *plugins_dir;
    webhook_format **list; /* one per format name, loaded on first use */
    int n;
} formats;

/* Requests on the wire per endpoint (the sender thread's own). */
typedef struct endpoint_count {
    int64_t webhook_id;
    int active;
    int64_t gone_until; /* answered 410: its jobs are skipped until then (mono ms) */
} endpoint_count;

/* After a 410 the caller disables the endpoint when it reads the result;
 * jobs it posted before that are dropped for this long. */
#define GONE_HOLD_MS 2000

struct deliver_sender {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t done_ready;
    CURLM *multi;
    formats fmt;
    handle_pool handles;
    int max_connections;
    /* the sender thread's own: jobs waiting for a free slot, counts */
    deliver_job **waiting;
    int waiting_n, waiting_cap, active;
    endpoint_count *counts;
    int n_counts;
    /* guarded by lock: */
    deliver_job **inbox;
    int inbox_n, inbox_cap;
    deliver_done *done;
    int done_n, done_cap;
    int quit;
    int caller_waiting; /* the caller sleeps in deliver_sender_wait */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static webhook_format *format_for(formats *f, const char *name, cr_err *err)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(webhook_format_name(f->list[i]), name) == 0)
            return f->list[i];
    webhook_format *loaded;
    if (webhook_format_load(f->plugins_dir, name, &loaded, err) != CR_OK)
        return NULL;
    webhook_format **grown = realloc(f->list, (size_t)(f->n + 1) * sizeof *grown);
    if (!grown) {
        webhook_format_free(loaded);
        cr_errf(err, CR_FAIL, "out of memory");
        return NULL;
    }
    f->list = grown;
    f->list[f->n++] = loaded;
    return loaded;
}

static void formats_free(formats *f)
{
    for (int i = 0; i < f->n; i++)
        webhook_format_free(f->list[i]);
    free(f->list);
    free(f->plugins_dir);
}

static size_t keep_excerpt(char *data, size_t size, size_t nmemb, void *ud)
{
    transfer *t = ud;
    size_t n = size * nmemb;
    size_t room = DELIVER_RESPONSE_EXCERPT - t->response_len;
    size_t take = n < room ? n : room;
    memcpy(t->response + t->response_len, data, take);
    t->response_len += take;
    t->response[t->response_len] = '\0';
    return n;
}

static void free_job(deliver_job *job)
{
    if (job) {
        free(job->body);
        free(job);
    }
}

/* Frees t; its easy handle goes back to pool (may be NULL) when there is
 * room, reset so that it refers to nothing of t. */
static void free_transfer(transfer *t, handle_pool *pool)
{
    if (!t)
        return;
    if (t->easy && pool && pool->n < pool->cap) {
        curl_easy_reset(t->easy);
        pool->idle[pool->n++] = t->easy;
    } else if (t->easy) {
        curl_easy_cleanup(t->easy);
    }
    free(t->headers);
    webhook_request_free(&t->req);
    free_job(t->job);
    free(t);
}

/* The request's header lines and "Expect:" (no 100-continue round trip)
 * as a curl_slist of one block whose nodes point at the lines themselves:
 * libcurl only reads the list, so curl_slist_append would copy every line
 * only for the copies to be freed after the transfer. NULL if out of
 * memory; the lines must outlive the list. */
static struct curl_slist *header_list(const webhook_request *req)
{
    static char expect_off[] = "Expect:";
    struct curl_slist *nodes = malloc((size_t)(req->n_headers + 1) * sizeof *nodes);
    if (!nodes)
        return NULL;
    for (int i = 0; i < req->n_headers; i++)
        nodes[i] = (struct curl_slist){req->headers[i], &nodes[i + 1]};
    nodes[req->n_headers] = (struct curl_slist){expect_off, NULL};
    return nodes;
}

/* Signs job with its format and sets up an easy handle (from pool when it
 * has one; pool may be NULL). NULL with err (naming the format) when
 * signing fails. */
static transfer *new_transfer(formats *f, handle_pool *pool, deliver_job *job, cr_err *err)
{
    transfer *t = malloc(sizeof *t);
    if (!t) {
        cr_errf(err, CR_FAIL, "out of memory");
        return NULL;
    }
    memset(t, 0, offsetof(transfer, response));
    t->response[0] = t->curl_error[0] = '\0';
    t->response_len = 0;
    t->job = job;
    t->started_ms = mono_ms();
    const char *secrets[2] = {*job->secrets[0] ? job->secrets[0] : NULL,
                              *job->secrets[1] ? job->secrets[1] : NULL};
    webhook_format *fmt = format_for(f, job->format, err);
    if (!fmt || webhook_format_sign(fmt, job->msg_id, wall_ms(), job->url, job->body, secrets,
                                    &t->req, err) != CR_OK) {
        t->job = NULL; /* the caller keeps the job to report on it */
        free_transfer(t, pool);
        return NULL;
    }
    CURL *easy = t->easy = pool && pool->n ? pool->idle[--pool->n] : curl_easy_init();
    if (!easy) {
        t->job = NULL;
        free_transfer(t, pool);
        cr_errf(err, CR_FAIL, "libcurl: no handle");
        return NULL;
    }
    if (!(t->headers = header_list(&t->req))) {
        t->job = NULL;
        free_transfer(t, pool);
        cr_errf(err, CR_FAIL, "out of memory");
        return NULL;
    }
    long timeout = (long)job->timeout_ms;
    curl_easy_setopt(easy, CURLOPT_URL, t->req.url);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t->req.body);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(t->req.body));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "courtrules/" COURTRULES_VERSION);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, keep_excerpt);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->curl_error);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
    return t;
}

static void fill_done(deliver_done *d, const deliver_job *job)
{
    memset(d, 0, sizeof *d);
    d->message = job->message;
    d->webhook_id = job->webhook_id;
    memcpy(d->msg_id, job->msg_id, sizeof d->msg_id);
    d->attempt = job->attempt;
}

/* The result of a finished transfer. */
static void result_of(transfer *t, CURLcode code, deliver_done *d)
{
    fill_done(d, t->job);
    d->latency_ms = mono_ms() - t->started_ms;
    if (code == CURLE_OK) {
        curl_off_t retry_after = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &d->http_status);
        curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry_after);
        d->retry_after_ms = (int64_t)retry_after * 1000;
    } else {
        snprintf(d->error, sizeof d->error, "%s",
                 *t->curl_error ? t->curl_error : curl_easy_strerror(code));
    }
    memcpy(d->response, t->response, t->response_len + 1);
}

static void push_done(deliver_sender *s, const deliver_done *d)
{
    pthread_mutex_lock(&s->lock);
    if (s->done_n == s->done_cap) {
        int cap = s->done_cap ? s->done_cap * 2 : 256;
        deliver_done *grown = realloc(s->done, (size_t)cap * sizeof *grown);
        if (!grown) { /* cannot report: the message stays pending and is sent again */
            pthread_mutex_unlock(&s->lock);
            return;
        }
        s->done = grown;
        s->done_cap = cap;
    }
    s->done[s->done_n++] = *d;
    if (s->caller_waiting) /* a wake-up costs a context switch: only when asleep */
        pthread_cond_signal(&s->done_ready);
    pthread_mutex_unlock(&s->lock);
}

static endpoint_count *count_of(deliver_sender *s, int64_t webhook_id)
{
    for (int i = 0; i < s->n_counts; i++)
        if (s->counts[i].webhook_id == webhook_id)
            return &s->counts[i];
    endpoint_count *grown = realloc(s->counts, (size_t)(s->n_counts + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    s->counts = grown;
    s->counts[s->n_counts] = (endpoint_count){webhook_id, 0, 0};
    return &s->counts[s->n_counts++];
}

/* Signs and starts one job; a job that cannot start is reported at once. */
static void start_job(deliver_sender *s, deliver_job *job, endpoint_count *c)
{
    cr_err err = {{0}};
    transfer *t = new_transfer(&s->fmt, &s->handles, job, &err);
    if (t && curl_multi_add_handle(s->multi, t->easy) == CURLM_OK) {
        c->active++;
        s->active++;
        return;
    }
    deliver_done d;
    fill_done(&d, job);
    d.format_failed = t == NULL;
    snprintf(d.error, sizeof d.error, "%.250s", t ? "libcurl refused the transfer" : err.msg);
    free_transfer(t, &s->handles);
    if (!t)
        free_job(job);
    push_done(s, &d);
}

/* Moves the jobs posted since the last look to the waiting list, then
 * starts waiting jobs, oldest first, while their endpoint and the total
 * have room. */
static void start_posted(deliver_sender *s)
{
    pthread_mutex_lock(&s->lock);
    deliver_job **jobs = s->inbox;
    int n = s->inbox_n;
    s->inbox = NULL;
    s->inbox_n = s->inbox_cap = 0;
    pthread_mutex_unlock(&s->lock);
    if (s->waiting_n + n > s->waiting_cap) {
        int cap = (s->waiting_n + n) * 2;
        deliver_job **grown = realloc(s->waiting, (size_t)cap * sizeof *grown);
        if (!grown) { /* report them: their messages stay due and go again */
            for (int i = 0; i < n; i++) {
                deliver_done d;
                fill_done(&d, jobs[i]);
                snprintf(d.error, sizeof d.error, "out of memory");
                free_job(jobs[i]);
                push_done(s, &d);
            }
            free(jobs);
            return;
        }
        s->waiting = grown;
        s->waiting_cap = cap;
    }
    if (n > 0) /* jobs is NULL when nothing was posted */
        memcpy(s->waiting + s->waiting_n, jobs, (size_t)n * sizeof *jobs);
    s->waiting_n += n;
    free(jobs);
    int kept = 0;
    int64_t now = mono_ms();
    for (int i = 0; i < s->waiting_n; i++) {
        deliver_job *job = s->waiting[i];
        endpoint_count *c = count_of(s, job->webhook_id);
        if (c && c->gone_until > now) {
            deliver_done d;
            fill_done(&d, job);
            d.skipped = 1;
            free_job(job);
            push_done(s, &d);
        } else if (c && s->active < s->max_connections &&
                   c->active < (job->max_in_flight > 0 ? job->max_in_flight : 1)) {
            start_job(s, job, c);
        } else {
            s->waiting[kept++] = job;
        }
    }
    s->waiting_n = kept;
}

static void *sender_main(void *arg)
{
    deliver_sender *s = arg;
    int running = 0;
    for (;;) {
        start_posted(s);
        curl_multi_perform(s->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(s->multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            transfer *t;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            deliver_done d;
            result_of(t, msg->data.result, &d);
            endpoint_count *c = count_of(s, t->job->webhook_id);
            if (c)
                c->active--;
            if (c && d.http_status == 410)
                c->gone_until = mono_ms() + GONE_HOLD_MS;
            s->active--;
            curl_multi_remove_handle(s->multi, t->easy);
            free_transfer(t, &s->handles);
            push_done(s, &d);
        }
        if (s->waiting_n)
            start_posted(s); /* slots were freed */
        pthread_mutex_lock(&s->lock);
        int quit = s->quit && s->inbox_n == 0;
        pthread_mutex_unlock(&s->lock);
        if (quit && running == 0 && s->waiting_n == 0)
            break;
        curl_multi_poll(s->multi, NULL, 0, 100, NULL); /* woken by post and stop */
    }
    return NULL;
}

cr_status deliver_sender_start(const char *plugins_dir, int max_connections, deliver_sender **out,
                               cr_err *err)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    deliver_sender *s = calloc(1, sizeof *s);
    if (!s || !(s->multi = curl_multi_init()) ||
        (plugins_dir && !(s->fmt.plugins_dir = strdup(plugins_dir))) ||
        !(s->handles.idle = calloc((size_t)max_connections, sizeof *s->handles.idle))) {
        if (s && s->multi)
            curl_multi_cleanup(s->multi);
        if (s)
            free(s->fmt.plugins_dir);
        free(s);
        return cr_errf(err, CR_FAIL, "out of memory starting delivery");
    }
    s->max_connections = max_connections;
    s->handles.cap = max_connections;
    curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)max_connections);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->done_ready, NULL);
    if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
        curl_multi_cleanup(s->multi);
        free(s->handles.idle);
        free(s->fmt.plugins_dir);
        free(s);
        return cr_errf(err, CR_FAIL, "cannot start the delivery thread");
    }
    *out = s;
    return CR_OK;
}

void deliver_sender_post(deliver_sender *s, deliver_job *job)
{
    pthread_mutex_lock(&s->lock);
    if (s->inbox_n == s->inbox_cap) {
        int cap = s->inbox_cap ? s->inbox_cap * 2 : 64;
        deliver_job **grown = realloc(s->inbox, (size_t)cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&s->lock);
            deliver_done d;
            fill_done(&d, job);
            snprintf(d.error, sizeof d.error, "out of memory");
            free_job(job);
            push_done(s, &d);
            return;
        }
        s->inbox = grown;
        s->inbox_cap = cap;
    }
    s->inbox[s->inbox_n++] = job;
    pthread_mutex_unlock(&s->lock);
}

void deliver_sender_kick(deliver_sender *s)
{
    curl_multi_wakeup(s->multi);
}

int deliver_sender_take(deliver_sender *s, deliver_done *out, int max)
{
    pthread_mutex_lock(&s->lock);
    int n = s->done_n < max ? s->done_n : max;
    if (n > 0) { /* s->done may still be NULL: memcpy must not see it */
        memcpy(out, s->done, (size_t)n * sizeof *out);
        memmove(s->done, s->done + n, (size_t)(s->done_n - n) * sizeof *s->done);
        s->done_n -= n;
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

void deliver_sender_wait(deliver_sender *s, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    s->caller_waiting = 1;
    if (s->done_n == 0)
        pthread_cond_timedwait(&s->done_ready, &s->lock, &until);
    s->caller_waiting = 0;
    pthread_mutex_unlock(&s->lock);
}

void deliver_sender_stop(deliver_sender *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->quit = 1;
    pthread_mutex_unlock(&s->lock);
    curl_multi_wakeup(s->multi);
    pthread_join(s->thread, NULL);
    curl_multi_cleanup(s->multi);
    for (int i = 0; i < s->handles.n; i++)
        curl_easy_cleanup(s->handles.idle[i]);
    free(s->handles.idle);
    formats_free(&s->fmt);
    free(s->waiting);
    free(s->counts);
    free(s->inbox);
    free(s->done);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->done_ready);
    free(s);
}

cr_status deliver_send_one(const char *plugins_dir, const deliver_job *job, deliver_done *done,
                           cr_err *err)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    formats f = {.plugins_dir = plugins_dir ? strdup(plugins_dir) : NULL};
    deliver_job *copy = malloc(sizeof *copy);
    if (!copy || !(*copy = *job, copy->body = strdup(job->body))) {
        free(copy);
        formats_free(&f);
        return cr_errf(err, CR_FAIL, "out of memory");
    }
    transfer *t = new_transfer(&f, NULL, copy, err);
    if (!t) {
        free_job(copy);
        formats_free(&f);
        return CR_FAIL;
    }
    CURLcode code = curl_easy_perform(t->easy);
    result_of(t, code, done);
    free_transfer(t, NULL);
    formats_free(&f);
    return CR_OK;
}
