#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tools/flush-order against a recorded run (tests/tools/data/flush-order.*:
# the kernel's flush_trace lines and QEMU's strace of a bio job with
# iodepth=4 fsync=3 and a raw job with fsync=1) and against deliberately
# wrong variants of it, each of which it must refuse. TAP on stdout.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
data=$root/tests/tools/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
img=$tmp/disk.img
: >"$img"
sed "s|@IMG@|$img|g" "$data/flush-order.strace" >"$tmp/strace"
cp "$data/flush-order.serial" "$tmp/serial"

n=0
fails=0
check() { # NAME EXPECTED-STATUS EXPECTED-REGEX SERIAL STRACE
	local out status
	n=$((n + 1))
	out=$("$root/tools/flush-order" --serial "$4" --strace "$5" --disk "vda=$img" 2>&1)
	status=$?
	if [[ $status -eq $2 ]] && grep -E -q -- "$3" <<<"$out"; then
		echo "ok $n - $1"
	else
		fails=$((fails + 1))
		echo "not ok $n - $1"
		echo "# expected exit $2 and /$3/, got exit $status:"
		sed 's/^/#   /' <<<"$out"
	fi
}

echo "1..5"
check "the recorded run holds" 0 "vda: 18 flushes .* every completed write reached the file" \
	"$tmp/serial" "$tmp/strace"

# The raw job's second flush claims a write that completed only after it was
# issued (moved from the third flush's line): that write's pwrite returned
# after the second flush's fdatasync started.
sed -e 's/^\(flush_trace: job2 vda flush 2 after 1 done 2064+16\)$/\1 2080+16/' \
	-e 's/^\(flush_trace: job2 vda flush 3 after 2 done\) 2080+16$/\1/' "$tmp/serial" >"$tmp/serial.moved"
check "a write claimed by an earlier flush than the one it preceded" 1 \
	"job2 vda flush 2: .* started before its completed write\(s\) 2080\+16 reached" \
	"$tmp/serial.moved" "$tmp/strace"

# The same write, but the flush line is right and QEMU's pwrite of it comes
# after the fdatasync: the file saw the flush first.
python3 - "$tmp/strace" "$tmp/strace.late" $((2080 * 512)) <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
off = sys.argv[3]
# Push the pwrite of that offset 1 s later: it now returns after every
# fdatasync that could serve the flush naming it.
out = []
for l in lines:
    if re.search(r", %s(\)| <)" % off, l):
        pid, t, rest = l.split(None, 2)
        l = f"{pid}  {float(t) + 1:.6f} {rest}"
    out.append(l)
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
check "a pwrite that returned after its flush's fdatasync" 1 \
	"job2 vda flush 3: .* started before its completed write\(s\) 2080\+16 reached" \
	"$tmp/serial" "$tmp/strace.late"

grep -v -E ", $((2080 * 512))(\)| <)" "$tmp/strace" >"$tmp/strace.lost"
check "a completed write that never reached the file" 1 \
	"job2 vda flush 3: the completed write of sectors 2080\+16 never reached" \
	"$tmp/serial" "$tmp/strace.lost"

# One fdatasync of the raw job (fsync=1, iodepth=1: one per flush) missing.
python3 - "$tmp/strace" "$tmp/strace.nosync" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
idx = [i for i, l in enumerate(lines) if "fdatasync(" in l]
drop = idx[-3]
out = [l for i, l in enumerate(lines) if i != drop]
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
check "a flush whose fdatasync is missing" 1 "job2 vda flush [0-9]+: .*(serve it|started before)" \
	"$tmp/serial" "$tmp/strace.nosync"
[[ $fails -eq 0 ]]
