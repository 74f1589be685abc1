/*
 * test_jsontext.c -- jsontext_dumps must write what json_dumps writes, byte
 * for byte, and fail where it fails; jsontext_loadb must build what
 * json_loadb builds, or fail with its error; strbuf_json_string must
 * escape as json_dumps does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsontext.h"
#include "strbuf.h"

static const size_t flag_sets[] = {
    JSON_COMPACT,
    JSON_COMPACT | JSON_SORT_KEYS,
    JSON_COMPACT | JSON_ENCODE_ANY,
    JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY,
};

/* Both writers on v with every flag set: the same text, or both NULL. */
static void assert_same(const json_t *v, const char *what)
{
    for (size_t f = 0; f < sizeof flag_sets / sizeof flag_sets[0]; f++) {
        char *want = json_dumps(v, flag_sets[f]);
        size_t len = 0;
        char *got = jsontext_dumps(v, flag_sets[f], &len);
        if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0)) {
            print_error("%s, flags %zx:\n  json_dumps:     %s\n  jsontext_dumps: %s\n", what,
                        flag_sets[f], want ? want : "(null)", got ? got : "(null)");
            fail();
        }
        if (got)
            assert_int_equal(len, strlen(got));
        /* jsontext_dump_append: the same text after what the buffer held,
         * or the buffer as it was */
        strbuf b = {0};
        strbuf_str(&b, "before");
        int rc = jsontext_dump_append(v, flag_sets[f], &b);
        assert_int_equal(rc, got ? 0 : -1);
        assert_int_equal(b.len, 6 + (got ? len : 0));
        assert_memory_equal(b.s, "before", 6);
        assert_string_equal(b.s + 6, got ? got : "");
        free(b.s);
        free(want);
        free(got);
    }
}

/* ---- random trees ------------------------------------------------------- */

static uint64_t seed = 88172645463325252u;

