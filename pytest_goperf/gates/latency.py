"""Latency gate: percentiles, error rate and send rate of the measured load window.

Pure: (LoadResult, thresholds) -> Verdict.  A failure shows the measured
numbers against the limits plus a histogram summary, so the report alone says
whether the tail, the errors or the generator (dropped requests) is to blame.
"""

from __future__ import annotations

import builtins
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from ..load.model import LoadResult
from ..quantities import format_duration, format_share, parse_duration, parse_share
from .spec import Evidence, RuntimeGate, limit
from .verdict import Verdict, enforce


@dataclass(frozen=True)
class LatencyThreshold:
    p50: float | None = limit("duration", None, "median request latency (from the scheduled start in the open model)")
    p90: float | None = limit("duration", None, "90th percentile latency")
    p99: float | None = limit("duration", None, "99th percentile latency")
    max: float | None = limit("duration", None, "the slowest request")
    max_error_rate: float | None = limit("share", None, "failed plus dropped requests, as a share of all")
    min_rate: float | None = limit("number", None, "requests per second the window must reach")

_STEPS = (1.0, 2.0, 5.0)
_BAR = 30


_EDGES = tuple(step * 10.0**exp for exp in range(-7, 5) for step in _STEPS)  # 100ns .. 50000s


def histogram_summary(result: LoadResult) -> str:
    """A text histogram over 1-2-5 latency bands, with counts and cumulative shares."""
    buckets = result.histogram
    total = sum(c for _, _, c in buckets)
    if not total:
        return "  (no latencies recorded)"
    first = builtins.max(bisect_right(_EDGES, buckets[0][0]) - 1, 0)
    last = builtins.min(bisect_right(_EDGES, buckets[-1][0]), len(_EDGES) - 1)
    counts = [0] * (last - first)
    for lo, _, count in buckets:
        row = bisect_right(_EDGES, lo) - 1 - first
        counts[builtins.min(builtins.max(row, 0), len(counts) - 1)] += count
    top = builtins.max(counts)
    lines = []
    cum = 0
    for i, count in enumerate(counts):
        cum += count
        bar = "#" * builtins.max(1, round(_BAR * count / top)) if count else ""
        lines.append(f"  < {format_duration(_EDGES[first + i + 1]):>7} {count:>9} {cum / total * 100:8.3f}%  {bar}".rstrip())
    return "\n".join(lines)


LAG_WARNING = 1e-3   # the generator's own send lag (p99) above which every verdict says so


def describe(result: LoadResult) -> str:
    """The numbers a reader needs to judge a load run, one block."""
    rate = f"sent {result.judged_rate:.1f}/s"
    if result.rate_requested:
        rate += f" of {result.rate_requested:g}/s asked"
    head = (f"{result.model} model, {result.requests} requests in {result.duration:g}s ({rate}), "
            f"errors: {result.errors.describe()}, dropped: {result.dropped}"
            f" (warmup: {result.warmup_requests} requests, not measured)")
    if result.engine:
        protocols = ", ".join(f"{p} x{n}" for p, n in sorted(result.protocols.items()))
        head += f"\n  engine: {result.engine}" + (f" ({protocols})" if protocols else "")
    lines = [head]
    if result.status:
        codes = ", ".join(f"{code} x{n}" for code, n in sorted(result.status.items()))
        lines.append(f"  responses: {codes} (success: {', '.join(result.expect_status)})")
    extras = []
    if result.retries:
        extras.append(f"{result.retries} retried (never reached the wire)")
    if result.redirects_followed:
        extras.append(f"{result.redirects_followed} redirects followed")
    if result.connections_opened is not None:
        extras.append(f"{result.connections_opened} connections opened")
    if result.send_lag is not None:
        lag = result.send_lag
        extras.append(f"generator send lag p50 {format_duration(lag.p50)}, p99 {format_duration(lag.p99)}, "
                      f"max {format_duration(lag.max)}")
    if extras:
        lines.append("  " + "; ".join(extras))
    lines += [f"  {line}" for line in result.failing_requests()]
    lines += [f"  first {line}" for line in result.errors.example_lines()]
    pct = "  ".join(f"{name} {format_duration(v)}" for name, v in (
        ("p50", result.p50), ("p90", result.p90), ("p99", result.p99), ("p99.9", result.p999), ("max", result.max)))
    lines.append(f"  {pct}")
    return "\n".join(lines) + "\n" + histogram_summary(result)


def _ours(result: LoadResult, broken: list[tuple[str, float, float]]) -> list[str]:
    """The broken limits that would hold without the generator's own send lag at the same quantile."""
    lag = result.send_lag
    if lag is None:
        return []
    return [f"{name} {format_duration(value)} > {format_duration(limit)}, of which up to "
            f"{format_duration(lag.at(name))} is the generator's send lag" for name, value, limit in broken
            if value - lag.at(name) <= limit]


