# Job descriptions: fio's keys, defaults and every error naming its key
# (bench/job.c, with the block layer for the scheduler tunables' names).
UNIT_TESTS += test_job
test_job_SRCS := bench/job.c bench/zones.c kernel/cmdline.c $(wildcard block/*.c) tests/unit/test_block_fake.c
