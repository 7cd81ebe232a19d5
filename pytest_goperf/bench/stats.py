"""Benchmark statistics with benchstat's semantics (golang.org/x/perf/benchmath).

Pure functions, no I/O.  Results carry warnings instead of raising, because a
too-small sample is something to tell the user, not a crash.

* ``summarize``: sample median (Hyndman-Fan R8 quantile, as benchstat) and a
  95 % confidence interval from binomial order statistics.
* the Mann-Whitney U test lives in ``bench.utest``.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_CI_EXACT_LIMIT = 30  # binomial order statistics exact up to n, normal above

# benchstat computes binomial probabilities as exp(lgamma(..)) in float64; for
# n=24 at 95 % the rounding breaks an exact tie between the two tails the other
# way (to the right).  Parity with benchstat is the contract, so we pin it.
# tests/bench/test_parity.py checks every n against go-moremath itself.
_FLOAT_TIE_BREAKS: dict[tuple[int, float], tuple[int, int]] = {(24, 0.95): (8, 18)}


@dataclass(frozen=True)
class Summary:
    """Median of a sample and its confidence interval [lo, hi] (may be ±inf)."""

    n: int
    center: float
    lo: float
    hi: float
    warnings: tuple[str, ...] = ()

    def pct_range(self) -> str:
        """The ``± 3%`` part of a benchstat row."""
        if math.isinf(self.lo) or math.isinf(self.hi):
            return "∞"
        sign = sign_of(self.center)
        if sign != sign_of(self.lo) or sign != sign_of(self.hi):
            return "?"
        if self.center == 0:
            return "0%"
        v = max(self.hi / self.center - 1, 1 - self.lo / self.center)
        return f"{100 * v:.0f}%"


def sign_of(x: float) -> int:
    return (x > 0) - (x < 0)


def median(sorted_values: list[float]) -> float:
    """Sample median as benchstat computes it (R8 quantile, same float steps)."""
    n = len(sorted_values)
    if n == 0:
        return math.nan
    pos = 1 / 3.0 + 0.5 * (n + 1 / 3.0)
    frac, kf = math.modf(pos)
    k = int(kf)
    if k <= 0:
        return sorted_values[0]
    if k >= n:
        return sorted_values[-1]
    lo = sorted_values[k - 1]
    return lo + frac * (sorted_values[k] - lo)


def _orders_exact(n: int, confidence: float) -> tuple[int, int]:
    """Smallest central [lo, hi) in binomial(n, 1/2) with mass >= confidence.

    Grows from the mode, taking the larger tail probability each step (left on
    a tie); in exact rational arithmetic so that ties are real ties.
    """
    from fractions import Fraction  # lazy: only for the first few n, then cached

    conf = Fraction(confidence)
    denom = 2**n

    def pmf(k: int) -> Fraction:
        return Fraction(math.comb(n, k), denom) if 0 <= k <= n else Fraction(0)

    x = math.ceil((n + 1) * 0.5) - 1
    acc = pmf(x)
    lo, hi = x, x + 1
    lp, rp = pmf(lo - 1), pmf(hi)
    while acc < conf and (lp > 0 or rp > 0):
        if lp >= rp:
            acc += lp
            lo -= 1
            lp = pmf(lo - 1)
        else:
            acc += rp
            hi += 1
            rp = pmf(hi)
    return lo, hi


def _orders_normal(n: int, confidence: float) -> tuple[int, int]:
    """Normal approximation of the binomial for large n, rounded as benchstat does."""
    from statistics import NormalDist  # lazy: importing statistics costs startup time

    mu = n * 0.5
    sigma = math.sqrt(n * 0.25)
    norm = NormalDist(mu, sigma)
    l1 = norm.inv_cdf((1 - confidence) / 2)
    r1 = 2 * mu - l1
    lo = math.floor(l1 - 0.5) + 1
    hi = math.ceil(r1 - 0.5) + 1

    def cdf(x: float) -> float:
        return math.erfc(-(x - mu) / (sigma * math.sqrt(2))) / 2

    unbiased = cdf(hi - 0.5) - cdf(lo - 0.5)
    biased = cdf(hi - 1 - 0.5) - cdf(lo - 0.5)
    if confidence <= biased < unbiased:
        hi -= 1
    return lo, hi


@lru_cache(maxsize=4096)
def median_ci_orders(n: int, confidence: float = 0.95) -> tuple[int, int]:
    """1-based order statistics (lo, hi) bounding the median's CI.

    ``lo`` < 1 means -inf and ``hi`` > n means +inf (too few samples).
    """
    if confidence >= 1:
        return 0, n + 1
    pinned = _FLOAT_TIE_BREAKS.get((n, confidence))
    if pinned is not None:
        lo, hi = pinned
    elif n <= _CI_EXACT_LIMIT:
        lo, hi = _orders_exact(n, confidence)
    else:
        lo, hi = _orders_normal(n, confidence)
    return max(lo, 0), min(hi, n + 1)


@lru_cache(maxsize=64)
def min_samples_for_ci(confidence: float = 0.95) -> tuple[str, int]:
    """(">=", n): the fewest samples giving a finite interval (benchstat's wording)."""
    for n in range(2, 51):
        lo, hi = median_ci_orders(n, confidence)
        if lo > 0 and hi <= n:
            return ">=", n
    return ">", 50


LARGE = 256  # samples above this size are sorted and ranked with numpy


def as_numpy(values: Sequence[float]) -> Any:
    """A float64 numpy view of the values (no copy for an ``array('d')``)."""
    import numpy as np  # lazy: small comparisons never pay for the import

    if isinstance(values, array) and values.typecode == "d":
        return np.frombuffer(values, dtype=np.float64)
    return np.asarray(values, dtype=np.float64)


def summarize(values: Sequence[float], confidence: float = 0.95) -> Summary:
    """Median and order-statistic CI of one sample, with benchstat's warning."""
    xs: Any = sorted(values) if len(values) <= LARGE else as_numpy(values).copy()
    if len(values) > LARGE:
        xs.sort()
    n = len(xs)
    center = float(median(xs))
    lo_o, hi_o = median_ci_orders(n, confidence)
    lo = float(xs[lo_o - 1]) if lo_o >= 1 else -math.inf
    hi = float(xs[hi_o - 1]) if hi_o - 1 < n else math.inf
    warnings: tuple[str, ...] = ()
    if math.isinf(lo) or math.isinf(hi):
        op, need = min_samples_for_ci(confidence)
        warnings = (f"need {op} {need} samples for confidence interval at level {go_float(confidence)}",)
    return Summary(n, center, lo, hi, warnings)


def go_float(v: float) -> str:
    """Format like Go's ``%v`` for a float64: shortest digits, %e form when the
    decimal exponent is < -4 or >= 6 (as in benchstat's warning texts)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v == 0:
        return "-0" if math.copysign(1, v) < 0 else "0"
    sign = "-" if v < 0 else ""
    mant, _, e = repr(abs(v)).partition("e")  # repr: the shortest round-trip digits
    whole, _, frac = mant.partition(".")
    whole = whole.lstrip("0")
    if whole:
        digits, point = whole + frac, len(whole)
    else:
        stripped = frac.lstrip("0")
        digits, point = stripped, -(len(frac) - len(stripped))
    digits = digits.rstrip("0")
    point += int(e or 0)  # value = 0.<digits> x 10**point
    nd, exp = len(digits), point - 1
    if exp < -4 or exp >= 6:
        tail = f".{digits[1:]}" if nd > 1 else ""
        return f"{sign}{digits[0]}{tail}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= nd:
        return f"{sign}{digits}{'0' * (point - nd)}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def summarize_exact(values: Sequence[float]) -> Summary:
    """Summary under benchstat's ``assume=exact``: the mode, the range, a warning if values differ."""
    xs = sorted(values)
    mode, best, run = xs[0], 1, 1
    for prev, cur in itertools.pairwise(xs):
        run = run + 1 if cur == prev else 1
        if run > best:
            mode, best = cur, run
    warnings: tuple[str, ...] = ()
    if best != len(xs):
        warnings = (f"exact distribution expected, but values range from {go_float(xs[0])} to {go_float(xs[-1])}",)
    return Summary(len(xs), mode, xs[0], xs[-1], warnings)
