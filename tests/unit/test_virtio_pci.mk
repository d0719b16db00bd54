# The virtio PCI transport and the capability walk against a simulated
# function whose capabilities loop, overlap, or point outside their BARs.
UNIT_TESTS += test_virtio_pci
test_virtio_pci_SRCS := drivers/virtio_pci.c drivers/virtio.c $(wildcard drivers/virtio_ring*.c) drivers/pci.c kernel/errno.c \
	tests/unit/sim_pci.c tests/unit/sim_virtio_blk.c
