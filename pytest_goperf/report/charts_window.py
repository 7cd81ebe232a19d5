"""Charts of the load window: latency curve and histogram, scheduler latency, GC pauses, top functions.

Same rules as ``charts``: drawn from the results alone, limits from the
gate's record, None when the run has no data for the chart.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from pytest_goperf.report.charts import (
    GREY,
    LIMIT,
    MAIN,
    NEW,
    OLD,
    _duration_axis,
    _figures,
    _limits,
    _render,
)
from pytest_goperf.report.records import ServiceRecord

_QUANTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99, "p99.9": 0.999}


def _odds(q: float) -> float:
    """HDR-style x position of a quantile: 1 / (1 - q), so 90 %, 99 %, 99.9 % are equally spaced."""
    return 1 / (1 - q)


def latency_percentiles_chart(svc: ServiceRecord) -> str | None:
    """Latency by percentile (log x axis as HdrHistogram plots it), with the latency gate's limits."""
    lat = svc.charts.get("latency") or {}
    buckets = lat.get("buckets") or []
    total = sum(b[2] for b in buckets)
    if not total:
        return None
    xs, ys, cum = [], [], 0
    for _lo, hi, n in buckets:
        if n:
            cum += n
            q = min(cum / total, 1 - 1 / (10 * total))
            xs.append(_odds(q))
            ys.append(hi)
    limits = _limits(svc, "latency")

    def draw(fig: Any) -> None:
        ax = fig.subplots()
        ax.plot(xs, ys, color=MAIN, lw=1.5, label="measured (histogram bucket upper edges)")
        for name, q in _QUANTILES.items():
            if lat.get(name) is not None:
                ax.plot([_odds(q)], [lat[name]], "o", color=MAIN, ms=4)
        for name in ("p50", "p90", "p99", "max"):
            if name in limits:
                x = _odds(_QUANTILES[name]) if name in _QUANTILES else xs[-1]
                ax.plot([x], [limits[name]], "_", color=LIMIT, ms=18, mew=2)
                ax.annotate(f"{name} limit", (x, limits[name]), color=LIMIT, fontsize=7, xytext=(6, 2),
                            textcoords="offset points")
        ax.set_xscale("log")
        ticks = [q for q in (0.5, 0.9, 0.99, 0.999, 0.9999) if _odds(q) <= xs[-1] * 1.01]
        ax.set_xticks([_odds(q) for q in ticks], [f"{q * 100:g}%" for q in ticks])
        ax.minorticks_off()
        ax.set_yscale("log")
        _duration_axis(ax)
        ax.set_xlabel("percentile")
        ax.set_ylabel("latency")
        ax.legend(fontsize=7, loc="upper left")

    return _render(draw)


def latency_histogram_chart(svc: ServiceRecord) -> str | None:
    """Request count per latency band (log-spaced bands), with p50/p99 and the p99 limit marked."""
    lat = svc.charts.get("latency") or {}
    buckets = [b for b in lat.get("buckets") or [] if b[2]]
    if not buckets:
        return None
    lo, hi = max(buckets[0][0], 1e-7), max(buckets[-1][1], buckets[0][0] * 1.01)
    bands = 40
    edges = [lo * (hi / lo) ** (i / bands) for i in range(bands + 1)]
    counts = [0] * bands
    for b_lo, _b_hi, n in buckets:
        i = min(max(int(math.log(max(b_lo, lo) / lo) / math.log(hi / lo) * bands), 0), bands - 1) if hi > lo else 0
        counts[i] += n
    limits = _limits(svc, "latency")

    def draw(fig: Any) -> None:
        ax = fig.subplots()
        ax.bar(edges[:-1], counts, width=[b - a for a, b in itertools.pairwise(edges)], align="edge", color=MAIN,
               edgecolor="white", lw=0.3)
        for name, color in (("p50", GREY), ("p99", NEW)):
            if lat.get(name):
                ax.axvline(lat[name], color=color, ls="--", lw=1, label=f"{name} measured")
        for name in ("p99", "max"):
            if name in limits:
                ax.axvline(limits[name], color=LIMIT, lw=1.5, label=f"{name} limit")
        ax.set_xscale("log")
        _duration_axis(ax, "x")
        ax.set_xlabel("latency")
        ax.set_ylabel("requests")
        ax.legend(fontsize=7, loc="best")

    return _render(draw)


