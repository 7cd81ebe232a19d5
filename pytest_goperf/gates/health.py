"""Heap plateau and goroutine band gates over the window's sample series (pure).

Heap: the guide's criterion is "a curve that plateaus".  A change-point fit
(``health.trend.plateau_start``: a growth line, then a flat segment) finds
where the plateau begins, and the Theil-Sen trend is judged on that last
segment only, never shorter than the later half of the window.  A cache that
fills and then stays flat passes; a leak at a constant rate grows in every
half and fails.

Goroutines: goroutines serving requests come and go with the load, so the
band around the median is ``max_drift`` of the median *plus the in-flight
allowance*: two goroutines per load connection (the connection's serving
goroutine and its background reader).  A leak is judged by the trend: the
Theil-Sen line may not rise more than ``max_drift`` of the median plus one
goroutine per connection across the window, with its 95 % interval above
zero.  ``max`` is an absolute ceiling on every sample.

A sample that failed (wrong URL, 404, refused) fails the gate with the
capture's error; "too few samples" is said only when the samples that were
taken succeeded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.errors import GoperfError
from pytest_goperf.gates.spec import Evidence, RuntimeGate, limit
from pytest_goperf.gates.verdict import Verdict, enforce
from pytest_goperf.quantities import format_duration, parse_rate_per_minute, parse_share

# Goroutines one load connection may add while its request is in flight (server side of HTTP/1.1).
PER_CONNECTION = 2
# runtime.MemProfileRate's default: the heap profile records one sample per 512 KiB allocated, on average.
MEM_PROFILE_RATE = 512 * 1024


@dataclass(frozen=True)
class HeapThreshold:
    max_growth: float = limit("rate_per_minute", 0.05,
                              "growth of the live heap over the plateau (the window's later part), per minute")


@dataclass(frozen=True)
class GoroutineThreshold:
    max_drift: float = limit("share", 0.10,
                             "every sample within this share of the median, plus 2 per load connection in flight")
    max: int | None = limit("integer", None, "an absolute ceiling on every goroutine sample")

    def problems(self) -> list[tuple[str, str]]:
        if self.max is not None and self.max < 1:
            return [("max", f"must be at least 1, got {self.max}")]
        return []


def _mib(value: float) -> str:
    return f"{value / (1 << 20):.2f} MiB"


def _few_or_failed(what: str, n: int, need: int, errors: Sequence[str]) -> Verdict:
    """Failed samples fail the gate with their error; few good samples are a skip."""
    if errors:
        more = f" (and {len(errors) - 1} more failures)" if len(errors) > 1 else ""
        return Verdict.fail(f"{what}: {len(errors)} of the window's samples failed, {n} succeeded (need {need}): "
                            f"{errors[0]}{more}", {"samples": n, "failed_samples": len(errors)})
    return Verdict.skip(f"{what}: only {n} {what} samples in the window, need {need}; lengthen load.duration or "
                        "shorten load.sample_every (none are taken while the trace records, nor for 1 s after it)",
                        {"samples": n})


def judge_heap(times: Sequence[float], inuse_bytes: Sequence[float], *, max_growth: float,
               errors: Sequence[str] = (), first_profile: str | None = None,
               last_profile: str | None = None, resolution_bytes: float = MEM_PROFILE_RATE) -> Verdict:
    """Fail when the live heap's plateau grows faster than ``max_growth`` (fraction of its median per minute).

    It fails only when all three hold (docs/load.md, "heap"):

    - the lower bound of the Theil-Sen slope's 95 % interval is above the limit;
      where sampling paused for the trace, the slope is also taken within each
      stretch (trend.blocks_at_gaps) and the weaker reading is judged, since the
      heap can settle at another level across the trace;
    - the rise across the judged segment is larger than the heap's wander around
      its trend (``_wander``): requests in flight and pooled buffers move a
      1.6 MiB heap by 0.5 MiB between samples, which is not a leak;
    - the rise reaches ``resolution_bytes``, one heap profile sample
      (``runtime.MemProfileRate``, 512 KiB by default): a young healthy process
      settled by up to 44 KiB in a 12 s window, significantly, and no heap
      profile can show what grew below one sample.  The example's leaks rise
      5.5-7.4 MiB in the same window.
    """
    from pytest_goperf.health.trend import MIN_TREND_SAMPLES, blocks_at_gaps, plateau_start, theil_sen

    if len(inuse_bytes) < MIN_TREND_SAMPLES:
        return _few_or_failed("heap", len(inuse_bytes), MIN_TREND_SAMPLES, errors)
    k = plateau_start(times, inuse_bytes)
    trend, stretches = theil_sen(times[k:], inuse_bytes[k:]), 1
    blocks = blocks_at_gaps(times[k:])
    if len(set(blocks)) > 1:
        # Read within each stretch too, and judge the reading with the weaker evidence of growth.
        try:
            within = theil_sen(times[k:], inuse_bytes[k:], blocks)
        except ValueError:  # no stretch holds two samples
            within = trend
        if within.low < trend.low:
            trend, stretches = within, len(set(blocks))
    growth = trend.relative_per_minute
    figures: dict[str, float | int | str | None] = {
        "growth_per_min": growth, "slope_bytes_per_s": trend.slope, "median_bytes": trend.median,
        "samples": len(inuse_bytes), "judged_samples": trend.n, "plateau_from_s": times[k] - times[0],
        "window_s": times[-1] - times[0], "max_growth_per_min": max_growth, "stretches": stretches,
    }
    before = (f"; before it the heap went from {_mib(inuse_bytes[0])} to {_mib(inuse_bytes[k])} "
              f"(warm-up, not judged)" if k else "")
    summary = (f"heap in-use grows {growth * 100:+.2f}%/min from +{format_duration(times[k] - times[0])} to the "
               f"end (Theil-Sen slope {_mib(trend.slope * 60)}/min, 95% CI [{_mib(trend.low * 60)}, "
               f"{_mib(trend.high * 60)}]/min, median {_mib(trend.median)}, {trend.n} of {len(inuse_bytes)} samples"
               f"{_stretches(stretches)}{before})")
    low = trend.low * 60 / trend.median if trend.median else 0.0
    seg_t, seg_v = times[k:], inuse_bytes[k:]
    span = seg_t[-1] - seg_t[0]
    rise = trend.slope * span
    wander = _wander(seg_t, seg_v, trend.slope)
    figures.update(growth_low_per_min=low, rise_bytes=rise, wander_bytes=wander, resolution_bytes=resolution_bytes)
    if low <= max_growth or rise <= wander or rise < resolution_bytes:
        why = ""
        if growth > max_growth and low <= max_growth:
            why = f" (the slope's 95% CI reaches down to {low * 100:+.2f}%/min: not significantly above the limit)"
        elif growth > max_growth and rise <= wander:
            why = (f" (it rises {_mib(rise)} across the segment, within the {_mib(wander)} the heap wanders around "
                   "its trend: in-flight requests, not a leak this window can see)")
        elif growth > max_growth:
            need = resolution_bytes / trend.slope if trend.slope > 0 else float("inf")
            why = (f" (it rises {_mib(rise)} across the segment, less than one heap profile sample "
                   f"({_mib(resolution_bytes)}, runtime.MemProfileRate): the settling of a young process, or a leak "
                   f"this window is too short to show; at this slope a leak needs a segment of "
                   f"{format_duration(need)}, this one is {format_duration(span)})")
        if why:  # the summary line shows growth above the limit beside a pass: say why it passed
            figures["tolerated"] = why.strip(" ()").replace("it rises", "rises", 1)
        return Verdict.ok(f"{summary}; threshold {max_growth * 100:.2f}%/min{why}", figures)
    hint = (f"\nWhat grew: go tool pprof -sample_index=inuse_space -diff_base {first_profile or '<first heap profile>'} "
            f"{last_profile or '<last heap profile>'}")
    return Verdict.fail(
        f"heap keeps growing under constant load: {summary}, above max_growth {max_growth * 100:.2f}%/min.{hint}", figures)


def _stretches(n: int) -> str:
    if n < 2:
        return ""
    return (f", slopes within each of the {n} stretches between pauses in sampling, the weaker reading (the trace "
            "records in a pause; a level shift across it is not growth)")


def _wander(times: Sequence[float], values: Sequence[float], slope: float) -> float:
    """How far the heap strays around its trend line: the range of the residuals (bytes).

    From 8 residuals on, a tenth of them each way (at least one) is left out:
    bursts in the last samples must not widen the wander enough to hide a
    leak.  With one left out, two requests in flight at 25 and 27 MiB hid the
    9.1 MiB rise of the example's -pool-oversize fault in 1 of 9 windows.
    """
    detrended = sorted(v - slope * t for t, v in zip(times, values))
    if len(detrended) >= 8:
        cut = max(1, math.ceil(len(detrended) / 10))
        detrended = detrended[cut:-cut]
    return detrended[-1] - detrended[0]


@dataclass(frozen=True)
class GoroutineEvidence:
    """What the goroutine verdict shows beyond counts: the dumps behind them, a leak profile."""

    first_dump: str | None = None       # goroutine?debug=1 text of the first and last sample
    last_dump: str | None = None
    first_name: str = "the first goroutine dump"
    last_name: str = "the last goroutine dump"
    leak_profile: str | None = None     # goroutineleak?debug=1 text, where the toolchain has one
    leak_name: str = "goroutineleak.txt"


def _stacks_text(ev: GoroutineEvidence) -> str:
    from pytest_goperf.health.goroutines import (
        describe_growth,
        describe_leaks,
        grown_stacks,
        parse_dump,
    )

    parts = []
    if ev.first_dump is not None and ev.last_dump is not None:
        grown = grown_stacks(parse_dump(ev.first_dump), parse_dump(ev.last_dump))
        parts.append(describe_growth(grown, ev.first_name, ev.last_name))
    if ev.leak_profile is not None:
        parts.append(describe_leaks(parse_dump(ev.leak_profile), ev.leak_name))
    return "\n".join(parts)


def judge_goroutines(times: Sequence[float], counts: Sequence[float], *, max_drift: float,
                     max_count: int | None = None, connections: int = 0, errors: Sequence[str] = (),
                     evidence: GoroutineEvidence | None = None) -> Verdict:
    """Fail on a sample outside the band, above ``max_count``, or a rising trend (see the module doc)."""
    from pytest_goperf.health.trend import MIN_TREND_SAMPLES, drift

    if len(counts) < MIN_TREND_SAMPLES:
        return _few_or_failed("goroutines", len(counts), MIN_TREND_SAMPLES, errors)
    d = drift(times, counts)
    med = d.trend.median
    band = max_drift * med + PER_CONNECTION * connections
    trend_limit = max_drift * med + connections
    worst = counts[d.worst_index]
    rise = d.trend.slope * d.trend.span
    # What max_drift is compared with: the sample's or the trend's excess over the in-flight allowance, as a
    # share of the median (a +1 at median 11 with 4 connections is 0 %, not 9.09 %: 8 in flight are allowed).
    rising = d.trend.low > 0
    excess = max(abs(worst - med) - PER_CONNECTION * connections, (rise - connections) if rising else 0.0, 0.0)
    figures: dict[str, float | int | str | None] = {
        "drift": excess / med if med > 0 else None,
        "median": med, "worst_sample": worst, "worst_deviation": d.worst_deviation, "band": band,
        "rise_over_window": rise, "trend_limit": trend_limit, "samples": d.trend.n, "max_drift": max_drift,
        "connections": connections, "max": max_count, "peak": max(counts),
    }
    allowance = (f"±{max_drift * 100:.1f}% of the median + {PER_CONNECTION}×{connections} in-flight"
                 if connections else f"±{max_drift * 100:.1f}% of the median")
    figures["band_note"] = f"sample {worst - med:+g} within band ±{band:g} = {allowance}" if abs(worst - med) <= band \
        else f"sample {worst - med:+g} outside band ±{band:g} = {allowance}"
    summary = (f"goroutines: median {med:g}, farthest sample {worst:g} at "
               f"+{format_duration(times[d.worst_index] - times[0])} ({worst - med:+g}; band ±{band:g} = {allowance}), "
               f"trend {d.trend.slope * 60:+.2f}/min (rises {rise:+.1f} across the window, limit {trend_limit:g})")
    broken = []
    if abs(worst - med) > band:
        broken.append(f"sample {worst:g} is outside the band {med:g} ±{band:g}")
    if rise > trend_limit and rising:
        broken.append(f"the count rises {rise:+.1f} across the window (95% CI of the slope above 0)")
    if max_count is not None and max(counts) > max_count:
        broken.append(f"peak {max(counts):g} is above max {max_count}")
    if not broken:
        return Verdict.ok(summary, figures)
    detail = _stacks_text(evidence) if evidence is not None else ""
    return Verdict.fail(
        f"goroutine count drifts under constant load: {'; '.join(broken)}.\n{summary}"
        + (f"\n{detail}" if detail else ""), figures)


class WindowSeries:
    """``capture.heap`` / ``capture.goroutines``: one load window's samples, with what the YAML gate shows beside them.

    ``.times`` (seconds into the window) and ``.values`` (in-use heap bytes,
    or goroutines) are the points; the helpers judge it with the window's
    heap profiles, goroutine dumps and load connections, as the YAML gate does.
    """

    def __init__(self, kind: str, evidence: Evidence) -> None:
        self.kind = kind
        self.evidence = evidence

    def _points(self) -> list[tuple[float, float]]:
        series = self.evidence.series()
        points = series.heap_points() if self.kind == "heap" else series.goroutine_points()
        return [(t, float(v)) for t, v in points]

    @property
    def times(self) -> list[float]:
        return [t for t, _ in self._points()]

    @property
    def values(self) -> list[float]:
        return [v for _, v in self._points()]

    def __repr__(self) -> str:
        try:
            points = self._points()
        except GoperfError as exc:  # a failed capture: say so instead of failing in repr
            return f"WindowSeries({self.kind}: no samples: {exc})"
        shown = (f"{_mib(v)}" if self.kind == "heap" else f"{v:.0f}" for _, v in points)
        return (f"WindowSeries({self.kind}, {len(points)} samples in {self.evidence.artifacts / 'series.json'}: "
                f"{', '.join(shown)})")


def assert_heap_plateau(times: Sequence[float] | WindowSeries, inuse_bytes: Sequence[float] | str | None = None,
                        max_growth: str = "5%/min") -> Verdict:
    """Python helper: the same check and message as ``thresholds.heap``.

    ``assert_heap_plateau(capture.heap, max_growth="5%/min")``, or with your own
    points ``assert_heap_plateau([0, 1, 2, ...], [bytes, ...], "5%/min")``.
    """
    if isinstance(times, WindowSeries):
        growth = inuse_bytes if isinstance(inuse_bytes, str) else max_growth
        threshold = HeapThreshold(max_growth=parse_rate_per_minute(growth))
        return enforce(_judge_heap_window(times.evidence, threshold))
    if inuse_bytes is None or isinstance(inuse_bytes, str):
        raise TypeError("assert_heap_plateau: give a capture's .heap, or both times and inuse_bytes")
    return enforce(judge_heap(times, inuse_bytes, max_growth=parse_rate_per_minute(max_growth)))


def assert_goroutines_stable(times: Sequence[float] | WindowSeries, counts: Sequence[float] | str | None = None,
                             max_drift: str = "10%", *, connections: int = 0, max_count: int | None = None) -> Verdict:
    """Python helper: the same check and message as ``thresholds.goroutines``.

    ``assert_goroutines_stable(capture.goroutines, max_drift="10%")`` (the
    load's connections and the window's goroutine dumps come with it), or
    ``assert_goroutines_stable(times, counts, "10%", connections=8)``.
    """
    if isinstance(times, WindowSeries):
        drift = counts if isinstance(counts, str) else max_drift
        threshold = GoroutineThreshold(max_drift=parse_share(drift), max=max_count)
        return enforce(_judge_goroutines_window(times.evidence, threshold))
    if counts is None or isinstance(counts, str):
        raise TypeError("assert_goroutines_stable: give a capture's .goroutines, or both times and counts")
    return enforce(judge_goroutines(times, counts, max_drift=parse_share(max_drift), max_count=max_count,
                                    connections=connections))


def _sample_errors(evidence: Evidence, what: str) -> list[str]:
    series = evidence.series()
    return [e for e in series.errors if f" {what}: " in e]


def what_grew(first: Path, last: Path, rows: int = 3) -> str:
    """The functions whose in-use heap grew most between two heap profiles (pprof -diff_base -top)."""
    from pytest_goperf.pprof import diff, read_profile
    from pytest_goperf.pprof.errors import ProfileError

    try:
        d = diff(read_profile(first), read_profile(last), "inuse_space")
    except (ProfileError, OSError):
        return ""
    grown = [r for r in d.rows if r.delta_flat > 0][:rows]
    if not grown:
        return ""
    return "Grew most (in-use space, flat, first -> last heap profile):\n" + "\n".join(
        f"  +{_mib(r.delta_flat)}  {r.function}" for r in grown)


def _sampling_period(heap_profile: Path) -> float:
    """The heap profile's sampling period (the service's runtime.MemProfileRate); Go's default if unreadable."""
    from pytest_goperf.pprof import read_profile
    from pytest_goperf.pprof.errors import ProfileError

    try:
        period = read_profile(heap_profile).period
    except (ProfileError, OSError):
        return MEM_PROFILE_RATE
    return float(period) if period > 0 else MEM_PROFILE_RATE


