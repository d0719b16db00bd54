# vblk: a bare-metal x86_64 unikernel that drives virtio-blk disks through its
# own driver and block layer, and benchmarks them over the serial console.
#
#   make            build build/kernel.elf and build/vblk.iso
#   make run        boot the kernel in QEMU and run the default job
#   make bench      run the benchmark suite (tools/bench)
#   make test       host unit tests + boot-and-assert tests; "N passed, N failed"
#
# Out-of-tree build into $(BUILD). Missing Debian packages are installed by
# tools/install-deps when a target needs them.

BUILD ?= build
Q ?= @

# Toolchain: an x86_64-elf- cross compiler when one is on PATH, otherwise the
# host's x86_64 GCC in freestanding mode. CROSS= overrides the choice.
ifeq ($(origin CROSS),undefined)
CROSS := $(if $(shell command -v x86_64-elf-gcc 2>/dev/null),x86_64-elf-,)
endif
KCC := $(CROSS)gcc
KLD := $(CROSS)ld
HOSTCC ?= gcc

# Only the compiler's own freestanding headers (stdint.h, stdarg.h, ...).
KINC := -nostdinc -isystem $(shell $(KCC) -print-file-name=include) -Iinclude -I.
KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-pie -fno-pic -mno-red-zone -fno-stack-protector \
	-mgeneral-regs-only -mcmodel=small -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-common --param=min-pagesize=0 -DVBLK_KERNEL $(KINC) -MMD -MP
KASFLAGS := $(KINC) -DVBLK_KERNEL -D__ASSEMBLY__ -MMD -MP
KLDFLAGS := -nostdlib -static -n -z max-page-size=0x1000 --no-warn-rwx-segments \
	-T linker.ld

