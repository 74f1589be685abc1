/* Unit tests for host/cli.c: display width, padded cells, option values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void test_width_ascii(void **state)
{
    (void)state;
    assert_int_equal(cli_display_width(""), 0);
    assert_int_equal(cli_display_width(NULL), 0);
    assert_int_equal(cli_display_width("a"), 1);
    assert_int_equal(cli_display_width("4C-MASS"), 7);
    assert_int_equal(cli_display_width("(2024)"), 6);
    assert_int_equal(cli_display_width("tab\there"), 8); /* a control byte prints as a space */
}

static void test_width_cjk(void **state)
{
    (void)state;
    assert_int_equal(cli_display_width("粤"), 2);
    assert_int_equal(cli_display_width("粤0703"), 6);
    assert_int_equal(cli_display_width("案号"), 4);
    assert_int_equal(cli_display_width("民间借贷纠纷"), 12);
    assert_int_equal(cli_display_width("法律依据："), 10);       /* ： U+FF1A */
    assert_int_equal(cli_display_width("法发〔2020〕26号"), 16); /* 〔〕 U+3014/5 */
    assert_int_equal(cli_display_width("\xe3\x80\x80"), 2);      /* ideographic space */
    assert_int_equal(cli_display_width("한국"), 4);              /* Hangul */
    assert_int_equal(cli_display_width("カナ"), 4);              /* katakana */
    assert_int_equal(cli_display_width("\xf0\xa0\x80\x80"), 2);  /* U+20000, plane 2 */
    assert_int_equal(cli_display_width("\xf0\x9f\x98\x80"), 2);  /* U+1F600 emoji */
    assert_int_equal(cli_display_width("\xef\xbd\xa1"), 1);      /* U+FF61 half-width 。 */
    assert_int_equal(cli_display_width("\xc3\xa9"), 1);          /* é */
    assert_int_equal(cli_display_width("\xe2\x80\x94"), 1);      /* — U+2014, ambiguous */
}

static void test_width_fullwidth_parentheses(void **state)
{
    (void)state;
    assert_int_equal(cli_display_width("（"), 2);
    assert_int_equal(cli_display_width("）"), 2);
    assert_int_equal(cli_display_width("（2024）"), 8);
    /* The same 案号 written both ways differs by two columns. */
    assert_int_equal(cli_display_width("(2024)粤0703民初1234号"), 6 + 6 + 4 + 4 + 2);
    assert_int_equal(cli_display_width("（2024）粤0703民初1234号"), 8 + 6 + 4 + 4 + 2);
    assert_int_equal(cli_display_width("（2014）粤高法民一终字第123号"), 8 + 16 + 3 + 2);
}

static void test_width_mixed(void **state)
{
    (void)state;
    assert_int_equal(cli_display_width("MESSAGE / 法律依据"), 10 + 8);
    assert_int_equal(cli_display_width("a粤b"), 4);
    assert_int_equal(cli_display_width("群体性 x3"), 9);
}

static void test_width_invalid_utf8(void **state)
{
    (void)state;
    /* Every stray byte counts one column (a replacement character); nothing
     * is read past the NUL even when a sequence is cut short by it. */
    assert_int_equal(cli_display_width("\xff"), 1);
    assert_int_equal(cli_display_width("\xfe\xff"), 2);
    assert_int_equal(cli_display_width("\x80"), 1);     /* lone continuation */
    assert_int_equal(cli_display_width("\xe7\xb2"), 2); /* 粤 cut short at the end */
    assert_int_equal(cli_display_width("\xe7\xb2"
                                       "a"),
                     3);                                        /* ... and before 'a' */
    assert_int_equal(cli_display_width("\xf0\x9f\x98"), 3);     /* 4-byte sequence cut short */
    assert_int_equal(cli_display_width("\xc0\xaf"), 2);         /* overlong '/' */
    assert_int_equal(cli_display_width("\xe0\x80\xaf"), 3);     /* overlong, 3 bytes */
    assert_int_equal(cli_display_width("\xed\xa0\x80"), 3);     /* a UTF-16 surrogate */
    assert_int_equal(cli_display_width("\xf4\x90\x80\x80"), 4); /* above U+10FFFF */
    assert_int_equal(cli_display_width("ok\xff粤"), 5);         /* resynchronizes */

    /* The cut-short sequence at the very end of a heap buffer: ASan would
     * catch a read past it. */
    char *tail = malloc(3);
    assert_non_null(tail);
    memcpy(tail, "\xf0\x9f", 2);
    tail[2] = '\0';
    assert_int_equal(cli_display_width(tail), 2);
    free(tail);
}

