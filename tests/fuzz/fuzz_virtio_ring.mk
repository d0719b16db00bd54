FUZZ_TARGETS += fuzz_virtio_ring
fuzz_virtio_ring_SRCS := $(wildcard drivers/virtio_ring*.c)
