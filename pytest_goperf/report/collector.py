"""Record each goperf test's verdict as it finishes; build the run's results at the end.

Why as tests finish: an interrupted run (Ctrl-C, a failing build) still
reports everything that finished before.  A test counts once its call phase
reported (or its setup failed); one cut off mid-call is left out, never
shown as passed.  The plugin feeds this from its hooks; nothing here
imports pytest (reports are read by their attributes).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_goperf.errors import GoperfError
from pytest_goperf.gates.verdict import Verdict
from pytest_goperf.report import expressions
from pytest_goperf.report.records import GateRecord, RunRecord, ServiceRecord

if TYPE_CHECKING:
    from pytest_goperf.config import GoperfConfig
    from pytest_goperf.run.gate_run import GateRun


def relative_key(path: Path, rootdir: Path) -> str:
    """A goperf.yaml as reports and shards name it: relative to the rootdir, with forward slashes."""
    try:
        return path.resolve().relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


@dataclass(frozen=True)
class ItemInfo:
    """What the plugin knows about one goperf test when it reports."""

    nodeid: str
    cfg: GoperfConfig
    gate: str
    key: tuple[str, ...] | None          # (benchmark, unit) of a bench row: the unit is last
    verdict: Verdict | None              # None when the test stopped on an error before a verdict


@dataclass
class _Pending:
    record: GateRecord
    done: bool = False


@dataclass
class Collector:
    """Verdicts and timings of one session, keyed by goperf.yaml."""

    rootdir: Path
    started: float = field(default_factory=time.time)
    services: dict[Path, ServiceRecord] = field(default_factory=dict)
    _pending: dict[str, _Pending] = field(default_factory=dict)

    def relative(self, path: Path) -> str:
        return relative_key(path, self.rootdir)

    def service(self, path: Path, name: str) -> ServiceRecord:
        if path not in self.services:
            self.services[path] = ServiceRecord(name=name, config=self.relative(path))
        return self.services[path]

    # --- fed by the plugin's hooks ------------------------------------------

    def collected(self, cfg: GoperfConfig, seconds: float) -> None:
        """A service was collected; ``seconds`` includes its bench rounds, which run during collection."""
        self.service(cfg.path, cfg.service.name).collect_s += seconds

    def collection_failed(self, path: Path, message: str) -> None:
        svc = self.service(path, path.parent.name or path.name)
        svc.error = message.strip()

    def phase(self, test: ItemInfo, report: Any) -> None:
        """One of pytest's setup/call/teardown reports for ``test``."""
        pending = self._pending.get(test.nodeid)
        if pending is None:
            threshold = test.cfg.thresholds.of(test.gate)
            rec = GateRecord(nodeid=test.nodeid, gate=test.gate, row=row_name(test.key, test.nodeid),
                             outcome="passed", headline="", message="",
                             expression=expressions.expression(test.gate, threshold),
                             limits={c.key: c.limit for c in expressions.checks(test.gate, threshold, {})},
                             line=test.cfg.lines.get(f"thresholds.{test.gate}"))
            pending = self._pending[test.nodeid] = _Pending(rec)
            self.service(test.cfg.path, test.cfg.service.name).gates.append(rec)
        rec = pending.record
        rec.duration_s += float(getattr(report, "duration", 0.0) or 0.0)
        when, outcome = report.when, report.outcome
        if when == "call":
            pending.done = True
            if test.verdict is not None:
                self._judged(rec, test)
            else:
                self._stopped(rec, outcome, report)
        elif outcome == "failed":          # setup or teardown went wrong
            pending.done = True
            self._stopped(rec, "failed", report)

    def _judged(self, rec: GateRecord, test: ItemInfo) -> None:
        v = test.verdict
        assert v is not None
        threshold = test.cfg.thresholds.of(test.gate)
        unit = test.key[-1] if test.key else None
        rec.outcome = v.outcome.value
        rec.message = v.message
        rec.figures = dict(v.figures)
        rec.warnings = list(v.warnings)
        rec.measured = expressions.measured(test.gate, threshold, v.figures, unit)
        rec.headline = expressions.headline(rec.outcome, test.gate, threshold, v.figures, v.message, rec.row, unit)
        broken = [c.key for c in expressions.checks(test.gate, threshold, v.figures, unit) if c.broken]
        if v.failed and broken:
            rec.line = test.cfg.lines.get(f"thresholds.{test.gate}.{broken[0]}", rec.line)

    @staticmethod
    def _stopped(rec: GateRecord, outcome: str, report: Any) -> None:
        text = str(getattr(report, "longreprtext", "") or "")
        if outcome == "skipped":
            longrepr = getattr(report, "longrepr", None)
            text = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else text
        rec.outcome = "failed" if outcome == "failed" else outcome
        rec.message = text.strip()
        rec.headline = expressions.first_line(text)

    # --- the end ------------------------------------------------------------

    def build(self, runs: Mapping[Path, GateRun], *, interrupted: bool = False,
              shard: dict[str, Any] | None = None, environment: dict[str, Any] | None = None,
              charts: bool = True) -> RunRecord:
        """The results so far: every finished test, and what each service's window and rounds left.

        ``charts=False`` skips reading the window's captures again (nothing asked for HTML or JSON).
        """
        from pytest_goperf import __version__

        for nodeid, pending in list(self._pending.items()):
            if not pending.done:                    # cut off mid-call: not a result
                for svc in self.services.values():
                    if pending.record in svc.gates:
                        svc.gates.remove(pending.record)
                del self._pending[nodeid]
        for path, run in runs.items():
            svc = self.service(path, run.name)
            svc.artifacts = str(run.artifacts) if run.artifacts.exists() else None
            svc.notes = list(run.notes)
            svc.timings = run.timings.to_json() if run.timings.phases else None
            _add_evidence(svc, run, charts)
        for svc in self.services.values():
            _share_time(svc)
        created = datetime.datetime.fromtimestamp(self.started, datetime.timezone.utc).isoformat(timespec="seconds")
        return RunRecord(services=list(self.services.values()), environment=environment or {}, created=created,
                         goperf_version=__version__, shard=shard, shards=[shard] if shard else [],
                         interrupted=interrupted)


