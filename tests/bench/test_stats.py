"""Statistics internals against brute force (the parity tests cover benchstat itself)."""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_goperf.bench.stats import median, min_samples_for_ci, summarize
from pytest_goperf.bench.utest import mann_whitney, min_samples_for_alpha, sound_p


def brute_p(x: list[float], y: list[float], sound: bool = False) -> float:
    """Two-sided exact p by enumerating every relabelling of the pooled mid-ranks.

    ``sound=False``: benchstat's 2*P(U1 <= min(U1, U2)); ``sound=True``:
    2*min(P(U1 <= u1), P(U1 >= u1)) capped at 1.
    """
    pooled = sorted(x + y)
    rank = {v: (pooled.index(v) + 1 + len(pooled) - pooled[::-1].index(v)) / 2 for v in pooled}
    ranks = [rank[v] for v in x + y]
    n1, n2 = len(x), len(y)
    u1 = sum(rank[v] for v in x) - n1 * (n1 + 1) / 2
    u_small = min(u1, n1 * n2 - u1)
    if u1 == n1 * n2 - u1 and not sound:
        return 1.0
    total = hits = low = high = 0
    for idx in itertools.combinations(range(n1 + n2), n1):
        u = sum(ranks[i] for i in idx) - n1 * (n1 + 1) / 2
        total += 1
        hits += u <= u_small
        low += u <= u1
        high += u >= u1
    if sound:
        return min(1.0, 2 * min(low, high) / total)
    return 2 * hits / total


def benchstat_quirk(x: list[float], y: list[float]) -> bool:
    """Two distinct values and min(U1, U2) below U1's support: benchstat's truncating division."""
    return len(set(x + y)) == 2 and brute_p(x, y) == 0.0


small = st.lists(st.integers(0, 4).map(float), min_size=1, max_size=6)


@settings(max_examples=120, deadline=None)
@given(small, small)
def test_exact_p_equals_enumeration(x: list[float], y: list[float]) -> None:
    res = mann_whitney(x, y)
    if len(set(x + y)) == 1:
        assert res.p == 1.0 and res.warnings == ("all samples are equal",)
    else:
        if not benchstat_quirk(x, y):
            assert math.isclose(res.p, brute_p(x, y), rel_tol=1e-12)
        assert math.isclose(sound_p(x, y), brute_p(x, y, sound=True), rel_tol=1e-12)
        assert res.p_sound is not None and (res.p_sound == res.p or res.p < 2 / math.comb(len(x + y), len(x)))
        if len(set(x + y)) == len(x + y):
            # Only without ties: benchstat's 2*CDF(min U) is not symmetric (and can exceed 1)
            # under ties, and we keep its definition.
            assert math.isclose(mann_whitney(y, x).p, res.p, rel_tol=1e-12)


def test_asymmetric_ties_artifact_is_not_significant_for_the_gate() -> None:
    # benchstat says p=0 here (min(U1, U2) lies below the support of U1); the sound p is not.
    res = mann_whitney([7.0] * 3, [5.0] * 5 + [6.0, 7.0])
    assert res.p == 0.0
    assert res.p_sound is not None and math.isclose(res.p_sound, 2 * 4 / 120)  # all three at the top: 4 of 120
    # ... and with two distinct values benchstat's Go integer division gives p > 1
    assert math.isclose(mann_whitney([1.0], [0.0] * 12 + [1.0] * 9).p, 24 / 22)


def test_median_r8() -> None:
    assert median([1.0, 2.0, 3.0]) == 2.0
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5
    assert math.isnan(median([]))


def test_summary_warnings_and_bounds() -> None:
    s = summarize([3.0, 1.0, 2.0])
    assert s.lo == -math.inf and s.hi == math.inf and s.pct_range() == "∞"
    assert s.warnings == ("need >= 6 samples for confidence interval at level 0.95",)
    s6 = summarize([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert (s6.lo, s6.hi) == (1.0, 6.0) and not s6.warnings
    assert min_samples_for_ci(0.95) == (">=", 6)
    assert min_samples_for_alpha(0.05) == (">=", 4) and min_samples_for_alpha(0.01) == (">=", 5)


def test_normal_approximation_region() -> None:
    x = [float(i) for i in range(60)]
    y = [i + 30.5 for i in range(60)]
    p = mann_whitney(x, y).p
    assert 0 < p < 1e-5
    assert mann_whitney(x, x[::-1]).p == 1.0
