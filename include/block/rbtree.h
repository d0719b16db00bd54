/* SPDX-License-Identifier: MIT */
/*
 * A red-black tree with parent pointers, in the shape Linux readers know:
 * the caller walks down to find the link to fill (so the tree needs no
 * comparison callback), rb_link_node() hangs the node there and
 * rb_insert_color() rebalances. Equal keys are allowed; the caller decides
 * which side they go. Every operation is O(log n).
 *
 * The deadline scheduler keeps one of these per direction, sorted by start
 * sector (block/deadline-iosched.c).
 */
#ifndef BLOCK_RBTREE_H
#define BLOCK_RBTREE_H

#include "kernel/types.h"

struct rb_node {
	struct rb_node *rb_parent;
	struct rb_node *rb_left;
	struct rb_node *rb_right;
	bool rb_red;
};

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_ROOT ((struct rb_root){NULL})
#define RB_EMPTY_ROOT(root) ((root)->rb_node == NULL)
/* A node that is in no tree points at itself, so membership is testable. */
#define RB_CLEAR_NODE(node) ((node)->rb_parent = (node))
#define RB_EMPTY_NODE(node) ((node)->rb_parent == (node))
#define rb_entry(ptr, type, member) container_of(ptr, type, member)

static inline void rb_link_node(struct rb_node *node, struct rb_node *parent, struct rb_node **link)
{
	node->rb_parent = parent;
	node->rb_left = NULL;
	node->rb_right = NULL;
	node->rb_red = true;
	*link = node;
}

void rb_insert_color(struct rb_node *node, struct rb_root *root);
/* Unlinks @node and leaves it RB_EMPTY_NODE. */
void rb_erase(struct rb_node *node, struct rb_root *root);

struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

#endif
