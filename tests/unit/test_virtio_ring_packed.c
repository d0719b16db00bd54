// SPDX-License-Identifier: MIT
/*
 * Host unit tests for the packed virtqueue (drivers/virtio_ring_packed.c,
 * behind the common operations of drivers/virtio_ring.c).
 *
 * The other side is a simulated device written here, playing by the
 * device's rules of virtio 1.1 §2.7: it finds the ring from the addresses a
 * transport would program (physical == virtual on the host), keeps its own
 * positions and wrap counters, takes a descriptor only when its AVAIL and
 * USED bits say it is available in the device's current lap (§2.7.1),
 * walks direct chains across the end of the ring and indirect tables, and
 * checks what the driver must guarantee (every descriptor of a chain marked
 * for its own lap, readable before writable, INDIRECT alone, only WRITE in a
 * table, an id not reused while in flight, no chain longer than the queue).
 * It finishes buffers in any order, writing one used descriptor per buffer
 * at its own used position and skipping the buffer's other slots (§2.7.6),
 * and it notifies the driver, or asks to be notified, as the event
 * suppression structures say (§2.7.10, §2.7.14). It can also misbehave on
 * request, to show the driver refuses what it is not owed.
 *
 * Positions are kept as absolute slot counts (never wrapping), so the
 * simulator's idea of laps and wrap counters is independent of the
 * driver's 15-bit arithmetic it checks.
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

extern int host_irq_disabled;

/* ========================================================================
 * Allocation failure injection (host_platform.c's allocators are weak).
 */

static unsigned int kmalloc_failures;
static unsigned int dma_failures;
static size_t last_dma_align;

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

/*
 * Exactly as aligned as asked (and no more, when the size allows), so a
 * ring that relied on more alignment than it requested would show it.
 */
void *dma_alloc(size_t size, size_t align, phys_addr_t *phys)
{
	void *p;

	if (dma_failures) {
		dma_failures--;
		return NULL;
	}
	last_dma_align = align;
	if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1))
		return NULL;
	memset(p, 0, size);
	host_live_dma++;
	*phys = (phys_addr_t)(uintptr_t)p;
	return p;
}

/* ========================================================================
 * The simulated device
 */

#define SIM_MAX_CHAIN 320
#define SIM_MAX_PENDING 512
#define SIM_FILL 0xa5
#define SIM_FULL UINT32_MAX

struct sim_buf {
	u64 addr;
	u32 len;
	bool write;
};

struct sim_chain {
	u16 id;
	bool indirect;
	unsigned int n;	    /* elements */
	unsigned int slots; /* ring slots it occupies */
	u32 writable;
	u64 first; /* absolute position of its first slot */
	struct sim_buf buf[SIM_MAX_CHAIN];
};

/* How the device asks for available buffer notifications. */
enum kick_mode { KICK_ENABLE, KICK_DISABLE, KICK_DESC_NEXT };

struct sim_dev {
	struct virtqueue *vq;
	unsigned int num;
	struct pvirtq_desc *desc;
	struct pvirtq_event_suppress *driver, *device;
	bool event_idx, indirect;

	u64 avail_pos; /* next slot to look at for an available buffer */
	u64 used_pos;  /* next slot to write a used descriptor into */
	u64 signalled; /* used_pos at the last notification decision */
	enum kick_mode kick_mode;
	bool write_flag; /* mark used descriptors WRITE when bytes were written */

	struct sim_chain *pending;
	unsigned int npending;
	bool *id_busy;

	unsigned int notifies;
	bool notify_fails;
	unsigned int interrupts;
	bool deliver_irqs;
};

static struct sim_dev sim;

static u64 packed_features(bool indirect, bool event_idx)
{
	return 1ull << VIRTIO_F_RING_PACKED | (indirect ? 1ull << VIRTIO_RING_F_INDIRECT_DESC : 0) |
	       (event_idx ? 1ull << VIRTIO_RING_F_EVENT_IDX : 0);
}

/* The wrap counter of absolute position @pos: 1 in the first lap (§2.7.1). */
static bool wrap_of(u64 pos)
{
	return !((pos / sim.num) & 1);
}

static struct pvirtq_desc *slot_of(u64 pos)
{
	return &sim.desc[pos % sim.num];
}

static bool sim_notify(struct virtqueue *vq)
{
	sim.notifies++;
	return !sim.notify_fails;
}

/* What the device asks of kicks, written into the device area. */
static void sim_set_kick_event(void)
{
	switch (sim.kick_mode) {
	case KICK_ENABLE:
		sim.device->flags = RING_EVENT_FLAGS_ENABLE;
		break;
	case KICK_DISABLE:
		sim.device->flags = RING_EVENT_FLAGS_DISABLE;
		break;
	case KICK_DESC_NEXT:
		/* As QEMU does with EVENT_IDX: the slot it will read next. */
		sim.device->desc =
			(u16)(sim.avail_pos % sim.num | (u16)wrap_of(sim.avail_pos) << 15);
		sim.device->flags = RING_EVENT_FLAGS_DESC;
		break;
	}
}

static struct virtqueue *sim_create(unsigned int num, bool indirect, bool event_idx,
				    vq_callback_t cb)
{
	struct virtqueue *vq;

	memset(&sim, 0, sizeof(sim));
	vq = vring_create_virtqueue(0, num, packed_features(indirect, event_idx), sim_notify, cb,
				    &sim, "vq0");
	assert_non_null(vq);
	assert_true(virtqueue_is_packed(vq));
	sim.vq = vq;
	sim.num = num;
	sim.indirect = indirect;
	sim.event_idx = event_idx;
	sim.desc = (struct pvirtq_desc *)(uintptr_t)virtqueue_get_desc_addr(vq);
	sim.driver = (struct pvirtq_event_suppress *)(uintptr_t)virtqueue_get_avail_addr(vq);
	sim.device = (struct pvirtq_event_suppress *)(uintptr_t)virtqueue_get_used_addr(vq);
	sim.kick_mode = event_idx ? KICK_DESC_NEXT : KICK_ENABLE;
	sim.pending = calloc(SIM_MAX_PENDING, sizeof(*sim.pending));
	sim.id_busy = calloc(num, sizeof(*sim.id_busy));
	assert_non_null(sim.pending);
	assert_non_null(sim.id_busy);
	sim_set_kick_event();
	return vq;
}

static void sim_destroy(void)
{
	vring_del_virtqueue(sim.vq);
	free(sim.pending);
	free(sim.id_busy);
	memset(&sim, 0, sizeof(sim));
}

