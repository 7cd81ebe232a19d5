"""The line loop behind ``bench.format``: batches of lines folded into per-row float arrays.

Two speeds, one meaning.  A result line whose name and units match what
that name had before takes the fast path: one ``split``, one dict hit, a
units comparison and ``array.extend`` of its values, kept interleaved per
line until ``finish`` tidies them into one array per unit.  Anything new,
odd or invalid is validated field by field and warned about with its line
number.  Whether a batch can skip the per-value checks is decided once per
batch: plain ASCII without "_", "nan" or "inf" cannot hold a number Go's
ParseFloat refuses but Python's float() takes (``1_0``, ``NaN``, ``Inf``);
an overflow (``1e999``) is caught in ``finish``.  (Folding runs of lines
column by column was tried: keeping a batch's strings alive made it slower.)
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping

from pytest_goperf.bench.format import EMPTY_CONFIG, BenchFile, Failure, Series
from pytest_goperf.bench.units import tidy_unit

_NO_FAST: dict[str, _Entry] = {}


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


class _Entry:
    """One benchmark name with one sequence of units in one package: its values, interleaved per line."""

    __slots__ = ("configs", "pkg", "raw", "units", "values", "width")

    def __init__(self, pkg: str, raw: str, units: list[str]) -> None:
        self.pkg = pkg
        self.raw = raw
        self.units = units
        self.width = 2 + 2 * len(units)  # fields in a line: name, iterations, value/unit pairs
        self.values: array[float] = array("d")
        self.configs: list[Mapping[str, str]] = []


class _Reader:
    """Folds lines into a BenchFile; one instance per file.

    Result lines are stored per ``_Entry`` as the line's raw values, one
    ``array.extend`` per line; ``finish`` tidies them into one series per
    unit.  A line whose name and units match the entry seen last for that
    name takes the fast path in ``parse_lines``; anything new or odd comes
    here and is validated field by field.
    """

    def __init__(self, name: str) -> None:
        self.out = BenchFile(name)
        self.config: dict[str, str] = {}
        self.snapshot: Mapping[str, str] = EMPTY_CONFIG
        self.interned: dict[tuple[tuple[str, str], ...], Mapping[str, str]] = {}
        self.dirty = False
        self.pkg = ""
        self.entries: dict[tuple[str, str, tuple[str, ...]], _Entry] = {}
        # Per config snapshot: raw name -> the entry its last line went to.  An entry is only ever put
        # here after the snapshot was added to its configs, so the fast path never looks at configs.
        self.fast_by_snapshot: dict[int, dict[str, _Entry]] = {id(EMPTY_CONFIG): {}}
        self.fast = self.fast_by_snapshot[id(EMPTY_CONFIG)]
        self.failing: list[str] | None = None  # message lines of the last "--- FAIL" block
        self.failing_at = 0  # line number of that block's last line

    def warn(self, lineno: int, msg: str) -> None:
        self.out.warnings.append(f"{self.out.name}:{lineno}: {msg}")

    def freeze(self) -> None:
        items = tuple(sorted(self.config.items()))
        snap = self.interned.get(items)
        if snap is None:
            snap = self.interned[items] = dict(self.config)
            self.out.configs.append(snap)
        self.snapshot = snap
        self.pkg = self.config.get("pkg", "")
        self.fast = self.fast_by_snapshot.setdefault(id(snap), {})
        self.dirty = False

    def config_changed(self) -> None:
        self.dirty = True
        self.fast = _NO_FAST  # until the next result line freezes the new config

    def result(self, lineno: int, line: str) -> None:
        """A result line, validated field by field (the slow path)."""
        self.failing = None
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
        self.entry(raw, fields[3::2]).values.extend(nums)

    def entry(self, raw: str, units: list[str]) -> _Entry:
        """The entry for this name and units under the config in force (made fast for later lines)."""
        key = (self.pkg, raw, tuple(units))
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = _Entry(self.pkg, raw, units)
        if all(c is not self.snapshot for c in entry.configs):
            entry.configs.append(self.snapshot)
        self.fast[raw] = entry
        return entry

    def finish(self) -> BenchFile:
        """Tidy every entry's interleaved values into one series per (pkg, name, unit)."""
        series = self.out.series
        for entry in self.entries.values():
            width = len(entry.units)
            total = sum(entry.values)
            if total - total != 0.0:  # an overflow ("1e999") read on the fast path: drop those lines
                self.drop_infinite(entry, width)
            if not entry.values:  # every line of it was dropped: no row, only the warning
                continue
            self.out.results += len(entry.values) // width
            for j, unit in enumerate(entry.units):
                tidied, factor = tidy_unit(unit)
                key = (entry.pkg, entry.raw[9:], tidied)
                s = series.get(key)
                if s is None:
                    s = series[key] = Series()
                column = entry.values[j::width]
                if factor == 1.0:
                    s.values.extend(column)
                else:  # in slices: a list of Python floats for a whole column would cost 4x its array
                    for at in range(0, len(column), 8192):
                        s.values.extend(array("d", [v * factor for v in column[at:at + 8192]]))
                s.configs.extend(c for c in entry.configs if all(c is not have for have in s.configs))
            entry.values = array("d")
        return self.out

    def drop_infinite(self, entry: _Entry, width: int) -> None:
        kept: array[float] = array("d")
        dropped = 0
        for at in range(0, len(entry.values), width):
            row = entry.values[at:at + width]
            total = sum(row)
            if total - total == 0.0:
                kept.extend(row)
            else:
                dropped += 1
        entry.values = kept
        self.out.warnings.append(f"{self.out.name}: {entry.raw}: {dropped} result line(s) with a measurement "
                                 "that is not a finite number skipped")

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
            self.failing_at = lineno
            name = line[len("--- FAIL: Benchmark"):].split()
            self.out.failures.append(Failure(self.pkg, name[0] if name else "", "", lineno, False))
            return
        if self.failing is not None:
            if line.startswith("    ") and lineno == self.failing_at + 1:  # the block's own indented lines
                self.failing_at = lineno
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
                    self.config_changed()
            elif self.config.get(key) != val:
                self.config[key] = val
                self.config_changed()


