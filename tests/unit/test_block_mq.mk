# blk-mq against the fake driver's mq face: CPU-to-queue map, batching with
# bd->last and commit_rqs, tags and their exhaustion, none and mq-deadline,
# completion on the submitting CPU, errors, retries, timeouts, requeues.
UNIT_TESTS += test_block_mq
test_block_mq_SRCS := $(wildcard block/*.c) tests/unit/test_block_fake.c
