/*
 * log.h -- structured logs for the daemon: one JSON object per line on
 * stderr, {"ts": "...Z", "level": ..., "event": ..., fields...}, so a log
 * collector needs no parser of its own. Safe to call from any thread.
 */
#ifndef COURTRULES_LOG_H
#define COURTRULES_LOG_H

#include <jansson.h>
#include <stddef.h>

/* Writes one line. fields (may be NULL) is a JSON object whose members are
 * added after ts, level and event; the reference is stolen. */
void log_event(const char *level, const char *event, json_t *fields);

/* Writes one line whose fields are given as JSON text: the members alone,
 * without braces (`"status":200,"ms":0.8`), which the caller made valid
 * (log_json_string for strings). For lines written once per request, where
 * building a json_t cost more than the line is worth. members may be "". */
void log_event_text(const char *level, const char *event, const char *members);

/* Writes s as a JSON string into out (cap bytes, NUL-terminated): quotes,
 * backslashes and control characters escaped, bytes that are not UTF-8 as
 * U+FFFD, cut short (still a valid string) if it does not fit. Returns the
 * length written. cap must be at least 8. */
size_t log_json_string(char *out, size_t cap, const char *s);

#endif