def _judge_heap_window(evidence: Evidence, threshold: HeapThreshold) -> Verdict:
    series = evidence.series()
    points = series.heap_points()
    profiles = [s.heap_profile for s in series.samples if s.heap_profile]
    folder = evidence.artifacts
    verdict = judge_heap([t for t, _ in points], [v for _, v in points], max_growth=threshold.max_growth,
                         errors=_sample_errors(evidence, "heap"),
                         first_profile=str(folder / profiles[0]) if profiles else None,
                         last_profile=str(folder / profiles[-1]) if profiles else None,
                         resolution_bytes=_sampling_period(folder / profiles[-1]) if profiles else MEM_PROFILE_RATE)
    if verdict.failed and len(profiles) >= 2:
        grew = what_grew(folder / profiles[0], folder / profiles[-1])
        if grew:
            return Verdict(verdict.outcome, f"{verdict.message}\n{grew}", verdict.figures, verdict.warnings)
    return verdict


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None


def _judge_goroutines_window(evidence: Evidence, threshold: GoroutineThreshold) -> Verdict:
    series = evidence.series()
    points = series.goroutine_points()
    dumps = [evidence.artifacts / s.goroutine_text for s in series.samples if s.goroutine_text]
    load = evidence.load()
    leak = evidence.artifacts / "goroutineleak.txt"
    ev = GoroutineEvidence(
        first_dump=_read(dumps[0]) if dumps else None, last_dump=_read(dumps[-1]) if dumps else None,
        first_name=str(dumps[0]) if dumps else "", last_name=str(dumps[-1]) if dumps else "",
        leak_profile=_read(leak) if leak.is_file() else None, leak_name=str(leak))
    return judge_goroutines([t for t, _ in points], [v for _, v in points], max_drift=threshold.max_drift,
                            max_count=threshold.max, connections=load.connections if load is not None else 0,
                            errors=_sample_errors(evidence, "goroutines"), evidence=ev)


HEAP_GATE = RuntimeGate(key="heap", threshold=HeapThreshold, needs=frozenset({"heap"}), judge=_judge_heap_window,
                        summary="the live heap plateaus under constant load (judged after its warm-up growth)")
GOROUTINES_GATE = RuntimeGate(key="goroutines", threshold=GoroutineThreshold, needs=frozenset({"goroutines"}),
                              judge=_judge_goroutines_window,
                              summary="the goroutine count stays in a band (plus the load's in-flight goroutines) "
                                      "and does not trend up under constant load")
