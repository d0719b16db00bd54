/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the virtio-blk configuration space (drivers/virtio_blk_config.c).
 *
 * Input: the negotiated features (8 bytes, little-endian), then the 60
 * bytes of configuration space (zeroes where the input is shorter), then,
 * optionally, a later capacity (8 bytes) as a configuration change would
 * report it. Whatever the bytes, the parser returns 0, -EINVAL or
 * -EOPNOTSUPP, and a configuration it accepts is one the driver can use:
 * the checks below are what drivers/virtio_blk.c relies on.
 */
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio_blk.h"
#include "kernel/platform.h"
#include "tests/unit/host_platform.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 raw[VIRTIO_BLK_CFG_SIZE] = {0};
	struct virtblk_config cfg;
	u64 features = 0, cap;
	int err;

	host_printk_quiet = true;
	host_log_len = 0;
	memcpy(&features, data, size < 8 ? size : 8);
	if (size > 8)
		memcpy(raw, data + 8, size - 8 < sizeof(raw) ? size - 8 : sizeof(raw));
	err = virtblk_parse_config("vda", raw, features, &cfg);
	CHECK(err == 0 || err == -EINVAL || err == -EOPNOTSUPP);
	if (err)
		return 0;
	CHECK(is_power_of_2(cfg.blk_size) && cfg.blk_size >= SECTOR_SIZE &&
	      cfg.blk_size <= VIRTBLK_MAX_BLK_SIZE);
	CHECK(cfg.phys_block_size >= cfg.blk_size && is_power_of_2(cfg.phys_block_size));
	CHECK(cfg.capacity % (cfg.blk_size >> SECTOR_SHIFT) == 0);
	CHECK(cfg.capacity <= (~0ull >> SECTOR_SHIFT));
	CHECK(cfg.seg_max >= 1 && cfg.seg_max <= VIRTBLK_MAX_SEGMENTS);
	CHECK(cfg.size_max == 0 || cfg.size_max >= PAGE_SIZE);
	CHECK(cfg.size_max == 0 || (u64)cfg.seg_max * cfg.size_max >= cfg.blk_size);
	CHECK(cfg.num_queues >= 1 && cfg.num_queues <= VIRTBLK_MAX_QUEUES);
	if (size >= 8 + VIRTIO_BLK_CFG_SIZE + 8) {
		u64 later;
		memcpy(&later, data + 8 + VIRTIO_BLK_CFG_SIZE, 8);
		err = virtblk_parse_capacity("vda", later, cfg.blk_size, &cap);
		CHECK(err == 0 || err == -EINVAL);
		if (!err)
			CHECK(cap <= later && cap % (cfg.blk_size >> SECTOR_SHIFT) == 0);
	}
	return 0;
}