/* Whether the descriptor at @pos is available in that position's lap. */
static bool sim_is_avail(u64 pos)
{
	u16 flags = READ_ONCE(slot_of(pos)->flags);
	bool w = wrap_of(pos);

	return !!(flags & VIRTQ_DESC_F_AVAIL) == w && !!(flags & VIRTQ_DESC_F_USED) != w;
}

static void sim_add_buf(struct sim_chain *c, u64 addr, u32 len, bool write, bool *seen_write)
{
	assert_true(c->n < SIM_MAX_CHAIN);
	assert_true(len > 0);
	assert_false(*seen_write && !write); /* readable before writable (§2.7.17) */
	*seen_write |= write;
	c->buf[c->n].addr = addr;
	c->buf[c->n].len = len;
	c->buf[c->n].write = write;
	if (write)
		c->writable += len;
	c->n++;
}

/* Walk the chain starting at sim.avail_pos, checking the driver's side of §2.7. */
static void sim_walk(struct sim_chain *c)
{
	bool seen_write = false;
	u64 pos = sim.avail_pos;
	u16 id = 0;

	memset(c, 0, offsetof(struct sim_chain, buf));
	c->first = pos;
	for (;;) {
		const struct pvirtq_desc *d = slot_of(pos);
		u16 flags = d->flags;

		/* Every descriptor of the chain marked for its own lap (§2.7.6). */
		assert_true(sim_is_avail(pos));
		assert_true(c->slots < sim.num); /* no chain longer than the queue */
		c->slots++;
		if (flags & VIRTQ_DESC_F_INDIRECT) {
			const struct pvirtq_desc *t =
				(const struct pvirtq_desc *)(uintptr_t)d->addr;
			unsigned int k, n = d->len / sizeof(*t);

			assert_true(sim.indirect);
			assert_int_equal(c->slots, 1);		 /* not within a chain */
			assert_false(flags & VIRTQ_DESC_F_NEXT); /* and alone */
			assert_true(d->len > 0 && d->len % sizeof(*t) == 0);
			assert_true(n <= sim.num);
			c->indirect = true;
			for (k = 0; k < n; k++) {
				/* §2.7.7: WRITE is the only flag in a table. */
				assert_int_equal(t[k].flags & ~VIRTQ_DESC_F_WRITE, 0);
				sim_add_buf(c, t[k].addr, t[k].len, t[k].flags & VIRTQ_DESC_F_WRITE,
					    &seen_write);
			}
			id = d->id;
			pos++;
			break;
		}
		sim_add_buf(c, d->addr, d->len, flags & VIRTQ_DESC_F_WRITE, &seen_write);
		id = d->id; /* the last descriptor's counts (§2.7.6) */
		pos++;
		if (!(flags & VIRTQ_DESC_F_NEXT))
			break;
	}
	assert_true(id < sim.num);
	assert_false(sim.id_busy[id]); /* not reused while in flight */
	sim.id_busy[id] = true;
	c->id = id;
	sim.avail_pos = pos;
}

/* Take every newly available buffer; returns how many. */
static unsigned int sim_fetch(void)
{
	unsigned int n = 0;

	/* The device never reads past its own used descriptors' lap. */
	while (sim.avail_pos < sim.used_pos + sim.num && sim_is_avail(sim.avail_pos)) {
		assert_true(sim.npending < SIM_MAX_PENDING);
		sim_walk(&sim.pending[sim.npending++]);
		n++;
	}
	sim_set_kick_event();
	return n;
}

/* Write a used descriptor at the used position, taking @slots slots. */
static void sim_push_raw(u16 id, u32 len, u16 flags_extra, unsigned int slots)
{
	struct pvirtq_desc *d = slot_of(sim.used_pos);
	u16 flags = wrap_of(sim.used_pos) ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0;

	d->id = id;
	d->len = len;
	d->addr = 0xdead0000dead0000ull; /* unused in a used descriptor */
	WRITE_ONCE(d->flags, (u16)(flags | flags_extra));
	sim.used_pos += slots;
}

/* Finish pending buffer @k: write @len bytes (SIM_FULL: all), push its used descriptor. */
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
	sim_push_raw(c->id, len, sim.write_flag && len ? VIRTQ_DESC_F_WRITE : 0, c->slots);
	sim.id_busy[c->id] = false;
	memmove(c, c + 1, (sim.npending - k - 1) * sizeof(*c));
	sim.npending--;
}

/*
 * Decide on a used buffer notification for what was pushed since the last
 * decision (§2.7.10): never with DISABLE, always with ENABLE, and with DESC
 * when the named descriptor, in the lap its wrap counter names, lies among
 * the slots just used.
 */
static void sim_publish(void)
{
	u16 flags = sim.driver->flags;
	u64 old = sim.signalled, new = sim.used_pos;
	bool notify;

	sim.signalled = new;
	if (new == old)
		return;
	if (flags == RING_EVENT_FLAGS_DESC) {
		u16 desc = sim.driver->desc;
		u64 lap = new / sim.num;
		u64 e;

		assert_true(sim.event_idx); /* DESC only with EVENT_IDX (§2.7.14) */
		assert_true((desc & 0x7fff) < sim.num);
		if ((bool)(desc >> 15) != wrap_of(new))
			lap--;
		e = lap * sim.num + (desc & 0x7fff);
		notify = e >= old && e < new;
	} else {
		assert_true(flags == RING_EVENT_FLAGS_ENABLE || flags == RING_EVENT_FLAGS_DISABLE);
		notify = flags == RING_EVENT_FLAGS_ENABLE;
	}
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
	memset(sim.id_busy, 0, sim.num * sizeof(*sim.id_busy));
	sim.npending = 0;
	sim.avail_pos = sim.used_pos = sim.signalled = 0;
}

/* ========================================================================
 * The driver's side: requests, completions, callbacks
 */

#define MAX_ELEMS 8
#define ELEM_LEN 64

struct req {
	unsigned int out, in;
	struct scatterlist sg[MAX_ELEMS];
	u8 mem[MAX_ELEMS][ELEM_LEN];
	bool in_flight;
};

static struct req reqs[512];

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

static void add_n(struct virtqueue *vq, unsigned int first, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		assert_int_equal(req_add(vq, &reqs[first + i], 0, 1), 0);
}

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

