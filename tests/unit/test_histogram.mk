UNIT_TESTS += test_histogram
test_histogram_SRCS := kernel/histogram.c
