/* SPDX-License-Identifier: MIT */
/*
 * Jobs on several CPUs. The jobs of a phase (the ones that start together)
 * are placed on CPUs, and each CPU runs its share to completion in one call
 * of engine_run_set, in process context on that CPU: the boot CPU its own
 * share directly, the others theirs as work from their idle loops. A job's
 * I/O is submitted on its CPU and its bi_end_io runs there too (the block
 * layer hands completions back to the submitting CPU), so no job's state is
 * ever touched by two CPUs and the engine needs no locks.
 *
 * Placement, fio's cpus_allowed in spirit: a job with cpus_allowed runs on
 * those CPUs, its numjobs copies one per CPU in turn; a job without it runs
 * on CPU (its place among the phase's jobs) mod the online CPUs, so the
 * copies of a numjobs job spread one per CPU. (fio's threads may float over
 * their allowed CPUs; here a job stays on one, as with fio's
 * cpus_allowed_policy=split.)
 */
#include "bench/engine.h"
#include "bench/job.h"
#include "kernel/cmdline.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/smp.h"

/* The @k-th CPU of @mask (wrapping). */
static unsigned nth_cpu(unsigned long mask, unsigned k)
{
	unsigned n = hweight_long(mask);

	k %= n;
	while (k--)
		mask &= mask - 1;
	return (unsigned)__builtin_ctzl(mask);
}

void jobs_place(struct job **jobs, unsigned n)
{
	unsigned cpus = num_online_cpus();

	for (unsigned i = 0; i < n; i++) {
		struct job *j = jobs[i];

		j->cpu =
			j->spec->cpus_allowed ? nth_cpu(j->spec->cpus_allowed, j->clone) : i % cpus;
	}
}

struct cpu_share {
	struct work_struct work;
	struct job **jobs;
	unsigned n;
};

static void run_share(struct work_struct *w)
{
	struct cpu_share *share = container_of(w, struct cpu_share, work);

	engine_run_set(share->jobs, share->n);
}

int engine_run_cpus(struct job **jobs, unsigned n)
{
	unsigned cpus = num_online_cpus();
	struct cpu_share *shares;
	struct job **sorted;
	unsigned next = 0;

	jobs_place(jobs, n);
	shares = kzalloc(cpus * sizeof(*shares));
	sorted = kzalloc(MAX(n, 1u) * sizeof(*sorted));
	if (!shares || !sorted) {
		kfree(shares);
		kfree(sorted);
		return kernel_fail("no memory to place %u jobs on CPUs", n);
	}
	/* Each CPU's jobs side by side in one array, in their order. */
	for (unsigned cpu = 0; cpu < cpus; cpu++) {
		shares[cpu].jobs = &sorted[next];
		for (unsigned i = 0; i < n; i++)
			if (jobs[i]->cpu == cpu)
				sorted[next++] = jobs[i];
		shares[cpu].n = (unsigned)(&sorted[next] - shares[cpu].jobs);
	}
	engine_watch(jobs, n);
	for (unsigned cpu = 1; cpu < cpus; cpu++) {
		if (!shares[cpu].n)
			continue;
		INIT_WORK(&shares[cpu].work, run_share);
		if (queue_work_on(cpu, &shares[cpu].work))
			panic("cpus: CPU %u is online but takes no work", cpu);
	}
	if (shares[0].n)
		engine_run_set(shares[0].jobs, shares[0].n);
	for (unsigned cpu = 1; cpu < cpus; cpu++)
		if (shares[cpu].n)
			flush_work(&shares[cpu].work);
	engine_unwatch();
	kfree(shares);
	kfree(sorted);
	return 0;
}
