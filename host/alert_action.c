/*
 * alert_action.c -- ack and resolve, audited (see alert_action.h).
 */
#include "alert_action.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db_eval.h"

cr_status alert_action_apply(cr_db *db, int64_t id, const char *action, const char *actor,
                             const char *note, char *code, char *court, cr_err *err)
{
    int ack = strcmp(action, "ack") == 0;
    const char *status = ack ? "acked" : "resolved";
    char code_buf[64] = "", court_buf[32] = "", subject[32];
    cr_status st = db_begin(db, err);
    if (st == CR_OK)
        st = db_eval_alert_set_status(db, id, status, code_buf, court_buf, err);
    if (st == CR_OK) {
        json_t *detail = json_pack("{s:I, s:s, s:s, s:s, s:s?}", "alert", (json_int_t)id, "code",
                                   code_buf, "court", court_buf, "status", status, "note", note);
        char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(detail);
        snprintf(subject, sizeof subject, "alert %lld", (long long)id);
        st = text ? audit_append(db, actor, ack ? "alert.ack" : "alert.resolve", subject, text,
                                 NULL, err)
                  : cr_errf(err, CR_FAIL, "out of memory");
        free(text);
    }
    if (st == CR_OK)
        st = db_commit(db, err);
    else
        db_rollback(db);
    if (st == CR_OK && code)
        snprintf(code, 64, "%s", code_buf);
    if (st == CR_OK && court)
        snprintf(court, 32, "%s", court_buf);
    return st;
}
