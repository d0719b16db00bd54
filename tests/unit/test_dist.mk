# fio's random distributions (bench/dist.c) by their shapes.
UNIT_TESTS += test_dist
test_dist_SRCS := bench/dist.c bench/fixmath.c bench/randmap.c bench/zones.c kernel/cmdline.c
