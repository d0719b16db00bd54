FUZZ_TARGETS += fuzz_partitions
fuzz_partitions_SRCS := $(wildcard block/*.c)
