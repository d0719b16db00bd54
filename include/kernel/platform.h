/* SPDX-License-Identifier: MIT */
/*
 * The thin platform header: everything block/ and drivers/virtio_ring.c need
 * from the machine. The kernel implements it in kernel/; host unit tests
 * implement it in tests/unit/host_platform.c with malloc, a fake clock and
 * softirqs that run when the test says so. Nothing in here may assume ring 0
 * unless it is under VBLK_KERNEL.
 */
#ifndef KERNEL_PLATFORM_H
#define KERNEL_PLATFORM_H

#include "kernel/errno.h"
#include "kernel/list.h"
#include "kernel/types.h"

/*
 * Memory barriers for sharing memory with a virtio device. Even with one
 * vCPU they matter: the device is emulated by QEMU threads on other host CPUs,
 * so the guest's stores must be ordered as the device will observe them.
 * On x86 stores are not reordered with stores nor loads with loads (TSO), so
 * write and read barriers only have to stop the compiler; a store followed
 * by a load of another location can be reordered, which needs a real fence.
 */
#define barrier() __asm__ __volatile__("" ::: "memory")
#define virt_wmb() barrier()
#define virt_rmb() barrier()
#define virt_mb() __asm__ __volatile__("lock; addl $0,-4(%%rsp)" ::: "memory", "cc")

/*
 * Ordering between CPUs. x86 keeps stores in order with stores and loads in
 * order with loads, so only a store followed by a load needs a fence. It is
 * mfence, not Linux's "lock; addl $0,-4(%rsp)": measured under QEMU 7.2's
 * TCG, a locked add to the stack on every entry into a virtqueue made the
 * verify stamping of a 128 KiB write job seven times slower (1.5 M against
 * 10 M TSC cycles per 128 KiB stamped), while mfence costs nothing visible.
 */
#define smp_mb() __asm__ __volatile__("mfence" ::: "memory")
#define smp_rmb() barrier()
#define smp_wmb() barrier()
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)

/* Interrupt state. Saving returns an opaque flags word. */
#ifdef VBLK_KERNEL
static inline unsigned long local_irq_save(void)
{
	unsigned long flags;
	__asm__ __volatile__("pushfq; popq %0; cli" : "=r"(flags)::"memory");
	return flags;
}

static inline void local_irq_restore(unsigned long flags)
{
	if (flags & (1ul << 9))
		__asm__ __volatile__("sti" ::: "memory");
}

static inline void local_irq_enable(void)
{
	__asm__ __volatile__("sti" ::: "memory");
}

static inline void local_irq_disable(void)
{
	__asm__ __volatile__("cli" ::: "memory");
}

static inline bool irqs_disabled(void)
{
	unsigned long flags;
	__asm__ __volatile__("pushfq; popq %0" : "=r"(flags)::"memory");
	return !(flags & (1ul << 9));
}
#else
unsigned long local_irq_save(void);
void local_irq_restore(unsigned long flags);
void local_irq_enable(void);
void local_irq_disable(void);
bool irqs_disabled(void);
#endif

/*
 * CPUs. Each CPU has a number from 0 (the boot CPU) to num_online_cpus() - 1,
 * dense, fixed once the CPUs are up. Per-CPU state is an array indexed by
 * it: there is no preemption and no migration, so a context (process,
 * softirq or interrupt) never changes CPU, and the number it read stays
 * right for as long as it runs. NR_CPUS is the most this kernel runs on
 * (the xAPIC's physical destinations allow 255; 16 covers the machines it
 * is measured on and keeps per-CPU arrays small).
 */
#define NR_CPUS 16
#define SMP_CACHE_BYTES 64

#ifdef VBLK_KERNEL
/* The per-CPU area's header (kernel/smp.c): %gs points at it on every CPU. */
#define CPU_LOCAL_CPU 8
#define CPU_LOCAL_IRQ_DEPTH 12
static inline unsigned smp_processor_id(void)
{
	unsigned cpu;
	__asm__("movl %%gs:%c1, %0" : "=r"(cpu) : "i"(CPU_LOCAL_CPU));
	return cpu;
}

