// SPDX-License-Identifier: MIT
/*
 * Host unit tests for the split virtqueue (drivers/virtio_ring_split.c,
 * behind the common operations of drivers/virtio_ring.c;
 * test_virtio_ring_packed.c does the same for the packed ring).
 *
 * The other side of the ring is a simulated device written here, playing by
 * the device's rules of virtio 1.1 §2.6: it finds the rings from the
 * addresses a transport would program (physical == virtual on the host),
 * reads the available ring, walks direct and indirect chains and checks what
 * the driver must guarantee (readable before writable, no INDIRECT with NEXT,
 * no descriptor in two chains at once, tables sized exactly), writes into the
 * writable buffers, pushes used entries, and notifies or stays quiet as
 * used_event or VIRTQ_AVAIL_F_NO_INTERRUPT ask. It can also misbehave on
 * request, to show the driver refuses what it is not owed.
 *
 * Sections: allocation failure injection; the simulated device; the
 * driver's side (requests and callbacks); then the tests, by topic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/virtio_ring.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"

/* The host platform's interrupt flag (tests/unit/host_platform.c). */
extern int host_irq_disabled;

/* ========================================================================
 * Allocation failure injection: host_platform.c's allocators are weak, so
 * these take their place, keeping its live counters.
 */

static unsigned int kmalloc_failures; /* fail this many kmalloc calls next */
static unsigned int dma_failures;     /* likewise for dma_alloc */

void *kmalloc(size_t size)
{
	void *p;

	if (kmalloc_failures) {
		kmalloc_failures--;
		return NULL;
	}
	p = malloc(size ? size : 1);
	if (p)
		host_live_allocs++;
	return p;
}

/* Page aligned always, which satisfies every alignment the ring asks for. */
void *dma_alloc(size_t size, size_t align, phys_addr_t *phys)
{
	void *p;

	if (dma_failures) {
		dma_failures--;
		return NULL;
	}
	assert_true(align <= PAGE_SIZE);
	if (posix_memalign(&p, PAGE_SIZE, size ? size : 1))
		return NULL;
	memset(p, 0, size);
	host_live_dma++;
	*phys = (phys_addr_t)(uintptr_t)p;
	return p;
}

/* ========================================================================
 * The simulated device
 */

#define SIM_MAX_CHAIN 320   /* longest chain a test builds */
#define SIM_MAX_PENDING 512 /* chains the device holds at once */
#define SIM_FILL 0xa5	    /* what the device writes into writable buffers */
#define SIM_FULL UINT32_MAX /* complete with len = every writable byte */

struct sim_buf {
	u64 addr;
	u32 len;
	bool write;
};

/* One chain the device has taken from the available ring. */
struct sim_chain {
	u16 head;
	bool indirect;
	unsigned int n; /* elements */
	u32 writable;	/* device-writable bytes */
	struct sim_buf buf[SIM_MAX_CHAIN];
	unsigned int ndescs; /* ring descriptors it occupies */
	u16 desc_ids[SIM_MAX_CHAIN];
};

struct sim_dev {
	struct virtqueue *vq;
	struct vring vr; /* the device's view of the ring */
	bool event_idx;
	bool indirect;

	u16 last_avail;	 /* next available entry to take */
	u16 used_shadow; /* next used entry to fill */
	/* With EVENT_IDX, ask for a kick at the next entry after each fetch. */
	bool auto_avail_event;

	struct sim_chain *pending; /* taken, not yet used */
	unsigned int npending;
	bool *busy; /* per descriptor: part of a pending chain */

	unsigned int notifies;	 /* notify() calls received */
	bool notify_fails;	 /* make notify() report failure */
	unsigned int interrupts; /* used buffer notifications sent */
	bool deliver_irqs;	 /* send them to vring_interrupt() */
};

static struct sim_dev sim;

/* The negotiated features a split ring is created with. */
static u64 ring_features(bool indirect, bool event_idx)
{
	return (indirect ? 1ull << VIRTIO_RING_F_INDIRECT_DESC : 0) |
	       (event_idx ? 1ull << VIRTIO_RING_F_EVENT_IDX : 0);
}

static bool sim_notify(struct virtqueue *vq)
{
	struct sim_dev *d = vq->priv;

	d->notifies++;
	return !d->notify_fails;
}

/* The rings, found as the device finds them: from the bus addresses. */
static void sim_view(const struct virtqueue *vq, struct vring *vr)
{
	vr->num = virtqueue_get_vring_size(vq);
	vr->desc = (struct virtq_desc *)(uintptr_t)virtqueue_get_desc_addr(vq);
	vr->avail = (struct virtq_avail *)(uintptr_t)virtqueue_get_avail_addr(vq);
	vr->used = (struct virtq_used *)(uintptr_t)virtqueue_get_used_addr(vq);
}

static struct virtqueue *sim_create(unsigned int num, bool indirect, bool event_idx,
				    vq_callback_t cb)
{
	struct virtqueue *vq;

	memset(&sim, 0, sizeof(sim));
	vq = vring_create_virtqueue(0, num, ring_features(indirect, event_idx), sim_notify, cb,
				    &sim, "vq0");
	assert_non_null(vq);
	sim.vq = vq;
	sim.indirect = indirect;
	sim.event_idx = event_idx;
	sim.auto_avail_event = true;
	sim_view(vq, &sim.vr);
	sim.pending = calloc(MIN(num, SIM_MAX_PENDING), sizeof(*sim.pending));
	sim.busy = calloc(num, sizeof(*sim.busy));
	assert_non_null(sim.pending);
	assert_non_null(sim.busy);
	return vq;
}

static void sim_destroy(void)
{
	vring_del_virtqueue(sim.vq);
	free(sim.pending);
	free(sim.busy);
	memset(&sim, 0, sizeof(sim));
}

/* Claim ring descriptor @i for a chain, catching one handed out twice. */
static void sim_claim(struct sim_chain *c, u16 i)
{
	assert_true(i < sim.vr.num);
	assert_false(sim.busy[i]);
	sim.busy[i] = true;
	c->desc_ids[c->ndescs++] = i;
}

