"""Nothing lost: a bad report path stops the run before any build; Ctrl-C and broken builds still write reports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..helpers import EXAMPLE, interruptible_pytest
from .conftest import run_pytest

BENCH_ONLY = """\
service: {name: NAME, module: MODULE}
bench: {packages: [.], bench: BENCH, count: 6, benchtime: 20x}
thresholds:
  bench: {max_regression: 5%, units: [sec/op]}
"""

INTERRUPTED = f"""\
service: {{name: interrupted, module: {EXAMPLE}}}
bench: {{packages: [.], bench: HandleRequest/small, count: 6, benchtime: 20x}}
load:
  warmup: 1s
  duration: 60s
  rate: 100
  requests: [{{method: POST, path: /api/process, body: '{{"items":["a"]}}'}}]
thresholds:
  # 100 %: this run checks that finished verdicts are reported, not PGO's effect; pgo-off against pgo at
  # 6 x 20x once read a real >5 % difference and failed the row (the gate right, this assertion wrong).
  bench: {{max_regression: 100%, units: [sec/op]}}
  latency: {{p99: 1s}}
"""

REPORTS = ["--goperf-json", "out/results.json", "--goperf-markdown", "out/summary.md", "--goperf-html", "out/html",
           "--goperf-metrics", "out/metrics.txt", "--junitxml", "out/junit.xml"]


@pytest.mark.parametrize(("option", "target"), [
    ("--goperf-json", "blocker/results.json"),
    ("--goperf-html", "blocker"),
    ("--goperf-markdown", "blocker/deeper/summary.md"),
    ("--goperf-metrics", "out"),
])
def test_unwritable_report_path_stops_before_any_build(tmp_path: Path, option: str, target: str) -> None:
    (tmp_path / "goperf.yaml").write_text(BENCH_ONLY.replace("NAME", "svc").replace("MODULE", str(EXAMPLE))
                                          .replace("BENCH", "HandleRequest/small"))
    (tmp_path / "blocker").write_text("a file where a folder should be")
    (tmp_path / "out").mkdir()
    proc = run_pytest(tmp_path, "--goperf", "goperf.yaml", "--goperf-artifacts", "art", option, target)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert line.startswith(f"ERROR: pytest-goperf: {option} ") and "cannot write there" in line, line
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "art").exists()             # nothing was built


def test_unwritable_step_summary_is_named(tmp_path: Path) -> None:
    (tmp_path / "goperf.yaml").write_text(BENCH_ONLY.replace("NAME", "svc").replace("MODULE", str(EXAMPLE))
                                          .replace("BENCH", "HandleRequest/small"))
    (tmp_path / "summary").mkdir()
    proc = run_pytest(tmp_path, "--goperf", "goperf.yaml", "--goperf-artifacts", "art",
                      env={"GITHUB_STEP_SUMMARY": str(tmp_path / "summary")})
    assert proc.returncode == 4
    assert "GITHUB_STEP_SUMMARY" in proc.stderr and "is a folder, not a file" in proc.stderr


def test_html_without_matplotlib_names_the_install_command(tmp_path: Path) -> None:
    (tmp_path / "goperf.yaml").write_text(BENCH_ONLY.replace("NAME", "svc").replace("MODULE", str(EXAMPLE))
                                          .replace("BENCH", "HandleRequest/small"))
    runner = "import sys, pytest; sys.modules['matplotlib'] = None; sys.exit(pytest.main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", runner, "-p", "no:cacheprovider", "--goperf", "goperf.yaml",
                           "--goperf-artifacts", "art", "--goperf-html", "report"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "pip install 'pytest-goperf[report]'" in proc.stderr and "--goperf-html" in proc.stderr
    assert not (tmp_path / "art").exists()


def test_ctrl_c_mid_window_still_writes_what_finished(tmp_path: Path) -> None:
    (tmp_path / "goperf.yaml").write_text(INTERRUPTED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    proc = subprocess.Popen(interruptible_pytest("-p", "no:cacheprovider", "--goperf", "goperf.yaml",
                             "--goperf-artifacts", "art", *REPORTS), cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if "capturing" in line:
                break
        else:
            raise AssertionError("the load window never started:\n" + "".join(seen))
        time.sleep(1.0)
        os.kill(proc.pid, signal.SIGINT)
        rest, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = "".join(seen) + rest
    assert "KeyboardInterrupt" in output
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["interrupted"] is True
    (svc,) = results["services"]
    tests = {g["test"]: g["outcome"] for g in svc["gates"]}
    assert tests and all(t.startswith("bench[") for t in tests), tests     # the rounds finished, the window did not
    assert set(tests.values()) == {"passed"}
    assert "interrupted" in (tmp_path / "out" / "summary.md").read_text()
    assert "interrupted" in (tmp_path / "out" / "html" / "index.html").read_text()
    assert "goperf_gate{" in (tmp_path / "out" / "metrics.txt").read_text()
    assert "goperf.outcome=passed" in (tmp_path / "out" / "junit.xml").read_text()
    assert "goperf: 0 failed, 1 passed, 0 skipped (interrupted: only what finished)" in output  # the sec/op row


BROKEN_MAIN = "package main\n\nfunc main() { undefinedFunction() }\n"
BROKEN_TEST = 'package main\n\nimport "testing"\n\nfunc BenchmarkX(b *testing.B) {}\n'


def test_a_failing_build_is_reported_and_the_other_service_still_judged(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "go.mod").write_text("module example.com/broken\n\ngo 1.22\n")
    (broken / "main.go").write_text(BROKEN_MAIN)
    (broken / "main_test.go").write_text(BROKEN_TEST)
    (broken / "goperf.yaml").write_text(BENCH_ONLY.replace("NAME", "broken").replace("MODULE", ".").replace("BENCH", "X"))
    good = tmp_path / "good"
    good.mkdir()
    # 100 %, as in INTERRUPTED: this run checks that the other service is still judged, not PGO's effect; pgo-off
    # against pgo at 6 x 20x read a real >5 % difference in a CI run and failed the row (the gate right, the test wrong).
    (good / "goperf.yaml").write_text(BENCH_ONLY.replace("NAME", "good").replace("MODULE", str(EXAMPLE))
                                      .replace("BENCH", "HandleRequest/small")
                                      .replace("max_regression: 5%", "max_regression: 100%"))
    proc = run_pytest(tmp_path, "--goperf", "broken", "good", "--goperf-artifacts", "art", *REPORTS)
    assert proc.returncode == 1, proc.stdout[-3000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    by_name = {s["name"]: s for s in results["services"]}
    (bench,) = by_name["broken"]["gates"]
    assert bench["test"] == "bench" and bench["outcome"] == "failed"
    assert "undefinedFunction" in bench["message"] and "\n" not in bench["headline"]
    good_gates = by_name["good"]["gates"]
    assert {g["outcome"] for g in good_gates} == {"passed"}, [(g["test"], g["message"]) for g in good_gates]
    assert by_name["good"]["bench"]["rows"]
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert summary.index("### Failures") < summary.index("`bench`") < summary.index("<summary>✓ <b>good</b>")