/* Inside a hardware interrupt handler (trap_dispatch's device vectors). */
static inline bool in_irq(void)
{
	int depth;
	__asm__ __volatile__("movl %%gs:%c1, %0" : "=r"(depth) : "i"(CPU_LOCAL_IRQ_DEPTH));
	return depth > 0;
}

extern unsigned smp_nr_online;
static inline unsigned num_online_cpus(void)
{
	return READ_ONCE(smp_nr_online);
}
#else
unsigned smp_processor_id(void);
bool in_irq(void);
unsigned num_online_cpus(void);
#endif

/*
 * Counting on this CPU only, safe against its own interrupt handlers (one
 * instruction, which an interrupt cannot split) and cheaper than an atomic:
 * Linux's local_t. Other CPUs may read the count.
 */
#ifdef VBLK_KERNEL
static inline void local_inc(int *v)
{
	__asm__ __volatile__("incl %0" : "+m"(*v));
}

static inline void local_dec(int *v)
{
	__asm__ __volatile__("decl %0" : "+m"(*v));
}
#else
static inline void local_inc(int *v)
{
	(*v)++;
}

static inline void local_dec(int *v)
{
	(*v)--;
}
#endif

/* The same for a 64-bit count, by @n. */
#ifdef VBLK_KERNEL
static inline void local64_add(u64 *v, u64 n)
{
	__asm__ __volatile__("addq %1, %0" : "+m"(*v) : "er"(n));
}
#else
static inline void local64_add(u64 *v, u64 n)
{
	*v += n;
}
#endif

/* One element per CPU, each on its own cache line (no false sharing). */
#define DEFINE_PER_CPU(type, name)                                                                 \
	struct {                                                                                   \
		type v;                                                                            \
	} __aligned(SMP_CACHE_BYTES) name[NR_CPUS]
#define per_cpu(name, cpu) ((name)[cpu].v)
#define this_cpu_ptr(name) (&(name)[smp_processor_id()].v)

/*
 * Atomics, on the compiler's builtins (lock-prefixed instructions on x86;
 * the host tests get the same semantics).
 */
typedef struct {
	int counter;
} atomic_t;

#define ATOMIC_INIT(i)                                                                             \
	{                                                                                          \
		(i)                                                                                \
	}

static inline int atomic_read(const atomic_t *a)
{
	return __atomic_load_n(&a->counter, __ATOMIC_RELAXED);
}

static inline void atomic_set(atomic_t *a, int i)
{
	__atomic_store_n(&a->counter, i, __ATOMIC_RELAXED);
}

static inline int atomic_add_return(int i, atomic_t *a)
{
	return __atomic_add_fetch(&a->counter, i, __ATOMIC_SEQ_CST);
}

static inline void atomic_inc(atomic_t *a)
{
	__atomic_add_fetch(&a->counter, 1, __ATOMIC_SEQ_CST);
}

static inline void atomic_dec(atomic_t *a)
{
	__atomic_sub_fetch(&a->counter, 1, __ATOMIC_SEQ_CST);
}

static inline bool atomic_dec_and_test(atomic_t *a)
{
	return __atomic_sub_fetch(&a->counter, 1, __ATOMIC_SEQ_CST) == 0;
}

