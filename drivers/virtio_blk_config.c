/* SPDX-License-Identifier: MIT */
/*
 * Validation of the virtio-blk configuration space (virtio 1.1, 5.2.4).
 *
 * Two kinds of bad value are told apart. One the specification forbids
 * (a block size that is not a power of two, a zero seg_max) means the
 * device is broken: -EINVAL, and the message names the field and value.
 * One that is valid but beyond this driver (a 2 MiB logical block, which
 * QEMU allows) is refused with -EOPNOTSUPP, or adapted to where that is
 * safe (too many queues, a capacity that is not whole blocks, a size_max
 * below a page, which Linux raises to a page).
 */
#include "drivers/virtio_blk.h"
#include "kernel/platform.h"
#include "kernel/string.h"

static u64 le64_at(const u8 *raw, unsigned off)
{
	u64 v;
	memcpy(&v, raw + off, sizeof(v));
	return v;
}

static u32 le32_at(const u8 *raw, unsigned off)
{
	u32 v;
	memcpy(&v, raw + off, sizeof(v));
	return v;
}

static u16 le16_at(const u8 *raw, unsigned off)
{
	u16 v;
	memcpy(&v, raw + off, sizeof(v));
	return v;
}

static bool has(u64 features, unsigned bit)
{
	return features & (1ull << bit);
}

int virtblk_parse_capacity(const char *name, u64 capacity, u32 blk_size, u64 *out)
{
	u64 per_block = blk_size >> SECTOR_SHIFT;

	if (capacity > (~0ull >> SECTOR_SHIFT)) {
		pr_err("%s: capacity %lu sectors overflows a 64-bit byte count", name, capacity);
		return -EINVAL;
	}
	/* Whole logical blocks only: a partial last block cannot be addressed. */
	*out = ALIGN_DOWN(capacity, per_block);
	if (*out != capacity)
		pr_warn("%s: capacity %lu sectors is not a whole number of %u-byte blocks; "
			"using %lu",
			name, capacity, blk_size, *out);
	return 0;
}

