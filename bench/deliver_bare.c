/*
 * deliver_bare.c -- the baseline for bench/deliver.sh: the same signed POSTs
 * `courtrules deliver` sends, from a bare libcurl multi loop with nothing
 * read from or written to a database.
 *
 * usage: deliver_bare BODY_FILE N CONCURRENCY SECRET URL...
 *
 * Sends N requests in all, spread evenly over the URLs, at most CONCURRENCY
 * in flight per URL, each with a fresh webhook-id, webhook-timestamp and
 * webhook-signature (Standard Webhooks, host/webhook.c) over BODY_FILE's
 * bytes, signed through a webhook_signer that keeps the secret's key set
 * up, as `courtrules deliver` signs. Prints the count of 2xx answers; exits
 * 1 if any request failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "webhook.h"

typedef struct slot {
    CURL *easy;
    struct curl_slist *headers;
    int url;
} slot;

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    return size * n;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[len] = '\0';
    fclose(f);
    return buf;
}

static webhook_signer *signer; /* NULL when out of memory: each call sets the key up */

static CURL *start(CURLM *multi, slot *s, const char *url, const char *body, const char *secret)
{
    char id[WEBHOOK_MSG_ID_LEN + 1], sig[WEBHOOK_SIGNATURE_MAX], line[256];
    const char *secrets[2] = {secret, NULL};
    int64_t ts = (int64_t)time(NULL);
    webhook_message_id(id, NULL);
    webhook_signer_sign(signer, secrets, id, ts, body, strlen(body), sig, NULL);
    s->headers = curl_slist_append(NULL, "content-type: application/json");
    snprintf(line, sizeof line, "webhook-id: %s", id);
    s->headers = curl_slist_append(s->headers, line);
    snprintf(line, sizeof line, "webhook-timestamp: %lld", (long long)ts);
    s->headers = curl_slist_append(s->headers, line);
    snprintf(line, sizeof line, "webhook-signature: %s", sig);
    s->headers = curl_slist_append(s->headers, line);
    s->headers = curl_slist_append(s->headers, "Expect:");
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    curl_multi_add_handle(multi, e);
    s->easy = e;
    return e;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: deliver_bare BODY_FILE N CONCURRENCY SECRET URL...\n");
        return 2;
    }
    char *body = read_file(argv[1]);
    signer = webhook_signer_new();
    long n = atol(argv[2]), conc = atol(argv[3]);
    const char *secret = argv[4];
    char **urls = argv + 5;
    int n_urls = argc - 5;
    if (!body || n <= 0 || conc <= 0) {
        fprintf(stderr, "deliver_bare: bad arguments\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    long *left = calloc((size_t)n_urls, sizeof *left);
    for (int u = 0; u < n_urls; u++)
        left[u] = n / n_urls + (u < n % n_urls);
    slot *slots = calloc((size_t)(n_urls * conc), sizeof *slots);
    long ok = 0, failed = 0, in_flight = 0;
    for (int u = 0; u < n_urls; u++)
        for (long c = 0; c < conc && left[u] > 0; c++, left[u]--) {
            slot *s = &slots[u * conc + c];
            s->url = u;
            start(multi, s, urls[u], body, secret);
            in_flight++;
        }
    while (in_flight > 0) {
        int running;
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int q;
        while ((m = curl_multi_info_read(multi, &q))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            slot *s;
            long status = 0;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            if (m->data.result == CURLE_OK && status >= 200 && status < 300)
                ok++;
            else
                failed++;
            curl_multi_remove_handle(multi, s->easy);
            curl_easy_cleanup(s->easy);
            curl_slist_free_all(s->headers);
            in_flight--;
            if (left[s->url] > 0) {
                left[s->url]--;
                start(multi, s, urls[s->url], body, secret);
                in_flight++;
            }
        }
        if (in_flight)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    printf("sent %ld: %ld ok, %ld failed\n", n, ok, failed);
    curl_multi_cleanup(multi);
    free(slots);
    free(left);
    free(body);
    webhook_signer_free(signer);
    return failed ? 1 : 0;
}
