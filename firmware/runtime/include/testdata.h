/*
 * testdata.h -- deterministic test data for firmware apps (mirrored by tests/golden.py).
 *
 *   hash_int8(x): h = x * 0x9E3779B1; h ^= h >> 15; h *= 0x85EBCA77; h ^= h >> 13;
 *                 value = (int8_t)(h >> 24)                          (uint32 arithmetic)
 */
#ifndef TESTDATA_H
#define TESTDATA_H

#include <stdint.h>

static inline int8_t hash_int8(uint32_t x)
{
    uint32_t h = x * 0x9E3779B1u;
    h ^= h >> 15;
    h *= 0x85EBCA77u;
    h ^= h >> 13;
    return (int8_t)(h >> 24);
}

#endif
