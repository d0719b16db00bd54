# The packed virtqueue against a simulated packed device (tests/unit/test_virtio_ring_packed.c).
UNIT_TESTS += test_virtio_ring_packed
test_virtio_ring_packed_SRCS := drivers/virtio_ring.c drivers/virtio_ring_split.c drivers/virtio_ring_packed.c
