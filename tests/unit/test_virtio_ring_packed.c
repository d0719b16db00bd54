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
 *
 * Sections: the simulated device's state; the tests both layouts run
 * (virtio_ring_shared_tests.h, after virtio_ring_test.h's allocation
 * failure injection and driver's side); the device's operations; then the
 * packed ring's own tests, by topic.
 */
#define RING_LAYOUT_SPLIT 0
#define RNG_SEED 4242
#define USED_ENTRY "used descriptor" /* how the driver's messages name a used entry */

#include "tests/unit/virtio_ring_test.h"

/* ========================================================================
 * The simulated device's state
 */

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

	struct sim_chain *pending; /* taken, not yet used */
	unsigned int npending;
	bool *busy; /* per buffer id: a pending chain's */

	unsigned int notifies;	 /* notify() calls received */
	bool notify_fails;	 /* make notify() report failure */
	unsigned int interrupts; /* used buffer notifications sent */
	bool deliver_irqs;	 /* send them to vring_interrupt() */
};

static struct sim_dev sim;

#include "tests/unit/virtio_ring_shared_tests.h"

/* ========================================================================
 * The simulated device's operations
 */

/* The negotiated features a packed ring is created with. */
static u64 layout_features(bool indirect, bool event_idx)
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

/* The AVAIL and USED bits that make the descriptor at @pos available in its lap. */
static u16 avail_bits(u64 pos)
{
	return wrap_of(pos) ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
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
	struct virtqueue *vq = sim_start(num, indirect, event_idx, cb);

	sim.num = num;
	sim.desc = (struct pvirtq_desc *)(uintptr_t)virtqueue_get_desc_addr(vq);
	sim.driver = (struct pvirtq_event_suppress *)(uintptr_t)virtqueue_get_avail_addr(vq);
	sim.device = (struct pvirtq_event_suppress *)(uintptr_t)virtqueue_get_used_addr(vq);
	sim.kick_mode = event_idx ? KICK_DESC_NEXT : KICK_ENABLE;
	sim_set_kick_event();
	return vq;
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
	assert_false(sim.busy[id]); /* not reused while in flight */
	sim.busy[id] = true;
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

	assert_true(k < sim.npending);
	c = &sim.pending[k];
	len = sim_write_chain(c, len);
	sim_push_raw(c->id, len, sim.write_flag && len ? VIRTQ_DESC_F_WRITE : 0, c->slots);
	sim.busy[c->id] = false;
	memmove(c, c + 1, (sim.npending - k - 1) * sizeof(*c));
	sim.npending--;
}

/*
 * Whether what was pushed since the last decision calls for a used buffer
 * notification (§2.7.10): never with DISABLE, always with ENABLE, and with
 * DESC when the named descriptor, in the lap its wrap counter names, lies
 * among the slots just used. (The used descriptors are visible to the
 * driver as soon as written; there is nothing else to publish.)
 */
static bool sim_publish_used(void)
{
	u16 flags = sim.driver->flags;
	u64 old = sim.signalled, new = sim.used_pos;

	sim.signalled = new;
	if (new == old)
		return false;
	if (flags == RING_EVENT_FLAGS_DESC) {
		u16 desc = sim.driver->desc;
		u64 lap = new / sim.num;
		u64 e;

		assert_true(sim.event_idx); /* DESC only with EVENT_IDX (§2.7.14) */
		assert_true((desc & 0x7fff) < sim.num);
		if ((bool)(desc >> 15) != wrap_of(new))
			lap--;
		e = lap * sim.num + (desc & 0x7fff);
		return e >= old && e < new;
	}
	assert_true(flags == RING_EVENT_FLAGS_ENABLE || flags == RING_EVENT_FLAGS_DISABLE);
	return flags == RING_EVENT_FLAGS_ENABLE;
}

/*
 * A used descriptor the device makes up, one slot long, published: WRITE
 * set when it claims to have written bytes, as a device that wrote them
 * may (§2.7.8).
 */
static void sim_push_used(u32 id, u32 len)
{
	sim_push_raw(id, len, len ? VIRTQ_DESC_F_WRITE : 0, 1);
	sim_publish();
}

