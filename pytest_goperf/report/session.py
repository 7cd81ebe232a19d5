"""The end of a pytest session: results built once, every report written, pytest's JUnit amended.

Runs from ``pytest_sessionfinish``, which pytest calls after a normal end,
after a failing build, and after Ctrl-C alike: whatever finished is written.
The terminal summary then shows what was written and where.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_goperf.report.collector import Collector
from pytest_goperf.report.outputs import Targets, write_reports
from pytest_goperf.report.records import RunRecord

if TYPE_CHECKING:
    from pytest_goperf.run.gate_run import GateRun


@dataclass(frozen=True)
class PytestJunit:
    """pytest's ``--junitxml`` file and how it names a test (classname, name)."""

    path: Path
    family: str
    names: Callable[[str], tuple[str, str]]


@dataclass
class SessionReports:
    results: RunRecord
    written: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    annotations: list[str] = field(default_factory=list)


def finish(collector: Collector, runs: Mapping[Path, GateRun], targets: Targets, *, interrupted: bool,
           shard: dict[str, Any] | None, junit: PytestJunit | None, github: bool) -> SessionReports:
    from pytest_goperf.report.environment import environment

    results = collector.build(runs, interrupted=interrupted, shard=shard, environment=environment(collector.rootdir),
                              charts=targets.wants_charts)
    written, problems = write_reports(results, targets)
    if junit is not None and junit.path.is_file() and results.gates:
        try:
            from pytest_goperf.report.junit_pytest import amend

            amend(junit.path, results.gates, junit.names, junit.family)
        except Exception as exc:  # noqa: BLE001 - pytest's own file stays as pytest wrote it
            problems.append(f"goperf: could not add the goperf figures to {junit.path}: {type(exc).__name__}: {exc}")
    annotations: list[str] = []
    if github:
        from pytest_goperf.report.github import error_annotations

        annotations = error_annotations(results)
    return SessionReports(results, written, problems, annotations)
