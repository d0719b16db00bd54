# SPDX-License-Identifier: MIT
"""Every key a fio 3.33 job file may hold, and what this project does with it.

This table is the one place the list lives: the job-file translator reads
it, `tools/fio-job keys --markdown` prints the README's key lists from it
(a test compares the two), and a test holds the keys it passes to the
kernel against the kernel's own list in bench/job.c.

Kinds:
  pass     understood by the kernel; the value is checked as fio checks it
           and written in plain units (bytes, milliseconds) on the kernel's
           command line
  map      changed into what this kernel means by it (ioengine=psync is
           iodepth=1, ioscheduler is path and sched, filename=/dev/vdb is vdb ...)
  host     acted on by the host tools alone (number syntax, log names,
           the JSON document)
  ignore   no meaning inside this kernel and no effect on the result:
           accepted and listed once as ignored
  default  accepted and ignored at fio's default value, refused at any
           other (the value would change the result)
  refuse   not supported: an error naming the file, line, section and key
  own      this kernel's own keys (not fio's), passed on as they are
"""

from .numbers import parse_bool, parse_float, parse_int, parse_size, parse_time_us


class KeyError_(ValueError):
    """A value this project refuses for a known key."""


class Ctx:
    """What a value's meaning depends on: fio's kb_base."""

    def __init__(self, kb_base=1024):
        self.kb_base = kb_base


# ---------------------------------------------------------------------------
# Value checkers: each takes fio's text and returns the kernel's text.

MAX_BS = 4 << 20  # the kernel's JOB_MAX_BS
SECTOR = 512
MAX_IODEPTH = 1024  # the kernel's JOB_MAX_IODEPTH
MAX_BSSPLIT = 16  # the kernel's JOB_BSSPLIT_MAX (fio takes 64)


def _bs_one(text, ctx):
    v = parse_size(text, ctx.kb_base)
    if v < 1:
        raise KeyError_(f"'{text}': a block size is at least 1")
    if v % SECTOR or v > MAX_BS:
        raise KeyError_(f"'{text}' = {v} bytes: this kernel moves whole 512-byte sectors, "
                        f"up to 4M (a multiple of 512 from 512 to {MAX_BS})")
    return v


def per_direction(text, one, default):
    """fio's 'R,W,T' per-direction values, as (read, write, trim): a blank
    value is fio's default, and a value not followed by a comma applies to
    the directions after it too (bs=8k,32k gives trims 32k; bs=8k,32k,
    gives them the default)."""
    parts = text.split(",")
    if len(parts) > 3:
        raise KeyError_(f"'{text}': at most three comma-separated values (read,write,trim)")
    vals = [one(p) if p.strip() else default for p in parts]
    while len(vals) < 3:
        vals.append(vals[-1])
    return vals


def _rw_form(vals, text):
    """The kernel's form: one value, or READ,WRITE; trims follow writes."""
    if vals[2] != vals[1]:
        raise KeyError_(f"'{text}': a trim value apart from the write value is not supported")
    return str(vals[0]) if vals[0] == vals[1] else f"{vals[0]},{vals[1]}"


def v_bs(text, ctx):
    return _rw_form(per_direction(text, lambda p: _bs_one(p, ctx), 4096), text)


def v_ba(text, ctx):
    """fio's blockalign per direction; the kernel draws one set of
    starting points per job, so the directions given must agree."""
    vals = {v for v in per_direction(text, lambda p: _bs_one(p, ctx), None) if v is not None}
    if len(vals) > 1:
        raise KeyError_(f"'{text}': one boundary for every direction is supported")
    return str(vals.pop()) if vals else None


def v_bsrange(text, ctx):
    def one(part):
        if part.count("-") != 1:
            raise KeyError_(f"'{part}': expected LOW-HIGH, e.g. 4k-64k")
        lo, hi = (_bs_one(x, ctx) for x in part.split("-"))
        if lo > hi:
            raise KeyError_(f"'{part}': the low end is above the high end")
        return f"{lo}-{hi}"
    return _rw_form(per_direction(text, one, "4096-4096"), text)


def v_bssplit(text, ctx):
    def one(part):
        entries = []
        total, blanks = 0, 0
        for e in part.split(":"):
            if not e.strip():
                raise KeyError_(f"'{part}': an empty entry")
            size, _, pct = e.partition("/")
            bs = _bs_one(size, ctx)
            if pct.strip():
                p = parse_int(pct, 0, 100)
                total += p
                entries.append([bs, p])
            else:
                blanks += 1
                entries.append([bs, None])
        if len(entries) > MAX_BSSPLIT:
            raise KeyError_(f"'{part}': at most {MAX_BSSPLIT} block sizes per direction")
        if total > 100:
            raise KeyError_(f"'{part}': the percentages add up to {total}, more than 100")
        # fio shares what is left evenly among entries without a percentage.
        if blanks:
            left = 100 - total
            for i, e in enumerate([e for e in entries if e[1] is None]):
                e[1] = left // blanks + (1 if i < left % blanks else 0)
        elif total != 100:
            raise KeyError_(f"'{part}': the percentages add up to {total}, not 100")
        return ":".join(f"{bs}/{p}" for bs, p in entries)
    return _rw_form(per_direction(text, one, "4096/100"), text)


def v_int(lo=None, hi=None):
    def check(text, ctx):
        return str(parse_int(text, lo, hi, ctx.kb_base))
    check.doc = f"{lo if lo is not None else 0}..{hi if hi is not None else ''}"
    return check


def v_loops(text, ctx):
    return str(max(1, parse_int(text, 0, 1000000, ctx.kb_base)))


