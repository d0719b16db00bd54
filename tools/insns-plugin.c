/* SPDX-License-Identifier: MIT */
/*
 * A QEMU TCG plugin for tools/profile --insns: counts how many times each
 * translated block runs and, when QEMU exits, writes one line per block,
 * "VADDR INSNS RUNS RDTSC CLI STI POPF LOCKED MFENCE HLT PIO" (hex, then
 * decimal: the block's instructions, its runs, and how many instructions
 * of each costly kind it holds) to the file named by its out= argument.
 * tools/profile turns those lines into instructions per function.
 *
 * With begin=ADDR and end=ADDR (the guest addresses of two functions the
 * kernel calls around its jobs' run: profile_window_begin and _end), each
 * line also ends with WINDOW, the block's runs between a begin and the
 * following end, added over every such window, and a first line
 * "# windows N" says how many there were: the jobs without the boot and
 * the reports.
 *
 * Why: the kernel's own sampling profiler (profile=HZ) is taken by a LAPIC
 * timer interrupt, and under TCG an interrupt is only taken where the guest
 * has them enabled, so every sample that fell into a section run with
 * interrupts off lands on the instruction after the local_irq_restore that
 * ends it. Counting executed blocks has no such blind spot and does not
 * depend on how busy the host is: the same run gives the same counts.
 *
 * The counters are plain additions compiled into each block (the plugin
 * API's inline ADD_U64), so the cost is small; with several vCPUs they may
 * lose counts to races (the API has no atomic form), which only matters for
 * exact totals. A block left early (an exception, an interrupt taken at its
 * end does not count) is counted as if it ran whole.
 *
 * Some instructions cost far more than others under TCG, so each block
 * also counts those it holds, by kind (see enum kind): measured on this
 * project's host, a local_irq_save/restore pair costs about 26 ns, a
 * spin_lock_irqsave/unlock pair 45 ns, RDTSC 23 ns, a locked add 12 ns,
 * against a fraction of a nanosecond for a plain instruction.
 *
 * Only the few declarations of QEMU's plugin API (include/qemu/qemu-plugin.h,
 * API version 1, QEMU 7.x) this plugin uses are declared here, so it builds
 * without QEMU's sources.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;

typedef struct {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
} qemu_info_t;

enum qemu_plugin_op {
	QEMU_PLUGIN_INLINE_ADD_U64,
};

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

#define PLUGIN_EXPORT __attribute__((visibility("default")))

PLUGIN_EXPORT int qemu_plugin_version = 1;

/* The costly kinds, in the order of the output's columns after RUNS. */
enum kind {
	K_RDTSC,  /* rdtsc, rdtscp */
	K_CLI,	  /* cli */
	K_STI,	  /* sti */
	K_POPF,	  /* popf (may change IF: the block ends there) */
	K_LOCKED, /* a lock prefix, or xchg with memory (locked without one) */
	K_MFENCE, /* mfence */
	K_HLT,	  /* hlt */
	K_PIO,	  /* in, out, ins, outs */
	K_DIV,	  /* div, idiv (a helper call each under TCG) */
	NR_KINDS
};

/*
 * The kind of the instruction in @b (@n bytes), or NR_KINDS. Legacy and
 * REX prefixes are skipped to find the opcode; a lock prefix is a kind by
 * itself.
 */
static enum kind kind_of(const uint8_t *b, size_t n)
{
	size_t i = 0;
	bool locked = false;

	for (; i < n; i++) {
		uint8_t p = b[i];

		if (p == 0xf0)
			locked = true;
		else if (!(p == 0x66 || p == 0x67 || p == 0xf2 || p == 0xf3 || p == 0x2e ||
			   p == 0x36 || p == 0x3e || p == 0x26 || p == 0x64 || p == 0x65 ||
			   (p & 0xf0) == 0x40))
			break;
	}
	if (locked)
		return K_LOCKED;
	if (i >= n)
		return NR_KINDS;
	switch (b[i]) {
	case 0xfa:
		return K_CLI;
	case 0xfb:
		return K_STI;
	case 0x9d:
		return K_POPF;
	case 0xf4:
		return K_HLT;
	case 0x86:
	case 0x87:
		/* xchg with a memory operand (ModRM mod != 3) is locked. */
		return i + 1 < n && (b[i + 1] >> 6) != 3 ? K_LOCKED : NR_KINDS;
	case 0xf6:
	case 0xf7:
		/* Group 3: ModRM reg 6 is div, 7 idiv. */
		return i + 1 < n && ((b[i + 1] >> 3) & 7) >= 6 ? K_DIV : NR_KINDS;
	case 0xe4 ... 0xe7:
	case 0xec ... 0xef:
	case 0x6c ... 0x6f:
		return K_PIO;
	case 0x0f:
		if (i + 1 < n && b[i + 1] == 0x31)
			return K_RDTSC;
		if (i + 2 < n && b[i + 1] == 0x01 && b[i + 2] == 0xf9)
			return K_RDTSC; /* rdtscp */
		if (i + 2 < n && b[i + 1] == 0xae && b[i + 2] == 0xf0)
			return K_MFENCE;
		return NR_KINDS;
	default:
		return NR_KINDS;
	}
}

