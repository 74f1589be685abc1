/*
 * siphash.h -- SipHash-2-4 with a 128-bit output (Aumasson and Bernstein,
 * "SipHash: a fast short-input PRF", 2012): a keyed hash for short inputs.
 *
 * Used where a value must be recognised again without being kept: with a
 * secret random key, nobody who lacks the key can find another input with
 * the same output, and the output says nothing of the input. It is not a
 * replacement for SHA-256 where the output is published or stored.
 */
#ifndef COURTRULES_SIPHASH_H
#define COURTRULES_SIPHASH_H

#include <stddef.h>

#define SIPHASH_KEY_BYTES 16
#define SIPHASH_OUT_BYTES 16

/* The 16-byte SipHash-2-4-128 of in[0..len) under key, into out. */
void siphash128(const unsigned char key[SIPHASH_KEY_BYTES], const void *in, size_t len,
                unsigned char out[SIPHASH_OUT_BYTES]);

#endif