/* Walk the chain at @head, checking the driver's side of §2.6.4 and §2.6.5. */
static void sim_walk(u16 head, struct sim_chain *c)
{
	const struct virtq_desc *table = sim.vr.desc;
	unsigned int limit = sim.vr.num;
	bool seen_write = false;
	u16 i = head;

	memset(c, 0, offsetof(struct sim_chain, buf));
	c->ndescs = 0;
	c->head = head;
	sim_claim(c, head);
	if (table[head].flags & VIRTQ_DESC_F_INDIRECT) {
		const struct virtq_desc *hd = &table[head];

		assert_true(sim.indirect);
		/* §2.6.5.3.1: INDIRECT never with NEXT; WRITE is meaningless. */
		assert_int_equal(hd->flags, VIRTQ_DESC_F_INDIRECT);
		assert_true(hd->len > 0 && hd->len % sizeof(struct virtq_desc) == 0);
		limit = hd->len / sizeof(struct virtq_desc);
		assert_true(limit <= sim.vr.num);
		table = (const struct virtq_desc *)(uintptr_t)hd->addr;
		c->indirect = true;
		i = 0;
	}
	for (;;) {
		const struct virtq_desc *d;
		bool write;

		assert_true(i < limit);
		assert_true(c->n < limit); /* a loop */
		assert_true(c->n < SIM_MAX_CHAIN);
		d = &table[i];
		if (!c->indirect && c->n > 0)
			sim_claim(c, i);
		assert_false(d->flags & VIRTQ_DESC_F_INDIRECT);
		write = d->flags & VIRTQ_DESC_F_WRITE;
		assert_false(seen_write && !write); /* §2.6.4.2 */
		seen_write |= write;
		assert_true(d->len > 0);
		c->buf[c->n].addr = d->addr;
		c->buf[c->n].len = d->len;
		c->buf[c->n].write = write;
		if (write)
			c->writable += d->len;
		c->n++;
		if (!(d->flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d->next;
	}
	/* The driver sizes a table for exactly its chain. */
	if (c->indirect)
		assert_int_equal(c->n, limit);
}

/* Take every newly available chain; returns how many. */
static unsigned int sim_fetch(void)
{
	u16 avail_idx = READ_ONCE(sim.vr.avail->idx);
	unsigned int n = 0;

	assert_true((u16)(avail_idx - sim.last_avail) <= sim.vr.num);
	while (sim.last_avail != avail_idx) {
		u16 head = sim.vr.avail->ring[sim.last_avail & (sim.vr.num - 1)];

		assert_true(sim.npending < SIM_MAX_PENDING);
		sim_walk(head, &sim.pending[sim.npending++]);
		sim.last_avail++;
		n++;
	}
	if (sim.event_idx && sim.auto_avail_event)
		*vring_avail_event(&sim.vr) = sim.last_avail;
	return n;
}

/* Place a used entry without publishing it. */
static void sim_push_raw(u32 id, u32 len)
{
	struct virtq_used_elem *e = &sim.vr.used->ring[sim.used_shadow & (sim.vr.num - 1)];

	e->id = id;
	e->len = len;
	sim.used_shadow++;
}

/*
 * Finish pending chain @k: write @len bytes (SIM_FULL: all) from the first
 * writable buffer on, and place its used entry without publishing it.
 */
static void sim_push(unsigned int k, u32 len)
{
	struct sim_chain *c;
	u32 left;
	unsigned int b;

	assert_true(k < sim.npending);
	c = &sim.pending[k];
	if (len == SIM_FULL)
		len = c->writable;
	for (b = 0, left = len; b < c->n && left; b++) {
		u32 part = MIN(left, c->buf[b].len);

		if (!c->buf[b].write)
			continue;
		memset((void *)(uintptr_t)c->buf[b].addr, SIM_FILL, part);
		left -= part;
	}
	sim_push_raw(c->head, len);
	for (b = 0; b < c->ndescs; b++)
		sim.busy[c->desc_ids[b]] = false;
	memmove(c, c + 1, (sim.npending - k - 1) * sizeof(*c));
	sim.npending--;
}

/* Publish the placed entries, then notify the driver if it asked (§2.6.7.2). */
static void sim_publish(void)
{
	u16 old_idx = sim.vr.used->idx;
	u16 new_idx = sim.used_shadow;
	bool notify;

	WRITE_ONCE(sim.vr.used->idx, new_idx);
	if (sim.event_idx)
		notify = vring_need_event(*vring_used_event(&sim.vr), new_idx, old_idx);
	else
		notify = !(sim.vr.avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
	if (notify) {
		sim.interrupts++;
		if (sim.deliver_irqs)
			vring_interrupt(11, sim.vq);
	}
}

static void sim_complete(unsigned int k, u32 len)
{
	sim_push(k, len);
	sim_publish();
}

/* A device reset: the device forgets everything it held (§2.4). */
static void sim_reset(void)
{
	memset(sim.busy, 0, sim.vr.num * sizeof(*sim.busy));
	sim.npending = 0;
	sim.last_avail = 0;
	sim.used_shadow = 0;
}

/* ========================================================================
 * The driver's side: requests, completions, callbacks
 */

#define MAX_ELEMS 8
#define ELEM_LEN 64

/* A request whose elements live in its own memory; it is also the token. */
struct req {
	unsigned int out, in;
	struct scatterlist sg[MAX_ELEMS];
	u8 mem[MAX_ELEMS][ELEM_LEN];
	bool in_flight;
};

static struct req reqs[64];

/* Element k is ELEM_LEN - k bytes long, so lengths tell elements apart. */
static void req_init(struct req *r, unsigned int out, unsigned int in)
{
	unsigned int k;

	assert_true(out + in <= MAX_ELEMS);
	memset(r->mem, 0, sizeof(r->mem));
	r->out = out;
	r->in = in;
	for (k = 0; k < out + in; k++)
		sg_set(&r->sg[k], (phys_addr_t)(uintptr_t)r->mem[k], ELEM_LEN - k);
}

static u32 req_writable(const struct req *r)
{
	u32 sum = 0;
	unsigned int k;

	for (k = r->out; k < r->out + r->in; k++)
		sum += r->sg[k].length;
	return sum;
}

static int req_add(struct virtqueue *vq, struct req *r, unsigned int out, unsigned int in)
{
	int err;

	req_init(r, out, in);
	err = virtqueue_add_sgs(vq, r->sg, out, in, r);
	if (!err)
		r->in_flight = true;
	return err;
}

/* Add @n single-element buffers from reqs[first]. */
static void add_n(struct virtqueue *vq, unsigned int first, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		assert_int_equal(req_add(vq, &reqs[first + i], 0, 1), 0);
}

/*
 * The descriptor policy, stated from the ring's side rather than as the
 * driver computes it: with the feature, a chain of 2..DIRECT_MAX elements
 * goes direct when, with it added, at most half the ring is in use; longer
 * chains (up to a page of table, more than any test here builds) always go
 * indirect; a single element never needs a table.
 */
#define DIRECT_MAX 4 /* VRING_DIRECT_MAX in drivers/virtio_ring.c */

static bool policy_indirect(bool feature, unsigned int num, unsigned int used, unsigned int total)
{
	if (!feature || total < 2)
		return false;
	return total > DIRECT_MAX || used + total > num / 2;
}

/* The chain the device took is exactly this request's scatterlist. */
static void expect_chain_is(const struct sim_chain *c, const struct req *r)
{
	unsigned int k;

	assert_int_equal(c->n, r->out + r->in);
	for (k = 0; k < c->n; k++) {
		assert_int_equal(c->buf[k].addr, r->sg[k].addr);
		assert_int_equal(c->buf[k].len, r->sg[k].length);
		assert_int_equal(c->buf[k].write, k >= r->out);
	}
	assert_int_equal(c->writable, req_writable(r));
}

/* The request whose first element the chain describes. */
static struct req *req_of_chain(const struct sim_chain *c)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reqs); i++)
		if (c->buf[0].addr == (u64)(uintptr_t)reqs[i].mem[0])
			return &reqs[i];
	fail_msg("the device holds a chain no request owns");
	return NULL;
}

/* The device wrote @len bytes from the first writable element; readable ones untouched. */
static void expect_written(const struct req *r, u32 len)
{
	unsigned int k, b;

	for (k = 0; k < r->out + r->in; k++) {
		for (b = 0; b < r->sg[k].length; b++) {
			bool filled = k >= r->out && len > 0;

			assert_int_equal(r->mem[k][b], filled ? SIM_FILL : 0);
			if (filled)
				len--;
		}
	}
}

/* Take the next used buffer and insist it is @r with @len. */
static void expect_buf(struct virtqueue *vq, struct req *r, u32 len)
{
	u32 got_len = 0xdeadbeef;
	void *tok = virtqueue_get_buf(vq, &got_len);

	assert_ptr_equal(tok, r);
	assert_int_equal(got_len, len);
	r->in_flight = false;
}

static bool log_has(const char *s)
{
	return strstr(host_log, s) != NULL;
}

static void log_clear(void)
{
	host_log_len = 0;
	host_log[0] = '\0';
}

/* Callbacks. count_cb only counts; drain_cb is virtblk_done's loop. */
static unsigned int cb_calls;
static unsigned int enable_cb_failures;
static struct req *done[4096];
static u32 done_len[4096];
static unsigned int ndone;
/* Runs once inside drain_cb, after a drain and before re-enabling. */
static void (*between_drain_and_enable)(void);

static void count_cb(struct virtqueue *vq)
{
	cb_calls++;
}

static void drain_cb(struct virtqueue *vq)
{
	void (*hook)(void);
	void *tok;
	u32 len;

	cb_calls++;
	for (;;) {
		virtqueue_disable_cb(vq);
		while ((tok = virtqueue_get_buf(vq, &len))) {
			assert_true(ndone < ARRAY_SIZE(done));
			done[ndone] = tok;
			done_len[ndone++] = len;
			((struct req *)tok)->in_flight = false;
		}
		hook = between_drain_and_enable;
		between_drain_and_enable = NULL;
		if (hook)
			hook();
		if (virtqueue_enable_cb(vq))
			break;
		enable_cb_failures++;
	}
}

/* A small deterministic generator, so failures reproduce. */
static u32 rng_state;

static u32 rng(u32 bound)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 16) % bound;
}

/* Fixture: a clean platform per test, and nothing left behind after it. */
static long base_allocs, base_dma;

static int setup(void **state)
{
	host_platform_reset();
	host_printk_quiet = true;
	kmalloc_failures = 0;
	dma_failures = 0;
	cb_calls = 0;
	enable_cb_failures = 0;
	ndone = 0;
	between_drain_and_enable = NULL;
	rng_state = 12345;
	memset(reqs, 0, sizeof(reqs));
	base_allocs = host_live_allocs;
	base_dma = host_live_dma;
	return 0;
}

static int teardown(void **state)
{
	if (sim.vq)
		sim_destroy();
	assert_int_equal(host_live_allocs, base_allocs);
	assert_int_equal(host_live_dma, base_dma);
	assert_int_equal(host_irq_disabled, 0);
	return 0;
}

/* ========================================================================
 * Creation, layout and teardown
 */

static void test_create_rejects_bad_sizes(void **state)
{
	static const unsigned int bad[] = {0, 3, 6, 100, 32769, 65536, 1u << 20};
	char expect[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		log_clear();
		assert_null(vring_create_virtqueue(0, bad[i], ring_features(false, false),
						   sim_notify, NULL, NULL, "vq0"));
		snprintf(expect, sizeof(expect), "vq0: queue size %u is not", bad[i]);
		assert_true(log_has(expect));
	}
	log_clear();
	assert_null(
		vring_create_virtqueue(0, 8, ring_features(false, false), NULL, NULL, NULL, "vq0"));
	assert_true(log_has("vq0: no notify function"));
	assert_int_equal(host_live_allocs, base_allocs);
	assert_int_equal(host_live_dma, base_dma);
}

