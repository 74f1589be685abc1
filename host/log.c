/*
 * log.c -- structured log lines (see log.h).
 */
#include "log.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jsontext.h"
#include "strbuf.h"

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

/*
 * Lines never interleave, and request threads do not queue behind each
 * other to log. A line is written with one write(2) on descriptor 2, not
 * through stdio: stdio's stream lock is held across the system call, and
 * with two request threads logging every request that lock was the
 * daemon's busiest futex. One write(2) of at most PIPE_BUF bytes is atomic
 * on a pipe, and any write to a regular file is atomic with respect to the
 * file position; a longer line, which a pipe or socket may split, takes
 * the lock exclusively so no other line lands inside it.
 */
static pthread_rwlock_t long_lines = PTHREAD_RWLOCK_INITIALIZER;

static void write_line(const char *text, size_t len)
{
    int exclusive = len > PIPE_BUF;
    if (exclusive)
        pthread_rwlock_wrlock(&long_lines);
    else
        pthread_rwlock_rdlock(&long_lines);
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* nowhere to report a failing log */
        text += n;
        len -= (size_t)n;
    }
    pthread_rwlock_unlock(&long_lines);
}

void log_event(const char *level, const char *event, json_t *fields)
{
    char when[40];
    timestamp(when);
    json_t *line = json_pack("{s:s, s:s, s:s}", "ts", when, "level", level, "event", event);
    if (line && fields)
        json_object_update(line, fields);
    json_decref(fields);
    strbuf text = {0};
    int rc = jsontext_dump_append(line, JSON_COMPACT, &text);
    json_decref(line);
    strbuf_add(&text, "\n", 1);
    if (rc == 0 && !text.oom)
        write_line(text.s, text.len);
    free(text.s);
}

void log_event_text(const char *level, const char *event, const char *members)
{
    char when[40], name[200];
    timestamp(when);
    log_json_string(name, sizeof name, event);
    /* level is one of the fixed names; event and members as the callers
     * promise. */
    char stack[1024], *text = stack;
    const char *fmt = "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":%s%s%s}\n";
    const char *comma = *members ? "," : "";
    int len = snprintf(stack, sizeof stack, fmt, when, level, name, comma, members);
    if (len < 0)
        return;
    if ((size_t)len >= sizeof stack) {
        text = malloc((size_t)len + 1);
        if (!text)
            return;
        snprintf(text, (size_t)len + 1, fmt, when, level, name, comma, members);
    }
    write_line(text, (size_t)len);
    if (text != stack)
        free(text);
}

size_t log_json_string(char *out, size_t cap, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    size_t len = 0;
    out[len++] = '"';
    while (*p) {
        char esc[8];
        const char *piece = esc;
        size_t n = jsontext_utf8_sequence(p, (size_t)(end - p)), take = n ? n : 1;
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