def scheduler_chart(svc: ServiceRecord) -> str | None:
    """Share of runnable waits longer than x (log-log), with the scheduler gate's limits."""
    sched = ((svc.charts.get("trace") or {}).get("sched")) or {}
    points = [p for p in sched.get("ccdf") or [] if p[1] > 0]
    if not points:
        return None
    limits = _limits(svc, "scheduler")

    def draw(fig: Any) -> None:
        ax = fig.subplots()
        ax.step([p[0] * 1e-9 for p in points], [p[1] for p in points], where="post", color=MAIN, lw=1.5,
                label=f"{sched.get('count', 0)} runnable waits")
        ax.axhline(0.01, color=GREY, ls=":", lw=1, label="1% of waits (p99 level)")
        for name, q in (("p50", 0.5), ("p90", 0.1), ("p99", 0.01), ("max", None)):
            if name in limits:
                ax.axvline(limits[name], color=LIMIT, lw=1.5, label=f"{name} limit")
                if q is not None:
                    ax.plot([limits[name]], [q], "o", color=LIMIT, ms=4)
        if sched.get("p99"):
            ax.axvline(sched["p99"] * 1e-9, color=NEW, ls="--", lw=1, label="p99 measured")
        ax.set_xscale("log")
        ax.set_yscale("log")
        _duration_axis(ax, "x")
        ax.set_xlabel("time runnable before running")
        ax.set_ylabel("share of waits longer")
        ax.legend(fontsize=7, loc="lower left")

    return _render(draw)


def stw_chart(svc: ServiceRecord) -> str | None:
    """Each stop-the-world pause of the trace over time; GC pauses in colour, the gc gate's limit as a line."""
    trace = svc.charts.get("trace") or {}
    pauses = trace.get("stw") or []
    if not pauses:
        return None
    limits = _limits(svc, "gc")

    def draw(fig: Any) -> None:
        ax = fig.subplots()
        gc = [p for p in pauses if str(p[2]).startswith("GC")]
        other = [p for p in pauses if not str(p[2]).startswith("GC")]
        if gc:
            ax.plot([p[0] * 1e-9 for p in gc], [p[1] * 1e-9 for p in gc], "o", color=MAIN, ms=4,
                    label=f"GC pauses ({len(gc)})")
        if other:
            ax.plot([p[0] * 1e-9 for p in other], [p[1] * 1e-9 for p in other], "x", color=OLD, ms=5,
                    label=f"other stop-the-world ({len(other)}, not gated)")
        for name, style in (("max_stw", "-"), ("p99_stw", "--")):
            if name in limits:
                ax.axhline(limits[name], color=LIMIT, ls=style, lw=1.5, label=f"{name} limit")
        ax.set_yscale("log")
        ax.set_xlim(0, max((trace.get("duration_ns") or 0) * 1e-9, max(p[0] for p in pauses) * 1e-9 * 1.05))
        ax.ticklabel_format(axis="x", useOffset=False, style="plain")
        _duration_axis(ax)
        ax.set_xlabel("seconds into the trace")
        ax.set_ylabel("pause")
        ax.legend(fontsize=7, loc="best")

    return _render(draw)


def top_chart(svc: ServiceRecord) -> str | None:
    """Flat and cum share of the hottest functions; the cpu gate's limit and the function it judged."""
    top = svc.charts.get("top") or {}
    rows = top.get("rows") or []
    if not rows:
        return None
    limit = _limits(svc, "cpu").get("max_function_share")
    judged = _figures(svc, "cpu").get("hottest_function")

    def draw(fig: Any) -> None:
        ax = fig.subplots()
        ys = range(len(rows))
        ax.barh([y + 0.2 for y in ys], [r["cum_pct"] for r in rows], height=0.4, color=OLD, label="cum %")
        ax.barh([y - 0.2 for y in ys], [r["flat_pct"] for r in rows], height=0.4, color=MAIN, label="flat %")
        names = [(r["function"] if len(r["function"]) <= 48 else "…" + r["function"][-47:]) for r in rows]
        ax.set_yticks(list(ys), names, fontsize=7)
        for label, r in zip(ax.get_yticklabels(), rows):
            if r["function"] == judged:
                label.set_color(NEW)
                label.set_fontweight("bold")
        if limit is not None:
            ax.axvline(limit * 100, color=LIMIT, lw=1.5, label=f"max_function_share {limit * 100:g}% (flat)")
        ax.invert_yaxis()
        ax.set_xlabel(f"% of {top.get('sample_type', 'cpu')} samples")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)

    return _render(draw, height=max(2.4, 0.9 + 0.22 * len(rows)))
