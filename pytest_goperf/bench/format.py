"""Reader for the Go benchmark format (``go test -bench`` output), like benchfmt.

The format (https://go.dev/design/14313-benchmark-format) has three kinds of
line we care about:

* configuration ``key: value`` (key starts lower-case, has no spaces or
  upper-case letters); an empty value deletes the key;
* results ``BenchmarkName-8  1000  1234 ns/op  56 B/op ...`` with any number
  of value/unit pairs;
* unit metadata ``Unit ns/frame better=higher``.

Everything else (``PASS``, ``ok``, log output) is ignored.  A malformed
result or unit line never raises: it becomes a warning ``file:line: why`` and
is skipped, so one bad line cannot hide a whole run.  Values are tidied at read
time (``ns/op`` -> ``sec/op``), exactly as benchstat does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple
from pathlib import Path
from types import MappingProxyType

from pytest_goperf.bench.units import tidy_unit
from pytest_goperf.errors import InputError



class Value(NamedTuple):
    """One measurement, tidied (``value``/``unit``) and as written (``orig_*``)."""

    value: float
    unit: str
    orig_value: float
    orig_unit: str


class Record(NamedTuple):
    """One result line: a benchmark run with its values and the config in force.

    A tuple rather than a dataclass: large files have tens of thousands of
    these and tuple construction is several times cheaper.
    """

    name: str  # full name without the "Benchmark" prefix, e.g. "Encode/n=10-8"
    iters: int
    values: tuple[Value, ...]
    config: Mapping[str, str]
    file: str
    line: int


@dataclass
class BenchFile:
    """Everything read from one benchmark output.

    ``units`` maps (tidied unit, key) to value for ``Unit`` metadata lines,
    e.g. ``("sec/frame", "better") -> "higher"``.
    """

    name: str
    records: list[Record] = field(default_factory=list)
    units: dict[tuple[str, str], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    configs: list[Mapping[str, str]] = field(default_factory=list)  # distinct snapshots, in order

    def config_values(self, key: str) -> list[str]:
        """Distinct values of one config key among the records' configs, in order seen."""
        seen: dict[str, None] = {}
        for cfg in self.configs:
            if key in cfg:
                seen.setdefault(cfg[key], None)
        return list(seen)


def _parse_float(text: str) -> float | None:
    """A finite number as Go's ParseFloat reads it, else None.

    Python's float() also takes underscores ("1_0"); Go does not.  Infinities
    and NaN are refused: they would make medians and ranks meaningless.
    """
    try:
        value = float(text)
    except ValueError:
        return None
    if "_" in text or not text.isascii() or not math.isfinite(value):
        return None
    return value


def _config_line(line: str) -> tuple[str, str] | None:
    """``key: value`` as benchfmt defines it, else None."""
    colon = line.find(":")
    if colon <= 0:
        return None
    key = line[:colon]
    if not key[0].islower() or any(c.isspace() or c.isupper() for c in key):
        return None
    rest = line[colon + 1 :]
    if rest == "":
        return key, ""
    stripped = rest.lstrip(" \t")
    if stripped == rest:
        return None  # "key:value" without a blank is not a config line (URLs)
    return key, stripped.rstrip("\r\n")


class _Parser:
    def __init__(self, name: str) -> None:
        self.out = BenchFile(name)
        self.config: dict[str, str] = {}
        self.frozen: Mapping[str, str] = MappingProxyType({})
        self.dirty = False
        self.tidy: dict[str, tuple[str, float]] = {}

    def warn(self, lineno: int, msg: str) -> None:
        self.out.warnings.append(f"{self.out.name}:{lineno}: {msg}")

    def benchmark(self, lineno: int, line: str) -> None:
        fields = line.split()
        name = fields[0][len("Benchmark") :]
        if len(fields) == 1:
            if line.rstrip() == line:
                return  # a bare name (go test -v prints these): not a result
            self.warn(lineno, f"Benchmark{name}: missing iteration count")
            return
        if not fields[1].isascii() or not fields[1].isdigit():
            self.warn(lineno, f"Benchmark{name}: iteration count {fields[1]!r} is not an integer")
            return
        pairs = fields[2:]
        if not pairs:
            self.warn(lineno, f"Benchmark{name}: missing measurements")
            return
        if len(pairs) % 2:
            self.warn(lineno, f"Benchmark{name}: value {pairs[-1]!r} has no unit")
            return
        values: list[Value] = []
        tidy_cache = self.tidy
        new_value = tuple.__new__  # Value(...) without the NamedTuple's Python-level __new__
        for i in range(0, len(pairs), 2):
            num = _parse_float(pairs[i])
            if num is None:
                self.warn(lineno, f"Benchmark{name}: measurement {pairs[i]!r} is not a finite number")
                return
            unit = pairs[i + 1]
            tidied = tidy_cache.get(unit)
            if tidied is None:
                tidied = tidy_cache[unit] = tidy_unit(unit)
            values.append(new_value(Value, (num * tidied[1], tidied[0], num, unit)))
        if self.dirty:
            self.frozen = MappingProxyType(dict(self.config))
            self.out.configs.append(self.frozen)
            self.dirty = False
        self.out.records.append(Record(name, int(fields[1]), tuple(values), self.frozen, self.out.name, lineno))

    def unit_line(self, lineno: int, fields: list[str]) -> None:
        if len(fields) < 2:
            self.warn(lineno, "Unit line: missing unit")
            return
        unit = fields[1]
        tidied, _ = tidy_unit(unit)
        for kv in fields[2:]:
            eq = kv.find("=")
            if eq <= 0:
                self.warn(lineno, f"Unit {unit}: expected key=value, got {kv!r}")
                continue
            key, val = (tidied, kv[:eq]), kv[eq + 1 :]
            have = self.out.units.get(key)
            if have is not None and have != val:
                self.warn(lineno, f"Unit {unit}: metadata {kv[:eq]} already set to {have}")
                continue
            self.out.units[key] = val

    def feed(self, lineno: int, line: str) -> None:
        if line.startswith("Benchmark"):
            self.benchmark(lineno, line)
            return
        if line.startswith("Unit"):
            fields = line.split()
            if fields and fields[0] == "Unit":
                self.unit_line(lineno, fields)
                return
        kv = _config_line(line)
        if kv is not None:
            key, val = kv
            if val == "":
                if key in self.config:
                    del self.config[key]
                    self.dirty = True
            elif self.config.get(key) != val:
                self.config[key] = val
                self.dirty = True


def parse_text(text: str, name: str = "<text>") -> BenchFile:
    """Parse benchmark output held in memory; never raises on bad lines."""
    parser = _Parser(name)
    # Split on "\n" only, as Go's bufio.Scanner does (str.splitlines would
    # also split on form feeds and other separators, shifting line numbers).
    for lineno, line in enumerate(text.split("\n"), start=1):
        parser.feed(lineno, line[:-1] if line.endswith("\r") else line)
    return parser.out


def read_file(path: str | Path) -> BenchFile:
    """Read one benchmark output file; unreadable files raise ``InputError``."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read benchmark file {p}: {exc.strerror or exc}") from None
    text = data.decode("utf-8", errors="replace")
    return parse_text(text, str(path))
