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

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats as _stats

MIN_SAMPLES = 3


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


def theil_sen(times: Sequence[float], values: Sequence[float]) -> Trend:
    """Fit a Theil-Sen line; needs at least MIN_SAMPLES samples at distinct times."""
    if len(times) != len(values):
        raise ValueError("times and values differ in length")
    if len(values) < MIN_SAMPLES:
        raise ValueError(f"need at least {MIN_SAMPLES} samples for a trend, got {len(values)}")
    if len(set(times)) < 2:
        raise ValueError("all samples share one timestamp")
    slope, _intercept, low, high = _stats.theilslopes(values, times, alpha=0.95)
    return Trend(n=len(values), span=float(max(times) - min(times)), median=float(statistics.median(values)),
                 slope=float(slope), low=float(low), high=float(high))


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
