# SPDX-License-Identifier: MIT
"""fio's output out: the kernel's serial lines made into the files fio's
users and tools read.

The kernel prints, per reported job, one line `FIO {...}` holding a fio
3.33 job object, and per interval sample one line `FIOLOG FILE LINE`.
From those this module writes:

  - one JSON document in fio's schema (--output-format=json or json+):
    "fio version" names this project, so no one takes it for fio; "jobs"
    are the kernel's objects in order, each with "job options" replaced by
    the keys of its own section of the job file (as fio writes them) and,
    for json, without the json+ "bins";
  - fio's human report (normal), rendered from the same objects with fio's
    formats;
  - fio's log files, one per FILE, lines in the order they came.

The serial console is not trusted more than any other input: a FIO line
that is not a JSON object with fio's fields, a report for a job the job
file does not have, a FIOLOG line for a file no job asked for, are errors
naming the serial line."""

import json
import math
import os
import re
import time

from . import SCHEMA, VERSION

DDIRS = ("read", "write", "trim")
LAT_KEYS = ("slat_ns", "clat_ns", "lat_ns")
FIO_LINE = re.compile(r"(?:^|\s)FIO (\{.*?)\s*$")
FIOLOG_LINE = re.compile(r"(?:^|\s)FIOLOG (\S+) (.*?)\s*$")
RESULT_LINE = re.compile(r"RESULT: (PASS|FAIL)(.*)$")
LOG_SAMPLE = re.compile(r"\d+(, -?\d+){3,5}")
LOG_TYPES = {"iops": ("iops",), "bw": ("bw",), "lat": ("lat", "clat", "slat")}

# The fields of a fio 3.33 job object this module relies on, with their types.
NUMBER = (int, float)
JOB_FIELDS = {
    "jobname": str, "groupid": int, "error": int, "read": dict, "write": dict, "trim": dict,
    "sync": dict, "job_runtime": NUMBER, "usr_cpu": NUMBER, "sys_cpu": NUMBER, "ctx": NUMBER,
    "majf": NUMBER, "minf": NUMBER, "iodepth_level": dict, "iodepth_submit": dict,
    "iodepth_complete": dict, "latency_ns": dict, "latency_us": dict, "latency_ms": dict,
    "latency_depth": NUMBER, "latency_target": NUMBER, "latency_percentile": NUMBER,
    "latency_window": NUMBER,
}
DDIR_FIELDS = {
    "io_bytes": NUMBER, "io_kbytes": NUMBER, "bw_bytes": NUMBER, "bw": NUMBER, "iops": NUMBER,
    "runtime": NUMBER, "total_ios": NUMBER, "short_ios": NUMBER, "drop_ios": NUMBER,
    "slat_ns": dict, "clat_ns": dict, "lat_ns": dict, "bw_min": NUMBER, "bw_max": NUMBER,
    "bw_agg": NUMBER, "bw_mean": NUMBER, "bw_dev": NUMBER, "bw_samples": NUMBER,
    "iops_min": NUMBER, "iops_max": NUMBER, "iops_mean": NUMBER, "iops_stddev": NUMBER,
    "iops_samples": NUMBER,
}
STAT_FIELDS = {"min": NUMBER, "max": NUMBER, "mean": NUMBER, "stddev": NUMBER, "N": NUMBER}


class OutputError(Exception):
    def __init__(self, errors):
        super().__init__("\n".join(errors))
        self.errors = errors


def _typed(v, t):
    return isinstance(v, t) and not isinstance(v, bool)


