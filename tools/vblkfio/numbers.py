# SPDX-License-Identifier: MIT
"""fio's number syntax, as fio 3.33 reads values in job files.

Sizes take fio's suffixes. With fio's default kb_base=1024, k, m, g, t and p
(with or without a trailing b) multiply by powers of 1024, and the IEC forms
ki, mi ... with a trailing b (kib, mib ...) by powers of 1000: fio keeps the
old meaning of the SI-looking suffixes and gives the IEC ones the other
base, so that old job files keep their meaning. kb_base=1000 swaps the two.
A value that starts with '(' is arithmetic: + - * / % and parentheses over
numbers that may carry their own suffix, as fio's expression parser takes
them. Times default to seconds (or to the unit the caller names) and take
us, ms, s, m, h and d.

fio itself quietly reads "4q" as 4 and "5sec" as 5 microseconds; here a
suffix fio does not document is an error, since a job file that means
something else than it says is worse than one that stops."""

import re

_SIZE_POW = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}
_TIME_US = {"us": 1, "usec": 1, "ms": 1000, "msec": 1000, "s": 1000000,
            "m": 60 * 1000000, "h": 3600 * 1000000, "d": 86400 * 1000000}
SIZE_SUFFIXES = "k, kb, kib, m, mb, mib, g, gb, gib, t, tb, tib, p, pb, pib or b"


class NumberError(ValueError):
    pass


def _size_mult(suffix, kb_base):
    s = suffix.lower()
    if s in ("", "b"):
        return 1
    iec = s.endswith("ib") and len(s) == 3
    letter = s[0]
    if letter not in _SIZE_POW or not (len(s) == 1 or s[1:] in ("b", "ib")):
        raise NumberError(f"unknown size suffix '{suffix}' (use {SIZE_SUFFIXES})")
    # The IEC forms take the base that kb_base does not (fio's compatibility rule).
    base = kb_base if not iec else (1000 if kb_base == 1024 else 1024)
    return base ** _SIZE_POW[letter]


_NUM_RE = re.compile(r"(0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)([a-zA-Z%]*)$")


def _plain_size(text, kb_base, allow_pct):
    """A number with an optional suffix: int bytes, or ('%', n) for n%."""
    m = _NUM_RE.match(text)
    if not m:
        raise NumberError(f"'{text}' is not a number")
    digits, suffix = m.groups()
    if digits.lower().startswith("0x"):
        if suffix:
            raise NumberError(f"'{text}': a hexadecimal number takes no suffix")
        return int(digits, 16)
    if suffix == "%":
        if not allow_pct:
            raise NumberError(f"'{text}': a percentage is not allowed here")
        if "." in digits:
            raise NumberError(f"'{text}': fio takes whole percentages only")
        return ("%", int(digits))
    value = float(digits) * _size_mult(suffix, kb_base)
    if value != int(value):
        raise NumberError(f"'{text}' is not a whole number of bytes")
    return int(value)


class _Expr:
    """A small recursive-descent evaluator for fio's '(...)' arithmetic."""

    TOKEN = re.compile(r"\s*(?:(0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)([a-zA-Z]*)|([-+*/%^()]))")

    def __init__(self, text, unit):
        self.text, self.pos, self.unit = text, 0, unit
        self.tokens = []
        while self.pos < len(text):
            if text[self.pos:].strip() == "":
                break
            m = self.TOKEN.match(text, self.pos)
            if not m:
                raise NumberError(f"'{text}': cannot read arithmetic at '{text[self.pos:]}'")
            self.tokens.append(m.groups())
            self.pos = m.end()
        self.i = 0

    def peek(self):
        return self.tokens[self.i][2] if self.i < len(self.tokens) else None

    def take(self):
        self.i += 1
        return self.tokens[self.i - 1]

    def parse(self):
        v = self.sum()
        if self.i != len(self.tokens):
            raise NumberError(f"'{self.text}': unexpected '{self.tokens[self.i][2] or self.tokens[self.i][0]}'")
        return v

    def sum(self):
        v = self.product()
        while self.peek() in ("+", "-"):
            op = self.take()[2]
            r = self.product()
            v = v + r if op == "+" else v - r
        return v

    def product(self):
        v = self.power()
        while self.peek() in ("*", "/", "%"):
            op = self.take()[2]
            r = self.power()
            if op != "*" and r == 0:
                raise NumberError(f"'{self.text}': division by zero")
            v = v * r if op == "*" else (v / r if op == "/" else v % r)
        return v

    def power(self):
        v = self.unary()
        if self.peek() == "^":
            self.take()
            v = v ** self.power()
        return v

    def unary(self):
        if self.peek() in ("-", "+"):
            sign = -1 if self.take()[2] == "-" else 1
            return sign * self.unary()
        if self.peek() == "(":
            self.take()
            v = self.sum()
            if self.peek() != ")":
                raise NumberError(f"'{self.text}': missing ')'")
            self.take()
            return v
        if self.i >= len(self.tokens) or self.tokens[self.i][0] is None:
            raise NumberError(f"'{self.text}': expected a number")
        digits, suffix, _ = self.take()
        return self.unit(digits, suffix)


