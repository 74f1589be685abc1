/* Unit tests for host/webhook.c: the Standard Webhooks test vector, rotation
 * signatures, secrets, durations, retry schedules and outcomes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "webhook.h"

/* The reference vector published with the Standard Webhooks specification
 * (its libraries' "sign function works" test). */
#define SPEC_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SPEC_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SPEC_TS 1614265330
#define SPEC_BODY "{\"test\": 2432232314}"
#define SPEC_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static void test_spec_vector(void **state)
{
    (void)state;
    const char *secrets[2] = {SPEC_SECRET, NULL};
    char sig[WEBHOOK_SIGNATURE_MAX];
    cr_err err;
    assert_int_equal(webhook_sign(secrets, SPEC_ID, SPEC_TS, SPEC_BODY, strlen(SPEC_BODY), sig,
                                  &err),
                     CR_OK);
    assert_string_equal(sig, SPEC_SIG);
    assert_true(webhook_verify(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY, strlen(SPEC_BODY),
                               SPEC_SIG));
}

/* The specification's verification cases: a changed id, timestamp or body,
 * or another secret, fails; a header with several signatures passes when one
 * matches. */
static void test_spec_verify_failures(void **state)
{
    (void)state;
    size_t n = strlen(SPEC_BODY);
    assert_false(webhook_verify(SPEC_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJeK", SPEC_TS, SPEC_BODY,
                                n, SPEC_SIG));
    assert_false(webhook_verify(SPEC_SECRET, SPEC_ID, SPEC_TS + 1, SPEC_BODY, n, SPEC_SIG));
    assert_false(webhook_verify(SPEC_SECRET, SPEC_ID, SPEC_TS, "{\"test\": 2432232315}", n,
                                SPEC_SIG));
    assert_false(webhook_verify("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", SPEC_ID, SPEC_TS,
                                SPEC_BODY, n, SPEC_SIG));
    assert_true(webhook_verify(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY, n,
                               "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " SPEC_SIG));
    assert_true(webhook_verify(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY, n,
                               "v2,abc " SPEC_SIG " v1,xyz"));
    assert_false(webhook_verify(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY, n,
                                "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    assert_false(webhook_verify(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY, n, ""));
}

/* During a rotation both secrets sign; a receiver with either one accepts. */
static void test_rotation_signs_with_both(void **state)
{
    (void)state;
    char fresh[WEBHOOK_SECRET_MAX];
    cr_err err;
    assert_int_equal(webhook_secret_generate(fresh, &err), CR_OK);
    const char *secrets[2] = {fresh, SPEC_SECRET};
    char sig[WEBHOOK_SIGNATURE_MAX];
    assert_int_equal(webhook_sign(secrets, SPEC_ID, SPEC_TS, SPEC_BODY, strlen(SPEC_BODY), sig,
                                  &err),
                     CR_OK);
    assert_non_null(strstr(sig, " " SPEC_SIG));
    assert_true(webhook_verify(fresh, SPEC_ID, SPEC_TS, SPEC_BODY, strlen(SPEC_BODY), sig));
    assert_true(webhook_verify(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY, strlen(SPEC_BODY), sig));
}

/* A signer that keeps keys signs exactly as webhook_sign: the same secret
 * again (its key reused), a rotation, more secrets than it keeps (the
 * oldest forgotten and made again), a raw secret, and a bad one refused. */
static void test_signer_signs_as_webhook_sign(void **state)
{
    (void)state;
    webhook_signer *signer = webhook_signer_new();
    assert_non_null(signer);
    char fresh[12][WEBHOOK_SECRET_MAX];
    cr_err err;
    for (int i = 0; i < 12; i++)
        assert_int_equal(webhook_secret_generate(fresh[i], &err), CR_OK);
    const char *pairs[][2] = {
        {SPEC_SECRET, NULL}, {SPEC_SECRET, NULL},    {fresh[0], SPEC_SECRET},
        {SPEC_SECRET, NULL}, {"SECraw-robot", NULL}, {fresh[1], fresh[2]},
    };
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
            char want[WEBHOOK_SIGNATURE_MAX], got[WEBHOOK_SIGNATURE_MAX];
            int64_t ts = SPEC_TS + (int64_t)i;
            assert_int_equal(
                webhook_sign(pairs[i], SPEC_ID, ts, SPEC_BODY, strlen(SPEC_BODY), want, &err),
                CR_OK);
            assert_int_equal(webhook_signer_sign(signer, pairs[i], SPEC_ID, ts, SPEC_BODY,
                                                 strlen(SPEC_BODY), got, &err),
                             CR_OK);
            assert_string_equal(got, want);
        }
        for (int i = 0; i < 12; i++) { /* more secrets than the signer keeps */
            const char *one[2] = {fresh[i], NULL};
            char got[WEBHOOK_SIGNATURE_MAX];
            assert_int_equal(webhook_signer_sign(signer, one, SPEC_ID, SPEC_TS, SPEC_BODY,
                                                 strlen(SPEC_BODY), got, &err),
                             CR_OK);
            assert_true(
                webhook_verify(fresh[i], SPEC_ID, SPEC_TS, SPEC_BODY, strlen(SPEC_BODY), got));
        }
    }
    const char *first[2] = {SPEC_SECRET, NULL};
    char sig[WEBHOOK_SIGNATURE_MAX];
    assert_int_equal(webhook_signer_sign(signer, first, SPEC_ID, SPEC_TS, SPEC_BODY,
                                         strlen(SPEC_BODY), sig, &err),
                     CR_OK);
    assert_string_equal(sig, SPEC_SIG);
    const char *bad[2] = {"whsec_not base64!", NULL};
    assert_int_equal(
        webhook_signer_sign(signer, bad, SPEC_ID, SPEC_TS, SPEC_BODY, strlen(SPEC_BODY), sig, &err),
        CR_INVALID);
    webhook_signer_free(signer);
}

