# SPDX-License-Identifier: MIT
"""python3 tests/tools/lib/fio_plot_check.py FILE.json [--rw-filter read|write]

Reads a fio JSON document the way fio-plot (louwrentius/fio-plot) reads
one, and says what it would trip over: the "fio version" and a "jobs" list;
per job, "jobname", "job options" merged with "global options" (fio-plot
merges them so) holding rw, bs, iodepth and numjobs, iodepth and numjobs
whole numbers (it sorts by int() of them); the direction fio-plot picks
for rw (randrw and rw take the --rw-filter direction, read by default)
with iops, bw, iops_stddev and lat_ns.mean and .stddev as numbers;
latency_ms, latency_us and latency_ns objects of numbers; usr_cpu and
sys_cpu numbers; and, when the options ask for steadystate, the
"steadystate" object with attained and data.bw_mean/iops_mean.

The same checker is run on this project's documents and on documents
Debian's fio 3.33 wrote, so both are held to one standard. Exit status 0
when the document would be read, 1 with one line per problem otherwise."""

import json
import sys

NUMBER = (int, float)


def is_number(v):
    return isinstance(v, NUMBER) and not isinstance(v, bool)


def check(doc, rw_filter="read"):
    bad = []
    if not isinstance(doc, dict):
        return ["the document is not a JSON object"]
    if not isinstance(doc.get("fio version"), str):
        bad.append("no 'fio version' string")
    jobs = doc.get("jobs")
    if not isinstance(jobs, list) or not jobs:
        return bad + ["no 'jobs' list with jobs in it"]
    glob = doc.get("global options", {})
    if not isinstance(glob, dict):
        bad.append("'global options' is not an object")
        glob = {}
    mode_of = {"read": "read", "randread": "read", "write": "write", "randwrite": "write",
               "rw": rw_filter, "readwrite": rw_filter, "randrw": rw_filter}
    for i, job in enumerate(jobs):
        where = f"jobs[{i}]"
        if not isinstance(job, dict):
            bad.append(f"{where}: not an object")
            continue
        where = f"jobs[{i}] ({job.get('jobname')})"
        if not isinstance(job.get("jobname"), str):
            bad.append(f"{where}: no 'jobname' string")
        opts = job.get("job options")
        if not isinstance(opts, dict):
            bad.append(f"{where}: no 'job options' object")
            continue
        opts = {**opts, **glob}
        for key in ("rw", "bs", "iodepth", "numjobs"):
            if not isinstance(opts.get(key), str):
                bad.append(f"{where}: no '{key}' in job options or global options")
        for key in ("iodepth", "numjobs"):
            try:
                int(opts.get(key, ""))
            except ValueError:
                bad.append(f"{where}: {key}={opts.get(key)!r} is not a whole number")
        mode = mode_of.get(opts.get("rw"))
        if mode is None:
            bad.append(f"{where}: rw={opts.get('rw')!r} is not one fio-plot knows")
            continue
        dd = job.get(mode)
        if not isinstance(dd, dict):
            bad.append(f"{where}: no '{mode}' object")
            continue
        for key in ("iops", "bw", "iops_stddev"):
            if not is_number(dd.get(key)):
                bad.append(f"{where}: '{mode}.{key}' is not a number")
        lat = dd.get("lat_ns")
        if not isinstance(lat, dict) or not is_number(lat.get("mean")) or \
                not is_number(lat.get("stddev")):
            bad.append(f"{where}: '{mode}.lat_ns' lacks mean or stddev")
        for key in ("latency_ms", "latency_us", "latency_ns"):
            d = job.get(key)
            if not isinstance(d, dict) or not d or not all(is_number(v) for v in d.values()):
                bad.append(f"{where}: '{key}' is not an object of numbers")
        for key in ("usr_cpu", "sys_cpu"):
            if not is_number(job.get(key)):
                bad.append(f"{where}: '{key}' is not a number")
        if "steadystate" in opts:
            ss = job.get("steadystate")
            if not isinstance(ss, dict) or "attained" not in ss or \
                    not isinstance(ss.get("data"), dict) or \
                    not all(is_number(ss["data"].get(k)) for k in ("bw_mean", "iops_mean")):
                bad.append(f"{where}: steadystate asked for, but no 'steadystate' object with "
                           "attained and data.bw_mean, data.iops_mean")
    return bad


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    rw_filter = "read"
    if "--rw-filter" in argv:
        i = argv.index("--rw-filter")
        rw_filter = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    try:
        with open(argv[0]) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"fio_plot_check: {argv[0]}: {e}", file=sys.stderr)
        return 1
    bad = check(doc, rw_filter)
    for b in bad:
        print(f"fio_plot_check: {argv[0]}: {b}", file=sys.stderr)
    if not bad:
        print(f"fio_plot_check: {argv[0]}: {len(doc['jobs'])} jobs, read as fio-plot reads them")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