def parse_size(text, kb_base=1024, allow_pct=False):
    """A byte count: int, or ('%', n) where fio takes a percentage."""
    text = text.strip()
    if not text:
        raise NumberError("empty value")
    if text.startswith("("):
        def unit(digits, suffix):
            if digits.lower().startswith("0x"):
                if suffix:
                    raise NumberError(f"'{text}': a hexadecimal number takes no suffix")
                return int(digits, 16)
            return float(digits) * _size_mult(suffix, kb_base)
        v = _Expr(text, unit).parse()
        if v != int(v):
            raise NumberError(f"'{text}' is not a whole number of bytes ({v})")
        v = int(v)
    else:
        v = _plain_size(text, kb_base, allow_pct)
    if isinstance(v, int) and v < 0:
        raise NumberError(f"'{text}' is negative")
    return v


def parse_int(text, lo=None, hi=None, kb_base=1024):
    """An integer option (fio reads these with size suffixes too)."""
    v = parse_size(text, kb_base)
    if lo is not None and v < lo:
        raise NumberError(f"'{text}' is below the minimum {lo}")
    if hi is not None and v > hi:
        raise NumberError(f"'{text}' is above the maximum {hi}")
    return v


def parse_time_us(text, default_unit="s"):
    """A duration in microseconds; a bare number is in default_unit."""
    text = text.strip()
    if not text:
        raise NumberError("empty value")

    def unit(digits, suffix):
        s = suffix.lower() or default_unit
        if s not in _TIME_US:
            raise NumberError(f"unknown time unit '{suffix}' (use us, ms, s, m, h or d)")
        if digits.lower().startswith("0x"):
            return int(digits, 16) * _TIME_US[s]
        return float(digits) * _TIME_US[s]

    if text.startswith("("):
        v = _Expr(text, unit).parse()
    else:
        m = _NUM_RE.match(text)
        if not m or m.group(2) == "%":
            raise NumberError(f"'{text}' is not a duration (e.g. 30, 500ms, 2m)")
        v = unit(*m.groups())
    if v < 0:
        raise NumberError(f"'{text}' is negative")
    if v != int(v):
        raise NumberError(f"'{text}' is not a whole number of microseconds")
    return int(v)


def parse_bool(text):
    """fio's bool options take integers: 0 is false, 1 is true."""
    try:
        v = parse_int(text)
    except NumberError:
        raise NumberError(f"'{text}' is not 0 or 1")
    if v > 1:
        raise NumberError(f"'{text}' is not 0 or 1")
    return bool(v)


def parse_float(text, lo=None, hi=None):
    try:
        v = float(text)
    except ValueError:
        raise NumberError(f"'{text}' is not a number")
    if v != v or v in (float("inf"), float("-inf")):
        raise NumberError(f"'{text}' is not a number")
    if lo is not None and v < lo:
        raise NumberError(f"'{text}' is below {lo}")
    if hi is not None and v > hi:
        raise NumberError(f"'{text}' is above {hi}")
    return v