/* Every legal size, and the legacy layout (§2.6.2) at the sizes that matter. */
static void test_create_layout(void **state)
{
	unsigned int num;

	for (num = 1; num <= VIRTQUEUE_MAX_SIZE; num <<= 1) {
		struct virtqueue *vq = vring_create_virtqueue(3, num, ring_features(true, true),
							      sim_notify, NULL, &sim, "vdb.req1");
		size_t driver_part = 16 * num + 2 * (3 + num);
		size_t device_part = 6 + 8 * num;
		phys_addr_t desc, avail, used;
		struct vring vr;

		assert_non_null(vq);
		desc = virtqueue_get_desc_addr(vq);
		avail = virtqueue_get_avail_addr(vq);
		used = virtqueue_get_used_addr(vq);
		/* The legacy transport gives one page frame number. */
		assert_int_equal(desc % 4096, 0);
		assert_int_equal(avail, desc + 16 * num);
		assert_int_equal(used, desc + ((driver_part + 4095) & ~(size_t)4095));
		assert_int_equal(vring_size(num, VIRTIO_PCI_VRING_ALIGN),
				 ((driver_part + 4095) & ~(size_t)4095) +
					 ((device_part + 4095) & ~(size_t)4095));
		assert_int_equal(virtqueue_get_vring_size(vq), num);
		assert_int_equal(virtqueue_num_free(vq), num);
		assert_string_equal(vq->name, "vdb.req1");
		assert_int_equal(vq->index, 3);
		assert_ptr_equal(vq->priv, &sim);
		assert_false(virtqueue_is_broken(vq));

		/* §2.6.10.1: used->flags starts 0; so does everything else. */
		sim_view(vq, &vr);
		assert_int_equal(vr.avail->flags, 0);
		assert_int_equal(vr.avail->idx, 0);
		assert_int_equal(*vring_used_event(&vr), 0);
		assert_int_equal(vr.used->flags, 0);
		assert_int_equal(vr.used->idx, 0);
		/* The last field the device may write lies inside the allocation (ASan). */
		*vring_avail_event(&vr) = 0xffff;
		vr.desc[num - 1].next = 0xffff;
		vring_del_virtqueue(vq);
	}
}

static void test_create_copies_and_truncates_name(void **state)
{
	char name[80];
	struct virtqueue *vq;

	snprintf(name, sizeof(name), "vda.req0");
	vq = vring_create_virtqueue(0, 4, ring_features(false, false), sim_notify, NULL, NULL,
				    name);
	assert_non_null(vq);
	name[0] = 'X';
	assert_string_equal(vq->name, "vda.req0");
	vring_del_virtqueue(vq);

	memset(name, 'q', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	vq = vring_create_virtqueue(0, 4, ring_features(false, false), sim_notify, NULL, NULL,
				    name);
	assert_non_null(vq);
	assert_int_equal(strlen(vq->name), VIRTQUEUE_NAME_MAX - 1);
	vring_del_virtqueue(vq);
}

static void test_create_unwinds_when_allocation_fails(void **state)
{
	log_clear();
	kmalloc_failures = 1;
	assert_null(vring_create_virtqueue(0, 8, ring_features(false, false), sim_notify, NULL,
					   NULL, "vq0"));
	assert_true(log_has("vq0: no memory"));
	assert_int_equal(host_live_allocs, base_allocs);
	assert_int_equal(host_live_dma, base_dma);

	log_clear();
	dma_failures = 1;
	assert_null(vring_create_virtqueue(0, 8, ring_features(false, false), sim_notify, NULL,
					   NULL, "vq0"));
	assert_true(log_has("vq0: no memory for a ring"));
	assert_int_equal(host_live_allocs, base_allocs);
	assert_int_equal(host_live_dma, base_dma);
}

/* Deleting with buffers in flight frees their indirect tables, not the tokens. */
static void test_del_with_buffers_in_flight(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);

	/* Longer than DIRECT_MAX: indirect even on an empty ring. */
	assert_int_equal(req_add(vq, &reqs[0], 3, 2), 0);
	assert_int_equal(req_add(vq, &reqs[1], 2, 3), 0);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(req_add(vq, &reqs[2], 1, 0), 0);
	assert_int_equal(virtqueue_num_free(vq), 5);
	assert_int_equal(host_live_allocs, base_allocs + 3); /* queue and two tables */
	log_clear();
	sim_destroy();
	assert_true(log_has("vq0: deleted with 3 buffers in flight"));
	assert_int_equal(host_live_allocs, base_allocs);
	assert_int_equal(host_live_dma, base_dma);
}

/* ========================================================================
 * Adding buffers: direct and indirect chains
 */

static void test_direct_chain(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);
	struct req *r = &reqs[0];
	const struct virtq_desc *d;
	u16 i;

	assert_int_equal(req_add(vq, r, 2, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 4);
	/* Not published until the kick (§2.6.13.3). */
	assert_int_equal(sim_fetch(), 0);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 1);
	assert_int_equal(vq->num_kicks, 1);
	assert_int_equal(sim_fetch(), 1);
	assert_false(sim.pending[0].indirect);
	expect_chain_is(&sim.pending[0], r);

	/* The raw flags: NEXT on all but the last, WRITE on the last two. */
	i = sim.pending[0].head;
	d = sim.vr.desc;
	assert_int_equal(d[i].flags, VIRTQ_DESC_F_NEXT);
	i = d[i].next;
	assert_int_equal(d[i].flags, VIRTQ_DESC_F_NEXT);
	i = d[i].next;
	assert_int_equal(d[i].flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
	i = d[i].next;
	assert_int_equal(d[i].flags, VIRTQ_DESC_F_WRITE);

	sim_complete(0, SIM_FULL);
	assert_true(virtqueue_more_used(vq));
	expect_buf(vq, r, req_writable(r));
	expect_written(r, req_writable(r));
	assert_false(virtqueue_more_used(vq));
	assert_null(virtqueue_get_buf(vq, NULL));
	assert_int_equal(virtqueue_num_free(vq), 8);
	assert_false(virtqueue_is_broken(vq));
}

static void test_indirect_chain(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);
	struct req *r = &reqs[0];
	const struct virtq_desc *hd;
	long allocs = host_live_allocs;

	/* Longer than DIRECT_MAX, so a table whatever the ring's fill. */
	assert_int_equal(req_add(vq, r, 2, 3), 0);
	assert_int_equal(virtqueue_num_free(vq), 7);
	assert_int_equal(host_live_allocs, allocs + 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	assert_true(sim.pending[0].indirect);
	assert_int_equal(sim.pending[0].ndescs, 1);
	expect_chain_is(&sim.pending[0], r);
	hd = &sim.vr.desc[sim.pending[0].head];
	assert_int_equal(hd->flags, VIRTQ_DESC_F_INDIRECT);
	assert_int_equal(hd->len, 5 * sizeof(struct virtq_desc));

	/* The device need not write everything (§2.6.8.2). */
	sim_complete(0, 10);
	expect_buf(vq, r, 10);
	expect_written(r, 10);
	assert_int_equal(virtqueue_num_free(vq), 8);
	assert_int_equal(host_live_allocs, allocs);
}

/* One element needs no table, indirect or not. */
static void test_indirect_single_element_goes_direct(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);
	long allocs = host_live_allocs;

	assert_int_equal(req_add(vq, &reqs[0], 0, 1), 0);
	assert_int_equal(virtqueue_num_free(vq), 7);
	assert_int_equal(host_live_allocs, allocs);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	assert_false(sim.pending[0].indirect);
	expect_chain_is(&sim.pending[0], &reqs[0]);
	sim_complete(0, SIM_FULL);
	expect_buf(vq, &reqs[0], ELEM_LEN);
}

static void test_indirect_falls_back_when_kmalloc_fails(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);
	long allocs = host_live_allocs;

	/* A chain that would take a table even on an empty ring. */
	kmalloc_failures = 1;
	assert_int_equal(req_add(vq, &reqs[0], 3, 2), 0);
	assert_int_equal(kmalloc_failures, 0); /* the table was asked for */
	assert_int_equal(virtqueue_num_free(vq), 3);
	assert_int_equal(host_live_allocs, allocs);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	assert_false(sim.pending[0].indirect);
	expect_chain_is(&sim.pending[0], &reqs[0]);
	sim_complete(0, SIM_FULL);
	expect_buf(vq, &reqs[0], req_writable(&reqs[0]));
	assert_int_equal(virtqueue_num_free(vq), 8);
}