KSRCS := $(wildcard boot/*.S kernel/*.S kernel/*.c drivers/*.c block/*.c bench/*.c)
KOBJS := $(patsubst %,$(BUILD)/obj/%.o,$(KSRCS))

KERNEL := $(BUILD)/kernel.elf
ISO := $(BUILD)/vblk.iso

.PHONY: all kernel iso run bench test soak unit boot-tests deps format lint clean fuzz fuzz-build \
	compile_commands.json tools
all: kernel iso tools

kernel: $(KERNEL)
iso: $(ISO)

$(BUILD)/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(KCC) $(KCFLAGS) -c $< -o $@

$(BUILD)/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(KCC) $(KASFLAGS) -c $< -o $@

$(KERNEL): $(KOBJS) linker.ld
	@echo "  LD      $@"
	$(Q)$(KLD) $(KLDFLAGS) -o $@ $(KOBJS)

# GRUB multiboot2 image. The default command line lives in tools/grub.cfg.
$(ISO): $(KERNEL) tools/grub.cfg
	$(Q)tools/install-deps iso
	@echo "  ISO     $@"
	@rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub
	$(Q)cp $(KERNEL) $(BUILD)/iso/boot/kernel.elf
	$(Q)cp tools/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	$(Q)grub-mkrescue -o $@ $(BUILD)/iso >$(BUILD)/grub-mkrescue.log 2>&1 || \
		{ cat $(BUILD)/grub-mkrescue.log; exit 1; }

# ---------------------------------------------------------------------------
# Host tools (disk image stamping and checking), built with the host compiler.
HOSTCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude -I.
TOOLS := $(BUILD)/tools/vblk-img $(BUILD)/tools/insns.so
tools: $(TOOLS)

$(BUILD)/tools/vblk-img: tools/vblk-img.c bench/stamp.c kernel/crc32c.c \
		include/bench/stamp.h include/kernel/crc32c.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -o $@ tools/vblk-img.c bench/stamp.c kernel/crc32c.c

# The QEMU TCG plugin of tools/profile --insns.
$(BUILD)/tools/insns.so: tools/insns-plugin.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -shared -fPIC -fvisibility=hidden -pthread -o $@ $<

# ---------------------------------------------------------------------------
# Host unit tests (cmocka), under AddressSanitizer and UBSan. Each fragment
# tests/unit/NAME.mk adds NAME to UNIT_TESTS and lists NAME_SRCS.
UNIT_TESTS :=
include $(wildcard tests/unit/*.mk)
UNITCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -I. -DVBLK_HOST_TEST -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_BINS := $(patsubst %,$(BUILD)/unit/%,$(UNIT_TESTS))

.SECONDEXPANSION:
$(BUILD)/unit/%: tests/unit/%.c $$($$*_SRCS) $(wildcard include/*/*.h tests/unit/*.h) \
		tests/unit/host_platform.c
	@mkdir -p $(dir $@)
	@echo "  UNIT    $@"
	$(Q)$(HOSTCC) $(UNITCFLAGS) -o $@ $< $($*_SRCS) tests/unit/host_platform.c -lcmocka -lm

unit-build: $(UNIT_BINS)

# ---------------------------------------------------------------------------
# Coverage-guided fuzzing with libFuzzer (clang) of every parser of device or
# user input. Each fragment tests/fuzz/NAME.mk adds NAME to FUZZ_TARGETS and
# lists NAME_SRCS; its seed corpus, and every crash ever found (kept as a
# regression input), live in tests/fuzz/corpus/NAME/. make test replays
# each corpus once (tools/run-tests, group fuzz); make fuzz fuzzes each
# target for FUZZ_SECONDS (tools/fuzz).
FUZZ_TARGETS :=
include $(wildcard tests/fuzz/*.mk)
FUZZCC ?= clang
FUZZCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -I. -DVBLK_HOST_TEST -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TARGETS))
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz/%: tests/fuzz/%.c $$($$*_SRCS) $(wildcard include/*/*.h tests/unit/*.h) \
		tests/unit/host_platform.c
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZCC) $(FUZZCFLAGS) -o $@ $< $($*_SRCS) tests/unit/host_platform.c

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)tools/install-deps fuzz
	$(Q)tools/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ---------------------------------------------------------------------------
deps:
	$(Q)tools/install-deps all

# make run: one boot on a scratch disk; RUN_CMDLINE and RUNARGS (tools/run
# options, e.g. --accel kvm) override the defaults.
RUN_DISK := $(BUILD)/run-disk.img
RUN_CMDLINE ?= rw=write bs=64k size=32M verify=crc32c -- \
	rw=randread bs=4k iodepth=32 runtime=3 time_based path=bio -- \
	rw=randread bs=4k iodepth=32 runtime=3 time_based path=request sched=deadline -- \
	rw=write bs=4k iodepth=32 size=8M queue_depth=2 path=request sched=deadline
run: all
	$(Q)tools/install-deps run
	$(Q)[ -f $(RUN_DISK) ] || $(BUILD)/tools/vblk-img create $(RUN_DISK) 64M --zero
	$(Q)tools/run --disk $(RUN_DISK) $(RUNARGS) -- $(RUN_CMDLINE)

# Three boots of each configuration: on these hosts a single boot decides
# a ratio as much as the code does (README, Benchmarks).
BENCHREPEAT ?= 3

bench: all
	$(Q)tools/install-deps bench
	$(Q)tools/bench --repeat $(BENCHREPEAT) $(BENCHARGS)

test:
	$(Q)tools/install-deps test
	$(Q)$(MAKE) --no-print-directory all unit-build fuzz-build
	$(Q)tools/run-tests -j 2

# Random configurations booted and checked end to end (README, Tests: Soak).
SOAKSEED ?= 1
SOAKRUNS ?= 100
soak:
	$(Q)tools/install-deps test
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/soak --seed $(SOAKSEED) --runs $(SOAKRUNS) --jobs 2 $(SOAKARGS)

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

lint:
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr -Iinclude -I. -DVBLK_KERNEL boot kernel drivers block

compile_commands.json:
	$(Q)bear -- $(MAKE) -B kernel unit-build

clean:
	rm -rf $(BUILD)

-include $(KOBJS:.o=.d)
