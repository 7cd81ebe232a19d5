"""Heap plateau and goroutine drift verdicts on series shaped like real runs."""

from __future__ import annotations

import statistics

import pytest

from pytest_goperf.gates import GateFailed
from pytest_goperf.health.trend import theil_sen
from pytest_goperf.gates.health import (
    GoroutineEvidence,
    assert_goroutines_stable,
    assert_heap_plateau,
    judge_goroutines,
    judge_heap,
)

TIMES = [float(t) for t in range(20)]
MIB = float(1 << 20)


def sawtooth(base: float, amplitude: float) -> list[float]:
    """A GC sawtooth: in-use climbs for 4 samples, then drops back."""
    return [base + amplitude * (i % 5) / 4 for i in range(len(TIMES))]


def test_sawtooth_heap_is_a_plateau() -> None:
    verdict = judge_heap(TIMES, sawtooth(8 * MIB, 2 * MIB), max_growth=0.05)
    assert verdict.passed, verdict.message
    assert "not significantly above the limit" in verdict.message or verdict.figures["growth_per_min"] <= 0.05


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


def test_a_cache_that_fills_then_stays_flat_is_a_plateau() -> None:
    # The story: 53 -> 201 MiB in the first 6 s, then flat for 8 s (one sample a second).
    times = [float(t) for t in range(15)]
    heap = [(53 + min(t, 6) * (201 - 53) / 6) * MIB + (t * 7919 % 5) * 4096 for t in range(15)]
    verdict = judge_heap(times, heap, max_growth=0.05)
    assert verdict.passed, verdict.message
    assert verdict.figures["plateau_from_s"] == 6.0 and "warm-up, not judged" in verdict.message


@pytest.mark.parametrize("per_minute", [0.06, 0.2, 1.0, 10.0])
def test_a_leak_at_any_constant_rate_fails(per_minute: float) -> None:
    base = 100 * MIB
    times = [float(t) for t in range(30)]
    leak = [base * (1 + per_minute * t / 60) + (t * 7919 % 7) * 1024 for t in times]
    verdict = judge_heap(times, leak, max_growth=0.05)
    assert verdict.failed, verdict.message
    assert int(verdict.figures["judged_samples"] or 0) >= 15  # never less than the later half


def test_failed_samples_fail_instead_of_too_few() -> None:
    err = "sample 000 heap: GET http://h:1/debug/pprof/heap?gc=1&debug=1 -> HTTP 404: 404 page not found."
    verdict = judge_heap([], [], max_growth=0.05, errors=[err, err])
    assert verdict.failed and "2 of the window's samples failed, 0 succeeded" in verdict.message
    assert "HTTP 404" in verdict.message and "(and 1 more failures)" in verdict.message
    verdict = judge_goroutines([0.0], [10.0], max_drift=0.1, errors=[err])
    assert verdict.failed and "HTTP 404" in verdict.message


def test_goroutine_band_allows_the_loads_in_flight_goroutines() -> None:
    # The story: ~15 goroutines, 8 connections, samples 15..18 with in-flight requests.
    counts = [15.0, 15.0, 18.0, 15.0, 16.0, 15.0, 17.0, 15.0, 15.0, 16.0, 15.0, 18.0]
    times = [float(t) for t in range(12)]
    assert judge_goroutines(times, counts, max_drift=0.10).failed  # the old band: ±1.5
    verdict = judge_goroutines(times, counts, max_drift=0.10, connections=8)
    assert verdict.passed, verdict.message
    assert verdict.figures["band"] == pytest.approx(0.1 * 15 + 16)  # median 15


