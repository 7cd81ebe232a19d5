"""Trace gates on real statistics: verdicts, messages with stacks and the file to open."""

from __future__ import annotations

import pytest

from pytest_goperf.gates import GateFailed
from pytest_goperf.gates.trace import assert_sched_latency_below, assert_stw_below, judge_gc, judge_scheduler
from pytest_goperf.trace import TraceStats, analyze_file
from tests.trace.conftest import TRACES

PATH = str(TRACES / "go1.26-multigen.trace")


@pytest.fixture(scope="module")
def stats() -> TraceStats:
    return analyze_file(PATH)


def test_scheduler_passes_generous_and_fails_tight_thresholds(stats: TraceStats) -> None:
    s = stats.sched_latency
    assert s.p99 is not None and s.max is not None
    ok = judge_scheduler(stats, p99=s.p99 / 1e9 * 1.5, max=s.max / 1e9)
    assert ok.passed and ok.figures["sched_count"] == s.count
    bad = judge_scheduler(stats, p99=s.p99 / 1e9 / 2)
    assert not bad.passed
    assert "p99" in bad.message and "limit" in bad.message
    assert f"go tool trace {PATH}" in bad.message
    worst = s.worst[0]
    assert f"goroutine {worst.goroutine}" in bad.message
    assert worst.stack and worst.stack[0][0] in bad.message


def test_scheduler_trace_path_override(stats: TraceStats) -> None:
    bad = judge_scheduler(stats, p50=0.0, trace_path="artifacts/trace.out")
    assert not bad.passed
    assert "go tool trace artifacts/trace.out" in bad.message


def test_gc_gate(stats: TraceStats) -> None:
    g = stats.gc_stw
    assert g.count >= 2 and g.max is not None
    assert judge_gc(stats, max_stw=g.max / 1e9).passed
    bad = judge_gc(stats, max_stw=g.max / 1e9 / 2, p99_stw=1.0)
    assert not bad.passed
    assert "GC" in bad.message and f"go tool trace {PATH}" in bad.message
    assert bad.figures["gc_count"] == stats.gc_count
    assert "stopped at" in bad.message  # the worst pause's stack is shown


def test_helpers_parse_go_durations(stats: TraceStats) -> None:
    assert assert_sched_latency_below(stats, p99="10s").passed
    with pytest.raises(GateFailed, match="scheduler latency too high"):
        assert_sched_latency_below(stats, p50="1ns")
    assert assert_stw_below(stats, max="10s").passed
    with pytest.raises(GateFailed, match="GC stop-the-world"):
        assert_stw_below(stats, max="1ns")
    with pytest.raises(ValueError, match="p99"):
        assert_sched_latency_below(stats, p99="fast")


def test_empty_trace_is_skipped_not_passed(tmp_path: object) -> None:
    import io

    from pytest_goperf.trace import analyze_stream

    empty = analyze_stream(io.BytesIO(b"go 1.26 trace\x00\x00\x00"))
    assert judge_scheduler(empty, p99=1e-3).skipped
    assert judge_gc(empty, max_stw=1e-3).skipped


SLOW_STW = str(TRACES / "go1.26-slowstw.trace")


def test_gc_gate_names_the_goroutine_a_pause_waited_for() -> None:
    """The -slow-stw fault's trace: recurring long pauses, most waiting for main.copyForever to stop."""
    slow = analyze_file(SLOW_STW, keep=1000)
    bad = judge_gc(slow, max_stw=1e-3, trace_path=SLOW_STW)
    assert bad.failed and bad.figures["gc_stw_over_max"] == 25
    assert bad.figures["gc_stw_over_max_failing"] == _scipy_failing(112, 0.01) == 4
    assert "25 of 112 pauses over the max of 1ms" in bad.message and "recurring" in bad.message
    assert "for goroutine 20 to stop in main.copyForever" in bad.message
    assert "of the 25 pauses over the limit were mostly waiting for a goroutine to stop, in main.copyForever" \
        in bad.message
    # The same pauses on a window whose CPUs were stolen 33 % of the time (18 % steal on 2 CPUs): 25 of 112
    # (22 %) is what the machine explains, and the verdict says so; the sensitivity follows the rate.
    busy = judge_gc(slow, max_stw=1e-3, stall_share=0.33)
    assert busy.passed and "this window's CPU steal explains" in busy.message, busy.message
    assert busy.figures["gc_stw_over_max_failing"] == _scipy_failing(112, 0.33)


def _scipy_failing(n: int, rate: float) -> int:
    """The fewest of n events over a limit that scipy's binomial test calls more than ``rate`` (k >= 2)."""
    from scipy.stats import binomtest

    return next(k for k in range(2, n + 1) if binomtest(k, n, rate, alternative="greater").pvalue < 0.05)


def test_percentile_limits_tolerate_only_the_measured_stall_share(stats: TraceStats) -> None:
    s = stats.sched_latency
    assert s.p99 is not None and s.p90 is not None
    limit = (s.p90 + s.p99) / 2 / 1e9  # between 1 % and 10 % of waits over it
    over = s.count_over(limit * 1e9)
    assert over == sum(1 for v in _durations(stats) if v > limit * 1e9)
    quiet = judge_scheduler(stats, p99=limit)
    assert quiet.failed and quiet.figures["sched_over_p99"] == over
    assert judge_scheduler(stats, p99=limit, stall_share=0.5).passed
    assert judge_scheduler(stats, p99=limit, stall_share=0.0001).failed


def _durations(stats: TraceStats) -> list[int]:
    s = stats.sched_latency
    return [int(v) for v, c in zip(s.values, s.counts) for _ in range(int(c))]
