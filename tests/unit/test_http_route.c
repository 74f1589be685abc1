/* Unit tests for host/http_route.c: the route table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http_route.h"
#include "token.h"

static int match(const char *method, const char *path, http_route *r)
{
    const char *allow = NULL;
    memset(r, 0, sizeof *r);
    return http_route_match(method, path, r, &allow);
}

static void test_fixed_paths(void **state)
{
    (void)state;
    http_route r;
    assert_int_equal(match("GET", "/healthz", &r), HTTP_ROUTE_FOUND);
    assert_int_equal(r.id, ROUTE_HEALTHZ);
    assert_int_equal(r.perm, 0);
    assert_int_equal(match("GET", "/v1/openapi.json", &r), HTTP_ROUTE_FOUND);
    assert_int_equal(r.perm, 0);
    assert_int_equal(match("POST", "/v1/triage", &r), HTTP_ROUTE_FOUND);
    assert_int_equal(r.id, ROUTE_TRIAGE);
    assert_int_equal(r.perm, TOKEN_FILE);
    assert_true(r.has_body);
    assert_int_equal(match("POST", "/v1/rules/reload", &r), HTTP_ROUTE_FOUND);
    assert_int_equal(r.perm, TOKEN_ADMIN);
    assert_int_equal(match("GET", "/v1/alerts", &r), HTTP_ROUTE_FOUND);
    assert_int_equal(r.perm, TOKEN_READ);
}

static void test_case_paths(void **state)
{
    (void)state;
    http_route r;
    assert_int_equal(match("GET", "/v1/cases/(2024)粤0703民初1234号", &r), HTTP_ROUTE_FOUND);
    assert_int_equal(r.id, ROUTE_CASE);
    assert_string_equal(r.arg, "(2024)粤0703民初1234号");
    assert_int_equal(match("GET", "/v1/cases/（2024）粤0703民初1234号/explain", &r),
                     HTTP_ROUTE_FOUND);
    assert_int_equal(r.id, ROUTE_CASE_EXPLAIN);
    assert_string_equal(r.arg, "（2024）粤0703民初1234号");
    assert_int_equal(match("GET", "/v1/cases/", &r), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/v1/cases/a/b", &r), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/v1/cases//explain", &r), HTTP_ROUTE_NOT_FOUND);
}

static void test_alert_ids(void **state)
{
    (void)state;
    http_route r;
    assert_int_equal(match("POST", "/v1/alerts/42/ack", &r), HTTP_ROUTE_FOUND);
    assert_int_equal(r.id, ROUTE_ALERT_ACK);
    assert_string_equal(r.arg, "42");
    assert_int_equal(r.perm, TOKEN_OPERATE);
    assert_int_equal(match("POST", "/v1/alerts/7/resolve", &r), HTTP_ROUTE_FOUND);
    assert_int_equal(r.id, ROUTE_ALERT_RESOLVE);
    assert_int_equal(match("POST", "/v1/alerts/0/ack", &r), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match("POST", "/v1/alerts/-1/ack", &r), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match("POST", "/v1/alerts/1x/ack", &r), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match("POST", "/v1/alerts/99999999999999999999/ack", &r), HTTP_ROUTE_NOT_FOUND);
}

static void test_methods_and_unknown(void **state)
{
    (void)state;
    http_route r;
    const char *allow = NULL;
    assert_int_equal(http_route_match("GET", "/v1/triage", &r, &allow), HTTP_ROUTE_BAD_METHOD);
    assert_string_equal(allow, "POST");
    assert_int_equal(http_route_match("DELETE", "/healthz", &r, &allow), HTTP_ROUTE_BAD_METHOD);
    assert_string_equal(allow, "GET");
    assert_int_equal(match("GET", "/healthz/", &r), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/", &r), HTTP_ROUTE_NOT_FOUND);
    assert_int_equal(match("GET", "/v2/alerts", &r), HTTP_ROUTE_NOT_FOUND);
}

static void test_long_segment_is_not_found(void **state)
{
    (void)state;
    http_route r;
    char path[600] = "/v1/cases/";
    memset(path + strlen(path), 'x', 400);
    path[410] = 0;
    assert_int_equal(match("GET", path, &r), HTTP_ROUTE_NOT_FOUND);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(http_route_name(ROUTE_TRIAGE), "triage");
    assert_string_equal(http_route_name(ROUTE_CASE_EXPLAIN), "case_explain");
    assert_string_equal(http_route_name(ROUTE_COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_paths),         cmocka_unit_test(test_case_paths),
        cmocka_unit_test(test_alert_ids),           cmocka_unit_test(test_methods_and_unknown),
        cmocka_unit_test(test_long_segment_is_not_found), cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