/* A table beyond a page would not be contiguous: such a chain goes direct. */
static void test_indirect_longer_than_a_page_goes_direct(void **state)
{
	struct virtqueue *vq = sim_create(512, true, false, NULL);
	static struct scatterlist sg[300];
	static u8 buf[300];
	long allocs = host_live_allocs;
	unsigned int k;

	for (k = 0; k < 300; k++)
		sg_set(&sg[k], (phys_addr_t)(uintptr_t)&buf[k], 1);
	assert_int_equal(virtqueue_add_sgs(vq, sg, 200, 100, buf), 0);
	assert_int_equal(virtqueue_num_free(vq), 212);
	assert_int_equal(host_live_allocs, allocs);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	assert_false(sim.pending[0].indirect);
	assert_int_equal(sim.pending[0].n, 300);
	assert_int_equal(sim.pending[0].writable, 100);
	sim_complete(0, SIM_FULL);
	assert_ptr_equal(virtqueue_get_buf(vq, NULL), buf);
	assert_int_equal(virtqueue_num_free(vq), 512);

	/* At exactly a page's worth it is still one table. */
	assert_int_equal(virtqueue_add_sgs(vq, sg, 128, 128, buf), 0);
	assert_int_equal(virtqueue_num_free(vq), 511);
	assert_int_equal(host_live_allocs, allocs + 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	assert_true(sim.pending[0].indirect);
	assert_int_equal(sim.pending[0].n, 256);
	sim_complete(0, SIM_FULL);
	assert_ptr_equal(virtqueue_get_buf(vq, NULL), buf);
}

/* Nothing is consumed by a refused buffer. */
static void expect_untouched(struct virtqueue *vq, long allocs)
{
	assert_int_equal(virtqueue_num_free(vq), vq->num);
	assert_int_equal(host_live_allocs, allocs);
	assert_false(virtqueue_kick_prepare(vq));
	assert_int_equal(sim_fetch(), 0);
	assert_false(virtqueue_is_broken(vq));
}

static void check_add_rejects_bad_buffers(bool indirect)
{
	struct virtqueue *vq = sim_create(4, indirect, false, NULL);
	struct scatterlist sg[5];
	long allocs = host_live_allocs;
	unsigned int k;

	for (k = 0; k < 5; k++)
		sg_set(&sg[k], (phys_addr_t)(uintptr_t)reqs[0].mem[k], 16);

	assert_int_equal(virtqueue_add_sgs(vq, sg, 0, 0, &reqs[0]), -EINVAL);
	expect_untouched(vq, allocs);
	assert_int_equal(virtqueue_add_sgs(vq, sg, 1, 1, NULL), -EINVAL);
	expect_untouched(vq, allocs);
	sg[1].length = 0;
	log_clear();
	assert_int_equal(virtqueue_add_sgs(vq, sg, 1, 2, &reqs[0]), -EINVAL);
	assert_true(log_has("vq0: element 1 of a buffer has length 0"));
	expect_untouched(vq, allocs);
	sg[1].length = 16;
	/* §2.6.5.3.1: no chain longer than the queue, indirect or not. */
	assert_int_equal(virtqueue_add_sgs(vq, sg, 3, 2, &reqs[0]), -EINVAL);
	expect_untouched(vq, allocs);
	assert_int_equal(virtqueue_add_sgs(vq, sg, UINT32_MAX, 2, &reqs[0]), -EINVAL);
	expect_untouched(vq, allocs);
	/* One byte short of 4 GiB fits; 4 GiB does not. */
	sg[0].length = UINT32_MAX;
	sg[1].length = 1;
	assert_int_equal(virtqueue_add_sgs(vq, sg, 1, 1, &reqs[0]), -EINVAL);
	expect_untouched(vq, allocs);
	sg[0].length = UINT32_MAX - 1;
	assert_int_equal(virtqueue_add_sgs(vq, sg, 1, 1, &reqs[0]), 0);
	assert_ptr_equal(virtqueue_detach_unused_buf(vq), &reqs[0]);
	expect_untouched(vq, allocs);
}

static void test_add_rejects_bad_buffers_direct(void **state)
{
	check_add_rejects_bad_buffers(false);
}

static void test_add_rejects_bad_buffers_indirect(void **state)
{
	check_add_rejects_bad_buffers(true);
}

static void test_full_ring_direct(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);
	unsigned int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(req_add(vq, &reqs[i], 1, 1), 0);
	assert_int_equal(virtqueue_num_free(vq), 2);
	assert_int_equal(req_add(vq, &reqs[3], 2, 1), -ENOSPC);
	assert_int_equal(virtqueue_num_free(vq), 2);
	assert_int_equal(req_add(vq, &reqs[3], 1, 1), 0);
	assert_int_equal(virtqueue_num_free(vq), 0);
	assert_int_equal(req_add(vq, &reqs[4], 1, 0), -ENOSPC);
	assert_int_equal(virtqueue_num_free(vq), 0);

	/* The device sees the four that fitted and no fifth. */
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 4);
	for (i = 0; i < 4; i++)
		expect_chain_is(&sim.pending[i], &reqs[i]);
	while (sim.npending)
		sim_complete(0, SIM_FULL);
	for (i = 0; i < 4; i++)
		expect_buf(vq, &reqs[i], req_writable(&reqs[i]));
	assert_null(virtqueue_get_buf(vq, NULL));
	assert_int_equal(virtqueue_num_free(vq), 8);
}

static void test_full_ring_indirect(void **state)
{
	struct virtqueue *vq = sim_create(4, true, false, NULL);
	long allocs = host_live_allocs;
	unsigned int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(req_add(vq, &reqs[i], 2, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 0);
	assert_int_equal(host_live_allocs, allocs + 4);
	/* The table allocated for the refused buffer is not kept. */
	assert_int_equal(req_add(vq, &reqs[4], 2, 2), -ENOSPC);
	assert_int_equal(host_live_allocs, allocs + 4);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 4);
	while (sim.npending)
		sim_complete(sim.npending - 1, SIM_FULL);
	for (i = 4; i-- > 0;)
		expect_buf(vq, &reqs[i], req_writable(&reqs[i]));
	assert_int_equal(virtqueue_num_free(vq), 4);
	assert_int_equal(host_live_allocs, allocs);
}

/* Queue size 1: one single-element buffer at a time, and the one slot reused. */
static void test_size_one(void **state)
{
	struct virtqueue *vq = sim_create(1, true, true, NULL);
	unsigned int i;

	for (i = 0; i < 5; i++) {
		assert_int_equal(req_add(vq, &reqs[0], 0, 1), 0);
		assert_int_equal(req_add(vq, &reqs[1], 1, 0), -ENOSPC);
		assert_true(virtqueue_kick(vq));
		assert_int_equal(sim.notifies, i + 1);
		assert_int_equal(sim_fetch(), 1);
		assert_int_equal(sim.pending[0].head, 0);
		sim_complete(0, SIM_FULL);
		assert_int_equal(sim.interrupts, i + 1);
		expect_buf(vq, &reqs[0], ELEM_LEN);
	}
	assert_int_equal(req_add(vq, &reqs[0], 1, 1), -EINVAL);
	assert_int_equal(virtqueue_num_free(vq), 1);
}

/* ========================================================================
 * Descriptor policy: short chains direct while the ring is at most half in
 * use, long chains and any chain on a fuller ring indirect
 */

/* The newest chain the device took is @r, direct over @total descriptors. */
static void expect_direct(const struct sim_chain *c, const struct req *r, unsigned int total)
{
	assert_false(c->indirect);
	assert_false(sim.vr.desc[c->head].flags & VIRTQ_DESC_F_INDIRECT);
	assert_int_equal(c->ndescs, total);
	expect_chain_is(c, r);
}

/* ... or indirect, one descriptor naming a table of exactly @total entries. */
static void expect_indirect(const struct sim_chain *c, const struct req *r, unsigned int total)
{
	const struct virtq_desc *hd = &sim.vr.desc[c->head];

	assert_true(c->indirect);
	assert_int_equal(hd->flags, VIRTQ_DESC_F_INDIRECT);
	assert_int_equal(hd->len, total * sizeof(struct virtq_desc));
	assert_int_equal(c->ndescs, 1);
	expect_chain_is(c, r);
}

/* Complete everything the device holds and take it all back. */
static void complete_all(struct virtqueue *vq)
{
	while (sim.npending) {
		struct req *r = req_of_chain(&sim.pending[0]);

		sim_complete(0, SIM_FULL);
		expect_buf(vq, r, req_writable(r));
	}
	assert_null(virtqueue_get_buf(vq, NULL));
	assert_int_equal(virtqueue_num_free(vq), vq->num);
}