def check_job_object(obj, where):
    """The fields of a fio 3.33 job object, present and of their types; a
    list of problems, each naming the field."""
    bad = []
    if not isinstance(obj, dict):
        return [f"{where}: not a JSON object"]
    for k, t in JOB_FIELDS.items():
        if k not in obj:
            bad.append(f"{where}: no '{k}'")
        elif not _typed(obj[k], t):
            bad.append(f"{where}: '{k}' is {type(obj[k]).__name__}")
    for d in DDIRS:
        dd = obj.get(d)
        if not isinstance(dd, dict):
            continue
        for k, t in DDIR_FIELDS.items():
            if k not in dd:
                bad.append(f"{where}: no '{d}.{k}'")
            elif not _typed(dd[k], t):
                bad.append(f"{where}: '{d}.{k}' is {type(dd[k]).__name__}")
        for lat in LAT_KEYS:
            st = dd.get(lat)
            if not isinstance(st, dict):
                continue
            for k, t in STAT_FIELDS.items():
                if not _typed(st.get(k), t):
                    bad.append(f"{where}: '{d}.{lat}.{k}' missing or not a number")
            for sub in ("percentile", "bins"):
                if sub in st and not (isinstance(st[sub], dict) and all(
                        _typed(v, NUMBER) for v in st[sub].values())):
                    bad.append(f"{where}: '{d}.{lat}.{sub}' is not an object of numbers")
            if "bins" in st and isinstance(st["bins"], dict):
                for key in st["bins"]:
                    if not key.isdigit():
                        bad.append(f"{where}: '{d}.{lat}.bins' has the key '{key}', not a "
                                   "latency in ns")
                        break
    sync = obj.get("sync")
    if isinstance(sync, dict):
        if not _typed(sync.get("total_ios"), NUMBER) or not isinstance(sync.get("lat_ns"), dict):
            bad.append(f"{where}: 'sync' lacks total_ios or lat_ns")
    return bad


def parse_serial(text):
    """The kernel's lines: ([(lineno, job object)], [(lineno, file, line)],
    result or None, [problems])."""
    objects, logs, problems = [], [], []
    result = None
    for n, line in enumerate(text.splitlines(), 1):
        line = line.replace("\r", "")
        m = FIO_LINE.search(line)
        if m:
            try:
                obj = json.loads(m.group(1))
            except ValueError as e:
                problems.append(f"serial line {n}: a FIO line that is not JSON ({e})")
                continue
            objects.append((n, obj))
            continue
        m = FIOLOG_LINE.search(line)
        if m:
            logs.append((n, m.group(1), m.group(2)))
            continue
        m = RESULT_LINE.search(line)
        if m:
            result = (m.group(1), m.group(2).strip())
    return objects, logs, result, problems


def expected_reports(plan):
    """The job objects fio would write for the plan, in order, as fio's
    __show_run_stats groups threads: every numjobs copy is a thread; a new
    reporting group starts at a stonewall or new_group that follows a job;
    a thread with group_reporting joins the report before it when that
    report is of its group. Each: {name, groupid, members, job}, job being
    the plan entry of the last thread (fio takes "job options" from it)."""
    out = []
    groupid, in_group = 0, 0
    last = None
    for j in plan["jobs"]:
        if (j.get("stonewall") or j.get("new_group")) and in_group:
            groupid += 1
            in_group = 0
        in_group += 1
        for _ in range(j["numjobs"]):
            if last is not None and j["group_reporting"] and last["groupid"] == groupid:
                last["members"] += 1
                last["job"] = j
                continue
            last = {"name": j["name"], "groupid": groupid, "members": 1, "job": j}
            out.append(last)
    return out


def drop_bins(obj):
    for d in DDIRS + ("sync",):
        dd = obj.get(d)
        if not isinstance(dd, dict):
            continue
        for lat in LAT_KEYS:
            if isinstance(dd.get(lat), dict):
                dd[lat].pop("bins", None)


def build_document(plan, objects, fmt, now=None):
    """fio's JSON document from the kernel's job objects. OutputError lists
    every problem."""
    problems = []
    expected = expected_reports(plan)
    if len(objects) != len(expected):
        names = ", ".join(f"{e['name']} (group {e['groupid']})" for e in expected)
        problems.append(f"the job file makes {len(expected)} report{'s' if len(expected) != 1 else ''} "
                        f"({names}) but the kernel printed {len(objects)} FIO line"
                        f"{'s' if len(objects) != 1 else ''}")
    jobs = []
    for (n, obj), exp in zip(objects, expected):
        where = f"serial line {n}"
        bad = check_job_object(obj, where)
        if bad:
            problems += bad
            continue
        if obj["jobname"] != exp["name"] or obj["groupid"] != exp["groupid"]:
            problems.append(f"{where}: a report of '{obj['jobname']}' (group {obj['groupid']}) "
                            f"where the job file has '{exp['name']}' (group {exp['groupid']})")
            continue
        obj = dict(obj)
        opts = exp["job"]["job_options"]
        # fio writes "job options" right after "elapsed", and not at all for
        # a section without options.
        rebuilt = {}
        for k, v in obj.items():
            if k == "job options":
                continue
            rebuilt[k] = v
            if k == "elapsed" and opts:
                rebuilt["job options"] = dict(opts)
        if opts and "job options" not in rebuilt:
            rebuilt["job options"] = dict(opts)
        if fmt == "json":
            drop_bins(rebuilt)
        jobs.append(rebuilt)
    if problems:
        raise OutputError(problems)
    now = time.time() if now is None else now
    doc = {
        "fio version": f"{VERSION} ({SCHEMA} schema)",
        "timestamp": int(now),
        "timestamp_ms": int(now * 1000),
        "time": time.strftime("%a %b %e %H:%M:%S %Y", time.localtime(now)),
    }
    if plan["global_options"]:
        doc["global options"] = dict(plan["global_options"])
    doc["jobs"] = jobs
    # This kernel keeps no per-disk tick counts, so there is nothing true to
    # put in fio's disk_util entries; fio leaves the list empty too when it
    # cannot read a disk's statistics.
    if plan.get("disk_util", True):
        doc["disk_util"] = []
    return doc


