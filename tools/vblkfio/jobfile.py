# SPDX-License-Identifier: MIT
"""fio job files in: fio's INI format read as fio 3.33 reads it, checked
whole, and turned into this kernel's command line.

The reading follows fio's init.c: whole-line comments start with ';' or
'#', and either character ends an option line too; a section whose name
starts with "global" sets defaults for the job sections after it (there
may be several); `include FILE` inside a section reads FILE's lines as
options of that section (FILE relative to the current directory if it is
there, else to the including file); `${VAR}` is the environment variable
VAR (empty when unset) and $pagesize, $mb_memory and $ncpus are the
guest's, with arithmetic after them as fio does it through bc.

Every error of the whole file is collected and reported together, each
naming the file, line, section and key, before anything runs."""

import os
import random
import re

from . import keys as K
from .numbers import NumberError

PAGE_SIZE = 4096
MAX_INCLUDE_DEPTH = 16


class JobFileError(Exception):
    def __init__(self, errors):
        super().__init__("\n".join(errors))
        self.errors = errors


class Option:
    """One key=value line of a section (value None for a bare key)."""

    def __init__(self, key, value, raw, file, line, section):
        self.key, self.value, self.raw = key, value, raw
        self.file, self.line, self.section = file, line, section
        entry = K.lookup(key)
        self.canon = entry.name if entry else key
        self.entry = entry

    def where(self):
        return f"{self.file}:{self.line}: [{self.section}] {self.key}"


class Section:
    def __init__(self, name, file, line):
        self.name, self.file, self.line = name, file, line
        self.options = []
        # fio: any section whose name starts with "global" is a global one.
        self.is_global = name.startswith("global")


class Machine:
    """What the caller knows of the machine the jobs will run on."""

    def __init__(self, disks=None, mem_mb=128, ncpus=1, extra_words=(), logs_msec=None):
        self.disks = disks  # {name: size in bytes or None}, None: unknown
        self.mem_mb = mem_mb
        self.ncpus = ncpus
        self.extra_words = list(extra_words)  # kernel words given beside the job file
        # IOPS and latency logs averaged over this many ms for every job
        # that asks for none (tools/bench plots them), None: as written.
        self.logs_msec = logs_msec


# ---------------------------------------------------------------------------
# Reading


def _cut_comment(text):
    """fio's strip_blank_end: a ';' or '#' anywhere ends the line."""
    for c in ";#":
        i = text.find(c)
        if i >= 0:
            text = text[:i]
    return text.rstrip()


def _is_empty_or_comment(text):
    s = text.lstrip()
    return not s or s[0] in ";#"


_ENV_RE = re.compile(r"\$\{([^}]+)\}")


def substitute(text, env, keywords):
    """fio's fio_option_dup_subs and fio_keyword_replace: ${VAR}, then the
    $pagesize, $mb_memory and $ncpus keywords, then arithmetic if a keyword
    was replaced and the value holds an operator (fio hands it to bc, whose
    default scale gives whole numbers)."""
    text = _ENV_RE.sub(lambda m: env.get(m.group(1), ""), text)
    replaced = False
    for word, value in keywords.items():
        if word in text:
            text = text.replace(word, str(value))
            replaced = True
    if replaced and "=" in text and any(op in text for op in "+-*/") and "'" not in text:
        key, _, val = text.partition("=")
        if re.fullmatch(r"[\s0-9+\-*/()]+", val):
            try:
                text = f"{key}={_bc(val)}"
            except (ValueError, ZeroDivisionError, SyntaxError):
                raise ValueError(f"cannot work out '{val.strip()}'")
    return text


