/*
 * siphash.c -- SipHash-2-4-128 (see siphash.h), written from the paper's
 * description: the state is four 64-bit words, each 8-byte little-endian
 * block of input is mixed in with two rounds, the last block carries the
 * length in its top byte, and four rounds finish each half of the output.
 * tests/unit/test_siphash.c checks it against the published vectors.
 */
#include "siphash.h"

#include <stdint.h>
#include <string.h>

static inline uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline void store_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (unsigned char)v;
}

#define SIPROUND(v0, v1, v2, v3)                                                               \
    do {                                                                                       \
        v0 += v1;                                                                              \
        v1 = rotl(v1, 13) ^ v0;                                                                \
        v0 = rotl(v0, 32);                                                                     \
        v2 += v3;                                                                              \
        v3 = rotl(v3, 16) ^ v2;                                                                \
        v0 += v3;                                                                              \
        v3 = rotl(v3, 21) ^ v0;                                                                \
        v2 += v1;                                                                              \
        v1 = rotl(v1, 17) ^ v2;                                                                \
        v2 = rotl(v2, 32);                                                                     \
    } while (0)

void siphash128(const unsigned char key[SIPHASH_KEY_BYTES], const void *in, size_t len,
                unsigned char out[SIPHASH_OUT_BYTES])
{
    const unsigned char *p = in;
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL ^ 0xee,
             v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    size_t whole = len - len % 8;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = load_le64(p + i);
        v3 ^= m;
        SIPROUND(v0, v1, v2, v3);
        SIPROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    unsigned char tail[8] = {0};
    memcpy(tail, p + whole, len % 8);
    uint64_t last = load_le64(tail) | (uint64_t)(len & 0xff) << 56;
    v3 ^= last;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xee;
    for (int i = 0; i < 4; i++)
        SIPROUND(v0, v1, v2, v3);
    store_le64(out, v0 ^ v1 ^ v2 ^ v3);
    v1 ^= 0xdd;
    for (int i = 0; i < 4; i++)
        SIPROUND(v0, v1, v2, v3);
    store_le64(out + 8, v0 ^ v1 ^ v2 ^ v3);
}