def dumps(doc):
    """JSON as fio writes it: two-space indents, "key" : value."""
    return json.dumps(doc, indent=2, separators=(",", " : ")) + "\n"


# ---------------------------------------------------------------------------
# Logs


def log_files(plan):
    """The log file names the plan's jobs may write: {kernel name: host name}
    patterns as (regex, per_job_logs)."""
    pats = []
    for j in plan["jobs"]:
        for kind, prefix in j["log_prefixes"].items():
            types = "|".join(LOG_TYPES[kind])
            pats.append((re.compile(re.escape(prefix) + rf"_({types})\.(\d+)\.log"), j["per_job_logs"]))
    return pats


def write_logs(plan, logs, log_dir):
    """FIOLOG lines to fio's log files; returns (files written, problems)."""
    pats = log_files(plan)
    written, problems, handles = [], [], {}
    try:
        for n, name, line in logs:
            for pat, per_job in pats:
                m = pat.fullmatch(name)
                if m:
                    break
            else:
                problems.append(f"serial line {n}: FIOLOG for '{name}', a log no job of the job "
                                "file writes")
                continue
            if not LOG_SAMPLE.fullmatch(line):
                problems.append(f"serial line {n}: FIOLOG {name}: '{line}' is not a fio log line "
                                "(time, value, direction, block size[, offset][, priority])")
                continue
            # per_job_logs=0: fio writes one file per prefix and type.
            host = name if per_job else name[:m.start(2) - 1] + ".log"
            if host not in handles:
                path = os.path.join(log_dir, host)
                os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
                handles[host] = open(path, "w")
                written.append(path)
            handles[host].write(line + "\n")
    finally:
        for h in handles.values():
            h.close()
    return written, problems


# ---------------------------------------------------------------------------
# fio's normal output


def num2str(num, maxlen, base=1, pow2=False, unit=""):
    """fio's lib/num2str.c: at most maxlen digits, a unit prefix, rounding
    with fio's carry."""
    sistr = ["", "k", "M", "G", "T", "P", "E"]
    iecstr = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
    prefixes = iecstr if pow2 else sistr
    thousand = 1024 if pow2 else 1000
    num = int(num)
    post = 0
    while base > 1:
        base //= thousand
        post += 1
    modulo, carry = None, False
    while post < len(sistr):
        if len(str(num)) <= maxlen:
            break
        modulo = num % thousand
        num //= thousand
        carry = modulo >= thousand // 2
        post += 1
    if post >= len(sistr):
        post = 0
    if modulo is None:
        return f"{num}{prefixes[post]}{unit}"
    room = maxlen - len(str(num))
    if room <= 1:
        if carry:
            num += 1
        return f"{num}{prefixes[post]}{unit}"
    frac = "%.*f" % (room - 1, modulo / thousand)
    if frac[0] == "1":
        num += 1
    return f"{num}.{frac[2:]}{prefixes[post]}{unit}"


def _display_lat(name, st):
    mn, mx, mean, dev = int(st["min"]), int(st["max"]), float(st["mean"]), float(st["stddev"])
    base = "(nsec)"
    if mn > 2000000 and mx > 99999999 and dev > 1000000.0:
        mn, mx, mean, dev, base = mn // 1000000, mx // 1000000, mean / 1e6, dev / 1e6, "(msec)"
    elif mn > 2000 and mx > 99999 and dev > 1000.0:
        mn, mx, mean, dev, base = mn // 1000, mx // 1000, mean / 1e3, dev / 1e3, "(usec)"
    return (f"    {name} {base}: min={num2str(mn, 6)}, max={num2str(mx, 6)}, "
            f"avg={mean:5.02f}, stdev={dev:5.02f}\n")


