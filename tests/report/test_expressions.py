"""Threshold expressions and one-line headlines, built from real gates' threshold classes and verdicts."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from pytest_goperf.gates.cpu import CpuThreshold
from pytest_goperf.gates.health import (
    GoroutineThreshold,
    HeapThreshold,
    judge_goroutines,
    judge_heap,
)
from pytest_goperf.gates.registry import RUNTIME_GATES
from pytest_goperf.gates.spec import limit
from pytest_goperf.gates.trace import GcThreshold, SchedulerThreshold, judge_scheduler
from pytest_goperf.report import expressions
from pytest_goperf.trace import analyze_file
from tests.trace.conftest import TRACES


def test_every_registered_gate_has_an_expression_and_finds_its_measured_value() -> None:
    """A gate's default limits print, and each limit finds its figure (or the gate is in no registry)."""
    for gate in RUNTIME_GATES:
        threshold = gate.threshold()
        expr = expressions.expression(gate.key, threshold)
        limits = expressions.checks(gate.key, threshold, {})
        assert bool(expr) == bool(limits), gate.key
        assert all(c.measured is None for c in limits)


def test_scheduler_on_a_real_trace() -> None:
    stats = analyze_file(TRACES / "go1.26-multigen.trace")
    p99 = stats.sched_latency.p99
    assert p99 is not None
    limit_s = p99 / 1e9 / 2
    threshold = SchedulerThreshold(p99=limit_s)
    verdict = judge_scheduler(stats, p99=limit_s)
    assert verdict.failed
    (check,) = expressions.checks("scheduler", threshold, verdict.figures)
    assert check.measured == pytest.approx(p99 / 1e9) and check.broken
    line = expressions.headline("failed", "scheduler", threshold, verdict.figures, verdict.message)
    assert line.startswith("p99 ") and " > " in line and line.endswith("(+100%)")
    assert expressions.expression("scheduler", threshold).startswith("p99 ≤ ")
    ok = judge_scheduler(stats, p99=p99 / 1e9 * 2)
    assert expressions.measured("scheduler", SchedulerThreshold(p99=p99 / 1e9 * 2), ok.figures).startswith("p99=")


