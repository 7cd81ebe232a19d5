"""Heap plateau and goroutine drift verdicts on series shaped like real runs."""

from __future__ import annotations

import pytest

from pytest_goperf.gates import GateFailed
from pytest_goperf.gates.health import assert_goroutines_stable, assert_heap_plateau, judge_goroutines, judge_heap

TIMES = [float(t) for t in range(20)]
MIB = float(1 << 20)


def sawtooth(base: float, amplitude: float) -> list[float]:
    """A GC sawtooth: in-use climbs for 4 samples, then drops back."""
    return [base + amplitude * (i % 5) / 4 for i in range(len(TIMES))]


def test_sawtooth_heap_is_a_plateau() -> None:
    verdict = judge_heap(TIMES, sawtooth(8 * MIB, 2 * MIB), max_growth=0.05)
    assert verdict.passed, verdict.message
    assert "no significant growth" in verdict.message


def test_live_heap_after_gc_is_a_plateau() -> None:
    live = [8 * MIB + (i * 7919 % 13) * 1024 for i in range(len(TIMES))]
    verdict = judge_heap(TIMES, live, max_growth=0.05)
    assert verdict.passed, verdict.message
    assert abs(float(verdict.figures["growth_per_min"] or 0)) < 0.05


def test_leaking_heap_fails_with_slope_and_hint() -> None:
    leak = [v + i * 0.2 * MIB for i, v in enumerate(sawtooth(8 * MIB, 2 * MIB))]  # +12 MiB/min
    verdict = judge_heap(TIMES, leak, max_growth=0.05)
    assert not verdict.passed
    assert "heap keeps growing" in verdict.message and "go tool pprof -sample_index=inuse_space -diff_base" in verdict.message
    with pytest.raises(GateFailed, match="above max_growth 5.00%/min"):
        assert_heap_plateau(TIMES, leak, "5%/min")


def test_too_few_samples_is_a_visible_skip() -> None:
    verdict = judge_heap([0.0, 1.0], [1.0, 2.0], max_growth=0.05)
    assert verdict.skipped and "only 2 heap samples" in verdict.message


def test_steady_goroutines_pass_and_a_leak_or_spike_fails() -> None:
    steady = [20.0 + (i % 3) for i in range(20)]
    assert judge_goroutines(TIMES, steady, max_drift=0.10).passed
    leak = [20.0 + i for i in range(20)]
    verdict = judge_goroutines(TIMES, leak, max_drift=0.10)
    assert not verdict.passed and "drifts" in verdict.message
    spike = steady[:10] + [60.0] + steady[11:]
    with pytest.raises(GateFailed, match=r"farthest sample 60"):
        assert_goroutines_stable(TIMES, spike, "10%")