static uint64_t rng(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static const char *const words[] = {"a",           "b",
                                    "type",        "case_no",
                                    "民初",        "（2024）粤0703民初1号",
                                    "é",           "\n\t",
                                    "q\"b\\s",     "/x",
                                    "\x7f",        "\x01\x1f end",
                                    "𝄞 clef",      "",
                                    "zz",          "A",
                                    "aa",          "a b",
                                    "ab",          "长长长长长长长长长长长长长长长长",
                                    "\xe2\x80\xa8"};

static json_t *random_string(void)
{
    if (rng() % 2)
        return json_string(words[rng() % (sizeof words / sizeof words[0])]);
    char buf[64];
    size_t n = rng() % 40;
    for (size_t i = 0; i < n; i++) {
        unsigned r = (unsigned)(rng() % 6);
        buf[i] = r == 0   ? (char)(rng() % 32)
                 : r == 1 ? '"'
                 : r == 2 ? '\\'
                          : (char)(32 + rng() % 95);
        if (buf[i] == 0)
            buf[i] = 'x';
    }
    return json_stringn(buf, n);
}

static json_t *random_number(void)
{
    static const double reals[] = {0.1,  1e300, -0.0,   3.0,  1e16,          1e17, 5e-324,
                                   1e-5, 1e-4,  0x1p53, 1e22, 123456789.125, -2.5, 1.0 / 3};
    switch (rng() % 4) {
    case 0:
        return json_integer((json_int_t)rng());
    case 1:
        return json_integer((json_int_t)(rng() % 2001) - 1000);
    case 2:
        return json_real(reals[rng() % (sizeof reals / sizeof reals[0])]);
    default: {
        double d = (double)(rng() % 1000000) / 997.0 * pow(10, (double)(rng() % 61) - 30);
        return json_real(rng() % 2 ? d : -d);
    }
    }
}

static json_t *random_value(int depth)
{
    unsigned c = (unsigned)(rng() % (depth > 5 ? 6 : 9));
    switch (c) {
    case 0:
        return json_null();
    case 1:
        return json_boolean(rng() % 2);
    case 2:
    case 3:
        return random_number();
    case 4:
    case 5:
        return random_string();
    case 6: {
        json_t *a = json_array();
        size_t n = rng() % 6;
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        size_t n = rng() % (rng() % 8 == 0 ? 40 : 7); /* some wider than the sort's small path */
        for (size_t i = 0; i < n; i++) {
            json_t *k = random_string();
            if (rng() % 20 == 0) /* a key with a NUL byte inside */
                json_object_setn_new(o, "k\0nul", 5, random_value(depth + 1));
            else
                json_object_setn_new(o, json_string_value(k), json_string_length(k),
                                     random_value(depth + 1));
            json_decref(k);
        }
        return o;
    }
    }
}

static void random_trees_dump_alike(void **state)
{
    (void)state;
    for (int i = 0; i < 20000; i++) {
        json_t *v = random_value(0);
        char what[48];
        snprintf(what, sizeof what, "random tree %d", i);
        assert_same(v, what);
        json_decref(v);
    }
}

/* ---- edges -------------------------------------------------------------- */

static void edges_dump_alike(void **state)
{
    (void)state;
    json_t *v = json_object();
    assert_same(v, "empty object");
    json_object_set_new(v, "a", json_array());
    json_object_set_new(v, "", json_object());
    assert_same(v, "empty members");
    json_decref(v);
    /* not UTF-8: jansson refuses to dump it, so must this */
    v = json_pack("{s:o}", "bad", json_stringn_nocheck("ab\xff", 3));
    assert_same(v, "a string that is not UTF-8");
    json_decref(v);
    /* A key that is not UTF-8 (only the _nocheck setters make one):
     * json_dumps writes broken text (the key's opening quote, then ':'),
     * jsontext_dumps refuses. */
    v = json_object();
    json_object_set_new_nocheck(v, "\xc0\xaf", json_true());
    assert_null(jsontext_dumps(v, JSON_COMPACT, NULL));
    assert_null(jsontext_dumps(v, JSON_COMPACT | JSON_SORT_KEYS, NULL));
    json_decref(v);
    /* scalars: only with JSON_ENCODE_ANY */
    json_t *scalars[] = {json_null(), json_true(), json_integer(-9223372036854775807LL - 1),
                         json_real(1e-7), json_string("民\"")};
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        assert_same(scalars[i], "a scalar");
        json_decref(scalars[i]);
    }
    /* deep nesting */
    v = json_array();
    json_t *inner = v;
    for (int i = 0; i < 300; i++) {
        json_t *next = json_object();
        json_array_append_new(inner, next);
        inner = json_array();
        json_object_set_new(next, "x", inner);
    }
    assert_same(v, "300 levels");
    json_decref(v);
    /* a tree that contains itself */
    v = json_array();
    json_t *child = json_array();
    json_array_append(v, child);
    json_array_append(child, v);
    assert_null(jsontext_dumps(v, JSON_COMPACT, NULL));
    assert_null(json_dumps(v, JSON_COMPACT));
    json_array_clear(child);
    json_decref(child);
    json_decref(v);
    assert_null(jsontext_dumps(NULL, JSON_COMPACT | JSON_ENCODE_ANY, NULL));
}

/* Every line of the sample files, as ingest stores them. */
static void sample_records_dump_alike(void **state)
{
    (void)state;
    const char *files[] = {"examples/sample.jsonl", "examples/sample-su.jsonl"};
    const char *dir = getenv("COURTRULES_SOURCE_DIR");
    for (size_t f = 0; f < 2; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", files[f]);
        FILE *in = fopen(path, "r");
        assert_non_null(in);
        char *line = NULL;
        size_t cap = 0, n = 0;
        while (getline(&line, &cap, in) > 0) {
            json_t *v = json_loads(line, 0, NULL);
            assert_non_null(v);
            assert_same(v, path);
            json_decref(v);
            n++;
        }
        free(line);
        fclose(in);
        assert_true(n > 100);
    }
}

/* The other flags go to json_dumps. */
static void other_flags_go_to_json_dumps(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:i, s:[s]}", "b", 1, "a", "x/y");
    size_t flags[] = {JSON_INDENT(2), JSON_ESCAPE_SLASH | JSON_COMPACT,
                      JSON_ENSURE_ASCII | JSON_COMPACT, JSON_REAL_PRECISION(5)};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char *want = json_dumps(v, flags[i]), *got = jsontext_dumps(v, flags[i], NULL);
        assert_string_equal(got, want);
        free(want);
        free(got);
    }
    json_decref(v);
}

/* ---- loading ------------------------------------------------------------ */

/* Both loaders on the text, with and without JSON_REJECT_DUPLICATES: the
 * same tree (same text when dumped, keys in the same order), or both NULL
 * with the same error. */
