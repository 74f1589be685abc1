/* Unit tests for host/log.c: JSON strings for hand-written log lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* The text must be one JSON string: returns its value (static buffer). */
static const char *decoded(const char *text)
{
    static char value[4096];
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
    assert_non_null(j);
    assert_true(json_is_string(j));
    snprintf(value, sizeof value, "%s", json_string_value(j));
    json_decref(j);
    return value;
}

static void test_plain_and_chinese_pass_through(void **state)
{
    (void)state;
    char out[256];
    size_t n = log_json_string(out, sizeof out, "/v1/cases/(2025)苏01民初1号");
    assert_string_equal(out, "\"/v1/cases/(2025)苏01民初1号\"");
    assert_int_equal(n, strlen(out));
}

static void test_quotes_backslashes_controls_escaped(void **state)
{
    (void)state;
    char out[256];
    log_json_string(out, sizeof out, "a\"b\\c\nd\x01");
    assert_string_equal(out, "\"a\\\"b\\\\c\\u000ad\\u0001\"");
    assert_string_equal(decoded(out), "a\"b\\c\nd\x01");
}

/* A request path is whatever the client sent, percent-decoded: the log line
 * must stay valid JSON whatever the bytes. */
static void test_log_line_survives_invalid_utf8_path(void **state)
{
    (void)state;
    char path[256], out[2048];
    for (int i = 1; i < 256; i++)
        path[i - 1] = (char)i;
    path[255] = 0;
    log_json_string(out, sizeof out, path);
    decoded(out);
    log_json_string(out, sizeof out, "\xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80 \xe8\x8b");
    assert_string_equal(decoded(out),
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
                        "\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_cut_short_is_still_a_string(void **state)
{
    (void)state;
    char out[16];
    size_t n = log_json_string(out, sizeof out, "苏苏苏苏苏苏苏苏");
    assert_true(n < sizeof out);
    assert_string_equal(decoded(out), "苏苏苏苏"); /* whole characters only */
    log_json_string(out, sizeof out, "\"\"\"\"\"\"\"\"\"\"");
    decoded(out);
}

/* ---- lines from many threads --------------------------------------------- */

enum { WRITERS = 4, LINES_EACH = 300 };

typedef struct {
    int fd;
    char *data;
    size_t len, cap;
} drain_state;

static void *drain(void *arg)
{
    drain_state *d = arg;
    for (;;) {
        if (d->cap - d->len < 65536) {
            d->cap = d->cap * 2 + 65536;
            d->data = realloc(d->data, d->cap);
            assert_non_null(d->data);
        }
        ssize_t n = read(d->fd, d->data + d->len, d->cap - d->len - 1);
        if (n <= 0)
            break;
        d->len += (size_t)n;
    }
    d->data[d->len] = 0;
    return NULL;
}

/* Every third line is longer than PIPE_BUF, which a pipe may split. */
static void *writer(void *arg)
{
    int id = (int)(intptr_t)arg;
    char *pad = malloc(2 * PIPE_BUF + 1), *members = malloc(3 * PIPE_BUF);
    assert_non_null(pad);
    assert_non_null(members);
    for (int i = 0; i < LINES_EACH; i++) {
        size_t n = i % 3 == 0 ? 2 * PIPE_BUF : (size_t)(i % 50);
        memset(pad, 'a' + id, n);
        pad[n] = 0;
        if (i % 2) {
            snprintf(members, 3 * PIPE_BUF, "\"writer\":%d,\"i\":%d,\"pad\":\"%s\"", id, i, pad);
            log_event_text("info", "test.line", members);
        } else {
            log_event("info", "test.line", json_pack("{s:i, s:i, s:s}", "writer", id, "i", i, "pad", pad));
        }
    }
    free(pad);
    free(members);
    return NULL;
}

/* Request threads log without queueing behind one another; their lines must
 * still arrive whole, one per line, none lost. stderr is a pipe here, where
 * only writes of up to PIPE_BUF bytes are atomic. */
static void test_lines_from_threads_never_interleave(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fds[1], 2) >= 0);
    close(fds[1]);
    drain_state d = {fds[0], NULL, 0, 0};
    pthread_t reader, writers[WRITERS];
    assert_int_equal(pthread_create(&reader, NULL, drain, &d), 0);
    for (int w = 0; w < WRITERS; w++)
        assert_int_equal(pthread_create(&writers[w], NULL, writer, (void *)(intptr_t)w), 0);
    for (int w = 0; w < WRITERS; w++)
        pthread_join(writers[w], NULL);
    assert_true(dup2(saved, 2) >= 0); /* closes the pipe's last write end */
    close(saved);
    pthread_join(reader, NULL);
    close(fds[0]);

    int seen[WRITERS][LINES_EACH] = {{0}};
    size_t lines = 0;
    for (char *line = d.data, *end; *line; line = end + 1) {
        end = strchr(line, '\n');
        assert_non_null(end);
        *end = 0;
        json_error_t jerr;
        json_t *j = json_loads(line, 0, &jerr);
        if (!j)
            fail_msg("line %zu is not one JSON object: %s", lines + 1, jerr.text);
        int w = (int)json_integer_value(json_object_get(j, "writer"));
        int i = (int)json_integer_value(json_object_get(j, "i"));
        assert_string_equal(json_string_value(json_object_get(j, "event")), "test.line");
        assert_in_range(w, 0, WRITERS - 1);
        assert_in_range(i, 0, LINES_EACH - 1);
        size_t pad = strlen(json_string_value(json_object_get(j, "pad")));
        assert_int_equal(pad, i % 3 == 0 ? 2 * PIPE_BUF : (size_t)(i % 50));
        seen[w][i]++;
        json_decref(j);
        lines++;
    }
    assert_int_equal(lines, WRITERS * LINES_EACH);
    for (int w = 0; w < WRITERS; w++)
        for (int i = 0; i < LINES_EACH; i++)
            assert_int_equal(seen[w][i], 1);
    free(d.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_chinese_pass_through),
        cmocka_unit_test(test_quotes_backslashes_controls_escaped),
        cmocka_unit_test(test_log_line_survives_invalid_utf8_path),
        cmocka_unit_test(test_cut_short_is_still_a_string),
        cmocka_unit_test(test_lines_from_threads_never_interleave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
