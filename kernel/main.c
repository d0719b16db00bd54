/* SPDX-License-Identifier: MIT */
/*
 * kmain: bring the machine up in dependency order, read the command line,
 * run what it asks for, and end the run with a status QEMU can report.
 */
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/bootinfo.h"
#include "kernel/boottime.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/exit.h"
#include "kernel/fw_cfg.h"
#include "kernel/hypervisor.h"
#include "kernel/interrupt.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/time.h"

extern char __kernel_start[], __kernel_end[];

struct cmdline kernel_cmdline;

/* Keys a boot loader adds on its own; never reported as unknown. */
static const char *const loader_keys[] = {"BOOT_IMAGE", "console", "auto", NULL};

/* Give the page allocator every usable range the identity map covers. */
static void memory_init(void)
{
	const struct boot_info *bi = &boot_info_parsed;
	u64 kernel_end = ALIGN_UP((u64)(uintptr_t)__kernel_end, PAGE_SIZE);
	u64 total = 0;

	for (unsigned i = 0; i < bi->mmap_count; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		u64 start = e->addr, end = e->addr + e->len;

		if (e->type != MEM_USABLE)
			continue;
		/* Below 1 MiB is BIOS territory; the kernel image is ours. */
		start = MAX(start, MiB(1));
		if (start < kernel_end && end > (u64)(uintptr_t)__kernel_start)
			start = MAX(start, kernel_end);
		end = MIN(end, GiB(4));
		if (start >= end)
			continue;
		page_alloc_add_range(start, end);
		total += end - start;
	}
	if (total)
		page_alloc_init();
	if (!total)
		kernel_exit_fail("no usable memory in the boot memory map (%u entries)",
				 bi->mmap_count);
	printk("mem: %lu MiB usable in %u map entries; kernel %p-%p\n", total >> 20, bi->mmap_count,
	       __kernel_start, __kernel_end);
}

static void print_cpu(void)
{
	u32 a, b, c, d;
	char vendor[13];

	cpuid(0, 0, &a, &b, &c, &d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = '\0';
	printk("cpu: %s, %u CPU(s) in MADT (%u possible)\n", vendor, acpi.nr_cpus,
	       acpi.nr_possible_cpus);
	/*
	 * Before QEMU 8.1 (commit c914d46d), TCG drops a guest's memory fences
	 * when only one vCPU is possible, so the host may reorder the ring's
	 * avail->idx store with the avail_event load and lose a notification
	 * (virtio 1.2, 2.7.10). No guest code can fence there: say so.
	 */
	if (acpi.nr_possible_cpus == 1 && !strcmp(accel_name(), "tcg"))
		printk("cpu: warning: one possible CPU under TCG: QEMU before 8.1 drops this "
		       "guest's memory fences; boot with -smp N,maxcpus=2 or more\n");
}

/*
 * A command line too long for -append comes as the fw_cfg file
 * opt/vblk/cmdline, and continues the loader's line.
 */
static void cmdline_from_fw_cfg(void)
{
	static char text[BOOT_CMDLINE_MAX];
	char *line = boot_info_parsed.cmdline;
	size_t have = strlen(line);
	long n = fw_cfg_read_file("opt/vblk/cmdline", text, sizeof(text) - 1);

	if (n == -ENODEV || n == -ENOENT)
		return;
	if (n < 0)
		kernel_exit_fail("fw_cfg opt/vblk/cmdline: longer than %zu bytes",
				 sizeof(text) - 1);
	text[n] = '\0';
	if (have + 1 + (size_t)n >= BOOT_CMDLINE_MAX)
		kernel_exit_fail("the command line (%zu bytes with fw_cfg's %ld) is longer than %d "
				 "bytes",
				 have + 1 + (size_t)n, n, BOOT_CMDLINE_MAX - 1);
	if (have)
		line[have++] = ' ';
	memcpy(line + have, text, (size_t)n + 1);
	printk("cmdline: %ld bytes from fw_cfg opt/vblk/cmdline\n", n);
}

void kmain(u32 proto, u32 info)
{
	int err;

	extern u64 boot_tsc_entry;

	boot_tsc = boot_tsc_entry ? boot_tsc_entry : rdtsc();
	smp_prepare_boot_cpu();
	console_init();
	traps_init();
	if (bootinfo_parse(proto, info))
		kernel_exit_fail("boot information unusable");
	printk("vblk: x86_64 virtio-blk unikernel, booted by %s\n", boot_info_parsed.loader);
	if (boot_info_parsed.cmdline_too_long)
		kernel_exit_fail("the command line is longer than %d bytes", BOOT_CMDLINE_MAX - 1);
	cmdline_from_fw_cfg();
	printk("cmdline: %s\n", boot_info_parsed.cmdline);
	boot_phase("entry");

	memory_init();
	boot_phase("memory");
	if (acpi_init(boot_info_parsed.rsdp))
		printk("acpi: unavailable; assuming QEMU's defaults\n");
	boot_phase("acpi");
	apic_init();
	boot_phase("apic");
	time_init();
	boot_phase("clock");
	timer_tick_init();
	local_irq_enable();
	boot_phase("tick");
	print_cpu();
	printk("acpi: LAPIC %#lx, %u IOAPIC(s), %u overrides, PM timer %#x, MCFG %#lx, HPET %#lx\n",
	       acpi.lapic_addr, acpi.nr_ioapics, acpi.nr_iso, acpi.pm_timer_port, acpi.mcfg_base,
	       acpi.hpet_base);
	smp_init();
	boot_phase("smp");

	err = cmdline_parse(&kernel_cmdline, boot_info_parsed.cmdline);
	if (err)
		kernel_exit_fail("command line: %s", errno_name(err));

	err = kernel_run(&kernel_cmdline, loader_keys);
	if (err)
		kernel_exit_fail("%s", kernel_fail_reason());
	kernel_exit_pass();
}
