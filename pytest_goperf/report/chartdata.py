"""What the charts need, read from one service's finished window and bench comparison.

Why copied into the results: ``goperf merge-reports`` draws the charts of
every shard from the JSON files alone, without the shards' artifacts.  Each
piece stays small (a few hundred points) whatever the window's length, and a
capture that failed leaves its chart out with the reason instead of failing
the report.
"""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING, Any

from pytest_goperf.errors import GoperfError

if TYPE_CHECKING:
    from pytest_goperf.run.window import WindowResult
    from pytest_goperf.trace.model import Interval

TAIL_KEPT = 50_000     # scheduler intervals kept for the distribution: the exact tail beyond this is shown
CCDF_POINTS = 240
STW_KEPT = 5_000
TOP_ROWS = 15


def window_charts(window: WindowResult) -> dict[str, Any]:
    """Chart data of one load window: series, latency histogram, trace distributions, top functions."""
    out: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for name, read in (("series", _series), ("latency", _latency), ("trace", _trace), ("top", _top)):
        try:
            data = read(window)
        except GoperfError as exc:
            missing[name] = str(exc).splitlines()[0]
            continue
        if data is not None:
            out[name] = data
    if missing:
        out["missing"] = missing
    return out


def _series(window: WindowResult) -> dict[str, Any] | None:
    if window.series is None:
        return None
    heap = window.series.heap_points()
    goroutines = window.series.goroutine_points()
    return {"interval_s": window.series.interval,
            "heap": [[t, v] for t, v in heap], "goroutines": [[t, v] for t, v in goroutines]}


def _latency(window: WindowResult) -> dict[str, Any] | None:
    r = window.load
    if r is None:
        return None
    return {"requests": r.requests, "buckets": [[lo, hi, n] for lo, hi, n in r.histogram],
            "p50": r.p50, "p90": r.p90, "p99": r.p99, "p99.9": r.p999, "max": r.max, "min": r.min}


def _ccdf(durations_ns: list[int], count: int) -> list[list[float]]:
    """(duration, share of all intervals longer than it) at log-spaced points of the kept tail.

    The kept intervals are the longest ones, so the share is exact wherever
    it is shown, even when the trace held more intervals than were kept.
    """
    if not durations_ns or count == 0:
        return []
    ds = sorted(durations_ns)
    lo, hi = max(ds[0], 1), max(ds[-1], 1)
    steps = CCDF_POINTS if hi > lo else 1
    points: list[list[float]] = []
    for k in range(steps + 1):
        x = lo * (hi / lo) ** (k / steps) if steps > 1 else float(lo)
        points.append([x, (len(ds) - bisect.bisect_right(ds, x)) / count])
    # the step just below the shortest kept interval: every kept interval is longer
    return [[lo * 0.999, len(ds) / count], *points]


def _stw(intervals: tuple[Interval, ...]) -> list[list[Any]]:
    rows = sorted(intervals, key=lambda iv: iv.start_ns)[:STW_KEPT]
    return [[iv.start_ns, iv.duration_ns, iv.what] for iv in rows]


def _trace(window: WindowResult) -> dict[str, Any] | None:
    if window.trace is None:
        if "trace" in window.errors:
            raise GoperfError(window.errors["trace"])
        return None
    from pytest_goperf.trace import analyze_file

    stats = analyze_file(window.trace, keep=TAIL_KEPT)
    s = stats.sched_latency
    return {
        "duration_ns": stats.duration_ns,
        "sched": {"count": s.count, "kept": len(s.worst), "p50": s.p50, "p90": s.p90, "p99": s.p99, "max": s.max,
                  "ccdf": _ccdf([iv.duration_ns for iv in s.worst], s.count)},
        "stw": _stw(stats.stw.worst),
        "stw_count": stats.stw.count,
        "gc_count": stats.gc_count,
    }


def _top(window: WindowResult) -> dict[str, Any] | None:
    if window.cpu_profile is None:
        if "cpu" in window.errors:
            raise GoperfError(window.errors["cpu"])
        return None
    from pytest_goperf.pprof import read_profile, top

    t = top(read_profile(window.cpu_profile))
    rows = [{"function": r.function, "flat_pct": r.flat_pct, "cum_pct": r.cum_pct} for r in t.head(TOP_ROWS)]
    return {"sample_type": t.sample_type, "unit": t.unit, "total": t.total, "rows": rows}


def bench_data(outcome: Any) -> dict[str, Any]:
    """The comparison (benchstat's table and rows) of a finished ``BenchOutcome``."""
    from pytest_goperf.bench.compare import render_table

    c = outcome.comparison
    data = c.to_json()
    mde = {k: v.figures.get("mde_pct") for k, v in outcome.verdicts.items()} if outcome.verdicts else None
    return {"old": c.old_name, "new": c.new_name, "alpha": c.alpha, "table": render_table(c, mde),
            "rows": [r for r in data["rows"] if _finite_row(r)], "geomeans": data["geomeans"],
            "old_file": str(outcome.outputs.old) if outcome.outputs.old else None,
            "new_file": str(outcome.outputs.new)}


def _finite_row(row: dict[str, Any]) -> bool:
    """Rows are JSON already (inf CI ends are null); drop a NaN centre that JSON could not carry."""
    for side in ("old", "new"):
        s = row.get(side)
        if s is not None and isinstance(s.get("center"), float) and not math.isfinite(s["center"]):
            return False
    return True
