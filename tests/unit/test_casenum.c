/* Unit tests for host/casenum.c: 案号 and 法院代字 grammar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "casenum.h"

/* Parses s, which must succeed, and checks every field. */
static void check_ok(const char *s, int year, const char *court, const char *special,
                     const char *type, long long seq, int old_style)
{
    cr_casenum cn;
    char why[256] = "";
    int rc = casenum_parse(s, &cn, why, sizeof why);
    if (rc != 0)
        print_error("casenum_parse(\"%s\") failed: %s\n", s, why);
    assert_int_equal(rc, 0);
    assert_int_equal(cn.year, year);
    assert_string_equal(cn.court, court);
    assert_string_equal(cn.special, special);
    assert_string_equal(cn.type_code, type);
    assert_int_equal(cn.seq, seq);
    assert_int_equal(cn.old_style, old_style);
}

/* Parses s, which must fail with a reason containing want; out is untouched. */
static void check_bad(const char *s, const char *want)
{
    cr_casenum cn;
    memset(&cn, 0x5a, sizeof cn);
    char why[256] = "";
    int rc = casenum_parse(s, &cn, why, sizeof why);
    if (rc == 0 || !strstr(why, want))
        print_error("casenum_parse(\"%s\"): rc %d, why \"%s\", wanted \"%s\"\n", s ? s : "(null)",
                    rc, why, want);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(why, want));
    assert_int_equal(((unsigned char *)&cn)[0], 0x5a);
}

static void test_domain_examples(void **state)
{
    (void)state;
    check_ok("(2024)粤0703民初1234号", 2024, "粤0703", "", "民初", 1234, 0);
    check_ok("(2017)京04民终367号", 2017, "京04", "", "民终", 367, 0);
    check_ok("(2016)最高法民再98号", 2016, "最高法", "", "民再", 98, 0);
    check_ok("（2019）最高法知民终1号", 2019, "最高法", "知", "民终", 1, 0);
}

static void test_parentheses(void **state)
{
    (void)state;
    check_ok("（2024）粤0703民初1号", 2024, "粤0703", "", "民初", 1, 0);
    check_ok("(2024）粤0703民初1号", 2024, "粤0703", "", "民初", 1, 0);
    check_ok("（2024)粤0703民初1号", 2024, "粤0703", "", "民初", 1, 0);
    check_bad("〔2024〕粤0703民初1号", "bad parentheses");
    check_bad("[2024]粤0703民初1号", "bad parentheses");
    check_bad("2024粤0703民初1号", "bad parentheses");
    check_bad("(2024粤0703民初1号", "bad parentheses");
    check_bad("(2024]粤0703民初1号", "bad parentheses");
    check_bad("(2024", "bad parentheses");
}

static void test_year(void **state)
{
    (void)state;
    check_bad("(24)粤0703民初1号", "year must be 4 digits");
    check_bad("(202)粤0703民初1号", "year must be 4 digits");
    check_bad("(20245)粤0703民初1号", "year must be 4 digits");
    check_bad("(２０２４)粤0703民初1号", "year must be 4 digits");
    check_bad("()粤0703民初1号", "year must be 4 digits");
    check_bad("(2200)粤0703民初1号", "year 2200 outside");
    check_bad("(1948)粤高法民一终字第1号", "year 1948 outside");
    check_ok("(2199)粤0703民初1号", 2199, "粤0703", "", "民初", 1, 0);
    check_ok("(2016)粤0703民初1号", 2016, "粤0703", "", "民初", 1, 0);
    /* New format only from 2016; the old one ended in 2015. */
    check_bad("(2015)粤0703民初1号", "before 2016");
    check_bad("(2016)粤高法民一终字第1号", "that format ended in 2015");
}

