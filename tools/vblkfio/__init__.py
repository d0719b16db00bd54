# SPDX-License-Identifier: MIT
"""The host side of speaking fio: job files in (jobfile), fio's output out
(output), and the one table of fio's keys both read (keys)."""

VERSION = "vblk-1.0"
SCHEMA = "fio-3.33"
