/* Unit tests for host/log.c: JSON strings for hand-written log lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_chinese_pass_through),
        cmocka_unit_test(test_quotes_backslashes_controls_escaped),
        cmocka_unit_test(test_log_line_survives_invalid_utf8_path),
        cmocka_unit_test(test_cut_short_is_still_a_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
