"""The ``goperf`` section of pytest's terminal summary, read like k6's threshold list.

One line per gate (verdict mark, test, threshold expression, measured value),
then each service's benchstat table, notes and artifacts folder, then the
report files written and the totals.  Under ``-q`` only the failures and the
totals.  Why a module of its own: ``plugin.py`` stays wiring only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pytest_goperf.errors import GoperfError
from pytest_goperf.go.toolchain import find_go
from pytest_goperf.report.records import GateRecord, RunRecord, ServiceRecord

if TYPE_CHECKING:
    from pytest_goperf.run.gate_run import GateRun

MARKS = {"passed": "✓", "failed": "✗", "skipped": "-"}


def gate_line(g: GateRecord, width: int = 0, expr_width: int = 0) -> str:
    """``✓ scheduler  p99 ≤ 500µs  p99=131µs``; a failure shows its headline, a skip its reason."""
    if g.outcome == "failed":
        value = g.headline
    elif g.outcome == "skipped":
        value = f"skipped: {g.headline}"
    else:
        value = g.measured or g.headline
    expr = g.expression or "-"
    return f"{MARKS.get(g.outcome, '?')} {g.test:<{width}}  {expr:<{expr_width}}  {value}".rstrip()


def service_lines(svc: ServiceRecord, only_failed: bool = False) -> list[str]:
    gates = [g for g in svc.gates if g.outcome == "failed"] if only_failed else svc.gates
    width = max((len(g.test) for g in gates), default=0)
    expr_width = max((len(g.expression or "-") for g in gates), default=0)
    lines = [f"  {gate_line(g, width, expr_width)}" for g in gates]
    if svc.error is not None:
        lines.append(f"  ✗ {svc.error.splitlines()[0] if svc.error else 'collection failed'}")
    return lines


def write_summary(terminalreporter: Any, runs: Iterable[GateRun], results: RunRecord | None, verbose: int,
                  written: Sequence[str] = (), annotations: Sequence[str] = (), timings: bool = False) -> None:
    """The whole section; nothing when goperf judged nothing and built nothing.

    ``timings`` (``--goperf-timings``, or any ``-v``) adds each service's wall time per phase.
    """
    runs = list(runs)
    services = results.services if results is not None else []
    if not services and not (results and results.shard) and not any(run.artifacts.exists() for run in runs):
        return
    tr = terminalreporter
    tr.section("goperf")
    for line in annotations:          # GitHub reads workflow commands from the step's output
        tr.write_line(line)
    quiet = verbose < 0
    if not quiet:
        try:
            tr.write_line(f"Go toolchain: {find_go().describe()}")
        except GoperfError:
            pass
    by_name = {run.name: run for run in runs}
    for svc in services:
        failed = svc.outcome == "failed"
        if quiet and not failed:
            continue
        tr.write_line(f"{svc.name} ({svc.config})", bold=True, red=failed)
        for line in service_lines(svc, only_failed=quiet):
            tr.write_line(line, red=line.lstrip().startswith("✗"))
        run = by_name.get(svc.name)
        if not quiet:
            _details(tr, svc, run)
            if run is not None and (timings or verbose > 0):
                for line in run.timings.lines(svc.name):
                    tr.write_line(line)
        bench = run.bench_if_done() if run is not None else None
        for alert in bench.alerts if bench is not None else ():  # said even under -q: a family too big, ...
            tr.write_line(f"  WARNING: {svc.name}: {alert}", yellow=True, bold=True)
    if not quiet:
        shard = results.shard if results is not None else None
        if shard:
            tr.write_line(f"goperf shard {shard['index']}/{shard['total']}: {len(shard.get('files', []))} goperf.yaml "
                          f"file(s) here, {shard.get('other_files', 0)} left to the other shards")
        for line in written:
            tr.write_line(line)
    if results is not None and services:
        t = results.totals()
        red = bool(t["failed"] or t["errors"])
        tr.write_line(f"goperf: {results.totals_line()}", bold=True, red=red, green=not red)


def _details(tr: Any, svc: ServiceRecord, run: GateRun | None) -> None:
    """The benchstat table, the artifacts folder and the run's notes."""
    if svc.bench is not None:
        old_file, new_file = svc.bench.get("old_file") or "old.txt", svc.bench.get("new_file") or "new.txt"
        tr.write_line(f"{svc.name}: {old_file} vs {new_file}")
        tr.write_line(str(svc.bench.get("table", "")).rstrip())
    if run is not None:
        from pytest_goperf.run.pgo_run import summary_lines

        for line in summary_lines(run):  # the refreshed profile, and the measured PGO gain with its sensitivity
            tr.write_line(line)
    if svc.artifacts:
        tr.write_line(f"{svc.name}: artifacts in {svc.artifacts}")
    notes = run.notes if run is not None else svc.notes
    for note in notes:
        tr.write_line(f"  note: {note}")
