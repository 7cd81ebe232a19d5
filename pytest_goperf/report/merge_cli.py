"""``goperf merge-reports``: read shard results, write every report once, print the summary.

Kept out of ``cli.py`` so that the command stays a thin argument parser.
Targets are checked before anything is read, as in the plugin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from pytest_goperf.report.github import error_annotations, on_github
from pytest_goperf.report.merge import find_results, merge
from pytest_goperf.report.outputs import Targets, check_targets, write_reports
from pytest_goperf.report.terminal import service_lines

OPTIONS = {"html": "--html", "markdown": "--markdown", "json": "--json", "metrics": "--metrics",
           "junit": "--junit", "step_summary": "GITHUB_STEP_SUMMARY"}


def run_merge(results: Sequence[Path], paths: Mapping[str, Path | None], out: TextIO) -> bool:
    """Merge and write; True when the merged run failed (a gate failed, a shard is missing)."""
    targets = Targets.from_env(paths)
    check_targets(targets, OPTIONS)
    files = find_results(results)
    run, problems = merge(files)
    out.write(f"goperf merge-reports: {len(files)} result file(s), {len(run.services)} service(s)\n")
    if on_github():
        out.writelines(line + "\n" for line in error_annotations(run))
    for svc in run.services:
        out.write(f"{svc.name} ({svc.config})\n")
        out.writelines(line + "\n" for line in service_lines(svc))
    out.writelines(f"goperf merge-reports: {problem}\n" for problem in problems)
    written, failures = write_reports(run, targets)
    out.writelines(line + "\n" for line in written + failures)
    out.write(f"goperf: {run.totals_line()}\n")
    return run.failed or bool(problems) or bool(failures)
