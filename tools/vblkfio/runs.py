# SPDX-License-Identifier: MIT
"""fio's output for any run of the kernel, as tools/bench keeps it: the
plan of a plain command line (jobs written as kernel words, not as a job
file), the JSON document and log files of one boot written into a
directory, and a gnuplot plot of IOPS and latency over time from the logs."""

import glob
import os
import re
import shutil
import subprocess

from . import output

LOG_NAME = re.compile(r"(.+)_(iops|lat)\.(\d+)\.log$")


def plan_from_words(words):
    """The plan tools/fio-job report takes, for kernel words: jobs split at
    a lone "--" (it waits for those before it) or "++" (it starts with the
    one before), each job's options its own words, as fio's "job options"
    are a section's. Disk settings (vda.KEY=V) and md devices hold from
    boot and are no job's. A job without name= is jobN, as the kernel names
    it (N its place on the command line)."""
    groups, cur, pending = [], [], None
    for w in list(words) + [None]:
        if w not in ("--", "++", None):
            cur.append(w)
            continue
        if cur:
            groups.append((pending, cur))
            cur, pending = [], None
        # Separators in a row: a "--" among them wins, as in the kernel.
        if w is not None and groups:
            pending = "--" if "--" in (pending, w) else "++"
    
    jobs = []
    for n, (sep, group) in enumerate(groups, 1):
        opts = {}
        for w in group:
            key, eq, value = w.partition("=")
            if "." in key or re.fullmatch(r"md\d", key):
                continue
            opts[key] = value
        logs = {kind: opts[key] or opts.get("name", f"job{n}")
                for kind, key in (("iops", "write_iops_log"), ("bw", "write_bw_log"),
                                  ("lat", "write_lat_log")) if key in opts}
        jobs.append({
            "section": opts.get("name", f"job{n}"), "name": opts.get("name", f"job{n}"),
            "index": n, "job_options": {k: v for k, v in opts.items() if v != ""},
            "numjobs": int(opts.get("numjobs", "1")),
            "stonewall": sep == "--" or "stonewall" in opts or "wait_for_previous" in opts,
            "new_group": "new_group" in opts,
            "percentile_list": opts.get("percentile_list"),
            "group_reporting": "group_reporting" in opts and opts["group_reporting"] != "0",
            "log_prefixes": logs, "per_job_logs": True, "disk": opts.get("filename", "vda"),
        })
    return {"jobfile": None, "global_options": {}, "disk_util": True, "jobs": jobs}


def write_results(serial, plan, out_dir, fmt="json+"):
    """fio's document (fio.json) and log files of one boot's serial output
    into out_dir. Returns (document path or None, log paths, problems)."""
    os.makedirs(out_dir, exist_ok=True)
    objects, logs, _, problems = output.parse_serial(serial)
    written, log_problems = output.write_logs(plan, logs, out_dir)
    problems += log_problems
    try:
        doc = output.build_document(plan, objects, fmt)
    except output.OutputError as e:
        return None, written, problems + e.errors
    path = os.path.join(out_dir, "fio.json")
    with open(path, "w") as f:
        f.write(output.dumps(doc))
    return path, written, problems