def _bc(expr):
    """Integer arithmetic as bc does it with scale=0 (truncating division)."""
    tokens = re.findall(r"\d+|[-+*/()]", expr)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def atom():
        t = take() if peek() is not None else None
        if t == "(":
            v = add()
            if take() != ")":
                raise ValueError
            return v
        if t == "-":
            return -atom()
        if t is None or not t.isdigit():
            raise ValueError
        return int(t)

    def mul():
        v = atom()
        while peek() in ("*", "/"):
            op, r = take(), atom()
            v = v * r if op == "*" else int(v / r)
        return v

    def add():
        v = mul()
        while peek() in ("+", "-"):
            op, r = take(), mul()
            v = v + r if op == "+" else v - r
        return v

    v = add()
    if pos != len(tokens):
        raise ValueError
    return v


def read_jobfile(path, env=None, machine=None):
    """The sections of a job file, in order; JobFileError lists every
    problem of the reading itself."""
    env = os.environ if env is None else env
    machine = machine or Machine()
    keywords = {"$pagesize": PAGE_SIZE, "$mb_memory": machine.mem_mb, "$ncpus": machine.ncpus}
    sections, errors = [], []

    def read_lines(file, where):
        try:
            with open(file, encoding="utf-8", errors="replace") as f:
                return f.read().splitlines()
        except OSError as e:
            errors.append(f"{where}cannot read job file '{file}': {e.strerror}")
            return None

    def add_options(file, lines, section, depth, stack):
        for n, line in enumerate(lines, 1):
            if _is_empty_or_comment(line):
                continue
            text = _cut_comment(line.strip())
            if not text:
                continue
            if text.startswith("["):
                errors.append(f"{file}:{n}: a new section in an included file "
                              f"(fio takes none there)")
                return
            if _handle_line(file, n, text, section, depth, stack):
                continue

    def _handle_line(file, n, text, section, depth, stack):
        if text.startswith("include"):
            inc = text[len("include") + 1:].strip() if len(text) > len("include") else ""
            if not inc or text[len("include")] not in " \t":
                errors.append(f"{file}:{n}: [{section.name}] expected 'include FILE'")
                return True
            target = inc
            # fio: relative to the current directory when it is there, else
            # to the including file's directory.
            if not os.path.isabs(inc) and not os.path.exists(inc):
                target = os.path.join(os.path.dirname(file), inc)
            if depth >= MAX_INCLUDE_DEPTH or os.path.abspath(target) in stack:
                errors.append(f"{file}:{n}: [{section.name}] include {inc}: included from itself")
                return True
            lines = read_lines(target, f"{file}:{n}: [{section.name}] ")
            if lines is not None:
                add_options(target, lines, section, depth + 1, stack + [os.path.abspath(target)])
            return True
        try:
            text = substitute(text, env, keywords)
        except ValueError as e:
            errors.append(f"{file}:{n}: [{section.name}] {e}")
            return True
        key, eq, raw = text.partition("=")
        key = key.strip()
        if not key:
            errors.append(f"{file}:{n}: [{section.name}] an option without a key: '{text}'")
            return True
        value = raw.strip() if eq else None
        section.options.append(Option(key, value, raw if eq else None, file, n, section.name))
        return True

    lines = read_lines(path, "")
    if lines is None:
        raise JobFileError(errors)
    section = None
    for n, line in enumerate(lines, 1):
        if _is_empty_or_comment(line):
            continue
        text = _cut_comment(line.strip())
        if not text:
            continue
        if text.startswith("["):
            if not text.endswith("]") or len(text) < 3:
                errors.append(f"{path}:{n}: expected a section header '[NAME]', got '{text}'")
                section = Section("?", path, n)
                continue
            name = text[1:-1]
            if len(name) > 255:
                errors.append(f"{path}:{n}: a section name longer than 255 characters")
            section = Section(name, path, n)
            sections.append(section)
            continue
        if section is None:
            errors.append(f"{path}:{n}: option '{text}' outside of any [section] (as fio, "
                          "every option belongs to [global] or a job)")
            continue
        _handle_line(path, n, text, section, 0, [os.path.abspath(path)])
    if errors:
        raise JobFileError(errors)
    return sections


# ---------------------------------------------------------------------------
# Checking and translating

