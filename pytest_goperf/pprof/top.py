"""``top``: flat and cum per function, the numbers ``go tool pprof -top`` prints.

Definitions (docs/design.md#definitions): total is the sum of |value| over all
samples of the chosen sample index; flat goes to the innermost function of
the leaf location; cum counts a function once per sample, so recursion is
not double counted.  Rows are ordered as pprof orders them: |flat|
descending, then name, then |cum| descending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_goperf.pprof.graph import inline_labels, node_sums
from pytest_goperf.pprof.model import Profile
from pytest_goperf.pprof.units import choose_unit, format_pct, format_value


@dataclass(frozen=True, slots=True)
class TopRow:
    """One function; ``inline`` is ``""``, ``"inline"`` or ``"partial-inline"`` as pprof labels it."""

    function: str
    flat: int
    flat_pct: float
    cum: int
    cum_pct: float
    inline: str = ""


@dataclass(frozen=True)
class Top:
    """A top report; ``to_json(n)``/``to_text(n)`` cut to n rows.

    ``rows`` holds every function above the node fraction unless
    ``top(..., nodecount=N)`` kept only the first N; ``nodes`` is the number
    of functions before cutting, ``dropped`` those under the node fraction.
    """

    sample_type: str
    unit: str
    total: int
    rows: tuple[TopRow, ...]
    nodes: int = -1
    dropped: int = 0  # functions under the node fraction, not in ``rows`` nor ``nodes``
    node_cutoff: int = 0  # the "cum <= X" pprof prints for them

    def __post_init__(self) -> None:
        if self.nodes < 0:
            object.__setattr__(self, "nodes", len(self.rows))

    def head(self, n: int) -> tuple[TopRow, ...]:
        """The first n rows; 0 (or less) means all."""
        return self.rows if n <= 0 else self.rows[:n]

    def to_json(self, n: int = 0) -> dict[str, Any]:
        """The ``goperf top --json`` object of docs/design.md#cli-and-json-contracts."""
        return {
            "sample_type": self.sample_type,
            "unit": self.unit,
            "total": self.total,
            "rows": [
                {"function": r.function, "flat": r.flat, "flat_pct": round(r.flat_pct, 2),
                 "cum": r.cum, "cum_pct": round(r.cum_pct, 2)}
                for r in self.head(n)
            ],
        }

    def to_text(self, n: int = 0) -> str:
        """A table laid out like ``go tool pprof -top``."""
        rows = self.head(n)
        shown = sum(r.flat for r in rows)
        values = [abs(v) for r in rows for v in (r.flat or r.cum,) if v]
        out_unit = choose_unit(min(values) if values else 0, self.total, self.unit)

        def fmt(v: int) -> str:
            return format_value(v, self.unit, out_unit)

        lines = [
            f"Type: {self.sample_type}",
            f"Showing nodes accounting for {fmt(shown)}, {format_pct(shown, self.total).strip()} of "
            f"{fmt(self.total)} total",
        ]
        if self.dropped and self.total:
            plural = "s" if self.dropped > 1 else ""
            lines.append(f"Dropped {self.dropped} node{plural} (cum <= {fmt(self.node_cutoff)})")
        if len(rows) < self.nodes and self.total:
            lines.append(f"Showing top {len(rows)} nodes out of {self.nodes}")
        lines.append(f"{'flat':>10} {'flat':>5}% {'sum':>5}% {'cum':>10} {'cum':>5}%")
        running = 0
        for r in rows:
            running += r.flat
            inl = f" ({r.inline})" if r.inline else ""
            lines.append(
                f"{fmt(r.flat):>10} {format_pct(r.flat, self.total)} {format_pct(running, self.total)} "
                f"{fmt(r.cum):>10} {format_pct(r.cum, self.total)}  {r.function}{inl}"
            )
        return "\n".join(lines) + "\n"


NODE_FRACTION = 0.005  # pprof's defaults (internal/driver/config.go defaultConfig)
EDGE_FRACTION = 0.001


def top(
    profile: Profile,
    sample_index: str | None = None,
    *,
    nodecount: int = 0,
    nodefraction: float = NODE_FRACTION,
    edgefraction: float = EDGE_FRACTION,
) -> Top:
    """Per-function flat/cum for one sample index (name, number, or pprof's default).

    The same report as ``go tool pprof -top -nodecount=N -nodefraction=F
    -edgefraction=E`` with pprof's defaults for unset flags: functions whose
    |cum| is below ``nodefraction`` of the total are dropped, then the graph
    is rebuilt from the kept ones (and again from the first ``nodecount``
    rows), and edges below ``edgefraction`` of the total no longer count when
    a row is labelled ``(inline)``.  Values and order never depend on the
    fractions; rows and labels do.
    """
    if not (0 <= nodefraction <= 1 and 0 <= edgefraction <= 1):
        raise ValueError(f"fractions must be within [0, 1], got nodefraction={nodefraction}, edgefraction={edgefraction}")
    index = profile.sample_index(sample_index)
    st = profile.sample_types[index]
    sums = node_sums(profile, index)
    total = sums.total

    def pct(v: int) -> float:
        return 100.0 * v / total if total else 0.0

    present = [i for i in range(len(sums.names)) if sums.flat[i] or sums.cum[i]]
    # pprof's cutoffs come from the graph's (signed) flat sum, truncated toward zero like int64().
    graph_total = sum(sums.flat[i] for i in present)
    node_cutoff = abs(int(graph_total * nodefraction))
    edge_cutoff = abs(int(graph_total * edgefraction))
    kept = [i for i in present if abs(sums.cum[i]) >= node_cutoff] if node_cutoff > 0 else present
    dropped = len(present) - len(kept)
    order = sorted(kept, key=lambda i: (-abs(sums.flat[i]), sums.names[i], -abs(sums.cum[i]), sums.keys[i]))
    nodes = len(order)
    rebuilt = dropped > 0
    if 0 < nodecount < nodes:
        order = order[:nodecount]
        rebuilt = True
    labels = inline_labels(profile, index, {sums.keys[i] for i in order} if rebuilt else None, edge_cutoff)
    label_of = [labels.get(k, "") for k in sums.keys]
    rows = tuple(
        TopRow(sums.names[i], sums.flat[i], pct(sums.flat[i]), sums.cum[i], pct(sums.cum[i]), label_of[i])
        for i in order
    )
    return Top(
        sample_type=st.type, unit=st.unit, total=total, rows=rows, nodes=nodes,
        dropped=dropped, node_cutoff=abs(int(total * nodefraction)) if total else 0,
    )
