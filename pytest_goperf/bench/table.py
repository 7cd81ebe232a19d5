"""The benchstat-like text table of a comparison: one block per unit, footnotes for warnings.

When the rows come from more than one package, each package's blocks are
headed ``pkg: <path>``, the way benchstat starts a new table per package.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pytest_goperf.bench.stats import Summary
from pytest_goperf.bench.units import scale

if TYPE_CHECKING:
    from pytest_goperf.bench.compare import Comparison, Geomean, Row

_SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"
Mde = Mapping[tuple[str, str, str], "float | None"]  # (pkg or "", benchmark, unit) -> MDE percent


def _mark(n: int) -> str:
    return "".join(_SUPERSCRIPTS[int(d) - 1] if d != "0" else "⁰" for d in str(n))


def _cell(s: Summary | None, unit: str) -> str:
    return "" if s is None else f"{scale(s.center, unit)} ± {s.pct_range()}"


def vs_base(r: Row, alpha: float) -> str:
    """benchstat's ``+8.03% (p=0.002 n=6)`` column; ``~`` when not significant, ``?`` from a zero baseline."""
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


def _mde_cell(r: Row, mde: Mde) -> str:
    x = mde.get((r.pkg or "", r.benchmark, r.unit))
    return "" if x is None else ("∞" if math.isinf(x) else f"{x:.1f}%")


def _block(comparison: Comparison, g: Geomean, rows: list[Row], mde: Mde | None = None) -> str:
    notes: dict[str, int] = {}

    def marks(ws: tuple[str, ...] | list[str]) -> str:
        out = []
        for w in ws:
            if w not in notes:
                notes[w] = len(notes) + 1
            out.append(_mark(notes[w]))
        return (" " + " ".join(out)) if out else ""

    table = [[g.unit, comparison.old_name, comparison.new_name, "vs base"] + (["MDE"] if mde is not None else [])]
    for r in rows:
        table.append([r.benchmark, _cell(r.old, r.unit), _cell(r.new, r.unit), vs_base(r, comparison.alpha) + marks(r.warnings)]
                     + ([_mde_cell(r, mde)] if mde is not None else []))
    if len(rows) > 1:
        gm_old = scale(g.old, g.unit) if g.old is not None else ""
        gm_new = scale(g.new, g.unit) if g.new is not None else ""
        paired = any(r.old is not None and r.new is not None for r in rows)
        gm_delta = f"{g.delta_pct:+.2f}%" if g.delta_pct is not None else ("?" if paired else "")
        table.append(["geomean", gm_old, gm_new, gm_delta + marks(g.warnings)] + ([""] if mde is not None else []))
    last = len(table[0]) - 1
    widths = [max(len(row[i]) for row in table) for i in range(last)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i < last else cell for i, cell in enumerate(row)).rstrip()
        for row in table
    ]
    lines.extend(f"{_mark(n)} {w}" for w, n in notes.items())
    return "\n".join(lines)


def render_table(comparison: Comparison, mde: Mde | None = None) -> str:
    """A benchstat-like text table; rows grouped under ``pkg:`` headers when several packages are compared.

    ``mde`` (the gate's table only) adds a last column: each judged row's minimum detectable effect.
    """
    pooled = comparison.split == "none"
    headed = not pooled and len(comparison.packages) > 1
    blocks: list[str] = []
    last_pkg: object = object()
    for g in comparison.geomeans:
        rows = [r for r in comparison.rows if r.unit == g.unit and (pooled or r.pkg == g.pkg)]
        block = _block(comparison, g, rows, mde)
        if headed and g.pkg != last_pkg:
            block = f"pkg: {g.pkg or '(none)'}\n{block}"
            last_pkg = g.pkg
        blocks.append(block)
    text = "\n\n".join(blocks)
    if comparison.warnings:
        text += "\n\n" + "\n".join(f"warning: {w}" for w in comparison.warnings)
    return text + "\n"
