"""Every report format of a passing and a failing example run, checked against the verdicts themselves.

The truth is ``verdicts.json``, written by a conftest from each item's
``Verdict`` (see conftest.py).  Each test opens one format the way its
consumer does (schema validator, OpenMetrics parser, HTML parser) and checks
outcomes and figures against that truth.
"""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from .conftest import Run

SCHEMA = Path(__file__).parent / "data" / "junit-10.xsd"
SERVICE = "goperf.yaml::go-service::"


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def test_the_runs_hold_every_outcome(passing_run: Run, failing_run: Run) -> None:
    passing = {v["outcome"] for v in passing_run.verdicts.values()}
    failing = [v["outcome"] for v in failing_run.verdicts.values()]
    assert passing == {"passed"} and len(passing_run.verdicts) >= 11  # 4 bench rows (sec/op, B/op), pgo, 6 runtime
    assert {"passed", "failed", "skipped"} <= set(failing)
    assert failing_run.verdicts[SERVICE + "latency"]["outcome"] == "failed"
    assert failing_run.verdicts[SERVICE + "bench[HandleRequest/small-2 allocs/op]"]["outcome"] == "failed"
    assert failing_run.verdicts[SERVICE + "bench[Gone-2 sec/op]"]["outcome"] == "skipped"


def test_json_holds_every_verdict_with_its_figures(example_run: Run) -> None:
    data = example_run.results()
    assert data["schema"] == "goperf-results/1"
    assert {"go_version", "goos", "goarch", "cpu", "gomaxprocs"} <= set(data["environment"])
    (svc,) = data["services"]
    gates = {g["nodeid"]: g for g in svc["gates"]}
    assert set(gates) == set(example_run.verdicts)
    for nodeid, truth in example_run.verdicts.items():
        g = gates[nodeid]
        assert g["outcome"] == truth["outcome"], nodeid
        assert g["message"] == truth["message"]
        for name, value in truth["figures"].items():
            kept = value is None or _numeric(value) or isinstance(value, (str, bool))
            assert g["figures"][name] == (value if kept else None), \
                (nodeid, name, value)
        assert g["expression"] and g["headline"] and g["time_s"] > 0
    assert data["totals"]["failed"] == sum(v["outcome"] == "failed" for v in example_run.verdicts.values())
    assert {"series", "latency", "trace", "top"} <= set(svc["charts"]), svc["charts"].get("missing")
    assert svc["bench"]["rows"] and svc["duration_s"] > 0


def _junit_cases(run: Run) -> dict[str, ET.Element]:
    root = ET.parse(run.out / "junit.xml").getroot()
    return {f"{SERVICE}{tc.get('name')}": tc for tc in root.iter("testcase") if tc.get("classname") == "goperf.yaml.go-service"}


def test_junit_validates_and_carries_figures_three_ways(example_run: Run) -> None:
    xmlschema.XMLSchema(SCHEMA).validate(example_run.out / "junit.xml")
    root = ET.parse(example_run.out / "junit.xml").getroot()
    names = [(tc.get("classname"), tc.get("name")) for tc in root.iter("testcase")]
    assert len(names) == len(set(names)) == len(example_run.verdicts)
    assert all(float(tc.get("time", "0")) > 0 for tc in root.iter("testcase"))
    results = {g["nodeid"]: g for g in example_run.results()["services"][0]["gates"]}
    for nodeid, tc in _junit_cases(example_run).items():
        truth = example_run.verdicts[nodeid]
        assert tc.find("properties") is None          # xunit2 has no testcase properties: moved into system-out
        out = tc.findtext("system-out") or ""
        pairs = dict(line.split("=", 1) for line in out.splitlines() if "=" in line and not line.startswith("warning="))
        assert pairs["goperf.outcome"] == truth["outcome"]
        for name, value in truth["figures"].items():
            if _numeric(value):
                assert float(pairs[name]) == pytest.approx(value, rel=1e-12, abs=0), (nodeid, name)
        failure = tc.find("failure")
        assert (failure is not None) == (truth["outcome"] == "failed")
        if failure is not None:
            message = failure.get("message", "")
            assert "\n" not in message and message == results[nodeid]["headline"]
            assert truth["message"].splitlines()[0] in (failure.text or "")


def test_failure_messages_name_the_broken_limit(failing_run: Run) -> None:
    cases = _junit_cases(failing_run)
    latency = cases[SERVICE + "latency"].find("failure")
    assert latency is not None
    assert re.fullmatch(r"p99 \S+ > 1µs \(x[\d,]+\)", latency.get("message", "")), latency.get("message")
    allocs = cases[SERVICE + "bench[HandleRequest/small-2 allocs/op]"].find("failure")
    assert allocs is not None
    assert re.fullmatch(r"HandleRequest/small-2 allocs/op regression \+\d+\.\d+% > 5% \(p=\S+ n=6\+\d+\)",
                        allocs.get("message", "")), allocs.get("message")
    # -ra shows the same line after the test id
    assert f"FAILED {SERVICE}latency - {latency.get('message')}" in failing_run.proc.stdout


def _summary_lines(stdout: str) -> list[str]:
    section = stdout.split("= goperf =", 1)[1]
    return section.split("short test summary info", 1)[0].splitlines()


