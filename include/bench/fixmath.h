/* SPDX-License-Identifier: MIT */
/*
 * Fixed-point logarithms and powers of two for the random distributions
 * (bench/dist.c). The kernel is compiled for general registers only, so
 * there is no floating point: a logarithm is a Q56 number (56 fraction
 * bits), a probability a Q63 fraction of 1. Pure integer code, so the host
 * unit tests and every boot draw the same numbers from the same seed.
 */
#ifndef BENCH_FIXMATH_H
#define BENCH_FIXMATH_H

#include "kernel/types.h"

typedef unsigned __int128 u128;

#define FIX_LOG_SHIFT 56 /* log2 values: Q56 */
#define FIX_ONE_LOG ((u64)1 << FIX_LOG_SHIFT)
#define FIX_FRAC_SHIFT 63 /* fractions of 1: Q63 */
#define FIX_ONE ((u64)1 << FIX_FRAC_SHIFT)

/* ln 2 in Q62 */
#define FIX_LN2_Q62 0x2c5c85fdf473de6bull

/* log2(x) in Q56 for an integer x >= 1 (at most 127.99..., so below 2^63); 0 for x = 0. */
u64 fix_log2(u128 x);
/* 2^-y for y >= 0 given in Q56, as a Q63 fraction in [0, FIX_ONE]. */
u64 fix_exp2_neg(u128 y);
/* floor(sqrt(x)) */
u64 fix_isqrt(u128 x);

#endif
