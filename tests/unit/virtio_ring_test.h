/* SPDX-License-Identifier: MIT */
/*
 * What the two virtqueue test programs share, included first by each:
 * test_virtio_ring.c (the split ring against a simulated split device) and
 * test_virtio_ring_packed.c (the packed ring against a simulated packed
 * device). Each then defines its simulated device and includes
 * virtio_ring_shared_tests.h, the tests of behaviour the virtqueue
 * interface promises whatever the layout, written once and run by both.
 *
 * Here: allocation failure injection; the record of a chain as the device
 * took it and the device's writing into it; the driver's side (requests
 * whose elements live in their own memory, checks on what comes back,
 * callbacks, a deterministic generator).
 */
#ifndef TESTS_UNIT_VIRTIO_RING_TEST_H
#define TESTS_UNIT_VIRTIO_RING_TEST_H

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
static size_t last_dma_align;	      /* the alignment the last dma_alloc asked for */

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
	assert_true(align <= PAGE_SIZE);
	last_dma_align = align;
	if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1))
		return NULL;
	memset(p, 0, size);
	host_live_dma++;
	*phys = (phys_addr_t)(uintptr_t)p;
	return p;
}

/* ========================================================================
 * What the simulated device took
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

/* One chain the device has taken from the ring. */
struct sim_chain {
	u16 id;		/* what its used entry names: split, the head descriptor; packed, the id */
	bool indirect;	/* described by a table */
	unsigned int n; /* elements */
	unsigned int slots; /* ring descriptors it occupies */
	u32 writable;	    /* device-writable bytes */
	u64 first;	    /* packed: absolute position of its first slot */
	struct sim_buf buf[SIM_MAX_CHAIN];
	u16 desc_ids[SIM_MAX_CHAIN]; /* split: the ring descriptors, freed when it is used */
};

/* The device writes @len bytes (SIM_FULL: all) from the first writable buffer on. */
static u32 sim_write_chain(const struct sim_chain *c, u32 len)
{
	u32 left;
	unsigned int b;

	if (len == SIM_FULL)
		len = c->writable;
	for (b = 0, left = len; b < c->n && left; b++) {
		u32 part = MIN(left, c->buf[b].len);

		if (!c->buf[b].write)
			continue;
		memset((void *)(uintptr_t)c->buf[b].addr, SIM_FILL, part);
		left -= part;
	}
	return len;
}

/*
 * Each layout's simulated device defines these (virtio_ring_shared_tests.h
 * lists the rest of what it provides): finish pending chain @k, writing
 * @len bytes (SIM_FULL: all), without telling the driver; publish what was
 * finished, saying whether the driver asked to be notified of it.
 */
static void sim_push(unsigned int k, u32 len);
static bool sim_publish_used(void);
static void sim_publish(void);

static void sim_complete(unsigned int k, u32 len)
{
	sim_push(k, len);
	sim_publish();
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

static struct req reqs[512];

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
static struct req *done[8192];
static u32 done_len[8192];
static unsigned int ndone;
/* Runs once inside drain_cb, after a drain and before re-enabling. */
static void (*between_drain_and_enable)(void);

static void count_cb(struct virtqueue *vq)
{
	cb_calls++;
}

/* Disable, drain, enable, and again if more came meanwhile. */
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

#endif /* TESTS_UNIT_VIRTIO_RING_TEST_H */
