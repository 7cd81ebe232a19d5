"""The two-sided Mann-Whitney U test with benchstat's semantics, and what the gate derives from it.

* ``mann_whitney``: exact distribution while both samples are <= 50 without
  ties or <= 25 with ties (the tie-aware exact distribution, counting subsets
  by their rank sum), else the normal approximation with tie and continuity
  correction -- the same switch points as benchstat.  benchstat's quirks are
  reproduced so its p prints the same; ``sound_p``/``decision_p`` is what
  decisions use.
* ``attainable_min_p``: the smallest p a pooled sample can ever give (Tarone).

Large samples (months of nightly results) are ranked with numpy.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from pytest_goperf.bench.stats import as_numpy, go_float, sign_of

EXACT_LIMIT = 50  # no ties: exact U distribution up to this many per side
TIES_EXACT_LIMIT = 25  # with ties


@dataclass(frozen=True)
class UTest:
    """Result of a two-sided Mann-Whitney U test between two samples."""

    p: float
    n1: int
    n2: int
    warnings: tuple[str, ...] = ()
    # p for decisions: equal to p except where benchstat's 2*CDF(min U) is an
    # artifact of asymmetric ties (p below the smallest attainable value).
    p_sound: float | None = None


def min_p(n: int) -> float:
    """Smallest two-sided exact p-value with n samples on each side."""
    return 2 / math.comb(2 * n, n)


def min_samples_for_alpha(alpha: float) -> tuple[str, int]:
    """(">=", n): samples per side needed before p can fall to alpha (n <= 9 as benchstat)."""
    for n in range(1, 10):
        if min_p(n) <= alpha:
            return ">=", n
    return ">", 10


def _count_rank_sums(n1: int, groups: tuple[tuple[int, int], ...], limit: int) -> tuple[int, int]:
    """Ways to pick n1 of the pooled values, by doubled rank sum 0..limit.

    ``groups`` is (size, doubled mid-rank) per run of tied values; choosing r
    values of a group adds r * mid-rank with multiplicity binomial(size, r).
    Exact integer arithmetic: for each count c the polynomial in the rank sum
    is one Python int with a ``width``-bit digit per coefficient (wide enough
    for the largest count), so a group step is a few big-int shifts and adds.
    Returns (packed coefficients, width).
    """
    total = sum(size for size, _ in groups)
    width = -(-(math.comb(total, n1).bit_length() + 1) // 8) * 8
    mask = (1 << ((limit + 1) * width)) - 1
    dp = [0] * (n1 + 1)
    dp[0] = 1
    taken = 0
    for size, w2 in groups:
        taken += size
        # States that cannot reach n1 with the values still to come are dead: skip them.
        low = max(1, n1 - (total - taken))
        for c in range(min(n1, taken), low - 1, -1):  # descending: dp[c - r] is still the old row
            acc = dp[c]
            for r in range(1, min(size, c) + 1):
                shift = r * w2
                if shift > limit:
                    break
                prev = dp[c - r]
                if prev:
                    mult = math.comb(size, r)
                    acc += (prev << (shift * width)) if mult == 1 else mult * (prev << (shift * width))
            dp[c] = acc & mask
    return dp[n1], width


def _digits(packed: int, width: int, count: int) -> list[int]:
    raw = packed.to_bytes(count * width // 8, "little")
    step = width // 8
    return [int.from_bytes(raw[i : i + step], "little") for i in range(0, len(raw), step)]


@lru_cache(maxsize=256)
def _no_ties_cdf(n1: int, n2: int) -> tuple[int, ...]:
    """Cumulative counts of U for untied samples (shared by every row with this n).

    The counts are the coefficients of the Gaussian binomial [n1+n2, n1]_q,
    built by its recurrence P(i, j) = q^j P(i-1, j) + P(i, j-1) on packed
    big-int polynomials.
    """
    width = -(-(math.comb(n1 + n2, n1).bit_length() + 1) // 8) * 8
    row = [1] * (n2 + 1)
    for _ in range(n1):
        new = [1]
        for j in range(1, n2 + 1):
            new.append((row[j] << (j * width)) + new[j - 1])
        row = new
    return tuple(itertools.accumulate(_digits(row[n2], width, n1 * n2 + 1)))


@lru_cache(maxsize=4096)
def _ties_cdf(n1: int, ties: tuple[int, ...], two_u: int) -> float:
    """P(2*U1 <= two_u) under the tie structure ``ties`` (run lengths), exactly."""
    if two_u < 0:
        return 0.0
    start = 0
    groups = []
    for t in ties:
        groups.append((t, 2 * start + t + 1))
        start += t
    base = n1 * (n1 + 1)
    packed, width = _count_rank_sums(n1, tuple(groups), base + two_u)
    # Only sums >= base are reachable, so the digit sum is the count we want;
    # it is < 2**width - 1, hence equal to packed mod (2**width - 1).
    below = packed % ((1 << width) - 1)
    return below / math.comb(start, n1)


def _benchstat_ties_cdf(n1: int, ties: tuple[int, ...], two_u: int) -> float:
    """The tied CDF as benchstat evaluates it.

    With exactly two distinct values benchstat uses a closed form whose upper
    summation bound is a Go integer division, which truncates toward zero: for
    a ``two_u`` just below the support it counts the all-from-the-lower-group
    subsets instead of none (p can then exceed 1).  We reproduce that.
    """
    if len(ties) != 2:
        return _ties_cdf(n1, ties, two_u)
    t0, t1 = ties
    num = two_u - n1 * (t0 - n1)
    high = num // (t0 + t1) if num >= 0 else -((-num) // (t0 + t1))
    count = sum(math.comb(t0, n1 - r) * math.comb(t1, r)
                for r in range(max(0, n1 - t0), min(high, n1) + 1))
    return count / math.comb(t0 + t1, n1)


def _ranks(x: list[float], y: list[float]) -> tuple[float, list[int]]:
    """Rank sum of x in the pooled sample (mid-ranks) and the tie run lengths."""
    in_x = Counter(x)
    r1 = 0.0
    ties: list[int] = []
    start = 0
    for value, run in itertools.groupby(sorted(x + y)):
        t = sum(1 for _ in run)
        k = in_x.get(value, 0)
        if k:
            r1 += (2 * start + t + 1) / 2 * k
        ties.append(t)
        start += t
    return r1, ties


def _rank_sums_large(x: Sequence[float], y: Sequence[float]) -> tuple[float, int, float]:
    """(rank sum of x, number of distinct values, sum of t^3 - t over tie runs) with numpy.

    For samples past the exact-distribution limits only: one sort and a few
    vector operations instead of a Python loop over thousands of values (months
    of nightly results).  Mid-ranks are multiples of 1/2 and the sums stay far
    below 2^53, so the results equal the loop's exactly.
    """
    import numpy as np  # lazy: small comparisons never pay for the import

    xs = np.sort(as_numpy(x))  # sorted needles make the searches below cache-friendly
    pooled = np.concatenate((xs, as_numpy(y)))
    pooled.sort()
    # mid-rank of v = (#values < v + 1 + #values <= v) / 2
    r1 = float((np.searchsorted(pooled, xs, "left") + np.searchsorted(pooled, xs, "right") + 1).sum()) / 2
    starts = np.flatnonzero(np.concatenate(([True], pooled[1:] != pooled[:-1])))
    counts = np.diff(np.append(starts, len(pooled))).astype(np.float64)
    return r1, len(counts), float((counts * counts * counts - counts).sum())


@lru_cache(maxsize=1024)
def _floor_p(n1: int, n2: int) -> float:
    """2 / C(n1 + n2, n1): the smallest two-sided exact p (cached: C(4000, 2000) is a 1,200-digit integer)."""
    return 2 / math.comb(n1 + n2, n1)


def mann_whitney(x: Sequence[float], y: Sequence[float], alpha: float = 0.05) -> UTest:
    """Two-sided Mann-Whitney U test of x (old) against y (new), benchstat style.

    On samples that cannot be tested (all values equal) p is 1 with a warning;
    when p > alpha and both sides are too small to ever reach alpha, a warning
    says how many samples are needed.
    """
    n1, n2 = len(x), len(y)
    p, err = _u_pvalue(x, y)
    warnings: list[str] = []
    if err is not None:
        return UTest(1.0, n1, n2, (err,), 1.0)
    small = n1 <= EXACT_LIMIT and n2 <= EXACT_LIMIT  # sound_p's exact count is only affordable there
    p_sound = p if p >= _floor_p(n1, n2) or not small else sound_p(list(x), list(y))
    if p > alpha:
        op, need = min_samples_for_alpha(alpha)
        if n1 < need and n2 < need:
            warnings.append(f"need {op} {need} samples to detect a difference at alpha level {go_float(alpha)}")
    return UTest(p, n1, n2, tuple(warnings), p_sound)


def decision_p(x: Sequence[float], y: Sequence[float]) -> float:
    """The p the gate decides on: benchstat's, unless it is an asymmetric-ties artifact (then ``sound_p``)."""
    test = mann_whitney(x, y)
    return test.p_sound if test.p_sound is not None else test.p