def v_seconds(text, ctx):
    us = parse_time_us(text, "s")
    if us % 1000000:
        raise KeyError_(f"'{text}': whole seconds")
    return str(us // 1000000)


def v_iodepth(text, ctx):
    return str(parse_int(text, 1, MAX_IODEPTH, ctx.kb_base))


def v_size(pct):
    def check(text, ctx):
        v = parse_size(text, ctx.kb_base, allow_pct=pct)
        if isinstance(v, tuple):
            if not 0 < v[1] <= 100:
                raise KeyError_(f"'{text}': a percentage from 1% to 100%")
            return f"{v[1]}%"
        return str(v)
    return check


def v_time(default_unit="s", zero_ok=True):
    def check(text, ctx):
        us = parse_time_us(text, default_unit)
        if us % 1000:
            raise KeyError_(f"'{text}': this kernel counts whole milliseconds")
        if not zero_ok and us == 0:
            raise KeyError_(f"'{text}': must be more than zero")
        return f"{us // 1000}ms"
    return check


def v_time_us(default_unit="us"):
    """A duration in microseconds, as the kernel reads it (thinktime)."""
    def check(text, ctx):
        us = parse_time_us(text, default_unit)
        if us > 3600 * 1000 * 1000:
            raise KeyError_(f"'{text}': at most an hour")
        return f"{us}us"
    return check


def v_bool(text, ctx):
    return "1" if parse_bool(text) else "0"


def v_set(text, ctx):
    """fio's bare flags (time_based, norandommap ...): bare or 0/1."""
    if text is None or text == "":
        return "1"
    return "1" if parse_int(text, 0, None, ctx.kb_base) else "0"


def v_choice(*choices, aliases=None):
    aliases = aliases or {}

    def check(text, ctx):
        t = text.strip()
        t = aliases.get(t, t)
        if t not in choices:
            raise KeyError_(f"'{text}': expected {', '.join(choices)}")
        return t
    check.doc = "|".join(choices)
    return check


FIO_RW = ("read", "write", "trim", "randread", "randwrite", "randtrim", "rw", "readwrite",
          "randrw", "trimwrite", "randtrimwrite")


def v_rw(text, ctx):
    t = text.strip()
    base, colon, _ = t.partition(":")
    if base == "writezeroes" and not colon:
        return t  # this kernel's own addition (VIRTIO_BLK_T_WRITE_ZEROES)
    if base not in FIO_RW:
        raise KeyError_(f"'{text}': expected one of {', '.join(FIO_RW)}")
    base = "rw" if base == "readwrite" else base
    if not colon:
        return base
    # fio's offset modifier: a count of I/Os per random offset for random
    # jobs (randread:8), bytes to skip after each I/O for sequential ones
    # (read:8k, backwards with read:-8k).
    mod = t.partition(":")[2].strip()
    if base.startswith("rand"):
        n = parse_int(mod, 1, 1 << 30, ctx.kb_base)
        return f"{base}:{n}"
    neg = mod.startswith("-")
    n = parse_size(mod[1:] if neg else mod, ctx.kb_base)
    if n % SECTOR:
        raise KeyError_(f"'{text}': the bytes to skip are a multiple of 512")
    return f"{base}:{'-' if neg and n else ''}{n}"


def v_percentage_random(text, ctx):
    vals = per_direction(text, lambda p: parse_int(p, 0, 100, ctx.kb_base), 100)
    return str(vals[0]) if len(set(vals)) == 1 else ",".join(str(v) for v in vals)


def v_number_ios(text, ctx):
    n = parse_int(text, 0, None, ctx.kb_base)
    return str(n) if n else None


MAX_NAME = 31  # the kernel's JOB_NAME_MAX, less its NUL


def v_name(text, ctx):
    t = text.strip()
    if not t or any(c in t for c in '"\\') or not t.isprintable():
        raise KeyError_(f"'{text}': a job name of printable characters without quotes")
    if len(t) > MAX_NAME:
        raise KeyError_(f"'{text}': at most {MAX_NAME} characters")
    return t


def v_randseed(text, ctx):
    return str(parse_int(text, 0, (1 << 64) - 1, ctx.kb_base))


def v_rwmix(text, ctx):
    return str(parse_int(text, 0, 100, ctx.kb_base))


# fio's checksums: the kernel checks the same thing (that each block read
# back is the one written) with its CRC32C sector stamps, which also name
# the writer, the generation and the sector (tools/fio-job notes the change).
VERIFY_CHECKSUMS = ("md5", "crc64", "crc32", "crc16", "crc7", "sha1", "sha256", "sha512",
                    "sha3-224", "sha3-256", "sha3-384", "sha3-512", "xxhash")


def v_verify(text, ctx):
    t = text.strip()
    if t in ("0", "crc32c", "crc32c-intel") or t in VERIFY_CHECKSUMS:
        return "0" if t == "0" else "crc32c"
    if t in ("meta", "pattern", "null"):
        raise KeyError_(f"'{text}': this kernel verifies with its CRC32C sector stamps (a "
                        "checksum of the data: verify=crc32c, md5, sha256 ...); fio's "
                        f"verify={t} checks something else")
    raise KeyError_(f"'{text}': not a verify method fio knows")


MAX_VERIFY_SEEDS = 8  # the kernel's JOB_VERIFY_SEEDS_MAX


def v_verify_seed(text, ctx):
    t = text.strip()
    if t == "any":
        return t
    seeds = t.split(":")
    if len(seeds) > MAX_VERIFY_SEEDS:
        raise KeyError_(f"'{text}': at most {MAX_VERIFY_SEEDS} seeds")
    return ":".join(str(parse_int(x, 0, (1 << 64) - 1, ctx.kb_base)) for x in seeds)


MAX_ZONES = 256  # fio's ZONESPLIT_MAX, the kernel's JOB_ZONES_MAX


def _zone_lists(rest, text):
    # fio's HOWTO allows a list per direction, but fio 3.33's option parser
    # splits every value at its commas and then finds no distribution named
    # by the second part, so fio refuses the job; the kernel's own
    # random_distribution takes READ,WRITE,TRIM lists.
    if "," in rest:
        raise KeyError_(f"'{text}': fio 3.33 cannot parse zone lists per direction (it "
                        "splits the value at the comma): give one list for all directions")
    if not rest.strip():
        raise KeyError_(f"'{text}': no zones")
    return [rest]


def _zones(part, absolute, text, ctx):
    """One direction's zones, as fio's zone_split_ddir checks them: the I/O
    percentages add up to exactly 100, relative sizes to at most 100, and
    relative sizes left out (or 0) share what is left in whole percent. A
    lone zone without a size is the whole region (fio's is 0 %: every I/O
    at one block); a zone that takes I/O needs room. Sizes of
    zoned_abs become bytes."""
    zones = []
    for i, item in enumerate(part.split(":"), 1):
        if not item.strip():
            raise KeyError_(f"'{text}': zone {i} is empty")
        acc, slash, size = item.partition("/")
        a = parse_int(acc, 0, 100)
        if absolute:
            sz = parse_size(size, ctx.kb_base) if size.strip() else 0
            if not sz and a:
                raise KeyError_(f"'{text}': zone {i}: zoned_abs needs the zone's size, "
                                "such as 60/20G")
        else:
            sz = parse_int(size, 0, 100) if size.strip() else 0
        zones.append([a, sz])
    if len(zones) > MAX_ZONES:
        raise KeyError_(f"'{text}': at most {MAX_ZONES} zones per direction")
    total = sum(a for a, _ in zones)
    if total != 100:
        raise KeyError_(f"'{text}': the zones' I/O percentages add up to {total}, not 100")
    if not absolute:
        sizes = sum(sz for _, sz in zones)
        if sizes > 100:
            raise KeyError_(f"'{text}': the zones' sizes add up to {sizes}%, more than the "
                            "region")
        blanks = sum(1 for _, sz in zones if not sz)
        for i, z in enumerate(zones, 1):
            if not z[1]:
                z[1] = 100 if len(zones) == 1 else (100 - sizes) // blanks
            if not z[1] and z[0]:
                raise KeyError_(f"'{text}': zone {i} takes {z[0]}% of the I/Os but none "
                                "of the region")
    return ":".join(f"{a}/{sz}" for a, sz in zones)


def v_distribution(text, ctx):
    t = text.strip()
    kind, _, rest = t.partition(":")
    if kind == "random":
        if rest:
            raise KeyError_(f"'{text}': random takes no value")
        return "random"
    if kind in ("zoned", "zoned_abs"):
        return f"{kind}:" + ",".join(_zones(p, kind == "zoned_abs", text, ctx)
                                     for p in _zone_lists(rest, text))
    defaults = {"zipf": 1.1, "pareto": 0.2, "normal": 0.0}  # fio's FIO_DEF_*
    if kind not in defaults:
        raise KeyError_(f"'{text}': expected random, zipf:T, pareto:H or normal:P")
    vals = rest.split(":") if rest else []
    if len(vals) > 2:
        raise KeyError_(f"'{text}': expected {kind}:VALUE[:CENTRE]")
    v = parse_float(vals[0]) if vals and vals[0] else defaults[kind]
    centre = None
    if len(vals) == 2:
        centre = parse_float(vals[1])
        if not 0.0 <= centre <= 1.0:
            raise KeyError_(f"'{text}': the centre is a fraction from 0 to 1 (as fio requires)")
    if kind == "zipf" and v == 1.0:
        raise KeyError_(f"'{text}': zipf theta must differ from 1.0 (as fio requires)")
    if kind == "pareto" and not 0.0 < v < 1.0:
        raise KeyError_(f"'{text}': pareto takes 0 < H < 1 (as fio requires)")
    if kind == "normal" and not 0.0 <= v < 100.0:
        raise KeyError_(f"'{text}': normal takes a deviation 0 <= P < 100 (as fio requires)")
    if kind == "zipf" and v <= 0.0:
        raise KeyError_(f"'{text}': zipf theta must be above 0")
    return f"{kind}:{v:g}" + (f":{centre:g}" if centre is not None else "")


def v_rate(iops):
    """A cap per direction; 0 or blank is none (the kernel's blank), and no
    cap at all passes nothing."""
    def check(text, ctx):
        def one(p):
            return parse_int(p, 0, None, ctx.kb_base) if iops else parse_size(p, ctx.kb_base)
        vals = per_direction(text, one, 0)
        if vals[2] != vals[1]:
            raise KeyError_(f"'{text}': a trim value apart from the write value is not supported")
        if not vals[0] and not vals[1]:
            return None
        if vals[0] == vals[1]:
            return str(vals[0])
        return f"{vals[0] or ''},{vals[1] or ''}"
    return check


def v_percentile_list(text, ctx):
    vals = [v for v in text.split(":") if v.strip()]
    if not vals:
        raise KeyError_(f"'{text}': no percentiles")
    if len(vals) > 20:  # FIO_IO_U_LIST_MAX_LEN
        raise KeyError_(f"'{text}': fio takes at most 20 percentiles")
    for v in vals:
        f = parse_float(v)
        if not 0.0 < f <= 100.0:
            raise KeyError_(f"'{v}': a percentile is above 0 and at most 100")
    return ":".join(v.strip() for v in vals)


def v_latency_percentile(text, ctx):
    f = parse_float(text)
    if not 0.0 <= f <= 100.0:
        raise KeyError_(f"'{text}': a percentage, 0 to 100")
    return f"{f:.6f}".rstrip("0").rstrip(".")


def v_max_latency(text, ctx):
    """fio's max_latency=R[,W[,T]] (a bare number is microseconds); blank: none."""
    def one(p):
        us = parse_time_us(p, "us")
        if us > 3600 * 1000 * 1000:
            raise KeyError_(f"'{p}': at most an hour")
        return us
    vals = per_direction(text, one, None)
    return ",".join("" if v is None else f"{v}us" for v in vals)


def v_steadystate(text, ctx):
    t = text.strip()
    kind, colon, limit = t.partition(":")
    if kind not in ("iops", "iops_slope", "bw", "bw_slope"):
        raise KeyError_(f"'{text}': expected iops, iops_slope, bw or bw_slope, then :LIMIT")
    if not colon or not limit:
        raise KeyError_(f"'{text}': a limit is needed (e.g. {kind}:2%)")
    pct = limit.endswith("%")
    num = limit[:-1] if pct else limit
    if pct:
        v = parse_float(num, 0.0)
    elif kind.startswith("bw"):
        v = parse_size(num, ctx.kb_base)  # a bandwidth limit in bytes/s
    else:
        v = parse_float(num, 0.0)
    return f"{kind}:{v:g}{'%' if pct else ''}"


MAX_LOG_PREFIX = 47  # the kernel's JOB_LOG_NAME_MAX, less its NUL


def v_log_prefix(text, ctx):
    """A file name prefix: the host writes the logs into one directory."""
    t = (text or "").strip()
    if t and (not all(c.isalnum() or c in "_.+-" for c in t) or t.startswith(".")):
        raise KeyError_(f"'{text}': a log file name prefix of letters, digits and _ . + - "
                        "(no directories: the logs go to the current directory, or next to "
                        "--output)")
    if len(t) > MAX_LOG_PREFIX:
        raise KeyError_(f"'{text}': at most {MAX_LOG_PREFIX} characters")
    return t


def v_continue_on_error(text, ctx):
    t = {"0": "none", "1": "all"}.get(text.strip(), text.strip())
    if t in ("none", "io", "all"):
        return t
    if t in ("read", "write", "verify"):
        raise KeyError_(f"'{text}': this kernel goes on after I/O errors of both directions or "
                        "none (none, io, all)")
    raise KeyError_(f"'{text}': expected none, read, write, io, verify, all, 0 or 1")


def v_string(text, ctx):
    if text is None or not text.strip() or any(c.isspace() for c in text.strip()):
        raise KeyError_(f"'{text}': a single word")
    return text.strip()


# ---------------------------------------------------------------------------
# The table.


class Key:
    def __init__(self, name, kind, check=None, kernel=None, note="", default=None, aliases=(),
                 bare=False):
        self.name = name
        self.kind = kind
        self.check = check
        self.kernel = kernel or name
        self.note = note
        self.default = default
        self.aliases = tuple(aliases)
        self.bare = bare  # a bare key (no '=') means 1


TABLE = {}


def _add(*args, **kw):
    k = Key(*args, **kw)
    TABLE[k.name] = k


# The keys the kernel understands (bench/job.c), with fio's checks.
_add("name", "pass", v_name, note="the job's name (default: the section's)")
_add("rw", "pass", v_rw, aliases=("readwrite",),
     note="read, write, randread, randwrite, rw/readwrite, randrw, trim, randtrim, trimwrite, "
          "randtrimwrite; and this "
          "kernel's writezeroes; fio's offset modifier: randread:N (a random offset every N "
          "I/Os), read:8k (holes), read:-8k (backwards)")
_add("bs", "pass", v_bs, aliases=("blocksize",),
     note="block size, or READ,WRITE; a multiple of 512 up to 4M")
_add("bsrange", "pass", v_bsrange, aliases=("blocksize_range",), note="LOW-HIGH[,LOW-HIGH]")
_add("bssplit", "pass", v_bssplit, note="SIZE/PERCENT:... [,...]; blank percentages share the rest")
_add("ba", "pass", v_ba, aliases=("blockalign",),
     note="the boundary random I/O starts on (default: the smallest bs); one for every "
          "direction; any other than the block size turns off the random map, as in fio")
_add("rw_sequencer", "pass", v_choice("sequential", "identical"),
     note="with rw=randread:N, what the I/Os between two random offsets do: the next block "
          "(sequential) or the same one again (identical)")
_add("percentage_random", "pass", v_percentage_random,
     note="the share of a random job's I/O placed at random, the rest sequential; per direction "
          "with commas")
_add("number_ios", "pass", v_number_ios, note="at most this many I/Os (over all loops)")
def v_startdelay(text, ctx):
    """fio's startdelay: a time (bare: seconds), or a range each copy draws from."""
    lo, dash, hi = text.strip().partition("-")
    one = v_time("s")
    if dash and parse_time_us(hi, "s") < parse_time_us(lo, "s"):
        raise KeyError_(f"'{text}': the range runs from the shorter time to the longer")
    return f"{one(lo, ctx)}-{one(hi, ctx)}" if dash else one(lo, ctx)


_add("startdelay", "pass", v_startdelay,
     note="the job begins this long after the others of its group (a bare number is seconds; "
          "a range 1-3: each copy draws its own)")
_add("thinktime", "pass", v_time_us(),
     note="after thinktime_blocks I/Os, let those in flight complete and wait this long (a bare "
          "number is microseconds), idle but for thinktime_spin")
_add("thinktime_spin", "pass", v_time_us(), note="of thinktime, this much spent busy")
_add("thinktime_blocks", "pass", v_int(1, 1 << 30),
     note="I/Os between two think times (default 1)")
_add("thinktime_blocks_type", "pass", v_choice("complete", "issue"),
     note="whether thinktime_blocks counts completed (default) or issued I/Os")
_add("thinktime_iotime", "pass", v_time("s", zero_ok=False),
     note="or think after this much time of I/O (a bare number is seconds)")
_add("iodepth", "pass", v_iodepth, note="I/Os in flight, 1..1024")
_add("iodepth_batch", "pass", v_int(0, 1 << 20), aliases=("iodepth_batch_submit",),
     note="I/Os submitted together, under one plug (default 1, 0: iodepth)")
_add("iodepth_batch_complete_min", "pass", v_int(0, 1 << 20), aliases=("iodepth_batch_complete",),
     note="once the queue is full, completions reaped at least per call (default 1)")
_add("iodepth_batch_complete_max", "pass", v_int(0, 1 << 20),
     note="completions reaped at most per call (default: iodepth_batch_complete_min)")
_add("latency_target", "pass", v_time_us(),
     note="find the deepest queue whose I/Os keep within this latency, as fio searches")
_add("latency_window", "pass", v_time_us(), note="the search's window at each depth")
_add("latency_percentile", "pass", v_latency_percentile,
     note="the share of a window's I/Os that must be within the target (default 100)")
_add("latency_run", "pass", v_bool, note="keep searching for the whole run (default 0: "
     "stop after a final window at the depth found)")
_add("max_latency", "pass", v_max_latency,
     note="an I/O slower than this fails the job (ETIMEDOUT), per direction with commas")
_add("iodepth_low", "pass", v_int(0, 1 << 20),
     note="once the queue is full, refill it when no more than this many are left (default iodepth)")
_add("runtime", "pass", v_time("s"), aliases=("timeout",),
     note="seconds or a unit; without time_based the job stops after one pass over size, "
          "as in fio (`timeout` is fio's alias of runtime in a job file; the kernel's request "
          "timeout is `vdX.timeout`)")
_add("time_based", "pass", v_set, bare=True, note="run for all of runtime, wrapping around")
_add("ramp_time", "pass", v_time("s"), note="I/O before the measurement starts, not counted")
_add("size", "pass", v_size(True), note="region length in bytes or N% of the disk")
_add("io_size", "pass", v_size(False), aliases=("io_limit",), note="bytes to transfer")
_add("offset", "pass", v_size(True), aliases=("fileoffset",), note="region start, bytes or N%")
_add("offset_increment", "pass", v_size(True),
     note="each numjobs copy starts this much further on (N% of a disk of known size)")
_add("numjobs", "pass", v_int(1, 64), note="copies of the job running at the same time")


def v_cpus(text, ctx):
    """fio's CPU list: numbers and ranges, 0,5,8-15."""
    t = text.strip()
    for part in t.split(","):
        lo, dash, hi = part.partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()) or (dash and int(hi) < int(lo)):
            raise KeyError_(f"'{text}': CPU numbers and ranges, as 0,2-3")
    return t