/* A device reset: the device forgets everything it held (§2.4). */
static void sim_reset(void)
{
	memset(sim.busy, 0, sim.num * sizeof(*sim.busy));
	sim.npending = 0;
	sim.avail_pos = sim.used_pos = sim.signalled = 0;
}

/*
 * The chain the device took is @r, direct over @total slots from its
 * first: each marked for its own lap (§2.7.6), NEXT on all but the last,
 * WRITE on the writable ones.
 */
static void expect_direct(const struct sim_chain *c, const struct req *r, unsigned int total)
{
	unsigned int k;

	assert_false(c->indirect);
	assert_int_equal(c->slots, total);
	for (k = 0; k < total; k++)
		assert_int_equal(slot_of(c->first + k)->flags,
				 avail_bits(c->first + k) |
					 (k + 1 < total ? VIRTQ_DESC_F_NEXT : 0) |
					 (k >= r->out ? VIRTQ_DESC_F_WRITE : 0));
	expect_chain_is(c, r);
}

/*
 * ... or indirect: one slot, INDIRECT alone, naming a table of exactly
 * @total entries in which WRITE is the only flag (§2.7.7).
 */
static void expect_indirect(const struct sim_chain *c, const struct req *r, unsigned int total)
{
	const struct pvirtq_desc *hd = slot_of(c->first);
	const struct pvirtq_desc *t = (const struct pvirtq_desc *)(uintptr_t)hd->addr;
	unsigned int k;

	assert_true(c->indirect);
	assert_int_equal(hd->flags, avail_bits(c->first) | VIRTQ_DESC_F_INDIRECT);
	assert_int_equal(hd->len, total * sizeof(struct pvirtq_desc));
	assert_int_equal(c->slots, 1);
	for (k = 0; k < total; k++)
		assert_int_equal(t[k].flags, k >= r->out ? VIRTQ_DESC_F_WRITE : 0);
	expect_chain_is(c, r);
}

/* ========================================================================
 * Creation and layout
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
		assert_null(vring_create_virtqueue(0, bad[i], layout_features(false, false),
						   sim_notify, NULL, NULL, "vq0"));
		snprintf(expect, sizeof(expect),
			 "vq0: queue size %u is not from 1 to 32768 (packed", bad[i]);
		assert_true(log_has(expect));
	}
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		struct virtqueue *vq =
			vring_create_virtqueue(2, good[i], layout_features(true, true), sim_notify,
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

/* ========================================================================
 * Adding buffers: available as soon as written
 */

static void test_direct_chain(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);
	struct req *r = &reqs[0];
	unsigned int k;

	assert_int_equal(req_add(vq, r, 2, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 4);
	/* §2.7.6: available as soon as the head's flags are written, before any kick. */
	assert_int_equal(sim_fetch(), 1);
	/* The raw descriptors: NEXT on all but the last, WRITE on the last two, one id. */
	assert_int_equal(sim.pending[0].first, 0);
	assert_int_equal(avail_bits(0), VIRTQ_DESC_F_AVAIL); /* AVAIL = 1, USED = 0 in lap 1 */
	expect_direct(&sim.pending[0], r, 4);
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
	add_kick(vq, 0, 2, 0);
	assert_int_equal(vq->num_kicks_suppressed, 1);
	sim.kick_mode = KICK_ENABLE;
	sim_set_kick_event();
	add_kick(vq, 2, 1, 1);
	/* DESC without EVENT_IDX is not the device's to ask: the driver notifies. */
	sim.device->flags = RING_EVENT_FLAGS_DESC;
	sim.device->desc = 7;
	add_kick(vq, 3, 1, 2);
}

