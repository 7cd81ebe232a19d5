"""What a load run measured: the goperf-load/1 JSON result as a model (no I/O but reading the file).

Kept apart from the generator's driver so that gates and reports read results
without importing anything that starts processes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LoadError


@dataclass(frozen=True)
class LoadErrors:
    """Failed measured requests by class; ``status`` maps an unexpected HTTP status to its count.

    ``conn_reset``: the connection was closed or reset after the request was
    written (the service dropped it: a crash, a panic, a proxy cutting it).
    """

    connect: int = 0
    timeout: int = 0
    io: int = 0
    status: Mapping[int, int] = field(default_factory=dict)
    conn_reset: int = 0
    examples: Mapping[str, str] = field(default_factory=dict, compare=False)   # class -> first message

    @property
    def total(self) -> int:
        return self.connect + self.timeout + self.io + self.conn_reset + sum(self.status.values())

    def describe(self) -> str:
        parts = [f"{n} {k}" for k, n in (("connect", self.connect), ("timeout", self.timeout),
                                         ("conn_reset", self.conn_reset), ("io", self.io)) if n]
        parts += [f"{n} HTTP {code}" for code, n in sorted(self.status.items())]
        return ", ".join(parts) or "none"

    def example_lines(self) -> list[str]:
        """``class: first message`` for each failure class that has one (what actually went wrong)."""
        return [f"{k}: {v}" for k, v in sorted(self.examples.items())]

    @classmethod
    def from_json(cls, err: Mapping[str, Any], examples: Mapping[str, Any] | None = None) -> LoadErrors:
        return cls(connect=int(err.get("connect", 0)), timeout=int(err.get("timeout", 0)), io=int(err.get("io", 0)),
                   conn_reset=int(err.get("conn_reset", 0)),
                   status={int(k): int(v) for k, v in err.get("status", {}).items()},
                   examples={str(k): str(v) for k, v in (examples or {}).items()})


@dataclass(frozen=True)
class RequestOutcome:
    """One entry of the request mix: the URL actually requested (placeholders as written) and what came back."""

    method: str
    url: str
    requests: int
    ok: int
    errors: LoadErrors
    status: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SendLag:
    """The generator's own lateness in seconds: write start minus the moment it could have sent."""

    p50: float
    p90: float
    p99: float
    max: float

    def at(self, quantile: str) -> float:
        """The lag at the same quantile name as a latency figure (p50, p90, p99, max)."""
        return float(getattr(self, quantile))


