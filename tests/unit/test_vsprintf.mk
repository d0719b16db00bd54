UNIT_TESTS += test_vsprintf
test_vsprintf_SRCS := kernel/vsprintf.c kernel/errno.c