static void test_secrets(void **state)
{
    (void)state;
    char a[WEBHOOK_SECRET_MAX], b[WEBHOOK_SECRET_MAX];
    cr_err err;
    assert_int_equal(webhook_secret_generate(a, &err), CR_OK);
    assert_int_equal(webhook_secret_generate(b, &err), CR_OK);
    assert_int_equal(strncmp(a, "whsec_", 6), 0);
    assert_int_equal(strlen(a), 6 + 44);
    assert_string_not_equal(a, b);
    unsigned char key[64];
    size_t len = 0;
    assert_int_equal(webhook_secret_key(a, key, sizeof key, &len, &err), CR_OK);
    assert_int_equal(len, 32);
    /* 钉钉/飞书 robot secrets are used as they are */
    assert_int_equal(webhook_secret_key("SECabc", key, sizeof key, &len, &err), CR_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(key, "SECabc", 6);
    assert_int_equal(webhook_secret_key("whsec_not base64!", key, sizeof key, &len, &err),
                     CR_INVALID);
    assert_non_null(strstr(err.msg, "base64"));
    assert_int_equal(webhook_secret_key("", key, sizeof key, &len, &err), CR_INVALID);
}

static void test_message_ids_are_distinct(void **state)
{
    (void)state;
    char a[WEBHOOK_MSG_ID_LEN + 1], b[WEBHOOK_MSG_ID_LEN + 1];
    assert_int_equal(webhook_message_id(a, NULL), CR_OK);
    assert_int_equal(webhook_message_id(b, NULL), CR_OK);
    assert_int_equal(strlen(a), 30);
    assert_int_equal(strncmp(a, "msg_", 4), 0);
    assert_string_not_equal(a, b);
}

/* Derived ids: the same rows give the same id (a message lost to a power
 * cut is made again under its id); other rows, endpoint or database differ. */
static void test_derived_message_ids(void **state)
{
    (void)state;
    int64_t rows[] = {7, 8, 9};
    char a[WEBHOOK_MSG_ID_LEN + 1], b[WEBHOOK_MSG_ID_LEN + 1];
    webhook_message_id_for("00ff", 1, rows, 3, a);
    webhook_message_id_for("00ff", 1, rows, 3, b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 30);
    assert_int_equal(strncmp(a, "msg_", 4), 0);
    webhook_message_id_for("00ff", 1, rows, 2, b);
    assert_string_not_equal(a, b);
    webhook_message_id_for("00ff", 2, rows, 3, b);
    assert_string_not_equal(a, b);
    webhook_message_id_for("00fe", 1, rows, 3, b);
    assert_string_not_equal(a, b);
    int64_t split[] = {78, 9}; /* "/7/89" must not collide with "/78/9" */
    int64_t joined[] = {7, 89};
    webhook_message_id_for("x", 1, split, 2, a);
    webhook_message_id_for("x", 1, joined, 2, b);
    assert_string_not_equal(a, b);
    /* ids already stored must come out the same from every later build:
     * the hash of "<instance>/<endpoint>/<row>/<row>..." */
    int64_t wide[] = {INT64_MAX, -3, 0};
    webhook_message_id_for("0123456789abcdef0123456789abcdef", 42, wide, 3, a);
    assert_string_equal(a, "msg_pbqkjmxktmf4nd66tk6gn6cwsx");
}

static void test_base64(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(webhook_base64_encode((const unsigned char *)"ab", 2, out), 4);
    assert_string_equal(out, "YWI=");
    unsigned char raw[8];
    assert_int_equal(webhook_base64_decode("YWI=", 4, raw, sizeof raw), 2);
    assert_memory_equal(raw, "ab", 2);
    assert_int_equal(webhook_base64_decode("YWJj", 4, raw, sizeof raw), 3);
    assert_int_equal(webhook_base64_decode("YW=I", 4, raw, sizeof raw), -1);
    assert_int_equal(webhook_base64_decode("YWI", 3, raw, sizeof raw), -1);
    assert_int_equal(webhook_base64_decode("YW*=", 4, raw, sizeof raw), -1);
}

static void test_durations(void **state)
{
    (void)state;
    int64_t ms;
    cr_err err;
    assert_int_equal(webhook_parse_duration("500ms", &ms, &err), CR_OK);
    assert_true(ms == 500);
    assert_int_equal(webhook_parse_duration("5m", &ms, &err), CR_OK);
    assert_true(ms == 300000);
    assert_int_equal(webhook_parse_duration("1d", &ms, &err), CR_OK);
    assert_true(ms == 86400000);
    assert_int_equal(webhook_parse_duration("0", &ms, &err), CR_OK);
    assert_true(ms == 0);
    const char *bad[] = {"", "5", "5x", "-5s", "s", "5 s", "0s", "99999999999999999999d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(webhook_parse_duration(bad[i], &ms, &err), CR_INVALID);
        assert_non_null(strstr(err.msg, "duration"));
    }
}

static void test_schedule(void **state)
{
    (void)state;
    webhook_schedule s;
    cr_err err;
    assert_int_equal(webhook_parse_schedule(WEBHOOK_DEFAULT_RETRY_SCHEDULE, &s, &err), CR_OK);
    assert_int_equal(s.n, 7);
    int64_t total = 0;
    for (int i = 0; i < s.n; i++)
        total += s.delay_ms[i];
    /* "spanning about a day" */
    assert_true(total > 20 * 3600000LL && total < 36 * 3600000LL);
    /* jitter stays within [0.8, 1.2) of the schedule */
    assert_true(webhook_next_delay(&s, 1, 0, 0) == 4000);
    assert_true(webhook_next_delay(&s, 1, 0, UINT32_MAX) < 6000);
    assert_true(webhook_next_delay(&s, 1, 0, UINT32_MAX) >= 5999);
    /* Retry-After wins when longer, not when shorter */
    assert_true(webhook_next_delay(&s, 1, 60000, 0) == 60000);
    assert_true(webhook_next_delay(&s, 2, 1000, 1u << 31) == 300000);
    /* after the last retry: dead */
    assert_true(webhook_next_delay(&s, 8, 0, 0) == -1);
    assert_int_equal(webhook_parse_schedule("", &s, &err), CR_OK);
    assert_int_equal(s.n, 0);
    assert_true(webhook_next_delay(&s, 1, 0, 0) == -1);
    assert_int_equal(webhook_parse_schedule("5s,,5m", &s, &err), CR_INVALID);
    assert_non_null(strstr(err.msg, "entry 2 is empty"));
    assert_int_equal(webhook_parse_schedule("5s,5q", &s, &err), CR_INVALID);
    assert_non_null(strstr(err.msg, "entry 2"));
}

static void test_classify(void **state)
{
    (void)state;
    assert_int_equal(webhook_classify(200), WEBHOOK_DELIVERED);
    assert_int_equal(webhook_classify(204), WEBHOOK_DELIVERED);
    assert_int_equal(webhook_classify(0), WEBHOOK_RETRY);
    assert_int_equal(webhook_classify(408), WEBHOOK_RETRY);
    assert_int_equal(webhook_classify(429), WEBHOOK_RETRY);
    assert_int_equal(webhook_classify(500), WEBHOOK_RETRY);
    assert_int_equal(webhook_classify(503), WEBHOOK_RETRY);
    assert_int_equal(webhook_classify(400), WEBHOOK_REJECTED);
    assert_int_equal(webhook_classify(404), WEBHOOK_REJECTED);
    assert_int_equal(webhook_classify(301), WEBHOOK_REJECTED);
    assert_int_equal(webhook_classify(410), WEBHOOK_GONE);
    assert_string_equal(webhook_outcome_name(WEBHOOK_GONE), "gone");
    assert_int_equal(webhook_severity_rank("warning"), 1);
    assert_int_equal(webhook_severity_rank("fatal"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_vector),
        cmocka_unit_test(test_spec_verify_failures),
        cmocka_unit_test(test_rotation_signs_with_both),
        cmocka_unit_test(test_signer_signs_as_webhook_sign),
        cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_message_ids_are_distinct),
        cmocka_unit_test(test_derived_message_ids),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
