"""Sensitivity of a bench row: the minimum detectable effect (MDE) at 80 % power.

The MDE is the smallest true regression (a multiplicative slowdown of the
candidate) that this row's test would find significant in 80 % of reruns,
at the level the gate really applies: ``alpha / m`` for a family of m rows
(Holm's first step: what a single regressed row must reach when the others
are unchanged).

Method: resampling the observed noise, not a formula.  Benchmark noise on a
CI runner is skewed and heavy-tailed (a few rounds 30 % slow), so a normal
or t bound would misstate it; the tests are rank tests whose power depends on
the shape of the noise.  Each side's values are divided by their own median
(which removes any real difference between the sides); the pooled residuals
are drawn with replacement into ``draws`` fake reruns of the same size.

Per rerun the rejection of a rank test is monotone in the injected shift,
so the shift at which that rerun starts to reject has a closed form: the
(c+1)-th largest of the pairwise log differences old_i - new_j
(Mann-Whitney, with c the exact critical U), or minus the (c+1)-th smallest
Walsh average of the residual log ratios (signed rank, c the critical W).
The MDE is the 80th percentile of those shifts over the reruns -- exact for
the resampled population, no grid search.  Common random numbers (a fixed
seed) make it deterministic.  Past ``LARGE`` pairs per rerun the statistics
are normal and the MDE is solved from their mean and variance instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from statistics import NormalDist
from typing import Literal

from pytest_goperf.bench.signrank import critical_w
from pytest_goperf.bench.utest import EXACT_LIMIT, _no_ties_cdf

POWER = 0.8
DRAWS = 2000
_CELLS = 4_000_000  # cap on draws x pairs, so a 200-run row costs what a 20-run row does
LARGE = 40_000  # pairs (or Walsh averages) per rerun above which the normal approximation is used

Better = Literal["lower", "higher"]


@lru_cache(maxsize=1024)
def critical_u(n1: int, n2: int, level: float) -> int | None:
    """The largest U an untied n1+n2 Mann-Whitney test rejects at (two-sided p <= level); None if none."""
    if n1 <= EXACT_LIMIT and n2 <= EXACT_LIMIT:
        cum = _no_ties_cdf(n1, n2)
        total = math.comb(n1 + n2, n1)
        best: int | None = None
        for u, c in enumerate(cum):
            if 2 * c / total > level:
                break
            best = u
        return best
    # benchstat's normal approximation: p = 2 Phi(-(|U - mu| - 0.5) / sigma)
    mu = n1 * n2 / 2
    sigma = math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    c = math.floor(mu - NormalDist().inv_cdf(1 - level / 2) * sigma - 0.5)
    return c if c >= 0 else None


def _worse_logs(values: Sequence[float], better: Better) -> list[float] | None:
    """log(value) oriented so that a regression is a positive shift; None if a value is <= 0."""
    if not values or min(values) <= 0:
        return None
    sign = 1.0 if better == "lower" else -1.0
    return [sign * math.log(v) for v in values]


def _to_pct(shift: float, better: Better) -> float:
    """A log shift in the worse direction as the gate's worse-direction percentage."""
    if math.isinf(shift):
        return math.inf
    return (math.exp(shift) - 1) * 100 if better == "lower" else (1 - math.exp(-shift)) * 100


def _percentile(xs: list[float]) -> float:
    """The POWER quantile (the next higher observation, as numpy's method="higher")."""
    xs = sorted(xs)
    return xs[math.ceil(POWER * (len(xs) - 1))]


def _z(level: float, n1: int, n2: int) -> float:
    """How far above 1/2 P(X - Y < s) must be for a normal U to reject at ``level`` with POWER."""
    zsum = NormalDist().inv_cdf(1 - level / 2) + NormalDist().inv_cdf(POWER)
    return zsum * math.sqrt((n1 + n2 + 1) / (12 * n1 * n2))


