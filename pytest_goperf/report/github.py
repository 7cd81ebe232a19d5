"""GitHub Actions workflow commands: an ``::error`` annotation per failed gate.

Why: GitHub shows annotations on the run's summary page and on the pull
request's changed files, at the line of the threshold in goperf.yaml that
broke.  Written to the step's output, which GitHub reads for such commands.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pytest_goperf.report.records import RunRecord, service_order


def on_github(env: Mapping[str, str] = os.environ) -> bool:
    return env.get("GITHUB_ACTIONS") == "true" or bool(env.get("GITHUB_STEP_SUMMARY"))


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def error_annotations(run: RunRecord) -> list[str]:
    """``::error file=...,line=...,title=...::headline`` for each failed gate and each service that failed to load."""
    out = []
    for svc in service_order(run.services):
        if svc.error is not None:
            out.append(f"::error file={_property(svc.config)},title={_property(f'goperf {svc.name}')}::"
                       f"{_data(svc.error.splitlines()[0] if svc.error else 'collection failed')}")
        for g in svc.gates:
            if g.outcome != "failed":
                continue
            where = f"file={_property(svc.config)}" + (f",line={g.line}" if g.line else "")
            title = _property(f"goperf {svc.name}::{g.test}")
            message = g.headline + (f" (threshold: {g.expression})" if g.expression else "")
            out.append(f"::error {where},title={title}::{_data(message)}")
    return out
