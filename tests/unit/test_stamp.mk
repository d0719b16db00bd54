# CRC32C and the sector stamp format (kernel/crc32c.c, bench/stamp.c).
UNIT_TESTS += test_stamp
test_stamp_SRCS := kernel/crc32c.c bench/stamp.c
