UNIT_TESTS += test_histogram
test_histogram_SRCS := bench/histogram.c bench/fixmath.c
