"""The exact Wilcoxon signed-rank test on per-round log ratios (``thresholds.bench.test: paired``).

Rounds are interleaved: round i of the baseline and round i of the candidate
ran side by side in time, so the log ratio of the pair cancels whatever the
machine did during that round (a clock change, a noisy neighbour).  The test
asks whether those ratios are symmetric about 0.

* Zero differences are dropped (Wilcoxon's own rule, scipy's ``zero_method
  ="wilcox"``); tied absolute differences get mid-ranks, and the null
  distribution is counted exactly over the 2^n sign flips on the doubled
  mid-ranks, so ties never need an approximation while n <= ``EXACT_LIMIT``.
* The smallest attainable two-sided p is 2 / 2^n (every sign the same): it
  depends only on the absolute differences, which is what Tarone's screen
  needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

EXACT_LIMIT = 50


@dataclass(frozen=True)
class SignRank:
    """Two-sided exact signed-rank test of the per-round differences."""

    p: float
    n: int             # nonzero pairs the test used
    w_plus: float      # sum of the ranks of the positive differences
    floor: float       # the smallest p these absolute differences could give


def log_ratios(old: Sequence[float], new: Sequence[float]) -> list[float]:
    """log(new_i / old_i) per round; plain differences when a value is <= 0 (zero allocations)."""
    if all(v > 0 for v in (*old, *new)):
        return [math.log(b / a) for a, b in zip(old, new)]
    return [b - a for a, b in zip(old, new)]


def _mid_ranks2(absd: list[float]) -> list[int]:
    """Doubled mid-ranks of the absolute differences (integers even when tied)."""
    order = sorted(range(len(absd)), key=lambda i: absd[i])
    ranks = [0] * len(absd)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and absd[order[j + 1]] == absd[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = i + j + 2  # 2 * mean of 1-based ranks i+1 .. j+1
        i = j + 1
    return ranks


@lru_cache(maxsize=512)
def _counts(ranks2: tuple[int, ...]) -> tuple[int, ...]:
    """Number of sign assignments per doubled positive-rank sum (exact; one polynomial product)."""
    counts = [0] * (sum(ranks2) + 1)
    counts[0] = 1
    top = 0
    for r in ranks2:
        top += r
        for s in range(top, r - 1, -1):
            counts[s] += counts[s - r]
    return tuple(counts)


def signed_rank(old: Sequence[float], new: Sequence[float]) -> SignRank:
    """The exact two-sided Wilcoxon signed-rank test of round i of ``new`` against round i of ``old``."""
    if len(old) != len(new):
        raise ValueError(f"paired samples need equal sizes, got {len(old)} and {len(new)}")
    d = [x for x in log_ratios(old, new) if x != 0]
    n = len(d)
    if n == 0:
        return SignRank(1.0, 0, 0.0, 1.0)
    ranks2 = _mid_ranks2([abs(x) for x in d])
    w2 = sum(r for r, x in zip(ranks2, d) if x > 0)
    floor = min(1.0, 2 / 2**n)
    if n <= EXACT_LIMIT:
        counts = _counts(tuple(sorted(ranks2)))
        total = 2**n
        lower = sum(counts[: w2 + 1]) / total
        upper = sum(counts[w2:]) / total
        p = min(1.0, 2 * min(lower, upper))
    else:  # normal approximation with tie correction
        mean = sum(ranks2) / 4
        var = sum(r * r for r in ranks2) / 16
        z = (abs(w2 / 2 - mean) - 0.5) / math.sqrt(var) if var else 0.0
        p = min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2)))
    return SignRank(max(p, floor), n, w2 / 2, floor)


def min_rounds(level: float) -> int:
    """The fewest rounds whose best two-sided p, 2 / 2^n (every sign the same), is <= ``level``."""
    return next((n for n in range(1, 200) if 2 / 2**n <= level), 200)


def paired_floor(old: Sequence[float], new: Sequence[float]) -> float:
    """2 / 2^n for n nonzero differences: the best p any choice of signs could give (Tarone)."""
    n = sum(1 for x in log_ratios(old, new) if x != 0)
    return min(1.0, 2 / 2**n) if n else 1.0


@lru_cache(maxsize=256)
def critical_w(n: int, level: float) -> int | None:
    """The largest W (sum of the ranks on the worse side) an untied sample of n pairs rejects at; None if none."""
    counts = _counts(tuple(2 * k for k in range(1, n + 1)))  # doubled ranks: W = s / 2
    total = 2**n
    cum = 0
    best: int | None = None
    for w in range(n * (n + 1) // 2 + 1):
        cum += counts[2 * w]
        if 2 * cum / total <= level:
            best = w
        else:
            break
    return best