static struct req *req_of_chain(const struct sim_chain *c)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reqs); i++)
		if (c->buf[0].addr == (u64)(uintptr_t)reqs[i].mem[0])
			return &reqs[i];
	fail_msg("the device holds a chain no request owns");
	return NULL;
}

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

static unsigned int cb_calls;
static unsigned int enable_cb_failures;
static struct req *done[8192];
static u32 done_len[8192];
static unsigned int ndone;
static void (*between_drain_and_enable)(void);

static void count_cb(struct virtqueue *vq)
{
	cb_calls++;
}

/* virtblk_done's loop: disable, drain, enable, and again if more came. */
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

static u32 rng_state;

static u32 rng(u32 bound)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 16) % bound;
}

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
	rng_state = 4242;
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

/* §2.7: any size from 1 to 2^15, powers of two or not. */
static void test_create_sizes(void **state)
{
	static const unsigned int bad[] = {0, 32769, 65536, 1u << 20};
	static const unsigned int good[] = {1, 2, 3, 6, 100, 255, 1000, 32767, 32768};
	char expect[80];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		log_clear();
		assert_null(vring_create_virtqueue(0, bad[i], packed_features(false, false),
						   sim_notify, NULL, NULL, "vq0"));
		snprintf(expect, sizeof(expect),
			 "vq0: queue size %u is not from 1 to 32768 (packed", bad[i]);
		assert_true(log_has(expect));
	}
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		struct virtqueue *vq =
			vring_create_virtqueue(2, good[i], packed_features(true, true), sim_notify,
					       NULL, &sim, "vdb.req2");
		unsigned int num = good[i];
		phys_addr_t desc, driver, device;
		struct pvirtq_event_suppress *ev;
		struct pvirtq_desc *d;

		assert_non_null(vq);
		assert_true(virtqueue_is_packed(vq));
		assert_string_equal(virtqueue_layout_name(vq), "packed");
		desc = virtqueue_get_desc_addr(vq);
		driver = virtqueue_get_avail_addr(vq);
		device = virtqueue_get_used_addr(vq);
		/* §2.7.10.1: 16-byte descriptors, 4-byte event structures. */
		assert_int_equal(last_dma_align, 16);
		assert_int_equal(desc % 16, 0);
		assert_int_equal(driver, desc + 16 * num);
		assert_int_equal(device, driver + 4);
		assert_int_equal(virtqueue_get_vring_size(vq), num);
		assert_int_equal(virtqueue_num_free(vq), num);
		/* §2.7.13: a zeroed ring; the driver's events start ENABLE. */
		d = (struct pvirtq_desc *)(uintptr_t)desc;
		assert_int_equal(d[num - 1].flags, 0);
		ev = (struct pvirtq_event_suppress *)(uintptr_t)driver;
		assert_int_equal(ev->flags, RING_EVENT_FLAGS_ENABLE);
		/* The last field the device may write lies inside the allocation (ASan). */
		((struct pvirtq_event_suppress *)(uintptr_t)device)->flags = 0xffff;
		vring_del_virtqueue(vq);
	}
	assert_int_equal(host_live_allocs, base_allocs);
	assert_int_equal(host_live_dma, base_dma);
}

/* Without VIRTIO_F_RING_PACKED the same call makes a split ring. */
static void test_create_split_without_feature(void **state)
{
	struct virtqueue *vq = vring_create_virtqueue(0, 8, 1ull << VIRTIO_RING_F_EVENT_IDX,
						      sim_notify, NULL, NULL, "vq0");

	assert_non_null(vq);
	assert_false(virtqueue_is_packed(vq));
	assert_string_equal(virtqueue_layout_name(vq), "split");
	vring_del_virtqueue(vq);
	log_clear();
	assert_null(vring_create_virtqueue(0, 6, 0, sim_notify, NULL, NULL, "vq0"));
	assert_true(log_has("vq0: queue size 6 is not a power of two"));
}

static void test_create_unwinds_when_allocation_fails(void **state)
{
	log_clear();
	kmalloc_failures = 1;
	assert_null(vring_create_virtqueue(0, 8, packed_features(false, false), sim_notify, NULL,
					   NULL, "vq0"));
	assert_true(log_has("vq0: no memory"));
	log_clear();
	dma_failures = 1;
	assert_null(vring_create_virtqueue(0, 8, packed_features(false, false), sim_notify, NULL,
					   NULL, "vq0"));
	assert_true(log_has("vq0: no memory for a ring"));
	assert_int_equal(host_live_allocs, base_allocs);
	assert_int_equal(host_live_dma, base_dma);
}

static void test_del_with_buffers_in_flight(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);

	assert_int_equal(req_add(vq, &reqs[0], 3, 2), 0); /* indirect: long */
	assert_int_equal(req_add(vq, &reqs[1], 2, 3), 0);
	assert_int_equal(req_add(vq, &reqs[2], 1, 0), 0);
	assert_int_equal(virtqueue_num_free(vq), 5);
	assert_int_equal(host_live_allocs, base_allocs + 3); /* queue and two tables */
	log_clear();
	sim_destroy();
	assert_true(log_has("vq0: deleted with 3 buffers in flight"));
	assert_int_equal(host_live_allocs, base_allocs);
}

/* ========================================================================
 * Adding buffers
 */

static void test_direct_chain(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);
	struct req *r = &reqs[0];
	const u16 lap1 = VIRTQ_DESC_F_AVAIL; /* AVAIL = 1, USED = 0 in the first lap */
	unsigned int k;

	assert_int_equal(req_add(vq, r, 2, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 4);
	/* §2.7.6: available as soon as the head's flags are written, before any kick. */
	assert_int_equal(sim_fetch(), 1);
	expect_chain_is(&sim.pending[0], r);
	assert_int_equal(sim.pending[0].slots, 4);
	/* The raw descriptors: NEXT on all but the last, WRITE on the last two, one id. */
	assert_int_equal(sim.desc[0].flags, lap1 | VIRTQ_DESC_F_NEXT);
	assert_int_equal(sim.desc[1].flags, lap1 | VIRTQ_DESC_F_NEXT);
	assert_int_equal(sim.desc[2].flags, lap1 | VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
	assert_int_equal(sim.desc[3].flags, lap1 | VIRTQ_DESC_F_WRITE);
	for (k = 0; k < 4; k++)
		assert_int_equal(sim.desc[k].id, sim.pending[0].id);
	assert_int_equal(sim.desc[4].flags, 0);
	/* Then the kick. */
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 1);
	assert_int_equal(vq->num_kicks, 1);
	assert_false(virtqueue_kick_prepare(vq)); /* nothing new */
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 1);

	sim_complete(0, SIM_FULL);
	expect_buf(vq, r, req_writable(r));
	assert_int_equal(virtqueue_num_free(vq), 8);
	assert_null(virtqueue_get_buf(vq, NULL));
}

