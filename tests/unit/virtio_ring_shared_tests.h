/* SPDX-License-Identifier: MIT */
/*
 * The virtqueue tests both ring layouts run: what drivers/virtio_ring.c
 * promises whichever layout is behind it (adding and taking back buffers,
 * when a chain gets an indirect table, refusing bad buffers, full rings,
 * kicks with nothing to say, interrupts and the virtblk_done race, used
 * entries checked against a lying device, breaking, detaching after a
 * reset, interrupt state). Written once; test_virtio_ring.c and
 * test_virtio_ring_packed.c each include it after their simulated device's
 * state and list VIRTIO_RING_SHARED_TESTS in their table, so every test
 * here runs once per layout. Also here: what the two simulated devices do
 * alike (create and destroy, notify, interrupt the driver).
 *
 * A layout's file defines RING_LAYOUT_SPLIT (1 for the split ring, 0 for
 * the packed ring), RNG_SEED (where rng() starts in every test) and
 * USED_ENTRY (how the driver's messages name a used entry), and its
 * simulated device's state `sim`, with at least the fields below; then it
 * includes this, and defines the device's operations declared here (and
 * in virtio_ring_test.h).
 */
#ifndef TESTS_UNIT_VIRTIO_RING_SHARED_TESTS_H
#define TESTS_UNIT_VIRTIO_RING_SHARED_TESTS_H

/*
 * The simulated device, whatever its layout: the fields of `sim` used
 * here are vq, indirect, event_idx, pending and npending (the chains it
 * has taken and not yet used), busy (per descriptor or buffer id: whether
 * a pending chain has it), notifies, notify_fails, interrupts and
 * deliver_irqs. Its layout's file defines these operations.
 */

/* The features to create the layout's ring with. */
static u64 layout_features(bool indirect, bool event_idx);
/* A queue of @num entries and a device serving it; sim_start does the common part. */
static struct virtqueue *sim_create(unsigned int num, bool indirect, bool event_idx,
				    vq_callback_t cb);
/* Take every newly available chain; how many. */
static unsigned int sim_fetch(void);
/* Publish a used entry the device makes up, naming @id with @len bytes. */
static void sim_push_used(u32 id, u32 len);
/* A device reset: the device forgets everything it held (§2.4). */
static void sim_reset(void);
/*
 * The ring's own descriptors say the chain the device took is @r, direct
 * over @total descriptors, or indirect: one descriptor naming a table of
 * @total.
 */
static void expect_direct(const struct sim_chain *c, const struct req *r, unsigned int total);
static void expect_indirect(const struct sim_chain *c, const struct req *r, unsigned int total);

static bool sim_notify(struct virtqueue *vq)
{
	sim.notifies++;
	return !sim.notify_fails;
}

/* Create the queue the device serves, and the device's record of what it holds. */
static struct virtqueue *sim_start(unsigned int num, bool indirect, bool event_idx,
				   vq_callback_t cb)
{
	struct virtqueue *vq;

	memset(&sim, 0, sizeof(sim));
	vq = vring_create_virtqueue(0, num, layout_features(indirect, event_idx), sim_notify, cb,
				    &sim, "vq0");
	assert_non_null(vq);
	assert_int_equal(virtqueue_is_packed(vq), !RING_LAYOUT_SPLIT);
	sim.vq = vq;
	sim.indirect = indirect;
	sim.event_idx = event_idx;
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

/* Publish what the device finished, then notify the driver if it asked. */
static void sim_publish(void)
{
	if (!sim_publish_used())
		return;
	sim.interrupts++;
	if (sim.deliver_irqs)
		vring_interrupt(11, sim.vq);
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
	rng_state = RNG_SEED;
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

/*
 * Add @n single-element buffers from reqs[@first] and kick: the device
 * has had @notifies notifications in all.
 */
static void add_kick(struct virtqueue *vq, unsigned int first, unsigned int n,
		     unsigned int notifies)
{
	add_n(vq, first, n);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, notifies);
}

/* Add @n single-element buffers from reqs[@first], kick, and let the device take them. */
static void add_kick_fetch(struct virtqueue *vq, unsigned int first, unsigned int n)
{
	add_n(vq, first, n);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), n);
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