@dataclass(frozen=True)
class LoadResult:
    """The measured window's outcome (warmup requests counted apart). Times in seconds.

    Latencies include every request that got a response (any status) or timed
    out, measured from the scheduled start in the open model; connect, reset
    and I/O failures are counted, not timed.
    """

    model: str
    target: str
    rate_requested: float | None
    connections: int
    warmup: float
    duration: float
    requests: int
    ok: int
    achieved_rate: float
    errors: LoadErrors
    dropped: int
    warmup_requests: int
    warmup_errors: int
    warmup_dropped: int
    p50: float
    p90: float
    p99: float
    p999: float
    max: float
    min: float
    mean: float
    histogram: tuple[tuple[float, float, int], ...]   # (lo, hi, count), seconds
    interrupted: bool = False
    send_rate: float | None = None    # requests actually started per second inside the window
    path: Path | None = None
    status: Mapping[int, int] = field(default_factory=dict)   # every response by (final) status
    expect_status: tuple[str, ...] = ("2xx",)
    retries: int = 0                  # requests sent again because none of their bytes reached the wire
    connections_opened: int | None = None
    redirects_followed: int = 0
    send_lag: SendLag | None = None
    by_request: tuple[RequestOutcome, ...] = ()
    engine: str | None = None         # epoll, net/http, vegeta v12.13.0, locust 2.x
    protocols: Mapping[str, int] = field(default_factory=dict)   # measured responses by protocol (HTTP/2.0 ...)

    @property
    def error_rate(self) -> float:
        """(failed + dropped) / (sent + dropped): a request we could not even send is a failure too."""
        denominator = self.requests + self.dropped
        return (self.errors.total + self.dropped) / denominator if denominator else 0.0

    @property
    def judged_rate(self) -> float:
        """Requests actually sent per second inside the window (``send_rate``; older results: achieved)."""
        return self.send_rate if self.send_rate is not None else self.achieved_rate

    @property
    def status_classes(self) -> dict[str, int]:
        """Responses by status class: {"2xx": n, "3xx": m, ...}."""
        out: dict[str, int] = {}
        for code, n in sorted(self.status.items()):
            out[f"{code // 100}xx"] = out.get(f"{code // 100}xx", 0) + n
        return out

    def failing_requests(self) -> list[str]:
        """One line per request entry that had errors, naming the URL that was requested."""
        return [f"{o.method} {o.url}: {o.errors.describe()} of {o.requests}" for o in self.by_request
                if o.errors.total]

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: Path | None = None) -> LoadResult:
        try:
            lat = data["latency_ns"]
            err = data["errors"]
            wu = data.get("warmup", {})
            ns = 1e-9
            rate = data.get("rate_requested")
            lag = data.get("send_lag_ns")
            return cls(
                model=str(data.get("model", "open" if rate else "closed")),
                target=str(data.get("target", "")),
                rate_requested=float(rate) if rate else None,
                connections=int(data.get("connections", 0)),
                warmup=float(data.get("warmup_s", 0.0)),
                duration=float(data["duration_s"]),
                requests=int(data["requests"]),
                ok=int(data.get("ok", int(data["requests"]) - int(err.get("total", 0)))),
                achieved_rate=float(data["achieved_rate"]),
                errors=LoadErrors.from_json(err, data.get("error_examples")),
                dropped=int(data.get("dropped", 0)),
                warmup_requests=int(wu.get("requests", 0)),
                warmup_errors=int(wu.get("errors", 0)),
                warmup_dropped=int(wu.get("dropped", 0)),
                p50=lat["p50"] * ns, p90=lat["p90"] * ns, p99=lat["p99"] * ns, p999=lat.get("p999", lat["max"]) * ns,
                max=lat["max"] * ns, min=lat.get("min", 0) * ns, mean=lat.get("mean", 0) * ns,
                histogram=tuple((b[0] * ns, b[1] * ns, int(b[2])) for b in data.get("histogram", {}).get("buckets", [])),
                interrupted=bool(data.get("interrupted", False)),
                send_rate=float(data["send_rate"]) if data.get("send_rate") is not None else None,
                path=path,
                status={int(k): int(v) for k, v in data.get("status", {}).items()},
                expect_status=tuple(str(x) for x in data.get("expect_status", ("2xx",))),
                retries=int(data.get("retries", 0)),
                connections_opened=int(data["connections_opened"]) if "connections_opened" in data else None,
                redirects_followed=int(data.get("redirects_followed", 0)),
                send_lag=SendLag(p50=lag["p50"] * ns, p90=lag["p90"] * ns, p99=lag["p99"] * ns, max=lag["max"] * ns)
                if lag and lag.get("count") else None,
                by_request=tuple(RequestOutcome(method=str(o["method"]), url=str(o["url"]), requests=int(o["requests"]),
                                                ok=int(o["ok"]), errors=LoadErrors.from_json(o["errors"]),
                                                status={int(k): int(v) for k, v in o.get("status", {}).items()})
                                 for o in data.get("by_request", ())),
                engine=str(data["engine"]) if data.get("engine") else None,
                protocols={str(k): int(v) for k, v in (data.get("protocols") or {}).items()},
            )
        except KeyError as exc:
            where = f" {path}" if path else ""
            raise LoadError(f"load result{where} is not goperf-load/1 JSON: missing field {exc}") from None
        except (TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
            # Fields of the wrong JSON type (a list for a mapping, null for a number, Infinity for a count).
            where = f" {path}" if path else ""
            raise LoadError(f"load result{where} is not goperf-load/1 JSON: a field has the wrong type or value "
                            f"({exc})") from None


def read_result(path: Path) -> LoadResult:
    """Read a goperf-load/1 JSON result (ours, or one a ``load.command`` wrote)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise LoadError(f"cannot read load result {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise LoadError(f"load result {path} is not a JSON object")
    return LoadResult.from_json(data, Path(path))
