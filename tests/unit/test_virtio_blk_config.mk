# Configuration space validation against lying devices (tests/unit/test_virtio_blk_config.c).
UNIT_TESTS += test_virtio_blk_config
test_virtio_blk_config_SRCS := drivers/virtio_blk_config.c