/*
 * A chain that runs past the ring's end (slots 6, 7, 0): the descriptors
 * after the end carry the next lap's bits (§2.7.6: every descriptor of a
 * chain is marked, not only the first), and the device takes the whole
 * chain once the head is available.
 */
static void test_chain_across_ring_end(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);

	add_n(vq, 0, 6);
	assert_int_equal(sim_fetch(), 6);
	for (unsigned int i = 0; i < 6; i++)
		sim_push(0, SIM_FULL);
	sim_publish();
	for (unsigned int i = 0; i < 6; i++)
		expect_buf(vq, &reqs[i], ELEM_LEN);
	assert_int_equal(req_add(vq, &reqs[10], 1, 2), 0);
	/* Slots 6 and 7 in lap 1 (AVAIL=1, USED=0), slot 0 in lap 2 (AVAIL=0, USED=1). */
	assert_int_equal(sim.desc[6].flags, VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_NEXT);
	assert_int_equal(sim.desc[7].flags,
			 VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
	assert_int_equal(sim.desc[0].flags, VIRTQ_DESC_F_USED | VIRTQ_DESC_F_WRITE);
	assert_int_equal(sim_fetch(), 1);
	assert_int_equal(sim.pending[0].slots, 3);
	expect_chain_is(&sim.pending[0], &reqs[10]);
	sim_complete(0, 5);
	expect_buf(vq, &reqs[10], 5);
	assert_int_equal(virtqueue_num_free(vq), 8);
}

static void test_indirect_chain(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);
	struct req *r = &reqs[0];
	const struct pvirtq_desc *t;

	assert_int_equal(req_add(vq, r, 3, 3), 0); /* longer than DIRECT_MAX */
	assert_int_equal(virtqueue_num_free(vq), 7);
	assert_int_equal(sim.desc[0].flags, VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_INDIRECT);
	assert_int_equal(sim.desc[0].len, 6 * sizeof(struct pvirtq_desc));
	t = (const struct pvirtq_desc *)(uintptr_t)sim.desc[0].addr;
	assert_int_equal(t[0].flags, 0);
	assert_int_equal(t[2].flags, 0);
	assert_int_equal(t[3].flags, VIRTQ_DESC_F_WRITE);
	assert_int_equal(t[5].flags, VIRTQ_DESC_F_WRITE);
	assert_int_equal(sim_fetch(), 1);
	assert_true(sim.pending[0].indirect);
	assert_int_equal(sim.pending[0].slots, 1);
	expect_chain_is(&sim.pending[0], r);
	assert_int_equal(host_live_allocs, base_allocs + 2);
	sim_complete(0, 10);
	expect_buf(vq, r, 10);
	assert_int_equal(host_live_allocs, base_allocs + 1); /* the table went back */
	assert_int_equal(virtqueue_num_free(vq), 8);
}

static void test_indirect_falls_back_when_kmalloc_fails(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);

	kmalloc_failures = 1;
	assert_int_equal(req_add(vq, &reqs[0], 3, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 3);
	assert_int_equal(sim_fetch(), 1);
	assert_false(sim.pending[0].indirect);
	expect_chain_is(&sim.pending[0], &reqs[0]);
}

static void test_single_element_goes_direct(void **state)
{
	struct virtqueue *vq = sim_create(4, true, false, NULL);

	assert_int_equal(req_add(vq, &reqs[0], 0, 1), 0);
	assert_int_equal(sim_fetch(), 1);
	assert_false(sim.pending[0].indirect);
	assert_int_equal(host_live_allocs, base_allocs + 1);
}

static void expect_rejects_bad_buffers(bool indirect)
{
	struct virtqueue *vq = sim_create(8, indirect, false, NULL);
	struct req *r = &reqs[0];

	req_init(r, 1, 1);
	assert_int_equal(virtqueue_add_sgs(vq, r->sg, 1, 1, NULL), -EINVAL);
	assert_int_equal(virtqueue_add_sgs(vq, r->sg, 0, 0, r), -EINVAL);
	assert_int_equal(virtqueue_add_sgs(vq, r->sg, 5, 4, r), -EINVAL);
	assert_int_equal(virtqueue_add_sgs(vq, r->sg, 0xffffffffu, 2, r), -EINVAL);
	r->sg[1].length = 0;
	assert_int_equal(virtqueue_add_sgs(vq, r->sg, 1, 1, r), -EINVAL);
	assert_int_equal(virtqueue_num_free(vq), 8);
	assert_int_equal(sim_fetch(), 0);
	assert_int_equal(host_live_allocs, base_allocs + 1);
}

static void test_add_rejects_bad_buffers_direct(void **state)
{
	expect_rejects_bad_buffers(false);
}

static void test_add_rejects_bad_buffers_indirect(void **state)
{
	expect_rejects_bad_buffers(true);
}