/*
 * One per translation: a block translated again (after a TLB flush, a
 * self-modifying write) gets another record; tools/profile adds them up.
 */
struct block {
	uint64_t vaddr;
	uint64_t runs;
	uint64_t mark;	 /* runs when the open window began */
	uint64_t window; /* runs inside closed windows */
	uint32_t insns;
	uint16_t kinds[NR_KINDS];
	struct block *next;
};

static struct block *blocks;
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *out_path;
static bool out_of_memory;
static uint64_t begin_addr, end_addr; /* 0: no window */
static bool window_open;
static unsigned long windows;

/*
 * At the entry of profile_window_begin or _end, before its own count: a
 * snapshot of every block's runs, or what they ran since it. Rare (a few
 * times a run), so walking every block is cheap enough.
 */
static void on_window(unsigned int vcpu, void *userdata)
{
	bool begin = userdata != NULL;

	(void)vcpu;
	pthread_mutex_lock(&blocks_lock);
	if (begin && !window_open) {
		for (struct block *b = blocks; b; b = b->next)
			b->mark = b->runs;
		window_open = true;
	} else if (!begin && window_open) {
		for (struct block *b = blocks; b; b = b->next)
			b->window += b->runs - b->mark;
		window_open = false;
		windows++;
	}
	pthread_mutex_unlock(&blocks_lock);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b = calloc(1, sizeof(*b));

	(void)id;
	if (!b) {
		out_of_memory = true;
		return;
	}
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = (uint32_t)qemu_plugin_tb_n_insns(tb);
	/* A block born inside a window counts from zero, as its runs do. */
	if (begin_addr && (b->vaddr == begin_addr || b->vaddr == end_addr))
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_window, QEMU_PLUGIN_CB_NO_REGS,
						     b->vaddr == begin_addr ? (void *)1 : NULL);
	for (size_t i = 0; i < b->insns; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		enum kind k = kind_of(qemu_plugin_insn_data(insn), qemu_plugin_insn_size(insn));

		if (k != NR_KINDS)
			b->kinds[k]++;
	}
	/* Translation may run on several vCPU threads at once. */
	pthread_mutex_lock(&blocks_lock);
	b->next = blocks;
	blocks = b;
	pthread_mutex_unlock(&blocks_lock);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->runs, 1);
}

/*
 * At exit(), which is how QEMU ends whether the guest wrote isa-debug-exit
 * or powered off: the plugin API's own atexit callback is not called on
 * every one of those paths in QEMU 7.2, a destructor is.
 */
__attribute__((destructor)) static void write_counts(void)
{
	FILE *f;

	if (!out_path)
		return;
	f = fopen(out_path, "w");
	if (!f) {
		fprintf(stderr, "insns-plugin: cannot write %s\n", out_path);
		return;
	}
	if (out_of_memory)
		fprintf(f, "# incomplete: out of memory\n");
	if (begin_addr)
		fprintf(f, "# windows %lu\n", windows);
	for (struct block *b = blocks; b; b = b->next)
		if (b->runs) {
			fprintf(f, "%llx %u %llu", (unsigned long long)b->vaddr, b->insns,
				(unsigned long long)b->runs);
			for (int k = 0; k < NR_KINDS; k++)
				fprintf(f, " %u", b->kinds[k]);
			if (begin_addr)
				fprintf(f, " %llu", (unsigned long long)b->window);
			fputc('\n', f);
		}
	fclose(f);
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
				      char **argv)
{
	for (int i = 0; i < argc; i++) {
		char *end = "";
		bool ok = true;

		if (!strncmp(argv[i], "out=", 4) && argv[i][4]) {
			out_path = argv[i] + 4;
		} else if (!strncmp(argv[i], "begin=", 6) && argv[i][6]) {
			begin_addr = strtoull(argv[i] + 6, &end, 16);
			ok = begin_addr != 0;
		} else if (!strncmp(argv[i], "end=", 4) && argv[i][4]) {
			end_addr = strtoull(argv[i] + 4, &end, 16);
			ok = end_addr != 0;
		} else {
			ok = false;
		}
		if (!ok || *end) {
			fprintf(stderr,
				"insns-plugin: bad argument '%s' (expected out=FILE, begin=HEX, "
				"end=HEX)\n",
				argv[i]);
			return -1;
		}
	}
	if (!begin_addr != !end_addr || (begin_addr && begin_addr == end_addr)) {
		fprintf(stderr, "insns-plugin: begin= and end= go together, at two addresses\n");
		return -1;
	}
	if (!out_path) {
		fprintf(stderr, "insns-plugin: out=FILE is required\n");
		return -1;
	}
	if (!info->system_emulation || strcmp(info->target_name, "x86_64")) {
		fprintf(stderr, "insns-plugin: made for x86_64 system emulation, not %s\n",
			info->target_name);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	return 0;
}
