/* SPDX-License-Identifier: MIT */
/*
 * A QEMU TCG plugin for tools/profile --insns: counts how many times each
 * translated block runs and, when QEMU exits, writes one line per block,
 * "VADDR INSNS RUNS" (hex, decimal, decimal), to the file named by its
 * out= argument. tools/profile turns those lines into instructions per
 * function.
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

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

#define PLUGIN_EXPORT __attribute__((visibility("default")))

PLUGIN_EXPORT int qemu_plugin_version = 1;

/*
 * One per translation: a block translated again (after a TLB flush, a
 * self-modifying write) gets another record; tools/profile adds them up.
 */
struct block {
	uint64_t vaddr;
	uint64_t runs;
	uint32_t insns;
	struct block *next;
};

static struct block *blocks;
static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *out_path;
static bool out_of_memory;

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
	for (struct block *b = blocks; b; b = b->next)
		if (b->runs)
			fprintf(f, "%llx %u %llu\n", (unsigned long long)b->vaddr, b->insns,
				(unsigned long long)b->runs);
	fclose(f);
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
				      char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4) && argv[i][4]) {
			out_path = argv[i] + 4;
		} else {
			fprintf(stderr, "insns-plugin: unknown argument '%s' (expected out=FILE)\n",
				argv[i]);
			return -1;
		}
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
