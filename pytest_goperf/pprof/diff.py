"""Per-function change between two profiles, as ``go tool pprof -diff_base`` reports it.

pprof subtracts the base from the new profile and shows each function's
flat/cum delta as a percentage of the *base* total.  Because two captures
rarely have the same length, each row also carries the change in flat
*share* (new flat / new total - base flat / base total, in percentage
points), which is what a regression review usually wants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_goperf.pprof.errors import SampleIndexError
from pytest_goperf.pprof.graph import node_sums
from pytest_goperf.pprof.model import Profile


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One function; ``delta_*_pct`` are of the base total (pprof), ``share_change`` in points."""

    function: str
    base_flat: int
    new_flat: int
    delta_flat: int
    delta_flat_pct: float
    delta_cum: int
    delta_cum_pct: float
    base_share: float
    new_share: float
    share_change: float


@dataclass(frozen=True)
class Diff:
    """Rows ordered like pprof's -diff_base -top: |delta flat| descending, then name.

    pprof hides functions whose flat and cum did not change; they are kept here
    when their *share* changed (ordered by the same rule, so after the moved rows).
    """

    sample_type: str
    unit: str
    base_total: int
    new_total: int
    rows: tuple[DiffRow, ...]

    @property
    def total(self) -> int:
        """What the ``delta_*_pct`` are relative to: the base total, or the new one if the base is empty (as pprof)."""
        return self.base_total if self.base_total > 0 else self.new_total

    def to_json(self, n: int = 0) -> dict[str, Any]:
        """A JSON-ready dict; n rows (0 = all), percentages rounded to two decimals."""
        rows = self.rows if n <= 0 else self.rows[:n]
        return {
            "sample_type": self.sample_type, "unit": self.unit,
            "base_total": self.base_total, "new_total": self.new_total,
            "rows": [
                {"function": r.function, "base_flat": r.base_flat, "new_flat": r.new_flat,
                 "delta_flat": r.delta_flat, "delta_flat_pct": round(r.delta_flat_pct, 2),
                 "delta_cum": r.delta_cum, "delta_cum_pct": round(r.delta_cum_pct, 2),
                 "base_share_pct": round(r.base_share * 100, 2), "new_share_pct": round(r.new_share * 100, 2),
                 "share_change_pts": round(r.share_change * 100, 2)}
                for r in rows
            ],
        }


def diff(base: Profile, new: Profile, sample_index: str | None = None) -> Diff:
    """Change per function from ``base`` to ``new`` for one sample index (resolved on ``new``)."""
    index = new.sample_index(sample_index)
    if [(t.type, t.unit) for t in base.sample_types] != [(t.type, t.unit) for t in new.sample_types]:
        raise SampleIndexError(
            "cannot diff profiles of different kinds: base has "
            f"{', '.join(t.type + '/' + t.unit for t in base.sample_types) or 'no sample types'}, new has "
            f"{', '.join(t.type + '/' + t.unit for t in new.sample_types)}"
        )
    st = new.sample_types[index]
    b, w = node_sums(base, index), node_sums(new, index)
    flat: dict[str, list[int]] = {}  # name -> [base flat, new flat, base cum, new cum]
    for sums, off in ((b, 0), (w, 1)):
        for name, f, c in zip(sums.names, sums.flat, sums.cum):
            acc = flat.setdefault(name, [0, 0, 0, 0])
            acc[off] += f
            acc[2 + off] += c
    total = b.total if b.total > 0 else w.total

    def pct(v: int) -> float:
        return 100.0 * v / total if total else 0.0

    def share(v: int, t: int) -> float:
        return v / t if t else 0.0

    rows = []
    for name, (bf, nf, bc, nc) in flat.items():
        df, dc = nf - bf, nc - bc
        change = share(nf, w.total) - share(bf, b.total)
        if df == 0 and dc == 0 and change == 0:
            continue
        rows.append(DiffRow(name, bf, nf, df, pct(df), dc, pct(dc), share(bf, b.total), share(nf, w.total), change))
    rows.sort(key=lambda r: (-abs(r.delta_flat), r.function, -abs(r.delta_cum)))
    return Diff(sample_type=st.type, unit=st.unit, base_total=b.total, new_total=w.total, rows=tuple(rows))
