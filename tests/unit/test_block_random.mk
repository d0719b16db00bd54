# Seeded random workloads through deadline and noop under random limits:
# every sector submitted is dispatched exactly as often, every bio ends
# exactly once, the data lands where it belongs, nothing leaks.
UNIT_TESTS += test_block_random
test_block_random_SRCS := $(wildcard block/*.c) tests/unit/test_block_fake.c
