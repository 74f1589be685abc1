/*
 * alert_action.h -- an operator's action on an alert (ack or resolve),
 * with its audit entry, in one transaction. Shared by `courtrules alerts
 * ack|resolve` and the HTTP API.
 */
#ifndef COURTRULES_ALERT_ACTION_H
#define COURTRULES_ALERT_ACTION_H

#include <stdint.h>

#include "db.h"
#include "err.h"

/*
 * action: "ack" (open → acked) or "resolve" (open or acked → resolved).
 * Audited as alert.ack / alert.resolve by actor, with note (may be NULL).
 * code and court (at least 64 and 32 bytes; may be NULL) receive the
 * alert's. CR_INVALID naming the alert if it does not exist or is already
 * in that state (nothing changed).
 */
cr_status alert_action_apply(cr_db *db, int64_t id, const char *action, const char *actor,
                             const char *note, char *code, char *court, cr_err *err);

#endif
