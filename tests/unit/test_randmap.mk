UNIT_TESTS += test_randmap
test_randmap_SRCS := bench/randmap.c