/* ========================================================================
 * Creation and teardown
 */

static void test_create_copies_and_truncates_name(void **state)
{
	char name[80];
	struct virtqueue *vq;

	snprintf(name, sizeof(name), "vda.req0");
	vq = vring_create_virtqueue(0, 4, layout_features(false, false), sim_notify, NULL, NULL,
				    name);
	assert_non_null(vq);
	name[0] = 'X';
	assert_string_equal(vq->name, "vda.req0");
	vring_del_virtqueue(vq);

	memset(name, 'q', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	vq = vring_create_virtqueue(0, 4, layout_features(false, false), sim_notify, NULL, NULL,
				    name);
	assert_non_null(vq);
	assert_int_equal(strlen(vq->name), VIRTQUEUE_NAME_MAX - 1);
	vring_del_virtqueue(vq);
}

static void test_create_unwinds_when_allocation_fails(void **state)
{
	log_clear();
	kmalloc_failures = 1;
	assert_null(vring_create_virtqueue(0, 8, layout_features(false, false), sim_notify, NULL,
					   NULL, "vq0"));
	assert_true(log_has("vq0: no memory"));
	assert_int_equal(host_live_allocs, base_allocs);
	assert_int_equal(host_live_dma, base_dma);

	log_clear();
	dma_failures = 1;
	assert_null(vring_create_virtqueue(0, 8, layout_features(false, false), sim_notify, NULL,
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
 * Adding buffers: indirect tables, refusals, a full ring
 */

static void test_indirect_chain(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);
	struct req *r = &reqs[0];
	long allocs = host_live_allocs;

	/* Longer than DIRECT_MAX, so a table whatever the ring's fill. */
	assert_int_equal(req_add(vq, r, 2, 3), 0);
	assert_int_equal(virtqueue_num_free(vq), 7);
	assert_int_equal(host_live_allocs, allocs + 1);
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	expect_indirect(&sim.pending[0], r, 5);

	/* The device need not write everything (§2.6.8.2, §2.7.8). */
	sim_complete(0, 10);
	expect_buf(vq, r, 10);
	expect_written(r, 10);
	assert_int_equal(virtqueue_num_free(vq), 8);
	assert_int_equal(host_live_allocs, allocs); /* the table went back */
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
	expect_direct(&sim.pending[0], &reqs[0], 1);
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
	expect_direct(&sim.pending[0], &reqs[0], 5);
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
	/* §2.6.5.3.1, §2.7.5.3.1: no chain longer than the queue, indirect or not. */
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
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	assert_int_equal(sim.pending[0].buf[0].len, UINT32_MAX - 1);
	assert_int_equal(sim.pending[0].writable, 1);
	sim_complete(0, 0);
	assert_ptr_equal(virtqueue_get_buf(vq, NULL), &reqs[0]);
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

/*
 * Queue size 1: one single-element buffer at a time, the one descriptor
 * reused, every kick and every completion notified.
 */
static void test_size_one(void **state)
{
	struct virtqueue *vq = sim_create(1, true, true, NULL);
	unsigned int i;

	for (i = 0; i < 5; i++) {
		u32 len = i % 2 ? 3 : ELEM_LEN;

		assert_int_equal(req_add(vq, &reqs[i], 0, 1), 0);
		assert_int_equal(req_add(vq, &reqs[i + 1], 0, 1), -ENOSPC);
		assert_int_equal(req_add(vq, &reqs[i + 1], 1, 1), -EINVAL);
		assert_true(virtqueue_kick(vq));
		assert_int_equal(sim.notifies, i + 1);
		assert_int_equal(sim_fetch(), 1);
		assert_int_equal(sim.pending[0].id, 0);
		sim_complete(0, len);
		assert_int_equal(sim.interrupts, i + 1);
		expect_buf(vq, &reqs[i], len);
	}
	assert_int_equal(virtqueue_num_free(vq), 1);
}

/* ========================================================================
 * Descriptor policy: short chains direct while the ring is at most half in
 * use, long chains and any chain on a fuller ring indirect
 */

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

/* A block request's shape (header, segment, status) on an empty ring: direct. */
static void test_policy_short_chain_direct_on_empty_ring(void **state)
{
	struct virtqueue *vq = sim_create(8, true, false, NULL);
	long allocs = host_live_allocs;

	assert_int_equal(req_add(vq, &reqs[0], 1, 2), 0);
	assert_int_equal(virtqueue_num_free(vq), 5);
	assert_int_equal(host_live_allocs, allocs); /* no table */
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim_fetch(), 1);
	expect_direct(&sim.pending[0], &reqs[0], 3);
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
 * Wrap-around: many rounds, random shapes, out-of-order completions
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
			assert_int_equal(sim.pending[k].slots, descs);
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

/* ========================================================================
 * Available buffer notifications (kicks)
 */

static void test_kick_with_nothing_added(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, NULL);

	assert_false(virtqueue_kick_prepare(vq));
	assert_true(virtqueue_kick(vq));
	assert_int_equal(sim.notifies, 0);
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
 * Used buffer notifications (interrupts)
 */

/*
 * The race virtblk_done's loop closes: a buffer used between the drain and
 * the re-enable raises no interrupt (callbacks were off); enable_cb must
 * report it.
 */
static void complete_one_now(void)
{
	sim_complete(0, SIM_FULL);
}

static void check_enable_cb_race(bool event_idx)
{
	struct virtqueue *vq = sim_create(8, true, event_idx, drain_cb);

	sim.deliver_irqs = true;
	add_kick_fetch(vq, 0, 2);
	between_drain_and_enable = complete_one_now;
	sim_complete(0, SIM_FULL);

	/* One interrupt, and the re-check inside it found the second buffer. */
	assert_int_equal(sim.interrupts, 1);
	assert_int_equal(cb_calls, 1);
	assert_int_equal(enable_cb_failures, 1);
	assert_int_equal(ndone, 2);
	assert_ptr_equal(done[0], &reqs[0]);
	assert_ptr_equal(done[1], &reqs[1]);
	assert_int_equal(done_len[0], ELEM_LEN);
	assert_int_equal(done_len[1], ELEM_LEN);
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
 * The whole interrupt path, virtblk_done style, over many laps of the ring:
 * batches finished together cost one interrupt each, and every buffer
 * comes back once.
 */
static void check_interrupt_driven(unsigned int num, bool indirect, bool event_idx)
{
	struct virtqueue *vq = sim_create(num, indirect, event_idx, drain_cb);
	unsigned int batches = 0, added = 0, i;

	sim.deliver_irqs = true;
	while (added < 3000) {
		/* At most three descriptors each: a round fits, tables or not. */
		unsigned int n = 1 + rng(num / 3);

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
	assert_int_equal(virtqueue_num_free(vq), num);
}

static void test_interrupt_driven(void **state)
{
	check_interrupt_driven(16, true, false);
}

static void test_interrupt_driven_event_idx(void **state)
{
	check_interrupt_driven(16, true, true);
}

static void test_vring_interrupt(void **state)
{
	struct virtqueue *vq = sim_create(8, false, false, count_cb);

	/* Nothing pending: not ours. */
	assert_int_equal(vring_interrupt(11, vq), VRING_IRQ_NONE);
	assert_int_equal(cb_calls, 0);
	assert_int_equal(vq->num_irqs, 1);
	assert_int_equal(vq->num_irqs_spurious, 1);

	add_kick_fetch(vq, 0, 1);
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

/* ========================================================================
 * A device that breaks the rules: every used entry is checked (§2.6.8, §2.7.8)
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

	sim_push_used(77, 0);
	expect_broken(vq, "vq0: " USED_ENTRY " id 77 is not a request in flight (the queue has 8",
		      2);
}

/* An id no chain the device holds has: a free descriptor (split), a free id (packed). */
static void test_used_id_not_in_flight(void **state)
{
	struct virtqueue *vq = two_in_flight();
	u16 id;

	for (id = 0; id < 8 && sim.busy[id]; id++)
		;
	assert_true(id < 8);
	sim_push_used(id, 0);
	expect_broken(vq, "is not a request in flight", 2);
	assert_true(log_has("vq0: " USED_ENTRY " id"));
}

static void test_used_duplicate_completion(void **state)
{
	struct virtqueue *vq = two_in_flight();
	u16 id = sim.pending[1].id;
	char msg[80];

	sim_complete(1, SIM_FULL);
	expect_buf(vq, &reqs[1], 0);
	assert_false(virtqueue_is_broken(vq));
	sim_push_used(id, 0);
	snprintf(msg, sizeof(msg), "vq0: " USED_ENTRY " id %u is not a request in flight", id);
	expect_broken(vq, msg, 1);
}

static void test_used_len_too_large(void **state)
{
	struct virtqueue *vq = two_in_flight();
	u32 writable = req_writable(&reqs[0]);
	char msg[100];

	/* Exactly the writable bytes is fine; one more is not. */
	snprintf(msg, sizeof(msg),
		 "vq0: " USED_ENTRY " len %u for id %u exceeds its %u device-writable bytes",
		 writable + 1, sim.pending[0].id, writable);
	sim_push_used(sim.pending[0].id, writable + 1);
	expect_broken(vq, msg, 2);
}

static void test_used_len_on_readable_only_buffer(void **state)
{
	struct virtqueue *vq = two_in_flight();

	sim_push_used(sim.pending[1].id, 1);
	expect_broken(vq, "exceeds its 0 device-writable bytes", 2);
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
	assert_false(virtqueue_kick_prepare(vq));
	assert_non_null(virtqueue_detach_unused_buf(vq));
	assert_non_null(virtqueue_detach_unused_buf(vq));
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
	assert_int_equal(req_add(vq, &reqs[3], 4, 1), 0); /* indirect, never kicked */
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
#if RING_LAYOUT_SPLIT
	/* The entry never published is gone from the available ring too. */
	assert_false(virtqueue_kick_prepare(vq));
	assert_int_equal(sim.vr.avail->idx, 3);
#endif
}

/* ========================================================================
 * Interrupt state: every entry point restores it and nests inside a caller's
 */

static void test_calls_nest_inside_irq_off(void **state)
{
	struct virtqueue *vq = sim_create(8, true, true, NULL);
	unsigned long flags = local_irq_save();

	add_kick_fetch(vq, 0, 2);
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

/* The rows of the tests above, in the order above, for each layout's table. */
// clang-format off
#define VIRTIO_RING_SHARED_TESTS \
	T(test_create_copies_and_truncates_name), \
	T(test_create_unwinds_when_allocation_fails), \
	T(test_del_with_buffers_in_flight), \
	T(test_indirect_chain), \
	T(test_indirect_single_element_goes_direct), \
	T(test_indirect_falls_back_when_kmalloc_fails), \
	T(test_indirect_longer_than_a_page_goes_direct), \
	T(test_add_rejects_bad_buffers_direct), \
	T(test_add_rejects_bad_buffers_indirect), \
	T(test_full_ring_direct), \
	T(test_full_ring_indirect), \
	T(test_size_one), \
	T(test_policy_short_chain_direct_on_empty_ring), \
	T(test_policy_short_chain_indirect_when_half_full), \
	T(test_policy_long_chain_indirect_on_empty_ring), \
	T(test_policy_no_feature_all_direct), \
	T(test_policy_sweep), \
	T(test_ring_wrap_direct), \
	T(test_ring_wrap_indirect_event_idx), \
	T(test_kick_with_nothing_added), \
	T(test_notify_failure_breaks_queue), \
	T(test_enable_cb_race), \
	T(test_enable_cb_race_event_idx), \
	T(test_interrupt_driven), \
	T(test_interrupt_driven_event_idx), \
	T(test_vring_interrupt), \
	T(test_used_id_out_of_range), \
	T(test_used_id_not_in_flight), \
	T(test_used_duplicate_completion), \
	T(test_used_len_too_large), \
	T(test_used_len_on_readable_only_buffer), \
	T(test_set_broken), \
	T(test_detach_unused_after_reset), \
	T(test_calls_nest_inside_irq_off)
// clang-format on

#endif /* TESTS_UNIT_VIRTIO_RING_SHARED_TESTS_H */
