/* SPDX-License-Identifier: MIT */
/*
 * Deferred work: tasklets, timer_list timers, and the idle loop.
 *
 * Each CPU has one process context (kmain's on the boot CPU, the idle
 * loop's work on the others) and runs its own tasklets from do_softirq(),
 * which only that process context calls (from wait_until), with interrupts
 * enabled. So on one CPU a tasklet never interrupts another tasklet or the
 * code that waits. Across CPUs the TASKLET_STATE_RUN bit keeps one tasklet
 * from running on two at once, as in Linux; whatever else two tasklets on
 * two CPUs share, they lock.
 *
 * Timers are kept on one list, sorted by expiry, under one lock; each runs
 * on the CPU that armed it, from that CPU's timer tasklet, which its tick
 * schedules when one of its timers is due.
 */
#include "kernel/cpu.h"
#include "kernel/platform.h"
#include "kernel/smp.h"
#include "kernel/time.h"

static LIST_HEAD(timer_list_head); /* sorted by expiry */
static DEFINE_SPINLOCK(timer_lock);

void tasklet_init(struct tasklet *t, void (*func)(void *), void *data)
{
	t->next = NULL;
	t->func = func;
	t->data = data;
	t->state = 0;
}

static void tasklet_enqueue(struct tasklet *t, struct cpu_local *c)
{
	unsigned long flags;

	spin_lock_irqsave(&c->tasklet_lock, flags);
	t->next = NULL;
	*c->tasklet_tail = t;
	c->tasklet_tail = &t->next;
	spin_unlock_irqrestore(&c->tasklet_lock, flags);
}

void tasklet_schedule(struct tasklet *t)
{
	if (!test_and_set_bit(TASKLET_STATE_SCHED, &t->state))
		tasklet_enqueue(t, this_cpu());
}

void tasklet_schedule_on(struct tasklet *t, unsigned cpu)
{
	if (cpu >= num_online_cpus())
		cpu = smp_processor_id();
	if (test_and_set_bit(TASKLET_STATE_SCHED, &t->state))
		return;
	tasklet_enqueue(t, cpu_local_of(cpu));
	smp_send_reschedule(cpu);
}

static struct tasklet *tasklet_pop(struct cpu_local *c)
{
	struct tasklet *t;
	unsigned long flags;

	/*
	 * Nothing queued: no need for the lock (waiting loops call this all
	 * the time, and a lock with interrupts off costs tens of plain
	 * instructions under TCG). A tasklet queued after this look comes
	 * with an interrupt or a reschedule IPI, so it is seen next time.
	 */
	if (!READ_ONCE(c->tasklet_head))
		return NULL;
	spin_lock_irqsave(&c->tasklet_lock, flags);
	t = c->tasklet_head;
	if (t) {
		c->tasklet_head = t->next;
		if (!c->tasklet_head)
			c->tasklet_tail = &c->tasklet_head;
		t->next = NULL;
	}
	spin_unlock_irqrestore(&c->tasklet_lock, flags);
	return t;
}

void timer_setup(struct timer_list *t, void (*func)(struct timer_list *))
{
	INIT_LIST_HEAD(&t->entry);
	t->func = func;
	t->expires = 0;
	t->pending = false;
	t->running = false;
	t->cpu = 0;
}

void mod_timer(struct timer_list *t, u64 expires_ns)
{
	struct timer_list *pos;
	unsigned long flags;

	spin_lock_irqsave(&timer_lock, flags);
	if (t->pending)
		list_del_init(&t->entry);
	t->expires = expires_ns;
	t->pending = true;
	t->cpu = (u16)smp_processor_id();
	list_for_each_entry(pos, &timer_list_head, entry) {
		if (pos->expires > expires_ns)
			break;
	}
	list_add_tail(&t->entry, &pos->entry);
	spin_unlock_irqrestore(&timer_lock, flags);
}

void del_timer(struct timer_list *t)
{
	unsigned long flags;

	spin_lock_irqsave(&timer_lock, flags);
	if (t->pending)
		list_del_init(&t->entry);
	t->pending = false;
	spin_unlock_irqrestore(&timer_lock, flags);
}

void del_timer_sync(struct timer_list *t)
{
	del_timer(t);
	/* Its own function may delete it; only another CPU's run is waited for. */
	while (READ_ONCE(t->running) && t->cpu != smp_processor_id())
		cpu_relax();
}

/* The first timer of @cpu that is due at @now; the caller holds timer_lock. */
static struct timer_list *timer_due_locked(unsigned cpu, u64 now)
{
	struct timer_list *t;

	list_for_each_entry(t, &timer_list_head, entry) {
		if (t->expires > now)
			return NULL;
		if (t->cpu == cpu)
			return t;
	}
	return NULL;
}

