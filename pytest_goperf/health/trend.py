"""Trend tests for time series sampled under constant load (pure, no I/O).

Heap plateau (docs/design.md#definitions): the Theil-Sen slope of heap in-use bytes
over the measured window, relative to the window's median, per minute.  The
gate also asks that the slope's 95 % confidence interval exclude zero.
Theil-Sen (the median of all pairwise slopes) shrugs off the sawtooth of GC
cycles and a few outliers that would swing a least-squares fit.

Goroutine drift: every sample within ±drift of the window's median, and no
upward trend, meaning the Theil-Sen line rises by no more than ``drift`` of
the median across the window.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_SAMPLES = 3
# A window's heap/goroutine trend test needs twice that: the heap gate judges the later half.
MIN_TREND_SAMPLES = 2 * MIN_SAMPLES


@dataclass(frozen=True)
class Trend:
    """A Theil-Sen fit of one series: slope per second and the series' median."""

    n: int
    span: float                 # seconds from first to last sample
    median: float
    slope: float                # units per second
    low: float                  # 95 % confidence bounds of the slope
    high: float

    @property
    def relative_per_minute(self) -> float:
        """Slope as a fraction of the median per minute (0 when the median is 0)."""
        return self.slope * 60.0 / self.median if self.median else 0.0

    @property
    def rise_over_window(self) -> float:
        """How far the fitted line rises across the window, as a fraction of the median."""
        return self.slope * self.span / self.median if self.median else 0.0


def theil_sen(times: Sequence[float], values: Sequence[float], blocks: Sequence[int] | None = None) -> Trend:
    """Fit a Theil-Sen line; needs at least MIN_SAMPLES samples at distinct times.

    With ``blocks`` (a block number per sample) only pairs within one block
    give slopes, and the interval's variance is the sum of the blocks' (Sen's
    estimator per block, as Hirsch's seasonal Kendall test pools it): a level
    that shifts between blocks is not read as a slope.
    """
    if len(times) != len(values):
        raise ValueError("times and values differ in length")
    if len(values) < MIN_SAMPLES:
        raise ValueError(f"need at least {MIN_SAMPLES} samples for a trend, got {len(values)}")
    if len(set(times)) < 2:
        raise ValueError("all samples share one timestamp")
    if blocks is not None and len(blocks) != len(values):
        raise ValueError("blocks and values differ in length")
    slope, low, high = _theil_sen_slopes(times, values, blocks)
    return Trend(n=len(values), span=float(max(times) - min(times)), median=float(statistics.median(values)),
                 slope=float(slope), low=float(low), high=float(high))


# A pause in sampling longer than this many median intervals starts a new block (see blocks_at_gaps).
GAP_INTERVALS = 2.5


def blocks_at_gaps(times: Sequence[float]) -> list[int]:
    """Block number of each sample: a new block after every pause longer than GAP_INTERVALS median intervals.

    The heap's level can shift across such a pause: the window's trace records
    there (no sample is taken during it, nor 1 s after it), and the runtime
    keeps some of what the trace used.  A leak grows within every stretch, so
    slopes taken within blocks still show it.
    """
    steps = [b - a for a, b in zip(times, times[1:])]
    if not steps:
        return [0] * len(times)
    usual = statistics.median(steps)
    block, out = 0, [0]
    for step in steps:
        if usual > 0 and step > GAP_INTERVALS * usual:
            block += 1
        out.append(block)
    return out


# Two-sided 95 %: the normal quantile at 2.5 %, as scipy.stats.norm.ppf(0.025) gives it.
_Z_025 = -1.9599639845400545