/* Runs cli_print_padded or cli_print_text into a memory stream and returns
 * what it wrote (caller frees). */
static char *capture_padded(const char *s, int columns)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    cli_print_padded(f, s, columns);
    fclose(f);
    return buf;
}

static char *capture_text(const char *s, const char *indent)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    cli_print_text(f, s, indent);
    fclose(f);
    return buf;
}

static void expect_padded(const char *s, int columns, const char *want)
{
    char *got = capture_padded(s, columns);
    assert_string_equal(got, want);
    free(got);
}

static void test_print_padded(void **state)
{
    (void)state;
    expect_padded("abc", 6, "abc   ");
    expect_padded("粤07", 6, "粤07  ");          /* 4 columns, 6 bytes: printf would add none */
    expect_padded("（2024）", 10, "（2024）  "); /* 8 columns */
    expect_padded("民间借贷纠纷", 8, "民间借贷纠纷"); /* wider than the cell: no cut, no pad */
    expect_padded("", 3, "   ");
    expect_padded("x", 0, "x");
    expect_padded("x", -4, "x");
    expect_padded("a\nb\x7f", 5, "a b  ");
    expect_padded(NULL, 2, "  ");
}

static void test_print_text(void **state)
{
    (void)state;
    char *got = capture_text("line 1\nline 2\n", "    ");
    assert_string_equal(got, "line 1\n    line 2 "); /* a final newline prints as a space */
    free(got);
    got = capture_text("a\nb\tc\r", NULL);
    assert_string_equal(got, "a b c ");
    free(got);
    got = capture_text("依据：\n第1条", "  ");
    assert_string_equal(got, "依据：\n  第1条");
    free(got);
}

static void test_option_value(void **state)
{
    (void)state;
    char *argv[] = {"alerts", "--court", "粤07", "--code=4C-*", "--courtx", "--status", NULL};
    int argc = 6;
    const char *v = NULL;
    int i = 1;
    assert_int_equal(cli_option_value(argc, argv, &i, "--court", &v), 1);
    assert_string_equal(v, "粤07");
    assert_int_equal(i, 2);
    i = 3;
    assert_int_equal(cli_option_value(argc, argv, &i, "--court", &v), 0);
    assert_int_equal(cli_option_value(argc, argv, &i, "--code", &v), 1);
    assert_string_equal(v, "4C-*");
    assert_int_equal(i, 3);
    i = 4;
    assert_int_equal(cli_option_value(argc, argv, &i, "--court", &v), 0); /* "--courtx" */
    i = 5;
    assert_int_equal(cli_option_value(argc, argv, &i, "--status", &v), -1); /* no value */
    assert_int_equal(i, 5);
}

/* One number parser for every command's numeric options. */
static void test_parse_int(void **state)
{
    (void)state;
    int64_t n = 7;
    assert_int_equal(cli_parse_int("256", 1, 256, &n), 0);
    assert_true(n == 256);
    assert_int_equal(cli_parse_int("1", 1, 256, &n), 0);
    assert_true(n == 1);
    const char *bad[] = {"", "0", "257", "-1", "+5", " 5", "5 ", "5x", "0x10",
                         "99999999999999999999"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        n = 7;
        assert_int_equal(cli_parse_int(bad[k], 1, 256, &n), -1);
        assert_true(n == 7);
    }
    assert_int_equal(cli_parse_int(NULL, 1, 2, &n), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width_ascii),
        cmocka_unit_test(test_width_cjk),
        cmocka_unit_test(test_width_fullwidth_parentheses),
        cmocka_unit_test(test_width_mixed),
        cmocka_unit_test(test_width_invalid_utf8),
        cmocka_unit_test(test_print_padded),
        cmocka_unit_test(test_print_text),
        cmocka_unit_test(test_option_value),
        cmocka_unit_test(test_parse_int),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
