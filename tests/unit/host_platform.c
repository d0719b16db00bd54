/* SPDX-License-Identifier: MIT */
/*
 * The platform header (include/kernel/platform.h) implemented for host unit
 * tests: malloc-backed allocation with live counters (so a test can assert
 * that nothing leaked), a fake clock the test advances, and tasklets and
 * timers that run only when the test calls do_softirq(). Symbols are weak so
 * a test that links the kernel's own allocator or formatter can override
 * them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/platform.h"
#include "tests/unit/host_platform.h"

#define __weak __attribute__((weak))

long host_live_allocs;
long host_live_dma;
u64 host_now_ns;
int host_irq_disabled;
bool host_printk_quiet;
char host_log[HOST_LOG_SIZE];
size_t host_log_len;

__weak unsigned long local_irq_save(void)
{
	unsigned long old = (unsigned long)host_irq_disabled;
	host_irq_disabled = 1;
	return old;
}

__weak void local_irq_restore(unsigned long flags)
{
	host_irq_disabled = (int)flags;
}

__weak void local_irq_enable(void)
{
	host_irq_disabled = 0;
}

__weak void local_irq_disable(void)
{
	host_irq_disabled = 1;
}

__weak bool irqs_disabled(void)
{
	return host_irq_disabled != 0;
}

/*
 * CPUs: the test chooses which one the code runs on (host_cpu), and how
 * many there are; everything still runs on the test's one thread.
 */
unsigned host_cpu;
unsigned host_nr_cpus = 1;
int host_irq_depth;

__weak unsigned smp_processor_id(void)
{
	return host_cpu;
}

__weak unsigned num_online_cpus(void)
{
	return host_nr_cpus;
}

__weak bool in_irq(void)
{
	return host_irq_depth > 0;
}

/*
 * One thread cannot wait for a lock: whoever holds it will never run
 * again, so a wait is a deadlock the test has found.
 */
__weak void spin_lock_wait(spinlock_t *l)
{
	spin_lock_bug(l, "deadlock: waited for a lock nothing will release");
}

__weak void spin_lock_bug(spinlock_t *l, const char *what)
{
	panic("spinlock %s: %s (held by CPU %d)", l->name ? l->name : "?", what, l->cpu);
	abort();
}

/* Which CPUs the test's code woke, one bit each. */
unsigned long host_woken_cpus;

__weak void smp_send_reschedule(unsigned cpu)
{
	if (cpu != host_cpu)
		host_woken_cpus |= 1ul << cpu;
}

__weak u64 ktime_get_ns(void)
{
	return host_now_ns;
}

bool host_kmalloc_fail;

__weak void *kmalloc(size_t size)
{
	void *p;

	if (host_kmalloc_fail)
		return NULL;
	p = malloc(size ? size : 1);
	if (p)
		host_live_allocs++;
	return p;
}

__weak void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

__weak void kfree(const void *p)
{
	if (!p)
		return;
	host_live_allocs--;
	free((void *)p);
}

__weak void *dma_alloc(size_t size, size_t align, phys_addr_t *phys)
{
	void *p;

	if (size >= PAGE_SIZE || align < sizeof(void *))
		align = size >= PAGE_SIZE ? PAGE_SIZE : sizeof(void *);
	if (posix_memalign(&p, align, size ? size : 1))
		return NULL;
	memset(p, 0, size);
	host_live_dma++;
	if (phys)
		*phys = (phys_addr_t)(uintptr_t)p;
	return p;
}

__weak void dma_free(void *p, size_t size)
{
	if (!p)
		return;
	host_live_dma--;
	free(p);
}

__weak phys_addr_t virt_to_phys(const void *p)
{
	return (phys_addr_t)(uintptr_t)p;
}

__weak int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return vsnprintf(buf, size, fmt, ap);
}

__weak int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

__weak int printk(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0) {
		size_t len = strlen(line);
		if (host_log_len + len >= HOST_LOG_SIZE)
			host_log_len = 0; /* keep the newest lines */
		memcpy(host_log + host_log_len, line, len + 1);
		host_log_len += len;
	}
	if (!host_printk_quiet)
		fputs(line, stderr);
	return n;
}

__weak void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("PANIC: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\n", stderr);
	va_end(ap);
	abort();
}

