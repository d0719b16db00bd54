UNIT_TESTS += test_alloc
test_alloc_SRCS := kernel/page_alloc.c kernel/slab.c