/* A full ring refuses with -ENOSPC and consumes nothing; a slot back, one more fits. */
static void test_full_ring(void **state)
{
	struct virtqueue *vq = sim_create(6, false, false, NULL);

	assert_int_equal(req_add(vq, &reqs[0], 1, 2), 0);
	assert_int_equal(req_add(vq, &reqs[1], 1, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 0);
	assert_int_equal(req_add(vq, &reqs[2], 0, 1), -ENOSPC);
	assert_int_equal(sim_fetch(), 2);
	/* The second finishes first: its three slots come back all the same. */
	sim_complete(1, SIM_FULL);
	expect_buf(vq, &reqs[1], req_writable(&reqs[1]));
	assert_int_equal(virtqueue_num_free(vq), 3);
	assert_int_equal(req_add(vq, &reqs[3], 1, 3), -ENOSPC);
	assert_int_equal(req_add(vq, &reqs[3], 1, 2), 0);
	assert_int_equal(sim_fetch(), 1);
	expect_chain_is(&sim.pending[1], &reqs[3]);
	sim_complete(0, 1);
	sim_complete(0, 2);
	expect_buf(vq, &reqs[0], 1);
	expect_buf(vq, &reqs[3], 2);
	assert_int_equal(virtqueue_num_free(vq), 6);
}

static void test_size_one(void **state)
{
	struct virtqueue *vq = sim_create(1, true, true, NULL);
	unsigned int i;

	for (i = 0; i < 5; i++) {
		assert_int_equal(req_add(vq, &reqs[i], 0, 1), 0);
		assert_int_equal(req_add(vq, &reqs[i + 1], 0, 1), -ENOSPC);
		assert_int_equal(req_add(vq, &reqs[i + 1], 1, 1), -EINVAL);
		assert_true(virtqueue_kick(vq));
		assert_int_equal(sim_fetch(), 1);
		sim_complete(0, 3);
		expect_buf(vq, &reqs[i], 3);
	}
	assert_int_equal(sim.notifies, 5);
}

/* ========================================================================
 * Out of order, wrap-around, and a long random run
 */

/*
 * Completions in reverse order: each used descriptor lands at the device's
 * used position, not where its buffer was, and the driver skips each
 * buffer's slot count from wherever it finds it.
 */
static void test_out_of_order_completion(void **state)
{
	struct virtqueue *vq = sim_create(16, false, false, NULL);

	assert_int_equal(req_add(vq, &reqs[0], 1, 1), 0); /* 2 slots */
	assert_int_equal(req_add(vq, &reqs[1], 2, 2), 0); /* 4 slots */
	assert_int_equal(req_add(vq, &reqs[2], 0, 1), 0); /* 1 slot */
	assert_int_equal(sim_fetch(), 3);
	sim_push(2, SIM_FULL); /* at slot 0, skipping 1 */
	sim_push(1, SIM_FULL); /* at slot 1, skipping 4 */
	sim_push(0, SIM_FULL); /* at slot 5, skipping 2 */
	sim_publish();
	assert_int_equal(sim.desc[0].id, 2);
	expect_buf(vq, &reqs[2], ELEM_LEN);
	expect_buf(vq, &reqs[1], req_writable(&reqs[1]));
	expect_buf(vq, &reqs[0], req_writable(&reqs[0]));
	assert_null(virtqueue_get_buf(vq, NULL));
	assert_int_equal(virtqueue_num_free(vq), 16);
	/* The ids were recycled; the next buffers start at slot 7. */
	assert_int_equal(req_add(vq, &reqs[3], 0, 1), 0);
	assert_int_equal(sim_fetch(), 1);
	assert_int_equal(sim.pending[0].first, 7);
	sim_complete(0, 1);
	expect_buf(vq, &reqs[3], 1);
}

/*
 * Random chains, random completion order, random written lengths, many
 * laps of odd-sized rings: every buffer comes back once, with its length,
 * and the free count always equals the ring size less what is in flight.
 */
static void random_run(unsigned int num, bool indirect, bool event_idx, unsigned int steps)
{
	struct virtqueue *vq = sim_create(num, indirect, event_idx, NULL);
	unsigned int step, in_flight = 0, next_req = 0, laps;
	u32 expect_len[ARRAY_SIZE(reqs)];
	unsigned int slots_of[ARRAY_SIZE(reqs)];
	unsigned int used_slots = 0;

	for (step = 0; step < steps; step++) {
		unsigned int action = rng(10);

		if (action < 4) {
			struct req *r = &reqs[next_req];
			unsigned int total = 1 + rng(MIN(num, 6u)), out = rng(total + 1);
			unsigned int before = virtqueue_num_free(vq);
			int err;

			if (r->in_flight)
				continue;
			err = req_add(vq, r, out, total - out);
			if (err) {
				assert_int_equal(err, -ENOSPC);
				assert_int_equal(virtqueue_num_free(vq), before);
				continue;
			}
			slots_of[next_req] = before - virtqueue_num_free(vq);
			used_slots += slots_of[next_req];
			in_flight++;
			next_req = (next_req + 1) % ARRAY_SIZE(reqs);
		} else if (action < 5) {
			virtqueue_kick(vq);
		} else if (action < 7) {
			sim_fetch();
		} else if (action < 9 && sim.npending) {
			unsigned int k = rng(sim.npending);
			struct req *r = req_of_chain(&sim.pending[k]);
			u32 len = rng(sim.pending[k].writable + 1);

			expect_chain_is(&sim.pending[k], r);
			expect_len[r - reqs] = len;
			sim_push(k, len);
			if (rng(2))
				sim_publish();
		} else {
			u32 len;
			struct req *r;

			while ((r = virtqueue_get_buf(vq, &len))) {
				assert_true(r->in_flight);
				assert_int_equal(len, expect_len[r - reqs]);
				r->in_flight = false;
				in_flight--;
				used_slots -= slots_of[r - reqs];
			}
		}
		assert_int_equal(virtqueue_num_free(vq), num - used_slots);
		assert_false(virtqueue_is_broken(vq));
	}
	/* Drain. */
	sim_fetch();
	while (sim.npending) {
		struct req *r = req_of_chain(&sim.pending[0]);

		expect_len[r - reqs] = sim.pending[0].writable;
		sim_push(0, SIM_FULL);
	}
	sim_publish();
	for (;;) {
		u32 len;
		struct req *r = virtqueue_get_buf(vq, &len);

		if (!r)
			break;
		assert_int_equal(len, expect_len[r - reqs]);
		r->in_flight = false;
		in_flight--;
	}
	assert_int_equal(in_flight, 0);
	assert_int_equal(virtqueue_num_free(vq), num);
	laps = (unsigned int)(sim.used_pos / num);
	assert_true(laps >= 10); /* the wrap counters were exercised */
}

static void test_random_odd_sizes_direct(void **state)
{
	random_run(7, false, false, 4000);
	sim_destroy();
	random_run(13, false, true, 4000);
}

static void test_random_odd_sizes_indirect(void **state)
{
	random_run(11, true, true, 4000);
	sim_destroy();
	random_run(100, true, false, 6000);
}

static void test_random_power_of_two(void **state)
{
	random_run(8, true, true, 4000);
	sim_destroy();
	random_run(256, false, true, 20000);
}

/* ========================================================================
 * Available buffer notifications (kicks, §2.7.21.2)
 */

static void test_kick_disabled_by_device(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);

	sim.kick_mode = KICK_DISABLE;
	sim_set_kick_event();
	add_n(vq, 0, 2);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 0);
	assert_int_equal(vq->num_kicks_suppressed, 1);
	sim.kick_mode = KICK_ENABLE;
	sim_set_kick_event();
	add_n(vq, 2, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 1);
	/* DESC without EVENT_IDX is not the device's to ask: the driver notifies. */
	sim.device->flags = RING_EVENT_FLAGS_DESC;
	sim.device->desc = 7;
	add_n(vq, 3, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 2);
}

