"""The gates' own Theil-Sen interval and binomial tail give scipy's figures.

The heap, goroutine and trace gates judge without importing scipy (1-2 s of
every run on this runner); these properties hold their arithmetic to
``scipy.stats.theilslopes`` (same floats) and ``scipy.stats.binom.sf`` /
``binomtest`` (the same failing counts), scipy being a dev dependency only.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys

import pytest
from scipy.stats import binom, binomtest, theilslopes

from pytest_goperf.gates.extremes import ALPHA, binomial_tail, failing_count
from pytest_goperf.health.trend import blocks_at_gaps, theil_sen


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("seed", range(4))
def test_theil_sen_matches_scipy_float_for_float(seed: int) -> None:
    rnd = random.Random(seed)
    checked = 0
    while checked < 400:
        n = rnd.randint(3, 90)
        digits = rnd.choice([0, 1, 3])   # coarse times and small counts make ties in both series
        times = [round(rnd.uniform(0, 30), digits) for _ in range(n)]
        if len(set(times)) < 2:
            continue
        values = [rnd.choice([float(rnd.randint(0, 4)), rnd.gauss(4e7, 1e6), 3e7 + 1e5 * t]) for t in times]
        ours = theil_sen(times, values)
        ref = theilslopes(values, times, alpha=0.95)
        got, want = (ours.slope, ours.low, ours.high), (ref.slope, ref.low_slope, ref.high_slope)
        assert all(_same(g, float(w)) for g, w in zip(got, want)), (times, values, got, want)
        one = theil_sen(times, values, [3] * n)   # one block is the plain estimator
        assert all(_same(g, w) for g, w in zip((one.slope, one.low, one.high), got))
        checked += 1


@pytest.mark.parametrize("seed", range(2))
def test_blocked_theil_sen_pools_blocks_as_scipy_figures_each(seed: int) -> None:
    """Pairs only within a block, variances summed: a block beside singletons gives scipy's figures for it, and a
    level shift of a whole block changes nothing (the heap gate splits at the trace's pause in sampling)."""
    rnd = random.Random(seed)
    for _ in range(200):
        n = rnd.randint(4, 40)
        times = sorted(rnd.sample(range(200), n))
        values = [float(rnd.randint(0, 50) + rnd.choice([0, 3]) * t) for t in times]
        cut = rnd.randint(2, n - 1)
        # samples after the cut each alone: they add no pair and no variance
        ours = theil_sen(times, values, [0] * cut + list(range(1, n - cut + 1)))
        ref = theilslopes(values[:cut], times[:cut], alpha=0.95) if len(set(times[:cut])) > 1 else None
        if ref is not None:
            want = (ref.slope, ref.low_slope, ref.high_slope)
            assert all(_same(g, float(w)) for g, w in zip((ours.slope, ours.low, ours.high), want))
        blocks = [0] * cut + [1] * (n - cut)
        shifted = [v + (10_000.0 if b else 0.0) for v, b in zip(values, blocks)]
        a, b = theil_sen(times, values, blocks), theil_sen(times, shifted, blocks)
        assert (a.slope, a.low, a.high) == (b.slope, b.low, b.high) or math.isnan(a.low)


def test_blocks_start_after_pauses_in_sampling() -> None:
    assert blocks_at_gaps([0, 0.4, 0.8, 1.2, 3.6, 4.0, 4.4, 9.0, 9.4]) == [0, 0, 0, 0, 1, 1, 1, 2, 2]
    assert blocks_at_gaps([0, 1, 2, 3.9, 5]) == [0] * 5     # a late sample is not a pause
    assert blocks_at_gaps([5.0]) == [0]


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")   # scipy's, not ours
def test_theil_sen_interval_is_nan_where_ties_leave_no_variance() -> None:
    times, values = [0.0, 0.0, 0.0, 1.0], [5.0, 5.0, 5.0, 5.0]
    ref = theilslopes(values, times, alpha=0.95)
    ours = theil_sen(times, values)
    assert math.isnan(ref.low_slope) and math.isnan(ours.low) and math.isnan(ours.high)


def test_binomial_tail_matches_scipy() -> None:
    rnd = random.Random(7)
    for _ in range(5000):
        n = rnd.choice([1, 2, 8, 120, 1000, 100_000, rnd.randint(1, 4000)])
        p = rnd.choice([0.01, 0.098, 0.33, 0.999, rnd.random()])
        k = rnd.randint(-1, n + 1)
        want = float(binom.sf(k - 1, n, p))
        got = binomial_tail(k, n, p)
        assert abs(got - want) <= 1e-9 * want + 1e-300, (k, n, p, got, want)
    assert binomial_tail(0, 5, 0.0) == 1.0 and binomial_tail(1, 5, 0.0) == 0.0 and binomial_tail(5, 5, 1.0) == 1.0


def test_failing_count_matches_scipys_binomial_test() -> None:
    """The sensitivity each max/percentile verdict reports: the fewest events over the limit that fail."""
    rnd = random.Random(11)
    for _ in range(300):
        n = rnd.choice([0, 1, 2, 3, 8, 45, 120, rnd.randint(1, 3000)])
        rate = rnd.choice([0.01, 0.098, 0.33, rnd.uniform(0.001, 0.9)])
        k = 2
        while k <= n and binomtest(k, n, rate, alternative="greater").pvalue >= ALPHA:
            k += 1
        assert failing_count(n, rate) == k, (n, rate)


def test_no_module_of_the_plugin_imports_scipy() -> None:
    """scipy is not even installed for users: importing every module must not need it."""
    code = ("import importlib, pkgutil, sys, pytest_goperf\n"
            "for m in pkgutil.walk_packages(pytest_goperf.__path__, 'pytest_goperf.'):\n"
            "    if m.name != 'pytest_goperf.__main__': importlib.import_module(m.name)\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] == 'scipy'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
