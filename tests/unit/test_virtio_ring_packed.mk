# The packed virtqueue against a simulated packed device (tests/unit/test_virtio_ring_packed.c),
# with the tests both layouts run (tests/unit/virtio_ring_shared_tests.h).
UNIT_TESTS += test_virtio_ring_packed
test_virtio_ring_packed_SRCS := drivers/virtio_ring.c drivers/virtio_ring_split.c drivers/virtio_ring_packed.c
