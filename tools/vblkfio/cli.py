# SPDX-License-Identifier: MIT
"""The commands of tools/fio-job (see its help)."""

import argparse
import json
import sys

from . import jobfile

PROG = "fio-job"


def log(msg):
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def parse_disks(text):
    """vda=67108864,vdb (sizes in bytes where known) to {name: size|None}."""
    disks = {}
    for item in filter(None, (text or "").split(",")):
        name, _, size = item.partition("=")
        if not jobfile.DISK_RE.fullmatch(name) or name[-1].isdigit():
            raise ValueError(f"--disks: '{name}' is not a disk name such as vda")
        disks[name] = int(size) if size else None
    return disks


def cmd_translate(argv):
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(prog=f"{PROG} translate")
    ap.add_argument("jobfile")
    ap.add_argument("--disks", default=None)
    ap.add_argument("--mem", type=int, default=128, help="guest memory in MiB ($mb_memory)")
    ap.add_argument("--smp", type=int, default=1, help="guest vCPUs ($ncpus)")
    ap.add_argument("--plan", default=None)
    ap.add_argument("--logs", type=int, default=None, metavar="MSEC",
                    help="IOPS and latency logs for every job that writes none")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    try:
        disks = parse_disks(args.disks) if args.disks is not None else None
    except ValueError as e:
        log(str(e))
        return 2
    machine = jobfile.Machine(disks=disks, mem_mb=args.mem, ncpus=args.smp, extra_words=extra,
                              logs_msec=args.logs)
    try:
        js = jobfile.translate(args.jobfile, machine)
    except jobfile.JobFileError as e:
        for line in e.errors:
            print(f"{PROG}: {line}", file=sys.stderr)
        n = len(e.errors)
        log(f"{n} error{'s' if n != 1 else ''} in {args.jobfile}: nothing ran")
        return 1
    if not args.quiet:
        for n in js.notes:
            log(f"note: {n}")
        if js.ignored:
            log("ignored (no meaning in this kernel, no effect on the result): " +
                ", ".join(js.ignored))
    if args.plan:
        write_plan(js, args.plan)
    print(js.cmdline())
    return 0


def _ms(value):
    return int(value[:-2]) if value and value.endswith("ms") else 0


def seconds_of(js):
    """The time the timed jobs take: per stonewalled phase the longest
    ramp_time + runtime (times loops); jobs bounded by size count 0."""
    total, phase = 0, 0
    for j in js.jobs:
        if j.stonewall:
            total, phase = total + phase, 0
        loops = max(1, int(j.kernel.get("loops", "1")))
        phase = max(phase, (_ms(j.kernel.get("ramp_time")) + _ms(j.kernel.get("runtime"))) * loops)
    return (total + phase + 999) // 1000


def plan_of(js):
    """What the report needs to know of a translated job file."""
    return {
        "jobfile": js.path,
        "seconds": seconds_of(js),
        "global_options": js.global_options(),
        "disk_util": js.disk_util,
        "cmdline": js.cmdline(),
        "jobs": [{
            "section": j.section.name,
            "name": j.name,
            "index": j.index,
            "job_options": js.job_options(j),
            "numjobs": int(j.kernel.get("numjobs", "1")),
            "stonewall": j.stonewall,
            "new_group": "new_group" in j.kernel,
            "percentile_list": j.kernel.get("percentile_list"),
            "group_reporting": "group_reporting" in j.kernel,
            "log_prefixes": j.log_prefixes,
            "per_job_logs": j.per_job_logs,
            "disk": j.disk,
        } for j in js.jobs],
    }


def write_plan(js, path):
    with open(path, "w") as f:
        json.dump(plan_of(js), f, indent=1)
        f.write("\n")


def cmd_report(argv):
    from . import output
    ap = argparse.ArgumentParser(prog=f"{PROG} report")
    ap.add_argument("--plan", required=True)
    ap.add_argument("--serial", required=True)
    ap.add_argument("--output-format", default="normal")
    ap.add_argument("--output", default=None)
    ap.add_argument("--log-dir", default=None)
    args = ap.parse_args(argv)
    return output.report_main(args, log)


def cmd_keys(argv):
    ap = argparse.ArgumentParser(prog=f"{PROG} keys")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)
    from . import keydoc
    sys.stdout.write(keydoc.markdown() if args.markdown else keydoc.text())
    return 0


def main(argv, doc):
    if not argv or argv[0] in ("-h", "--help"):
        print(doc, file=sys.stderr)
        return 2
    cmd, rest = argv[0], argv[1:]
    cmds = {"translate": cmd_translate, "report": cmd_report, "keys": cmd_keys}
    if cmd not in cmds:
        log(f"unknown command '{cmd}' (translate, report, keys)")
        return 2
    try:
        return cmds[cmd](rest)
    except SystemExit as e:  # argparse's usage errors
        return 2 if e.code else 0
