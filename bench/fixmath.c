/* SPDX-License-Identifier: MIT */
/*
 * log2 by repeated squaring: for m in [1, 2), m^2 >= 2 exactly when the
 * next binary digit of log2 m is 1 (then m^2 / 2 carries on), so each
 * squaring yields one digit. 2^-f multiplies, for every digit of f that is
 * set, the matching 2^-(2^-j) from a table. Both keep 62 or 63 bits in every
 * step, so their error stays within a few units of the 56th bit.
 */
#include "bench/fixmath.h"

/* 2^-(2^-j) in Q63 for j = 1..56, rounded to nearest. */
static const u64 exp2_neg_table[FIX_LOG_SHIFT] = {
	0x5a827999fcef3242ull, 0x6ba27e656b4eb57aull, 0x75606373ee921c97ull, 0x7a92be8a92436616ull,
	0x7d41d96db915019dull, 0x7e9f06067a4360baull, 0x7f4f08ae3dc7c426ull, 0x7fa765aca88f6453ull,
	0x7fd3ab290e46d769ull, 0x7fe9d3a8e07bf086ull, 0x7ff4e9597bed93abull, 0x7ffa748dff8dc61full,
	0x7ffd3a3f50020332ull, 0x7ffe9d1dbc0a75aaull, 0x7fff4e8e6306ed59ull, 0x7fffa74712c3cdfdull,
	0x7fffd3a381b1fa29ull, 0x7fffe9d1beed018aull, 0x7ffff4e8defb81d7ull, 0x7ffffa746f5f012full,
	0x7ffffd3a37a7d0a8ull, 0x7ffffe9d1bd1fc58ull, 0x7fffff4e8de8832dull, 0x7fffffa746f422d7ull,
	0x7fffffd3a37a09bbull, 0x7fffffe9d1bd02f2ull, 0x7ffffff4e8de80feull, 0x7ffffffa746f4060ull,
	0x7ffffffd3a37a028ull, 0x7ffffffe9d1bd012ull, 0x7fffffff4e8de809ull, 0x7fffffffa746f404ull,
	0x7fffffffd3a37a02ull, 0x7fffffffe9d1bd01ull, 0x7ffffffff4e8de81ull, 0x7ffffffffa746f40ull,
	0x7ffffffffd3a37a0ull, 0x7ffffffffe9d1bd0ull, 0x7fffffffff4e8de8ull, 0x7fffffffffa746f4ull,
	0x7fffffffffd3a37aull, 0x7fffffffffe9d1bdull, 0x7ffffffffff4e8dfull, 0x7ffffffffffa746full,
	0x7ffffffffffd3a38ull, 0x7ffffffffffe9d1cull, 0x7fffffffffff4e8eull, 0x7fffffffffffa747ull,
	0x7fffffffffffd3a3ull, 0x7fffffffffffe9d2ull, 0x7ffffffffffff4e9ull, 0x7ffffffffffffa74ull,
	0x7ffffffffffffd3aull, 0x7ffffffffffffe9dull, 0x7fffffffffffff4full, 0x7fffffffffffffa7ull,
};

static unsigned fls128(u128 x)
{
	u64 hi = (u64)(x >> 64);

	if (hi)
		return 128 - __builtin_clzll(hi);
	return 64 - __builtin_clzll((u64)x);
}

u64 fix_log2(u128 x)
{
	unsigned e;
	u64 m, frac = 0;

	if (!x)
		return 0;
	e = fls128(x) - 1;
	/* x = m * 2^e with m in [1, 2) as Q62 */
	m = e >= 62 ? (u64)(x >> (e - 62)) : (u64)x << (62 - e);
	for (int bit = FIX_LOG_SHIFT - 1; bit >= 0; bit--) {
		/* m^2 < 4, rounded to Q62: below 2^64 since m < 2^63 */
		u64 sq = (u64)(((u128)m * m + (1ull << 61)) >> 62);
		if (sq >= 1ull << 63) {
			frac |= 1ull << bit;
			m = sq >> 1;
		} else {
			m = sq;
		}
	}
	return ((u64)e << FIX_LOG_SHIFT) | frac;
}

u64 fix_exp2_neg(u128 y)
{
	u64 whole = (u64)(y >> FIX_LOG_SHIFT), frac = (u64)y & (FIX_ONE_LOG - 1);
	u64 r = FIX_ONE;

	if (y >> FIX_LOG_SHIFT >= 64)
		return 0;
	for (unsigned j = 1; j <= FIX_LOG_SHIFT; j++)
		if (frac & (1ull << (FIX_LOG_SHIFT - j)))
			r = (u64)(((u128)r * exp2_neg_table[j - 1] + (1ull << 62)) >> 63);
	if (whole)
		r = (r + (1ull << (whole - 1))) >> whole;
	return r;
}

u64 fix_isqrt(u128 x)
{
	u128 r = 0, bit = (u128)1 << 126;

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return (u64)r;
}
