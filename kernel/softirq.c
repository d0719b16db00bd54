/* SPDX-License-Identifier: MIT */
/*
 * Deferred work: tasklets, timer_list timers, and the idle loop.
 *
 * There is one CPU and one process context. Interrupt handlers schedule
 * tasklets; tasklets and expired timers run from do_softirq(), which only the
 * process context calls (from wait_until), with interrupts enabled. So a
 * tasklet never interrupts another tasklet or the code that waits, and the
 * block layer's completion work needs no locks beyond the irq-safe lists
 * that handlers append to.
 */
#include "kernel/cpu.h"
#include "kernel/platform.h"
#include "kernel/time.h"

static struct tasklet *tasklet_head, **tasklet_tail = &tasklet_head;
static LIST_HEAD(timer_list_head); /* sorted by expiry */
static struct tasklet timer_tasklet;
static u64 idle_cycles;
static bool in_softirq;

void tasklet_init(struct tasklet *t, void (*func)(void *), void *data)
{
	t->next = NULL;
	t->func = func;
	t->data = data;
	t->scheduled = false;
}

void tasklet_schedule(struct tasklet *t)
{
	unsigned long flags = local_irq_save();

	if (!t->scheduled) {
		t->scheduled = true;
		t->next = NULL;
		*tasklet_tail = t;
		tasklet_tail = &t->next;
	}
	local_irq_restore(flags);
}

static struct tasklet *tasklet_pop(void)
{
	unsigned long flags = local_irq_save();
	struct tasklet *t = tasklet_head;

	if (t) {
		tasklet_head = t->next;
		if (!tasklet_head)
			tasklet_tail = &tasklet_head;
		t->next = NULL;
		t->scheduled = false;
	}
	local_irq_restore(flags);
	return t;
}

void timer_setup(struct timer_list *t, void (*func)(struct timer_list *))
{
	INIT_LIST_HEAD(&t->entry);
	t->func = func;
	t->expires = 0;
	t->pending = false;
}

void mod_timer(struct timer_list *t, u64 expires_ns)
{
	unsigned long flags = local_irq_save();
	struct timer_list *pos;

	if (t->pending)
		list_del_init(&t->entry);
	t->expires = expires_ns;
	t->pending = true;
	list_for_each_entry(pos, &timer_list_head, entry) {
		if (pos->expires > expires_ns)
			break;
	}
	list_add_tail(&t->entry, &pos->entry);
	local_irq_restore(flags);
}

void del_timer(struct timer_list *t)
{
	unsigned long flags = local_irq_save();

	if (t->pending)
		list_del_init(&t->entry);
	t->pending = false;
	local_irq_restore(flags);
}

static bool timer_due_locked(u64 now)
{
	return !list_empty(&timer_list_head) &&
	       list_first_entry(&timer_list_head, struct timer_list, entry)->expires <= now;
}

static void run_timers(void *unused)
{
	for (;;) {
		unsigned long flags = local_irq_save();
		struct timer_list *t;

		if (!timer_due_locked(ktime_get_ns())) {
			local_irq_restore(flags);
			return;
		}
		t = list_first_entry(&timer_list_head, struct timer_list, entry);
		list_del_init(&t->entry);
		t->pending = false;
		local_irq_restore(flags);
		t->func(t);
	}
}

void timer_tick(void)
{
	if (timer_due_locked(ktime_get_ns())) {
		if (!timer_tasklet.func)
			tasklet_init(&timer_tasklet, run_timers, NULL);
		tasklet_schedule(&timer_tasklet);
	}
}

bool do_softirq(void)
{
	struct tasklet *t;
	bool ran = false;

	/* Waiting inside a tasklet would wait for itself: a kernel bug. */
	if (in_softirq)
		panic("wait_until() called from softirq context");
	in_softirq = true;
	while ((t = tasklet_pop())) {
		t->func(t->data);
		ran = true;
	}
	in_softirq = false;
	return ran;
}

void cpu_idle_once(void)
{
	u64 t0;

	local_irq_disable();
	if (tasklet_head) {
		local_irq_enable();
		return;
	}
	t0 = rdtsc();
	safe_halt(); /* enables interrupts; returns after one was handled */
	idle_cycles += rdtsc() - t0;
}

u64 idle_ns_total(void)
{
	return cycles_to_ns(idle_cycles);
}