def _theil_sen_slopes(times: Sequence[float], values: Sequence[float],
                      blocks: Sequence[int] | None = None) -> tuple[float, float, float]:
    """(median slope, low, high): Sen's (1968) estimator and its 95 % interval, scipy.stats.theilslopes' figures.

    Written here so that judging a window does not import scipy (1-2 s of every run): the slopes of all
    pairs with distinct times, their median, and the interval from Sen's equation 2.6 (variance reduced by
    ties in either series; NaN bounds when ties leave no variance), the same floats as scipy's
    (tests/health/test_trend_parity.py).
    """
    x = np.asarray(times, dtype=float)
    y = np.asarray(values, dtype=float)
    b = np.zeros(len(x), dtype=int) if blocks is None else np.asarray(blocks, dtype=int)
    dx = x[:, np.newaxis] - x
    dy = y[:, np.newaxis] - y
    use = (dx > 0) & (b[:, np.newaxis] == b)
    if not use.any():
        raise ValueError("no two samples of one block at distinct times")
    slopes = np.sort(dy[use] / dx[use])
    median = float(np.median(slopes))
    pairs = len(slopes)

    def ties(series: Sequence[float]) -> int:
        return sum(k * (k - 1) * (2 * k + 5) for k in Counter(float(v) for v in series).values() if k > 1)

    variance = 0.0
    for block in sorted(set(b.tolist())):
        xs, ys = x[b == block].tolist(), y[b == block].tolist()
        n = len(ys)
        variance += 1 / 18.0 * (n * (n - 1) * (2 * n + 5) - ties(xs) - ties(ys))
    if variance < 0 or math.isnan(variance):
        return median, math.nan, math.nan
    sigma = math.sqrt(variance)
    upper = min(round((pairs - _Z_025 * sigma) / 2.0), pairs - 1)
    lower = max(round((pairs + _Z_025 * sigma) / 2.0) - 1, 0)
    return median, float(slopes[lower]), float(slopes[upper])


@dataclass(frozen=True)
class Drift:
    """How far a series strays from its median, and its trend."""

    trend: Trend
    worst_index: int            # the sample farthest from the median
    worst_deviation: float      # signed fraction of the median

    def within(self, max_drift: float) -> bool:
        return abs(self.worst_deviation) <= max_drift and self.trend.rise_over_window <= max_drift


def drift(times: Sequence[float], values: Sequence[float]) -> Drift:
    """The largest deviation from the median and the Theil-Sen trend of a series."""
    trend = theil_sen(times, values)
    med = trend.median
    deviations = [((v - med) / med if med else (0.0 if v == 0 else float("inf"))) for v in values]
    worst = max(range(len(values)), key=lambda i: abs(deviations[i]))
    return Drift(trend=trend, worst_index=worst, worst_deviation=deviations[worst])


def _sse_line(t: Sequence[float], v: Sequence[float]) -> float:
    """Residual sum of squares of a least-squares line (0 for fewer than 3 points)."""
    n = len(v)
    if n < 3:
        return 0.0
    mt, mv = sum(t) / n, sum(v) / n
    stt = sum((x - mt) ** 2 for x in t)
    if stt == 0:
        return sum((y - mv) ** 2 for y in v)
    b = sum((x - mt) * (y - mv) for x, y in zip(t, v)) / stt
    return sum((y - mv - b * (x - mt)) ** 2 for x, y in zip(t, v))


def _sse_flat(v: Sequence[float]) -> float:
    m = sum(v) / len(v)
    return sum((y - m) ** 2 for y in v)


def plateau_start(times: Sequence[float], values: Sequence[float]) -> int:
    """Index where a "grow, then flat" fit puts the start of the last segment (0: no growth phase).

    A change-point fit: for each break k the head ``[0, k]`` gets a line and
    the tail ``[k, n)`` a constant; the break with the least total squared
    error wins.  The tail is never shorter than the later half of the
    samples, so a leak at a constant rate (which no constant tail fits) is
    still judged on half the window and fails, while a cache that fills and
    then stays flat is judged on its flat part only.
    """
    n = len(values)
    last = n - max(MIN_SAMPLES, (n + 1) // 2)   # the latest break that leaves the later half
    if last <= 0:
        return 0
    best, best_cost = 0, _sse_flat(values)
    for k in range(1, last + 1):
        cost = _sse_line(times[: k + 1], values[: k + 1]) + _sse_flat(values[k:])
        if cost < best_cost * (1 - 1e-9):
            best, best_cost = k, cost
    return best