_add("cpus_allowed", "pass", v_cpus,
     note="CPUs the job (its numjobs copies one each, in turn) runs on; default: the phase's "
          "jobs spread one per CPU")
_add("group_reporting", "pass", v_set, bare=True, note="one report per group of jobs")
_add("loops", "pass", v_loops, note="passes over the region (0 is 1, as in fio)")
_add("filename", "map", note="/dev/vdb (or vdb), /dev/vda1, /dev/md0: the disk; one file only")
_add("verify", "pass", v_verify,
     note="crc32c (also crc32c-intel), or fio's other checksums (md5, sha256, xxhash ...) "
          "verified with the kernel's CRC32C sector stamps, or 0; meta, pattern and null refused")
_add("verify_backlog", "pass", v_int(0, None), note="verify after every N writes")
_add("rwmixread", "pass", v_rwmix, note="percent reads of rw/randrw")
_add("rwmixwrite", "pass", v_rwmix, kernel="rwmixread", note="percent writes (passed as rwmixread)")
_add("randseed", "pass", v_randseed, note="seed of offsets and of the verify stamps")
_add("norandommap", "pass", v_set, bare=True, note="random blocks drawn with replacement")
_add("random_distribution", "pass", v_distribution,
     note="random, zipf[:T[:C]], pareto[:H[:C]], normal[:P[:C]], zoned:A/S:..., "
          "zoned_abs:A/SIZE:... (one list: fio 3.33 cannot parse one per direction)")
