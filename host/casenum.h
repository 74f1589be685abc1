/*
 * casenum.h -- 案号 (case number) and 法院代字 (court code) grammar.
 *
 * New-style numbers (2016 onward, 最高人民法院《关于人民法院案件案号的若干规定》):
 *   (2024)粤0703民初1234号   （2019）最高法知民终1号   (2017)京04民终367号
 * = "(" year ")" court-code [specialised-trial character] type-code sequence "号".
 * ASCII and full-width parentheses are both accepted.
 *
 * Old-style numbers (before 2016), accepted for legacy cases:
 *   (2014)粤高法民一终字第123号   (2012)深中法民五初字第100号
 * = "(" year ")" free court/division/type text "字第" sequence "号"; the court
 * code cannot be read from them, so the record must give it.
 */
#ifndef COURTRULES_CASENUM_H
#define COURTRULES_CASENUM_H

#include <stddef.h>

typedef struct cr_casenum {
    int year;            /* 4-digit year in the parentheses */
    char court[32];      /* 法院代字, e.g. "粤0703"; "" for old-style numbers */
    char special[16];    /* specialised-trial character, e.g. "知"; "" if none */
    char type_code[48];  /* e.g. "民初", "执恢"; old-style: the text before 字第 */
    long long seq;       /* sequence number, >= 1 */
    int old_style;       /* 1 for pre-2016 numbers */
} cr_casenum;

/* Parses s (UTF-8). Returns 0 and fills out, or -1 with a reason in why. */
int casenum_parse(const char *s, cr_casenum *out, char *why, size_t whylen);

/* The case kind a type code implies: "民事", "刑事", "行政", "执行", "保全",
 * "国家赔偿", "司法救助", or NULL when the code is not in the catalogue. */
const char *casenum_kind(const char *type_code);

/* Checks a 法院代字: "最高法", a province abbreviation (粤, 内, 兵 …), or
 * one followed by 2 digits (intermediate/specialised) or 4 digits (basic).
 * Returns 0 if valid, -1 with a reason in why. */
int court_code_check(const char *code, char *why, size_t whylen);

/* The court level a code implies: "最高", "高级", "中级", "基层", or NULL if
 * invalid. Specialised courts (海事, 知识产权 …) share the shapes above;
 * records say their level explicitly. */
const char *court_code_level(const char *code);

#endif
