FUZZ_TARGETS += fuzz_virtio_blk_config
fuzz_virtio_blk_config_SRCS := drivers/virtio_blk_config.c