def test_heap_and_goroutines_headlines() -> None:
    times = [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    heap = judge_heap(times, [100e6 * (1 + 0.02 * i) for i in range(6)], max_growth=0.01)
    assert heap.failed
    line = expressions.headline("failed", "heap", HeapThreshold(max_growth=0.01), heap.figures, heap.message)
    assert line.startswith("growth +") and line.endswith("%/min > 1%/min")
    drift = judge_goroutines(times, [100, 100, 100, 100, 100, 150], max_drift=0.1)
    assert drift.failed
    text = expressions.headline("failed", "goroutines", GoroutineThreshold(max_drift=0.1), drift.figures, drift.message)
    assert text == "drift 50.00% > 10% (sample +50 outside band ±10 = ±10.0% of the median)"
    # a passing sample beyond max_drift of the median but inside the in-flight allowance says why it passed
    calm = judge_goroutines(times, [100, 100, 100, 100, 100, 115], max_drift=0.1, connections=8)
    assert calm.passed
    assert expressions.measured("goroutines", GoroutineThreshold(max_drift=0.1), calm.figures) == \
        "drift=0.00% (sample +15 within band ±26 = ±10.0% of the median + 2×8 in-flight)"
    # the figure beside the limit is the excess over the in-flight allowance: beyond it, the verdict fails
    wide = judge_goroutines(times, [100, 100, 100, 100, 100, 127], max_drift=0.1, connections=8)
    assert wide.failed and wide.figures["drift"] == pytest.approx(0.11)
    assert expressions.headline("failed", "goroutines", GoroutineThreshold(max_drift=0.1), wide.figures,
                                wide.message).startswith("drift 11.00% > 10% (sample +27 outside band ±26")
    # a rise of 1.25 goroutines whose interval holds 0 is no trend: it adds nothing to the figure (it once
    # read "drift=125.00%" beside "≤ 10%": a count taken for a share)
    wobble = judge_goroutines(times, [11, 12, 11, 13, 11, 13], max_drift=0.1, connections=4)
    assert wobble.passed and wobble.figures["drift"] == 0.0 and wobble.figures["rise_over_window"] > 0


def test_unbroken_failure_and_skip_use_the_message_first_line() -> None:
    gc = GcThreshold(max_stw=1e-3, p99_stw=None)
    assert expressions.headline("failed", "gc", gc, {}, "\n  the reason\nmore") == "the reason"
    assert expressions.headline("skipped", "gc", gc, {"gc_stw_max_ns": 5e6}, "no trace") == "no trace"
    assert len(expressions.headline("failed", "gc", gc, {}, "x" * 500)) == expressions.HEADLINE_MAX


def test_a_new_gate_shows_up_by_naming_its_figure_like_its_field() -> None:
    @dataclass(frozen=True)
    class QueueThreshold:
        max_depth: int | None = limit("integer", 100, "queue length")
        min_throughput: float | None = limit("number", None, "jobs per second")
        mode: str = limit("string", "fifo", "not a limit")

    t = QueueThreshold(max_depth=100, min_throughput=50.0)
    assert expressions.expression("queue", t) == "depth ≤ 100, throughput ≥ 50"
    figures = {"depth": 130, "throughput": 20.0}
    assert expressions.measured("queue", t, figures) == "depth=130 throughput=20"
    assert expressions.headline("failed", "queue", t, figures, "msg") == "depth 130 > 100 (+30%); throughput 20 < 50 (-60%)"
    assert [f.name for f in dataclasses.fields(t)] == ["max_depth", "min_throughput", "mode"]


def test_a_minimum_shows_the_measured_count_not_the_configured_one() -> None:
    """The cpu verdict's figures echo min_samples; the summary shows the samples it had ("samples=20" was the limit)."""
    t = CpuThreshold(max_function_share=0.3, min_samples=20)
    figures = {"samples": 1042, "min_samples": 20, "hottest_flat_share": 0.1, "hottest_function": "main.f"}
    assert expressions.measured("cpu", t, figures) == "function share=10.00% (main.f) samples=1042"
    # a share decided over few samples fails on the share alone; too few to decide is the message's own line
    few = {**figures, "samples": 12, "hottest_flat_share": 0.9}
    assert expressions.headline("failed", "cpu", t, few, "cpu: ...") == "function share 90.00% > 30% (main.f)"
    assert expressions.headline("failed", "cpu", t, {**few, "hottest_flat_share": 0.3}, "too few CPU samples: 12") == \
        "too few CPU samples: 12"


def test_a_pass_over_the_limit_says_why_beside_the_figure() -> None:
    """prometheus/pushgateway under a load that keeps adding groups read "✓ gc stw ≤ 1ms stw=3.496ms" and
    "✓ heap growth ≤ 5%/min growth=+76.12%/min": a bare tick beside a figure over its limit.  The figure now
    carries the gate's reason: one slow pause in 266 is tolerated as isolated; a slope whose interval
    reaches below the limit is not significant growth."""
    from pytest_goperf.gates.trace import judge_gc

    stats = analyze_file(TRACES / "go1.26-slowstw.trace")
    longest, second = (iv.duration_ns for iv in stats.gc_stw.worst[:2])
    limit_s = (longest + second) / 2 / 1e9              # one pause over the limit
    gc = judge_gc(stats, max_stw=limit_s)
    assert gc.passed and "tolerated as isolated" in gc.figures["tolerated"]
    text = expressions.measured("gc", GcThreshold(max_stw=limit_s), gc.figures)
    assert text.startswith("stw=") and "(passed: 1 of " in text and "tolerated as isolated" in text
    assert "tolerated" not in judge_gc(stats, max_stw=longest / 1e9 * 2).figures     # nothing over: nothing to say

    # The pushgateway window (30 s, 1 s apart, no samples while the trace ran from 12 s to 19 s), in MiB.
    times = [float(t) for t in (*range(13), *range(19, 30))]
    mib = [7.125, 7.812, 8.5, 9.375, 11.484, 11.711, 13.617, 12.398, 14.602, 23.023, 15.125, 15.109, 16.023,
           19.828, 19.406, 19.539, 19.797, 19.125, 21.695, 21.672, 20.539, 22.656, 21.492, 21.156]
    heap = judge_heap(times, [m * 2**20 for m in mib], max_growth=0.05)
    assert heap.passed and heap.figures["growth_per_min"] > 0.05
    text = expressions.measured("heap", HeapThreshold(max_growth=0.05), heap.figures)
    assert text.startswith("growth=+") and "(passed: the slope's 95% CI reaches down to " in text
    steady = judge_heap(times, [10 * 2**20] * len(times), max_growth=0.05)
    assert "passed" not in expressions.measured("heap", HeapThreshold(max_growth=0.05), steady.figures)
