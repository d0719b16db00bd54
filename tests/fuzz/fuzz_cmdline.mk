FUZZ_TARGETS += fuzz_cmdline
fuzz_cmdline_SRCS := kernel/cmdline.c
