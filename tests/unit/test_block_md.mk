# md: striped and linear disks over fake ones, with data.
UNIT_TESTS += test_block_md
test_block_md_SRCS := $(wildcard block/*.c) tests/unit/test_block_fake.c