def test_terminal_summary_lists_each_gate_like_k6(example_run: Run) -> None:
    lines = _summary_lines(example_run.proc.stdout)
    results = {g["nodeid"]: g for g in example_run.results()["services"][0]["gates"]}
    mark = {"passed": "✓", "failed": "✗", "skipped": "-"}
    for nodeid, truth in example_run.verdicts.items():
        g = results[nodeid]
        test = nodeid.rsplit("::", 1)[1]
        (line,) = [ln for ln in lines if ln.strip().startswith(f"{mark[truth['outcome']]} {test} ")]
        assert g["expression"] in line
        assert (g["headline"] if truth["outcome"] != "passed" else g["measured"]) in line
    text = "\n".join(lines)
    assert "sec/op" in text and "vs base" in text and "artifacts in" in text
    n = {o: sum(v["outcome"] == o for v in example_run.verdicts.values()) for o in ("failed", "passed", "skipped")}
    assert f"goperf: {n['failed']} failed, {n['passed']} passed, {n['skipped']} skipped" in text
    annotations = [ln for ln in lines if ln.startswith("::error ")]
    assert len(annotations) == n["failed"]
    if n["failed"]:
        assert any(re.match(r"::error file=goperf\.yaml,line=\d+,title=goperf go-service%3A%3Alatency::p99 ", a)
                   for a in annotations), annotations


def test_markdown_summary_puts_failures_first(example_run: Run) -> None:
    step = (example_run.folder / "step-summary.md").read_text()
    ours = (example_run.out / "summary.md").read_text()
    assert step.startswith("## an earlier step's summary\n") and step.endswith(ours)
    results = {g["nodeid"]: g for g in example_run.results()["services"][0]["gates"]}
    failed = [n for n, v in example_run.verdicts.items() if v["outcome"] == "failed"]
    first_service_block = min(ours.index(f"<summary>{m} <b>go-service</b>") for m in "✓✗" if f"<summary>{m} <b>" in ours)
    if failed:
        failures = ours.index("### Failures")
        assert failures < first_service_block and "<details open><summary>✗ <b>go-service</b>" in ours
        for nodeid in failed:
            assert failures < ours.index(html.escape(results[nodeid]["headline"])) < first_service_block
    else:
        assert "### Failures" not in ours
    rows = [ln for ln in ours.splitlines() if re.match(r"^\| [✓✗-] \| `", ln)]
    assert len(rows) == len(example_run.verdicts)
    for g in results.values():
        assert any(f"`{g['test']}`" in r and g["expression"] in r for r in rows)
    assert ours.count("<details") == ours.count("</details>")


def test_openmetrics_parses_and_matches(example_run: Run) -> None:
    text = (example_run.out / "metrics.txt").read_text()
    families = {f.name: f for f in text_string_to_metric_families(text)}      # strict OpenMetrics parser
    states: dict[tuple[str, ...], dict[str, float]] = {}
    for s in families["goperf_gate"].samples:
        key = (s.labels["gate"], s.labels.get("benchmark", ""), s.labels.get("unit", ""))
        states.setdefault(key, {})[s.labels["goperf_gate"]] = s.value
    figures = {(s.labels["gate"], s.labels.get("benchmark", ""), s.labels.get("unit", ""), s.labels["figure"]): s.value
               for s in families["goperf_figure"].samples}
    for nodeid, truth in example_run.verdicts.items():
        test = nodeid.rsplit("::", 1)[1]
        m = re.fullmatch(r"bench\[(\S+) (\S+)\]", test)
        key = ("bench", m.group(1), m.group(2)) if m else (test, "", "")
        assert states[key] == {o: float(o == truth["outcome"]) for o in ("passed", "failed", "skipped")}
        for name, value in truth["figures"].items():
            if _numeric(value):
                assert figures[(*key, name)] == pytest.approx(value, rel=1e-12)
    for line in text.splitlines():       # GitLab's metrics report splits each line on whitespace: name, value
        assert line.startswith("#") or len(line.split()) == 2, line


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_is_static_and_every_chart_states_its_verdict(example_run: Run) -> None:
    folder = example_run.out / "html"
    page = (folder / "index.html").read_text()
    parser = _Page()
    parser.feed(page)
    tags = parser.tags
    assert not [t for t, a in tags if t in ("script", "style") or "style" in a or any(k.startswith("on") for k in a)]
    stylesheets = [a["href"] for t, a in tags if t == "link" and a.get("rel") == "stylesheet"]
    assert stylesheets == ["style.css"] and (folder / "style.css").is_file()
    images = [a["src"] for t, a in tags if t == "img"]
    assert len(images) == 8, images
    for src in images:
        svg = (folder / str(src)).read_text()
        assert "<svg" in svg and "style=" not in svg and "<style" not in svg and "<script" not in svg
    captions = re.findall(r'<span class="verdict (\w+)">([^<]*)</span>', page)
    by_gate = {re.sub(r"^[✓✗-] ", "", text).split(" ", 1)[0].rstrip(":"): css for css, text in captions}
    for nodeid, truth in example_run.verdicts.items():
        gate = nodeid.rsplit("::", 1)[1].split("[", 1)[0]
        if gate in by_gate and gate != "bench":
            assert by_gate[gate] == truth["outcome"], (gate, captions)
    bench = [v["outcome"] for n, v in example_run.verdicts.items() if "::bench[" in n]
    assert by_gate["bench"] == ("failed" if "failed" in bench else "passed")
