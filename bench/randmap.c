/* SPDX-License-Identifier: MIT */
#include "bench/randmap.h"

/* splitmix64: spreads a counter into well-mixed bits. */
static u64 mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void new_pass(struct randmap *m)
{
	for (unsigned i = 0; i < 4; i++)
		m->key[i] = mix(m->seed++);
	m->next = 0;
}

void randmap_init(struct randmap *m, u64 n, u64 seed)
{
	unsigned bits = 0;

	m->n = n ? n : 1;
	while (bits < 64 && (1ull << bits) < m->n)
		bits++;
	m->half = (bits + 1) / 2;
	if (m->half == 0)
		m->half = 1;
	m->seed = seed;
	new_pass(m);
}

/* A bijection of [0, 2^(2*half)): four Feistel rounds. */
static u64 permute(const struct randmap *m, u64 x)
{
	u64 mask = (1ull << m->half) - 1;
	u64 l = x >> m->half, r = x & mask;

	for (unsigned i = 0; i < 4; i++) {
		u64 t = l ^ (mix(r ^ m->key[i]) & mask);
		l = r;
		r = t;
	}
	return (l << m->half) | r;
}

u64 randmap_permute(const struct randmap *m, u64 x)
{
	/*
	 * Cycle walking: applying the permutation again to a value outside
	 * the region stays on x's cycle, which reaches the region, so each
	 * x < n maps to a distinct y < n.
	 */
	u64 y = permute(m, x);

	while (y >= m->n)
		y = permute(m, y);
	return y;
}

u64 randmap_next(struct randmap *m)
{
	if (m->next >= m->n)
		new_pass(m);
	return randmap_permute(m, m->next++);
}