/* Returns the old value; the store happened when it equals @old. */
static inline int atomic_cmpxchg(atomic_t *a, int old, int new)
{
	__atomic_compare_exchange_n(&a->counter, &old, new, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	return old;
}

/* Bits of an unsigned long, atomically (Linux's bitops). */
static inline bool test_and_set_bit(unsigned nr, unsigned long *addr)
{
	return __atomic_fetch_or(addr, 1ul << nr, __ATOMIC_SEQ_CST) & (1ul << nr);
}

static inline bool test_and_clear_bit(unsigned nr, unsigned long *addr)
{
	return __atomic_fetch_and(addr, ~(1ul << nr), __ATOMIC_SEQ_CST) & (1ul << nr);
}

static inline void set_bit(unsigned nr, unsigned long *addr)
{
	__atomic_fetch_or(addr, 1ul << nr, __ATOMIC_SEQ_CST);
}

static inline void clear_bit(unsigned nr, unsigned long *addr)
{
	__atomic_fetch_and(addr, ~(1ul << nr), __ATOMIC_SEQ_CST);
}

/*
 * Bits set in @w (Linux's hweight_long), by hand: the freestanding build
 * has no libgcc popcount helper, and qemu64 no popcnt instruction.
 */
static inline unsigned hweight_long(unsigned long w)
{
	w = w - ((w >> 1) & 0x5555555555555555ul);
	w = (w & 0x3333333333333333ul) + ((w >> 2) & 0x3333333333333333ul);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0ful;
	return (unsigned)((w * 0x0101010101010101ul) >> 56);
}

static inline bool test_bit(unsigned nr, const unsigned long *addr)
{
	return __atomic_load_n(addr, __ATOMIC_RELAXED) & (1ul << nr);
}

/*
 * Spinlocks. A test-and-test-and-set lock, not a ticket lock: vCPUs are
 * host threads that the host deschedules at will, and a ticket lock then
 * stalls every waiter behind a descheduled one even while the lock is
 * free, which under TCG on a busy host turns contention into seconds of
 * spinning. Linux makes the same choice for guests without paravirtual
 * locks (virt_spin_lock in arch/x86/include/asm/qspinlock.h): unfair, but
 * whoever runs when the lock is free takes it.
 *
 * Two checks catch the classic bugs at once rather than as a hang: taking
 * a lock this CPU already holds, and taking with interrupts on a lock an
 * interrupt handler also takes (the handler would spin forever on the CPU
 * it interrupted). A lock waited on for seconds is reported as a lockup
 * naming the lock and its holder.
 *
 *   spin_lock_irqsave(&lock, flags) ... spin_unlock_irqrestore(&lock, flags)
 *   spin_lock_irq / spin_unlock_irq   (interrupts known to be on before)
 *   spin_lock / spin_unlock           (interrupts already off, or a lock
 *                                      no interrupt handler takes)
 */
typedef struct spinlock {
	u32 locked;
	s16 cpu;       /* holder, -1 when free */
	bool irq_used; /* taken inside an interrupt handler at least once */
	const char *name;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(n)                                                                    \
	{                                                                                          \
		0, -1, false, n                                                                    \
	}
#define DEFINE_SPINLOCK(x) spinlock_t x = __SPIN_LOCK_UNLOCKED(#x)

static inline void spin_lock_init(spinlock_t *l, const char *name)
{
	l->locked = 0;
	l->cpu = -1;
	l->irq_used = false;
	l->name = name;
}

/* Out of line: the waiting loop, the lockup report, and the checks' reports. */
void spin_lock_wait(spinlock_t *l);
__noreturn void spin_lock_bug(spinlock_t *l, const char *what);

static inline void spin_lock_check(spinlock_t *l)
{
	if (unlikely(READ_ONCE(l->cpu) == (s16)smp_processor_id()))
		spin_lock_bug(l, "taken again by the CPU that holds it");
	if (in_irq()) {
		if (!l->irq_used)
			WRITE_ONCE(l->irq_used, true);
	} else if (unlikely(READ_ONCE(l->irq_used) && !irqs_disabled())) {
		spin_lock_bug(l, "taken with interrupts on, but an interrupt handler takes it too");
	}
}

static inline bool __spin_trylock(spinlock_t *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(spinlock_t *l)
{
	spin_lock_check(l);
	if (unlikely(!__spin_trylock(l)))
		spin_lock_wait(l);
	l->cpu = (s16)smp_processor_id();
}

static inline bool spin_trylock(spinlock_t *l)
{
	spin_lock_check(l);
	if (__atomic_load_n(&l->locked, __ATOMIC_RELAXED) || !__spin_trylock(l))
		return false;
	l->cpu = (s16)smp_processor_id();
	return true;
}

static inline void spin_unlock(spinlock_t *l)
{
	if (unlikely(l->cpu != (s16)smp_processor_id()))
		spin_lock_bug(l, "released by a CPU that does not hold it");
	l->cpu = -1;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(const spinlock_t *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED);
}

/* Held by the calling CPU: for assertions. */
static inline bool spin_is_held(const spinlock_t *l)
{
	return READ_ONCE(l->cpu) == (s16)smp_processor_id();
}

#define spin_lock_irqsave(l, flags)                                                                \
	do {                                                                                       \
		(flags) = local_irq_save();                                                        \
		spin_lock(l);                                                                      \
	} while (0)

static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	local_irq_restore(flags);
}

static inline void spin_lock_irq(spinlock_t *l)
{
	local_irq_disable();
	spin_lock(l);
}

static inline void spin_unlock_irq(spinlock_t *l)
{
	spin_unlock(l);
	local_irq_enable();
}

/* Monotonic time in nanoseconds since boot (TSC based in the kernel). */
#ifdef VBLK_KERNEL
/*
 * Inline: the I/O path reads the clock several times per request, and under
 * TCG every call and return ends a translated block.
 */
/*
 * ns = ns_offset + (tsc - tsc_base) * ns_mult >> 32. The calibration is
 * refined once after boot (kernel/time.c), which rebases the clock so that
 * it stays continuous; the sequence count keeps a reader on another CPU from
 * mixing old and new values. The clock watchdog (kernel/time.c) compares
 * the TSC with a second timer on every tick and takes a jump of the TSC out
 * by moving ns_offset; a reading past ns_limit (20 ms past the last
 * check) is checked before it is returned, so a jump bigger than that is
 * never seen.
 */
struct ktime_params {
	u32 seq; /* odd while being changed */
	u64 tsc_base;
	u64 ns_mult;
	u64 ns_offset;
	u64 ns_limit;
};
extern struct ktime_params ktime_params;
/* The clock watchdog's check of a reading past ns_limit: the checked time. */
u64 ktime_check(u64 seen);
static inline u64 ktime_get_ns(void)
{
	u64 base, mult, offset, limit, ns;
	u32 seq, lo, hi;

	do {
		seq = READ_ONCE(ktime_params.seq);
		barrier();
		base = ktime_params.tsc_base;
		mult = ktime_params.ns_mult;
		offset = ktime_params.ns_offset;
		limit = ktime_params.ns_limit;
		barrier();
	} while ((seq & 1) || seq != READ_ONCE(ktime_params.seq));
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	ns = offset + (u64)(((unsigned __int128)((((u64)hi << 32) | lo) - base) * mult) >> 32);
	if (unlikely(ns > limit))
		return ktime_check(ns);
	return ns;
}
#else
u64 ktime_get_ns(void);
#endif
#define NSEC_PER_USEC ((u64)1000)
#define NSEC_PER_MSEC ((u64)1000000)
#define NSEC_PER_SEC ((u64)1000000000)

/*
 * Object allocator: O(1) size classes; kmalloc returns NULL when memory is
 * exhausted. kfree(NULL) is a no-op.
 */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(const void *p);

/*
 * Memory a device reads or writes (rings, request headers, data buffers):
 * zeroed, aligned to @align (a power of two, at most PAGE_SIZE for sub-page
 * sizes; page-sized and larger allocations are page aligned), physically
 * contiguous. *phys receives the bus address the device must be given.
 */
void *dma_alloc(size_t size, size_t align, phys_addr_t *phys);
void dma_free(void *p, size_t size);
#ifdef VBLK_KERNEL
/* The kernel runs on an identity map. */
static inline phys_addr_t virt_to_phys(const void *p)
{
	return (phys_addr_t)(uintptr_t)p;
}
#else
phys_addr_t virt_to_phys(const void *p);
#endif

/* Console output and fatal errors. */
int printk(const char *fmt, ...) __printf(1, 2);
/* Write out what the console held back at boot (kernel/console.c says why). */
void printk_flush(void);
/* The tick's look at output held back since boot (kernel/printk.c). */
void printk_tick(u64 now_ns);
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

#define pr_info(fmt, ...) printk(fmt "\n", ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk("WARNING: " fmt "\n", ##__VA_ARGS__)
#define pr_err(fmt, ...) printk("ERROR: " fmt "\n", ##__VA_ARGS__)

/* Kernel invariants only; device and user errors are returned, not asserted. */
#define BUG_ON(cond)                                                                               \
	do {                                                                                       \
		if (unlikely(cond))                                                                \
			panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__);                   \
	} while (0)
#define BUG() panic("BUG at %s:%d", __FILE__, __LINE__)

/*
 * Deferred work ("softirq" context). An interrupt handler does the least it
 * can and schedules a tasklet; tasklets run later with interrupts enabled,
 * from the idle loop (do_softirq), never nested inside an interrupt. This is
 * where I/O completion (bio_endio, freeing, restarting queues) happens.
 *
 * Every CPU has its own list of scheduled tasklets and runs only its own,
 * as Linux's per-CPU softirqs do: tasklet_schedule queues on the calling
 * CPU, tasklet_schedule_on on another (which is woken to run it). One
 * tasklet is never on two lists and never runs on two CPUs at once: if it
 * is scheduled again while it runs on one CPU, the other CPU waits for
 * that run to end before starting its own.
 */
#define TASKLET_STATE_SCHED 0 /* on some CPU's list */
#define TASKLET_STATE_RUN 1   /* running on some CPU */

struct tasklet {
	struct tasklet *next;
	void (*func)(void *data);
	void *data;
	unsigned long state;
};

#define TASKLET_INIT(fn, d)                                                                        \
	{                                                                                          \
		NULL, (fn), (d), 0                                                                 \
	}
void tasklet_init(struct tasklet *t, void (*func)(void *), void *data);
/* Safe from interrupt context; scheduling a scheduled tasklet is a no-op. */
void tasklet_schedule(struct tasklet *t);
/* The same, on CPU @cpu's list; wakes that CPU when it is another. */
void tasklet_schedule_on(struct tasklet *t, unsigned cpu);
static inline bool tasklet_is_scheduled(const struct tasklet *t)
{
	return test_bit(TASKLET_STATE_SCHED, &t->state);
}
/* Run every tasklet scheduled on this CPU; returns true when at least one ran. */
bool do_softirq(void);

/*
 * Wake CPU @cpu from its idle halt (Linux's reschedule IPI), so that it
 * looks at its tasklets and wait conditions again; a wake-up that arrives
 * just before the halt is not lost (the halt is skipped). A no-op for the
 * caller's own CPU.
 */
void smp_send_reschedule(unsigned cpu);

/*
 * Waiting for another CPU (Linux's wait queues, reduced to what a kernel
 * without threads needs): a CPU that waits for @cond in process context
 * marks itself in @wq; whoever makes @cond true calls wake_up(@wq), which
 * wakes every marked CPU. One CPU waits on one queue at a time.
 */
struct wait_queue_head {
	unsigned long cpus; /* one bit per waiting CPU */
};

#define __WAIT_QUEUE_HEAD_INITIALIZER                                                              \
	{                                                                                          \
		0                                                                                  \
	}
#define DECLARE_WAIT_QUEUE_HEAD(name) struct wait_queue_head name = __WAIT_QUEUE_HEAD_INITIALIZER
_Static_assert(NR_CPUS <= 8 * sizeof(unsigned long), "a wait queue has a bit per CPU");

static inline void init_waitqueue_head(struct wait_queue_head *wq)
{
	wq->cpus = 0;
}

static inline void wake_up(struct wait_queue_head *wq)
{
	unsigned long cpus;

	/* The caller's store that made the condition true comes first. */
	smp_mb();
	cpus = __atomic_load_n(&wq->cpus, __ATOMIC_RELAXED);
	while (cpus) {
		unsigned cpu = (unsigned)__builtin_ctzl(cpus);

		cpus &= cpus - 1;
		smp_send_reschedule(cpu);
	}
}

#define wait_event(wq, cond)                                                                       \
	do {                                                                                       \
		if (cond)                                                                          \
			break;                                                                     \
		set_bit(smp_processor_id(), &(wq)->cpus);                                          \
		smp_mb();                                                                          \
		wait_until(cond);                                                                  \
		clear_bit(smp_processor_id(), &(wq)->cpus);                                        \
	} while (0)

/*
 * One-shot timers, run in softirq context once ktime_get_ns() >= expires,
 * on the CPU that last armed them (mod_timer). A periodic tick (kernel) or
 * the test (host) drives them.
 */
struct timer_list {
	struct list_head entry;
	u64 expires; /* ns, absolute */
	void (*func)(struct timer_list *t);
	bool pending;
	bool running; /* its function runs right now, on timer->cpu */
	u16 cpu;
};

void timer_setup(struct timer_list *t, void (*func)(struct timer_list *));
void mod_timer(struct timer_list *t, u64 expires_ns);
void del_timer(struct timer_list *t);
/* del_timer, and wait until the function no longer runs on another CPU. */
void del_timer_sync(struct timer_list *t);

/*
 * Wait until @cond holds: run deferred work, and halt the CPU (counted as
 * idle time) when there is none. Only from process context. Whatever makes
 * @cond true must wake this CPU: an interrupt or a tasklet on it does, and
 * another CPU that changes the state directly calls smp_send_reschedule;
 * failing both, the next tick (1/HZ) does.
 */
void cpu_idle_once(void);
/*
 * Idle until @deadline_ns (0: none) or an interrupt: halted, or polling
 * when the deadline is nearer than a tick (kernel/softirq.c).
 */
void cpu_idle_until(u64 deadline_ns);
/*
 * Work a CPU must do before it halts (NAPI's rule: a poller gives its ring
 * back to interrupts before it sleeps). cpu_idle_once calls each hook
 * first, with interrupts on; a hook returns true when this CPU must not
 * halt now (it has I/O only polling can complete), and the wait then
 * spins instead. Registered once, at init; at most CPU_IDLE_HOOKS.
 */
#define CPU_IDLE_HOOKS 4
void cpu_idle_register_hook(bool (*prepare)(void));
#ifdef VBLK_KERNEL
static inline void platform_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}
#else
/* Host tests: spinning lets the fake clock move on (host_platform.c). */
void platform_relax(void);
#endif

/*
 * Wait until @cond holds without halting: run deferred work and spin. For
 * short waits where a halted vCPU's wake-up would cost more than the wait
 * (boot's synchronous requests: under TCG the host's scheduler takes
 * milliseconds to run a halted vCPU again). Interrupts still arrive.
 */
#define spin_until(cond)                                                                           \
	do {                                                                                       \
		while (!(cond)) {                                                                  \
			if (!do_softirq())                                                         \
				platform_relax();                                                  \
		}                                                                                  \
	} while (0)
#define wait_until(cond)                                                                           \
	do {                                                                                       \
		while (!(cond)) {                                                                  \
			if (!do_softirq())                                                         \
				cpu_idle_once();                                                   \
		}                                                                                  \
	} while (0)

#endif
