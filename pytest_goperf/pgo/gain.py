"""Prove the gain: what PGO bought per benchmark, next to what this runner could have seen.

With ``baseline: pgo-off, candidate: pgo`` every time row (``sec/op``) of
the comparison is a PGO gain measurement.  A row that is not significant
means one of two things, and the summary must tell them apart:

- **no significant gain**: the runner could have seen a gain of the size
  that matters (the low end of the 2-14 % Go's PGO guide reports; 3 % here)
  and did not;
- **too small to see on this runner**: the noise is wider than that, so a
  real 3 % gain would have been invisible too.

The sensitivity of a row is its minimum detectable effect when the
comparison provides one (``Row.mde_pct``, issue 16's per-row MDE: read
through ``row_mde_pct``, the hook).  Until then it is the row's noise as
benchstat prints it: the wider of the two sides' 95 % confidence intervals
of the median, relative to the median (the ``± x%`` column).  Differences
well inside that band cannot reach significance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

GAIN_OF_INTEREST_PCT = 3.0
TIME_UNITS = ("sec/op", "ns/op")


def row_mde_pct(row: Any) -> float | None:
    """The hook for issue 16: the row's minimum detectable effect in %, when the comparison carries one."""
    value = getattr(row, "mde_pct", None)
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def noise_pct(row: Any) -> float | None:
    """benchstat's ``± x%`` of the noisier side: half the 95 % CI of the median, relative to the median."""
    widths = []
    for side in (row.old, row.new):
        if side is None or not side.center or not (math.isfinite(side.lo) and math.isfinite(side.hi)):
            return None
        widths.append(max(side.center - side.lo, side.hi - side.center) / abs(side.center) * 100)
    return float(max(widths))


@dataclass(frozen=True)
class RowGain:
    benchmark: str
    pkg: str | None
    gain_pct: float | None         # time saved in %: -(benchstat's delta); positive = PGO made it faster
    significant: bool
    p_value: float | None
    sensitivity_pct: float | None
    sensitivity_kind: str          # "MDE" or "noise"

    @property
    def reading(self) -> str:
        if self.gain_pct is None:
            return "not measured on both sides"
        if self.significant:
            return "faster with PGO" if self.gain_pct > 0 else "SLOWER with PGO"
        if self.sensitivity_pct is None:
            return "not significant, and too few rounds to know what this runner could see (count 6 or more)"
        if self.sensitivity_pct <= GAIN_OF_INTEREST_PCT:
            return f"no significant gain (a {GAIN_OF_INTEREST_PCT:g}% gain would have shown)"
        return f"gain too small to see on this runner (a {GAIN_OF_INTEREST_PCT:g}% gain would not show)"


@dataclass(frozen=True)
class GainSummary:
    old_name: str
    new_name: str
    rows: tuple[RowGain, ...]
    geomean_pct: float | None      # -(benchstat's geomean delta) of the time rows

    def to_json(self) -> dict[str, Any]:
        return {"geomean_gain_pct": self.geomean_pct,
                "rows": [{"benchmark": r.benchmark, "pkg": r.pkg, "gain_pct": r.gain_pct,
                          "significant": r.significant, "p_value": r.p_value,
                          "sensitivity_pct": r.sensitivity_pct, "sensitivity": r.sensitivity_kind,
                          "reading": r.reading} for r in self.rows]}

    def lines(self) -> list[str]:
        """The summary block: one line per benchmark, then the geomean."""
        if not self.rows:
            return []
        kinds = {r.sensitivity_kind for r in self.rows}
        what = ("sensitivity = the row's MDE" if kinds == {"MDE"} else
                "sensitivity = benchstat's ± (95 % CI of the median, noisier side; the per-row MDE replaces it "
                "once the comparison provides one)")
        width = max(len(r.benchmark) for r in self.rows)
        out = [f"PGO gain, {self.old_name} -> {self.new_name} (sec/op; {what}):"]
        for r in self.rows:
            gain = f"{r.gain_pct:+6.2f}%" if r.gain_pct is not None else "     ?"
            p = f"p={r.p_value:.3f}" if r.p_value is not None else "p=?"
            sens = f"±{r.sensitivity_pct:.1f}%" if r.sensitivity_pct is not None else "?"
            out.append(f"  {r.benchmark.ljust(width)}  {gain}  {p}  sensitivity {sens} ({r.sensitivity_kind}): "
                       f"{r.reading}")
        given = [r.sensitivity_pct for r in self.rows if r.sensitivity_pct is not None]
        span = (f"±{min(given):.1f}%" if len(set(given)) == 1 else f"±{min(given):.1f}..{max(given):.1f}%") if given else "?"
        gm = f"{self.geomean_pct:+6.2f}%" if self.geomean_pct is not None else "     ?"
        out.append(f"  {'geomean'.ljust(width)}  {gm}  row sensitivities {span}")
        return out


def pgo_gain(comparison: Any) -> GainSummary:
    """The gain per time row of a pgo-off -> pgo comparison (``bench.compare.Comparison``)."""
    rows: list[RowGain] = []
    ratios: list[float] = []
    for r in comparison.rows:
        if r.unit not in TIME_UNITS:
            continue
        gain = None
        if r.old is not None and r.new is not None and r.old.center > 0 and r.new.center > 0:
            ratio = r.new.center / r.old.center
            ratios.append(ratio)
            gain = (1 - ratio) * 100        # time saved: benchstat's delta with the sign turned
        mde = row_mde_pct(r)
        rows.append(RowGain(benchmark=r.benchmark, pkg=getattr(r, "pkg", None), gain_pct=gain,
                            significant=bool(r.significant), p_value=r.p_value,
                            sensitivity_pct=mde if mde is not None else noise_pct(r),
                            sensitivity_kind="MDE" if mde is not None else "noise"))
    return GainSummary(comparison.old_name, comparison.new_name, tuple(rows), _geomean_gain(ratios))


def _geomean_gain(ratios: Sequence[float]) -> float | None:
    if not ratios:
        return None
    g = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
    return (1 - g) * 100
