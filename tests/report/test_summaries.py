"""Markdown caps, GitHub annotations, the quiet terminal summary and CSP-safe SVG, on results built in the test."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from pytest_goperf.report import markdown
from pytest_goperf.report.github import error_annotations
from pytest_goperf.report.records import GateRecord, RunRecord, ServiceRecord
from pytest_goperf.report.svg import UnsafeSvg, csp_safe
from pytest_goperf.report.terminal import write_summary


def _gate(svc: str, test: str, outcome: str, message: str = "") -> GateRecord:
    return GateRecord(nodeid=f"{svc}/goperf.yaml::{svc}::{test}", gate=test.split("[")[0], row=None, outcome=outcome,
                      headline=f"{test} {outcome} headline", message=message or f"{test} {outcome} headline\ndetails",
                      expression="p99 ≤ 1ms", measured="p99=2ms", figures={"p99": 0.002}, line=7)


def big_run(services: int, message_kib: int) -> RunRecord:
    run = RunRecord(environment={"go_version": "go1.26.8"})
    for i in range(services):
        name = f"svc{i:03d}"
        svc = ServiceRecord(name=name, config=f"{name}/goperf.yaml",
                            bench={"old": "pgo-off", "new": "pgo", "table": "sec/op  pgo-off  pgo\n" * 200})
        svc.gates = [_gate(name, "latency", "failed" if i % 7 == 0 else "passed", "x" * (message_kib * 1024)),
                     _gate(name, "cpu", "passed"), _gate(name, "gc", "skipped")]
        run.services.append(svc)
    return run


@pytest.mark.parametrize("limit", [markdown.STEP_SUMMARY_LIMIT, markdown.COMMENT_LIMIT, 20_000])
def test_markdown_stays_under_the_limit_and_says_what_it_cut(limit: int) -> None:
    run = big_run(services=400, message_kib=4)
    text = markdown.render(run, limit)
    assert len(text.encode("utf-8")) <= limit
    assert text.startswith("## goperf ✗ 58 failed, 742 passed, 400 skipped")
    assert "> Cut: " in text and "left out" in text
    assert text.count("<details") == text.count("</details>")
    assert text.index("### Failures") < text.index("`latency`")   # the first failure always makes it


def test_markdown_uncut_when_it_fits() -> None:
    text = markdown.render(big_run(services=3, message_kib=1), markdown.COMMENT_LIMIT)
    assert "Cut:" not in text
    assert text.index("### Failures") < text.index("<details open><summary>✗ <b>svc000</b>")
    assert text.count("| ✓ | `cpu` | p99 ≤ 1ms | p99=2ms |") == 3


def test_error_annotations_point_at_the_threshold_line() -> None:
    run = big_run(services=1, message_kib=0)
    run.services[0].gates[0].headline = "p99 2ms > 1ms (+100%), 50% worse"
    (line,) = error_annotations(run)
    assert line == ("::error file=svc000/goperf.yaml,line=7,title=goperf svc000%3A%3Alatency::"
                    "p99 2ms > 1ms (+100%25), 50%25 worse (threshold: p99 ≤ 1ms)")


class _Terminal:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def section(self, title: str) -> None:
        self.lines.append(f"== {title} ==")

    def write_line(self, line: str, **_markup: Any) -> None:
        self.lines.append(line)


def test_quiet_summary_shows_only_failures_and_totals() -> None:
    run = big_run(services=8, message_kib=0)
    tr = _Terminal()
    write_summary(tr, [], run, verbose=-1, written=["goperf json: x.json"])
    body = tr.lines[1:]
    assert all(ln.startswith(("svc", "  ✗", "goperf:")) for ln in body), body
    assert sum(ln.startswith("  ✗") for ln in body) == 2
    assert body[-1] == "goperf: 2 failed, 14 passed, 8 skipped"
    loud = _Terminal()
    write_summary(loud, [], run, verbose=0, written=["goperf json: x.json"])
    assert sum(ln.startswith("  ✓") for ln in loud.lines) == 14 and "goperf json: x.json" in loud.lines


def test_svg_loses_every_style_but_keeps_its_drawing() -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.plot([1, 2, 3], [3, 1, 2], color="#1f77b4", ls="--")
    ax.fill_between([1, 2, 3], [0, 0, 0], [1, 2, 1], alpha=0.3)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    raw = buf.getvalue()
    assert 'style="' in raw and "<style" in raw
    safe = csp_safe(raw)
    assert "style" not in safe.replace("linestyle", "")
    assert 'stroke="#1f77b4"' in safe and 'stroke-dasharray="' in safe and 'stroke-linejoin="round"' in safe
    ET.fromstring(safe.encode())
    with pytest.raises(UnsafeSvg):
        csp_safe('<svg xmlns="http://www.w3.org/2000/svg"><text style="font: 10px sans">x</text></svg>')


def test_phase_timings_add_up_and_survive_the_json_report() -> None:
    """Phases of one name add up, a failing block is still timed, and the JSON report keeps them (a merge too)."""
    import time

    from pytest_goperf.run.timings import PhaseTimings

    t = PhaseTimings()
    t.add("build pgo", 2.0)
    with t.phase("rounds") as rounds:
        time.sleep(0.01)
        rounds.measuring = 5.0                 # more than the block took: capped at its wall time
    with pytest.raises(RuntimeError), t.phase("window analysis"):
        raise RuntimeError("a gate crashed")
    t.add("window analysis", 0.5)
    names = [p.name for p in t.phases]
    assert names == ["build pgo", "rounds", "window analysis"]
    by = {p.name: p for p in t.phases}
    assert by["rounds"].measuring == by["rounds"].seconds >= 0.01
    assert by["window analysis"].seconds >= 0.5     # the crashed block's time plus the 0.5 s added
    assert t.ratio() == pytest.approx(t.total / by["rounds"].seconds)
    lines = t.lines("svc")
    assert lines[0].startswith("svc: wall time per phase") and lines[-1].lstrip().startswith("total")
    assert lines[-1].endswith(f"measuring, {t.ratio():.2f}x")
    svc = ServiceRecord(name="svc", config="svc/goperf.yaml", timings=t.to_json())
    again = ServiceRecord.from_json(svc.to_json())
    assert again.timings == svc.timings and again.timings["phases"][0] == {"phase": "build pgo", "s": 2.0,
                                                                           "measuring_s": 0.0}
    assert PhaseTimings().ratio() is None and PhaseTimings().lines("svc") == []