/* A block request's shape (header, segment, status) on an empty ring: direct. */
static void test_policy_short_chain_direct_on_empty_ring(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);
	long allocs = host_live_allocs;
	const struct virtq_desc *d = sim.vr.desc;
	u16 i;

	assert_int_equal(req_add(vq, &reqs[0], 1, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 5);
	assert_int_equal(host_live_allocs, allocs); /* no table */
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	expect_direct(&sim.pending[0], &reqs[0], 3);
	/* The raw descriptors: a plain chain, NEXT on all but the last. */
	i = sim.pending[0].head;
	assert_int_equal(d[i].flags, VIRTQ_DESC_F_NEXT);
	i = d[i].next;
	assert_int_equal(d[i].flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
	i = d[i].next;
	assert_int_equal(d[i].flags, VIRTQ_DESC_F_WRITE);
	complete_all(vq);
	expect_written(&reqs[0], req_writable(&reqs[0]));
}

/* The same chain on a half-full ring takes a table; on an emptied one, not. */
static void test_policy_short_chain_indirect_when_half_full(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);
	long allocs = host_live_allocs;

	add_n(vq, 1, 4);
	assert_int_equal(virtqueue_num_free(vq), 4);
	assert_int_equal(req_add(vq, &reqs[0], 1, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 3);
	assert_int_equal(host_live_allocs, allocs + 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 5);
	expect_indirect(&sim.pending[4], &reqs[0], 3);
	complete_all(vq);
	assert_int_equal(host_live_allocs, allocs);

	/* The choice follows the ring's fill now, not what it was. */
	assert_int_equal(req_add(vq, &reqs[0], 1, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 5);
	assert_int_equal(host_live_allocs, allocs);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	expect_direct(&sim.pending[0], &reqs[0], 3);
	complete_all(vq);
}

/*
 * DIRECT_MAX elements go direct on an empty ring; one more never does. The
 * ring is big enough that its fill alone would let either go direct.
 */
static void test_policy_long_chain_indirect_on_empty_ring(void **state)
{
	struct virtqueue *vq = sim_create(64, true, false, NULL);
	long allocs = host_live_allocs;

	assert_int_equal(req_add(vq, &reqs[0], 2, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 60);
	assert_int_equal(host_live_allocs, allocs);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	expect_direct(&sim.pending[0], &reqs[0], 4);
	complete_all(vq);

	assert_int_equal(req_add(vq, &reqs[0], 2, 3), 0);
	assert_int_equal(virtqueue_num_free(vq), 63);
	assert_int_equal(host_live_allocs, allocs + 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	expect_indirect(&sim.pending[0], &reqs[0], 5);
	complete_all(vq);
	assert_int_equal(host_live_allocs, allocs);
}

/* Without VIRTIO_RING_F_INDIRECT_DESC every chain is direct, however long, however full. */
static void test_policy_no_feature_all_direct(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);
	long allocs = host_live_allocs;

	assert_int_equal(req_add(vq, &reqs[0], 2, 3), 0);
	assert_int_equal(virtqueue_num_free(vq), 3);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	expect_direct(&sim.pending[0], &reqs[0], 5);
	complete_all(vq);

	add_n(vq, 1, 4);
	assert_int_equal(req_add(vq, &reqs[0], 1, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 1);
	/* A table would have fitted; without the feature there is none. */
	assert_int_equal(req_add(vq, &reqs[5], 1, 1), -ENOSPC);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 5);
	expect_direct(&sim.pending[4], &reqs[0], 3);
	complete_all(vq);
	assert_int_equal(host_live_allocs, allocs);
}

/*
 * Every chain length from 1 to MAX_ELEMS at every fill of the ring, against
 * policy_indirect(): catches an off-by-one at either threshold.
 */
static void check_policy_sweep(bool feature, unsigned int num)
{
	unsigned int total, used, n_direct = 0, n_indirect = 0;

	for (total = 1; total <= MIN(MAX_ELEMS, num); total++) {
		for (used = 0; used < num; used++) {
			struct virtqueue *vq = sim_create(num, feature, false, NULL);
			long allocs = host_live_allocs;
			bool ind = policy_indirect(feature, num, used, total);
			unsigned int descs = ind ? 1 : total;
			int err;

			add_n(vq, 1, used);
			err = req_add(vq, &reqs[0], total / 2, total - total / 2);
			if (descs > num - used) {
				assert_int_equal(err, -ENOSPC);
				assert_int_equal(host_live_allocs, allocs);
				sim_destroy();
				continue;
			}
			assert_int_equal(err, 0);
			assert_int_equal(virtqueue_num_free(vq), num - used - descs);
			assert_int_equal(host_live_allocs, allocs + ind);
			assert_true(virtqueue_kick(vq));
			assert_int_equal(sim_fetch(), used + 1);
			if (ind) {
				expect_indirect(&sim.pending[used], &reqs[0], total);
				n_indirect++;
			} else {
				expect_direct(&sim.pending[used], &reqs[0], total);
				n_direct++;
			}
			complete_all(vq);
			assert_int_equal(host_live_allocs, allocs);
			sim_destroy();
		}
	}
	assert_true(n_direct > 0);
	if (feature)
		assert_true(n_indirect > 0);
}

static void test_policy_sweep(void **state)
{
	check_policy_sweep(true, 8);
	check_policy_sweep(true, 16);
	check_policy_sweep(true, 2);
	check_policy_sweep(false, 8);
}

/* ========================================================================
 * Ring wrap-around: many rounds, random shapes, out-of-order completions
 */

/*
 * Chains of 1 to MAX_ELEMS elements: with the feature, short ones go direct
 * or indirect by how full the ring is at the time, long ones always indirect.
 * Each request remembers what the policy said when it was added, and the
 * device must see exactly that shape and give back exactly that many
 * descriptors.
 */
static void check_ring_wrap(bool indirect, bool event_idx)
{
	const unsigned int num = 8;
	struct virtqueue *vq = sim_create(num, indirect, event_idx, NULL);
	unsigned int in_flight_descs = 0, completed = 0, round;
	unsigned int descs_of[8] = {0};
	unsigned int n_direct_multi = 0, n_indirect = 0, tables, i;
	long allocs = host_live_allocs;

	for (round = 0; round < 20000; round++) {
		/* Add a few buffers of random shapes while they fit. */
		unsigned int adds = rng(4);

		while (adds--) {
			unsigned int total = 1 + rng(MAX_ELEMS), out = rng(total + 1), descs;
			struct req *r = NULL;
			int err;

			for (i = 0; i < 8 && !r; i++)
				if (!reqs[i].in_flight)
					r = &reqs[i];
			if (!r)
				break;
			descs = policy_indirect(indirect, num, in_flight_descs, total) ? 1 : total;
			err = req_add(vq, r, out, total - out);
			if (descs > num - in_flight_descs) {
				assert_int_equal(err, -ENOSPC);
				continue;
			}
			assert_int_equal(err, 0);
			descs_of[r - reqs] = descs;
			in_flight_descs += descs;
			assert_int_equal(virtqueue_num_free(vq), num - in_flight_descs);
		}
		if (rng(2))
			virtqueue_kick(vq);
		sim_fetch();

		/* The device finishes a random few, in any order. */
		while (sim.npending && rng(3)) {
			unsigned int k = rng(sim.npending);
			struct req *r = req_of_chain(&sim.pending[k]);
			unsigned int total = r->out + r->in, descs = descs_of[r - reqs];
			u32 len = rng(2) ? SIM_FULL : rng(req_writable(r) + 1);

			expect_chain_is(&sim.pending[k], r);
			/* The shape decided at add time is the shape the device saw. */
			assert_int_equal(sim.pending[k].indirect, total > 1 && descs == 1);
			assert_int_equal(sim.pending[k].ndescs, descs);
			if (sim.pending[k].indirect)
				n_indirect++;
			else if (total > 1)
				n_direct_multi++;
			if (len == SIM_FULL)
				len = req_writable(r);
			sim_complete(k, len);
			expect_buf(vq, r, len);
			expect_written(r, len);
			in_flight_descs -= descs;
			assert_int_equal(virtqueue_num_free(vq), num - in_flight_descs);
			completed++;
		}
		assert_null(virtqueue_get_buf(vq, NULL));
		/* One table per indirect chain in flight, and no more. */
		for (i = 0, tables = 0; i < 8; i++)
			tables += reqs[i].in_flight && descs_of[i] == 1 &&
				  reqs[i].out + reqs[i].in > 1;
		assert_int_equal(host_live_allocs, allocs + tables);
	}
	assert_true(completed > 10000);
	assert_true(n_direct_multi > 1000);
	if (indirect)
		assert_true(n_indirect > 1000);
	else
		assert_int_equal(n_indirect, 0);
	assert_false(virtqueue_is_broken(vq));
	/* Drain what is left: every descriptor comes back. */
	while (sim.npending) {
		struct req *r = req_of_chain(&sim.pending[0]);

		sim_complete(0, SIM_FULL);
		expect_buf(vq, r, req_writable(r));
	}
	while (virtqueue_detach_unused_buf(vq))
		;
	assert_int_equal(virtqueue_num_free(vq), num);
	assert_int_equal(host_live_allocs, allocs);
}

static void test_ring_wrap_direct(void **state)
{
	check_ring_wrap(false, false);
}

static void test_ring_wrap_indirect_event_idx(void **state)
{
	check_ring_wrap(true, true);
}

/*
 * More than 65536 buffers through a small ring: the free-running 16-bit
 * indices wrap (§2.6.13.3), and so do the event indices compared with them.
 */
static void check_index_wrap(bool event_idx)
{
	struct virtqueue *vq = sim_create(4, false, event_idx, count_cb);
	unsigned int total = 0, batches = 0;

	while (total < 70000) {
		/* Chains of two descriptors: one or two fill the ring. */
		unsigned int n = 1 + rng(2), i;

		for (i = 0; i < n; i++)
			assert_int_equal(req_add(vq, &reqs[i], 1, 1), 0);
		/* The device asked for a kick at this very entry. */
		assert_true(virtqueue_kick_prepare(vq));
		assert_true(virtqueue_notify(vq));
		batches++;
		assert_int_equal(sim_fetch(), n);
		for (i = 0; i < n; i++) {
			sim_complete(0, SIM_FULL);
			expect_buf(vq, &reqs[i], req_writable(&reqs[i]));
		}
		total += n;
		assert_int_equal(sim.vr.avail->idx, (u16)total);
		assert_int_equal(sim.vr.used->idx, (u16)total);
	}
	assert_int_equal(vq->num_kicks, batches);
	assert_int_equal(sim.notifies, batches);
	assert_int_equal(vq->num_kicks_suppressed, 0);
	/* Callbacks stayed on: every completion was notified, across the wrap. */
	assert_int_equal(sim.interrupts, total);
	assert_int_equal(virtqueue_num_free(vq), 4);
}

static void test_index_wrap_16bit(void **state)
{
	check_index_wrap(false);
}

static void test_index_wrap_16bit_event_idx(void **state)
{
	check_index_wrap(true);
}

/* ========================================================================
 * Available buffer notifications (kicks): §2.6.10
 */

static void test_need_event_formula(void **state)
{
	/* event, new, old: did moving old -> new fill entry `event`? */
	static const struct {
		u16 event, new_idx, old_idx;
		bool need;
	} cases[] = {
		{0, 1, 0, true},       {0, 2, 1, false},	{1, 2, 0, true},
		{4, 5, 0, true},       {5, 5, 0, false},	{7, 7, 7, false},
		{0, 0, 0, false},      {65535, 0, 65535, true}, {65534, 0, 65535, false},
		{0, 1, 65535, true},   {2, 1, 65535, false},	{65535, 1, 65534, true},
		{100, 200, 100, true}, {199, 200, 100, true},	{200, 200, 100, false},
		{99, 200, 100, false},
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (vring_need_event(cases[i].event, cases[i].new_idx, cases[i].old_idx) !=
		    cases[i].need)
			fail_msg("vring_need_event(%u, %u, %u) should be %d", cases[i].event,
				 cases[i].new_idx, cases[i].old_idx, cases[i].need);
	}
}

static void test_kick_suppressed_by_avail_event(void **state)
{
	struct virtqueue *vq = sim_create(16, false, true, NULL);

	sim.auto_avail_event = false;
	/* avail_event starts 0: the first entry (index 0) wants a kick. */
	add_n(vq, 0, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 1);
	/* Entries 1 and 2: past index 0 already, no kick, but published. */
	add_n(vq, 1, 2);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 1);
	assert_int_equal(vq->num_kicks_suppressed, 1);
	assert_int_equal(sim.vr.avail->idx, 3);
	/* The device wants a kick once entry 4 is written: not at 3, at 4. */
	*vring_avail_event(&sim.vr) = 4;
	add_n(vq, 3, 1);
	assert_false(virtqueue_kick_prepare(vq));
	add_n(vq, 4, 1);
	assert_true(virtqueue_kick_prepare(vq));
	assert_true(virtqueue_notify(vq));
	assert_int_equal(sim.notifies, 2);
	/* A batch that jumps over the event index kicks too. */
	*vring_avail_event(&sim.vr) = 6;
	add_n(vq, 5, 3);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 3);
	/* §2.6.10.1: with EVENT_IDX the NO_NOTIFY flag means nothing. */
	sim.vr.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	*vring_avail_event(&sim.vr) = 8;
	add_n(vq, 8, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 4);
	assert_int_equal(vq->num_kicks, 4);
	assert_int_equal(vq->num_kicks_suppressed, 2);
	assert_int_equal(sim_fetch(), 9);
}

static void test_kick_suppressed_by_no_notify(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);

	add_n(vq, 0, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 1);

	sim.vr.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	add_n(vq, 1, 2);
	assert_true(virtqueue_kick(vq)); /* no failure, just no notification */
	assert_int_equal(sim.notifies, 1);
	assert_int_equal(vq->num_kicks_suppressed, 1);
	/* Published all the same: a polling device finds them. */
	assert_int_equal(sim_fetch(), 3);

	/* Without EVENT_IDX avail_event means nothing. */
	sim.vr.used->flags = 0;
	*vring_avail_event(&sim.vr) = 100;
	add_n(vq, 3, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 2);
	assert_int_equal(vq->num_kicks, 2);
}

