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
#else
unsigned long local_irq_save(void);
void local_irq_restore(unsigned long flags);
void local_irq_enable(void);
void local_irq_disable(void);
#endif

/* Monotonic time in nanoseconds since boot (TSC based in the kernel). */
#ifdef VBLK_KERNEL
/*
 * Inline: the I/O path reads the clock several times per request, and under
 * TCG every call and return ends a translated block.
 */
extern u64 ktime_tsc_base, ktime_ns_mult;
static inline u64 ktime_get_ns(void)
{
	u32 lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)(((unsigned __int128)((((u64)hi << 32) | lo) - ktime_tsc_base) *
		      ktime_ns_mult) >>
		     32);
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
 */
struct tasklet {
	struct tasklet *next;
	void (*func)(void *data);
	void *data;
	bool scheduled;
};

#define TASKLET_INIT(fn, d)                                                                        \
	{                                                                                          \
		NULL, (fn), (d), false                                                             \
	}
void tasklet_init(struct tasklet *t, void (*func)(void *), void *data);
/* Safe from interrupt context; scheduling a scheduled tasklet is a no-op. */
void tasklet_schedule(struct tasklet *t);
/* Run every scheduled tasklet; returns true when at least one ran. */
bool do_softirq(void);

/*
 * One-shot timers, run in softirq context once ktime_get_ns() >= expires.
 * A periodic tick (kernel) or the test (host) drives them.
 */
struct timer_list {
	struct list_head entry;
	u64 expires; /* ns, absolute */
	void (*func)(struct timer_list *t);
	bool pending;
};

void timer_setup(struct timer_list *t, void (*func)(struct timer_list *));
void mod_timer(struct timer_list *t, u64 expires_ns);
void del_timer(struct timer_list *t);

/*
 * Wait until @cond holds: run deferred work, and halt the CPU (counted as
 * idle time) when there is none. Only from process context.
 */
void cpu_idle_once(void);
#define wait_until(cond)                                                                           \
	do {                                                                                       \
		while (!(cond)) {                                                                  \
			if (!do_softirq())                                                         \
				cpu_idle_once();                                                   \
		}                                                                                  \
	} while (0)

#endif
