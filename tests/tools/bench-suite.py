#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tools/bench's suite format and its handling of bad input, without long
QEMU runs: the back-end keys of every suite in tools/bench.d, inheritance
(like), the words each key takes, the one-line refusals that stop one
configuration and not the others, a user's image never written, and a
storage daemon that fails to start cleaned up after. TAP on stdout."""

import argparse
import errno
import glob
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
loader = importlib.machinery.SourceFileLoader("bench", os.path.join(ROOT, "tools", "bench"))
spec = importlib.util.spec_from_loader("bench", loader)
bench = importlib.util.module_from_spec(spec)
loader.exec_module(bench)
bench.log = lambda msg: None  # its progress lines are not TAP

results = []


def check(name, cond, *diag):
    results.append((name, bool(cond), diag))


def suite(text):
    fd, path = tempfile.mkstemp(suffix=".suite")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    try:
        return bench.parse_suite(path)
    finally:
        os.unlink(path)


def by_name(configs):
    return {c["name"]: c for c in configs}


# Every suite the tool ships parses, and the back-end suite says what the
# issue asks for.
for path in sorted(glob.glob(os.path.join(ROOT, "tools", "bench.d", "*.suite"))):
    try:
        cs = bench.parse_suite(path)
        check(f"{os.path.basename(path)} parses", cs and not any(c["error"] for c in cs),
              [c["error"] for c in cs if c["error"]])
    except bench.SuiteError as e:
        check(f"{os.path.basename(path)} parses", False, str(e))

cs = by_name(bench.parse_suite(os.path.join(ROOT, "tools", "bench.d", "backends.suite")))
check("backends: threads, native, io_uring with cache=none; writeback; iothread; qcow2; vhost-user-blk",
      [(c["backend"].get("aio"), c["backend"].get("cache"), c["backend"].get("iothread"), c["backend"].get("format"),
        c["backend"].get("backend")) for c in cs.values()] == [
          ("threads", "none", None, "raw", None), ("native", "none", None, "raw", None),
          ("io_uring", "none", None, "raw", None), ("threads", "writeback", None, "raw", None),
          ("threads", "none", "on", "raw", None), ("threads", "none", None, "qcow2", None),
          ("threads", "none", None, "raw", "vhost-user-blk")], list(cs))
check("backends: randread 4k qd1 and qd32, randwrite 4k qd32, read 128k qd32 in each",
      all({(j["spec"]["rw"], j["spec"]["bs"], j["spec"]["iodepth"]) for j in c["ours"]} ==
          {("randread", "4k", "1"), ("randread", "4k", "32"), ("randwrite", "4k", "32"), ("read", "128k", "32")}
          for c in cs.values()))
check("backends: this kernel with hybrid polling and interrupts only",
      all({j["spec"].get("poll_us") for j in c["ours"]} == {"100", "0"} for c in cs.values()))
check("backends: Linux with interrupts and polled, polled only where it works",
      all({j["variant"] for j in c["linux_jobs"]} == ({"none"} if c["backend"].get("backend") else {"none", "polled"})
          for c in cs.values()) and "poll queue" in " ".join(cs["vhost-user-blk"]["notes"]))
check("backends: polled Linux gets num-queues=2", cs["threads"]["backend"].get("num-queues") == "2")
check("backends: Linux jobs leave out this kernel's keys",
      all("poll_us" not in j["spec"] for c in cs.values() for j in c["linux_jobs"]))
words = bench.backend_words(cs["vhost-user-blk"])
check("the backend column says the configuration in QEMU's words",
      words == "vhost-user-blk host fs raw aio=threads cache=none num-queues=2", words)

base = """[a]
image = tmpfs
size = 64M
runtime = 1
linux = no
job = rw=randread bs=4k paths=bio
"""
cs = by_name(suite(base + "[b]\nlike = a\naio = sometimes\n[c]\nlike = a\ncache = nonsense\n"))
check("an unknown back-end word fails its configuration only, naming the word",
      cs["a"]["error"] is None and "unknown aio 'sometimes'" in (cs["b"]["error"] or "")
      and "unknown cache 'nonsense'" in (cs["c"]["error"] or ""), cs["b"]["error"], cs["c"]["error"])
cs = by_name(suite(base + "[b]\nlike = a\naio = native\ncache = writeback\n"))
check("aio=native without cache=none or directsync is refused",
      "aio=native needs cache=none or directsync" in (cs["b"]["error"] or ""), cs["b"]["error"])
cs = by_name(suite(base + "[b]\nimage = /nonexistent/disk.img\njob = rw=read bs=4k\n"))
check("a missing image path is refused", "image '/nonexistent/disk.img' does not exist" in (cs["b"]["error"] or ""),
      cs["b"]["error"])
cs = by_name(suite(base + "[b]\nlike = a\nbackend = vhost-user-blk\nthrottling.iops-total = 500\nruntime = 10\n"))
check("vhost-user-blk with a -drive option is refused", "vhost-user-blk-pci has none" in (cs["b"]["error"] or ""),
      cs["b"]["error"])
cs = by_name(suite("[n]\nimage = null\nformat = qcow2\njob = rw=read bs=4k\n"))
check("a file-only word on null-co is refused", "no meaning for image null" in (cs["n"]["error"] or ""))
for text, want in (("[a]\nimage = tmpfs\nbogus = 1\n", "unknown key 'bogus'"),
                   ("[a]\nlike = nothing\n", "like = nothing: no configuration [nothing]"),
                   ("[a]\njob = rw=read\n", "has no image"),
                   ("[a]\nimage = tmpfs\nfio = job.fio\n", "fio = job.fio: no such job file")):
    try:
        suite(text)
        check(f"syntax error: {want}", False, "accepted")
    except bench.SuiteError as e:
        check(f"syntax error: {want}", want in str(e), str(e))

# cache=none where the host kernel refuses O_DIRECT (tmpfs before 6.6): the
# refusal, made to happen here by refusing O_DIRECT to the probe.
tmp = tempfile.mkdtemp()
cs = by_name(suite(f"[d]\nimage = dir:{tmp}\nsize = 1M\ncache = none\njob = rw=read bs=4k\nlinux = no\n"))
images = bench.Images(os.path.join(tmp, "scratch"))
real_open = os.open


def no_direct(path, flags, *a):
    if flags & os.O_DIRECT:
        raise OSError(errno.EINVAL, "Invalid argument")
    return real_open(path, flags, *a)


bench.os.open = no_direct
try:
    bench.disk_plan(cs["d"], images)
    check("cache=none on a filesystem without O_DIRECT is one clear line", False, "accepted")
except bench.BackendError as e:
    check("cache=none on a filesystem without O_DIRECT is one clear line",
          "cache=none: the host kernel refuses O_DIRECT" in str(e), str(e))
finally:
    bench.os.open = real_open
made = list(images.paths)
check("the tool's image is allocated (preallocation=full)",
      made and os.stat(made[0]).st_blocks * 512 >= 1 << 20, made)
images.cleanup()
check("the tool's images are removed at the end", made and not any(os.path.exists(p) for p in made), made)

# A user's image is never written unless the suite says writable.
user = os.path.join(tmp, "mine.img")
with open(user, "wb") as f:
    f.write(b"\x5a" * 65536)
cs = by_name(suite(f"[u]\nimage = {user}\njob = rw=write bs=4k\nlinux = no\n"
                   f"[w]\nimage = {user}\nwritable = yes\njob = rw=write bs=4k\nlinux = no\n"))
images = bench.Images(os.path.join(tmp, "scratch"))
plan = bench.disk_plan(cs["u"], images)
check("a user's image is attached as a copy", user not in plan["desc"] and images.paths, plan["desc"])
plan = bench.disk_plan(cs["w"], images)
check("... and as itself only with writable = yes", f"file={user}," in plan["desc"], plan["desc"])
images.cleanup()
check("the copy is removed, the user's image kept", os.path.exists(user) and not any(
    os.path.exists(p) for p in images.paths))

# Scaling with vCPUs (issue 11): a configuration's own -smp, the blk-mq
# paths, and a numjobs job's copies as one row.
cs = by_name(bench.parse_suite(os.path.join(ROOT, "tools", "bench.d", "scaling.suite")))
check("scaling: one vCPU (two possible) against two, num-queues=2, no Linux; again with an iothread",
      [(c["smp"], c["device"], c["backend"], c["linux_jobs"]) for c in cs.values()] == [
          ((1, 2), ["num-queues=2"], {}, []), ((2, 2), ["num-queues=2"], {}, []),
          ((1, 2), [], {"image": "null", "num-queues": "2", "iothread": "on"}, []),
          ((2, 2), [], {"image": "null", "num-queues": "2", "iothread": "on"}, [])],
      [(c["smp"], c["device"], c["backend"]) for c in cs.values()])
check("scaling: a job per vCPU, randread 4k qd32, on bio, mq, noop and deadline (bio and mq with an iothread)",
      [(c["name"], [(j["variant"], j["spec"].get("numjobs"), j["spec"]["rw"], j["spec"]["iodepth"])
                    for j in c["ours"]]) for c in cs.values()] == [
          ("scaling-1cpu", [(v, None, "randread", "32") for v in ("bio", "mq", "noop", "deadline")]),
          ("scaling-2cpu", [(v, "2", "randread", "32") for v in ("bio", "mq", "noop", "deadline")]),
          ("scaling-1cpu-iothread", [(v, None, "randread", "32") for v in ("bio", "mq")]),
          ("scaling-2cpu-iothread", [(v, "2", "randread", "32") for v in ("bio", "mq")])])
order = [(c["name"], k, suffix) for c, k, _, _, suffix in
         bench.boot_steps(list(cs.values())[:2], ("vblk", "linux"), 3)]
check("--repeat goes round: every boot once, then all again (no Linux boots where linux = no)",
      order == [(n, "vblk", f"-{r}") for r in (1, 2, 3) for n in ("scaling-1cpu", "scaling-2cpu")], order)
check("--pin: off and auto (the main loop on the last CPU, the vCPUs on the first ones)",
      bench.pin_plan("off", {0, 1}, 1) is None and bench.pin_plan("auto", {0, 1}, 1) == ({1}, {0})
      and bench.pin_plan("auto", {0, 1, 2, 3}, 2) == ({3}, {0, 1}) and bench.pin_plan("auto", {0, 1}, 2) is None)
check("--pin MAIN/VCPUS takes host CPU lists",
      bench.pin_plan("3/0-2", {0, 1, 2, 3}, 1) == ({3}, {0, 1, 2})
      and bench.pin_plan("1,3/0,2", {0, 1, 2, 3}, 2) == ({1, 3}, {0, 2}))
for bad, why in (("1", "MAIN/VCPUS"), ("x/0", "CPU list"), ("2-1/0", "backwards"), ("5/0", "CPU 5 is not one")):
    try:
        bench.pin_plan(bad, {0, 1}, 1)
        check(f"--pin {bad} is refused", False)
    except ValueError as e:
        check(f"--pin {bad} is refused, saying why", why in str(e), str(e))
check("scaling: -smp reaches tools/run from the configuration",
      bench.config_smp(cs["scaling-2cpu"], argparse.Namespace(smp=1, maxcpus=2)) == (2, 2)
      and bench.config_smp({"name": "x"}, argparse.Namespace(smp=1, maxcpus=2)) == (1, 2))
job = {"variant": "mq", "spec": {"rw": "randread", "bs": "4k", "iodepth": "32"}}
check("path mq runs blk-mq with none, mq-deadline with its scheduler",
      "path=mq sched=none" in " ".join(bench.job_words(job, "vblk"))
      and "path=mq sched=mq-deadline" in " ".join(bench.job_words(dict(job, variant="mq-deadline"), "vblk")))
for bad in ("0", "2,maxcpus=1", "two", "2,maxcpu=4"):
    try:
        suite(f"[a]\ndrive = null\nsmp = {bad}\njob = rw=read\n")
        check(f"smp = {bad} is refused", False)
    except bench.SuiteError as e:
        check(f"smp = {bad} is refused, naming the key", "smp = " in str(e), str(e))
copies = [{"job": f"j.{k}", "cpu": k, "ios": 100 * (k + 1), "bytes": 409600 * (k + 1), "iops": 50.0 * (k + 1),
           "mbps": 0.2, "seconds": 2.0 + k, "kicks": 10, "irqs": 5, "merges": 0, "errors": 0, "cpu_util": 0.5,
           "lat_us": {"mean": 10.0 * (k + 1), "p50": 9.0, "p90": 20.0 * (k + 1), "p99": 30.0, "p999": 40.0,
                      "max": 50.0 * (k + 1)}} for k in range(2)]
windows = {"j.0": {"seconds": 3.0, "total": 7, "qemu_ops": 120, "qemu_merged": 1},
           "j.1": {"seconds": 2.5, "total": 5, "qemu_ops": 180, "qemu_merged": 2}}
other = {"job": "k", "ios": 1}
merged = bench.merge_copies([{"variant": "bio", "spec": {"numjobs": "2"}}, {"variant": "bio", "spec": {}}],
                            copies + [other], windows)
m = merged[0]
check("numjobs copies are one row: counts and IOPS added, the worst copy's seconds and percentiles",
      len(merged) == 2 and merged[1] is other and m["job"] == "j" and m["ios"] == 300 and m["iops"] == 150.0
      and m["kicks"] == 20 and m["seconds"] == 3.0 and m["lat_us"]["p90"] == 40.0 and m["lat_us"]["max"] == 100.0
      and abs(m["lat_us"]["mean"] - (10 * 100 + 20 * 200) / 300) < 0.1, merged)
check("... the host's window the longest copy's, QEMU's operations all of theirs",
      windows["j"]["total"] == 7 and windows["j"]["qemu_ops"] == 300 and windows["j"]["qemu_merged"] == 3,
      windows.get("j"))

# With --repeat, a ratio of our own rows shows its range over the rounds,
# each round's ratio taken within that round.
def trow(variant, iops, qd=32, lat=None):
    return {"config": "null", "kernel": "vblk", "variant": variant, "rw": "randread", "bs": 4096, "iodepth": qd,
            "iops": iops, "lat_mean": lat, "queue_depth": None, "mbps": None}


rounds = [[trow("raw", 100.0), trow("bio", 80.0)], [trow("raw", 100.0), trow("bio", 90.0)],
          [trow("raw", 120.0), trow("bio", 102.0)]]
runs = {("null", "vblk", 0): rounds, ("null", "linux", 0): [[dict(trow("none", 5.0), kernel="linux")]] * 3}
got = {t[0]: t[1] for t in bench.targets(bench.median_rows(rounds), [], bench.per_boot_rows(runs))}
label = "randread 4k qd32: bio IOPS / raw IOPS"
check("--repeat: a target's ratio shows its range over the rounds, each taken within its round",
      got.get(label, "").startswith("0.90x (") and "rounds 0.80-0.90x" in got.get(label, ""), got.get(label))
got = {t[0]: t[1] for t in bench.targets(rounds[0], [], bench.per_boot_rows({("null", "vblk", 0): rounds[:1]}))}
check("... and no range from a single round", got.get(label) and "rounds" not in got[label], got.get(label))

# A storage daemon that fails to start: one line naming the configuration
# and the cause, the other configuration still runs, nothing left behind.
build = os.environ.get("BUILD", "build")
build = build if os.path.isabs(build) else os.path.join(ROOT, build)
if os.path.exists(os.path.join(build, "kernel.elf")):
    path = os.path.join(tmp, "d.suite")
    with open(path, "w") as f:
        f.write(f"[plain]\nimage = dir:{tmp}/images\nsize = 16M\nlinux = no\n"
                "job = rw=read bs=4k io_size=64k paths=bio\n[vu]\nlike = plain\nbackend = vhost-user-blk\n")
    # Everything the run makes (images, sockets, pid files) goes under here.
    os.makedirs(os.path.join(tmp, "images"))
    os.makedirs(os.path.join(tmp, "t"))
    env = dict(os.environ, QEMU_STORAGE_DAEMON="/nonexistent/qemu-storage-daemon", TMPDIR=os.path.join(tmp, "t"))
    r = subprocess.run([os.path.join(ROOT, "tools", "bench"), "--suite", path, "--no-linux", "--out",
                        os.path.join(tmp, "out")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=120)
    left = os.listdir(os.path.join(tmp, "images")) + os.listdir(os.path.join(tmp, "t"))
    lines = [x for x in r.stdout.splitlines() if "vu:" in x and "cannot start /nonexistent" in x]
    check("a daemon that fails to start: one line naming the configuration and the cause",
          r.returncode == 1 and lines, r.stdout[-1500:])
    check("... the other configuration still runs", "[1/2] plain: vblk done" in r.stdout, r.stdout[-800:])
    check("... and nothing is left behind (image, socket, pid files)", not left, left)
else:
    check("bench with a failing daemon # SKIP no kernel built", True)

# A boot whose TSC jumped: our kernel's corrections and Linux's change of
# clocksource are both said in the report's boot lines.
_, facts = bench.parse_output("clock: 2 correction(s) of the TSC against the HPET; the largest: "
                              "+3600.000001 s\r\nRESULT: PASS\r\n")
lines = bench.boot_facts([
    {"kernel": "vblk", "config": "null", "config_jobs": 3, "jobs": 3, "wall_s": 1.0, "clock": facts.get("clock")},
    {"kernel": "linux", "config": "null", "config_jobs": 3, "jobs": 3, "wall_s": 1.0,
     "linux": {"clocksource": "tsc", "clocksource_end": "hpet"}},
    {"kernel": "linux", "config": "seq", "config_jobs": 3, "jobs": 3, "wall_s": 1.0,
     "linux": {"clocksource": "tsc", "clocksource_end": "tsc"}}])
check("a jump of the TSC: our kernel's corrections and Linux's clocksource change are reported",
      facts.get("clock") == "2 correction(s) against the HPET, the largest +3600.000001 s" and
      any(line.startswith("our kernel, [null]: the TSC jumped") and "2 correction(s)" in line for line in lines) and
      any(line.startswith("Linux, [null]: its clocksource went from tsc to hpet") for line in lines) and
      not any(line.startswith("Linux, [seq]") for line in lines), facts, lines)

subprocess.run(["rm", "-rf", tmp])
print(f"1..{len(results)}")
fails = 0
for i, (name, ok, diag) in enumerate(results, 1):
    if name.endswith("# SKIP no kernel built"):
        print(f"ok {i} - {name}")
        continue
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    if not ok:
        fails += 1
        for d in diag:
            for line in str(d).splitlines():
                print(f"#   {line}")
sys.exit(1 if fails else 0)