static void test_kick_with_nothing_added(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);

	assert_false(virtqueue_kick_prepare(vq));
	assert_true(virtqueue_kick(vq));
	add_n(vq, 0, 1);
	assert_true(virtqueue_kick(vq));
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 1);
	assert_int_equal(vq->num_kicks, 1);
	assert_int_equal(vq->num_kicks_suppressed, 0);
}

static void test_notify_failure_breaks_queue(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);

	sim.notify_fails = true;
	add_n(vq, 0, 1);
	log_clear();
	assert_false(virtqueue_kick(vq));
	assert_true(virtqueue_is_broken(vq));
	assert_true(log_has("vq0: notifying the device failed"));
	assert_int_equal(vq->num_kicks, 0);
	assert_int_equal(req_add(vq, &reqs[1], 0, 1), -EIO);
	assert_false(virtqueue_notify(vq));
	assert_int_equal(sim.notifies, 1);
	assert_ptr_equal(virtqueue_detach_unused_buf(vq), &reqs[0]);
	assert_null(virtqueue_detach_unused_buf(vq));
}

/* ========================================================================
 * Used buffer notifications (interrupts): §2.6.7
 */

static void test_used_event_written(void **state)
{
	struct virtqueue *vq = sim_create(8, false, true, NULL);
	unsigned int i;

	assert_int_equal(*vring_used_event(&sim.vr), 0);
	add_n(vq, 0, 3);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 3);
	sim_complete(0, SIM_FULL);
	assert_int_equal(sim.interrupts, 1);

	/* Disabled: used_event parked where the device cannot reach it. */
	virtqueue_disable_cb(vq);
	assert_int_equal(*vring_used_event(&sim.vr), 0xffff);
	sim_complete(0, SIM_FULL);
	sim_complete(0, SIM_FULL);
	assert_int_equal(sim.interrupts, 1);
	for (i = 0; i < 3; i++)
		expect_buf(vq, &reqs[i], ELEM_LEN);
	assert_int_equal(*vring_used_event(&sim.vr), 0xffff);

	/* Enabled: the next entry, 3, is the one to notify. */
	assert_true(virtqueue_enable_cb(vq));
	assert_int_equal(*vring_used_event(&sim.vr), 3);
	add_n(vq, 0, 2);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 2);
	sim_complete(0, SIM_FULL);
	assert_int_equal(sim.interrupts, 2);
	/* Taking a buffer with callbacks on moves used_event along. */
	expect_buf(vq, &reqs[0], ELEM_LEN);
	assert_int_equal(*vring_used_event(&sim.vr), 4);
	sim_complete(0, SIM_FULL);
	assert_int_equal(sim.interrupts, 3);
	expect_buf(vq, &reqs[1], ELEM_LEN);

	/* §2.6.7.1: with EVENT_IDX, flags stay 0 throughout. */
	assert_int_equal(sim.vr.avail->flags, 0);
}

static void test_no_interrupt_flag(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);

	add_n(vq, 0, 3);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 3);
	sim_complete(0, SIM_FULL);
	assert_int_equal(sim.interrupts, 1);

	virtqueue_disable_cb(vq);
	assert_int_equal(sim.vr.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
	sim_complete(0, SIM_FULL);
	assert_int_equal(sim.interrupts, 1);
	expect_buf(vq, &reqs[0], ELEM_LEN);
	/* One still pending: enabling reports it. */
	assert_false(virtqueue_enable_cb(vq));
	assert_int_equal(sim.vr.avail->flags, 0);
	expect_buf(vq, &reqs[1], ELEM_LEN);
	assert_true(virtqueue_enable_cb(vq));
	sim_complete(0, SIM_FULL);
	assert_int_equal(sim.interrupts, 2);
	expect_buf(vq, &reqs[2], ELEM_LEN);
	/* Without EVENT_IDX the driver leaves used_event alone. */
	assert_int_equal(*vring_used_event(&sim.vr), 0);
}