def judge_latency(result: LoadResult | None, *, p50: float | None = None, p90: float | None = None,
                  p99: float | None = None, max: float | None = None, max_error_rate: float | None = None,
                  min_rate: float | None = None, result_path: Path | None = None,
                  skip_reason: str | None = None) -> Verdict:
    """Compare a load result with latency limits (seconds), an error-rate limit (fraction) and a minimum rate.

    ``min_rate`` is judged on ``send_rate``: requests actually sent inside the
    window.  A broken latency limit that the generator's own send lag could
    explain fails as the generator's fault, not the service's.
    """
    if result is None:
        return Verdict.skip(skip_reason or "no goperf-load/1 result: load.command did not write one (set load.result)")
    path = result_path or result.path
    lag = result.send_lag
    figures: dict[str, float | int | str | None] = {
        "p50": result.p50, "p90": result.p90, "p99": result.p99, "p99.9": result.p999, "max": result.max,
        "requests": result.requests, "achieved_rate": result.achieved_rate, "send_rate": result.send_rate,
        "error_rate": result.error_rate, "dropped": result.dropped, "retries": result.retries,
        "conn_reset": result.errors.conn_reset, "send_lag_p99": lag.p99 if lag else None,
        "result": str(path) if path else None,
    }
    failures: list[str] = []
    if result.requests == 0:
        failures.append("no request was measured")
    broken = [(name, value, limit) for name, limit, value in (
        ("p50", p50, result.p50), ("p90", p90, result.p90), ("p99", p99, result.p99), ("max", max, result.max))
        if limit is not None and result.requests and value > limit]
    failures += [f"{name} {format_duration(value)} > {format_duration(limit)}" for name, value, limit in broken]
    if max_error_rate is not None and result.error_rate > max_error_rate:
        failures.append(f"error rate {format_share(result.error_rate)} > {format_share(max_error_rate)}")
    if min_rate is not None and result.judged_rate < min_rate:
        failures.append(f"send_rate {result.judged_rate:.1f}/s < {min_rate:g}/s (dropped {result.dropped}: "
                        "scheduled in the window but never sent)")
    warnings: list[str] = []
    if result.dropped:
        warnings.append(f"{result.dropped} requests could not be sent on schedule (all {result.connections} "
                        "connections busy for longer than load.timeout, or still waiting when the window ended): "
                        "they count as errors; raise load.connections if the service is not the bottleneck")
    if lag is not None and lag.p99 > LAG_WARNING:
        warnings.append(f"the load generator's own send lag was p99 {format_duration(lag.p99)} (max "
                        f"{format_duration(lag.max)}): every latency includes it")
    if result.interrupted:
        warnings.append("the load run was interrupted before its end")
    where = f"\n  result: {path}" if path else ""
    ours = _ours(result, broken)
    if ours:
        message = (f"latency: the load generator fell behind its schedule, so this run cannot judge the service: "
                   f"{'; '.join(ours)}; rerun on a quieter machine, lower load.rate, or leave the generator a core "
                   f"(GOMAXPROCS of the service)\n  all failures: {'; '.join(failures)}\n{describe(result)}{where}")
        return Verdict.fail(message, figures, tuple(warnings))
    if failures:
        message = f"latency: {'; '.join(failures)}\n{describe(result)}{where}"
        return Verdict.fail(message, figures, tuple(warnings))
    message = (f"latency ok: p99 {format_duration(result.p99)}, error rate {format_share(result.error_rate)}, "
               f"sent {result.judged_rate:.1f}/s")
    return Verdict.ok(message, figures, tuple(warnings))


def _seconds(value: str | float | None) -> float | None:
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if value is None else float(value)
    return parse_duration(value)


def assert_latency(result: LoadResult | None, *, p50: str | float | None = None, p90: str | float | None = None,
                   p99: str | float | None = None, max: str | float | None = None,
                   max_error_rate: str | float | None = None, min_rate: str | float | None = None) -> Verdict:
    """``assert_latency(result, p99="50ms", max_error_rate="0.1%")``: raise ``GateFailed`` on a failure.

    Durations take Go syntax (or seconds as numbers), shares ``"0.1%"`` (or a
    fraction), ``min_rate`` requests per second.
    """
    verdict = judge_latency(
        result, p50=_seconds(p50), p90=_seconds(p90), p99=_seconds(p99), max=_seconds(max),
        max_error_rate=None if max_error_rate is None else parse_share(max_error_rate),
        min_rate=None if min_rate is None else float(str(min_rate).removesuffix("/s")),
    )
    return enforce(verdict)


def _judge_window(evidence: Evidence, threshold: LatencyThreshold) -> Verdict:
    t = threshold
    return judge_latency(evidence.load(), p50=t.p50, p90=t.p90, p99=t.p99, max=t.max,
                         max_error_rate=t.max_error_rate, min_rate=t.min_rate, skip_reason=evidence.load_skipped())


GATE = RuntimeGate(key="latency", threshold=LatencyThreshold, needs=frozenset({"load"}), judge=_judge_window,
                   summary="request latency percentiles, error rate and rate of the load window")
