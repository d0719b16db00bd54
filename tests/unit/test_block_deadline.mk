# The deadline and noop schedulers: dispatch order, expiry, starvation,
# batching, front merges, tunables and switching.
UNIT_TESTS += test_block_deadline
test_block_deadline_SRCS := $(wildcard block/*.c) tests/unit/test_block_fake.c
