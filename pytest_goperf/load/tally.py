"""Count other engines' requests into a goperf-load/1 result, the way our Go engines count.

vegeta's results and Locust's request events become the same JSON our
generator writes, so the latency gate judges every engine alike: warmup kept
apart, latency from the scheduled start when the schedule is known, the same
error classes, errors + dropped over sent + dropped.  Latencies go into
HdrHistograms (the maintained ``hdrhistogram`` package, 3 significant
digits: a bucket is at most 0.1 % wide), so results from several processes
or engines are merged from their histograms, never by averaging percentiles.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

HIGHEST_NS = 3_600_000_000_000       # one hour
DIGITS = 3
CLASSES = ("connect", "timeout", "io", "conn_reset")


def new_histogram() -> HdrHistogram:
    return HdrHistogram(1, HIGHEST_NS, DIGITS)


def record(h: HdrHistogram, ns: float, count: int = 1) -> None:
    h.record_value(int(min(max(ns, 1), HIGHEST_NS)), count)


def encode(h: HdrHistogram) -> str:
    return base64.b64encode(h.encode()).decode("ascii") if h.get_total_count() else ""


def decode_into(h: HdrHistogram, text: str) -> None:
    """Add an ``encode``d histogram into ``h`` (merging: counts add up, nothing is averaged)."""
    if text:
        h.add(HdrHistogram.decode(base64.b64decode(text)))


def quantiles(h: HdrHistogram, exact: Sequence[int] | None = None) -> dict[str, Any]:
    """count/min/mean/p50/p90/p99/p999/max in ns: exact nearest-rank from ``exact`` values when given."""
    n = h.get_total_count()
    if not n:
        return {"count": 0, "min": 0, "mean": 0, "p50": 0, "p90": 0, "p99": 0, "p999": 0, "max": 0}
    if exact is not None:
        values = sorted(exact)

        def at(q: float) -> int:  # nearest rank: the ceil(q*n)-th smallest, as the Go engines count
            rank = -(-round(q * 1_000_000) * len(values) // 1_000_000)
            return int(values[min(max(rank - 1, 0), len(values) - 1)])
        return {"count": len(values), "min": values[0], "mean": sum(values) / len(values), "p50": at(0.5),
                "p90": at(0.9), "p99": at(0.99), "p999": at(0.999), "max": values[-1]}
    return {"count": n, "min": h.get_min_value(), "mean": h.get_mean_value(),
            "p50": h.get_value_at_percentile(50), "p90": h.get_value_at_percentile(90),
            "p99": h.get_value_at_percentile(99), "p999": h.get_value_at_percentile(99.9), "max": h.get_max_value()}


def buckets(h: HdrHistogram) -> list[list[int]]:
    """[lo, hi, count] per recorded bucket (ns), as the Go engines list theirs."""
    out = []
    for step in h.get_recorded_iterator():
        v = step.value_iterated_to
        out.append([h.get_lowest_equivalent_value(v), h.get_highest_equivalent_value(v) + 1,
                    step.count_added_in_this_iter_step])
    return out


def expected(code: int, expect: Iterable[str]) -> bool:
    """Whether a status matches ``load.expect_status`` (codes such as 200, classes such as 2xx)."""
    for e in expect:
        e = e.lower()
        if (e.endswith("xx") and str(code)[0] == e[0]) or e == str(code):
            return True
    return False


@dataclass
class Phase:
    """Counters of one phase (warmup or the measured window) for one request entry."""

    requests: int = 0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    status: dict[int, int] = field(default_factory=dict)

    def add(self, other: Mapping[str, Any]) -> None:
        """Add a ``to_json`` of another process's counters."""
        self.requests += int(other["requests"])
        self.ok += int(other["ok"])
        for k in CLASSES:
            self.errors[k] += int(other["errors"].get(k, 0))
        for code, n in other["status"].items():
            self.status[int(code)] = self.status.get(int(code), 0) + int(n)

    def to_json(self) -> dict[str, Any]:
        return {"requests": self.requests, "ok": self.ok, "errors": dict(self.errors),
                "status": {str(k): v for k, v in self.status.items()}}


