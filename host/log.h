/*
 * log.h -- structured logs for the daemon: one JSON object per line on
 * stderr, {"ts": "...Z", "level": ..., "event": ..., fields...}, so a log
 * collector needs no parser of its own. Safe to call from any thread.
 */
#ifndef COURTRULES_LOG_H
#define COURTRULES_LOG_H

#include <jansson.h>

/* Writes one line. fields (may be NULL) is a JSON object whose members are
 * added after ts, level and event; the reference is stolen. */
void log_event(const char *level, const char *event, json_t *fields);

#endif
