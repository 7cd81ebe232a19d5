"""The one longer end-to-end run: the real example gate through ``pytest --goperf``.

It is the README's Quick start with shorter windows: build both sides, run
interleaved rounds, start the service, load it at a fixed rate, capture a
CPU profile, a trace and heap/goroutine series in one window, judge every
threshold, and leave every artifact in the format its Go tool opens.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from pytest_goperf.go.toolchain import GoToolchain

from ..conftest import EXAMPLE


def test_example_gate_end_to_end(pytester: pytest.Pytester, go: GoToolchain) -> None:
    cfg = yaml.safe_load((EXAMPLE / "goperf.yaml").read_text())
    cfg["service"]["module"] = str(EXAMPLE)
    cfg["bench"].update(count=6, benchtime="50ms")
    cfg["load"].update(warmup="1s", duration="5s", trace="2s")
    # Over 5 s a service still warming up grows by a few %, which is many %/min: this run
    # checks the plumbing; detection is tested on a leaking service (test_health_gates_live).
    cfg["thresholds"]["heap"] = {"max_growth": "60%/min"}
    (pytester.path / "goperf.yaml").write_text(yaml.safe_dump(cfg))
    art = pytester.path / "art"
    junit = pytester.path / "perf.xml"
    result = pytester.runpytest("--goperf", "goperf.yaml", "--goperf-artifacts", str(art), f"--junitxml={junit}", "-v")

    result.stdout.fnmatch_lines([
        "*round 6/6 done (pgo-off + pgo)*",
        "*goperf.yaml::go-service::bench?HandleRequest/small-2 sec/op? PASSED*",
        "*goperf.yaml::go-service::cpu PASSED*",
        "*goperf.yaml::go-service::latency PASSED*",
    ])
    result.assert_outcomes(passed=12)

    svc = art / "go-service"
    for side in ("pgo-off", "pgo"):
        assert (svc / side / "go-service").is_file()
        assert list((svc / side / "tests").glob("*.test"))
    assert f"-pgo={EXAMPLE / 'default.pgo'}" in (svc / "pgo" / "buildinfo.txt").read_text()
    for name in ("old.txt", "new.txt", "cpu.pprof", "trace.out", "load.json", "series.json", "service.log"):
        assert (svc / name).is_file(), name
    # every artifact opens in its Go tool
    subprocess.run([str(go.path), "tool", "pprof", "-top", str(svc / "cpu.pprof")], check=True, capture_output=True)
    # the figures behind each verdict land in the JUnit report as key=value lines (xunit2 allows no
    # testcase properties; docs/reports.md#junit)
    report = junit.read_text()
    assert "\np_value=" in report and "\np99=" in report
