/*
 * log.c -- structured log lines (see log.h).
 */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void log_event(const char *level, const char *event, json_t *fields)
{
    struct timespec ts;
    struct tm tm;
    char when[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);
    json_t *line = json_pack("{s:s, s:s, s:s}", "ts", when, "level", level, "event", event);
    if (line && fields)
        json_object_update(line, fields);
    json_decref(fields);
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(line);
    if (!text)
        return;
    /* One fprintf per line: stdio locks the stream, so lines never interleave. */
    fprintf(stderr, "%s\n", text);
    free(text);
}