def mde_utest(old: Sequence[float], new: Sequence[float], better: Better, level: float,
              draws: int = DRAWS, seed: int = 0) -> float | None:
    """MDE in percent for benchstat's Mann-Whitney test at ``level``; inf if no shift can reach it, None if unknown."""
    import numpy as np

    lo, ln = _worse_logs(old, better), _worse_logs(new, better)
    if lo is None or ln is None:
        return None
    n1, n2 = len(lo), len(ln)
    c = critical_u(n1, n2, level)
    if c is None:
        return math.inf
    mo, mn = float(np.median(lo)), float(np.median(ln))
    pool = np.array([x - mo for x in lo] + [x - mn for x in ln])
    if not np.any(pool):
        return 0.0  # no noise at all: any regression shows
    if n1 * n2 > LARGE:  # months of nightly results: U is normal; solve P(X - Y < s) for the power
        q = 0.5 + _z(level, n1, n2)
        rng = np.random.default_rng(seed)
        diffs = pool[rng.integers(0, len(pool), 400_000)] - pool[rng.integers(0, len(pool), 400_000)]
        return _to_pct(max(float(np.quantile(diffs, min(q, 1.0))), 0.0), better)
    b = max(200, min(draws, _CELLS // (n1 * n2)))
    rng = np.random.default_rng(seed)
    x = pool[rng.integers(0, len(pool), (b, n1))]
    y = pool[rng.integers(0, len(pool), (b, n2))]
    d = (x[:, :, None] - y[:, None, :]).reshape(b, n1 * n2)
    # A shift s rejects when at most c pairs still have new + s < old, i.e. s >= the (c+1)-th largest d.
    kth = np.partition(d, n1 * n2 - (c + 1), axis=1)[:, n1 * n2 - (c + 1)]
    return _to_pct(max(_percentile(kth.tolist()), 0.0), better)


def mde_paired(old: Sequence[float], new: Sequence[float], better: Better, level: float,
               draws: int = DRAWS, seed: int = 0) -> float | None:
    """MDE in percent for the exact signed-rank test on per-round log ratios at ``level``."""
    import numpy as np

    lo, ln = _worse_logs(old, better), _worse_logs(new, better)
    if lo is None or ln is None or len(lo) != len(ln):
        return None
    n = len(lo)
    c = critical_w(n, level)
    if c is None:
        return math.inf
    d = np.array([b - a for a, b in zip(lo, ln)])
    e = d - float(np.median(d))
    if not np.any(e):
        return 0.0
    walsh = n * (n + 1) // 2
    if walsh > LARGE:  # W+ is normal: solve P((E1 + E2) / 2 + s > 0) for the power
        zsum = NormalDist().inv_cdf(1 - level / 2) + NormalDist().inv_cdf(POWER)
        q = 0.5 + zsum * math.sqrt(n * (n + 1) * (2 * n + 1) / 24) / walsh
        rng = np.random.default_rng(seed)
        avg = (e[rng.integers(0, n, 400_000)] + e[rng.integers(0, n, 400_000)]) / 2
        return _to_pct(max(-float(np.quantile(avg, max(1 - q, 0.0))), 0.0), better)
    b = max(200, min(draws, _CELLS // walsh))
    rng = np.random.default_rng(seed)
    z = e[rng.integers(0, n, (b, n))]
    i, j = np.triu_indices(n)
    avg = (z[:, i] + z[:, j]) / 2
    # Shifted by s, W- counts Walsh averages below -s: at most c of them when s >= -(c+1)-th smallest.
    kth = -np.partition(avg, c, axis=1)[:, c]
    return _to_pct(max(_percentile(kth.tolist()), 0.0), better)


def mde(old: Sequence[float], new: Sequence[float], better: Better, level: float, test: str = "utest",
        draws: int = DRAWS) -> float | None:
    """The row's MDE in percent for the gate's test (``utest`` or ``paired``)."""
    fn = mde_paired if test == "paired" else mde_utest
    return fn(old, new, better, level, draws)


def fmt_mde(x: float) -> str:
    return "unbounded" if math.isinf(x) else f"{x:.1f}%"


FIX = ("more rounds (bench.count), a longer bench.benchtime, or a quieter runner would narrow it; "
       "thresholds.bench.require_power: true makes such rows fail")
