# SPDX-License-Identifier: MIT
"""The key table as text (tools/fio-job keys) and as the README's lists
(tools/fio-job keys --markdown; a test holds the README to it)."""

from . import keys as K

KINDS = (
    ("pass", "Supported: passed to the kernel, checked as fio checks it"),
    ("map", "Mapped to this kernel's meaning"),
    ("host", "Acted on by the host tools"),
    ("own", "This kernel's own keys (not fio's), also allowed in job files"),
    ("ignore", "Accepted and ignored: no meaning here, no effect on the result"),
    ("default", "Accepted at fio's default value only (ignored then), refused at any other"),
    ("refuse", "Refused (an error naming file, line, section and key)"),
)


def _names(entry):
    return ", ".join(f"`{n}`" for n in (entry.name,) + entry.aliases)


def _by_kind(kind):
    return sorted((e for e in K.TABLE.values() if e.kind == kind), key=lambda e: e.name)


def markdown():
    out = []
    for kind, title in KINDS:
        entries = _by_kind(kind)
        out.append(f"**{title}** ({len(entries)}):\n\n")
        if kind in ("pass", "map", "host", "own", "ignore"):
            out.append("| key | meaning here |\n|---|---|\n")
            for e in entries:
                out.append(f"| {_names(e)} | {e.note} |\n")
        elif kind == "default":
            out.append(", ".join(f"`{e.name}={e.default}`" for e in entries) + "\n")
        else:
            why = [e for e in entries if e.note]
            plain = [e for e in entries if not e.note]
            for e in why:
                out.append(f"- {_names(e)}: {e.note}\n")
            out.append("- every other fio 3.33 option: " +
                       ", ".join(f"`{n}`" for e in plain for n in (e.name,) + e.aliases) + "\n")
        out.append("\n")
    out.append("Per-disk settings `vdX.KEY=V` and stacked devices `mdN=...` go in `[global]`; "
               "they hold from boot for every job.\n")
    return "".join(out)


def text():
    out = []
    for kind, title in KINDS:
        out.append(f"{title}:\n")
        for e in _by_kind(kind):
            extra = f"={e.default}" if kind == "default" else ""
            note = f"  {e.note}" if e.note else ""
            out.append(f"  {e.name}{extra}" + (f" ({', '.join(e.aliases)})" if e.aliases else "") +
                       f"{note}\n")
        out.append("\n")
    return "".join(out)