def attainable_min_p(x: Sequence[float], y: Sequence[float]) -> float:
    """The smallest decision p that any split of the pooled values into |x| and |y| could give.

    It depends only on the pooled sample (its size and ties), not on which
    side each value came from, so under the null hypothesis it tells in
    advance whether a row can ever be significant: the quantity Tarone's
    method uses to leave such rows out of a multiple-testing family.  The
    most extreme splits (x = the |x| smallest values, or the |x| largest)
    give the smallest p.  1.0 when every value is equal.
    """
    n1 = len(x)
    if n1 == 0 or not y:
        return 1.0
    pooled = sorted([*x, *y])
    if pooled[0] == pooled[-1]:
        return 1.0
    if len(set(pooled)) == len(pooled) and n1 <= EXACT_LIMIT and len(y) <= EXACT_LIMIT:
        return 2 / math.comb(len(pooled), n1)  # untied exact: one extreme split of C(N, n1)
    low = decision_p(pooled[:n1], pooled[n1:])
    high = decision_p(pooled[-n1:], pooled[:-n1])
    return min(low, high)


def min_count_for_alpha(alpha: float, limit: int = 1000) -> int:
    """The smallest per-side count n whose best two-sided p, 2 / C(2n, n), is <= alpha."""
    for n in range(1, limit + 1):
        if min_p(n) <= alpha:
            return n
    return limit