/* Every catalogued type code parses and maps to its kind. */
static void test_type_catalogue(void **state)
{
    (void)state;
    static const struct {
        const char *code, *kind;
    } want[] = {
        {"民初", "民事"},     {"民终", "民事"},   {"民申", "民事"},       {"民再", "民事"},
        {"民抗", "民事"},     {"民监", "民事"},   {"民特", "民事"},       {"民催", "民事"},
        {"民督", "民事"},     {"民破", "民事"},   {"民撤", "民事"},       {"民辖", "民事"},
        {"民辖终", "民事"},   {"民他", "民事"},   {"民算", "民事"},       {"刑初", "刑事"},
        {"刑终", "刑事"},     {"刑申", "刑事"},   {"刑再", "刑事"},       {"刑抗", "刑事"},
        {"刑监", "刑事"},     {"刑核", "刑事"},   {"刑更", "刑事"},       {"刑医", "刑事"},
        {"刑没", "刑事"},     {"刑辖", "刑事"},   {"刑他", "刑事"},       {"刑止", "刑事"},
        {"行初", "行政"},     {"行终", "行政"},   {"行申", "行政"},       {"行再", "行政"},
        {"行抗", "行政"},     {"行监", "行政"},   {"行审", "行政"},       {"行审复", "行政"},
        {"行辖", "行政"},     {"行他", "行政"},   {"行赔初", "国家赔偿"}, {"行赔终", "国家赔偿"},
        {"行保", "保全"},     {"执", "执行"},     {"执恢", "执行"},       {"执异", "执行"},
        {"执复", "执行"},     {"执保", "执行"},   {"执监", "执行"},       {"执协", "执行"},
        {"执他", "执行"},     {"执破", "执行"},   {"财保", "保全"},       {"证保", "保全"},
        {"司救", "司法救助"}, {"赔", "国家赔偿"}, {"委赔", "国家赔偿"},   {"法赔", "国家赔偿"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char s[128];
        snprintf(s, sizeof s, "(2024)粤0703%s%zu号", want[i].code, i + 1);
        check_ok(s, 2024, "粤0703", "", want[i].code, (long long)i + 1, 0);
        assert_string_equal(casenum_kind(want[i].code), want[i].kind);
    }
}

static void test_longest_type_code_wins(void **state)
{
    (void)state;
    check_ok("(2020)京民辖终5号", 2020, "京", "", "民辖终", 5, 0);
    check_ok("(2020)京01民辖5号", 2020, "京01", "", "民辖", 5, 0);
    check_ok("(2020)京01行审复5号", 2020, "京01", "", "行审复", 5, 0);
    check_ok("(2020)京01行赔初5号", 2020, "京01", "", "行赔初", 5, 0);
    check_ok("(2020)京01委赔5号", 2020, "京01", "", "委赔", 5, 0);
    check_ok("(2020)京01赔5号", 2020, "京01", "", "赔", 5, 0);
    check_ok("(2020)京0105执恢5号", 2020, "京0105", "", "执恢", 5, 0);
    check_ok("(2020)京0105执5号", 2020, "京0105", "", "执", 5, 0);
}

static void test_specialised_characters(void **state)
{
    (void)state;
    check_ok("(2019)最高法知民终1号", 2019, "最高法", "知", "民终", 1, 0);
    check_ok("(2019)最高法知行终22号", 2019, "最高法", "知", "行终", 22, 0);
    check_ok("(2021)云01环民初3号", 2021, "云01", "环", "民初", 3, 0);
    check_bad("(2021)沪74金民初3号", "\"金\" before 民初 is not a specialised-trial character");
    check_bad("(2021)沪74知环民初3号", "unknown case type code \"知环民初\"");
    check_bad("(2021)沪74民民初3号", "unknown case type code \"民民初\"");
}

static void test_unknown_type_code(void **state)
{
    (void)state;
    check_bad("(2024)粤0703商初1号", "unknown case type code \"商初\"");
    check_bad("(2024)粤0703民1号", "unknown case type code \"民\"");
    check_bad("(2024)粤0703民初x1号", "unknown case type code \"民初x\"");
    check_bad("(2024)最高法1号", "missing case type code after court code 最高法");
    check_bad("(2024)粤0703号", "missing case type code");
    check_bad("(2024)粤", "missing case type code");
}

static void test_court_codes_in_numbers(void **state)
{
    (void)state;
    check_ok("(2018)苏民终1316号", 2018, "苏", "", "民终", 1316, 0);
    check_ok("(2018)内01民初2号", 2018, "内01", "", "民初", 2, 0);
    check_ok("(2018)兵09刑终3号", 2018, "兵09", "", "刑终", 3, 0);
    check_ok("(2018)军刑核12345678号", 2018, "军", "", "刑核", 12345678, 0);
    check_bad("(2024)粤070民初1号", "expected 0, 2 or 4 digits after 粤, got 3");
    check_bad("(2024)粤7民初1号", "got 1");
    check_bad("(2024)粤07031民初1号", "got 5");
    check_bad("(2024)广东0703民初1号", "unknown court code starting with \"广\"");
    check_bad("(2024)最高民初1号", "unknown court code starting with \"最\"");
    check_bad("(2024)", "missing court code");
    check_bad("(2024)民初1号", "unknown court code starting with \"民\"");
}

static void test_sequence(void **state)
{
    (void)state;
    check_ok("(2024)粤0703民初1000000000号", 2024, "粤0703", "", "民初", 1000000000LL, 0);
    check_bad("(2024)粤0703民初1000000001号", "exceeds 1000000000");
    check_bad("(2024)粤0703民初99999999999号", "exceeds 1000000000");
    check_bad("(2024)粤0703民初0号", "sequence number is zero");
    check_bad("(2024)粤0703民初0123号", "leading zero");
    check_bad("(2024)粤0703民初号", "expected a sequence number");
}

static void test_ending(void **state)
{
    (void)state;
    check_bad("(2024)粤0703民初1234", "missing 号");
    check_bad("(2024)粤0703民初1234号号", "trailing text after 号");
    check_bad("(2024)粤0703民初1234号之一", "trailing text after 号");
    check_bad("(2024)粤0703民初12a34号", "unexpected \"a34号\" after sequence number 12");
    check_bad("(2024)粤0703民初1234號", "after sequence number 1234");
}

static void test_old_style(void **state)
{
    (void)state;
    check_ok("(2014)粤高法民一终字第123号", 2014, "", "", "粤高法民一终", 123, 1);
    check_ok("(2012)深中法民五初字第100号", 2012, "", "", "深中法民五初", 100, 1);
    check_ok("（1949）刑字第1号", 1949, "", "", "刑", 1, 1);
    check_ok("(2015)京0105民初字第7号", 2015, "", "", "京0105民初", 7, 1);
    check_bad("(2014)字第1号", "no court/type text before 字第");
    check_bad("(2014)123字第1号", "only digits");
    check_bad("(2014)粤高法民一终字第0号", "sequence number is zero");
    check_bad("(2014)粤高法民一终字第123", "missing 号");
    check_bad("(2014)粤高法民一终字第123号x", "trailing text after 号");
    /* type_code holds 47 bytes: 15 CJK characters + 2 ASCII fit, one more does not. */
    check_ok("(2014)一二三四五六七八九十一二三四五ab字第1号", 2014, "", "",
             "一二三四五六七八九十一二三四五ab", 1, 1);
    check_bad("(2014)一二三四五六七八九十一二三四五abc字第1号", "too long (48 bytes, max 47)");
}

static void test_text_rejected_early(void **state)
{
    (void)state;
    check_bad("", "empty case number");
    check_bad(NULL, "empty case number");
    check_bad(" (2024)粤0703民初1号", "contains a space at byte 0");
    check_bad("(2024)粤0703民初1号 ", "contains a space");
    check_bad("(2024) 粤0703民初1号", "contains a space at byte 6");
    check_bad("(2024)粤0703\t民初1号", "contains a space");
    check_bad("(2024)粤0703\u3000民初1号", "contains a space");
    check_bad("(2024)粤0703\u00a0民初1号", "contains a space");
    check_bad("(2024)粤0703民初1号\n", "contains a space");
    check_bad("(2024)粤0703\x01民初1号", "control character");
    check_bad("(2024)\xff粤0703民初1号", "invalid UTF-8 at byte 6");
    check_bad("(2024)粤0703民初1234\xe5\x8f", "invalid UTF-8");
    check_bad("(2024)\xc0\xa8粤0703民初1号", "invalid UTF-8");         /* overlong '(' */
    check_bad("(2024)\xe0\x80\xa8粤0703民初1号", "invalid UTF-8");     /* overlong */
    check_bad("(2024)\xed\xa0\x80粤0703民初1号", "invalid UTF-8");     /* surrogate */
    check_bad("(2024)\xf4\x90\x80\x80粤0703民初1号", "invalid UTF-8"); /* > U+10FFFF */
    check_bad("(2024)粤0703民初1号\x80", "invalid UTF-8");
}

/* A short or absent why buffer must not be overrun; out may be NULL. */
static void test_why_buffer(void **state)
{
    (void)state;
    char why[8];
    memset(why, 'x', sizeof why);
    assert_int_equal(casenum_parse("(2024)粤0703商初1号", NULL, why, 5), -1);
    assert_int_equal(why[4], '\0');
    assert_int_equal(why[5], 'x');
    assert_int_equal(casenum_parse("bad", NULL, NULL, 0), -1);
    assert_int_equal(casenum_parse("(2024)粤0703民初1号", NULL, NULL, 0), 0);
    assert_int_equal(court_code_check("bad", NULL, 0), -1);
}

static void test_kind(void **state)
{
    (void)state;
    assert_string_equal(casenum_kind("民初"), "民事");
    assert_string_equal(casenum_kind("行保"), "保全");
    assert_string_equal(casenum_kind("行赔终"), "国家赔偿");
    assert_null(casenum_kind(NULL));
    assert_null(casenum_kind(""));
    assert_null(casenum_kind("商初"));
    assert_null(casenum_kind("民初 "));
    assert_null(casenum_kind("民"));
    assert_null(casenum_kind("粤高法民一终")); /* old-style text is not catalogued */
}

static void check_court(const char *code, const char *level)
{
    char why[128] = "";
    int rc = court_code_check(code, why, sizeof why);
    if (rc != 0)
        print_error("court_code_check(\"%s\"): %s\n", code, why);
    assert_int_equal(rc, 0);
    assert_string_equal(court_code_level(code), level);
}

static void check_court_bad(const char *code, const char *want)
{
    char why[128] = "";
    assert_int_equal(court_code_check(code, why, sizeof why), -1);
    if (!strstr(why, want))
        print_error("court_code_check(\"%s\"): \"%s\", wanted \"%s\"\n", code ? code : "(null)",
                    why, want);
    assert_non_null(strstr(why, want));
    assert_null(court_code_level(code));
}

static void test_court_codes(void **state)
{
    (void)state;
    static const char *const provinces[] = {"京", "津", "冀", "晋", "内", "辽", "吉", "黑", "沪",
                                            "苏", "浙", "皖", "闽", "赣", "鲁", "豫", "鄂", "湘",
                                            "粤", "桂", "琼", "渝", "川", "贵", "云", "藏", "陕",
                                            "甘", "青", "宁", "新", "兵", "军"};
    for (size_t i = 0; i < sizeof provinces / sizeof provinces[0]; i++) {
        char code[32];
        check_court(provinces[i], "高级");
        snprintf(code, sizeof code, "%s01", provinces[i]);
        check_court(code, "中级");
        snprintf(code, sizeof code, "%s0102", provinces[i]);
        check_court(code, "基层");
    }
    check_court("最高法", "最高");
    check_court("沪74", "中级");
    check_court("京0491", "基层");
    check_court_bad("", "empty court code");
    check_court_bad(NULL, "empty court code");
    check_court_bad("粤070", "got 3");
    check_court_bad("粤07031", "got 5");
    check_court_bad("粤0703民", "unexpected \"民\"");
    check_court_bad("最高法01", "unexpected \"01\"");
    check_court_bad("最高", "unknown court code");
    check_court_bad("广东", "unknown court code starting with \"广\"");
    check_court_bad("0703", "unknown court code");
    check_court_bad("粤 0703", "contains a space");
    check_court_bad("粤\xff", "invalid UTF-8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_examples),
        cmocka_unit_test(test_parentheses),
        cmocka_unit_test(test_year),
        cmocka_unit_test(test_type_catalogue),
        cmocka_unit_test(test_longest_type_code_wins),
        cmocka_unit_test(test_specialised_characters),
        cmocka_unit_test(test_unknown_type_code),
        cmocka_unit_test(test_court_codes_in_numbers),
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_ending),
        cmocka_unit_test(test_old_style),
        cmocka_unit_test(test_text_rejected_early),
        cmocka_unit_test(test_why_buffer),
        cmocka_unit_test(test_kind),
        cmocka_unit_test(test_court_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