_add("rate", "pass", v_rate(False), note="bytes/s cap, READ,WRITE")
_add("rate_iops", "pass", v_rate(True), note="IOPS cap, READ,WRITE")
_add("io_submit_mode", "pass", v_choice("inline", "offload"),
     note="inline: a rate limit's wait lets what is in flight complete first, as fio's thread "
          "does; offload: it does not (fio's submit threads)")
_add("rate_process", "pass", v_choice("linear", "poisson"),
     note="linear, or poisson: exponentially distributed gaps of mean 1/IOPS between I/Os")
_add("rate_min", "pass", v_rate(False), aliases=("ratemin",),
     note="bytes/s below which, over a ratecycle, the job fails (EIO), READ,WRITE")
_add("rate_iops_min", "pass", v_rate(True),
     note="IOPS below which, over a ratecycle, the job fails (EIO), READ,WRITE")
_add("rate_cycle", "pass", v_int(1, 3600 * 1000), aliases=("ratecycle",),
     note="milliseconds over which rate_min and rate_iops_min are judged (default 1000)")
_add("fsync", "pass", v_int(0, 1000000), note="a cache flush after every N writes")
_add("hipri", "pass", v_set, bare=True,
     note="polled completions, on the disk's poll queues (vdX.poll_queues) when it has any, "
          "else on its interrupt queues, polled")
