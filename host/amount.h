/*
 * amount.h -- exact money amounts in 分 (1/100 yuan), never floating point.
 */
#ifndef COURTRULES_AMOUNT_H
#define COURTRULES_AMOUNT_H

#include <stddef.h>
#include <stdint.h>

#define AMOUNT_MAX_FEN INT64_C(100000000000000000) /* 1e15 yuan */

/* Parses a non-negative decimal yuan amount: "0", "12345", "12345.6",
 * "12345.67". No sign, exponent, spaces, thousands separators or more than two
 * decimals. Returns 0 or -1 with a reason in why. */
int amount_parse(const char *s, int64_t *fen, char *why, size_t whylen);

/* Formats fen as yuan with two decimals: 1234567 -> "12345.67". Needs 32 bytes. */
void amount_format(int64_t fen, char out[32]);

#endif
