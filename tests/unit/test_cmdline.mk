UNIT_TESTS += test_cmdline
test_cmdline_SRCS := kernel/cmdline.c