_add("percentile_list", "pass", v_percentile_list, note="up to 20 percentiles, colon-separated")
_add("clat_percentiles", "pass", v_bool, note="percentiles of completion latency (default 1)")
_add("gtod_reduce", "pass", v_bool,
     note="measure no latency, take no bandwidth samples, report no percentiles (the four "
          "below, and the percentiles off)")
_add("disable_lat", "pass", v_bool, note="no total latency (nor latency_target, max_latency)")
_add("disable_clat", "pass", v_bool, note="no completion latency (nor fio's latency_us/_ms maps)")
_add("disable_slat", "pass", v_bool, note="no submission latency")
_add("disable_bw_measurement", "pass", v_bool, aliases=("disable_bw",),
     note="no bandwidth samples (bw_min ... bw_samples 0, no bandwidth log)")
_add("slat_percentiles", "pass", v_bool, note="percentiles of submission latency")
_add("lat_percentiles", "pass", v_bool, note="percentiles of total latency")
_add("steadystate", "pass", v_steadystate, aliases=("ss",),
     note="iops:L, iops_slope:L, bw:L, bw_slope:L (L a value or N%)")
_add("steadystate_duration", "pass", v_time("s"), kernel="ss_dur", aliases=("ss_dur",),
     note="steady-state window")
_add("steadystate_ramp_time", "pass", v_time("s"), kernel="ss_ramp", aliases=("ss_ramp",),
     note="time before the window starts")