def sound_p(x: list[float], y: list[float]) -> float:
    """Exact two-sided p = 2*min(P(U1 <= u1), P(U1 >= u1)), capped at 1.

    benchstat's 2*P(U <= min(U1, U2)) assumes a symmetric distribution; with
    asymmetric ties min(U1, U2) can fall below U1's support and the p-value
    comes out 0 although the observation is not extreme at all.  This form is
    valid for any tie structure (used by the gate, never shown as benchstat's p).
    """
    n1 = len(x)
    r1, ties = _ranks(x, y)
    two_u1 = int(2 * (r1 - n1 * (n1 + 1) / 2))
    if len(ties) == 1:
        return 1.0
    lower = _ties_cdf(n1, tuple(ties), two_u1)
    upper = 1.0 - _ties_cdf(n1, tuple(ties), two_u1 - 1)
    return min(1.0, 2 * min(lower, upper))


def _u_pvalue(x: Sequence[float], y: Sequence[float]) -> tuple[float, str | None]:
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        return 1.0, "sample is too small"
    ties: list[int] = []
    if n1 <= EXACT_LIMIT and n2 <= EXACT_LIMIT:
        r1, ties = _ranks(list(x), list(y))
        groups = len(ties)
    else:
        r1, groups, tie_term = _rank_sums_large(x, y)
    u1 = r1 - n1 * (n1 + 1) / 2
    u2 = n1 * n2 - u1
    u_small = min(u1, u2)
    has_ties = groups < n1 + n2
    exact = (n1 <= EXACT_LIMIT and n2 <= EXACT_LIMIT) if not has_ties else (n1 <= TIES_EXACT_LIMIT and n2 <= TIES_EXACT_LIMIT)
    if exact:
        if len(ties) == 1:
            return 1.0, "all samples are equal"
        if u1 == u2:
            return 1.0, None
        two_u = int(2 * u_small)
        if two_u < 0:
            return 0.0, None
        if not has_ties:
            cum = _no_ties_cdf(n1, n2)
            return cum[two_u // 2] / math.comb(n1 + n2, n1) * 2, None
        return _benchstat_ties_cdf(n1, tuple(ties), two_u) * 2, None
    t = float(sum(k * k * k - k for k in ties)) if ties else tie_term
    big_n = float(n1 + n2)
    sigma = math.sqrt(n1 * n2 * ((big_n + 1) - t / (big_n * (big_n - 1))) / 12)
    if sigma == 0:
        return 1.0, "all samples are equal"
    numer = u1 - n1 * n2 / 2
    numer -= sign_of(numer) * 0.5
    z = numer / sigma
    cdf = math.erfc(-z / math.sqrt(2)) / 2
    return 2 * min(cdf, 1 - cdf), None
