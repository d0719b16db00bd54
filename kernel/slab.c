/* SPDX-License-Identifier: MIT */
/*
 * kmalloc: power-of-two size classes from 16 bytes to a page, each a list
 * of slab pages cut into equal objects, and whole buddy blocks for anything
 * larger (include/kernel/mm.h, include/kernel/platform.h).
 *
 * Objects of a class are aligned to the class size inside a page-aligned
 * slab, so none crosses a page and each is physically contiguous, which is
 * what lets dma_alloc() hand them to a device. All bookkeeping is in the
 * page's struct page (class, free list, objects in use), never in the
 * memory handed out, so every path is O(1): kfree finds the class from the
 * page frame number; kmalloc takes the first slab with a free object.
 *
 * A free object holds the next free object and a poison word derived from
 * its own address, which catches most double frees and writes to the first
 * 16 bytes of freed memory.
 *
 * Each CPU keeps a few free objects of each class (as Linux's SLAB kept its
 * array_cache): kmalloc and kfree take and put them with interrupts off on
 * that CPU alone, and go to the class, under its lock, only for a batch at
 * a time. The I/O paths allocate and free a bio and a request or two per
 * I/O on every CPU that submits; without the caches each of those was a
 * locked cache line bounced between CPUs. A cached object stays poisoned,
 * so a double free or a write after free is still caught. The counters
 * users see (allocations, frees, live objects) are kept per CPU, as calls;
 * the slabs' own (pages) count cached objects as taken.
 */
#include "kernel/mm.h"
#include "kernel/platform.h"
#include "kernel/string.h"

#define KMALLOC_MIN_SHIFT 4 /* room for the free-object header */
#define KMALLOC_MAX_SHIFT PAGE_SHIFT
#define NR_KMALLOC_CLASSES (KMALLOC_MAX_SHIFT - KMALLOC_MIN_SHIFT + 1)

/*
 * Empty slabs a class keeps instead of returning them at once, so that an
 * allocation pattern that hovers at a page boundary does not bounce a page
 * through the buddy allocator on every call.
 */
#define KMEM_EMPTY_KEEP 1

#define FREE_POISON 0x5ab5f4eedeadbeefull

struct kmem_class {
	spinlock_t lock; /* the partial list, its slabs' free lists, the counters */
	unsigned size;
	struct list_head partial; /* slabs with at least one free object */
	unsigned empty;		  /* of those, slabs with no object in use */
	struct kmem_stats stats;  /* this class's share of the totals */
} __aligned(SMP_CACHE_BYTES);

struct free_object {
	struct free_object *next;
	uintptr_t poison;
};

/* Objects a CPU keeps per class, at most; they move a batch at a time. */
#define KMEM_CPU_MAX 32

struct kmem_cpu_cache {
	unsigned n;
	void *objs[KMEM_CPU_MAX];
	u64 allocs, frees; /* kmalloc and kfree calls of the class on this CPU */
};

struct kmem_cpu {
	struct kmem_cpu_cache c[NR_KMALLOC_CLASSES];
};

static DEFINE_PER_CPU(struct kmem_cpu, cpu_caches);

#define KMEM_CLASS(i)                                                                              \
	[i] = {__SPIN_LOCK_UNLOCKED("kmalloc class"),                                              \
	       1u << (KMALLOC_MIN_SHIFT + (i)),                                                    \
	       LIST_HEAD_INIT(classes[i].partial),                                                 \
	       0,                                                                                  \
	       {0}}

static struct kmem_class classes[NR_KMALLOC_CLASSES] = {
	KMEM_CLASS(0), KMEM_CLASS(1), KMEM_CLASS(2), KMEM_CLASS(3), KMEM_CLASS(4),
	KMEM_CLASS(5), KMEM_CLASS(6), KMEM_CLASS(7), KMEM_CLASS(8),
};
_Static_assert(NR_KMALLOC_CLASSES == 9, "KMEM_CLASS list out of step with PAGE_SHIFT");