_add("write_iops_log", "pass", v_log_prefix, note="PREFIX_iops.N.log (default prefix: the job name)")
_add("write_bw_log", "pass", v_log_prefix, note="PREFIX_bw.N.log")
_add("write_lat_log", "pass", v_log_prefix, note="PREFIX_lat, _clat, _slat .N.log")
_add("log_avg_msec", "pass", v_int(0, 1 << 30), note="average samples over this window")
_add("log_offset", "pass", v_bool, note="add each I/O's offset to its log line")
_add("continue_on_error", "pass", v_continue_on_error, note="none, io, all (0, 1)")
_add("stonewall", "host", v_set, aliases=("wait_for_previous",), bare=True,
     note="wait for every job before (the kernel's `--`); otherwise jobs start together (`++`)")
_add("new_group", "pass", v_set, bare=True, note="start a new reporting group")

# Mapped to this kernel's meaning.
SYNC_ENGINES = ("sync", "psync", "vsync", "pvsync", "pvsync2")
ASYNC_ENGINES = ("libaio", "io_uring", "posixaio")
_add("ioengine", "map",
     note="sync, psync, vsync, pvsync, pvsync2: one I/O in flight (iodepth=1), as in fio; "
          "libaio, io_uring, posixaio: ignored (asynchronous, iodepth honoured); others refused")
_add("direct", "map", note="1: ignored (every I/O here is direct); 0: refused (no page cache)")
_add("buffered", "map", note="0: ignored; 1: refused (no page cache)")
_add("ioscheduler", "map",
     note="mq-deadline, none: path=mq with that scheduler; deadline, noop: path=request")
_add("fdatasync", "map", kernel="fsync",
     note="a cache flush after every N writes: on a raw disk the same as fsync")
_add("randrepeat", "map",
     note="1 (fio's default): the kernel's fixed default seed; 0: a new randseed each run")
_add("kb_base", "host", note="1024 (default) or 1000: how the host reads k, m, g, kib ...")
_add("per_job_logs", "host", note="0: one log file per prefix, without the job index")
_add("disk_util", "host", note="0: no disk_util in the JSON document")

# No meaning here and no effect on the result.
for _n, _why in (
        ("thread", "jobs are not processes here"),
        ("description", "a comment"),
        ("invalidate", "there is no page cache"),
        ("allow_mounted_write", "there are no file systems"),
        ("fallocate", "a disk, not a file"),
        ("fadvise_hint", "a disk, not a file, and no page cache"),
        ("create_serialize", "a disk, not a file"),
        ("create_fsync", "a disk, not a file"),
        ("create_on_open", "a disk, not a file"),
        ("allow_file_create", "a disk, not a file"),
        ("unlink", "a disk, not a file"),
        ("unlink_each_loop", "a disk, not a file"),
        ("overwrite", "a disk, not a file"),
        ("clocksource", "the kernel's own clock (the TSC) times every I/O"),
        ("mem", "buffers are the kernel's own pages"),
        ("iomem_align", "buffers are page-aligned"),
        ("hugepage-size", "buffers are the kernel's own pages"),
        ("lockmem", "nothing is ever paged out"),
        ("nice", "one program runs"),
        ("prio", "one program runs"),
        ("prioclass", "one program runs"),
        ("uid", "one program runs"),
        ("gid", "one program runs"),
        ("cpumask", "jobs are not host threads"),
        ("cpus_allowed_policy", "jobs are not host threads"),
        ("numa_cpu_nodes", "no NUMA"),
        ("numa_mem_policy", "no NUMA"),
        ("cgroup", "no cgroups"),
        ("cgroup_nodelete", "no cgroups"),
        ("cgroup_weight", "no cgroups"),
        ("random_generator", "the kernel draws offsets with its own generator"),
        ("log_entries", "log buffers are the kernel's concern"),
        ("userspace_reap", "libaio's: there is no system call boundary"),
        ("fixedbufs", "io_uring's: there is no system call boundary"),
        ("registerfiles", "io_uring's: there is no system call boundary"),
        ("sqthread_poll", "io_uring's: there is no system call boundary"),
        ("sqthread_poll_cpu", "io_uring's: there is no system call boundary"),
        ("nonvectored", "io_uring's: there is no system call boundary"),
        ("force_async", "io_uring's: there is no system call boundary"),
        ("verify_dump", "fio dumps a bad block's data to files; this kernel's report names "
                        "the sector, the writer's seed and generation found and expected"),
):
    _add(_n, "ignore", note=_why)

