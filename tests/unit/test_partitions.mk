# The MBR parser against tables that lie (block/partitions.c: mbr_parse).
UNIT_TESTS += test_partitions
test_partitions_SRCS := $(wildcard block/*.c)