/*
 * Tasklets: one FIFO per CPU. do_softirq() runs the current CPU's
 * (host_cpu), so a test that simulates several CPUs switches host_cpu and
 * calls do_softirq() for each.
 */
static struct tasklet *tasklet_head[NR_CPUS];

__weak void tasklet_init(struct tasklet *t, void (*func)(void *), void *data)
{
	t->next = NULL;
	t->func = func;
	t->data = data;
	t->state = 0;
}

__weak void tasklet_schedule_on(struct tasklet *t, unsigned cpu)
{
	struct tasklet **pp;

	if (cpu >= host_nr_cpus)
		cpu = host_cpu;
	if (test_and_set_bit(TASKLET_STATE_SCHED, &t->state))
		return;
	t->next = NULL;
	for (pp = &tasklet_head[cpu]; *pp; pp = &(*pp)->next)
		;
	*pp = t;
	smp_send_reschedule(cpu);
}

__weak void tasklet_schedule(struct tasklet *t)
{
	tasklet_schedule_on(t, host_cpu);
}

static LIST_HEAD(host_timers);

__weak void timer_setup(struct timer_list *t, void (*func)(struct timer_list *))
{
	INIT_LIST_HEAD(&t->entry);
	t->func = func;
	t->pending = false;
	t->running = false;
	t->expires = 0;
	t->cpu = 0;
}

__weak void mod_timer(struct timer_list *t, u64 expires_ns)
{
	if (t->pending)
		list_del_init(&t->entry);
	t->expires = expires_ns;
	t->pending = true;
	t->cpu = (u16)host_cpu;
	list_add_tail(&t->entry, &host_timers);
}

__weak void del_timer(struct timer_list *t)
{
	if (t->pending)
		list_del_init(&t->entry);
	t->pending = false;
}

__weak void del_timer_sync(struct timer_list *t)
{
	del_timer(t);
}

static bool run_due_timers(void)
{
	struct timer_list *t, *n;
	bool ran = false;

	list_for_each_entry_safe(t, n, &host_timers, entry) {
		if (t->expires <= host_now_ns && t->cpu == host_cpu) {
			list_del_init(&t->entry);
			t->pending = false;
			t->func(t);
			ran = true;
		}
	}
	return ran;
}

__weak bool do_softirq(void)
{
	bool ran = run_due_timers();

	while (tasklet_head[host_cpu]) {
		struct tasklet *t = tasklet_head[host_cpu];
		tasklet_head[host_cpu] = t->next;
		t->next = NULL;
		clear_bit(TASKLET_STATE_SCHED, &t->state);
		t->func(t->data);
		ran = true;
	}
	return ran;
}

static bool (*idle_hooks[CPU_IDLE_HOOKS])(void);
static unsigned nr_idle_hooks;

void cpu_idle_register_hook(bool (*prepare)(void))
{
	for (unsigned i = 0; i < nr_idle_hooks; i++)
		if (idle_hooks[i] == prepare)
			return; /* each test's init registers again */
	if (nr_idle_hooks == CPU_IDLE_HOOKS)
		abort();
	idle_hooks[nr_idle_hooks++] = prepare;
}

/*
 * Nothing will ever interrupt a host test: idling with no work would hang,
 * so it is a test bug. Advancing the clock lets timers fire instead. The
 * hooks run first, as on the kernel: work they hand over is done before
 * any idling.
 */
__weak void cpu_idle_once(void)
{
	bool spin = false;

	for (unsigned i = 0; i < nr_idle_hooks; i++)
		spin |= idle_hooks[i]();
	if (spin || tasklet_head[host_cpu])
		return;
	if (list_empty(&host_timers)) {
		fprintf(stderr, "host_platform: wait_until() with nothing that could wake it\n");
		abort();
	}
	host_advance_ns(NSEC_PER_MSEC);
}

void host_advance_ns(u64 ns)
{
	host_now_ns += ns;
}

void host_platform_reset(void)
{
	memset(tasklet_head, 0, sizeof(tasklet_head));
	INIT_LIST_HEAD(&host_timers);
	host_cpu = 0;
	host_nr_cpus = 1;
	host_irq_depth = 0;
	host_woken_cpus = 0;
	host_now_ns = 0;
	host_log_len = 0;
	host_log[0] = '\0';
}

/* spin_until's pause: the fake clock moves on, so timed waits end. */
__weak void platform_relax(void)
{
	host_advance_ns(NSEC_PER_USEC);
}