# Ignored at fio's default, refused otherwise.
for _n, _def, _check in (
        ("unique_filename", "1", v_bool), ("lockfile", "none", v_string),
        ("fill_device", "0", v_bool),
        ("file_append", "0", v_bool), ("offset_align", "0", v_int()),
        ("bs_is_seq_rand", "0", v_bool), ("softrandommap", "0", v_bool),
        ("allrandrepeat", "0", v_bool),
        ("nrfiles", "1", v_int()), ("file_service_type", "roundrobin", v_string),
        ("write_barrier", "0", v_int()), ("atomic", "0", v_bool),
        ("do_verify", "1", v_bool), ("verify_fatal", "0", v_bool),
        ("verify_async", "0", v_int()), ("verify_state_save", "1", v_bool),
        ("zonemode", "none", v_string),
        ("sync", "none", v_choice("none", "0", aliases={"0": "none"})),
        ("create_only", "0", v_bool), ("pre_read", "0", v_bool), ("end_fsync", "0", v_bool),
        ("fsync_on_close", "0", v_bool), ("stats", "1", v_bool), ("scramble_buffers", "1", v_bool),
        ("dedupe_percentage", "0", v_int()), ("buffer_compress_percentage", "0", v_int()),
        ("significant_figures", "4", v_int()), ("unified_rw_reporting", "none", v_string),
        ("bwavgtime", "500", v_int()), ("iopsavgtime", "500", v_int()),
        ("log_max_value", "0", v_bool), ("log_prio", "0", v_bool), ("log_unix_epoch", "0", v_bool),
        ("log_alternate_epoch", "0", v_bool), ("block_error_percentiles", "0", v_bool),
        ("unit_base", "0", v_choice("0", "8", aliases={"8": "0"})), ("error_dump", "0", v_bool),
        ("exitall_on_error", "0", v_set), ("exitall", "0", v_set),
        ("read_iolog_chunked", "0", v_bool), ("trim_percentage", "0", v_int()),
):
    if _def is not None:
        _add(_n, "default", _check, default=_def)

# This kernel's own keys (tools/run passes them on as they are).
SCHED_TUNABLES = ("read_expire", "write_expire", "writes_starved", "fifo_batch", "front_merges",
                  "async_depth")
for _n, _check, _why in (
        ("path", v_choice("request", "bio", "mq", "raw"), "request, bio, mq or raw"),
        ("sched", v_choice("deadline", "noop", "none", "mq-deadline"),
         "deadline or noop; with path=mq, none or mq-deadline"),
        ("queue_depth", v_int(1, 65536), "the driver's dispatch depth"),
        ("poll_us", v_int(0, 1000000), "hybrid polling window after a completion"),
        ("watchdog", v_seconds, "seconds a job may make no progress before it fails (0: off)"),
        ("verify_seed", v_verify_seed, "the seed reads expect, or any"),
        ("flush_trace", v_bool, "one line per flush, for tools/flush-order"),
):
    _add(_n, "own", _check, note=_why)
for _n in SCHED_TUNABLES:
    _add(_n, "own", v_int(0, 0x7fffffff) if _n not in ("read_expire", "write_expire")
         else v_time("ms"),
         note="mq-deadline's tunable" if _n == "async_depth" else "deadline's tunable")