def _gp(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def time_plot(log_dir, png, title):
    """IOPS (above) and mean latency (below) over each job's time, one line
    per log file, from the *_iops.N.log and *_lat.N.log files in log_dir.
    Returns None when it was drawn, else why not."""
    series = {"iops": [], "lat": []}
    for path in sorted(glob.glob(os.path.join(log_dir, "*.log"))):
        m = LOG_NAME.match(os.path.basename(path))
        if m and os.path.getsize(path):
            series[m.group(2)].append((f"{m.group(1)}.{m.group(3)}", path))
    if not series["iops"] and not series["lat"]:
        return "no IOPS or latency logs"
    if not shutil.which("gnuplot"):
        return "gnuplot not found (tools/install-deps bench)"
    panels = [(kind, items) for kind, items in (("iops", series["iops"]), ("lat", series["lat"]))
              if items]
    lines = ["set terminal pngcairo size 900,%d font 'sans,10'" % (300 * len(panels) + 60),
             f"set output {_gp(png)}", "set datafile separator ','",
             f"set multiplot layout {len(panels)},1 title {_gp(title)}",
             "set grid", "set key outside right", "set xlabel 'time in the job (s)'"]
    for kind, items in panels:
        if kind == "iops":
            lines.append("set ylabel 'IOPS'")
            col = "2"
        else:
            # fio logs latency in nanoseconds; microseconds read better.
            lines.append("set ylabel 'latency, mean (us)'")
            col = "($2/1000.0)"
        plots = [f"{_gp(p)} using ($1/1000.0):{col} with linespoints pt 7 ps 0.5 title {_gp(t)}"
                 for t, p in items]
        lines.append("plot " + ", \\\n     ".join(plots))
    lines.append("unset multiplot")
    script = png[:-4] + ".gp"
    with open(script, "w") as f:
        f.write("\n".join(lines) + "\n")
    r = subprocess.run(["gnuplot", script], capture_output=True, text=True)
    if r.returncode != 0:
        return f"gnuplot failed on {script}: {r.stderr.strip()[-300:]}"
    return None


# ---------------------------------------------------------------------------
# tools/bench's side: a suite's fio = JOBFILE, the logs every job of ours
# writes, and the outputs of a boot.


def suite_fio(config, value, suite):
    """A suite's fio = JOBFILE: (its path, the rows our kernel will report
    as bench jobs: one per numjobs copy, in the kernel's order, with the
    path variant the job asks for, the seconds its timed phases take).
    ValueError names what is wrong."""
    from . import cli, jobfile
    path = None
    for cand in (value, os.path.join(os.path.dirname(os.path.abspath(suite)), value),
                 os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
                     os.path.abspath(__file__)))), value)):
        if os.path.isfile(cand):
            path = os.path.abspath(cand)
            break
    if path is None:
        raise ValueError(f"[{config}]: fio = {value}: no such job file")
    try:
        js = jobfile.translate(path, jobfile.Machine(disks={"vda": None}))
    except jobfile.JobFileError as e:
        more = f" (and {len(e.errors) - 1} more)" if len(e.errors) > 1 else ""
        raise ValueError(f"[{config}]: {e.errors[0]}{more}")
    jobs = []
    for j in js.jobs:
        k = j.kernel
        if k.get("path") == "mq":
            variant = "mq-deadline" if k.get("sched") == "mq-deadline" else "mq"
        else:
            variant = {"raw": "raw", "bio": "bio"}.get(k.get("path"),
                                                       "noop" if k.get("sched") == "noop" else "deadline")
        spec = {key: v for key, v in k.items() if key != "name" and v is not None}
        jobs += [{"variant": variant, "spec": spec}] * int(k.get("numjobs", "1"))
    return path, jobs, cli.seconds_of(js)


def log_words(spec, variant, msec):
    """The IOPS and latency logs a job of ours writes, named after what it
    does (bio-randread-4k-qd32)."""
    name = re.sub(r"[^A-Za-z0-9_.+-]", "_", f"{variant}-{spec.get('rw', 'read')}-"
                                              f"{spec.get('bs', '4k')}-qd{spec.get('iodepth', '1')}")
    return {"write_iops_log": name, "write_lat_log": name, "log_avg_msec": str(msec)}


def boot_outputs(fio_file, words, serial, fio_dir, png, title):
    """After a boot of ours: fio's document and logs in fio_dir (tools/run
    --fio wrote them already for a job file), and the plot over time.
    Returns (document or None, plot or None, problems)."""
    problems = []
    if fio_file:
        doc = os.path.join(fio_dir, "fio.json")
        doc = doc if os.path.exists(doc) else None
    else:
        doc, _, problems = write_results(serial, plan_from_words(words), fio_dir)
    os.makedirs(os.path.dirname(png), exist_ok=True)
    why = time_plot(fio_dir, png, title)
    if why:
        problems.append(f"no plot over time: {why}")
    return doc, (png if why is None else None), problems
