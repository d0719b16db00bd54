# The virtio-mmio transport against a simulated register file, through the
# virtio core: the command line's words, probing, queues, the interrupt.
UNIT_TESTS += test_virtio_mmio
test_virtio_mmio_SRCS := drivers/virtio_mmio.c drivers/virtio.c $(wildcard drivers/virtio_ring*.c) \
	kernel/cmdline.c kernel/errno.c
