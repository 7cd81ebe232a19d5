"""The results of one run as plain records: what every report format renders, and the JSON file.

Why one model: the terminal summary, JUnit, Markdown, HTML, JSON and
OpenMetrics all show the same verdicts, and ``goperf merge-reports`` renders
the same formats from shard JSON files without the artifacts.  So each
service carries the data its charts need, not paths to it.  The JSON shape is
``goperf-results/1`` (docs/design.md#reports): objects may gain keys; keys
keep their names and meanings.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_goperf.errors import InputError

SCHEMA = "goperf-results/1"
OUTCOMES = ("passed", "failed", "skipped")

Figure = float | int | str | None


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: those numbers become null (the messages still say what they were)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


@dataclass
class GateRecord:
    """One goperf test: its verdict, the threshold it was judged against and the figures behind it."""

    nodeid: str
    gate: str                       # "bench" or a runtime gate's key
    row: str | None                 # "HandleRequest/small-2 sec/op" for a bench row
    outcome: str                    # passed | failed | skipped
    headline: str                   # one line: "p99 18.2ms > 15ms (+21%)"
    message: str                    # the verdict's full message (or the error that stopped the test)
    expression: str = ""            # "p99 ≤ 100ms, error rate ≤ 0.1%"
    limits: dict[str, float] = field(default_factory=dict)   # the threshold's numeric fields: {"p99": 0.1}
    measured: str = ""              # "p99=12.1ms error rate=0.00%"
    figures: dict[str, Figure] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0         # pytest's own setup + call + teardown
    time_s: float = 0.0             # the service's measuring time, shared out (JUnit time)
    line: int | None = None         # line of the threshold in goperf.yaml

    @property
    def test(self) -> str:
        """The test's name inside its service: ``latency``, ``bench[HandleRequest/small-2 sec/op]``."""
        return self.nodeid.rsplit("::", 1)[-1]

    def to_json(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid, "test": self.test, "gate": self.gate, "row": self.row, "outcome": self.outcome,
            "headline": self.headline, "message": self.message, "expression": self.expression, "limits": dict(self.limits),
            "measured": self.measured, "figures": dict(self.figures),
            "warnings": list(self.warnings), "duration_s": round(self.duration_s, 6), "time_s": round(self.time_s, 6),
            "line": self.line,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> GateRecord:
        return cls(nodeid=str(d["nodeid"]), gate=str(d["gate"]), row=d.get("row"), outcome=str(d["outcome"]),
                   headline=str(d.get("headline", "")), message=str(d.get("message", "")),
                   expression=str(d.get("expression", "")), limits=dict(d.get("limits") or {}),
                   measured=str(d.get("measured", "")),
                   figures=dict(d.get("figures", {})), warnings=list(d.get("warnings", [])),
                   duration_s=float(d.get("duration_s", 0.0)), time_s=float(d.get("time_s", 0.0)),
                   line=d.get("line"))


@dataclass
class ServiceRecord:
    """One goperf.yaml: its tests, the bench comparison, chart data, notes, or the error that stopped it."""

    name: str
    config: str                                   # the goperf.yaml, relative to the rootdir (posix)
    artifacts: str | None = None
    gates: list[GateRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None                      # collection failed (bad YAML, duplicate name, ...)
    bench: dict[str, Any] | None = None           # {"old", "new", "alpha", "table", "comparison"}
    charts: dict[str, Any] = field(default_factory=dict)
    collect_s: float = 0.0                        # collection time (the bench rounds run there)
    timings: dict[str, Any] | None = None         # wall time per phase (run/timings.py PhaseTimings.to_json)

    @property
    def duration_s(self) -> float:
        """What the service cost this run: collection plus its tests (the shard balancer's weight)."""
        return self.collect_s + sum(g.duration_s for g in self.gates)

    @property
    def outcome(self) -> str:
        if self.error is not None or any(g.outcome == "failed" for g in self.gates):
            return "failed"
        if self.gates and all(g.outcome == "skipped" for g in self.gates):
            return "skipped"
        return "passed" if self.gates else "skipped"

    def gate(self, key: str) -> list[GateRecord]:
        return [g for g in self.gates if g.gate == key]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "config": self.config, "artifacts": self.artifacts, "outcome": self.outcome,
            "error": self.error, "duration_s": round(self.duration_s, 6), "collect_s": round(self.collect_s, 6),
            "notes": list(self.notes), "bench": self.bench, "charts": self.charts, "timings": self.timings,
            "gates": [g.to_json() for g in self.gates],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ServiceRecord:
        return cls(name=str(d["name"]), config=str(d["config"]), artifacts=d.get("artifacts"),
                   gates=[GateRecord.from_json(g) for g in d.get("gates", [])], notes=list(d.get("notes", [])),
                   error=d.get("error"), bench=d.get("bench"), charts=dict(d.get("charts") or {}),
                   collect_s=float(d.get("collect_s", 0.0)), timings=d.get("timings"))


@dataclass
class RunRecord:
    """Everything one pytest run (or a merge of shard runs) judged."""

    services: list[ServiceRecord] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    goperf_version: str = ""
    shard: dict[str, Any] | None = None           # {"index": K, "total": N, "durations": FILE | None}
    shards: list[dict[str, Any]] = field(default_factory=list)   # after a merge: the shards it holds
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def gates(self) -> list[GateRecord]:
        return [g for s in self.services for g in s.gates]

    def totals(self) -> dict[str, int]:
        out = dict.fromkeys(OUTCOMES, 0)
        for g in self.gates:
            out[g.outcome] = out.get(g.outcome, 0) + 1
        out["errors"] = sum(1 for s in self.services if s.error is not None)
        return out

    @property
    def failed(self) -> bool:
        t = self.totals()
        return bool(t["failed"] or t["errors"])

    def totals_line(self) -> str:
        """``1 failed, 11 passed, 0 skipped`` (+ errors, interrupted)."""
        t = self.totals()
        parts = [f"{t['failed']} failed", f"{t['passed']} passed", f"{t['skipped']} skipped"]
        if t["errors"]:
            parts.append(f"{t['errors']} service error{'s' if t['errors'] != 1 else ''}")
        line = ", ".join(parts)
        if self.interrupted:
            line += " (interrupted: only what finished)"
        return line

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "created": self.created, "goperf_version": self.goperf_version,
            "environment": self.environment, "shard": self.shard, "shards": self.shards,
            "interrupted": self.interrupted, "totals": self.totals(), "notes": list(self.notes),
            "services": [s.to_json() for s in self.services],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any], where: str = "results") -> RunRecord:
        if not isinstance(d, Mapping) or d.get("schema") != SCHEMA:
            found = d.get("schema") if isinstance(d, Mapping) else type(d).__name__
            raise InputError(f"{where}: not a {SCHEMA} file (schema: {found!r}); "
                             "write one with pytest --goperf-json FILE")
        try:
            return cls(services=[ServiceRecord.from_json(s) for s in d.get("services", [])],
                       environment=dict(d.get("environment") or {}), created=str(d.get("created", "")),
                       goperf_version=str(d.get("goperf_version", "")), shard=d.get("shard"),
                       shards=list(d.get("shards") or []), interrupted=bool(d.get("interrupted", False)),
                       notes=list(d.get("notes", [])))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{where}: malformed {SCHEMA} data ({type(exc).__name__}: {exc})") from None


def write_json(run: RunRecord, path: Path) -> None:
    """Write atomically: a reader (or a CI upload step) never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(_finite(run.to_json()), indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> RunRecord:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(f"{path}: not JSON ({exc})") from None
    return RunRecord.from_json(data, str(path))


def service_order(services: Iterable[ServiceRecord]) -> list[ServiceRecord]:
    """Failing services first, then by config path: the order every report lists them in."""
    rank = {"failed": 0, "skipped": 1, "passed": 2}
    return sorted(services, key=lambda s: (rank.get(s.outcome, 3), s.config, s.name))