DISK_RE = re.compile(r"(?:/dev/)?(vd[a-z]+)([1-4])?$")
MD_RE = re.compile(r"(?:/dev/)?(md[0-9])$")
OWN_DISK_KEY_RE = re.compile(r"(vd[a-z]+|md[0-9])\.([a-z_]+)$")
MD_DEF_RE = re.compile(r"md[0-9]$")
# Disk settings: two jobs running at the same time on one disk must agree.
DISK_SETTINGS = ("path", "sched", "queue_depth", "poll_us") + K.SCHED_TUNABLES


class Job:
    """One job section with the [global] defaults before it applied."""

    def __init__(self, section, index, globals_):
        self.section = section
        self.index = index  # 1-based, fio's job number
        self.name = section.name
        self.opts = {}  # canonical key -> Option, the last one wins
        for o in globals_ + section.options:
            self.opts[o.canon] = o
        # fio 3.33 adds each filename to those before it (the [global] one
        # and the section's are two files of one job) instead of replacing it.
        self.filenames = [o for o in globals_ + section.options if o.canon == "filename"]
        self.words = []  # the kernel's key=value words
        self.kernel = {}  # canonical kernel key -> kernel value
        self.stonewall = False
        self.disk = None  # the disk name on the kernel's line
        self.lower = []  # the disks whose queues do the work
        self.log_prefixes = {}  # "iops"/"bw"/"lat" -> prefix
        self.per_job_logs = True


class JobSet:
    def __init__(self, path):
        self.path = path
        self.sections = []
        self.globals = []  # every option of every global section, in order
        self.jobs = []
        self.machine_words = []
        self.notes = []  # warnings fio would print too
        self.ignored = {}  # "key[=value]" -> first place
        self.disk_util = True
        self.kb_base = 1024

    # The kernel's command line: machine words, then the jobs, a lone "--"
    # before a job that waits for every one before it (fio's stonewall) and
    # a lone "++" before one that starts with the previous.
    def cmdline_words(self):
        words = list(self.machine_words)
        for i, j in enumerate(self.jobs):
            if i:
                words.append("--" if j.stonewall else "++")
            words += j.words
        return words

    def cmdline(self):
        return " ".join(self.cmdline_words())

    def job_options(self, job):
        return fio_option_dump(job.section.options)

    def global_options(self):
        return fio_option_dump(self.globals)


def fio_option_dump(options):
    """The "job options"/"global options" object as fio writes it: every
    option with a value, as it was written after the '=' (fio drops bare
    flags such as stonewall, whose value is empty), filename last and
    kb_base, unit_base, lockfile and cpus_allowed_policy first (fio sorts
    options by their priority before it parses them)."""
    first = ("kb_base", "unit_base", "lockfile", "cpus_allowed_policy")

    def prio(o):
        return 1 if o.canon in first else (-1 if o.canon in ("filename", "filename_format") else 0)
    out = {}
    for o in sorted(options, key=lambda o: -prio(o)):
        if o.raw is None or o.raw == "":
            continue
        out[o.entry.name if o.entry else o.key] = o.raw
    return out


def _quote(value):
    return f'"{value}"' if any(c.isspace() for c in value) else value


