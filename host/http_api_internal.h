/*
 * http_api_internal.h -- what the HTTP API's handler files share:
 * http_api.c (authentication, dispatch, reads, alerts, operations) and
 * http_api_eval.c (records, triage, evaluate).
 */
#ifndef COURTRULES_HTTP_API_INTERNAL_H
#define COURTRULES_HTTP_API_INTERNAL_H

#include "http_api.h"

#define HTTP_API_MAX_LIST 100 /* cases per /v1/evaluate call */

/* Parses the call's body as one JSON value. NULL with reply set to 400
 * naming the line, column and byte position of the error. */
json_t *http_api_body_json(const http_call *call, http_reply *reply);

/* The actor the audit trail records for the call's token: "token:ID:NAME". */
void http_api_actor(const http_call *call, char *out, size_t len);

/* The as-of date: the body's "as_of" if given (validated), else today in
 * Asia/Shanghai. 0, or -1 with reply set to 400. */
int http_api_as_of(json_t *body, char out[11], http_reply *reply);

/* Sets reply from a failed module call: CR_INVALID → `invalid_status`
 * with the message, CR_FAIL → 500. */
void http_api_fail(http_reply *reply, int invalid_status, const cr_err *err, int st);

void http_api_records(engine *e, const http_call *call, http_reply *reply);
void http_api_triage(engine *e, const http_call *call, http_reply *reply);
void http_api_evaluate(engine *e, const http_call *call, http_reply *reply);

#endif
