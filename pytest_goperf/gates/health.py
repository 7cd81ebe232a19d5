"""Heap plateau and goroutine drift gates over the window's sample series (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pytest_goperf.gates.spec import Evidence, RuntimeGate, limit
from pytest_goperf.gates.verdict import Verdict, enforce
from pytest_goperf.quantities import format_duration, parse_rate_per_minute, parse_share


@dataclass(frozen=True)
class HeapThreshold:
    max_growth: float = limit("rate_per_minute", 0.05, "growth of the live heap, relative to its median, per minute")


@dataclass(frozen=True)
class GoroutineThreshold:
    max_drift: float = limit("share", 0.10, "every sample within this share of the window's median")


def _mib(value: float) -> str:
    return f"{value / (1 << 20):.2f} MiB"


def judge_heap(times: Sequence[float], inuse_bytes: Sequence[float], *, max_growth: float,
               first_profile: str | None = None, last_profile: str | None = None) -> Verdict:
    """Fail when heap in-use grows faster than ``max_growth`` (fraction of the median per minute).

    The growth must also be real: the lower 95 % bound of the Theil-Sen slope
    must be above zero, so a GC sawtooth caught in a short window does not
    read as a leak.
    """
    from pytest_goperf.health.trend import MIN_SAMPLES, theil_sen

    if len(inuse_bytes) < MIN_SAMPLES:
        return Verdict.skip((
            f"heap: only {len(inuse_bytes)} heap samples in the window, need {MIN_SAMPLES}; "
            "lengthen load.duration or shorten load.sample_every (none are taken while the trace records)"))
    trend = theil_sen(times, inuse_bytes)
    growth = trend.relative_per_minute
    figures: dict[str, float | int | str | None] = {
        "growth_per_min": growth, "slope_bytes_per_s": trend.slope, "median_bytes": trend.median,
        "samples": trend.n, "window_s": trend.span, "max_growth_per_min": max_growth,
    }
    summary = (f"heap in-use grows {growth * 100:+.2f}%/min (Theil-Sen slope {_mib(trend.slope * 60)}/min, "
               f"95% CI [{_mib(trend.low * 60)}, {_mib(trend.high * 60)}]/min, median {_mib(trend.median)}, "
               f"{trend.n} samples over {format_duration(trend.span)})")
    if growth <= max_growth or trend.low <= 0:
        why = "" if growth <= max_growth else " (the slope's 95% CI includes 0: no significant growth)"
        return Verdict.ok(f"{summary}; threshold {max_growth * 100:.2f}%/min{why}", figures)
    hint = (f"\nWhat grew: go tool pprof -sample_index=inuse_space -diff_base {first_profile or '<first heap profile>'} "
            f"{last_profile or '<last heap profile>'}")
    return Verdict.fail(
        f"heap keeps growing under constant load: {summary}, above max_growth {max_growth * 100:.2f}%/min.{hint}", figures)


def judge_goroutines(times: Sequence[float], counts: Sequence[float], *, max_drift: float,
                     last_profile: str | None = None) -> Verdict:
    """Fail when any goroutine sample strays beyond ±max_drift of the median, or the count trends up."""
    from pytest_goperf.health.trend import MIN_SAMPLES, drift

    if len(counts) < MIN_SAMPLES:
        return Verdict.skip((
            f"goroutines: only {len(counts)} samples in the window, need {MIN_SAMPLES}; "
            "lengthen load.duration or shorten load.sample_every (none are taken while the trace records)"))
    d = drift(times, counts)
    figures: dict[str, float | int | str | None] = {
        "median": d.trend.median, "worst_deviation": d.worst_deviation, "rise_over_window": d.trend.rise_over_window,
        "samples": d.trend.n, "max_drift": max_drift,
    }
    summary = (f"goroutines: median {d.trend.median:g}, farthest sample {counts[d.worst_index]:g} at "
               f"{format_duration(times[d.worst_index] - times[0])} ({d.worst_deviation * 100:+.1f}%), trend "
               f"{d.trend.slope * 60:+.2f}/min ({d.trend.rise_over_window * 100:+.1f}% across the window)")
    if d.within(max_drift):
        return Verdict.ok(f"{summary}; allowed drift ±{max_drift * 100:.1f}%", figures)
    return Verdict.fail(
        f"goroutine count drifts under constant load: {summary}; allowed drift ±{max_drift * 100:.1f}%.\n"
        f"Where they wait: {last_profile or 'the last goroutine?debug=1 dump'} (goroutines grouped by stack)", figures)


def assert_heap_plateau(times: Sequence[float], inuse_bytes: Sequence[float], max_growth: str = "5%/min") -> Verdict:
    """Python helper: the same check and message as ``thresholds.heap``."""
    return enforce(judge_heap(times, inuse_bytes, max_growth=parse_rate_per_minute(max_growth)))


def assert_goroutines_stable(times: Sequence[float], counts: Sequence[float], max_drift: str = "10%") -> Verdict:
    """Python helper: the same check and message as ``thresholds.goroutines``."""
    return enforce(judge_goroutines(times, counts, max_drift=parse_share(max_drift)))


def _judge_heap_window(evidence: Evidence, threshold: HeapThreshold) -> Verdict:
    series = evidence.series()
    points = series.heap_points()
    profiles = [s.heap_profile for s in series.samples if s.heap_profile]
    folder = evidence.artifacts
    return judge_heap([t for t, _ in points], [v for _, v in points], max_growth=threshold.max_growth,
                      first_profile=str(folder / profiles[0]) if profiles else None,
                      last_profile=str(folder / profiles[-1]) if profiles else None)


def _judge_goroutines_window(evidence: Evidence, threshold: GoroutineThreshold) -> Verdict:
    series = evidence.series()
    points = series.goroutine_points()
    dumps = [s.goroutine_text for s in series.samples if s.goroutine_text]
    return judge_goroutines([t for t, _ in points], [v for _, v in points], max_drift=threshold.max_drift,
                            last_profile=str(evidence.artifacts / dumps[-1]) if dumps else None)


HEAP_GATE = RuntimeGate(key="heap", threshold=HeapThreshold, needs=frozenset({"heap"}), judge=_judge_heap_window,
                        summary="the live heap does not keep growing under constant load")
GOROUTINES_GATE = RuntimeGate(key="goroutines", threshold=GoroutineThreshold, needs=frozenset({"goroutines"}),
                              judge=_judge_goroutines_window,
                              summary="the goroutine count stays in a band and does not trend up under constant load")
