FUZZ_TARGETS += fuzz_pci_caps
fuzz_pci_caps_SRCS := drivers/pci.c drivers/virtio_pci.c drivers/virtio.c $(wildcard drivers/virtio_ring*.c) \
	kernel/errno.c tests/unit/sim_pci.c tests/unit/sim_virtio_blk.c