static void run_timers(void *unused)
{
	unsigned cpu = smp_processor_id();

	for (;;) {
		struct timer_list *t;
		unsigned long flags;

		spin_lock_irqsave(&timer_lock, flags);
		t = timer_due_locked(cpu, ktime_get_ns());
		if (!t) {
			spin_unlock_irqrestore(&timer_lock, flags);
			return;
		}
		list_del_init(&t->entry);
		t->pending = false;
		WRITE_ONCE(t->running, true);
		spin_unlock_irqrestore(&timer_lock, flags);
		t->func(t);
		/* The function may have freed a timer it deleted; it may not free a pending one. */
		smp_store_release(&t->running, false);
	}
}

void timer_tick(void)
{
	struct cpu_local *c = this_cpu();
	bool due;

	spin_lock(&timer_lock);
	due = timer_due_locked(c->cpu, ktime_get_ns()) != NULL;
	spin_unlock(&timer_lock);
	if (due) {
		if (!c->timer_tasklet.func)
			tasklet_init(&c->timer_tasklet, run_timers, NULL);
		tasklet_schedule(&c->timer_tasklet);
	}
}

bool do_softirq(void)
{
	struct cpu_local *c = this_cpu();
	struct tasklet *t;
	bool ran = false;

	/* Waiting inside a tasklet would wait for itself: a kernel bug. */
	if (c->in_softirq)
		panic("wait_until() called from softirq context");
	c->in_softirq = true;
	while ((t = tasklet_pop(c))) {
		if (test_and_set_bit(TASKLET_STATE_RUN, &t->state)) {
			/* Running on another CPU: ours is the next run; come back to it. */
			tasklet_enqueue(t, c);
			cpu_relax();
			continue;
		}
		/* Scheduling it again from now on queues another run. */
		clear_bit(TASKLET_STATE_SCHED, &t->state);
		t->func(t->data);
		clear_bit(TASKLET_STATE_RUN, &t->state);
		ran = true;
	}
	c->in_softirq = false;
	return ran;
}

static bool (*idle_hooks[CPU_IDLE_HOOKS])(void);
static unsigned nr_idle_hooks;

void cpu_idle_register_hook(bool (*prepare)(void))
{
	for (unsigned i = 0; i < nr_idle_hooks; i++)
		if (idle_hooks[i] == prepare)
			return; /* registered by an earlier init */
	BUG_ON(nr_idle_hooks == CPU_IDLE_HOOKS);
	idle_hooks[nr_idle_hooks] = prepare;
	smp_store_release(&nr_idle_hooks, nr_idle_hooks + 1);
}

void cpu_idle_once(void)
{
	struct cpu_local *c = this_cpu();
	unsigned hooks = smp_load_acquire(&nr_idle_hooks);
	bool spin = false;
	u64 t0, t1;

	/* Whatever the hooks hand to deferred work is seen by the look below. */
	for (unsigned i = 0; i < hooks; i++)
		spin |= idle_hooks[i]();
	if (spin) {
		cpu_relax();
		return;
	}

	/*
	 * With interrupts off, nothing can be queued unseen between the look
	 * and the halt: a tasklet or work queued from now on comes with an
	 * interrupt (a device's, or another CPU's reschedule IPI), which sti's
	 * one-instruction shadow still lets wake the hlt. A reschedule that
	 * came before the look left wake_pending set: the caller's condition
	 * may hold now, so it looks again instead of halting.
	 */
	local_irq_disable();
	if (__atomic_exchange_n(&c->wake_pending, false, __ATOMIC_SEQ_CST) ||
	    READ_ONCE(c->tasklet_head) || smp_work_pending()) {
		local_irq_enable();
		return;
	}
	/* The clock, not the TSC: a jump of the TSC while halted is not idle time. */
	t0 = ktime_get_ns();
	safe_halt(); /* enables interrupts; returns after one was handled */
	t1 = ktime_get_ns();
	if (t1 > t0)
		c->idle_ns += t1 - t0;
}

/*
 * Idle until @deadline_ns (0: none) or the next interrupt, whichever comes
 * first. Only the tick wakes a halted CPU on time, so a deadline nearer
 * than a tick is waited for by polling for work instead, as Linux's
 * poll_idle state does; that time counts as idle too.
 */
void cpu_idle_until(u64 deadline_ns)
{
	struct cpu_local *c = this_cpu();
	unsigned hooks = smp_load_acquire(&nr_idle_hooks);
	u64 t0 = ktime_get_ns(), t = t0;

	if (!deadline_ns || (deadline_ns > t0 && deadline_ns - t0 >= NSEC_PER_SEC / HZ)) {
		cpu_idle_once();
		return;
	}
	for (unsigned i = 0; i < hooks; i++)
		if (idle_hooks[i]())
			return; /* a poll queue to reap: the caller polls */
	while (t < deadline_ns && !READ_ONCE(c->wake_pending) && !READ_ONCE(c->tasklet_head) &&
	       !smp_work_pending()) {
		cpu_relax();
		t = ktime_get_ns();
	}
	if (t > t0)
		c->idle_ns += t - t0;
}

u64 idle_ns_total(void)
{
	return this_cpu()->idle_ns;
}

u64 idle_ns_cpu(unsigned cpu)
{
	return cpu < NR_CPUS ? READ_ONCE(cpu_local_of(cpu)->idle_ns) : 0;
}