/* A buffer used between the drain and the re-enable raises no interrupt. */
static void complete_one_now(void)
{
	sim_complete(0, SIM_FULL);
}

static void check_enable_cb_race(bool event_idx)
{
	struct virtqueue *vq = sim_create(8, true, event_idx, drain_cb);

	sim.deliver_irqs = true;
	add_n(vq, 0, 2);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 2);
	between_drain_and_enable = complete_one_now;
	sim_complete(0, SIM_FULL);

	/* One interrupt, and the re-check inside it found the second buffer. */
	assert_int_equal(sim.interrupts, 1);
	assert_int_equal(cb_calls, 1);
	assert_int_equal(enable_cb_failures, 1);
	assert_int_equal(ndone, 2);
	assert_ptr_equal(done[0], &reqs[0]);
	assert_ptr_equal(done[1], &reqs[1]);
	assert_int_equal(vq->num_irqs, 1);
	assert_false(virtqueue_more_used(vq));
	assert_int_equal(virtqueue_num_free(vq), 8);
}

static void test_enable_cb_race(void **state)
{
	check_enable_cb_race(false);
}

static void test_enable_cb_race_event_idx(void **state)
{
	check_enable_cb_race(true);
}

/*
 * The whole interrupt path, virtblk_done style: batches finished together
 * cost one interrupt each, and every buffer comes back once.
 */
static void check_interrupt_driven(bool event_idx)
{
	struct virtqueue *vq = sim_create(16, true, event_idx, drain_cb);
	unsigned int batches = 0, added = 0, i;

	sim.deliver_irqs = true;
	while (added < 3000) {
		unsigned int n = 1 + rng(8);

		for (i = 0; i < n; i++)
			assert_int_equal(req_add(vq, &reqs[i], 1, 1 + rng(2)), 0);
		assert_true(virtqueue_kick(vq));
		assert_int_equal(sim_fetch(), n);
		while (sim.npending) {
			unsigned int b = 1 + rng(sim.npending);

			while (b--)
				sim_push(rng(sim.npending), SIM_FULL);
			sim_publish();
			batches++;
		}
		added += n;
		for (i = 0; i < n; i++)
			assert_false(reqs[i].in_flight);
	}
	assert_int_equal(ndone, added);
	assert_int_equal(sim.interrupts, batches);
	assert_int_equal(vq->num_irqs, batches);
	assert_int_equal(cb_calls, batches);
	assert_int_equal(vq->num_irqs_spurious, 0);
	assert_int_equal(virtqueue_num_free(vq), 16);
}

static void test_interrupt_driven(void **state)
{
	check_interrupt_driven(false);
}

static void test_interrupt_driven_event_idx(void **state)
{
	check_interrupt_driven(true);
}

static void test_vring_interrupt(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, count_cb);

	/* Nothing pending: not ours. */
	assert_int_equal(vring_interrupt(11, vq), VRING_IRQ_NONE);
	assert_int_equal(cb_calls, 0);
	assert_int_equal(vq->num_irqs, 1);
	assert_int_equal(vq->num_irqs_spurious, 1);

	add_n(vq, 0, 1);
	assert_true(virtqueue_kick(vq));
	sim_fetch();
	sim_complete(0, SIM_FULL);
	assert_int_equal(vring_interrupt(11, vq), VRING_IRQ_HANDLED);
	assert_int_equal(cb_calls, 1);
	assert_int_equal(vq->num_irqs, 2);
	expect_buf(vq, &reqs[0], ELEM_LEN);

	/* A shared INTx line already acknowledged: the callback always runs. */
	vq->irq_always_callback = true;
	assert_int_equal(vring_interrupt(11, vq), VRING_IRQ_HANDLED);
	assert_int_equal(cb_calls, 2);

	/* A broken queue's interrupt is taken, but the callback is not run. */
	virtqueue_set_broken(vq);
	assert_int_equal(vring_interrupt(11, vq), VRING_IRQ_HANDLED);
	assert_int_equal(cb_calls, 2);
	assert_int_equal(vq->num_irqs, 4);
	assert_int_equal(vq->num_irqs_spurious, 1);
}

/*
 * A poll queue with EVENT_IDX (SPDK's way, since the flags must stay 0):
 * used_event sits just behind what the driver has taken, after every
 * buffer, so the device never reaches it; over more than 65536 buffers,
 * the whole 16-bit index space, not one notification.
 */
static void test_polled_event_idx(void **state)
{
	struct virtqueue *vq = sim_create(8, false, true, NULL);
	unsigned int i;

	virtqueue_set_polled(vq);
	assert_int_equal(*vring_used_event(&sim.vr), 0xffff);
	for (i = 0; i < 70000; i++) {
		struct req *r = &reqs[i % 4];

		assert_int_equal(req_add(vq, r, 0, 1), 0);
		virtqueue_kick(vq);
		assert_int_equal(sim_fetch(), 1);
		sim_complete(0, 1);
		expect_buf(vq, r, 1);
		assert_int_equal(*vring_used_event(&sim.vr), (u16)i);
	}
	assert_int_equal(sim.interrupts, 0);
	assert_int_equal(sim.vr.avail->flags, 0);
	/* enable_cb only reports what is pending; callbacks stay off. */
	assert_true(virtqueue_enable_cb(vq));
	add_n(vq, 0, 1);
	virtqueue_kick(vq);
	sim_fetch();
	sim_complete(0, 1);
	assert_false(virtqueue_enable_cb(vq));
	assert_int_equal(sim.interrupts, 0);
	expect_buf(vq, &reqs[0], 1);
}

/* Without EVENT_IDX: VIRTQ_AVAIL_F_NO_INTERRUPT, kept through enable_cb. */
static void test_polled_no_event_idx(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);
	unsigned int i;

	virtqueue_set_polled(vq);
	assert_int_equal(sim.vr.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
	for (i = 0; i < 100; i++) {
		add_n(vq, 0, 3);
		virtqueue_kick(vq);
		assert_int_equal(sim_fetch(), 3);
		sim_complete(2, 1);
		sim_complete(0, 1);
		sim_complete(0, 1);
		assert_true(virtqueue_more_used(vq));
		assert_false(virtqueue_enable_cb(vq));
		while (virtqueue_get_buf(vq, NULL))
			;
		assert_true(virtqueue_enable_cb(vq));
	}
	assert_int_equal(sim.vr.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(sim.interrupts, 0);
	assert_int_equal(virtqueue_num_free(vq), 8);
}

/* ========================================================================
 * A device that breaks the rules: every used entry is checked (§2.6.8)
 */

/* Two buffers in flight: reqs[0] (2 readable, 1 writable), reqs[1] (1 readable). */
static struct virtqueue *two_in_flight(void)
{
	struct virtqueue *vq = sim_create(8, false, false, count_cb);

	assert_int_equal(req_add(vq, &reqs[0], 2, 1), 0);
	assert_int_equal(req_add(vq, &reqs[1], 1, 0), 0);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 2);
	log_clear();
	return vq;
}

/* The queue refused the entry, says why, and stays refused. */
static void expect_broken(struct virtqueue *vq, const char *msg, unsigned int in_flight)
{
	unsigned int free_before = virtqueue_num_free(vq);
	unsigned int i;

	assert_null(virtqueue_get_buf(vq, NULL));
	assert_true(virtqueue_is_broken(vq));
	if (!log_has(msg))
		fail_msg("expected \"%s\" in the log, got \"%s\"", msg, host_log);
	assert_int_equal(virtqueue_num_free(vq), free_before);
	assert_null(virtqueue_get_buf(vq, NULL));
	assert_false(virtqueue_more_used(vq));
	assert_true(virtqueue_enable_cb(vq));
	assert_int_equal(req_add(vq, &reqs[5], 1, 0), -EIO);
	assert_false(virtqueue_kick_prepare(vq));
	assert_false(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 1);
	/* What was in flight can still be reclaimed. */
	for (i = 0; i < in_flight; i++)
		assert_non_null(virtqueue_detach_unused_buf(vq));
	assert_null(virtqueue_detach_unused_buf(vq));
	assert_int_equal(virtqueue_num_free(vq), 8);
}

static void test_used_id_out_of_range(void **state)
{
	struct virtqueue *vq = two_in_flight();

	sim_push_raw(77, 0);
	sim_publish();
	expect_broken(vq, "vq0: used ring id 77 is not a request in flight", 2);
}

