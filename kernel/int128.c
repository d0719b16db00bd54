/* SPDX-License-Identifier: MIT */
/*
 * 128-bit division, which GCC turns into calls to libgcc's __udivti3 and
 * friends. The kernel does not link libgcc (built for user space, it may
 * use the red zone that interrupts here would overwrite), so they are
 * provided here: shift-and-subtract long division, used only where
 * statistics need 128-bit intermediates, off the I/O fast path.
 */
#include "kernel/types.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

static u128 udivmod128(u128 n, u128 d, u128 *rem)
{
	u128 q = 0, r = 0;

	if (!d) {
		/* Division by zero is the caller's bug; fault as the hardware would. */
		__asm__ __volatile__("ud2");
	}
	if (!(n >> 64) && !(d >> 64)) {
		u64 a = (u64)n, b = (u64)d;
		if (rem)
			*rem = a % b;
		return a / b;
	}
	for (int i = 127; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= (u128)1 << i;
		}
	}
	if (rem)
		*rem = r;
	return q;
}

u128 __udivti3(u128 n, u128 d);
u128 __umodti3(u128 n, u128 d);
s128 __divti3(s128 n, s128 d);
s128 __modti3(s128 n, s128 d);

u128 __udivti3(u128 n, u128 d)
{
	return udivmod128(n, d, NULL);
}

u128 __umodti3(u128 n, u128 d)
{
	u128 r;

	udivmod128(n, d, &r);
	return r;
}

s128 __divti3(s128 n, s128 d)
{
	bool neg = (n < 0) != (d < 0);
	u128 q = udivmod128(n < 0 ? -(u128)n : (u128)n, d < 0 ? -(u128)d : (u128)d, NULL);

	return neg ? -(s128)q : (s128)q;
}

s128 __modti3(s128 n, s128 d)
{
	u128 r;

	udivmod128(n < 0 ? -(u128)n : (u128)n, d < 0 ? -(u128)d : (u128)d, &r);
	return n < 0 ? -(s128)r : (s128)r;
}

/* Quotient and remainder in one call (GCC 12 emits it for x / y with x % y). */
u128 __udivmodti4(u128 n, u128 d, u128 *rem);

u128 __udivmodti4(u128 n, u128 d, u128 *rem)
{
	return udivmod128(n, d, rem);
}
