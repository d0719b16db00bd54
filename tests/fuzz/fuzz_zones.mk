FUZZ_TARGETS += fuzz_zones
fuzz_zones_SRCS := bench/zones.c kernel/cmdline.c
