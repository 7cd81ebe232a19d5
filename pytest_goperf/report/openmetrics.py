"""OpenMetrics text: every verdict and every numeric figure, for GitLab's ``reports: metrics``.

GitLab's merge-request widget reads each line as ``name value``, splitting on
whitespace, and shows what changed against the target branch.  So label
values never hold spaces (a bench row is split into ``benchmark`` and
``unit`` labels; spaces elsewhere become ``_``), and the text is plain
OpenMetrics that ``prometheus_client``'s strict parser also accepts.
"""

from __future__ import annotations

import math
import re

from pytest_goperf.report.records import OUTCOMES, GateRecord, RunRecord, ServiceRecord

_LABEL_NAME = re.compile(r"[^a-zA-Z0-9_]")


def _value(text: str) -> str:
    """A label value: escaped as OpenMetrics asks, with whitespace turned into ``_``."""
    text = "_".join(str(text).split())
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _labels(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f'{_LABEL_NAME.sub("_", k)}="{_value(v)}"' for k, v in pairs) + "}"


def _number(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return repr(float(x)) if not float(x).is_integer() or abs(x) >= 1e15 else str(int(x))


def _gate_labels(svc: ServiceRecord, g: GateRecord) -> list[tuple[str, str]]:
    labels = [("service", svc.name), ("gate", g.gate)]
    if g.row is not None:
        benchmark, _, unit = g.row.rpartition(" ")
        labels += [("benchmark", benchmark or g.row), ("unit", unit)]
    return labels


def render(run: RunRecord) -> str:
    """The whole exposition, ending in ``# EOF``."""
    out = [
        "# TYPE goperf_gate stateset",
        "# HELP goperf_gate Outcome of each goperf test (one line per state, 1 for the one it is in).",
    ]
    for svc in run.services:
        for g in svc.gates:
            labels = _gate_labels(svc, g)
            for state in OUTCOMES:
                out.append(f"goperf_gate{_labels([*labels, ('goperf_gate', state)])} {int(g.outcome == state)}")
    out += [
        "# TYPE goperf_figure gauge",
        ("# HELP goperf_figure A number behind a verdict, named as in the JSON results' figures "
         "(seconds, bytes, fractions: see docs/reports.md)."),
    ]
    for svc in run.services:
        for g in svc.gates:
            labels = _gate_labels(svc, g)
            for name, value in g.figures.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    out.append(f"goperf_figure{_labels([*labels, ('figure', name)])} {_number(value)}")
    out += [
        "# TYPE goperf_service_duration_seconds gauge",
        "# UNIT goperf_service_duration_seconds seconds",
        "# HELP goperf_service_duration_seconds What each service cost this run: builds, rounds, window, judging.",
    ]
    out += [f"goperf_service_duration_seconds{_labels([('service', s.name)])} {_number(s.duration_s)}"
            for s in run.services]
    totals = run.totals()
    out += ["# TYPE goperf_tests gauge", "# HELP goperf_tests goperf tests by outcome."]
    out += [f"goperf_tests{_labels([('outcome', o)])} {totals[o]}" for o in OUTCOMES]
    out.append("# EOF")
    return "\n".join(out) + "\n"
