#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tools/run --vhost-user-blk when things go wrong: a storage daemon that is
# missing, fails to start, dies mid-run or logs a ring error, QEMU failing
# to start, a timeout, ^C. Each must end in one clear line and a known exit
# status, and leave no daemon and no socket behind. Short boots of the real
# kernel and QEMU. TAP on stdout.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BUILD:-build}
[[ $build == /* ]] || build=$root/$build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
img=$tmp/disk.img
"$build/tools/vblk-img" create "$img" 4M --stamp 7 >/dev/null || exit 1
run=$root/tools/run

n=0
fails=0
tap() { # OK? NAME [DIAGNOSTICS...]
	n=$((n + 1))
	if [[ $1 -eq 0 ]]; then
		echo "ok $n - $2"
	else
		fails=$((fails + 1))
		echo "not ok $n - $2"
		shift 2
		printf '#   %s\n' "$@"
	fi
}

# Runs tools/run with its sockets under a directory of its own, and checks
# the exit status, a stderr line, and that nothing is left: no socket
# directory and no daemon (by the pid file it wrote, when it got that far).
case_() { # NAME STATUS REGEX [ENV=V ...] -- RUN ARGS...
	local name=$1 want=$2 re=$3 status left='' alive=''
	shift 3
	local -a env=()
	while [[ $1 != -- ]]; do
		env+=("$1")
		shift
	done
	shift
	local t=$tmp/t$n
	mkdir -p "$t"
	env TMPDIR="$t" "${env[@]}" "$run" --daemon-pidfile "$tmp/qsd.pid" "$@" \
		>"$tmp/out" 2>"$tmp/err" </dev/null
	status=$?
	sleep 0.2
	left=$(find "$t" -mindepth 1 | head -3)
	if [[ -s $tmp/qsd.pid ]] && kill -0 "$(cat "$tmp/qsd.pid")" 2>/dev/null; then
		alive=$(cat "$tmp/qsd.pid")
		kill -9 "$alive"
	fi
	rm -f "$tmp/qsd.pid"
	local ok=0
	[[ $status -eq $want ]] || ok=1
	grep -E -q -- "$re" "$tmp/err" || ok=1
	[[ -z $left && -z $alive ]] || ok=1
	tap "$ok" "$name" "exit $status (want $want); stderr:" "$(tail -3 "$tmp/err")" \
		"${left:+left behind: $left}" "${alive:+daemon $alive still running}"
}

echo "1..8"
case_ "a missing daemon is one clear line" 7 "^run: cannot start /nonexistent/qsd" \
	QEMU_STORAGE_DAEMON=/nonexistent/qsd -- --vhost-user-blk "$img" -- test=boot

case_ "a daemon that cannot open its image" 7 "^run: qemu-storage-daemon failed to start .*not in qcow2 format" \
	-- --vhost-user-blk "$img,format=qcow2" -- test=boot

case_ "a bad export option is refused before anything starts" 2 "^run: .*aio=native needs cache=none or directsync" \
	-- --vhost-user-blk "$img,aio=native" -- test=boot

case_ "QEMU failing to start still stops the daemon" 3 "^run: QEMU failed to start" \
	-- --vhost-user-blk "$img" --qemu -no-such-option -- test=boot

case_ "a timeout stops QEMU and the daemon" 4 "^run: timeout after 2 s" \
	-- --timeout 2 --vhost-user-blk "$img" -- rw=randread bs=4k runtime=30 time_based

# A daemon that logs what libvhost-user logs on a broken ring.
cat >"$tmp/noisy-qsd" <<'SH'
#!/bin/sh
echo "vu_panic: Invalid vring_addr message" >&2
exec qemu-storage-daemon "$@"
SH
chmod +x "$tmp/noisy-qsd"
case_ "a ring error in the daemon's log fails the run" 7 "^run: qemu-storage-daemon .* reported an error( \(the run was stopped\))?: vu_panic" \
	QEMU_STORAGE_DAEMON="$tmp/noisy-qsd" -- --vhost-user-blk "$img" -- rw=read bs=4k size=64k

# The daemon killed while a job runs: the run ends at once, not at the
# guest's request timeout.
(
	for _ in $(seq 100); do
		[[ -s $tmp/qsd.pid ]] && break
		sleep 0.1
	done
	sleep 1
	kill -9 "$(cat "$tmp/qsd.pid")"
) &
killer=$!
t0=$SECONDS
case_ "a daemon that dies mid-run is reported and ends the run" 7 \
	"^run: qemu-storage-daemon \(.*\) died while the guest ran \(killed by signal 9\)" \
	-- --timeout 60 --vhost-user-blk "$img" -- rw=randread bs=4k runtime=30 time_based
wait "$killer"
[[ $((SECONDS - t0)) -lt 20 ]] || echo "# (it took $((SECONDS - t0)) s)"

# ^C: SIGINT to the whole process group, as a terminal sends it.
mkdir -p "$tmp/int"
python3 - "$run" "$img" "$tmp" >"$tmp/int.out" 2>&1 <<'PY'
import os, signal, subprocess, sys, time
run, img, tmp = sys.argv[1:4]
env = dict(os.environ, TMPDIR=os.path.join(tmp, "int"))
p = subprocess.Popen([run, "--daemon-pidfile", os.path.join(tmp, "int.pid"), "--vhost-user-blk", img, "--",
                      "rw=randread", "bs=4k", "runtime=30", "time_based"], env=env, stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE, start_new_session=True)
pidfile = os.path.join(tmp, "int.pid")
for _ in range(100):
    if os.path.exists(pidfile) and open(pidfile).read().strip():
        break
    time.sleep(0.1)
time.sleep(1)
daemon = int(open(pidfile).read())
os.killpg(p.pid, signal.SIGINT)
err = p.communicate(timeout=30)[1].decode()
time.sleep(0.3)
alive = os.path.exists(f"/proc/{daemon}") and open(f"/proc/{daemon}/stat").read().split()[2] != "Z"
left = os.listdir(os.path.join(tmp, "int"))
print(f"exit {p.returncode}; daemon alive {alive}; left {left}; stderr {err.strip()}")
sys.exit(0 if p.returncode == 130 and "run: interrupted" in err and not alive and not left else 1)
PY
tap $? "^C stops QEMU and the daemon" "$(cat "$tmp/int.out")"
[[ $fails -eq 0 ]]