static void assert_loads_alike(const char *text, size_t len, const char *what)
{
    const size_t flags[] = {0, JSON_REJECT_DUPLICATES};
    for (size_t f = 0; f < 2; f++) {
        json_error_t e1, e2;
        json_t *want = json_loadb(text, len, flags[f], &e1);
        json_t *got = jsontext_loadb(text, len, flags[f], &e2);
        char *dw = want ? json_dumps(want, JSON_COMPACT) : NULL;
        char *dg = got ? json_dumps(got, JSON_COMPACT) : NULL;
        int same = (want == NULL) == (got == NULL) &&
                   (want ? json_equal(want, got) && strcmp(dw, dg) == 0
                         : strcmp(e1.text, e2.text) == 0 && e1.position == e2.position &&
                               e1.line == e2.line && e1.column == e2.column);
        if (!same) {
            print_error("%s (flags %zx): %.*s\n  json_loadb:     %s\n  jsontext_loadb: %s\n", what,
                        flags[f], (int)(len > 200 ? 200 : len), text, want ? dw : e1.text,
                        got ? dg : e2.text);
            fail();
        }
        free(dw);
        free(dg);
        json_decref(want);
        json_decref(got);
    }
}

static void random_texts_load_alike(void **state)
{
    (void)state;
    for (int i = 0; i < 20000; i++) {
        json_t *v = random_value(0);
        char *text = json_dumps(v, JSON_ENCODE_ANY | (i % 2 ? JSON_COMPACT : JSON_INDENT(1)));
        char what[48];
        snprintf(what, sizeof what, "random text %d", i);
        if (text)
            assert_loads_alike(text, strlen(text), what);
        free(text);
        json_decref(v);
    }
}

static void odd_texts_load_alike(void **state)
{
    (void)state;
    static const char *const texts[] = {"",
                                        " ",
                                        "{}",
                                        "[]",
                                        " {\"a\" : [1, 2.5, -0, -0.0, 1e5, 1E-5, 1.5e+3]} \n",
                                        "{\"a\":1,\"a\":2}",
                                        "{\"b\":1,\"a\":2,\"b\":3}",
                                        "[01]",
                                        "[1.]",
                                        "[.5]",
                                        "[1e]",
                                        "[-]",
                                        "[+1]",
                                        "[1e400]",
                                        "[-1e400]",
                                        "[1e-400]",
                                        "[9223372036854775807]",
                                        "[9223372036854775808]",
                                        "[-9223372036854775808]",
                                        "[-9223372036854775809]",
                                        "[\"\\u0000\"]",
                                        "[\"\\ud834\\udd1e\"]",
                                        "[\"\\ud834\"]",
                                        "[\"\\udd1e\"]",
                                        "[\"\\u00e9\\u4e2d\\u002F\\/\\b\\f\\n\\r\\t\\\"\\\\\"]",
                                        "[\"\\x\"]",
                                        "[\"\\u12\"]",
                                        "[\"\\u12g4\"]",
                                        "[\"a\tb\"]",
                                        "[\"\xff\"]",
                                        "[\"\xe4\xb8\"]",
                                        "[\"\xed\xa0\x80\"]",
                                        "{\"\xc0\xaf\":1}",
                                        "[true,false,null]",
                                        "[tru]",
                                        "[nul]",
                                        "[1,]",
                                        "[,1]",
                                        "{\"a\"}",
                                        "{\"a\":}",
                                        "{\"a\":1,}",
                                        "{1:2}",
                                        "[1] [2]",
                                        "[1]x",
                                        "\xef\xbb\xbf[1]",
                                        "[\"unterminated",
                                        "[[[[",
                                        "]",
                                        "1",
                                        "\"s\"",
                                        "null",
                                        "[1 2]",
                                        "{\"a\" \"b\"}",
                                        "[\"\\uD834\\uDD1E\"]",
                                        "\v[1]",
                                        "[1]\f",
                                        "[-01]",
                                        "[0e1]",
                                        "[0.0e-0]"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        assert_loads_alike(texts[i], strlen(texts[i]), texts[i]);
    /* a NUL byte inside the text */
    assert_loads_alike("[1,\0 2]", 6, "a NUL byte");
    assert_loads_alike("[\"a\0b\"]", 7, "a NUL byte in a string");
    /* deep nesting: handed to json_loadb past 512 levels, which refuses past 2,048 */
    for (int depth = 500; depth <= 2100; depth += 800) {
        char *t = malloc((size_t)depth * 2 + 1);
        memset(t, '[', (size_t)depth);
        memset(t + depth, ']', (size_t)depth);
        t[depth * 2] = '\0';
        assert_loads_alike(t, (size_t)depth * 2, "deep nesting");
        free(t);
    }
}

/* Every sample line, then each changed a little: a byte replaced, removed
 * or doubled at a random place. */
static void mutated_samples_load_alike(void **state)
{
    (void)state;
    const char *dir = getenv("COURTRULES_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/sample.jsonl", dir ? dir : ".");
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char *line = NULL, buf[8192];
    size_t cap = 0;
    ssize_t n;
    static const char bytes[] = "{}[],:\"\\ 0123456789.eE+-tfnu\x01\x80\xff";
    while ((n = getline(&line, &cap, in)) > 0) {
        assert_loads_alike(line, (size_t)n, "a sample line");
        for (int k = 0; k < 8 && n > 2 && (size_t)n < sizeof buf - 2; k++) {
            size_t at = rng() % (size_t)n, len = (size_t)n;
            memcpy(buf, line, len);
            switch (rng() % 3) {
            case 0:
                buf[at] = bytes[rng() % (sizeof bytes - 1)];
                break;
            case 1:
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            default:
                memmove(buf + at + 1, buf + at, len - at);
                len++;
            }
            assert_loads_alike(buf, len, "a mutated sample line");
        }
    }
    free(line);
    fclose(in);
}

/* Ordinary records are parsed by jsontext_loadb itself, not handed to
 * json_loadb (which would make every test above pass while saving nothing):
 * json_loadb always writes its error's source, the fast path never does. */
static void sample_records_take_the_fast_path(void **state)
{
    (void)state;
    const char *dir = getenv("COURTRULES_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/sample-su.jsonl", dir ? dir : ".");
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char *line = NULL;
    size_t cap = 0, n = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, in)) > 0) {
        json_error_t e;
        snprintf(e.source, sizeof e.source, "untouched");
        json_t *v = jsontext_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &e);
        assert_non_null(v);
        assert_string_equal(e.source, "untouched");
        json_decref(v);
        n++;
    }
    free(line);
    fclose(in);
    assert_true(n > 100);
}