# Every other fio 3.33 option (options.c, and the option tables of the
# libaio, io_uring and sync engines) is refused by name.
FIO_OPTIONS = """
description name wait_for filename directory filename_format unique_filename lockfile opendir rw
rw_sequencer ioengine iodepth iodepth_batch iodepth_batch_complete_min iodepth_batch_complete_max
iodepth_low serialize_overlap io_submit_mode size io_size fill_device filesize file_append offset
offset_align offset_increment number_ios bs ba bsrange bssplit bs_unaligned bs_is_seq_rand
randrepeat randseed norandommap softrandommap random_generator random_distribution percentage_random
percentage_sequential allrandrepeat nrfiles openfiles file_service_type fallocate fadvise_hint fsync
fdatasync write_barrier sync_file_range direct atomic buffered overwrite loops numjobs startdelay
runtime time_based verify_only ramp_time clocksource mem iomem_align verify do_verify verifysort
verifysort_nr verify_interval verify_offset verify_pattern verify_fatal verify_dump verify_async
verify_backlog verify_backlog_batch verify_async_cpus experimental_verify verify_state_load
verify_state_save trim_percentage trim_verify_zero trim_backlog trim_backlog_batch write_iolog
read_iolog read_iolog_chunked replay_no_stall replay_redirect replay_scale replay_align
replay_time_scale replay_skip merge_blktrace_file merge_blktrace_scalars merge_blktrace_iters
exec_prerun exec_postrun ioscheduler zonemode zonesize zonecapacity zonerange zoneskip
read_beyond_wp max_open_zones job_max_open_zones ignore_zone_limits zone_reset_threshold
zone_reset_frequency lockmem rwmixread rwmixwrite rwmixcycle nice prio prioclass thinktime
thinktime_spin thinktime_blocks thinktime_blocks_type thinktime_iotime rate rate_min rate_iops
rate_iops_min rate_process rate_cycle rate_ignore_thinktime max_latency latency_target
latency_window latency_percentile latency_run invalidate sync write_hint create_serialize
create_fsync create_on_open create_only allow_file_create allow_mounted_write pre_read cpumask
cpus_allowed cpus_allowed_policy numa_cpu_nodes numa_mem_policy gpu_dev_id end_fsync fsync_on_close
unlink unlink_each_loop exitall exit_what exitall_on_error stonewall new_group thread per_job_logs
write_bw_log write_lat_log write_iops_log log_entries log_avg_msec log_hist_msec log_hist_coarseness
write_hist_log log_max_value log_offset log_prio log_compression log_compression_cpus
log_store_compressed log_unix_epoch log_alternate_epoch log_alternate_epoch_clock_id
block_error_percentiles bwavgtime iopsavgtime group_reporting stats zero_buffers refill_buffers
scramble_buffers buffer_pattern buffer_compress_percentage buffer_compress_chunk dedupe_percentage
dedupe_global dedupe_mode dedupe_working_set_percentage clat_percentiles lat_percentiles
slat_percentiles percentile_list significant_figures disk_util gtod_reduce disable_lat disable_clat
disable_slat disable_bw_measurement gtod_cpu unified_rw_reporting continue_on_error ignore_error
error_dump profile cgroup cgroup_nodelete cgroup_weight uid gid kb_base unit_base hugepage-size
flow_id flow flow_watermark flow_sleep steadystate steadystate_duration steadystate_ramp_time
""".split()
FIO_ALIASES = {
    "readwrite": "rw", "iodepth_batch_submit": "iodepth_batch",
    "iodepth_batch_complete": "iodepth_batch_complete_min", "io_limit": "io_size",
    "fill_fs": "fill_device", "fileoffset": "offset", "blocksize": "bs", "blockalign": "ba",
    "blocksize_range": "bsrange", "blocksize_unaligned": "bs_unaligned", "nr_files": "nrfiles",
    "timeout": "runtime", "iomem": "mem", "mem_align": "iomem_align", "ratemin": "rate_min",
    "ratecycle": "rate_cycle", "wait_for_previous": "stonewall", "disable_bw": "disable_bw_measurement",
    "ss": "steadystate", "ss_dur": "steadystate_duration", "ss_ramp": "steadystate_ramp_time",
}
# The options of fio's built-in job profiles (tiobench, act), which fio 3.33
# takes in any job file and uses only under profile=NAME (its tiobench's
# "size" is the job's own size, found first).
PROFILE_OPTIONS = """
block numruns dir threads device-names load test-duration threads-per-queue
read-req-num-512-blocks large-block-op-kbytes prep
""".split()
for _n in PROFILE_OPTIONS:
    _add(_n, "ignore", note="an option of fio's built-in tiobench or act profile: nothing "
                            "without profile=, in fio as here")

ENGINE_OPTIONS = """
userspace_reap cmdprio_percentage cmdprio_class cmdprio cmdprio_bssplit nowait hipri fixedbufs
registerfiles sqthread_poll sqthread_poll_cpu nonvectored uncached force_async cmd_type
hipri_percentage
""".split()

REFUSE_WHY = {
    "directory": "there are no file systems; name a disk with filename=",
    "wait_for": "only stonewall orders jobs here",
    "profile": "fio's built-in job profiles are not supported (the kernel's own profile=HZ "
               "is a command-line key, not a job-file key)",
    "exitall": "every job runs to its own end here",
    "zero_buffers": "write data is this kernel's own",
    "refill_buffers": "write data is this kernel's own",
    "buffer_pattern": "write data is this kernel's own",
}

for _n in FIO_OPTIONS + ENGINE_OPTIONS:
    if _n not in TABLE:
        _add(_n, "refuse", note=REFUSE_WHY.get(_n, ""))
for _alias, _canon in FIO_ALIASES.items():
    if _alias not in TABLE[_canon].aliases:
        TABLE[_canon].aliases += (_alias,)

ALIASES = {a: k.name for k in TABLE.values() for a in k.aliases}
FIO_KEYS = set(FIO_OPTIONS) | set(ENGINE_OPTIONS) | set(PROFILE_OPTIONS) | set(FIO_ALIASES)


def lookup(name):
    """The table entry for a key or alias, or None."""
    name = ALIASES.get(name, name)
    return TABLE.get(name)


def kernel_keys():
    """The keys this project passes to the kernel (for the drift test)."""
    out = set()
    for k in TABLE.values():
        if k.kind in ("pass", "own") or (k.kind == "map" and k.name in ("filename",)):
            out.add(k.kernel)
    out |= {"filename", "iodepth", "sched", "fsync", "randseed"}
    return out


def suggest(name):
    """The closest known key, for 'did you mean'."""
    import difflib
    best = difflib.get_close_matches(name, list(TABLE) + list(ALIASES), n=1, cutoff=0.75)
    return best[0] if best else None


def is_default(key, text, ctx):
    """Whether a 'default'-kind key's value (a bare key is 1) is fio's
    default; NumberError or KeyError_ for a value fio would refuse."""
    a = key.check(text if text is not None else "1", ctx)
    return a == key.check(key.default, ctx)
