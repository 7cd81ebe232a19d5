"""Pair the rows of two benchmark outputs and compare them like benchstat.

Rows are keyed by (package, benchmark name, tidied unit), as benchstat's
default does (it starts a new table for every ``pkg:``): two packages that
both have ``BenchmarkParse`` are two rows, never one pooled sample.
``split="none"`` pools across packages like ``benchstat -table ''`` (the row
then warns "benchmarks vary in pkg").  Unlike benchstat's default,
configuration lines that differ *between* the files (``pgo: off`` /
``pgo: on``, ``cpu``) do not split the rows: comparing a baseline with a
candidate build is the whole point.  A benchmark present on one side only is
kept with the other side ``None`` and, where the file says why (a ``--- FAIL``
block, a crash, a package the side lacks), the reason.  Everything
questionable becomes a warning on the row or on the comparison; only "there
is nothing to compare at all" raises ``InputError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_goperf.bench.format import BenchFile, Key, read_pair
from pytest_goperf.bench.sides import Side, base_name, pair_rows
from pytest_goperf.bench.stats import Summary, summarize, summarize_exact
from pytest_goperf.bench.units import Better, direction
from pytest_goperf.bench.utest import mann_whitney
from pytest_goperf.errors import InputError

CONFIDENCE = 0.95
SPLITS = ("pkg", "none")


@dataclass(frozen=True)
class Row:
    """One benchmark and unit of one package: both summaries, the U-test and the change."""

    benchmark: str
    unit: str
    better: Better | None
    old: Summary | None
    new: Summary | None
    p_value: float | None
    significant: bool
    delta_pct: float | None
    warnings: tuple[str, ...] = ()
    exact: bool = False  # the unit is declared ``assume=exact``: no noise model, p is 0
    p_sound: float | None = None  # p for decisions (see stats.sound_p); p_value is benchstat's
    pkg: str | None = None  # the package; None without a pkg line or when pooled from several
    from_zero: bool = False  # baseline centre 0, candidate not: a change of unbounded relative size
    vary: tuple[str, ...] = ()  # config keys whose values differ among one side's results
    missing: str | None = None  # why the absent side has no results, when the output says
    failed_side: str | None = None  # "old" / "new": the absent side's benchmark failed or crashed there
    old_benchmark: str | None = None  # the baseline's name when paired across a GOMAXPROCS suffix
    old_values: Sequence[float] = field(default=(), compare=False, repr=False)
    new_values: Sequence[float] = field(default=(), compare=False, repr=False)

    @property
    def worse_pct(self) -> float | None:
        """The change in the bad direction for this unit, in percent (negative = better).

        From a zero baseline it is ±inf: the direction is known, the size unbounded.
        None only when the direction is unknown or a side is missing.
        """
        if self.better is None or self.old is None or self.new is None:
            return None
        if self.delta_pct is None:
            if not self.from_zero:
                return None
            up = self.new.center > 0
            return math.inf if up == (self.better == "lower") else -math.inf
        return self.delta_pct if self.better == "lower" else -self.delta_pct

    def to_json(self) -> dict[str, Any]:
        def side(s: Summary | None) -> dict[str, Any] | None:
            if s is None:
                return None
            return {"n": s.n, "center": s.center, "lo": _finite(s.lo), "hi": _finite(s.hi)}

        return {
            "pkg": self.pkg,
            "benchmark": self.benchmark,
            "unit": self.unit,
            "better": self.better,
            "old": side(self.old),
            "new": side(self.new),
            "p_value": self.p_value,
            "significant": self.significant,
            "delta_pct": self.delta_pct,
            "from_zero": self.from_zero,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Geomean:
    """Geometric mean of the row centres of one unit (in one package), and of the new/old ratios."""

    unit: str
    old: float | None
    new: float | None
    delta_pct: float | None
    warnings: tuple[str, ...] = ()
    pkg: str | None = None


@dataclass
class Comparison:
    """The result of comparing two benchmark outputs (docs/design.md#cli-and-json-contracts)."""

    alpha: float
    old_name: str
    new_name: str
    rows: list[Row] = field(default_factory=list)
    geomeans: list[Geomean] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    split: str = "pkg"
    procs_pairs: list[tuple[str, str]] = field(default_factory=list)  # (old name, new name) paired across GOMAXPROCS

    @property
    def packages(self) -> list[str | None]:
        """The packages of the rows, in table order."""
        return list(dict.fromkeys(r.pkg for r in self.rows))

    def to_json(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "rows": [r.to_json() for r in self.rows],
            "geomeans": [
                {"pkg": g.pkg, "unit": g.unit, "old": g.old, "new": g.new, "delta_pct": g.delta_pct,
                 "warnings": list(g.warnings)}
                for g in self.geomeans
            ],
            "warnings": list(self.warnings),
        }


def _finite(x: float) -> float | None:
    """JSON has no infinity: an unbounded CI end is null."""
    return x if math.isfinite(x) else None


def _delta_pct(old: float, new: float) -> float | None:
    if old == new:
        return 0.0
    if old == 0:
        return None
    return (new / old - 1.0) * 100.0


def _geomean(xs: list[float]) -> float | None:
    """Running mean of logs, as go-moremath does; None when any value is <= 0."""
    if not xs:
        return None
    m = 0.0
    for i, x in enumerate(xs):
        if x <= 0:
            return None
        m += (math.log(x) - m) / (i + 1)
    return math.exp(m)


def _config_warnings(old: BenchFile, new: BenchFile) -> list[str]:
    out = []
    keys = sorted({k for bf in (old, new) for cfg in bf.configs for k in cfg})
    for k in keys:
        a, b = old.config_values(k), new.config_values(k)
        if a != b:
            out.append(
                f"configuration differs: {k}: {', '.join(a) or '(unset)'} in {old.name}"
                f" vs {', '.join(b) or '(unset)'} in {new.name}; rows are paired by name and unit anyway"
            )
    return out


def compare(old: BenchFile, new: BenchFile, alpha: float = 0.05, *, split: str = "pkg",
            pair_procs: bool = False) -> Comparison:
    """Compare two parsed outputs; raises ``InputError`` only if one side has nothing at all.

    ``split`` is "pkg" (a row per package, benchstat's default) or "none"
    (pooled across packages, like ``benchstat -table ''``).  ``pair_procs``
    pairs rows whose names differ only in the -GOMAXPROCS suffix (a baseline
    recorded on another machine), with a warning on each such row.
    """
    if split not in SPLITS:
        raise InputError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    for bf in (old, new):
        if not bf.series and not bf.failures and not bf.absent:
            hint = f"; first problem: {bf.warnings[0]}" if bf.warnings else ""
            raise InputError(
                f"{bf.name}: no benchmark results (expected lines like 'BenchmarkX-8  1000  123 ns/op'){hint}"
            )
    a, b = Side(old, split), Side(new, split)
    meta = {**old.units, **new.units}
    comp = Comparison(alpha, old.name, new.name, split=split)
    comp.warnings.extend(old.warnings)
    comp.warnings.extend(new.warnings)
    comp.warnings.extend(_config_warnings(old, new))
    for bf, other in ((new, old), (old, new)):
        for k, v in bf.units.items():
            if other.units.get(k, v) != v:
                comp.warnings.append(f"unit {k[0]}: {k[1]}={v} in {bf.name} but {other.units[k]} in {other.name}")
    pairs, near = pair_rows(a, b, pair_procs)
    near_old = {ko: kn for ko, kn in near}
    near_new = {kn: ko for ko, kn in near}
    n_old = sum(1 for ko, kn in pairs if kn is None)
    n_new = sum(1 for ko, kn in pairs if ko is None)
    if n_old or n_new:
        comp.warnings.append(f"benchmark set differs: {n_old} row(s) only in {old.name}, {n_new} only in {new.name}")
    rows: list[tuple[str, str, Row]] = []  # (pkg, unit, row)
    for ko, kn in pairs:
        row = _row(ko, kn, a, b, meta, alpha, near_old, near_new)
        if ko is not None and kn is not None and ko[1] != kn[1] and (ko[1], kn[1]) not in comp.procs_pairs:
            comp.procs_pairs.append((ko[1], kn[1]))
        rows.append((row.pkg or "" if split == "pkg" else "", row.unit, row))
    if comp.procs_pairs:
        shown = ", ".join(f"{o} -> {n}" for o, n in comp.procs_pairs[:3])
        comp.warnings.append(f"GOMAXPROCS differs between {old.name} and {new.name} ({shown}"
                             f"{', ...' if len(comp.procs_pairs) > 3 else ''}): the two sides ran on different "
                             "machines or CPU limits; rows were paired by name anyway")
    pkg_order = list(dict.fromkeys(p for p, _, _ in rows))
    unit_order = list(dict.fromkeys(u for _, u, _ in rows))
    for pkg in pkg_order:
        for unit in unit_order:
            unit_rows = [r for p, u, r in rows if p == pkg and u == unit]
            if unit_rows:
                comp.rows.extend(unit_rows)
                comp.geomeans.append(_unit_geomean(unit, unit_rows, pkg or None))
    return comp


def _row(ko: Key | None, kn: Key | None, a: Side, b: Side, meta: dict[tuple[str, str], str], alpha: float,
         near_old: dict[Key, Key], near_new: dict[Key, Key]) -> Row:
    key = kn if kn is not None else ko
    assert key is not None
    _, name, unit = key
    exact = meta.get((unit, "assume")) == "exact"
    warnings: list[str] = []
    sums: list[Summary | None] = []
    vals: list[Sequence[float]] = []
    vary: list[str] = []
    pkgs: set[str] = set()
    missing: str | None = None
    failed_side: str | None = None
    for k, side, label, other_label, near in ((ko, a, a.file.name, b.file.name, near_new),
                                              (kn, b, b.file.name, a.file.name, near_old)):
        s = side.rows.get(k) if k is not None else None
        if k is None or s is None:
            sums.append(None)
            vals.append(())
            warnings.append(f"missing in {label}")
            other_key = kn if k is ko else ko
            assert other_key is not None
            missing, failed = side.why_missing(other_key[0], other_key[1])
            if failed:
                failed_side = "old" if side is a else "new"
            twin = near.get(other_key)
            if missing is None and twin is not None:
                missing = (f"names never pair: {other_key[1]} in {other_label} exists in {label} only as {twin[1]}; "
                           "they differ only in the -GOMAXPROCS suffix (the sides ran on different machines or CPU "
                           "limits) and are not paired (the gate pairs them unless bench.gomaxprocs_mismatch: refuse; "
                           "goperf compare never does)")
            continue
        pkgs |= side.pkgs[k]
        values = s.values
        vals.append(values)
        summary = summarize_exact(values) if exact else summarize(values, CONFIDENCE)
        sums.append(summary)
        warnings.extend(w for w in summary.warnings if w not in warnings)
        side_vary = s.varying()
        if side_vary:
            warnings.append(f"benchmarks vary in {', '.join(side_vary)} ({label})")
            vary.extend(v for v in side_vary if v not in vary)
    old_s, new_s = sums
    p: float | None = None
    p_sound: float | None = None
    delta: float | None = None
    significant = False
    from_zero = False
    if old_s is not None and new_s is not None:
        if exact:
            p = p_sound = 0.0  # benchstat's AssumeExact: any difference is real
        else:
            test = mann_whitney(vals[0], vals[1], alpha)
            p, p_sound = test.p, test.p_sound
            warnings.extend(test.warnings)
        significant = p <= alpha
        delta = _delta_pct(old_s.center, new_s.center)
        from_zero = old_s.center == 0 and new_s.center != 0
    if ko is not None and kn is not None and ko[1] != kn[1]:
        warnings.append(f"GOMAXPROCS differs: {ko[1]} in {a.file.name} vs {kn[1]} in {b.file.name} "
                        "(different machines or CPU limits)")
    real_pkgs = pkgs - {""}
    pkg = next(iter(real_pkgs)) if len(real_pkgs) == 1 else None
    better = direction(unit, meta.get((unit, "better")))
    return Row(name, unit, better, old_s, new_s, p, significant, delta, tuple(warnings), exact, p_sound,
               pkg=pkg, from_zero=from_zero, vary=tuple(vary), missing=missing, failed_side=failed_side,
               old_benchmark=ko[1] if ko is not None and kn is not None and ko[1] != kn[1] else None,
               old_values=vals[0], new_values=vals[1])


def _unit_geomean(unit: str, rows: list[Row], pkg: str | None) -> Geomean:
    warnings: list[str] = []
    olds = [r.old.center for r in rows if r.old is not None]
    news = [r.new.center for r in rows if r.new is not None]
    ratios: list[float] = []
    bad_ratio = False
    for r in rows:
        if r.old is None or r.new is None:
            continue
        if r.old.center == r.new.center:
            ratios.append(1.0)
        elif r.old.center == 0:
            bad_ratio = True
        else:
            ratios.append(r.new.center / r.old.center)
    n_both = sum(1 for r in rows if r.old is not None and r.new is not None)
    if n_both != len(olds):  # benchstat's test: some baseline row has no partner
        warnings.append("benchmark set differs from baseline; geomeans may not be comparable")
    g_old, g_new = _geomean(olds), _geomean(news)
    if g_old is None or g_new is None:
        warnings.append("summaries must be >0 to compute geomean")
    delta = None
    if not bad_ratio:
        g = _geomean(ratios)
        if g is None:
            warnings.append("ratios must be >0 to compute geomean")
        else:
            delta = (g - 1) * 100
    return Geomean(unit, g_old, g_new, delta, tuple(warnings), pkg)


def compare_files(old_path: str | Path, new_path: str | Path, alpha: float = 0.05, *, split: str = "pkg",
                  pair_procs: bool = False) -> Comparison:
    """Read and compare two benchmark files (the plugin's and the CLI's entry point).

    ``compare_files("old.txt", "new.txt")`` is benchstat's comparison of two
    ``go test -bench`` outputs, for ``assert_no_regression`` / ``assert_improvement``.
    """
    old, new = read_pair(old_path, new_path)
    return compare(old, new, alpha, split=split, pair_procs=pair_procs)


# The text table lives in its own module; re-exported here, where callers have always found it.
from pytest_goperf.bench.table import render_table, vs_base  # noqa: E402  (table imports this module)

__all__ = ["Comparison", "Geomean", "Row", "base_name", "compare", "compare_files", "render_table", "vs_base"]