def row_name(key: tuple[str, ...] | None, nodeid: str = "") -> str | None:
    """A bench row as its test id shows it: ``HandleRequest/small-2 sec/op`` (the unit last).

    The package shows only where the test id has it (two packages share the
    name: ``b/Parse-2 sec/op``), so the row is unique and as short as the id.
    """
    if not key:
        return None
    test = nodeid.rsplit("::", 1)[-1]
    if test.startswith("bench[") and test.endswith("]"):
        return test[len("bench["):-1]
    return " ".join(str(k) for k in key[1:] if k)


def _add_evidence(svc: ServiceRecord, run: GateRun, charts: bool) -> None:
    """Bench table and chart data, from whatever the run finished (never starts anything)."""
    from pytest_goperf.report.chartdata import bench_data, window_charts

    outcome = run.bench_if_done()
    if outcome is not None:
        svc.bench = bench_data(outcome)
    window = run.window_if_done() if charts else None
    if window is not None:
        try:
            svc.charts = window_charts(window)
        except GoperfError as exc:          # a report never fails the run that made it
            svc.charts = {"missing": {"window": str(exc).splitlines()[0]}}


def _share_time(svc: ServiceRecord) -> None:
    """JUnit ``time``: the service's measuring time shared out between the tests that read it.

    Bench rows share the rounds (run during collection); runtime gates share
    the load window (paid by whichever gate ran first).  So no test shows
    0.000 s, and the times add up to what the service cost.
    """
    bench = [g for g in svc.gates if g.gate == "bench"]
    runtime = [g for g in svc.gates if g.gate != "bench"]
    if bench:
        share = (svc.collect_s + sum(g.duration_s for g in bench)) / len(bench)
        for g in bench:
            g.time_s = max(share, 0.001)
    if runtime:
        share = sum(g.duration_s for g in runtime) / len(runtime)
        for g in runtime:
            g.time_s = max(share, 0.001)