/* With EVENT_IDX the device names the descriptor whose arrival it wants to hear of. */
static void test_kick_event_desc(void **state)
{
	struct virtqueue *vq = sim_create(8, false, true, NULL);

	/* Everything fetched: the device asks for slot 0 of lap 1, the next one. */
	add_n(vq, 0, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 1);
	/* Not fetched yet: the device still names slot 0, which is behind us. */
	add_n(vq, 1, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 1);
	assert_int_equal(vq->num_kicks_suppressed, 1);
	/* Fetched: it names slot 2, which the next add fills. */
	assert_int_equal(sim_fetch(), 2);
	add_n(vq, 2, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 2);
	/* A slot further on: no kick until a batch reaches it. */
	sim_fetch();
	sim.device->desc = 5 | 1 << 15;
	add_n(vq, 3, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 2);
	add_n(vq, 4, 2); /* slots 4 and 5 */
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 3);
}

/* The device's event named in the lap before ours, across the ring's end. */
static void test_kick_event_desc_across_wrap(void **state)
{
	struct virtqueue *vq = sim_create(8, false, true, NULL);
	unsigned int i;

	/* Fill slots 0..5 and finish them: the driver's next slot is 6 of lap 1. */
	add_n(vq, 0, 6);
	virtqueue_kick(vq);
	assert_int_equal(sim_fetch(), 6);
	for (i = 0; i < 6; i++)
		sim_push(0, SIM_FULL);
	sim_publish();
	for (i = 0; i < 6; i++)
		expect_buf(vq, &reqs[i], ELEM_LEN);
	/* The device wants slot 7 of lap 1 (wrap 1); we add slots 6, 7 and 0 of lap 2. */
	sim.device->desc = 7 | 1 << 15;
	add_n(vq, 6, 3);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 2);
	/* Now it wants slot 1 of lap 2 (wrap 0): adding slot 1 kicks, slot 2 does not. */
	sim.device->desc = 1;
	add_n(vq, 9, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 3);
	add_n(vq, 10, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 3);
	/* An event in the lap before, slot 3 of lap 1: long passed, nothing new passes it. */
	sim.device->desc = 3 | 1 << 15;
	sim_fetch();
	sim.device->desc = 3 | 1 << 15;
	for (i = 0; i < 5; i++)
		sim_complete(0, SIM_FULL);
	for (i = 6; i < 11; i++)
		expect_buf(vq, &reqs[i], ELEM_LEN);
	add_n(vq, 20, 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 3);
}

/* Having gone round the whole ring since the last kick, whatever was named was passed. */
static void test_kick_after_a_whole_lap(void **state)
{
	struct virtqueue *vq = sim_create(4, false, true, NULL);
	unsigned int i;

	sim.device->desc = 3 | 1 << 15; /* slot 3 of lap 1 */
	for (i = 0; i < 3; i++) {
		add_n(vq, i, 1);
		sim_fetch();
		sim.device->desc = 3 | 1 << 15; /* the device keeps asking for it */
		sim_complete(0, SIM_FULL);
		expect_buf(vq, &reqs[i], ELEM_LEN);
	}
	/* Three descriptors added, none at slot 3: no kick was owed. */
	assert_false(virtqueue_kick_prepare(vq));
	for (i = 3; i < 8; i++) {
		add_n(vq, i, 1);
		sim_fetch();
		/*
		 * Slot 1 with wrap 1: of lap 1, long passed, or of lap 3, not
		 * reached; the wrap bit cannot tell which.
		 */
		sim.device->desc = 1 | 1 << 15;
		sim_complete(0, SIM_FULL);
		expect_buf(vq, &reqs[i], ELEM_LEN);
	}
	/* Five more, round the ring past every slot: whichever, a kick is owed. */
	assert_true(virtqueue_kick_prepare(vq));
}

static void test_kick_with_nothing_added(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);

	assert_false(virtqueue_kick_prepare(vq));
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 0);
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
	assert_int_equal(req_add(vq, &reqs[1], 0, 1), -EIO);
	assert_non_null(virtqueue_detach_unused_buf(vq));
}

/* ========================================================================
 * Used buffer notifications (§2.7.10)
 */

static void test_disable_cb_writes_disable(void **state)
{
	struct virtqueue *vq = sim_create(8, false, true, NULL);

	/* DISABLE is valid with EVENT_IDX too, unlike the split ring's flag. */
	virtqueue_disable_cb(vq);
	assert_int_equal(sim.driver->flags, RING_EVENT_FLAGS_DISABLE);
	add_n(vq, 0, 3);
	sim_fetch();
	sim_complete(0, SIM_FULL);
	sim_complete(0, SIM_FULL);
	assert_int_equal(sim.interrupts, 0);
	/* Enabling names the next used slot, in its lap, and finds two waiting. */
	assert_false(virtqueue_enable_cb(vq));
	assert_int_equal(sim.driver->flags, RING_EVENT_FLAGS_DESC);
	assert_int_equal(sim.driver->desc, 0 | 1 << 15);
	expect_buf(vq, &reqs[0], ELEM_LEN);
	expect_buf(vq, &reqs[1], ELEM_LEN);
	/* Taking buffers with callbacks on moves the named slot along. */
	assert_int_equal(sim.driver->desc, 2 | 1 << 15);
	assert_true(virtqueue_enable_cb(vq));
	sim_complete(0, SIM_FULL);
	assert_int_equal(sim.interrupts, 1);
}

static void test_enable_cb_without_event_idx(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);

	virtqueue_disable_cb(vq);
	assert_int_equal(sim.driver->flags, RING_EVENT_FLAGS_DISABLE);
	assert_true(virtqueue_enable_cb(vq));
	assert_int_equal(sim.driver->flags, RING_EVENT_FLAGS_ENABLE);
	add_n(vq, 0, 2);
	sim_fetch();
	sim_complete(0, SIM_FULL);
	sim_complete(0, SIM_FULL);
	assert_int_equal(sim.interrupts, 2);
}

/*
 * The race virtblk_done's loop closes: a buffer used between the drain and
 * the re-enable raises no interrupt (the device saw DISABLE); enable_cb
 * must report it.
 */
static void complete_one_now(void)
{
	sim_complete(0, SIM_FULL);
}

