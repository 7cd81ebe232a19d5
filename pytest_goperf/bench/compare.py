"""Pair the rows of two benchmark outputs and compare them like benchstat.

Rows are keyed by (benchmark name, tidied unit).  Unlike benchstat's default,
configuration lines that differ between the files (``pgo: off`` / ``pgo: on``)
do not split the rows: comparing a baseline with a candidate build is the
whole point.  A benchmark present on one side only is kept with the other
side ``None``.  Everything questionable becomes a warning on the row or on the
comparison; only "there is nothing to compare at all" raises ``InputError``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_goperf.bench.format import BenchFile, read_file
from pytest_goperf.bench.stats import Summary, mann_whitney, summarize, summarize_exact
from pytest_goperf.bench.units import Better, direction, scale
from pytest_goperf.errors import InputError

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Row:
    """One benchmark and unit: both summaries, the U-test and the change."""

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

    @property
    def worse_pct(self) -> float | None:
        """The change in the bad direction for this unit, in percent (negative = better)."""
        if self.delta_pct is None or self.better is None:
            return None
        return self.delta_pct if self.better == "lower" else -self.delta_pct

    def to_json(self) -> dict[str, Any]:
        def side(s: Summary | None) -> dict[str, Any] | None:
            if s is None:
                return None
            return {"n": s.n, "center": s.center, "lo": _finite(s.lo), "hi": _finite(s.hi)}

        return {
            "benchmark": self.benchmark,
            "unit": self.unit,
            "better": self.better,
            "old": side(self.old),
            "new": side(self.new),
            "p_value": self.p_value,
            "significant": self.significant,
            "delta_pct": self.delta_pct,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Geomean:
    """Geometric mean of the row centres of one unit, and of the new/old ratios."""

    unit: str
    old: float | None
    new: float | None
    delta_pct: float | None
    warnings: tuple[str, ...] = ()


@dataclass
class Comparison:
    """The result of comparing two benchmark outputs (docs/design.md#cli-and-json-contracts)."""

    alpha: float
    old_name: str
    new_name: str
    rows: list[Row] = field(default_factory=list)
    geomeans: list[Geomean] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "rows": [r.to_json() for r in self.rows],
            "geomeans": [
                {"unit": g.unit, "old": g.old, "new": g.new, "delta_pct": g.delta_pct, "warnings": list(g.warnings)}
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


class _Side:
    """Values of one file grouped by (name, unit), with the configs they ran under."""

    def __init__(self, bf: BenchFile) -> None:
        self.values: dict[tuple[str, str], list[float]] = {}
        self.configs: dict[tuple[str, str], list[Any]] = {}
        values, configs = self.values, self.configs
        for rec in bf.records:
            name, cfg = rec.name, rec.config
            for v in rec.values:
                key = (name, v.unit)
                vals = values.get(key)
                if vals is None:
                    values[key] = [v.value]
                    configs[key] = [cfg]
                    continue
                vals.append(v.value)
                cfgs = configs[key]
                if cfgs[-1] is not cfg:
                    cfgs.append(cfg)
        self.order: list[tuple[str, str]] = list(values)  # dicts keep first-seen order

    def varying(self, key: tuple[str, str]) -> list[str]:
        """Config keys whose value changes among this row's results (benchstat warns)."""
        cfgs = self.configs.get(key, [])
        if len(cfgs) < 2:
            return []
        keys = sorted({k for c in cfgs for k in c})
        return [k for k in keys if len({c.get(k) for c in cfgs}) > 1]


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


def compare(old: BenchFile, new: BenchFile, alpha: float = 0.05) -> Comparison:
    """Compare two parsed outputs; raises ``InputError`` only if one has no results."""
    for bf in (old, new):
        if not bf.records:
            hint = f"; first problem: {bf.warnings[0]}" if bf.warnings else ""
            raise InputError(
                f"{bf.name}: no benchmark results (expected lines like 'BenchmarkX-8  1000  123 ns/op'){hint}"
            )
    a, b = _Side(old), _Side(new)
    meta = {**old.units, **new.units}
    keys = list(dict.fromkeys(a.order + b.order))
    unit_order = list(dict.fromkeys(u for _, u in keys))
    comp = Comparison(alpha, old.name, new.name)
    comp.warnings.extend(old.warnings)
    comp.warnings.extend(new.warnings)
    comp.warnings.extend(_config_warnings(old, new))
    for bf, other in ((new, old), (old, new)):
        for k, v in bf.units.items():
            if other.units.get(k, v) != v:
                comp.warnings.append(f"unit {k[0]}: {k[1]}={v} in {bf.name} but {other.units[k]} in {other.name}")
    only_old = [k for k in a.order if k not in b.values]
    only_new = [k for k in b.order if k not in a.values]
    if only_old or only_new:
        comp.warnings.append(
            f"benchmark set differs: {len(only_old)} row(s) only in {old.name}, {len(only_new)} only in {new.name}"
        )
    for unit in unit_order:
        unit_rows = []
        for key in keys:
            if key[1] != unit:
                continue
            unit_rows.append(_row(key, a, b, meta, alpha, old.name, new.name))
        comp.rows.extend(unit_rows)
        comp.geomeans.append(_unit_geomean(unit, unit_rows))
    return comp


def _row(key: tuple[str, str], a: _Side, b: _Side, meta: dict[tuple[str, str], str], alpha: float,
         old_name: str, new_name: str) -> Row:
    name, unit = key
    exact = meta.get((unit, "assume")) == "exact"
    warnings: list[str] = []
    sums: list[Summary | None] = []
    for side, fname in ((a, old_name), (b, new_name)):
        vals = side.values.get(key)
        if vals is None:
            sums.append(None)
            warnings.append(f"missing in {fname}")
            continue
        s = summarize_exact(vals) if exact else summarize(vals, CONFIDENCE)
        sums.append(s)
        warnings.extend(w for w in s.warnings if w not in warnings)
        vary = side.varying(key)
        if vary:
            warnings.append(f"benchmarks vary in {', '.join(vary)} ({fname})")
    old_s, new_s = sums
    p: float | None = None
    p_sound: float | None = None
    delta: float | None = None
    significant = False
    if old_s is not None and new_s is not None:
        if exact:
            p = p_sound = 0.0  # benchstat's AssumeExact: any difference is real
        else:
            test = mann_whitney(a.values[key], b.values[key], alpha)
            p, p_sound = test.p, test.p_sound
            warnings.extend(test.warnings)
        significant = p <= alpha
        delta = _delta_pct(old_s.center, new_s.center)
    better = direction(unit, meta.get((unit, "better")))
    return Row(name, unit, better, old_s, new_s, p, significant, delta, tuple(warnings), exact, p_sound)


def _unit_geomean(unit: str, rows: list[Row]) -> Geomean:
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
    return Geomean(unit, g_old, g_new, delta, tuple(warnings))


def compare_files(old_path: str | Path, new_path: str | Path, alpha: float = 0.05) -> Comparison:
    """Read and compare two benchmark files (the plugin's and the CLI's entry point)."""
    return compare(read_file(old_path), read_file(new_path), alpha)


# --- text table ---------------------------------------------------------------

_SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"


def _mark(n: int) -> str:
    return "".join(_SUPERSCRIPTS[int(d) - 1] if d != "0" else "⁰" for d in str(n))


def _cell(s: Summary | None, unit: str) -> str:
    return "" if s is None else f"{scale(s.center, unit)} ± {s.pct_range()}"


def vs_base(r: Row, alpha: float) -> str:
    """benchstat's ``+8.03% (p=0.002 n=6)`` column; ``~`` when not significant."""
    if r.old is None or r.new is None or r.p_value is None:
        return ""
    if r.p_value > alpha:
        delta = "~"
    elif r.old.center == r.new.center:
        delta = "0.00%"
    elif r.delta_pct is None:
        delta = "?"
    else:
        delta = f"{r.delta_pct:+.2f}%"
    n = f"n={r.old.n}" if r.old.n == r.new.n else f"n={r.old.n}+{r.new.n}"
    p = f"p={r.p_value:.3f} " if r.p_value != 0 else ""
    return f"{delta} ({p}{n})"


def render_table(comparison: Comparison) -> str:
    """A benchstat-like text table: one block per unit, footnotes for warnings."""
    blocks: list[str] = []
    for g in comparison.geomeans:
        rows = [r for r in comparison.rows if r.unit == g.unit]
        notes: dict[str, int] = {}

        def marks(ws: tuple[str, ...] | list[str]) -> str:
            out = []
            for w in ws:
                if w not in notes:
                    notes[w] = len(notes) + 1
                out.append(_mark(notes[w]))
            return (" " + " ".join(out)) if out else ""

        table = [[g.unit, comparison.old_name, comparison.new_name, "vs base"]]
        for r in rows:
            table.append([r.benchmark, _cell(r.old, r.unit), _cell(r.new, r.unit), vs_base(r, comparison.alpha) + marks(r.warnings)])
        if len(rows) > 1:
            gm_old = scale(g.old, g.unit) if g.old is not None else ""
            gm_new = scale(g.new, g.unit) if g.new is not None else ""
            paired = any(r.old is not None and r.new is not None for r in rows)
            gm_delta = f"{g.delta_pct:+.2f}%" if g.delta_pct is not None else ("?" if paired else "")
            table.append(["geomean", gm_old, gm_new, gm_delta + marks(g.warnings)])
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        lines = [
            "  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip()
            for row in table
        ]
        lines.extend(f"{_mark(n)} {w}" for w, n in notes.items())
        blocks.append("\n".join(lines))
    text = "\n\n".join(blocks)
    if comparison.warnings:
        text += "\n\n" + "\n".join(f"warning: {w}" for w in comparison.warnings)
    return text + "\n"