/* Allocations too big for a size class: whole buddy blocks. */
static struct kmem_stats large_stats;
static DEFINE_SPINLOCK(large_lock);

static uintptr_t poison_of(const struct free_object *obj)
{
	return (uintptr_t)obj ^ FREE_POISON;
}

/* The smallest class holding @size bytes; @size is at most a page. */
static unsigned size_class(size_t size)
{
	if (size <= (1u << KMALLOC_MIN_SHIFT))
		return 0;
	return 64 - (unsigned)__builtin_clzll(size - 1) - KMALLOC_MIN_SHIFT;
}

static bool same_page(const void *a, const void *b)
{
	return (uintptr_t)a >> PAGE_SHIFT == (uintptr_t)b >> PAGE_SHIFT;
}

/* Takes a fresh page for @c and threads all its objects on a free list. */
static bool new_slab(struct kmem_class *c)
{
	char *base = alloc_pages(0);
	struct free_object *head = NULL;
	struct page *page;

	if (!base)
		return false;
	page = virt_to_page(base);
	/* Built backwards so objects are handed out in address order. */
	for (unsigned off = PAGE_SIZE; off >= c->size;) {
		struct free_object *obj;

		off -= c->size;
		obj = (struct free_object *)(base + off);
		obj->next = head;
		obj->poison = poison_of(obj);
		head = obj;
	}
	page->flags |= PG_slab;
	page->slab_class = (u8)(c - classes);
	page->inuse = 0;
	page->freelist = head;
	list_add(&page->lru, &c->partial);
	c->empty++;
	c->stats.slab_pages++;
	return true;
}

/* (locked) One object off the class's first partial slab, still poisoned. */
static struct free_object *slab_take(struct kmem_class *c)
{
	struct free_object *obj;
	struct page *page;

	if (list_empty(&c->partial) && !new_slab(c))
		return NULL;
	page = list_first_entry(&c->partial, struct page, lru);
	obj = page->freelist;
	if (obj->poison != poison_of(obj) || (obj->next && !same_page(obj, obj->next))) {
		spin_unlock(&c->lock);
		panic("kmalloc: free %u-byte object %p was written after kfree", c->size,
		      (void *)obj);
	}
	page->freelist = obj->next;
	if (page->inuse++ == 0)
		c->empty--;
	/* A full slab leaves the list until kfree gives it an object back. */
	if (!page->freelist)
		list_del_init(&page->lru);
	obj->next = NULL;
	c->stats.allocs++;
	c->stats.live_objects++;
	c->stats.live_bytes += c->size;
	return obj;
}

/* (locked) A poisoned object back on its slab's free list. */
static void slab_put(struct kmem_class *c, struct free_object *obj)
{
	struct page *page = virt_to_page(obj);

	if (!page->freelist)
		list_add(&page->lru, &c->partial);
	obj->next = page->freelist;
	page->freelist = obj;
	c->stats.frees++;
	c->stats.live_objects--;
	c->stats.live_bytes -= c->size;
	if (--page->inuse == 0) {
		if (c->empty < KMEM_EMPTY_KEEP) {
			c->empty++;
		} else {
			list_del_init(&page->lru);
			page->flags &= ~PG_slab;
			c->stats.slab_pages--;
			free_pages(page_address(page), 0);
		}
	}
}

/*
 * How many objects of @c a CPU moves at a time (it keeps up to twice
 * that): fewer of the bigger classes, so a CPU holds at most a few pages.
 */
static unsigned cpu_batch(const struct kmem_class *c)
{
	return MAX(1u, MIN(2 * PAGE_SIZE / c->size, KMEM_CPU_MAX / 2u));
}

