/*
 * webhook_format.h -- payload formats as Lua plugins.
 *
 * A format is a module plugins/webhook/<name>.lua run in its own sandbox
 * (the same guards and budgets as rule scripts). It returns a table with
 *   render(batch) -> body text            once per message (stored, so
 *                                          every retry sends the same body)
 *   sign(req)     -> {url=, headers=, body=}  once per attempt
 * and sees a read-only global `webhook` with json, hmac_sha256, base64,
 * urlencode and secret_key (docs/webhooks.md). The host never sends a
 * header whose name or value holds a line break.
 */
#ifndef COURTRULES_WEBHOOK_FORMAT_H
#define COURTRULES_WEBHOOK_FORMAT_H

#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "webhook.h"

typedef struct webhook_format webhook_format;

/* Loads plugins_dir/webhook/<name>.lua. CR_INVALID when the name is not a
 * plain module name, the file is missing, or it lacks render or sign. */
cr_status webhook_format_load(const char *plugins_dir, const char *name, webhook_format **out,
                              cr_err *err);
void webhook_format_free(webhook_format *f);

/* The format's name, as given to webhook_format_load. */
const char *webhook_format_name(const webhook_format *f);

/* The body for a message of n alerts (as db_webhook_pending reads them),
 * handed to render as batch.alerts: fresh tables built from the fields,
 * with no JSON text in between. *body is malloc'd. CR_FAIL naming the
 * format when the script fails (a data field that is not JSON included). */
cr_status webhook_format_render(webhook_format *f, const char *webhook_name,
                                const webhook_alert *const *alerts, int n, int64_t now_ms,
                                char **body, cr_err *err);

typedef struct webhook_request {
    char *url;
    char *body;
    char **headers; /* "Name: value", n_headers of them */
    int n_headers;
} webhook_request;

/* The request for one attempt. secrets[0..1] may be NULL. */
cr_status webhook_format_sign(webhook_format *f, const char *msg_id, int64_t now_ms,
                              const char *url, const char *body, const char *const secrets[2],
                              webhook_request *out, cr_err *err);
void webhook_request_free(webhook_request *r);

#endif
