# fio's latency target search (bench/lattarget.c), window by window.
UNIT_TESTS += test_lattarget
test_lattarget_SRCS := bench/lattarget.c