/* Interrupts off. */
static void *class_alloc(struct kmem_class *c, struct kmem_cpu_cache *cc)
{
	struct free_object *obj;

	if (!cc->n) {
		unsigned batch = cpu_batch(c), got = 0;

		/* Stacked so that they come off in the slab's (address) order. */
		spin_lock(&c->lock);
		while (got < batch && (obj = slab_take(c)))
			cc->objs[batch - 1 - got++] = obj;
		spin_unlock(&c->lock);
		if (got < batch)
			memmove(cc->objs, cc->objs + batch - got, got * sizeof(cc->objs[0]));
		cc->n = got;
		if (!cc->n)
			return NULL;
	}
	obj = cc->objs[cc->n - 1];
	/* Cached, it holds no link: both words are the free object's. */
	if (obj->poison != poison_of(obj) || obj->next)
		panic("kmalloc: free %u-byte object %p was written after kfree", c->size,
		      (void *)obj);
	cc->n--;
	obj->poison = 0;
	cc->allocs++;
	return obj;
}

/* Interrupts off. */
static void class_free(struct page *page, const void *p, struct kmem_cpu_cache *cc)
{
	struct kmem_class *c = &classes[page->slab_class];
	struct free_object *obj = (struct free_object *)p;

	if ((uintptr_t)p & (c->size - 1))
		panic("kfree(%p): not the start of a %u-byte object", p, c->size);
	if (obj->poison == poison_of(obj))
		panic("kfree(%p): double free of a %u-byte object", p, c->size);
	obj->next = NULL;
	obj->poison = poison_of(obj);
	if (cc->n == 2 * cpu_batch(c)) {
		/* Full: the older half goes back to the slabs. */
		unsigned batch = cpu_batch(c);

		spin_lock(&c->lock);
		for (unsigned i = 0; i < batch; i++)
			slab_put(c, cc->objs[i]);
		spin_unlock(&c->lock);
		memmove(cc->objs, cc->objs + batch, (cc->n - batch) * sizeof(cc->objs[0]));
		cc->n -= batch;
	}
	cc->objs[cc->n++] = obj;
	cc->frees++;
}

/* Everything this CPU's caches hold goes back to the slabs. */
void kmem_drain_cpu(void)
{
	unsigned long flags = local_irq_save();
	struct kmem_cpu *kc = this_cpu_ptr(cpu_caches);

	for (unsigned i = 0; i < NR_KMALLOC_CLASSES; i++) {
		struct kmem_cpu_cache *cc = &kc->c[i];

		spin_lock(&classes[i].lock);
		while (cc->n)
			slab_put(&classes[i], cc->objs[--cc->n]);
		spin_unlock(&classes[i].lock);
	}
	local_irq_restore(flags);
}

static void *large_alloc(size_t size)
{
	unsigned order = get_order(size);
	unsigned long flags;
	void *p;

	if (order > MAX_ORDER)
		return NULL;
	p = alloc_pages(order);
	if (!p)
		return NULL;
	spin_lock_irqsave(&large_lock, flags);
	virt_to_page(p)->flags |= PG_kmalloc;
	large_stats.allocs++;
	large_stats.live_objects++;
	large_stats.live_bytes += PAGE_SIZE << order;
	spin_unlock_irqrestore(&large_lock, flags);
	return p;
}

