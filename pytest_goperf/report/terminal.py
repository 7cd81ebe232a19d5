"""The ``goperf`` section of pytest's terminal summary.

Why a module of its own: the summary grows with every gate and report, and
``plugin.py`` stays wiring only (the hook calls ``write_summary``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pytest_goperf.errors import GoperfError
from pytest_goperf.go.toolchain import find_go

if TYPE_CHECKING:
    from pytest_goperf.run.gate_run import GateRun


def write_summary(terminalreporter: Any, runs: Iterable[GateRun], verbose: int) -> None:
    """Toolchain, each service's benchstat table, where its artifacts are, and its notes."""
    runs = [run for run in runs if run.artifacts.exists()]
    if not runs:
        return
    terminalreporter.section("goperf")
    try:
        terminalreporter.write_line(f"Go toolchain: {find_go().describe()}")
    except GoperfError:
        pass
    for run in runs:
        outcome = run.bench_if_done()
        if outcome is not None and verbose >= -1:
            from pytest_goperf.bench.compare import render_table

            terminalreporter.write_line(f"{run.name}: {outcome.outputs.old or 'old.txt'} vs {outcome.outputs.new}")
            terminalreporter.write_line(render_table(outcome.comparison).rstrip())
        terminalreporter.write_line(f"{run.name}: artifacts in {run.artifacts}")
        for note in run.notes:
            terminalreporter.write_line(f"  note: {note}")
