"""Streaming reader for the Go benchmark format (``go test -bench`` output), like benchfmt.

The format (https://go.dev/design/14313-benchmark-format) has three kinds of
line we care about:

* configuration ``key: value`` (key starts lower-case, has no spaces or
  upper-case letters); an empty value deletes the key;
* results ``BenchmarkName-8  1000  1234 ns/op  56 B/op ...`` with any number
  of value/unit pairs;
* unit metadata ``Unit ns/frame better=higher``.

Lines are read in batches and folded into one float array per
(package, benchmark, unit) (``bench.lines``): memory grows with the distinct
rows and their values, never with the file's lines or strings (months of
nightly results are tens of megabytes).  A ``--- FAIL: BenchmarkX`` block or a benchmark that
panics is kept as a ``Failure`` (the gate explains a missing row with it).
Everything else (``PASS``, ``ok``, log output) is ignored.  A malformed
result or unit line never raises: it becomes a warning ``file:line: why`` and
is skipped, so one bad line cannot hide a whole run.  Values are tidied at read
time (``ns/op`` -> ``sec/op``), exactly as benchstat does.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import threading
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pytest_goperf.errors import InputError

Key = tuple[str, str, str]  # (pkg or "", benchmark name without "Benchmark", tidied unit)
EMPTY_CONFIG: Mapping[str, str] = {}  # config snapshots are shared, never changed: typed Mapping, plain dicts (picklable)
_PARALLEL_BYTES = 8 << 20  # both files at least this big: read them in two processes at once
_BATCH = 1 << 20  # characters read per batch of lines


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

    def add(self, pkg: str, name: str, unit: str, value: float, config: Mapping[str, str] = EMPTY_CONFIG) -> None:
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


def parse_lines(lines: Iterable[str], name: str = "<text>") -> BenchFile:
    """Fold benchmark output lines (with or without their line ends) into a BenchFile; never raises."""
    from pytest_goperf.bench.lines import parse

    it = iter(lines)
    return parse(iter(lambda: list(itertools.islice(it, 2048)), []), name)


def parse_text(text: str, name: str = "<text>") -> BenchFile:
    """Parse benchmark output held in memory; never raises on bad lines."""
    # Split on "\n" only, as Go's bufio.Scanner does (str.splitlines would
    # also split on form feeds and other separators, shifting line numbers).
    from pytest_goperf.bench.lines import parse

    lines = text.split("\n")
    return parse((lines[at:at + 8192] for at in range(0, len(lines), 8192)), name)


def read_file(path: str | Path) -> BenchFile:
    """Read one benchmark output file line by line; unreadable files raise ``InputError``."""
    from pytest_goperf.bench.lines import parse

    p = Path(path)
    try:
        # newline="\n": lines end at "\n" only, as Go's bufio.Scanner splits them.
        with p.open("r", encoding="utf-8", errors="replace", newline="\n") as fh:
            return parse(iter(lambda: fh.readlines(_BATCH), []), str(path))
    except OSError as exc:
        raise InputError(f"cannot read benchmark file {p}: {exc.strerror or exc}") from None


def read_pair(old: str | Path, new: str | Path) -> tuple[BenchFile, BenchFile]:
    """Read both files of a comparison; two large ones are parsed at the same time in two processes.

    Parsing is CPU-bound Python, so on a machine with a second core this
    halves the wait on months of nightly results.  Only with ``fork`` (no
    re-import) and from a single-threaded process; otherwise one after the other.
    """
    try:
        big = min(os.path.getsize(old), os.path.getsize(new)) >= _PARALLEL_BYTES
    except OSError:
        big = False  # read_file reports the missing file
    if (big and (os.cpu_count() or 1) > 1 and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods()):
        with multiprocessing.get_context("fork").Pool(1) as pool:
            later = pool.apply_async(read_file, (old,))
            new_file = read_file(new)
            return later.get(), new_file
    return read_file(old), read_file(new)