/* strbuf_json_string escapes as json_dumps does. */
static void strbuf_strings_as_json_dumps(void **state)
{
    (void)state;
    for (int i = 0; i < 5000; i++) {
        json_t *s = random_string();
        char *want = json_dumps(s, JSON_ENCODE_ANY);
        strbuf b = {0};
        strbuf_json_string(&b, json_string_value(s));
        char *got = strbuf_take(&b);
        if (strlen(json_string_value(s)) == json_string_length(s)) /* no NUL inside */
            assert_string_equal(got, want);
        free(got);
        free(want);
        json_decref(s);
    }
}

/* jsontext_utf8_sequence against the well-formed byte sequences of RFC
 * 3629 (the Unicode standard's table 3-7), for every lead and first two
 * continuation bytes, with and without a fourth byte to read (its one-load
 * test for three-byte sequences), and for four-byte sequences around the
 * limits. */
static const struct {
    unsigned char lead_lo, lead_hi, second_lo, second_hi;
    size_t n;
} well_formed[] = {
    {0xC2, 0xDF, 0x80, 0xBF, 2}, {0xE0, 0xE0, 0xA0, 0xBF, 3}, {0xE1, 0xEC, 0x80, 0xBF, 3},
    {0xED, 0xED, 0x80, 0x9F, 3}, {0xEE, 0xEF, 0x80, 0xBF, 3}, {0xF0, 0xF0, 0x90, 0xBF, 4},
    {0xF1, 0xF3, 0x80, 0xBF, 4}, {0xF4, 0xF4, 0x80, 0x8F, 4},
};

static size_t utf8_reference(const unsigned char *s, size_t avail)
{
    if (s[0] < 0x80)
        return 1;
    for (size_t k = 0; k < sizeof well_formed / sizeof *well_formed; k++) {
        if (s[0] < well_formed[k].lead_lo || s[0] > well_formed[k].lead_hi)
            continue;
        size_t n = well_formed[k].n, i = 2;
        if (avail < n || s[1] < well_formed[k].second_lo || s[1] > well_formed[k].second_hi)
            return 0;
        while (i < n && s[i] >= 0x80 && s[i] <= 0xBF)
            i++;
        return i == n ? n : 0;
    }
    return 0;
}

