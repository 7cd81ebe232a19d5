"""Streaming reader for the Go benchmark format (``go test -bench`` output), like benchfmt.

The format (https://go.dev/design/14313-benchmark-format) has three kinds of
line we care about:

* configuration ``key: value`` (key starts lower-case, has no spaces or
  upper-case letters); an empty value deletes the key;
* results ``BenchmarkName-8  1000  1234 ns/op  56 B/op ...`` with any number
  of value/unit pairs;
* unit metadata ``Unit ns/frame better=higher``.

Lines are read one at a time and folded into one float array per
(package, benchmark, unit): memory grows with the distinct rows and their
values, never with the file's lines or strings (months of nightly results are
tens of megabytes).  A ``--- FAIL: BenchmarkX`` block or a benchmark that
panics is kept as a ``Failure`` (the gate explains a missing row with it).
Everything else (``PASS``, ``ok``, log output) is ignored.  A malformed
result or unit line never raises: it becomes a warning ``file:line: why`` and
is skipped, so one bad line cannot hide a whole run.  Values are tidied at read
time (``ns/op`` -> ``sec/op``), exactly as benchstat does.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from pytest_goperf.bench.units import tidy_unit
from pytest_goperf.errors import InputError

Key = tuple[str, str, str]  # (pkg or "", benchmark name without "Benchmark", tidied unit)
_EMPTY: Mapping[str, str] = MappingProxyType({})


class Failure(NamedTuple):
    """A benchmark that failed (``--- FAIL: BenchmarkX``) or crashed the test binary (panic)."""

    pkg: str          # the package it ran in ("" without a pkg line)
    benchmark: str    # name without "Benchmark" and without the -GOMAXPROCS suffix
    message: str      # what go test printed under it, joined with "; "
    line: int         # where in the file
    crashed: bool     # a panic: later benchmarks of the package did not run


@dataclass
class Series:
    """The values of one (pkg, benchmark, unit) row on one side, and the configs they ran under."""

    values: array[float] = field(default_factory=lambda: array("d"))
    configs: list[Mapping[str, str]] = field(default_factory=list)  # distinct snapshots, in order

    def varying(self) -> list[str]:
        """Config keys whose value changes among these results (benchstat's "benchmarks vary in")."""
        if len(self.configs) < 2:
            return []
        keys = sorted({k for c in self.configs for k in c})
        return [k for k in keys if len({c.get(k) for c in self.configs}) > 1]


@dataclass
class BenchFile:
    """Everything read from one benchmark output, aggregated per row.

    ``units`` maps (tidied unit, key) to value for ``Unit`` metadata lines,
    e.g. ``("sec/frame", "better") -> "higher"``.  ``absent`` and ``hint`` are
    filled in by the caller that knows where the file came from: packages
    that do not exist on this side (pkg -> why), and a sentence explaining
    why a benchmark may fail here (e.g. a clean ``git worktree``).
    """

    name: str
    series: dict[Key, Series] = field(default_factory=dict)
    units: dict[tuple[str, str], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    configs: list[Mapping[str, str]] = field(default_factory=list)  # distinct snapshots, in order
    failures: list[Failure] = field(default_factory=list)
    results: int = 0  # result lines read
    absent: dict[str, str] = field(default_factory=dict)
    hint: str | None = None
    source: str = ""  # the file read (``name`` may be relabelled, e.g. "git:HEAD")

    def add(self, pkg: str, name: str, unit: str, value: float, config: Mapping[str, str] = _EMPTY) -> None:
        """Add one tidied value (for callers that build a file in memory)."""
        s = self.series.get((pkg, name, unit))
        if s is None:
            s = self.series[(pkg, name, unit)] = Series()
        s.values.append(value)
        if not s.configs or s.configs[-1] is not config:
            s.configs.append(config)

    @property
    def packages(self) -> list[str]:
        """Packages with results, in order seen."""
        return list(dict.fromkeys(k[0] for k in self.series))

    def config_values(self, key: str) -> list[str]:
        """Distinct values of one config key among the results' configs, in order seen."""
        seen: dict[str, None] = {}
        for cfg in self.configs:
            if key in cfg:
                seen.setdefault(cfg[key], None)
        return list(seen)


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
    return key, stripped


def _base_name(name: str) -> str:
    """``Encode/n=10-8`` -> ``Encode/n=10``: the name without the -GOMAXPROCS suffix."""
    head, sep, tail = name.rpartition("-")
    return head if sep and tail.isdigit() else name


class _Reader:
    """Folds lines into a BenchFile; one instance per file."""

    def __init__(self, name: str) -> None:
        self.out = BenchFile(name)
        self.config: dict[str, str] = {}
        self.snapshot: Mapping[str, str] = _EMPTY
        self.interned: dict[tuple[tuple[str, str], ...], Mapping[str, str]] = {}
        self.dirty = False
        self.pkg = ""
        # (pkg, raw name field, raw unit) -> (series values, series configs, factor): one dict hit per value
        self.slots: dict[tuple[str, str, str], tuple[array[float], list[Mapping[str, str]], float]] = {}
        self.failing: list[str] | None = None  # message lines of the last "--- FAIL" block

    def warn(self, lineno: int, msg: str) -> None:
        self.out.warnings.append(f"{self.out.name}:{lineno}: {msg}")

    def freeze(self) -> None:
        items = tuple(sorted(self.config.items()))
        snap = self.interned.get(items)
        if snap is None:
            snap = self.interned[items] = MappingProxyType(dict(self.config))
            self.out.configs.append(snap)
        self.snapshot = snap
        self.pkg = self.config.get("pkg", "")
        self.dirty = False

    def result(self, lineno: int, line: str) -> None:
        fields = line.split()
        raw = fields[0]
        n = len(fields)
        if n == 1:
            if line.rstrip() != line:
                self.warn(lineno, f"{raw}: missing iteration count")
            return  # else a bare name (go test -v prints these): not a result
        iters = fields[1]
        if not iters.isdigit() or not iters.isascii():
            if iters == "panic:":
                self.crash(lineno, _base_name(raw[9:]), " ".join(fields[1:]))
                return
            self.warn(lineno, f"{raw}: iteration count {iters!r} is not an integer")
            return
        if n == 2:
            self.warn(lineno, f"{raw}: missing measurements")
            return
        if n % 2:
            self.warn(lineno, f"{raw}: value {fields[-1]!r} has no unit")
            return
        if self.dirty:
            self.freeze()
        nums: list[float] = []
        for i in range(2, n, 2):
            text = fields[i]
            try:
                num = float(text)
            except ValueError:
                num = 0.0
                text = ""
            # Go's ParseFloat takes no underscores or non-ASCII digits; NaN/Inf make ranks meaningless.
            if not text or num - num != 0.0 or "_" in text or not text.isascii():
                self.warn(lineno, f"{raw}: measurement {fields[i]!r} is not a finite number")
                return
            nums.append(num)
        pkg, snap, slots = self.pkg, self.snapshot, self.slots
        for j, i in enumerate(range(3, n, 2)):
            slot = slots.get((pkg, raw, fields[i]))
            if slot is None:
                slot = self.new_slot(raw, fields[i])
            values, configs, factor = slot
            values.append(nums[j] * factor)
            if not configs or configs[-1] is not snap:
                configs.append(snap)
        self.out.results += 1

    def new_slot(self, raw: str, unit: str) -> tuple[array[float], list[Mapping[str, str]], float]:
        tidied, factor = tidy_unit(unit)
        key = (self.pkg, raw[9:], tidied)
        s = self.out.series.get(key)
        if s is None:
            s = self.out.series[key] = Series()
        slot = (s.values, s.configs, factor)
        self.slots[(self.pkg, raw, unit)] = slot
        return slot

    def crash(self, lineno: int, name: str, message: str) -> None:
        if self.dirty:
            self.freeze()
        self.out.failures.append(Failure(self.pkg, name, message, lineno, True))

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

    def other(self, lineno: int, line: str) -> None:
        if line.startswith("--- FAIL: Benchmark"):
            if self.dirty:
                self.freeze()
            self.failing = []
            name = line[len("--- FAIL: Benchmark"):].split()
            self.out.failures.append(Failure(self.pkg, name[0] if name else "", "", lineno, False))
            return
        if self.failing is not None:
            if line.startswith("    "):
                self.failing.append(line.strip())
                last = self.out.failures[-1]
                self.out.failures[-1] = last._replace(message="; ".join(self.failing))
                return
            self.failing = None
        if line.startswith("panic: "):
            self.crash(lineno, "", line)
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


def parse_lines(lines: Iterable[str], name: str = "<text>") -> BenchFile:
    """Fold benchmark output lines (with or without their line ends) into a BenchFile; never raises."""
    reader = _Reader(name)
    reader.out.source = name
    result, other = reader.result, reader.other
    lineno = 0
    for lineno, line in enumerate(lines, start=1):
        if line.endswith("\n"):
            line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
        if line.startswith("Benchmark"):
            reader.failing = None
            result(lineno, line)
        else:
            other(lineno, line)
    return reader.out


def parse_text(text: str, name: str = "<text>") -> BenchFile:
    """Parse benchmark output held in memory; never raises on bad lines."""
    # Split on "\n" only, as Go's bufio.Scanner does (str.splitlines would
    # also split on form feeds and other separators, shifting line numbers).
    return parse_lines(text.split("\n"), name)


def read_file(path: str | Path) -> BenchFile:
    """Read one benchmark output file line by line; unreadable files raise ``InputError``."""
    p = Path(path)
    try:
        # newline="\n": lines end at "\n" only, as Go's bufio.Scanner splits them.
        with p.open("r", encoding="utf-8", errors="replace", newline="\n") as fh:
            return parse_lines(fh, str(path))
    except OSError as exc:
        raise InputError(f"cannot read benchmark file {p}: {exc.strerror or exc}") from None
