/*
 * log.c -- structured log lines (see log.h).
 */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsontext.h"

/* "2026-01-02T03:04:05.678Z" */
static void timestamp(char when[40])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(when, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, 40 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void log_event(const char *level, const char *event, json_t *fields)
{
    char when[40];
    timestamp(when);
    json_t *line = json_pack("{s:s, s:s, s:s}", "ts", when, "level", level, "event", event);
    if (line && fields)
        json_object_update(line, fields);
    json_decref(fields);
    char *text = line ? jsontext_dumps(line, JSON_COMPACT, NULL) : NULL;
    json_decref(line);
    if (!text)
        return;
    /* One fprintf per line: stdio locks the stream, so lines never interleave. */
    fprintf(stderr, "%s\n", text);
    free(text);
}

void log_event_text(const char *level, const char *event, const char *members)
{
    char when[40], name[200];
    timestamp(when);
    log_json_string(name, sizeof name, event);
    /* level is one of the fixed names; event and members as the callers
     * promise. One fprintf per line, as above. */
    fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":%s%s%s}\n", when, level, name,
            *members ? "," : "", members);
}

/* The length of the UTF-8 sequence at s if it is a valid one (no overlong
 * forms, no surrogates, nothing above U+10FFFF), else 0. */
static size_t utf8_sequence(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xc2 && s[0] <= 0xdf   ? 2
               : s[0] >= 0xe0 && s[0] <= 0xef ? 3
               : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
                                              : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] > 0x9f) ||
        (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] > 0x8f))
        return 0;
    return n;
}

size_t log_json_string(char *out, size_t cap, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = 0;
    out[len++] = '"';
    while (*p) {
        char esc[8];
        const char *piece = esc;
        size_t n = utf8_sequence(p), take = n ? n : 1;
        if (n == 1 && (*p < 0x20 || *p == '"' || *p == '\\'))
            snprintf(esc, sizeof esc, *p == '"' || *p == '\\' ? "\\%c" : "\\u%04x", *p);
        else if (n == 0)
            memcpy(esc, "\\ufffd", 7);
        else
            piece = (const char *)p;
        size_t plen = piece == esc ? strlen(esc) : n;
        if (len + plen + 2 > cap) /* room for the closing quote and NUL */
            break;
        memcpy(out + len, piece, plen);
        len += plen;
        p += take;
    }
    out[len++] = '"';
    out[len] = 0;
    return len;
}