static void utf8_sequence_as_rfc3629(void **state)
{
    (void)state;
    unsigned char s[4];
    for (unsigned a = 0x80; a < 0x100; a++)
        for (unsigned b = 0; b < 0x100; b++)
            for (unsigned c = 0; c < 0x100; c++)
                for (size_t avail = 1; avail <= 4; avail++) {
                    s[0] = (unsigned char)a, s[1] = (unsigned char)b, s[2] = (unsigned char)c;
                    s[3] = (unsigned char)(c ^ b ^ 0x80); /* continuation or not */
                    size_t got = jsontext_utf8_sequence(s, avail), want = utf8_reference(s, avail);
                    if (got != want) {
                        print_error("%02x %02x %02x %02x, %zu available: %zu, expected %zu\n", a, b,
                                    c, s[3], avail, got, want);
                        fail();
                    }
                }
    for (unsigned a = 0xF0; a < 0xF8; a++)
        for (unsigned b = 0x70; b < 0xD0; b++)
            for (unsigned d = 0x70; d < 0xD0; d++) {
                s[0] = (unsigned char)a, s[1] = (unsigned char)b, s[2] = 0x80,
                s[3] = (unsigned char)d;
                assert_int_equal(jsontext_utf8_sequence(s, 4), utf8_reference(s, 4));
            }
}

/* jsontext_plain_run against a byte-at-a-time reading of its contract:
 * every special byte and every bad sequence at every offset of a word,
 * after ASCII and after CJK text, with and without the UTF-8 check; and
 * jsontext_utf8_valid on the same texts. */
static size_t plain_run_bytewise(const unsigned char *s, size_t len, size_t i, int check_utf8)
{
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x20 || c == '"' || c == '\\')
            return i;
        size_t n = c < 0x80 || !check_utf8 ? 1 : jsontext_utf8_sequence(s + i, len - i);
        if (!n)
            return (size_t)-1;
        i += n;
    }
    return len;
}

static void plain_run_stops_where_bytewise_does(void **state)
{
    (void)state;
    static const char *const prefixes[] = {"", "abcdefghijklmnopqrstuvw", "民初长长长长长长",
                                           "a民b初cd长e"};
    static const char *const inserts[] = {
        "\"",          "\\",   "\n",   "\x01",     "\x7f",
        "/",           "\xff", "\x80", "\xe4\xb8", "\xed\xa0\x80",
        "\xc0\xaf",    "民",   "é",    "😀",        "\xf4\x90\x80\x80",
        "\xe0\xa0\x80"};
    unsigned char buf[96];
    for (size_t p = 0; p < sizeof prefixes / sizeof *prefixes; p++)
        for (size_t k = 0; k < sizeof inserts / sizeof *inserts; k++)
            for (size_t cut = 0; cut <= strlen(prefixes[p]); cut++)
                for (size_t tail = 0; tail < 12; tail++) {
                    size_t len = cut, n = strlen(inserts[k]);
                    memcpy(buf, prefixes[p], cut);
                    memcpy(buf + len, inserts[k], n);
                    len += n;
                    memset(buf + len, 'z', tail);
                    len += tail;
                    int valid = 1;
                    for (size_t i = 0, step; valid && i < len; i += step)
                        valid = (step = utf8_reference(buf + i, len - i)) != 0;
                    assert_int_equal(jsontext_utf8_valid(buf, len), valid);
                    for (size_t from = 0; from <= cut; from++)
                        for (int check = 0; check < 2; check++) {
                            size_t got = jsontext_plain_run(buf, len, from, check),
                                   want = plain_run_bytewise(buf, len, from, check);
                            if (got != want) {
                                print_error("prefix %zu cut %zu insert %zu tail %zu from %zu "
                                            "check %d: %zd, expected %zd\n",
                                            p, cut, k, tail, from, check, (ssize_t)got,
                                            (ssize_t)want);
                                fail();
                            }
                        }
                }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_trees_dump_alike),
        cmocka_unit_test(edges_dump_alike),
        cmocka_unit_test(sample_records_dump_alike),
        cmocka_unit_test(other_flags_go_to_json_dumps),
        cmocka_unit_test(strbuf_strings_as_json_dumps),
        cmocka_unit_test(plain_run_stops_where_bytewise_does),
        cmocka_unit_test(utf8_sequence_as_rfc3629),
        cmocka_unit_test(random_texts_load_alike),
        cmocka_unit_test(odd_texts_load_alike),
        cmocka_unit_test(mutated_samples_load_alike),
        cmocka_unit_test(sample_records_take_the_fast_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
