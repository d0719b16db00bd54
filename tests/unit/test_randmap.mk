UNIT_TESTS += test_randmap
test_randmap_SRCS := kernel/randmap.c
