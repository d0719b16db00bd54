// SPDX-License-Identifier: MIT
/*
 * Host unit tests for block/rbtree.c: after every insert and erase of a
 * seeded random workload, the tree must be a valid red-black tree (root
 * black, no red-red edge, equal black height, consistent parent links),
 * in-order traversal must match a reference multiset in both directions,
 * and its height must stay within 2 log2(n + 1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "block/rbtree.h"

struct item {
	struct rb_node node;
	u32 key;
	bool in_tree;
};

static u64 rng_state;

static u32 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (u32)rng_state;
}

static void insert(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct item *cur = rb_entry(*link, struct item, node);

		parent = *link;
		link = it->key < cur->key ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&it->node, parent, link);
	rb_insert_color(&it->node, root);
	it->in_tree = true;
}

/* Returns the black height; checks every invariant on the way. */
static int check_node(const struct rb_node *n, const struct rb_node *parent, int *count, int depth,
		      int *max_depth)
{
	int lh, rh;

	if (!n)
		return 1;
	(*count)++;
	if (depth > *max_depth)
		*max_depth = depth;
	assert_ptr_equal(n->rb_parent, parent);
	if (n->rb_red) {
		assert_false(n->rb_left && n->rb_left->rb_red);
		assert_false(n->rb_right && n->rb_right->rb_red);
	}
	if (n->rb_left)
		assert_true(rb_entry(n->rb_left, struct item, node)->key <=
			    rb_entry(n, struct item, node)->key);
	if (n->rb_right)
		assert_true(rb_entry(n->rb_right, struct item, node)->key >=
			    rb_entry(n, struct item, node)->key);
	lh = check_node(n->rb_left, n, count, depth + 1, max_depth);
	rh = check_node(n->rb_right, n, count, depth + 1, max_depth);
	assert_int_equal(lh, rh);
	return lh + (n->rb_red ? 0 : 1);
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static void check_tree(const struct rb_root *root, struct item *items, int nitems)
{
	u32 *expect = malloc(sizeof(u32) * (nitems + 1));
	int n = 0, count = 0, max_depth = 0, i, lg = 0;
	struct rb_node *node;

	for (i = 0; i < nitems; i++)
		if (items[i].in_tree)
			expect[n++] = items[i].key;
	qsort(expect, n, sizeof(u32), cmp_u32);

	if (root->rb_node)
		assert_false(root->rb_node->rb_red);
	check_node(root->rb_node, NULL, &count, 1, &max_depth);
	assert_int_equal(count, n);
	while ((1 << lg) <= n + 1)
		lg++;
	assert_true(max_depth <= 2 * lg);

	i = 0;
	for (node = rb_first(root); node; node = rb_next(node))
		assert_int_equal(rb_entry(node, struct item, node)->key, expect[i++]);
	assert_int_equal(i, n);
	for (node = rb_last(root); node; node = rb_prev(node))
		assert_int_equal(rb_entry(node, struct item, node)->key, expect[--i]);
	assert_int_equal(i, 0);
	free(expect);
}

static void run_workload(u64 seed, int nitems, u32 key_range, int steps)
{
	struct rb_root root = RB_ROOT;
	struct item *items = calloc(nitems, sizeof(*items));
	int s;

	rng_state = seed;
	for (s = 0; s < nitems; s++)
		RB_CLEAR_NODE(&items[s].node);
	for (s = 0; s < steps; s++) {
		struct item *it = &items[rng() % nitems];

		if (it->in_tree) {
			rb_erase(&it->node, &root);
			it->in_tree = false;
			assert_true(RB_EMPTY_NODE(&it->node));
		} else {
			it->key = rng() % key_range;
			insert(&root, it);
		}
		if (s % 7 == 0 || s == steps - 1)
			check_tree(&root, items, nitems);
	}
	/* Empty it completely, in random order. */
	for (s = 0; s < nitems; s++) {
		struct item *it = &items[(s * 7919) % nitems];

		if (it->in_tree) {
			rb_erase(&it->node, &root);
			it->in_tree = false;
		}
	}
	check_tree(&root, items, nitems);
	assert_true(RB_EMPTY_ROOT(&root));
	free(items);
}

static void test_empty(void **state)
{
	struct rb_root root = RB_ROOT;

	assert_null(rb_first(&root));
	assert_null(rb_last(&root));
	assert_true(RB_EMPTY_ROOT(&root));
}

static void test_sequential_inserts_stay_balanced(void **state)
{
	struct rb_root root = RB_ROOT;
	struct item items[1000];
	int i;

	memset(items, 0, sizeof(items));
	for (i = 0; i < 1000; i++) {
		items[i].key = (u32)i;
		insert(&root, &items[i]);
	}
	check_tree(&root, items, 1000);
	for (i = 0; i < 1000; i += 2) {
		rb_erase(&items[i].node, &root);
		items[i].in_tree = false;
	}
	check_tree(&root, items, 1000);
}

static void test_random_unique_keys(void **state)
{
	run_workload(0x1234567ull, 300, 1u << 30, 20000);
}

static void test_random_duplicate_keys(void **state)
{
	/* Few distinct keys: the deadline tree holds many requests at one sector. */
	run_workload(0xfeedbeefull, 200, 8, 20000);
}

static void test_many_seeds(void **state)
{
	u64 seed;

	for (seed = 1; seed <= 40; seed++)
		run_workload(seed * 0x9e3779b97f4a7c15ull, 64, 100, 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_sequential_inserts_stay_balanced),
		cmocka_unit_test(test_random_unique_keys),
		cmocka_unit_test(test_random_duplicate_keys),
		cmocka_unit_test(test_many_seeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
