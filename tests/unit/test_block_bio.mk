# Bios: allocation and the reserve, bio_add_page under queue limits,
# splitting with the iterator, chaining.
UNIT_TESTS += test_block_bio
test_block_bio_SRCS := $(wildcard block/*.c) tests/unit/test_block_fake.c