static void race(bool event_idx)
{
	struct virtqueue *vq = sim_create(8, false, event_idx, drain_cb);
	unsigned int irqs;

	sim.deliver_irqs = true;
	add_n(vq, 0, 2);
	virtqueue_kick(vq);
	sim_fetch();
	between_drain_and_enable = complete_one_now;
	sim_complete(0, SIM_FULL);
	irqs = sim.interrupts;
	assert_int_equal(cb_calls, 1);
	assert_int_equal(enable_cb_failures, 1);
	assert_int_equal(ndone, 2);
	assert_int_equal(irqs, 1);
	assert_int_equal(virtqueue_num_free(vq), 8);
}

static void test_enable_cb_race(void **state)
{
	race(false);
}

static void test_enable_cb_race_event_idx(void **state)
{
	race(true);
}

/*
 * Interrupt-driven: many buffers over many laps, each completion batch
 * delivered through vring_interrupt; nothing is lost, and with EVENT_IDX the
 * device interrupts once per batch.
 */
static void interrupt_driven(bool event_idx)
{
	struct virtqueue *vq = sim_create(12, false, event_idx, drain_cb);
	unsigned int round, i, sent = 0;

	sim.deliver_irqs = true;
	for (round = 0; round < 200; round++) {
		unsigned int n = 1 + rng(5);

		for (i = 0; i < n; i++) {
			assert_int_equal(req_add(vq, &reqs[sent % 64], 0, 1 + rng(2)), 0);
			sent++;
		}
		virtqueue_kick(vq);
		sim_fetch();
		while (sim.npending)
			sim_push(rng(sim.npending), SIM_FULL);
		sim_publish();
	}
	assert_int_equal(ndone, sent);
	assert_int_equal(virtqueue_num_free(vq), 12);
	assert_int_equal(sim.interrupts, 200);
	assert_int_equal(vq->num_irqs, 200);
	assert_int_equal(vq->num_irqs_spurious, 0);
}

static void test_interrupt_driven(void **state)
{
	interrupt_driven(false);
}

static void test_interrupt_driven_event_idx(void **state)
{
	interrupt_driven(true);
}

static void test_vring_interrupt(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, count_cb);

	assert_int_equal(vring_interrupt(11, vq), VRING_IRQ_NONE);
	assert_int_equal(vq->num_irqs_spurious, 1);
	assert_int_equal(cb_calls, 0);
	add_n(vq, 0, 1);
	sim_fetch();
	sim_complete(0, SIM_FULL);
	assert_int_equal(vring_interrupt(11, vq), VRING_IRQ_HANDLED);
	assert_int_equal(cb_calls, 1);
	vq->irq_always_callback = true;
	expect_buf(vq, &reqs[0], ELEM_LEN);
	assert_int_equal(vring_interrupt(11, vq), VRING_IRQ_HANDLED);
	assert_int_equal(cb_calls, 2);
	virtqueue_set_broken(vq);
	assert_int_equal(vring_interrupt(11, vq), VRING_IRQ_HANDLED);
	assert_int_equal(cb_calls, 2);
}

/*
 * A poll queue: RING_EVENT_FLAGS_DISABLE, valid with or without EVENT_IDX,
 * kept through every buffer taken and through enable_cb, over many laps.
 */
static void polled(bool event_idx)
{
	struct virtqueue *vq = sim_create(6, false, event_idx, NULL);
	unsigned int i;

	virtqueue_set_polled(vq);
	assert_int_equal(sim.driver->flags, RING_EVENT_FLAGS_DISABLE);
	for (i = 0; i < 300; i++) {
		add_n(vq, 0, 2);
		virtqueue_kick(vq);
		assert_int_equal(sim_fetch(), 2);
		sim_complete(1, 1);
		sim_complete(0, 1);
		assert_false(virtqueue_enable_cb(vq));
		expect_buf(vq, &reqs[1], 1);
		expect_buf(vq, &reqs[0], 1);
		assert_true(virtqueue_enable_cb(vq));
		assert_int_equal(sim.driver->flags, RING_EVENT_FLAGS_DISABLE);
	}
	assert_int_equal(sim.interrupts, 0);
	assert_true(sim.used_pos / 6 >= 100);
}

static void test_polled(void **state)
{
	polled(false);
}

static void test_polled_event_idx(void **state)
{
	polled(true);
}

/* ========================================================================
 * A misbehaving device
 */

/* Two buffers in flight, fetched: reqs[0] (2 readable + 2 writable), reqs[1] (1 readable). */
static struct virtqueue *two_in_flight(void)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);

	assert_int_equal(req_add(vq, &reqs[0], 2, 2), 0);
	assert_int_equal(req_add(vq, &reqs[1], 1, 0), 0);
	assert_int_equal(sim_fetch(), 2);
	log_clear();
	return vq;
}

static void expect_broken(struct virtqueue *vq, const char *msg, unsigned int in_flight)
{
	unsigned int i;

	assert_null(virtqueue_get_buf(vq, NULL));
	assert_true(virtqueue_is_broken(vq));
	assert_true(log_has(msg));
	assert_false(virtqueue_more_used(vq));
	assert_int_equal(req_add(vq, &reqs[9], 0, 1), -EIO);
	for (i = 0; i < in_flight; i++)
		assert_non_null(virtqueue_detach_unused_buf(vq));
	assert_null(virtqueue_detach_unused_buf(vq));
	assert_int_equal(virtqueue_num_free(vq), 8);
}

static void test_used_id_out_of_range(void **state)
{
	struct virtqueue *vq = two_in_flight();

	sim_push_raw(77, 0, 0, 1);
	expect_broken(vq, "vq0: used descriptor id 77 is not a request in flight (the queue has 8",
		      2);
}

static void test_used_id_not_in_flight(void **state)
{
	struct virtqueue *vq = two_in_flight();
	u16 id;

	for (id = 0; id < 8 && sim.id_busy[id]; id++)
		;
	sim_push_raw(id, 0, 0, 1);
	expect_broken(vq, "is not a request in flight", 2);
	assert_true(log_has("vq0: used descriptor id"));
}

static void test_used_duplicate_completion(void **state)
{
	struct virtqueue *vq = two_in_flight();
	u16 id = sim.pending[1].id;
	char msg[80];

	sim_complete(1, SIM_FULL);
	expect_buf(vq, &reqs[1], 0);
	sim_push_raw(id, 0, 0, 1);
	snprintf(msg, sizeof(msg), "vq0: used descriptor id %u is not a request in flight", id);
	expect_broken(vq, msg, 1);
}

