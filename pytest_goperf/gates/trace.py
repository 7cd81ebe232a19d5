"""Gates on execution-trace statistics: scheduler latency and GC stop-the-world pauses.

Pure functions of a ``TraceStats`` (no I/O).  Thresholds are seconds; a
``max`` limit fails on recurring events, not on one (``gates.extremes``); a
failure message shows the measured figure against the threshold, the worst
intervals with the stacks behind them, and the ``go tool trace`` command that
opens the file for a closer look.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_goperf.gates.extremes import failing_count, judge_extreme, judge_percentile, machine_rate
from pytest_goperf.gates.spec import Evidence, RuntimeGate, limit
from pytest_goperf.gates.verdict import Verdict, enforce
from pytest_goperf.quantities import format_duration, parse_duration

if TYPE_CHECKING:
    from pytest_goperf.trace.model import Interval, Summary, TraceStats


@dataclass(frozen=True)
class SchedulerThreshold:
    p50: float | None = limit("duration", None, "median time a goroutine waits runnable before it runs")
    p90: float | None = limit("duration", None, "90th percentile of that wait")
    p99: float | None = limit("duration", 200e-6, "99th percentile of that wait")
    max: float | None = limit("duration", None, "the longest wait (isolated outliers tolerated, see docs)")


@dataclass(frozen=True)
class GcThreshold:
    max_stw: float | None = limit("duration", 1e-3,
                                  "the longest GC stop-the-world pause (isolated outliers tolerated, see docs)")
    p99_stw: float | None = limit("duration", None, "99th percentile of GC stop-the-world pauses")

_WORST_SHOWN = 3
_FRAMES_SHOWN = 6


def _fmt_ns(ns: int | None) -> str:
    return "n/a" if ns is None else format_duration(ns / 1e9)


def _describe(iv: Interval, verb: str) -> str:
    head = f"  {_fmt_ns(iv.duration_ns)} at +{_fmt_ns(iv.start_ns)}"
    if iv.goroutine >= 0:
        head += f", goroutine {iv.goroutine}"
    head += f" ({iv.what})"
    if not iv.stack:
        return head + ", no stack recorded"
    lines = [head + f", {verb}:"]
    for fn, fl, line in iv.stack[:_FRAMES_SHOWN]:
        lines.append(f"      {fn}  {fl}:{line}")
    if len(iv.stack) > _FRAMES_SHOWN:
        lines.append(f"      ... {len(iv.stack) - _FRAMES_SHOWN} more frames")
    return "\n".join(lines)


def _open_hint(stats: TraceStats, trace_path: str | None) -> str:
    path = trace_path or stats.path
    return f"Open the trace: go tool trace {path}" if path else "Open the trace with: go tool trace <file>"


def _judge(
    what: str,
    summary: Summary,
    limits: dict[str, float | None],
    stats: TraceStats,
    trace_path: str | None,
    verb: str,
    prefix: str,
    event: str = "interval",
    stall_share: float = 0.0,
) -> tuple[bool, str, dict[str, float | int | str | None]]:
    figures: dict[str, float | int | str | None] = {f"{prefix}_count": summary.count}
    broken: list[str] = []
    checked: list[str] = []
    tolerated: list[str] = []  # limits a measured value passed over without failing, and why
    listing = ""
    for name, limit_s in limits.items():
        value = summary.percentile(name)
        figures[f"{prefix}_{name}_ns"] = value
        if limit_s is None:
            continue
        figures[f"{prefix}_{name}_limit_s"] = limit_s
        if name == "max":  # recurring events, not one: gates.extremes
            cut = min(iv.duration_ns for iv in summary.worst) if 0 < len(summary.worst) < summary.count else 0
            ok, text, listing = judge_extreme(summary.worst, value, limit_s, cut, what=event, events=summary.count,
                                              stall_share=stall_share)
            figures[f"{prefix}_over_max"] = sum(1 for iv in summary.worst if iv.duration_ns > limit_s * 1e9)
            figures[f"{prefix}_over_max_failing"] = failing_count(summary.count, machine_rate(stall_share))
            (checked if ok else broken).append(text)
            if ok and figures[f"{prefix}_over_max"]:
                tolerated.append(text.split(": ", 1)[-1])
            continue
        over = summary.count_over(limit_s * 1e9)
        figures[f"{prefix}_over_{name}"] = over
        ok, text = judge_percentile(over, summary.count, float(name[1:]), value, limit_s, stall_share)
        (checked if ok else broken).append(text)
        if ok and value is not None and value > limit_s * 1e9:
            tolerated.append(text.split(": ", 1)[-1] if ": " in text
                             else f"{over} of {summary.count} over the limit, as many as a {name} allows")
    if not broken:
        if tolerated:
            figures["tolerated"] = "; ".join(tolerated)
        summary_text = ", ".join(checked) if checked else "no thresholds set"
        return True, f"{what}: {summary_text} over {summary.count} intervals" + (f"\n{listing}" if listing else ""), figures
    lines = [f"{what} too high: " + "; ".join(broken) + f" over {summary.count} intervals."]
    if listing:
        lines.append(listing)
    if summary.worst:
        lines.append("Worst intervals:")
        lines.extend(_describe(iv, verb) for iv in summary.worst[:_WORST_SHOWN])
    lines.append(_open_hint(stats, trace_path))
    return False, "\n".join(lines), figures


def judge_scheduler(
    stats: TraceStats,
    *,
    p50: float | None = None,
    p90: float | None = None,
    p99: float | None = None,
    max: float | None = None,  # noqa: A002 - the YAML key is 'max'
    trace_path: str | None = None,
    stall_share: float = 0.0,
) -> Verdict:
    """Scheduler latency (time Runnable before running) against thresholds in seconds.

    ``stall_share``: the window's ``MachineNoise.stall_share`` (``gates.extremes``).
    """
    s = stats.sched_latency
    if s.count == 0:
        return Verdict.skip("no scheduler-latency intervals in the trace (is it empty or too short?)",
                            {"sched_count": 0}, stats.warnings)
    ok, msg, fig = _judge(
        "scheduler latency",
        s,
        {"p50": p50, "p90": p90, "p99": p99, "max": max},
        stats,
        trace_path,
        "made runnable at",
        "sched",
        "wait",
        stall_share,
    )
    return (Verdict.ok if ok else Verdict.fail)(msg, fig, stats.warnings)


def judge_gc(
    stats: TraceStats,
    *,
    max_stw: float | None = None,
    p99_stw: float | None = None,
    trace_path: str | None = None,
    stall_share: float = 0.0,
) -> Verdict:
    """GC stop-the-world pauses against thresholds in seconds; no pause at all passes."""
    s = stats.gc_stw
    if stats.generations == 0:
        return Verdict.skip("the trace holds no events", {}, stats.warnings)
    ok, msg, fig = _judge(
        "GC stop-the-world pauses",
        s,
        {"max": max_stw, "p99": p99_stw},
        stats,
        trace_path,
        "stopped at",
        "gc_stw",
        "pause",
        stall_share,
    )
    fig["gc_count"] = stats.gc_count
    if not ok and max_stw is not None:
        msg += _waited_for(s.worst, max_stw)
    return (Verdict.ok if ok else Verdict.fail)(msg, fig, stats.warnings)


def _waited_for(worst: tuple[Interval, ...], limit_s: float) -> str:
    """Where the pauses over the limit waited for a goroutine to stop (time to safe point), most often first."""
    from pytest_goperf.trace.model import waited_place  # numpy: not at plugin start-up

    over = [iv for iv in worst if iv.duration_ns > limit_s * 1e9]
    places: dict[str, int] = {}
    for iv in over:
        where = waited_place(iv.what)
        if where is not None:
            places[where] = places.get(where, 0) + 1
    if not places:
        return ""
    where, n = max(places.items(), key=lambda kv: kv[1])
    return (f"\n{n} of the {len(over)} pauses over the limit were mostly waiting for a goroutine to stop, in {where}: "
            "code that runs long without a preemption point (a large copy or clear, an assembly loop) "
            "holds every stop-the-world until it returns.")


def _seconds(value: str | float | None, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def assert_sched_latency_below(
    stats: TraceStats,
    *,
    p50: str | float | None = None,
    p90: str | float | None = None,
    p99: str | float | None = None,
    max: str | float | None = None,  # noqa: A002
    trace_path: str | None = None,
) -> Verdict:
    """Fail the calling test when scheduler latency exceeds Go-duration thresholds ('200us').

    Same check and message as ``thresholds.scheduler``::

        assert_sched_latency_below(capture.trace, p99="500us")   # or analyze_trace("trace.out")
    """
    return enforce(
        judge_scheduler(
            stats,
            p50=_seconds(p50, "p50"),
            p90=_seconds(p90, "p90"),
            p99=_seconds(p99, "p99"),
            max=_seconds(max, "max"),
            trace_path=trace_path,
        )
    )


def assert_stw_below(
    stats: TraceStats,
    *,
    max: str | float | None = None,  # noqa: A002
    p99: str | float | None = None,
    trace_path: str | None = None,
) -> Verdict:
    """Fail the calling test when a GC stop-the-world pause exceeds the thresholds ('1ms').

    Only GC pauses count: the STW that starting a trace itself causes would
    otherwise fail every traced run.  ``stats.stw`` has all kinds.  Same
    check and message as ``thresholds.gc``::

        assert_stw_below(capture.trace, max="1ms")
    """
    return enforce(judge_gc(stats, max_stw=_seconds(max, "max"), p99_stw=_seconds(p99, "p99"), trace_path=trace_path))


def _judge_scheduler_window(evidence: Evidence, threshold: SchedulerThreshold) -> Verdict:
    stats, path = evidence.trace_stats()
    return judge_scheduler(stats, p50=threshold.p50, p90=threshold.p90, p99=threshold.p99, max=threshold.max,
                           trace_path=str(path), stall_share=evidence.stall_share())


def _judge_gc_window(evidence: Evidence, threshold: GcThreshold) -> Verdict:
    stats, path = evidence.trace_stats()
    return judge_gc(stats, max_stw=threshold.max_stw, p99_stw=threshold.p99_stw, trace_path=str(path),
                    stall_share=evidence.stall_share())


SCHEDULER_GATE = RuntimeGate(key="scheduler", threshold=SchedulerThreshold, needs=frozenset({"trace"}),
                             judge=_judge_scheduler_window,
                             summary="scheduler latency: how long runnable goroutines wait for a P (execution trace)")
GC_GATE = RuntimeGate(key="gc", threshold=GcThreshold, needs=frozenset({"trace"}), judge=_judge_gc_window,
                      summary="GC stop-the-world pauses (execution trace)")