def test_goroutine_leak_of_one_per_request_fails_with_the_grown_stacks() -> None:
    # 100 req/s, 10 s, one goroutine parked per request, 8 connections.
    times = [float(t) for t in range(10)]
    counts = [20.0 + 100 * t for t in range(10)]

    def dump(n: int) -> str:
        return (f"goroutine profile: total {n + 12}\n"
                f"{n} @ 0x43a1 0x4081 0x6f2a1 0x471\n"
                "#\t0x43a0\truntime.gopark+0xce\t/go/src/runtime/proc.go:435\n"
                "#\t0x4080\truntime.chansend1+0x1d\t/go/src/runtime/chan.go:161\n"
                "#\t0x6f2a0\tmain.handleLeak.func1+0x2f\t/svc/leak.go:42\n\n"
                "12 @ 0x43a1 0x4081\n"
                "#\t0x43a0\truntime.gopark+0xce\t/go/src/runtime/proc.go:435\n"
                "#\t0x4081\tnet/http.(*conn).serve+0x1\t/go/src/net/http/server.go:2100\n\n")

    ev = GoroutineEvidence(first_dump=dump(8), last_dump=dump(908), first_name="goroutine-000.txt",
                           last_name="goroutine-009.txt")
    verdict = judge_goroutines(times, counts, max_drift=0.10, connections=8, evidence=ev)
    assert verdict.failed and "rises" in verdict.message
    assert "8 -> 908 goroutines (+900)" in verdict.message
    assert "main.handleLeak.func1  /svc/leak.go:42" in verdict.message
    assert "net/http.(*conn).serve" not in verdict.message  # did not grow
    # max: an absolute ceiling, even when the band holds.
    flat = [30.0] * 10
    assert judge_goroutines(times, flat, max_drift=0.10, max_count=25).failed


def test_goroutine_leak_profile_is_named() -> None:
    from pytest_goperf.health.goroutines import describe_leaks, parse_dump

    text = ("goroutineleak profile: total 3\n3 @ 0x1 0x2\n"
            "#\t0x1\truntime.gopark+0x1\t/go/src/runtime/proc.go:435\n"
            "#\t0x2\tmain.leak.func1+0x2\t/svc/main.go:7\n")
    d = parse_dump(text)
    assert d.kind == "goroutineleak" and d.total == 3
    assert "3 goroutines blocked forever" in describe_leaks(d, "goroutineleak.txt")
    assert "main.leak.func1  /svc/main.go:7" in describe_leaks(d, "goroutineleak.txt")


def test_a_level_shift_across_the_trace_is_not_growth() -> None:
    """A healthy example window (the Python example's, 12 s, 2 cores) failed: its heap settled 10-30 KiB higher after
    the trace (no samples from 5.2 s to 7.6 s), and one Theil-Sen line through both sides read +8 %/min with an
    interval just above 5 %/min.  Slopes within each side see no growth; a leak of 8 MiB/min on top (1.2 MiB across
    the judged 9 s, above one heap profile sample) still fails.
    """
    times = [0.0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8, 3.2, 3.6, 4.0, 4.4, 4.8, 5.2, 7.6, 8.0, 8.4, 8.8, 9.2, 9.6,
             10.0, 10.4, 10.8, 11.2, 11.6]
    heap = [1620816, 1646128, 1505744, 1640408, 1641144, 1573072, 1642584, 1644040, 1650432, 1646536, 1644792,
            1646824, 1649128, 1646696, 1654760, 1654920, 1659856, 1655160, 1652312, 1657032, 1678048, 1675072,
            1670368, 1665816, 1532464]
    assert theil_sen(times[6:], heap[6:]).low * 60 / statistics.median(heap[6:]) > 0.05  # what the gate judged
    verdict = judge_heap(times, heap, max_growth=0.05)
    assert verdict.passed and verdict.figures["stretches"] == 2, verdict.message
    assert "2 stretches between pauses in sampling, the weaker reading" in verdict.message
    # With the heap profile resolving every byte (runtime.MemProfileRate = 1) only the reading passes it.
    assert judge_heap(times, heap, max_growth=0.05, resolution_bytes=1).passed
    assert judge_heap(times, [v + t / 60 * 8 * MIB for t, v in zip(times, heap)], max_growth=0.05).failed