def translate(path, machine=None, env=None, rng=None):
    """Read, check and translate a job file: a JobSet, or JobFileError with
    every problem found."""
    machine = machine or Machine()
    rng = rng or random.SystemRandom()
    sections = read_jobfile(path, env, machine)
    js = JobSet(path)
    js.sections = sections
    errors = []
    reported = set()

    def err(opt, msg):
        text = f"{opt.where()}: {msg}" if isinstance(opt, Option) else f"{opt}: {msg}"
        if text not in reported:
            reported.add(text)
            errors.append(text)

    def note_ignored(o, why):
        label = o.canon if o.value is None else f"{o.canon}={o.value}"
        js.ignored.setdefault(label, (o, why))

    # Machine words from the caller (tools/run's extra words): md devices
    # and per-disk settings, holding from boot.
    mds = {}
    for w in machine.extra_words:
        k, _, v = w.partition("=")
        if MD_DEF_RE.match(k):
            mds[k] = v
    js.machine_words = list(machine.extra_words)

    # kb_base is read first in every section, as fio sorts it first.
    globals_ = []
    n_jobs = 0
    for s in sections:
        kb = [o for o in s.options if o.canon == "kb_base"]
        if s.is_global:
            for o in s.options:
                if o.canon == "kb_base":
                    continue
                if MD_DEF_RE.match(o.key):
                    if o.value is None:
                        err(o, "expected mdN=stripe,CHUNK,DISK,DISK... or mdN=linear,DISK,...")
                    else:
                        mds[o.key] = o.value
                        js.machine_words.append(f"{o.key}={o.value}")
                    continue
                if OWN_DISK_KEY_RE.match(o.key):
                    if o.value is None:
                        err(o, "expected a value")
                    else:
                        js.machine_words.append(f"{o.key}={o.value}")
                    continue
                globals_.append(o)
            js.globals += s.options
        else:
            for o in s.options:
                if MD_DEF_RE.match(o.key) or OWN_DISK_KEY_RE.match(o.key):
                    err(o, "a disk or md setting holds from boot for every job: put it in [global]")
            n_jobs += 1
            js.jobs.append(Job(s, n_jobs, globals_))
        if kb:
            for o in kb:
                if o.value not in ("1024", "1000"):
                    err(o, f"'{o.value}': expected 1024 or 1000")
    if not js.jobs:
        errors.append(f"{path}: no job sections (only [global]): fio would run nothing")

    for job in js.jobs:
        _translate_job(js, job, machine, mds, err, note_ignored, rng)
    if not errors:
        _check_conflicts(js, machine, mds, errors)
    if errors:
        raise JobFileError(errors)
    return js


def _kb_base(job):
    o = job.opts.get("kb_base")
    return 1000 if o is not None and o.value == "1000" else 1024


