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
 * Sections: the simulated device's state; the tests both layouts run
 * (virtio_ring_shared_tests.h, after virtio_ring_test.h's allocation
 * failure injection and driver's side); the device's operations; then the
 * split ring's own tests, by topic.
 */
#define RING_LAYOUT_SPLIT 1
#define RNG_SEED 12345
#define USED_ENTRY "used ring" /* how the driver's messages name a used entry */

#include "tests/unit/virtio_ring_test.h"

/* ========================================================================
 * The simulated device's state
 */

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

#include "tests/unit/virtio_ring_shared_tests.h"

/* ========================================================================
 * The simulated device's operations
 */

/* The negotiated features a split ring is created with. */
static u64 layout_features(bool indirect, bool event_idx)
{
	return (indirect ? 1ull << VIRTIO_RING_F_INDIRECT_DESC : 0) |
	       (event_idx ? 1ull << VIRTIO_RING_F_EVENT_IDX : 0);
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
	struct virtqueue *vq = sim_start(num, indirect, event_idx, cb);

	sim.auto_avail_event = true;
	sim_view(vq, &sim.vr);
	return vq;
}

/* Claim ring descriptor @i for a chain, catching one handed out twice. */
static void sim_claim(struct sim_chain *c, u16 i)
{
	assert_true(i < sim.vr.num);
	assert_false(sim.busy[i]);
	sim.busy[i] = true;
	c->desc_ids[c->slots++] = i;
}

/* Walk the chain at @head, checking the driver's side of §2.6.4 and §2.6.5. */
static void sim_walk(u16 head, struct sim_chain *c)
{
	const struct virtq_desc *table = sim.vr.desc;
	unsigned int limit = sim.vr.num;
	bool seen_write = false;
	u16 i = head;

	memset(c, 0, offsetof(struct sim_chain, buf));
	c->id = head;
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
	unsigned int b;

	assert_true(k < sim.npending);
	c = &sim.pending[k];
	sim_push_raw(c->id, sim_write_chain(c, len));
	for (b = 0; b < c->slots; b++)
		sim.busy[c->desc_ids[b]] = false;
	memmove(c, c + 1, (sim.npending - k - 1) * sizeof(*c));
	sim.npending--;
}

/* Publish the placed entries; whether the driver asked to be notified (§2.6.7.2). */
static bool sim_publish_used(void)
{
	u16 old_idx = sim.vr.used->idx;
	u16 new_idx = sim.used_shadow;

	WRITE_ONCE(sim.vr.used->idx, new_idx);
	if (sim.event_idx)
		return vring_need_event(*vring_used_event(&sim.vr), new_idx, old_idx);
	return !(sim.vr.avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* A used entry the device makes up, published. */
static void sim_push_used(u32 id, u32 len)
{
	sim_push_raw(id, len);
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

/*
 * The chain the device took is @r, direct over @total descriptors: a plain
 * chain, NEXT on all but the last, WRITE on the writable ones.
 */
static void expect_direct(const struct sim_chain *c, const struct req *r, unsigned int total)
{
	unsigned int k;
	u16 i = c->id;

	assert_false(c->indirect);
	assert_int_equal(c->slots, total);
	for (k = 0; k < total; k++) {
		const struct virtq_desc *d = &sim.vr.desc[i];

		assert_int_equal(d->flags, (k + 1 < total ? VIRTQ_DESC_F_NEXT : 0) |
						   (k >= r->out ? VIRTQ_DESC_F_WRITE : 0));
		i = d->next;
	}
	expect_chain_is(c, r);
}

/* ... or indirect, one descriptor naming a table of exactly @total entries. */
static void expect_indirect(const struct sim_chain *c, const struct req *r, unsigned int total)
{
	const struct virtq_desc *hd = &sim.vr.desc[c->id];

	assert_true(c->indirect);
	assert_int_equal(hd->flags, VIRTQ_DESC_F_INDIRECT);
	assert_int_equal(hd->len, total * sizeof(struct virtq_desc));
	assert_int_equal(c->slots, 1);
	expect_chain_is(c, r);
}

/* ========================================================================
 * Creation and layout
 */

static void test_create_rejects_bad_sizes(void **state)
{
	static const unsigned int bad[] = {0, 3, 6, 100, 32769, 65536, 1u << 20};
	char expect[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		log_clear();
		assert_null(vring_create_virtqueue(0, bad[i], layout_features(false, false),
						   sim_notify, NULL, NULL, "vq0"));
		snprintf(expect, sizeof(expect), "vq0: queue size %u is not", bad[i]);
		assert_true(log_has(expect));
	}
	log_clear();
	assert_null(vring_create_virtqueue(0, 8, layout_features(false, false), NULL, NULL, NULL,
					   "vq0"));
	assert_true(log_has("vq0: no notify function"));
	assert_int_equal(host_live_allocs, base_allocs);
	assert_int_equal(host_live_dma, base_dma);
}

/* Every legal size, and the legacy layout (§2.6.2) at the sizes that matter. */
static void test_create_layout(void **state)
{
	unsigned int num;

	for (num = 1; num <= VIRTQUEUE_MAX_SIZE; num <<= 1) {
		struct virtqueue *vq = vring_create_virtqueue(3, num, layout_features(true, true),
							      sim_notify, NULL, &sim, "vdb.req1");
		size_t driver_part = 16 * num + 2 * (3 + num);
		size_t device_part = 6 + 8 * num;
		phys_addr_t desc, avail, used;
		struct vring vr;

		assert_non_null(vq);
		assert_int_equal(last_dma_align, VIRTIO_PCI_VRING_ALIGN);
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

/* ========================================================================
 * Adding buffers: published at the kick
 */

static void test_direct_chain(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);
	struct req *r = &reqs[0];

	assert_int_equal(req_add(vq, r, 2, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 4);
	/* Not published until the kick (§2.6.13.3). */
	assert_int_equal(sim_fetch(), 0);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 1);
	assert_int_equal(vq->num_kicks, 1);
	assert_int_equal(sim_fetch(), 1);
	/* The raw flags: NEXT on all but the last, WRITE on the last two. */
	expect_direct(&sim.pending[0], r, 4);

	sim_complete(0, SIM_FULL);
	assert_true(virtqueue_more_used(vq));
	expect_buf(vq, r, req_writable(r));
	expect_written(r, req_writable(r));
	assert_false(virtqueue_more_used(vq));
	assert_null(virtqueue_get_buf(vq, NULL));
	assert_int_equal(virtqueue_num_free(vq), 8);
	assert_false(virtqueue_is_broken(vq));
}

/* ========================================================================
 * Ring wrap-around: the 16-bit indices (§2.6.13.3)
 */

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
	add_kick(vq, 0, 1, 1);
	/* Entries 1 and 2: past index 0 already, no kick, but published. */
	add_kick(vq, 1, 2, 1);
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
	add_kick(vq, 5, 3, 3);
	/* §2.6.10.1: with EVENT_IDX the NO_NOTIFY flag means nothing. */
	sim.vr.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	*vring_avail_event(&sim.vr) = 8;
	add_kick(vq, 8, 1, 4);
	assert_int_equal(vq->num_kicks, 4);
	assert_int_equal(vq->num_kicks_suppressed, 2);
	assert_int_equal(sim_fetch(), 9);
}

static void test_kick_suppressed_by_no_notify(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);

	add_kick(vq, 0, 1, 1);

	sim.vr.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	add_kick(vq, 1, 2, 1); /* no failure, just no notification */
	assert_int_equal(vq->num_kicks_suppressed, 1);
	/* Published all the same: a polling device finds them. */
	assert_int_equal(sim_fetch(), 3);

	/* Without EVENT_IDX avail_event means nothing. */
	sim.vr.used->flags = 0;
	*vring_avail_event(&sim.vr) = 100;
	add_kick(vq, 3, 1, 2);
	assert_int_equal(vq->num_kicks, 2);
}

/* ========================================================================
 * Used buffer notifications (interrupts): §2.6.7
 */

static void test_used_event_written(void **state)
{
	struct virtqueue *vq = sim_create(8, false, true, NULL);
	unsigned int i;

	assert_int_equal(*vring_used_event(&sim.vr), 0);
	add_kick_fetch(vq, 0, 3);
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
	add_kick_fetch(vq, 0, 2);
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

	add_kick_fetch(vq, 0, 3);
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
	add_kick_fetch(vq, 0, 1);
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
		add_kick_fetch(vq, 0, 3);
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
 * A device that breaks the split ring's own rules (§2.6.8)
 */

static void test_used_id_not_a_head(void **state)
{
	struct virtqueue *vq = two_in_flight();
	u16 second = sim.vr.desc[sim.pending[0].id].next;

	sim_push_raw(second, 0);
	sim_publish();
	expect_broken(vq, "is not a request in flight", 2);
	assert_true(log_has("used ring id"));
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

static void test_used_idx_runs_ahead(void **state)
{
	struct virtqueue *vq = two_in_flight();

	/* Three entries claimed with two buffers in flight. */
	sim.used_shadow += 3;
	sim_publish();
	expect_broken(vq, "vq0: used ring idx 3 is 3 entries ahead, with 2 buffers in flight", 2);
}

/* ======================================================================== */

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* creation and layout */
		T(test_create_rejects_bad_sizes),
		T(test_create_layout),
		/* adding buffers */
		T(test_direct_chain),
		/* wrap-around */
		T(test_index_wrap_16bit),
		T(test_index_wrap_16bit_event_idx),
		/* kicks */
		T(test_need_event_formula),
		T(test_kick_suppressed_by_avail_event),
		T(test_kick_suppressed_by_no_notify),
		/* interrupts */
		T(test_used_event_written),
		T(test_no_interrupt_flag),
		T(test_polled_event_idx),
		T(test_polled_no_event_idx),
		/* a misbehaving device */
		T(test_used_id_not_a_head),
		T(test_used_id_not_yet_available),
		T(test_used_idx_runs_ahead),
		/* what both layouts promise */
		VIRTIO_RING_SHARED_TESTS,
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