/* With EVENT_IDX the device names the descriptor whose arrival it wants to hear of. */
static void test_kick_event_desc(void **state)
{
	struct virtqueue *vq = sim_create(8, false, true, NULL);

	/* Everything fetched: the device asks for slot 0 of lap 1, the next one. */
	add_kick(vq, 0, 1, 1);
	/* Not fetched yet: the device still names slot 0, which is behind us. */
	add_kick(vq, 1, 1, 1);
	assert_int_equal(vq->num_kicks_suppressed, 1);
	/* Fetched: it names slot 2, which the next add fills. */
	assert_int_equal(sim_fetch(), 2);
	add_kick(vq, 2, 1, 2);
	/* A slot further on: no kick until a batch reaches it. */
	sim_fetch();
	sim.device->desc = 5 | 1 << 15;
	add_kick(vq, 3, 1, 2);
	add_kick(vq, 4, 2, 3); /* slots 4 and 5 */
}

/* The device's event named in the lap before ours, across the ring's end. */
static void test_kick_event_desc_across_wrap(void **state)
{
	struct virtqueue *vq = sim_create(8, false, true, NULL);
	unsigned int i;

	/* Fill slots 0..5 and finish them: the driver's next slot is 6 of lap 1. */
	add_kick_fetch(vq, 0, 6);
	for (i = 0; i < 6; i++)
		sim_push(0, SIM_FULL);
	sim_publish();
	for (i = 0; i < 6; i++)
		expect_buf(vq, &reqs[i], ELEM_LEN);
	/* The device wants slot 7 of lap 1 (wrap 1); we add slots 6, 7 and 0 of lap 2. */
	sim.device->desc = 7 | 1 << 15;
	add_kick(vq, 6, 3, 2);
	/* Now it wants slot 1 of lap 2 (wrap 0): adding slot 1 kicks, slot 2 does not. */
	sim.device->desc = 1;
	add_kick(vq, 9, 1, 3);
	add_kick(vq, 10, 1, 3);
	/* An event in the lap before, slot 3 of lap 1: long passed, nothing new passes it. */
	sim.device->desc = 3 | 1 << 15;
	sim_fetch();
	sim.device->desc = 3 | 1 << 15;
	for (i = 0; i < 5; i++)
		sim_complete(0, SIM_FULL);
	for (i = 6; i < 11; i++)
		expect_buf(vq, &reqs[i], ELEM_LEN);
	add_kick(vq, 20, 1, 3);
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

/* ========================================================================
 * Used buffer notifications (§2.7.10)
 */

static void test_disable_cb_writes_disable(void **state)
{
	struct virtqueue *vq = sim_create(8, false, true, NULL);

	/* DISABLE is valid with EVENT_IDX too, unlike the split ring's flag. */
	virtqueue_disable_cb(vq);
	assert_int_equal(sim.driver->flags, RING_EVENT_FLAGS_DISABLE);
	add_kick_fetch(vq, 0, 3);
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
	add_kick_fetch(vq, 0, 2);
	sim_complete(0, SIM_FULL);
	sim_complete(0, SIM_FULL);
	assert_int_equal(sim.interrupts, 2);
}

/* The interrupt path over many laps of a ring size the split layout cannot have. */
static void test_interrupt_driven_odd_size(void **state)
{
	check_interrupt_driven(12, false, false);
}

static void test_interrupt_driven_odd_size_event_idx(void **state)
{
	check_interrupt_driven(12, false, true);
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
		add_kick_fetch(vq, 0, 2);
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
 * A device that breaks the packed ring's own rules
 */

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

/* ========================================================================
 * Where the device is
 */

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

/* ======================================================================== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* creation and layout */
		T(test_create_sizes),
		T(test_create_split_without_feature),
		/* adding buffers */
		T(test_direct_chain),
		T(test_chain_across_ring_end),
		T(test_full_ring),
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
		/* interrupts */
		T(test_disable_cb_writes_disable),
		T(test_enable_cb_without_event_idx),
		T(test_interrupt_driven_odd_size),
		T(test_interrupt_driven_odd_size_event_idx),
		T(test_polled),
		T(test_polled_event_idx),
		/* a misbehaving device */
		T(test_used_len_with_and_without_write_flag),
		T(test_used_bits_of_the_wrong_lap),
		/* where the device is */
		T(test_device_behind),
		/* what both layouts promise */
		VIRTIO_RING_SHARED_TESTS,
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
