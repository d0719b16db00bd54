# The block core against a fake driver: merging, splitting, the bio_list
# loop, plugging, timeouts, completion, checks, pools and paths.
UNIT_TESTS += test_block_core
test_block_core_SRCS := $(wildcard block/*.c) tests/unit/test_block_fake.c