def _percentiles(name, pct, precision):
    items = sorted(((float(k), int(v)) for k, v in pct.items()), key=lambda kv: kv[0])
    if not items:
        return ""
    vals = [v for _, v in items]
    minv, maxv = min(vals), max(vals)
    if minv > 2000000 and maxv > 99999999:
        scale, unit = 2, "msec"
    elif minv > 2000 and maxv > 99999:
        scale, unit = 1, "usec"
    else:
        scale, unit = 0, "nsec"
    divisor = 1000 ** scale
    width = max(5, int(math.log10(maxv // divisor) + 1) if maxv // divisor > 0 else 1)
    per_line = (80 - 7) // (precision + 10 + width)
    out = [f"    {name} percentiles ({unit}):\n     |"]
    for j, (p, v) in enumerate(items):
        if j and j % per_line == 0:
            out.append("     |")
        for _ in range(scale):
            v = (v + 999) // 1000
        last = j == len(items) - 1
        out.append(" %*.*fth=[%*d]%s" % (precision + 3, precision, p, width, v,
                                         "\n" if last else ","))
        if not last and j % per_line == per_line - 1:
            out.append("\n")
    return "".join(out)


def _show_lat(values, ranges, unit):
    out, line, new_line, shown = [], 0, True, False
    for r, v in zip(ranges, values):
        if v <= 0.0:
            continue
        shown = True
        if new_line:
            if line:
                out.append("\n")
            out.append(f"  lat ({unit})   : ")
            new_line, line = False, 0
        if line:
            out.append(", ")
        out.append(f"{r}={v:3.2f}%")
        line += 1
        if line == 5:
            new_line = True
    if shown:
        out.append("\n")
    return "".join(out)


def _dist(d, keys):
    return [float(d.get(k, 0.0)) for k in keys]


def render_normal(doc, reports, precisions, kb_base=1024):
    """fio's normal (human) report of the document's jobs, then its
    "Run status group" lines."""
    i2p = kb_base == 1024
    out = ["\n"]  # fio starts its report with an empty line
    when = time.strftime("%a %b %e %H:%M:%S %Y", time.localtime(doc["timestamp"]))
    runstats = {}
    for job, rep, prec in zip(doc["jobs"], reports, precisions):
        rs = runstats.setdefault(job["groupid"], {d: {"min_run": 0, "max_run": 0, "min_bw": None,
                                                      "max_bw": 0, "io": 0} for d in DDIRS})
        for d in DDIRS:
            dd, r = job[d], rs[d]
            if not dd["runtime"]:
                continue
            rt = int(dd["runtime"])
            r["min_run"] = rt if not r["min_run"] or rt < r["min_run"] else r["min_run"]
            r["max_run"] = max(r["max_run"], rt)
            bw = int(dd["io_bytes"]) * 1000 // rt
            r["min_bw"] = bw if r["min_bw"] is None else min(r["min_bw"], bw)
            r["max_bw"] = max(r["max_bw"], bw)
            r["io"] += int(dd["io_bytes"])
    for rs in runstats.values():
        for r in rs.values():
            r["agg"] = r["io"] * 1000 // r["max_run"] if r["max_run"] else 0

    for job, rep, prec in zip(doc["jobs"], reports, precisions):
        total_bytes = sum(int(job[d]["io_bytes"]) for d in DDIRS)
        total_ios = sum(int(job[d]["total_ios"]) for d in DDIRS)
        if not total_bytes and not total_ios:
            continue
        err = job["error"]
        out.append(f"{job['jobname']}: (groupid={job['groupid']}, jobs={rep['members']}): "
                   f"err={err:2d}: pid=0: {when}\n")
        rs = runstats[job["groupid"]]
        for d in DDIRS:
            dd = job[d]
            if not dd["io_bytes"] or not dd["runtime"]:
                continue
            rt = int(dd["runtime"])
            bw = 1000 * int(dd["io_bytes"]) // rt
            iops = 1000 * int(dd["total_ios"]) // rt
            out.append(f"  {d}: IOPS={num2str(iops, 4)}, BW={num2str(bw, 4, 1, i2p, 'B/s')} "
                       f"({num2str(bw, 4, 1, not i2p, 'B/s')})"
                       f"({num2str(int(dd['io_bytes']), 4, 1, i2p, 'B')}/{rt}msec)"
                       f"{'; 0 zone resets' if d == 'write' else ''}\n")
            for lat, label in (("slat_ns", "slat"), ("clat_ns", "clat"), ("lat_ns", " lat")):
                if dd[lat]["N"]:
                    out.append(_display_lat(label, dd[lat]))
            for lat, label in (("slat_ns", "slat"), ("clat_ns", "clat"), ("lat_ns", "lat")):
                if "percentile" in dd[lat] and dd[lat]["N"]:
                    out.append(_percentiles(label, dd[lat]["percentile"], prec))
            if dd["bw_samples"]:
                mn, mx, mean, dev = int(dd["bw_min"]), int(dd["bw_max"]), float(dd["bw_mean"]), \
                    float(dd["bw_dev"])
                agg = rs[d]["agg"]
                per = min(100.0, mean * 100.0 / (agg / 1024.0)) if agg > 1024 else 100.0
                unit = "KiB" if i2p else "kB"
                if mean > kb_base * kb_base:
                    mn, mx, mean, dev, unit = int(mn / kb_base), int(mx / kb_base), mean / kb_base, \
                        dev / kb_base, "MiB"
                out.append(f"   bw ({unit:>5}/s): min={mn:5d}, max={mx:5d}, per={per:3.2f}%, "
                           f"avg={mean:5.02f}, stdev={dev:5.02f}, samples={int(dd['bw_samples'])}\n")
            if dd["iops_samples"]:
                out.append(f"   iops        : min={int(dd['iops_min']):5d}, max={int(dd['iops_max']):5d}, "
                           f"avg={float(dd['iops_mean']):5.02f}, stdev={float(dd['iops_stddev']):5.02f}, "
                           f"samples={int(dd['iops_samples'])}\n")
        ranges = ["2", "4", "10", "20", "50", "100", "250", "500", "750", "1000"]
        out.append(_show_lat(_dist(job["latency_ns"], ranges), ranges, "nsec"))
        out.append(_show_lat(_dist(job["latency_us"], ranges), ranges, "usec"))
        mranges = ranges + ["2000", ">=2000"]
        out.append(_show_lat(_dist(job["latency_ms"], mranges), mranges, "msec"))
        sync = job["sync"]
        if sync["total_ios"] and sync["lat_ns"].get("N"):
            out.append("  fsync/fdatasync/sync_file_range:\n")
            out.append(_display_lat("sync", sync["lat_ns"]))
            if "percentile" in sync["lat_ns"]:
                out.append(_percentiles("sync", sync["lat_ns"]["percentile"], prec))
        out.append(f"  cpu          : usr={float(job['usr_cpu']):3.2f}%, sys={float(job['sys_cpu']):3.2f}%, "
                   f"ctx={int(job['ctx'])}, majf={int(job['majf'])}, minf={int(job['minf'])}\n")
        depth = _dist(job["iodepth_level"], ["1", "2", "4", "8", "16", "32", ">=64"])
        out.append("  IO depths    : 1=%3.1f%%, 2=%3.1f%%, 4=%3.1f%%, 8=%3.1f%%, 16=%3.1f%%, "
                   "32=%3.1f%%, >=64=%3.1f%%\n" % tuple(depth))
        for label, key in (("submit", "iodepth_submit"), ("complete", "iodepth_complete")):
            dist = _dist(job[key], ["0", "4", "8", "16", "32", "64", ">=64"])
            out.append(f"     {label:<9} : 0=%3.1f%%, 4=%3.1f%%, 8=%3.1f%%, 16=%3.1f%%, 32=%3.1f%%, "
                       "64=%3.1f%%, >=64=%3.1f%%\n" % tuple(dist))
        tot = [int(job[d]["total_ios"]) for d in DDIRS] + [int(sync["total_ios"])]
        short = [int(job[d]["short_ios"]) for d in DDIRS]
        drop = [int(job[d]["drop_ios"]) for d in DDIRS]
        out.append("     issued rwts: total=%d,%d,%d,%d short=%d,%d,%d,0 dropped=%d,%d,%d,0\n"
                   % tuple(tot + short + drop))
        if job["latency_depth"]:
            out.append(f"     latency   : target={int(job['latency_target'])}, "
                       f"window={int(job['latency_window'])}, "
                       f"percentile={float(job['latency_percentile']):.2f}%, "
                       f"depth={int(job['latency_depth'])}\n")
        ss = job.get("steadystate")
        if isinstance(ss, dict) and isinstance(ss.get("data"), dict):
            data = ss["data"]
            bw_mean = int(data.get("bw_mean", 0))
            crit = str(ss.get("ss", ""))
            out.append(f"  steadystate  : attained={'yes' if ss.get('attained') else 'no'}, "
                       f"bw={num2str(bw_mean // kb_base, 4, kb_base, i2p, 'B/s')} "
                       f"({num2str(bw_mean // kb_base, 4, kb_base, not i2p, 'B/s')}), "
                       f"iops={num2str(int(data.get('iops_mean', 0)), 4)}, "
                       f"{'iops' if crit.startswith('iops') else 'bw'}"
                       f"{' slope' if '_slope' in crit else ' mean dev'}="
                       f"{_criterion(ss.get('criterion'))}\n")
    for gid in sorted(runstats):
        out.append(f"\nRun status group {gid} (all jobs):\n")
        for d, label in zip(DDIRS, ("   READ", "  WRITE", "   TRIM")):
            r = runstats[gid][d]
            if not r["max_run"]:
                continue
            out.append(f"{label}: bw={num2str(r['agg'], 4, 1, i2p, 'B/s')} "
                       f"({num2str(r['agg'], 4, 1, not i2p, 'B/s')}), "
                       f"{num2str(r['min_bw'], 4, 1, i2p, 'B/s')}-{num2str(r['max_bw'], 4, 1, i2p, 'B/s')} "
                       f"({num2str(r['min_bw'], 4, 1, not i2p, 'B/s')}-"
                       f"{num2str(r['max_bw'], 4, 1, not i2p, 'B/s')}), "
                       f"io={num2str(r['io'], 4, 1, i2p, 'B')} ({num2str(r['io'], 4, 1, not i2p, 'B')}), "
                       f"run={r['min_run']}-{r['max_run']}msec\n")
    return "".join(out)


def _criterion(text):
    t = str(text or "0")
    pct = t.endswith("%")
    try:
        return f"{float(t.rstrip('%')):.3f}{'%' if pct else ''}"
    except ValueError:
        return t


def precision_of(job):
    """fio's percentile_precision: the most digits after a '.' in the
    job's percentile_list (2 for fio's default list)."""
    text = job.get("percentile_list")
    if not text:
        return 2
    return max((len(p.split(".", 1)[1]) if "." in p else 0) for p in text.split(":"))


# ---------------------------------------------------------------------------


def report_main(args, log):
    fmt = args.output_format
    if fmt not in ("normal", "json", "json+"):
        log(f"--output-format={fmt}: expected normal, json or json+")
        return 2
    try:
        with open(args.plan) as f:
            plan = json.load(f)
        with open(args.serial, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except (OSError, ValueError) as e:
        log(f"cannot read {getattr(e, 'filename', None) or args.plan}: {e}")
        return 1
    objects, logs, result, problems = parse_serial(text)
    log_dir = args.log_dir or (os.path.dirname(os.path.abspath(args.output)) if args.output else ".")
    written, log_problems = write_logs(plan, logs, log_dir)
    problems += log_problems
    status = 0
    try:
        doc = build_document(plan, [(n, o) for n, o in objects], "json" if fmt == "normal" else fmt)
    except OutputError as e:
        problems += e.errors
        doc = None
    for p in problems:
        log(p)
    if doc is None:
        if result and result[0] == "FAIL":
            log(f"the kernel reported FAIL {result[1]}".rstrip())
        return 1
    if problems:
        status = 1
    if fmt == "normal":
        reps = expected_reports(plan)
        text = render_normal(doc, reps, [precision_of(r["job"]) for r in reps])
    else:
        text = dumps(doc)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        import sys
        sys.stdout.write(text)
        sys.stdout.flush()
    if written:
        log(f"wrote {len(written)} log file{'s' if len(written) != 1 else ''} in {log_dir}")
    if any(j.get("error") for j in doc["jobs"]):
        status = 1
    return status
