"""JUnit files written with the ``junit-xml`` package: ``goperf compare --junit`` and ``merge-reports``.

``junit-xml`` builds the suites; two of its habits break the xunit2 schema
pytest follows (tests/report/data/junit-10.xsd), so the built tree is
conformed before writing: its ``disabled`` counters are dropped and times
get at most three decimals, as the schema's ``SUREFIRE_TIME`` asks.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from junit_xml import TestCase, TestSuite

from pytest_goperf.report.junit_pytest import system_out
from pytest_goperf.report.records import RunRecord

MIN_TIME = 0.001


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _conform(suite: ET.Element) -> ET.Element:
    suite.attrib.pop("disabled", None)
    if "time" in suite.attrib:
        suite.set("time", _seconds(float(suite.get("time") or 0)))
    for case in suite.iter("testcase"):
        if "time" in case.attrib:
            case.set("time", _seconds(float(case.get("time") or 0)))
    return suite


def write_suites(suites: Sequence[TestSuite], path: Path, name: str) -> None:
    """``<testsuites>`` holding ``suites``, valid against the xunit2 schema, written atomically."""
    root = ET.Element("testsuites", name=name)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    time = 0.0
    for suite in suites:
        element = _conform(suite.build_xml_doc())
        for key in totals:
            totals[key] += int(element.get(key, "0"))
        time += float(element.get("time", "0"))
        root.append(element)
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _seconds(time))
    ET.indent(root)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


# --- goperf compare OLD NEW --junit FILE --------------------------------------


def compare_suite(comparison: Any, verdicts: Mapping[tuple[str, str, str], Any] | None,
                  properties: Mapping[str, Any], seconds: Mapping[tuple[str, str], float],
                  suite_name: str) -> TestSuite:
    """One testcase per package x benchmark x unit: the benchstat row, and its verdict if judged.

    ``seconds``: per (package, benchmark) the time the candidate's measured runs took, the testcase ``time``.
    """
    from pytest_goperf.bench.compare import vs_base
    from pytest_goperf.gates.bench import row_key

    cases = []
    for row in comparison.rows:
        verdict = verdicts.get(row_key(row)) if verdicts is not None else None
        figures = {"old": row.old.center if row.old else None, "new": row.new.center if row.new else None,
                   "delta_pct": row.delta_pct, "p_value": row.p_value, "n_old": row.old.n if row.old else 0,
                   "n_new": row.new.n if row.new else 0}
        if verdict is not None:
            figures.update(verdict.figures)
        lines = [f"vs_base={vs_base(row, comparison.alpha) or '-'}"]
        lines += [f"{k}={v}" for k, v in figures.items() if v is not None]
        lines += [f"warning={' '.join(w.split())}" for w in row.warnings]
        case = TestCase(name=f"{row.benchmark} {row.unit}", classname=row.pkg or suite_name,
                        elapsed_sec=max(seconds.get((row.pkg or "", row.benchmark), 0.0), MIN_TIME),
                        stdout="\n".join(lines) + "\n")
        if verdict is not None and verdict.failed:
            case.add_failure_info(message=_bench_headline(row, verdict), output=verdict.message)
        elif verdict is not None and verdict.skipped:
            case.add_skipped_info(message=verdict.message.splitlines()[0], output=verdict.message)
        elif row.old is None or row.new is None:
            case.add_skipped_info(message=f"{row.benchmark} {row.unit}: on one side only, nothing to compare")
        cases.append(case)
    props = {k: str(v) for k, v in properties.items() if v not in (None, "")}
    return TestSuite(suite_name, cases, properties=props)


def _bench_headline(row: Any, verdict: Any) -> str:
    """The same one line as a failing bench row in pytest's JUnit: ``... regression +29.90% > 5% (p=... n=8)``."""
    from pytest_goperf.gates.bench import BenchThreshold
    from pytest_goperf.report.expressions import headline

    f = verdict.figures
    threshold = BenchThreshold(max_regression=float(f.get("max_regression_pct") or 5.0) / 100,
                               alpha=float(f.get("alpha") or 0.05))
    return headline("failed", "bench", threshold, f, verdict.message, f"{row.benchmark} {row.unit}", row.unit)


# --- goperf merge-reports --junit FILE --------------------------------------------


def _classname(nodeid: str) -> str:
    """Like pytest's: the path with dots for slashes, then the service (``services.a.goperf.yaml.a``)."""
    head = nodeid.rsplit("::", 1)[0]
    path, _, rest = head.partition("::")
    parts = [path.replace("/", "."), *([p for p in rest.split("::") if p])]
    return ".".join(parts)


def results_suites(run: RunRecord) -> list[TestSuite]:
    """One suite per service, one testcase per goperf test, as pytest's own JUnit names them."""
    suites = []
    for svc in run.services:
        cases = []
        for g in svc.gates:
            case = TestCase(name=g.test, classname=_classname(g.nodeid), elapsed_sec=max(g.time_s, MIN_TIME),
                            stdout=system_out(g))
            if g.outcome == "failed":
                case.add_failure_info(message=g.headline, output=g.message)
            elif g.outcome == "skipped":
                case.add_skipped_info(message=g.headline, output=g.message)
            cases.append(case)
        if svc.error is not None:     # a failure, not <error>: the schema's testcase has no <error> element
            case = TestCase(name="collect", classname=svc.config.replace("/", "."), elapsed_sec=MIN_TIME)
            case.add_failure_info(message=svc.error.splitlines()[0] if svc.error else "collection failed",
                                  output=svc.error)
            cases.append(case)
        props = {"config": svc.config, **{k: str(v) for k, v in run.environment.items()}}
        suites.append(TestSuite(f"goperf {svc.name}", cases, properties=props))
    return suites


def write_results_junit(run: RunRecord, path: Path) -> None:
    write_suites(results_suites(run), path, "goperf")