def _translate_job(js, job, machine, mds, err, note_ignored, rng):
    ctx = K.Ctx(_kb_base(job))
    out = {}  # kernel key -> value, in order

    def put(key, value):
        out[key] = value

    sync_engine = True  # fio's default ioengine on Linux is psync
    engine_opt = None
    direct_set = False
    for canon, o in job.opts.items():
        e = o.entry
        if e is None:
            if OWN_DISK_KEY_RE.match(o.key) or MD_DEF_RE.match(o.key):
                continue
            hint = K.suggest(o.key)
            err(o, "not a fio option" + (f" (did you mean '{hint}'?)" if hint else ""))
            continue
        v = o.value
        # fio reads a value with blanks after '=' without its unit ("size =
        # 64k" is 64 bytes to fio 3.33): refuse rather than guess.
        if o.raw is not None and o.raw[:1].isspace() and re.match(r"\(?[0-9.]+\s*[a-zA-Z%]", v or ""):
            err(o, f"'{o.raw}': fio 3.33 ignores the unit of a value that starts with a blank; "
                   f"write {o.key}={v}")
            continue
        if v is None and not e.bare and e.kind in ("pass", "own", "default") and \
                canon not in ("write_iops_log", "write_bw_log", "write_lat_log"):
            err(o, "needs a value")
            continue
        try:
            if e.kind in ("pass", "own"):
                if canon in ("write_iops_log", "write_bw_log", "write_lat_log"):
                    prefix = K.v_log_prefix(v, ctx) or job.section.name
                    if not re.fullmatch(r"[A-Za-z0-9_.+-][A-Za-z0-9_./+-]*", prefix) or ".." in prefix.split("/"):
                        raise K.KeyError_(f"'{prefix}': a log prefix of letters, digits and _ . + - "
                                          "(a relative path at most)")
                    job.log_prefixes[canon.split("_")[1]] = prefix
                    put(e.kernel, prefix)
                    continue
                if canon == "stonewall":
                    continue
                kv = e.check(v, ctx) if e.check else v
                if kv is None:  # nothing to pass (rate=0: no cap)
                    continue
                if e.bare:
                    if kv == "1":
                        put(e.kernel, None)
                    continue
                if canon == "rwmixwrite":
                    kv = str(100 - int(kv))
                put(e.kernel, kv)
            elif e.kind == "host":
                if canon == "stonewall":
                    job.stonewall = K.v_set(v, ctx) == "1"
                elif canon == "per_job_logs":
                    job.per_job_logs = K.v_bool(v, ctx) == "1"
                elif canon == "disk_util":
                    js.disk_util = K.v_bool(v, ctx) == "1"
                elif canon == "kb_base":
                    pass
            elif e.kind == "ignore":
                note_ignored(o, e.note)
            elif e.kind == "default":
                if K.is_default(e, v, ctx):
                    note_ignored(o, "fio's default")
                else:
                    err(o, f"only fio's default ({e.default}) is supported: any other value "
                           "would change the result")
            elif e.kind == "refuse":
                why = e.note or "not supported by this kernel"
                err(o, f"not supported: {why}")
            elif e.kind == "map":
                if canon == "filename":
                    names = {(f.value or "").strip() for f in job.filenames}
                    if len(names) > 1:
                        first = job.filenames[0]
                        err(o, f"'{v}': fio 3.33 adds it to the filename {first.value} of "
                               f"{first.where().split(': ')[0]}, and the job would use both "
                               "disks: name one disk per job (in [global] or in its section)")
                        continue
                    job.disk = _map_filename(o, machine, mds, err)
                elif canon == "ioengine":
                    engine_opt = o
                    if v in K.SYNC_ENGINES:
                        sync_engine = True
                    elif v in K.ASYNC_ENGINES:
                        sync_engine = False
                        note_ignored(o, "asynchronous: iodepth is honoured")
                    else:
                        raise K.KeyError_(f"'{v}': this kernel has no such engine (sync engines: "
                                          f"{', '.join(K.SYNC_ENGINES)}; asynchronous: "
                                          f"{', '.join(K.ASYNC_ENGINES)})")
                elif canon == "direct":
                    direct_set = True
                    if K.v_bool(v if v is not None else "1", ctx) == "1":
                        note_ignored(o, "every I/O here is direct")
                    else:
                        raise K.KeyError_("buffered I/O needs a page cache, which this kernel "
                                          "does not have (use direct=1)")
                elif canon == "buffered":
                    if K.v_bool(v if v is not None else "1", ctx) == "0":
                        direct_set = True
                        note_ignored(o, "every I/O here is direct")
                    else:
                        raise K.KeyError_("buffered I/O needs a page cache, which this kernel "
                                          "does not have (use buffered=0 or direct=1)")
                elif canon == "ioscheduler":
                    # A job file names Linux's schedulers: mq-deadline and
                    # none are blk-mq's (every Linux since 5.0), deadline
                    # and noop the single-queue ones of Linux 3.x, whose
                    # request path is this kernel's path=request.
                    path_sched = {"mq-deadline": ("mq", "mq-deadline"), "none": ("mq", "none"),
                                  "deadline": ("request", "deadline"),
                                  "noop": ("request", "noop")}.get(v)
                    if not path_sched:
                        raise K.KeyError_(f"'{v}': this kernel has mq-deadline and none "
                                          "(blk-mq), deadline and noop (the request path)")
                    if "path" not in out:
                        put("path", path_sched[0])
                    put("sched", path_sched[1])
                elif canon == "fdatasync":
                    n = K.v_int(0, 1000000)(v, ctx)
                    if n != "0":
                        put("fsync", n)
                elif canon == "randrepeat":
                    if K.v_bool(v, ctx) == "0" and "randseed" not in job.opts:
                        # fio seeds from the clock; the seed is written into
                        # the command line, so the run can be repeated.
                        put("randseed", str(rng.randrange(1, 1 << 63)))
        except (NumberError, K.KeyError_) as ex:
            err(o, str(ex))

    # fio's rules between keys (fixup_options), and what fio quietly does
    # with a key whose companion is missing.
    if out.get("runtime") == "0ms":
        del out["runtime"]  # fio: no time limit
    if out.get("ss_dur") == "0ms":
        del out["ss_dur"]  # fio: steady state detection off
    if "steadystate" in out and "ss_dur" not in out:
        o = job.opts["steadystate"]
        js.notes.append(f"{o.where()}: no steadystate_duration (ss_dur): fio does not look for "
                        "a steady state then, and neither does this run")
        del out["steadystate"]
        out.pop("ss_ramp", None)
    elif "ss_dur" in out and "steadystate" not in out:
        out["steadystate"] = "iops_slope:0.01%"  # fio's default criterion
    if "verify" in job.opts and (job.opts["verify"].value or "").strip() in K.VERIFY_CHECKSUMS:
        o = job.opts["verify"]
        js.notes.append(f"{o.where()}: verified with this kernel's CRC32C sector stamps, which "
                        f"check what fio's {o.value.strip()} would (the data of each block) and "
                        "name its writer, generation and sector")
    if "verify_backlog" in out and out.get("verify", "0") == "0":
        o = job.opts["verify_backlog"]
        js.notes.append(f"{o.where()}: verify_backlog without verify has no effect, as in fio")
        del out["verify_backlog"]
    if "verify_seed" in out and out.get("verify", "0") == "0":
        err(job.opts["verify_seed"], "verify_seed needs verify=crc32c")
    inc = out.get("offset_increment")
    if inc and inc.endswith("%"):
        size = (machine.disks or {}).get(job.disk or "")
        if size is None:
            err(job.opts["offset_increment"], f"'{inc}' of a disk whose size is not known here: "
                "give it in bytes")
        else:
            # fio aligns a percentage offset to the smallest block size.
            low = min(int(x) for x in re.findall(r"\d+", out.get("bs", "4096")))
            out["offset_increment"] = str(size * int(inc[:-1]) // 100 // low * low)
    if "rate" in out and "rate_iops" in out:
        err(job.opts.get("rate_iops"), "rate and rate_iops are mutually exclusive (as in fio)")
    if "time_based" in out and "runtime" not in out:
        o = job.opts["time_based"]
        js.notes.append(f"{o.where()}: time_based requires a runtime; fio ignores time_based "
                        "then, and so does this run")
        del out["time_based"]
    if sync_engine:
        depth = out.get("iodepth", "1")
        if depth != "1":
            how = f"ioengine={engine_opt.value}" if engine_opt else \
                "no ioengine (fio's default is psync)"
            js.notes.append(f"{job.section.file}:{job.section.line}: [{job.name}] {how} is "
                            f"synchronous: one I/O in flight, not iodepth={depth} (as fio caps it)")
        out["iodepth"] = "1"
    if not direct_set:
        js.notes.append(f"{job.section.file}:{job.section.line}: [{job.name}] direct is not set: "
                        "fio would go through the page cache; this kernel has none, and its I/O "
                        "is direct")
    try:
        _check_size_vs_bs(job, out, ctx)
    except K.KeyError_ as ex:
        err(job.opts.get("size"), str(ex))
    if job.disk is None and "filename" not in job.opts:
        err(f"{job.section.file}:{job.section.line}: [{job.name}]",
            "no filename: fio would make a file named after the job; name a disk "
            "(filename=/dev/vdb)")

    if machine.logs_msec is not None:
        prefix = re.sub(r"[^A-Za-z0-9_.+-]", "_", out.get("name", job.section.name)).lstrip(".")
        prefix = (prefix or f"job{job.index}")[:K.MAX_LOG_PREFIX]
        for kind, key in (("iops", "write_iops_log"), ("lat", "write_lat_log")):
            if key not in out:
                out[key] = prefix
                job.log_prefixes[kind] = prefix
        out.setdefault("log_avg_msec", str(machine.logs_msec))

    job.kernel = out
    name = out.pop("name", job.section.name)
    try:
        K.v_name(name, ctx)
    except K.KeyError_ as ex:
        err(f"{job.section.file}:{job.section.line}: [{job.name}]", f"job name {ex}")
    job.name = name
    job.words = [f"name={_quote(name)}"]
    if job.disk:
        job.words.append(f"filename={job.disk}")
    for k, v in out.items():
        job.words.append(k if v is None else f"{k}={v}")
    job.kernel = dict(out, name=name)


def _check_size_vs_bs(job, out, ctx):
    size = out.get("size")
    if not size or size.endswith("%"):
        return
    bs = out.get("bs", "4096")
    low = min(int(x) for x in re.findall(r"\d+", bs))
    if "bsrange" in out:
        low = min(low, min(int(x) for x in re.findall(r"\d+", out["bsrange"])))
    if int(size) < low:
        raise K.KeyError_(f"size {size} is smaller than the block size {low} (fio refuses it)")


def _map_filename(o, machine, mds, err):
    v = o.value or ""
    if ":" in v:
        err(o, f"'{v}': one disk per job (fio's ':' list of files is not supported)")
        return None
    m = DISK_RE.match(v)
    md = MD_RE.match(v)
    if not m and not md:
        err(o, f"'{v}': not a disk of this machine (filename=/dev/vda ... /dev/vdz, a "
               "partition /dev/vda1 ... /dev/vda4, or /dev/md0 defined with md0= in [global])")
        return None
    if md:
        name = md.group(1)
        if name not in mds:
            err(o, f"'{v}': no {name} is defined (md0=stripe,64k,vda,vdb in [global] or on "
                   "the command line)")
        return name
    disk, part = m.group(1), m.group(2)
    if machine.disks is not None and disk not in machine.disks:
        have = ", ".join(sorted(machine.disks)) or "none"
        err(o, f"'{v}': no disk {disk} (this machine has: {have})")
    return disk + (part or "")


def _lower_disks(name, mds):
    """The disks whose queues serve a job's disk."""
    if name in mds:
        spec = mds[name].split(",")
        return [w for w in spec if DISK_RE.match(w)]
    m = DISK_RE.match(name)
    return [m.group(1)] if m else [name]


class _Pos:
    """A position on a disk of size D: b + p * D / 100, so regions given in
    percent can be compared without knowing D."""

    def __init__(self, b=0, p=0):
        self.b, self.p = b, p

    def __add__(self, o):
        return _Pos(self.b + o.b, self.p + o.p)

    def scaled(self, n):
        return _Pos(self.b * n, self.p * n)

    def less(self, o, disk_size):
        """True, False, or None when it depends on the disk's size."""
        if disk_size is not None:
            return self.b * 100 + self.p * disk_size < o.b * 100 + o.p * disk_size
        db, dp = o.b - self.b, o.p - self.p
        if db >= 0 and dp >= 0:
            return db > 0 or dp > 0
        if db <= 0 and dp <= 0:
            return False
        return None


def _region(job, clone):
    """(start, end) of one numjobs copy's region; end None for the disk's end."""
    k = job.kernel

    def val(key):
        v = k.get(key)
        if v is None:
            return None
        return _Pos(0, int(v[:-1])) if v.endswith("%") else _Pos(int(v), 0)
    start = (val("offset") or _Pos()) + (val("offset_increment") or _Pos()).scaled(clone)
    size = val("size")
    return start, (start + size if size is not None else None)


def _overlap(a, b, disk_size):
    """Whether two regions overlap; None when it depends on the disk's size."""
    def before(end, start):  # end <= start
        if end is None:
            return False
        lt = start.less(end, disk_size)
        return None if lt is None else not lt
    x, y = before(a[1], b[0]), before(b[1], a[0])
    if x or y:
        return False
    if x is None or y is None:
        return None
    return True


def _writes(job):
    rw = job.kernel.get("rw", "read")
    return rw in ("write", "randwrite", "rw", "randrw", "trim", "randtrim", "writezeroes")


def _check_conflicts(js, machine, mds, errors):
    """Jobs that run at the same time (between two stonewalls) must agree on
    the settings of the disks they share, and a job that verifies must not
    share blocks with another that writes them."""
    phases, cur = [], []
    for j in js.jobs:
        if j.stonewall and cur:
            phases.append(cur)
            cur = []
        cur.append(j)
    if cur:
        phases.append(cur)
    for phase in phases:
        for j in phase:
            j.lower = _lower_disks(j.disk, mds) if j.disk else []
        for a_i, a in enumerate(phase):
            for b in phase[a_i + 1:]:
                shared = set(a.lower) & set(b.lower)
                if not shared:
                    continue
                if "raw" in (a.kernel.get("path"), b.kernel.get("path")):
                    errors.append(
                        f"{b.section.file}:{b.section.line}: [{b.section.name}] and "
                        f"[{a.section.name}] run at the same time on {', '.join(sorted(shared))}, "
                        "but a path=raw job has its disk to itself: separate them with stonewall")
                    continue
                for key in DISK_SETTINGS:
                    va, vb = a.kernel.get(key), b.kernel.get(key)
                    if va != vb:
                        errors.append(
                            f"{b.section.file}:{b.section.line}: [{b.section.name}] and "
                            f"[{a.section.name}] run at the same time on {', '.join(sorted(shared))} "
                            f"but set {key} differently ({va or 'unset'}, {vb or 'unset'}): "
                            "separate them with stonewall, or agree")
                        break
        for j in phase:
            if j.kernel.get("path") == "raw" and int(j.kernel.get("numjobs", "1")) > 1:
                errors.append(f"{j.section.file}:{j.section.line}: [{j.section.name}] path=raw with "
                              "numjobs above 1: a path=raw job has its disk to itself")
        # Verified data: every pair of copies (numjobs) of every job.
        copies = []
        for j in phase:
            for c in range(int(j.kernel.get("numjobs", "1"))):
                copies.append((j, c))
        for i, (a, ca) in enumerate(copies):
            for b, cb in copies[i + 1:]:
                verifies = a.kernel.get("verify", "0") != "0" or b.kernel.get("verify", "0") != "0"
                if not verifies or not (_writes(a) or _writes(b)):
                    continue
                if not _same_blocks(a, ca, b, cb, machine, mds):
                    continue
                if a is b:
                    who = f"copies {ca + 1} and {cb + 1} of [{a.section.name}]"
                    hint = " (give each copy its own region: offset_increment of at least size)"
                else:
                    who, hint = f"[{a.section.name}] and [{b.section.name}]", ""
                errors.append(f"{b.section.file}:{b.section.line}: {who} run at the same time over "
                              f"the same blocks of {b.disk}, and verify: one would overwrite what "
                              f"the other checks{hint}")
                return


def _same_blocks(a, ca, b, cb, machine, mds):
    """Whether two job copies may touch the same blocks. Two partitions of
    one disk do not; a partition and its disk, or an md device and one of
    its members, are taken to (their mapping is the kernel's to know)."""
    if a.disk is None or b.disk is None or not set(a.lower) & set(b.lower):
        return False
    if a.disk != b.disk:
        pa, pb = DISK_RE.match(a.disk), DISK_RE.match(b.disk)
        return not (pa and pb and pa.group(2) and pb.group(2))
    size = (machine.disks or {}).get(a.disk)
    overlap = _overlap(_region(a, ca), _region(b, cb), size)
    return overlap is not False  # unknown: a disk of unknown size, assume the worst