static void test_used_id_not_a_head(void **state)
{
	struct virtqueue *vq = two_in_flight();
	u16 second = sim.vr.desc[sim.pending[0].head].next;

	sim_push_raw(second, 0);
	sim_publish();
	expect_broken(vq, "is not a request in flight", 2);
	assert_true(log_has("used ring id"));
}

static void test_used_id_free_descriptor(void **state)
{
	struct virtqueue *vq = two_in_flight();
	u16 id;

	for (id = 0; id < 8 && sim.busy[id]; id++)
		;
	sim_push_raw(id, 0);
	sim_publish();
	expect_broken(vq, "is not a request in flight", 2);
}

static void test_used_duplicate_completion(void **state)
{
	struct virtqueue *vq = two_in_flight();
	u16 head = sim.pending[1].head;
	char msg[80];

	sim_complete(1, SIM_FULL);
	expect_buf(vq, &reqs[1], 0);
	assert_false(virtqueue_is_broken(vq));
	sim_push_raw(head, 0);
	sim_publish();
	snprintf(msg, sizeof(msg), "vq0: used ring id %u is not a request in flight", head);
	expect_broken(vq, msg, 1);
}

/*
 * A chain the driver has added but not yet made available (no kick since):
 * its head is a request the driver knows, but not one the device was
 * given, so the device cannot have used it (2.6.13.3).
 */
static void test_used_id_not_yet_available(void **state)
{
	struct virtqueue *vq = two_in_flight();
	u16 head;
	char msg[100];

	assert_int_equal(req_add(vq, &reqs[2], 1, 0), 0);
	head = sim.vr.avail->ring[2];
	assert_int_equal(sim.vr.avail->idx, 2);
	sim_push_raw(head, 0);
	sim_publish();
	snprintf(msg, sizeof(msg), "vq0: used ring id %u names a buffer not yet made available",
		 head);
	expect_broken(vq, msg, 3);
}

static void test_used_len_too_large(void **state)
{
	struct virtqueue *vq = two_in_flight();
	u32 writable = req_writable(&reqs[0]);
	char msg[100];

	/* Exactly the writable bytes is fine; one more is not. */
	snprintf(msg, sizeof(msg),
		 "vq0: used ring len %u for id %u exceeds its %u device-writable bytes",
		 writable + 1, sim.pending[0].head, writable);
	sim_push_raw(sim.pending[0].head, writable + 1);
	sim_publish();
	expect_broken(vq, msg, 2);
}

static void test_used_len_on_readable_only_buffer(void **state)
{
	struct virtqueue *vq = two_in_flight();

	sim_push_raw(sim.pending[1].head, 1);
	sim_publish();
	expect_broken(vq, "exceeds its 0 device-writable bytes", 2);
}

static void test_used_idx_runs_ahead(void **state)
{
	struct virtqueue *vq = two_in_flight();

	/* Three entries claimed with two buffers in flight. */
	sim.used_shadow += 3;
	sim_publish();
	expect_broken(vq, "vq0: used ring idx 3 is 3 entries ahead, with 2 buffers in flight", 2);
}

/* Broken from outside (the transport): nothing comes out, even pending. */
static void test_set_broken(void **state)
{
	struct virtqueue *vq = two_in_flight();

	sim_complete(0, SIM_FULL);
	virtqueue_set_broken(vq);
	assert_true(virtqueue_is_broken(vq));
	assert_false(virtqueue_more_used(vq));
	assert_null(virtqueue_get_buf(vq, NULL));
	assert_int_equal(req_add(vq, &reqs[5], 1, 0), -EIO);
	assert_ptr_not_equal(virtqueue_detach_unused_buf(vq), NULL);
	assert_ptr_not_equal(virtqueue_detach_unused_buf(vq), NULL);
	assert_null(virtqueue_detach_unused_buf(vq));
}

/* ========================================================================
 * After a device reset
 */

static void test_detach_unused_after_reset(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);
	bool seen[4] = {false};
	long allocs = host_live_allocs;
	unsigned int i;
	void *tok;

	assert_int_equal(req_add(vq, &reqs[0], 1, 2), 0); /* direct: short, ring empty */
	assert_int_equal(virtqueue_num_free(vq), 5);
	assert_int_equal(req_add(vq, &reqs[1], 0, 1), 0); /* direct: one element */
	assert_int_equal(req_add(vq, &reqs[2], 3, 2), 0); /* indirect: long */
	assert_int_equal(virtqueue_num_free(vq), 3);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 3);
	assert_false(sim.pending[0].indirect);
	assert_true(sim.pending[2].indirect);
	assert_int_equal(req_add(vq, &reqs[3], 4, 1), 0); /* indirect, never published */
	assert_int_equal(virtqueue_num_free(vq), 2);
	sim_complete(1, SIM_FULL);
	expect_buf(vq, &reqs[1], ELEM_LEN);
	assert_int_equal(host_live_allocs, allocs + 2);

	sim_reset();
	for (i = 0; i < 3; i++) {
		tok = virtqueue_detach_unused_buf(vq);
		assert_non_null(tok);
		assert_true(tok == &reqs[0] || tok == &reqs[2] || tok == &reqs[3]);
		assert_false(seen[(struct req *)tok - reqs]);
		seen[(struct req *)tok - reqs] = true;
	}
	assert_null(virtqueue_detach_unused_buf(vq));
	assert_int_equal(virtqueue_num_free(vq), 8);
	assert_int_equal(host_live_allocs, allocs);
	/* The unpublished entry is gone from the available ring too. */
	assert_false(virtqueue_kick_prepare(vq));
	assert_int_equal(sim.vr.avail->idx, 3);
}

/* ========================================================================
 * Interrupt state: every entry point restores it and nests inside a caller's
 */

static void test_calls_nest_inside_irq_off(void **state)
{
	struct virtqueue *vq = sim_create(8, true, true, NULL);
	unsigned long flags = local_irq_save();

	add_n(vq, 0, 2);
	assert_true(virtqueue_kick(vq));
	sim_fetch();
	sim_complete(0, SIM_FULL);
	virtqueue_disable_cb(vq);
	expect_buf(vq, &reqs[0], ELEM_LEN);
	assert_true(virtqueue_enable_cb(vq));
	assert_int_equal(host_irq_disabled, 1);
	local_irq_restore(flags);
	assert_int_equal(host_irq_disabled, 0);
	assert_ptr_equal(virtqueue_detach_unused_buf(vq), &reqs[1]);
	assert_int_equal(host_irq_disabled, 0);
}

/* ======================================================================== */

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* creation and teardown */
		T(test_create_rejects_bad_sizes),
		T(test_create_layout),
		T(test_create_copies_and_truncates_name),
		T(test_create_unwinds_when_allocation_fails),
		T(test_del_with_buffers_in_flight),
		/* adding buffers */
		T(test_direct_chain),
		T(test_indirect_chain),
		T(test_indirect_single_element_goes_direct),
		T(test_indirect_falls_back_when_kmalloc_fails),
		T(test_indirect_longer_than_a_page_goes_direct),
		T(test_add_rejects_bad_buffers_direct),
		T(test_add_rejects_bad_buffers_indirect),
		T(test_full_ring_direct),
		T(test_full_ring_indirect),
		T(test_size_one),
		/* descriptor policy */
		T(test_policy_short_chain_direct_on_empty_ring),
		T(test_policy_short_chain_indirect_when_half_full),
		T(test_policy_long_chain_indirect_on_empty_ring),
		T(test_policy_no_feature_all_direct),
		T(test_policy_sweep),
		/* wrap-around */
		T(test_ring_wrap_direct),
		T(test_ring_wrap_indirect_event_idx),
		T(test_index_wrap_16bit),
		T(test_index_wrap_16bit_event_idx),
		/* kicks */
		T(test_need_event_formula),
		T(test_kick_suppressed_by_avail_event),
		T(test_kick_suppressed_by_no_notify),
		T(test_kick_with_nothing_added),
		T(test_notify_failure_breaks_queue),
		/* interrupts */
		T(test_used_event_written),
		T(test_no_interrupt_flag),
		T(test_enable_cb_race),
		T(test_enable_cb_race_event_idx),
		T(test_interrupt_driven),
		T(test_interrupt_driven_event_idx),
		T(test_vring_interrupt),
		T(test_polled_event_idx),
		T(test_polled_no_event_idx),
		/* a misbehaving device */
		T(test_used_id_out_of_range),
		T(test_used_id_not_a_head),
		T(test_used_id_free_descriptor),
		T(test_used_duplicate_completion),
		T(test_used_id_not_yet_available),
		T(test_used_len_too_large),
		T(test_used_len_on_readable_only_buffer),
		T(test_used_idx_runs_ahead),
		T(test_set_broken),
		/* reset */
		T(test_detach_unused_after_reset),
		/* interrupt state */
		T(test_calls_nest_inside_irq_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
