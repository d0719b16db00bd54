# The red-black tree under the deadline scheduler (block/rbtree.c).
UNIT_TESTS += test_block_rbtree
test_block_rbtree_SRCS := block/rbtree.c
