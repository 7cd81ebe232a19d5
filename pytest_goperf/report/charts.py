"""The HTML report's charts, drawn with matplotlib from one service's results (no artifacts read).

Each function returns an SVG drawing, or None when the run has no data for
it.  Limits come from the gate's record (``limits``, the threshold's own
numbers), so a chart draws exactly the line the verdict was judged against.
matplotlib is the optional ``report`` extra; it is imported here only.
"""

from __future__ import annotations

import io
import math
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from pytest_goperf.report.records import ServiceRecord
from pytest_goperf.report.svg import csp_safe

OLD, NEW, MAIN, LIMIT, BAND, GREY = "#6b7b8c", "#e8710a", "#1f77b4", "#d62728", "#2ca02c", "#9e9e9e"
WIDTH, HEIGHT = 7.2, 3.4


def _limits(svc: ServiceRecord, gate: str) -> dict[str, float]:
    records = svc.gate(gate)
    return dict(records[0].limits) if records else {}


def _figures(svc: ServiceRecord, gate: str) -> dict[str, Any]:
    records = svc.gate(gate)
    return dict(records[0].figures) if records else {}


def _render(draw: Callable[[Any], None], height: float = HEIGHT) -> str:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.hashsalt": "goperf", "svg.fonttype": "path", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False}):
        fig = Figure(figsize=(WIDTH, height), layout="constrained")
        draw(fig)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return csp_safe(buf.getvalue())


def _duration_axis(ax: Any, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    from pytest_goperf.quantities import format_duration

    fmt = FuncFormatter(lambda v, _pos: format_duration(v) if v > 0 else "0")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


# --- bench ----------------------------------------------------------------------


def bench_chart(svc: ServiceRecord) -> str | None:
    """Medians with 95 % CIs, both sides, as % of the baseline's median: one row per benchmark and unit."""
    rows = [r for r in (svc.bench or {}).get("rows", []) if r.get("old") and r.get("new") and r["old"].get("center")]
    if not rows:
        return None
    max_reg = _limits(svc, "bench").get("max_regression")
    old_name, new_name = str(svc.bench.get("old")), str(svc.bench.get("new"))  # type: ignore[union-attr]
    no_ci = any(r[side].get("lo") is None or r[side].get("hi") is None for r in rows for side in ("old", "new"))

    def draw(fig: Any) -> None:
        ax = fig.subplots()
        for i, r in enumerate(rows):
            base = r["old"]["center"]
            for offset, side, color in ((-0.17, "old", OLD), (0.17, "new", NEW)):
                s = r[side]
                x = s["center"] / base * 100
                if s.get("lo") is not None and s.get("hi") is not None:
                    err = [[x - s["lo"] / base * 100], [s["hi"] / base * 100 - x]]
                    ax.errorbar([x], [i + offset], xerr=err, fmt="o", color=color, capsize=3, ms=4, lw=1.2)
                else:
                    ax.plot([x], [i + offset], "o", color=color, ms=4, mfc="white")
        ax.plot([], [], "o", color=OLD, ms=4, label=f"{old_name} median (95% CI)")
        ax.plot([], [], "o", color=NEW, ms=4, label=f"{new_name} median (95% CI)")
        if no_ci:
            ax.plot([], [], "o", color=GREY, ms=4, mfc="white", label="no CI: fewer than 6 runs a side")
        ax.axvline(100, color=GREY, lw=0.8)
        if max_reg is not None and math.isfinite(max_reg):
            ax.axvspan(100 - max_reg * 100, 100 + max_reg * 100, color=BAND, alpha=0.15, lw=0,
                       label=f"±{max_reg * 100:g}% (max_regression)")
        for i in range(1, len(rows)):
            if rows[i]["unit"] != rows[i - 1]["unit"]:
                ax.axhline(i - 0.5, color=GREY, lw=0.5, ls=":")
        ax.set_yticks(range(len(rows)), [f"{r['benchmark']}  {r['unit']}" for r in rows], fontsize=7)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.invert_yaxis()
        ax.set_xlabel(f"% of the {old_name} median")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)

    return _render(draw, height=max(2.2, 0.8 + 0.32 * len(rows)))


# --- heap and goroutines ------------------------------------------------------------


def _theil_sen(points: Sequence[Sequence[float]]) -> tuple[float, float, float] | None:
    """(slope, median time, median value): the line the health gates fit."""
    from pytest_goperf.health.trend import MIN_SAMPLES, theil_sen

    if len(points) < MIN_SAMPLES or len({p[0] for p in points}) < 2:
        return None
    t = [p[0] for p in points]
    v = [p[1] for p in points]
    trend = theil_sen(t, v)
    return trend.slope, statistics.median(t), trend.median


def heap_chart(svc: ServiceRecord) -> str | None:
    """Live heap after each forced GC, its Theil-Sen line, and the fan of slopes max_growth allows."""
    points = (svc.charts.get("series") or {}).get("heap") or []
    if not points:
        return None
    fit = _theil_sen(points)
    max_growth = _limits(svc, "heap").get("max_growth")
    mib = 1 / (1 << 20)

    def draw(fig: Any) -> None:
        ax = fig.subplots()
        t = [p[0] for p in points]
        ax.plot(t, [p[1] * mib for p in points], "o-", color=MAIN, ms=4, lw=1, label="live heap after GC")
        if fit is not None:
            slope, tm, vm = fit
            ax.plot([t[0], t[-1]], [(vm + slope * (x - tm)) * mib for x in (t[0], t[-1])], color=NEW, lw=1.5,
                    label=f"Theil-Sen trend ({slope * 60 / vm * 100 if vm else 0:+.1f}%/min)")
            if max_growth is not None:
                allowed = max_growth * vm / 60
                upper = [(vm + allowed * (x - tm)) * mib for x in t]
                lower = [(vm - allowed * (x - tm)) * mib for x in t]
                ax.fill_between(t, lower, upper, color=BAND, alpha=0.3, lw=0,
                                label=f"slopes within ±{max_growth * 100:g}%/min")
        ax.set_xlabel("seconds into the window")
        ax.set_ylabel("MiB")
        ax.legend(fontsize=7, loc="best")

    return _render(draw)


def goroutines_chart(svc: ServiceRecord) -> str | None:
    """Goroutine count per sample, its trend, and the ±max_drift band around the median."""
    points = (svc.charts.get("series") or {}).get("goroutines") or []
    if not points:
        return None
    fit = _theil_sen(points)
    max_drift = _limits(svc, "goroutines").get("max_drift")

    def draw(fig: Any) -> None:
        ax = fig.subplots()
        t = [p[0] for p in points]
        ax.plot(t, [p[1] for p in points], "o-", color=MAIN, ms=4, lw=1, label="goroutines")
        if fit is not None:
            slope, tm, vm = fit
            ax.plot([t[0], t[-1]], [vm + slope * (x - tm) for x in (t[0], t[-1])], color=NEW, lw=1.5,
                    label="Theil-Sen trend")
            if max_drift is not None:
                ax.axhspan(vm * (1 - max_drift), vm * (1 + max_drift), color=BAND, alpha=0.15, lw=0,
                           label=f"median ±{max_drift * 100:g}%")
        ax.set_xlabel("seconds into the window")
        ax.set_ylabel("goroutines")
        ax.legend(fontsize=7, loc="best")

    return _render(draw)
