// SPDX-License-Identifier: MIT
/*
 * Red-black tree rebalancing, after the textbook formulation (Cormen et al.,
 * "Introduction to Algorithms", chapter 13) with NULL standing in for the
 * black sentinel leaves. Because NULL has no parent field, erase carries the
 * parent of the possibly-NULL node it is fixing up alongside it.
 *
 * Invariants: the root is black; a red node has no red child; every path
 * from a node down to a NULL leaf passes the same number of black nodes.
 * They bound the height by 2 log2(n + 1).
 */
#include "block/rbtree.h"

static inline bool is_red(const struct rb_node *n)
{
	return n && n->rb_red;
}

/* Make @new take @old's place under @old's parent (or as the root). */
static void replace_child(struct rb_root *root, struct rb_node *parent, struct rb_node *old,
			  struct rb_node *new)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
	if (new)
		new->rb_parent = parent;
}

static void rotate_left(struct rb_root *root, struct rb_node *x)
{
	struct rb_node *y = x->rb_right;

	x->rb_right = y->rb_left;
	if (y->rb_left)
		y->rb_left->rb_parent = x;
	replace_child(root, x->rb_parent, x, y);
	y->rb_left = x;
	x->rb_parent = y;
}

static void rotate_right(struct rb_root *root, struct rb_node *x)
{
	struct rb_node *y = x->rb_left;

	x->rb_left = y->rb_right;
	if (y->rb_right)
		y->rb_right->rb_parent = x;
	replace_child(root, x->rb_parent, x, y);
	y->rb_right = x;
	x->rb_parent = y;
}

void rb_insert_color(struct rb_node *z, struct rb_root *root)
{
	struct rb_node *p;

	/* A red node under a red parent is the only violation a new leaf causes. */
	while ((p = z->rb_parent) && p->rb_red) {
		/* A red parent is never the root, so the grandparent exists. */
		struct rb_node *g = p->rb_parent;

		if (p == g->rb_left) {
			struct rb_node *u = g->rb_right;

			if (is_red(u)) {
				/* Push the grandparent's blackness down a level. */
				p->rb_red = false;
				u->rb_red = false;
				g->rb_red = true;
				z = g;
				continue;
			}
			if (z == p->rb_right) {
				rotate_left(root, p);
				z = p;
				p = z->rb_parent;
			}
			p->rb_red = false;
			g->rb_red = true;
			rotate_right(root, g);
		} else {
			struct rb_node *u = g->rb_left;

			if (is_red(u)) {
				p->rb_red = false;
				u->rb_red = false;
				g->rb_red = true;
				z = g;
				continue;
			}
			if (z == p->rb_left) {
				rotate_right(root, p);
				z = p;
				p = z->rb_parent;
			}
			p->rb_red = false;
			g->rb_red = true;
			rotate_left(root, g);
		}
	}
	root->rb_node->rb_red = false;
}

/*
 * @x (possibly NULL) sits where a black node was removed, so every path
 * through it is one black short. Either recolour @x, borrow from the
 * sibling, or move the deficit up a level.
 */
static void erase_fixup(struct rb_root *root, struct rb_node *x, struct rb_node *parent)
{
	while (x != root->rb_node && !is_red(x)) {
		if (x == parent->rb_left) {
			/* The missing black guarantees a non-NULL sibling. */
			struct rb_node *w = parent->rb_right;

			if (w->rb_red) {
				w->rb_red = false;
				parent->rb_red = true;
				rotate_left(root, parent);
				w = parent->rb_right;
			}
			if (!is_red(w->rb_left) && !is_red(w->rb_right)) {
				w->rb_red = true;
				x = parent;
				parent = x->rb_parent;
				continue;
			}
			if (!is_red(w->rb_right)) {
				w->rb_left->rb_red = false;
				w->rb_red = true;
				rotate_right(root, w);
				w = parent->rb_right;
			}
			w->rb_red = parent->rb_red;
			parent->rb_red = false;
			w->rb_right->rb_red = false;
			rotate_left(root, parent);
			x = root->rb_node;
			break;
		} else {
			struct rb_node *w = parent->rb_left;

			if (w->rb_red) {
				w->rb_red = false;
				parent->rb_red = true;
				rotate_right(root, parent);
				w = parent->rb_left;
			}
			if (!is_red(w->rb_left) && !is_red(w->rb_right)) {
				w->rb_red = true;
				x = parent;
				parent = x->rb_parent;
				continue;
			}
			if (!is_red(w->rb_left)) {
				w->rb_right->rb_red = false;
				w->rb_red = true;
				rotate_left(root, w);
				w = parent->rb_left;
			}
			w->rb_red = parent->rb_red;
			parent->rb_red = false;
			w->rb_left->rb_red = false;
			rotate_right(root, parent);
			x = root->rb_node;
			break;
		}
	}
	if (x)
		x->rb_red = false;
}

void rb_erase(struct rb_node *z, struct rb_root *root)
{
	struct rb_node *x, *parent;
	bool removed_red;

	if (!z->rb_left || !z->rb_right) {
		/* At most one child: it simply takes z's place. */
		x = z->rb_left ? z->rb_left : z->rb_right;
		parent = z->rb_parent;
		removed_red = z->rb_red;
		replace_child(root, parent, z, x);
	} else {
		/* Two children: z's successor y (no left child) moves into z's slot. */
		struct rb_node *y = z->rb_right;

		while (y->rb_left)
			y = y->rb_left;
		removed_red = y->rb_red;
		x = y->rb_right;
		if (y->rb_parent == z) {
			parent = y;
		} else {
			parent = y->rb_parent;
			replace_child(root, parent, y, x);
			y->rb_right = z->rb_right;
			y->rb_right->rb_parent = y;
		}
		replace_child(root, z->rb_parent, z, y);
		y->rb_left = z->rb_left;
		y->rb_left->rb_parent = y;
		y->rb_red = z->rb_red;
	}
	if (!removed_red)
		erase_fixup(root, x, parent);
	RB_CLEAR_NODE(z);
	z->rb_left = NULL;
	z->rb_right = NULL;
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	if (!n)
		return NULL;
	while (n->rb_left)
		n = n->rb_left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	if (!n)
		return NULL;
	while (n->rb_right)
		n = n->rb_right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	const struct rb_node *p;

	if (node->rb_right) {
		node = node->rb_right;
		while (node->rb_left)
			node = node->rb_left;
		return (struct rb_node *)node;
	}
	/* Climb until we arrive from a left subtree: that parent is next. */
	while ((p = node->rb_parent) && node == p->rb_right)
		node = p;
	return (struct rb_node *)p;
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	const struct rb_node *p;

	if (node->rb_left) {
		node = node->rb_left;
		while (node->rb_right)
			node = node->rb_right;
		return (struct rb_node *)node;
	}
	while ((p = node->rb_parent) && node == p->rb_left)
		node = p;
	return (struct rb_node *)p;
}