@dataclass
class Tally:
    """Everything one engine run measured, ready to be written as goperf-load/1."""

    expect: tuple[str, ...]
    entries: list[tuple[str, str]]                  # (method, url) of each request entry
    phases: list[list[Phase]] = field(default_factory=list)   # [warmup, window] x entries
    latency: HdrHistogram = field(default_factory=new_histogram)
    lag: HdrHistogram = field(default_factory=new_histogram)
    exact_latency: list[int] | None = None          # every measured latency, when the engine gives them all
    examples: dict[str, str] = field(default_factory=dict)
    sent_in_window: int = 0
    retries: int = 0
    protocols: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.phases:
            self.phases = [[Phase() for _ in self.entries] for _ in range(2)]

    def add(self, phase: int, entry: int, *, code: int = 0, failure: str | None = None,
            latency_ns: float | None = None, lag_ns: float | None = None, message: str = "") -> None:
        """One request: a status code, or a failure class (connect, timeout, io, conn_reset)."""
        p = self.phases[phase][entry]
        p.requests += 1
        if failure is not None:
            p.errors[failure] += 1
            if message:
                self.examples.setdefault(failure, message)
        else:
            p.status[code] = p.status.get(code, 0) + 1
            if expected(code, self.expect):
                p.ok += 1
        timed = failure is None or failure == "timeout"
        if phase == 1 and timed and latency_ns is not None:
            record(self.latency, latency_ns)
            if self.exact_latency is not None:
                self.exact_latency.append(int(latency_ns))
        if phase == 1 and lag_ns is not None:
            record(self.lag, lag_ns)

    def _errors(self, phases: Iterable[Phase]) -> tuple[dict[str, Any], int]:
        counts = dict.fromkeys(CLASSES, 0)
        status: dict[str, int] = {}
        for p in phases:
            for k in CLASSES:
                counts[k] += p.errors[k]
            for code, n in p.status.items():
                if not expected(code, self.expect):
                    status[str(code)] = status.get(str(code), 0) + n
        total = sum(counts.values()) + sum(status.values())
        return {**counts, "status": status, "total": total}, total

    def result(self, *, engine: str, target: str, model: str, rate: float | None, connections: int,
               warmup: float, duration: float, dropped: tuple[int, int] = (0, 0),
               extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The goperf-load/1 JSON object (what load.json holds)."""
        warm, window = self.phases
        requests = sum(p.requests for p in window)
        errors, _ = self._errors(window)
        codes: dict[str, int] = {}
        for p in window:
            for code, n in p.status.items():
                codes[str(code)] = codes.get(str(code), 0) + n
        classes: dict[str, int] = {}
        for code_text, n in codes.items():
            classes[code_text[0] + "xx"] = classes.get(code_text[0] + "xx", 0) + n
        by_request = []
        for (method, url), p in zip(self.entries, window):
            e, _ = self._errors([p])
            by_request.append({"method": method, "url": url, "requests": p.requests, "ok": p.ok, "errors": e,
                               "status": {str(k): v for k, v in p.status.items()}})
        out: dict[str, Any] = {
            "schema": "goperf-load/1", "engine": engine, "model": model, "target": target,
            "rate_requested": rate, "connections": connections, "warmup_s": warmup, "duration_s": duration,
            "requests": requests, "ok": sum(p.ok for p in window),
            "achieved_rate": requests / duration if duration else 0.0,
            "send_rate": self.sent_in_window / duration if duration else 0.0,
            "errors": errors, "status": codes, "status_class": classes, "expect_status": list(self.expect),
            "retries": self.retries, "dropped": dropped[1],
            "warmup": {"requests": sum(p.requests for p in warm), "errors": sum(p.requests - p.ok for p in warm),
                       "dropped": dropped[0]},
            "latency_ns": quantiles(self.latency, self.exact_latency),
            "histogram": {"unit": "ns", "max_relative_error": 10.0 ** -DIGITS, "buckets": buckets(self.latency)},
            "by_request": by_request, "error_examples": dict(self.examples),
        }
        if self.lag.get_total_count():
            out["send_lag_ns"] = quantiles(self.lag)
        if self.protocols:
            out["protocols"] = dict(self.protocols)
        out.update(extra or {})
        return out