def _chomp(line: str) -> str:
    """The line without its "\n" and then "\r" (bufio.Scanner's ScanLines)."""
    line = line.removesuffix("\n")
    return line.removesuffix("\r")


def parse(batches: Iterable[list[str]], name: str) -> BenchFile:
    """Fold batches of lines (with or without their line ends) into a BenchFile; never raises."""
    reader = _Reader(name)
    reader.out.source = name
    lineno = 0
    for batch in batches:
        joined = "".join(batch)
        lowered = joined.lower()
        careful = not joined.isascii() or "_" in joined or "nan" in lowered or "inf" in lowered
        del joined, lowered
        (_careful_lines if careful else _plain_lines)(reader, batch, lineno)
        lineno += len(batch)
    return reader.finish()


def _plain_lines(reader: _Reader, lines: list[str], lineno: int) -> None:
    result, other = reader.result, reader.other
    fast = reader.fast
    for line in lines:
        lineno += 1
        if line.startswith("Benchmark"):
            fields = line.split()
            entry = fast.get(fields[0])
            if (entry is not None and len(fields) == entry.width and fields[3::2] == entry.units
                    and fields[1].isdigit()):
                values = entry.values
                try:
                    values.extend(map(float, fields[2::2]))
                    continue
                except ValueError:  # "1.2.3": drop the part of this line already added, the slow path warns
                    del values[len(values) - len(values) % len(entry.units):]
            result(lineno, _chomp(line))
        else:
            other(lineno, _chomp(line))
        fast = reader.fast


def _careful_lines(reader: _Reader, lines: list[str], lineno: int) -> None:
    """Line by line, every value checked: for batches that hold "_", "nan", "inf" or non-ASCII text."""
    result, other = reader.result, reader.other
    fast = reader.fast
    for line in lines:
        lineno += 1
        if line.startswith("Benchmark"):
            fields = line.split()
            entry = fast.get(fields[0])
            if (entry is not None and len(fields) == entry.width and fields[3::2] == entry.units
                    and fields[1].isdigit() and line.isascii() and line.find("_", len(fields[0])) < 0):
                try:
                    nums = list(map(float, fields[2::2]))
                except ValueError:
                    nums = [math.nan]
                total = sum(nums)
                if total - total == 0.0:  # no NaN or infinity among them
                    entry.values.extend(nums)
                    continue
            result(lineno, _chomp(line))
        else:
            other(lineno, _chomp(line))
        fast = reader.fast