void *kmalloc(size_t size)
{
	unsigned long flags;
	unsigned ci;
	void *p;

	if (size > PAGE_SIZE)
		return large_alloc(size);
	ci = size_class(size);
	flags = local_irq_save();
	p = class_alloc(&classes[ci], &this_cpu_ptr(cpu_caches)->c[ci]);
	local_irq_restore(flags);
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

/* The page behind a kmalloc pointer; anything else is a kernel bug. */
static struct page *kmalloc_page(const void *p, const char *who)
{
	struct page *page = virt_to_page(p);

	if (page && (page->flags & PG_slab))
		return page;
	if (page && (page->flags & PG_kmalloc) && p == page_address(page))
		return page;
	panic("%s(%p): not a live kmalloc pointer (double free?)", who, p);
}

void kfree(const void *p)
{
	struct page *page;
	unsigned long flags;
	unsigned order;

	if (!p)
		return;
	page = kmalloc_page(p, "kfree");
	if (page->flags & PG_slab) {
		flags = local_irq_save();
		class_free(page, p, &this_cpu_ptr(cpu_caches)->c[page->slab_class]);
		local_irq_restore(flags);
		return;
	}
	spin_lock_irqsave(&large_lock, flags);
	order = page->order;
	page->flags &= ~PG_kmalloc;
	large_stats.frees++;
	large_stats.live_objects--;
	large_stats.live_bytes -= PAGE_SIZE << order;
	spin_unlock_irqrestore(&large_lock, flags);
	free_pages((void *)p, order);
}

size_t ksize(const void *p)
{
	struct page *page = kmalloc_page(p, "ksize");

	if (page->flags & PG_slab)
		return classes[page->slab_class].size;
	return PAGE_SIZE << page->order;
}

/*
 * A kmalloc block of at least max(size, align) bytes is aligned to that
 * power of two: size classes are aligned to their size inside a page, and
 * buddy blocks to theirs. So one allocation serves every alignment.
 */
void *dma_alloc(size_t size, size_t align, phys_addr_t *phys)
{
	void *p;

	if (align == 0)
		align = 1;
	BUG_ON(!is_power_of_2(align));
	p = kzalloc(MAX(size, align));
	if (p && phys)
		*phys = virt_to_phys(p);
	return p;
}

void dma_free(void *p, size_t size)
{
	if (!p)
		return;
	if (ksize(p) < size)
		panic("dma_free(%p, %zu): the block has only %zu bytes", p, size, ksize(p));
	kfree(p);
}

static void stats_add(struct kmem_stats *sum, const struct kmem_stats *s)
{
	sum->allocs += s->allocs;
	sum->frees += s->frees;
	sum->live_objects += s->live_objects;
	sum->live_bytes += s->live_bytes;
	sum->slab_pages += s->slab_pages;
}

/*
 * Calls, counted per CPU, give allocations, frees and live objects; the
 * slabs give their pages. Other CPUs' counts are read as they stand: exact
 * when they are not allocating, a moment's snapshot when they are.
 */
struct kmem_stats kmem_get_stats(void)
{
	struct kmem_stats s = {0};
	unsigned long flags;

	for (unsigned i = 0; i < NR_KMALLOC_CLASSES; i++) {
		struct kmem_stats cs = {0};

		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
			const struct kmem_cpu_cache *cc = &per_cpu(cpu_caches, cpu).c[i];

			cs.allocs += READ_ONCE(cc->allocs);
			cs.frees += READ_ONCE(cc->frees);
		}
		cs.live_objects = cs.allocs - cs.frees;
		cs.live_bytes = cs.live_objects * classes[i].size;
		spin_lock_irqsave(&classes[i].lock, flags);
		cs.slab_pages = classes[i].stats.slab_pages;
		spin_unlock_irqrestore(&classes[i].lock, flags);
		stats_add(&s, &cs);
	}
	spin_lock_irqsave(&large_lock, flags);
	stats_add(&s, &large_stats);
	spin_unlock_irqrestore(&large_lock, flags);
	return s;
}

void kmem_print_stats(void)
{
	struct kmem_stats s = kmem_get_stats();

	pr_info("kmem: %llu allocs, %llu frees, %llu live objects (%llu bytes), %llu slab pages",
		(unsigned long long)s.allocs, (unsigned long long)s.frees,
		(unsigned long long)s.live_objects, (unsigned long long)s.live_bytes,
		(unsigned long long)s.slab_pages);
}

#ifdef VBLK_HOST_TEST
void kmem_reset(void)
{
	for (unsigned i = 0; i < NR_KMALLOC_CLASSES; i++) {
		spin_lock_init(&classes[i].lock, "kmalloc class");
		INIT_LIST_HEAD(&classes[i].partial);
		classes[i].empty = 0;
		memset(&classes[i].stats, 0, sizeof(classes[i].stats));
	}
	memset(cpu_caches, 0, sizeof(cpu_caches));
	memset(&large_stats, 0, sizeof(large_stats));
}
#endif