def test_a_young_process_settling_below_one_heap_profile_sample_is_not_a_leak() -> None:
    """The Python example's 12 s window, 2 s after start: its heap crept 44 KiB, steadily on both sides of the trace.

    +15.7 %/min with an interval of [+6.9, +25] %/min, and above its 28 KiB wander: only the heap profile's sampling
    period (512 KiB) tells this settling from a leak, and says how long a segment would show one at this slope.
    """
    times = [0.0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8, 3.2, 3.6, 4.0, 4.4, 4.8, 5.2, 7.6, 8.0, 8.4, 8.8, 9.2, 9.6,
             10.0, 10.4, 10.8, 11.2, 11.6]
    mib = [1.421, 1.558, 1.558, 1.568, 1.576, 1.568, 1.571, 1.575, 1.576, 1.575, 1.573, 1.573, 1.576, 1.576, 1.582,
           1.574, 1.577, 1.583, 1.751, 1.595, 1.596, 1.602, 1.602, 1.604, 1.602]
    heap = [m * MIB for m in mib]
    verdict = judge_heap(times, heap, max_growth=0.05)
    assert verdict.passed and "less than one heap profile sample (0.50 MiB" in verdict.message, verdict.message
    assert "a leak needs a segment of " in verdict.message
    assert verdict.figures["growth_low_per_min"] > 0.05 and verdict.figures["rise_bytes"] > verdict.figures["wander_bytes"]
    assert judge_heap(times, heap, max_growth=0.05, resolution_bytes=1).failed   # runtime.MemProfileRate = 1


def test_two_requests_in_flight_do_not_hide_a_pool_that_keeps_its_buffers() -> None:
    """The -pool-oversize fault's window in the fault-switch test (12 s, 2 connections): 3 MiB to 27 MiB.

    Two samples caught requests in flight at 25.6 and 27.2 MiB; with one outlier each way left out, the 9.3 MiB
    wander hid the 9.1 MiB rise and the leak passed.  A tenth each way (two of 12) leaves both out.
    """
    times = [0.0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8, 3.2, 3.6, 4.0, 4.4, 4.8, 8.0, 8.4, 8.8, 9.2, 9.6, 10.0, 10.4,
             10.8, 11.2, 11.6]
    mib = [3.2, 3.4, 3.92, 4.43, 4.93, 5.45, 5.9, 6.41, 6.92, 7.41, 7.97, 12.57, 9.03, 12.86, 13.54, 13.92, 17.11,
           15.16, 15.3, 16.0, 25.62, 16.72, 27.17]
    verdict = judge_heap(times, [m * MIB for m in mib], max_growth=0.05)
    assert verdict.failed, verdict.message
    assert verdict.figures["wander_bytes"] < verdict.figures["rise_bytes"] / 2


def test_in_flight_wander_on_a_small_heap_is_not_a_leak() -> None:
    # A real example window (1.6 MiB live heap, 400-item requests in flight) whose last samples ran high:
    # +55 %/min with a 95 % interval above 5 %/min, but a 0.25 MiB rise inside 0.42 MiB of wander.
    times = [float(t) for t in (*range(13), *range(19, 30))]
    mib = [1.581, 1.666, 1.569, 2.018, 1.736, 1.508, 1.51, 1.582, 1.58, 1.586, 1.613, 1.581, 1.578, 1.844, 1.596,
           1.603, 1.596, 1.603, 1.596, 1.645, 2.05, 1.696, 1.751, 1.924]
    verdict = judge_heap(times, [m * MIB for m in mib], max_growth=0.05)
    # With the slopes taken on each side of the trace's pause (12 s to 19 s) the interval reaches 0 already.
    assert verdict.passed and "not significantly above the limit" in verdict.message, verdict.message
    # Read as one stretch (no pause), the interval clears 5 %/min and the wander rule passes it, with no floor.
    joined = [float(t) for t in range(len(mib))]
    verdict = judge_heap(joined, [m * MIB for m in mib], max_growth=0.05, resolution_bytes=1)
    assert verdict.passed and "wanders around its trend" in verdict.message, verdict.message
    # The same window with a leak of 4 MiB/min on top fails, read either way.
    for ts in (times, joined):
        assert judge_heap(ts, [m * MIB + t / 60 * MIB * 4 for t, m in zip(ts, mib)], max_growth=0.05).failed
