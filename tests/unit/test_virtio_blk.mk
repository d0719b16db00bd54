# The virtio-blk driver whole (PCI enumeration, virtio-pci, virtqueues, the
# block layer) against a simulated virtio-blk-pci device that behaves, then
# lies and stops: broken devices, timeouts, resets, lost notifications;
# every case on split and on packed rings.
UNIT_TESTS += test_virtio_blk
test_virtio_blk_SRCS := drivers/virtio_blk.c drivers/virtio_blk_config.c drivers/virtio_pci.c \
	drivers/virtio.c drivers/virtio_mmio.c kernel/cmdline.c \
	$(wildcard drivers/virtio_ring*.c) drivers/pci.c $(wildcard block/*.c) kernel/errno.c \
	tests/unit/test_block_fake.c tests/unit/sim_pci.c tests/unit/sim_virtio_blk.c