static void test_used_len_too_large(void **state)
{
	struct virtqueue *vq = two_in_flight();
	u32 writable = req_writable(&reqs[0]);
	char msg[100];

	snprintf(msg, sizeof(msg),
		 "vq0: used descriptor len %u for id %u exceeds its %u device-writable bytes",
		 writable + 1, sim.pending[0].id, writable);
	sim_push_raw(sim.pending[0].id, writable + 1, VIRTQ_DESC_F_WRITE, 4);
	expect_broken(vq, msg, 2);
}

static void test_used_len_on_readable_only_buffer(void **state)
{
	struct virtqueue *vq = two_in_flight();

	sim_push_raw(sim.pending[1].id, 1, 0, 1);
	expect_broken(vq, "exceeds its 0 device-writable bytes", 2);
}

/* QEMU never sets WRITE in a used descriptor; the length counts either way. */
static void test_used_len_with_and_without_write_flag(void **state)
{
	struct virtqueue *vq = two_in_flight();

	sim.write_flag = true;
	sim_complete(0, 7);
	expect_buf(vq, &reqs[0], 7);
	assert_int_equal(req_add(vq, &reqs[2], 0, 2), 0);
	sim_fetch();
	sim.write_flag = false;
	sim_complete(1, 9);
	expect_buf(vq, &reqs[2], 9);
}

/*
 * A descriptor whose bits claim the other lap, or that look available
 * rather than used, is not a used descriptor: nothing is taken and the
 * queue stays well.
 */
static void test_used_bits_of_the_wrong_lap(void **state)
{
	struct virtqueue *vq = two_in_flight();

	sim.desc[0].id = sim.pending[0].id;
	sim.desc[0].flags = 0; /* used in lap 2, not ours */
	assert_false(virtqueue_more_used(vq));
	assert_null(virtqueue_get_buf(vq, NULL));
	sim.desc[0].flags = VIRTQ_DESC_F_USED; /* available in lap 2 */
	assert_null(virtqueue_get_buf(vq, NULL));
	sim.desc[0].flags = VIRTQ_DESC_F_AVAIL; /* available in lap 1 */
	assert_null(virtqueue_get_buf(vq, NULL));
	assert_false(virtqueue_is_broken(vq));
	sim_complete(0, SIM_FULL);
	expect_buf(vq, &reqs[0], req_writable(&reqs[0]));
}

static void test_set_broken(void **state)
{
	struct virtqueue *vq = two_in_flight();

	sim_complete(0, SIM_FULL);
	virtqueue_set_broken(vq);
	assert_false(virtqueue_more_used(vq));
	assert_null(virtqueue_get_buf(vq, NULL));
	assert_int_equal(req_add(vq, &reqs[5], 1, 0), -EIO);
	assert_false(virtqueue_kick_prepare(vq));
	assert_non_null(virtqueue_detach_unused_buf(vq));
	assert_non_null(virtqueue_detach_unused_buf(vq));
	assert_null(virtqueue_detach_unused_buf(vq));
}

/* ========================================================================
 * After a reset; where the device is; interrupt state
 */

static void test_detach_unused_after_reset(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);
	bool seen[4] = {false};
	long allocs = host_live_allocs;
	unsigned int i;
	void *tok;

	assert_int_equal(req_add(vq, &reqs[0], 1, 2), 0); /* direct */
	assert_int_equal(req_add(vq, &reqs[1], 0, 1), 0);
	assert_int_equal(req_add(vq, &reqs[2], 3, 2), 0); /* indirect */
	assert_int_equal(sim_fetch(), 3);
	assert_int_equal(req_add(vq, &reqs[3], 4, 1), 0); /* indirect, not fetched */
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
}

static void test_device_behind(void **state)
{
	struct virtqueue *vq = sim_create(8, false, true, NULL);

	assert_false(virtqueue_device_behind(vq));
	add_n(vq, 0, 2);
	/* The device still names slot 0: it has not read what we added. */
	assert_true(virtqueue_device_behind(vq));
	sim_fetch();
	assert_false(virtqueue_device_behind(vq));
	/* Busy (DISABLE): it does not say; buffers are outstanding. */
	sim.device->flags = RING_EVENT_FLAGS_DISABLE;
	assert_true(virtqueue_device_behind(vq));
	sim_complete(0, SIM_FULL);
	sim_complete(0, SIM_FULL);
	expect_buf(vq, &reqs[0], ELEM_LEN);
	expect_buf(vq, &reqs[1], ELEM_LEN);
	assert_false(virtqueue_device_behind(vq));
}

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
		T(test_create_sizes),
		T(test_create_split_without_feature),
		T(test_create_unwinds_when_allocation_fails),
		T(test_del_with_buffers_in_flight),
		/* adding buffers */
		T(test_direct_chain),
		T(test_chain_across_ring_end),
		T(test_indirect_chain),
		T(test_indirect_falls_back_when_kmalloc_fails),
		T(test_single_element_goes_direct),
		T(test_add_rejects_bad_buffers_direct),
		T(test_add_rejects_bad_buffers_indirect),
		T(test_full_ring),
		T(test_size_one),
		/* order and wrap-around */
		T(test_out_of_order_completion),
		T(test_random_odd_sizes_direct),
		T(test_random_odd_sizes_indirect),
		T(test_random_power_of_two),
		/* kicks */
		T(test_kick_disabled_by_device),
		T(test_kick_event_desc),
		T(test_kick_event_desc_across_wrap),
		T(test_kick_after_a_whole_lap),
		T(test_kick_with_nothing_added),
		T(test_notify_failure_breaks_queue),
		/* interrupts */
		T(test_disable_cb_writes_disable),
		T(test_enable_cb_without_event_idx),
		T(test_enable_cb_race),
		T(test_enable_cb_race_event_idx),
		T(test_interrupt_driven),
		T(test_interrupt_driven_event_idx),
		T(test_vring_interrupt),
		T(test_polled),
		T(test_polled_event_idx),
		/* a misbehaving device */
		T(test_used_id_out_of_range),
		T(test_used_id_not_in_flight),
		T(test_used_duplicate_completion),
		T(test_used_len_too_large),
		T(test_used_len_on_readable_only_buffer),
		T(test_used_len_with_and_without_write_flag),
		T(test_used_bits_of_the_wrong_lap),
		T(test_set_broken),
		/* reset, position, interrupt state */
		T(test_detach_unused_after_reset),
		T(test_device_behind),
		T(test_calls_nest_inside_irq_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