int virtblk_parse_config(const char *name, const u8 *raw, u64 features, struct virtblk_config *cfg)
{
	int err;

	memset(cfg, 0, sizeof(*cfg));

	cfg->blk_size = SECTOR_SIZE;
	if (has(features, VIRTIO_BLK_F_BLK_SIZE)) {
		u32 bs = le32_at(raw, VIRTIO_BLK_CFG_BLK_SIZE);
		if (bs < SECTOR_SIZE || !is_power_of_2(bs)) {
			pr_err("%s: blk_size %u is not a power of two of at least 512", name, bs);
			return -EINVAL;
		}
		if (bs > VIRTBLK_MAX_BLK_SIZE) {
			pr_err("%s: blk_size %u is valid but above this driver's limit of %lu "
			       "bytes",
			       name, bs, VIRTBLK_MAX_BLK_SIZE);
			return -EOPNOTSUPP;
		}
		cfg->blk_size = bs;
	}
	cfg->phys_block_size = cfg->blk_size;
	if (has(features, VIRTIO_BLK_F_TOPOLOGY)) {
		u8 exp = raw[VIRTIO_BLK_CFG_PHYS_BLOCK_EXP];
		/*
		 * A physical block is blk_size << exp; beyond 2^16 blocks is
		 * nonsense, and 64 KiB << 16 would not fit phys_block_size.
		 */
		if (exp > 16 || ((u64)cfg->blk_size << exp) > UINT32_MAX) {
			pr_err("%s: physical_block_exp %u is out of range for blk_size %u", name,
			       exp, cfg->blk_size);
			return -EINVAL;
		}
		cfg->phys_block_size = cfg->blk_size << exp;
		cfg->min_io_size = le16_at(raw, VIRTIO_BLK_CFG_MIN_IO_SIZE);
		cfg->opt_io_size = le32_at(raw, VIRTIO_BLK_CFG_OPT_IO_SIZE);
	}
	err = virtblk_parse_capacity(name, le64_at(raw, VIRTIO_BLK_CFG_CAPACITY), cfg->blk_size,
				     &cfg->capacity);
	if (err)
		return err;

	cfg->seg_max = VIRTBLK_MAX_SEGMENTS;
	if (has(features, VIRTIO_BLK_F_SEG_MAX)) {
		u32 seg = le32_at(raw, VIRTIO_BLK_CFG_SEG_MAX);
		if (!seg) {
			pr_err("%s: seg_max is 0", name);
			return -EINVAL;
		}
		if (seg > VIRTBLK_MAX_SEGMENTS)
			pr_warn("%s: seg_max %u; using %d", name, seg, VIRTBLK_MAX_SEGMENTS);
		cfg->seg_max = MIN(seg, (u32)VIRTBLK_MAX_SEGMENTS);
	}
	if (has(features, VIRTIO_BLK_F_SIZE_MAX)) {
		u32 sz = le32_at(raw, VIRTIO_BLK_CFG_SIZE_MAX);
		/*
		 * 5.2.4 sets size_max no lower bound, and real devices send 0
		 * (qemu-storage-daemon's vhost-user-blk export). Linux never
		 * makes the segment limit smaller than a page
		 * (blk_queue_max_segment_size clamps it up), so such a device
		 * gets page-sized segments there, and here too; the boot log
		 * says so.
		 */
		if (sz < PAGE_SIZE) {
			pr_info("%s: size_max %u is below a page: segments of up to %lu bytes, "
				"as Linux uses them",
				name, sz, PAGE_SIZE);
			sz = PAGE_SIZE;
		}
		cfg->size_max = sz;
		/* Only a limit that leaves no room for one logical block cannot be honoured. */
		if ((u64)cfg->seg_max * sz < cfg->blk_size) {
			pr_err("%s: size_max %u with seg_max %u cannot carry one %u-byte block",
			       name, le32_at(raw, VIRTIO_BLK_CFG_SIZE_MAX), cfg->seg_max,
			       cfg->blk_size);
			return -EOPNOTSUPP;
		}
	}
	if (has(features, VIRTIO_BLK_F_GEOMETRY)) {
		cfg->cylinders = le16_at(raw, VIRTIO_BLK_CFG_GEOMETRY);
		cfg->heads = raw[VIRTIO_BLK_CFG_GEOMETRY + 2];
		cfg->sectors = raw[VIRTIO_BLK_CFG_GEOMETRY + 3];
	}
	cfg->read_only = has(features, VIRTIO_BLK_F_RO);
	cfg->writeback = has(features, VIRTIO_BLK_F_FLUSH);
	if (has(features, VIRTIO_BLK_F_CONFIG_WCE))
		cfg->writeback = raw[VIRTIO_BLK_CFG_WRITEBACK] != 0;

	if (has(features, VIRTIO_BLK_F_DISCARD)) {
		u32 sectors = le32_at(raw, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS);
		u32 segs = le32_at(raw, VIRTIO_BLK_CFG_MAX_DISCARD_SEG);
		if (!sectors || !segs) {
			pr_err("%s: DISCARD offered with max_discard_sectors %u, max_discard_seg "
			       "%u",
			       name, sectors, segs);
			return -EINVAL;
		}
		cfg->max_discard_sectors = sectors;
	}
	if (has(features, VIRTIO_BLK_F_WRITE_ZEROES)) {
		u32 sectors = le32_at(raw, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS);
		u32 segs = le32_at(raw, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG);
		if (!sectors || !segs) {
			pr_err("%s: WRITE_ZEROES offered with max_write_zeroes_sectors %u, "
			       "max_write_zeroes_seg %u",
			       name, sectors, segs);
			return -EINVAL;
		}
		cfg->max_write_zeroes_sectors = sectors;
		cfg->write_zeroes_may_unmap = raw[VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP] != 0;
	}

	cfg->num_queues = 1;
	if (has(features, VIRTIO_BLK_F_MQ)) {
		u16 nq = le16_at(raw, VIRTIO_BLK_CFG_NUM_QUEUES);
		if (!nq) {
			pr_err("%s: num_queues is 0", name);
			return -EINVAL;
		}
		if (nq > VIRTBLK_MAX_QUEUES)
			pr_warn("%s: num_queues %u; using the first %d", name, nq,
				VIRTBLK_MAX_QUEUES);
		cfg->num_queues = MIN(nq, (u16)VIRTBLK_MAX_QUEUES);
	}
	return 0;
}
