"""The one longer end-to-end run: the real example gate through ``pytest --goperf``.

It is the README's Quick start with shorter windows: build both sides, run
interleaved rounds, start the service, load it at a fixed rate, capture a
CPU profile, a trace and heap/goroutine series in one window, judge every
threshold, and leave every artifact in the format its Go tool opens.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from pytest_goperf.go.toolchain import GoToolchain

from ..helpers import EXAMPLE, example_config


def test_example_gate_end_to_end(pytester: pytest.Pytester, go: GoToolchain) -> None:
    cfg = example_config()
    # count 10: B/op rows tie heavily (total bytes / N truncated); at 6 runs one can fall out of the
    # Tarone family and is skipped (loudly), which is right for the gate but not what this run checks.
    cfg["bench"].update(count=10, benchtime="50ms")
    # sec/op rows only: B/op differs by a byte between runs (8387 x11, 8388 x1), a tie the Tarone family
    # rightly skips (loudly); this run checks the plumbing, tests/bench the family.
    cfg["thresholds"]["bench"]["units"] = ["sec/op"]
    cfg["load"].update(warmup="1s", duration="5s", trace="2s", sample_every="250ms")  # 8 samples outside the trace
    # Over 5 s a service still warming up grows by a few %, which is many %/min: this run
    # checks the plumbing; detection is tested on a leaking service (test_health_gates_live).
    cfg["thresholds"]["heap"] = {"max_growth": "1000%/min"}  # fresh CI read +162%/min once
    cfg["thresholds"]["cpu"]["min_samples"] = 20  # a 5 s window holds far fewer than the default 385 samples (47 once)
    del cfg["thresholds"]["blocks"]  # judged by test_fault_switches; one net/http wait on a busy runner is noise here
    # The committed profile records the Go that refreshed it; a runner with another Go release would
    # (rightly) fail its toolchain-drift check, which tests/pgo covers.
    cfg["thresholds"]["pgo"] = {"require_same_toolchain": False}
    # Timing gates at limits no busy runner reaches: this run checks the plumbing end to end; the
    # gates' detection and false alarms are judged in test_fault_switches and benchmarks/.
    cfg["thresholds"].update(scheduler={"p99": "50ms"}, gc={"max_stw": "50ms"},
                             latency={"p99": "2s", "max_error_rate": "1%"})
    (pytester.path / "goperf.yaml").write_text(yaml.safe_dump(cfg))
    art = pytester.path / "art"
    junit = pytester.path / "perf.xml"
    result = pytester.runpytest("--goperf", "goperf.yaml", "--goperf-artifacts", str(art), f"--junitxml={junit}", "-v")

    result.stdout.fnmatch_lines([
        "*round 10/10 done (pgo-off + pgo)*",
        "*goperf.yaml::go-service::bench?HandleRequest/small-2 sec/op? PASSED*",
        "*goperf.yaml::go-service::pgo PASSED*",
        "*goperf.yaml::go-service::cpu PASSED*",
        "*goperf.yaml::go-service::latency PASSED*",
    ])
    result.assert_outcomes(passed=2 + 1 + 6)  # two sec/op rows, pgo, six runtime gates (blocks left out)
    # -v shows where the wall time went; the load window's measuring time is its warmup + duration.
    result.stdout.fnmatch_lines([
        "go-service: wall time per phase (measuring = inside benchmark binaries and the load window)",
        "  build pgo-off + pgo  * *.??s",
        "  rounds  * *.??s  * *.??s measuring",
        "  service start  * *.??s",
        "  load window  * *.??s     6.00s measuring",
        "  window analysis  * *.??s",
        "  total  * *.??s  * *.??s measuring, *.??x",
    ])

    svc = art / "go-service"
    for side in ("pgo-off", "pgo"):
        assert (svc / side / "go-service").is_file()
        assert list((svc / side / "tests").glob("*.test"))
    assert f"-pgo={EXAMPLE / 'default.pgo'}" in (svc / "pgo" / "buildinfo.txt").read_text()
    # the compiler's PGO report: the pgo side's packages compiled again with the debug flags, not linked a
    # second time (the measured binary is the one the function table is read from)
    log = (svc / "pgo" / "decisions.txt").read_text()
    assert log.startswith(f"$ {go.path} list -export ") and "hot-budget check allows inlining" in log, log[:2000]
    assert not (svc / "pgo" / "decisions.bin").exists()
    for name in ("old.txt", "new.txt", "cpu.pprof", "trace.out", "load.json", "series.json", "service.log"):
        assert (svc / name).is_file(), name
    # every artifact opens in its Go tool
    subprocess.run([str(go.path), "tool", "pprof", "-top", str(svc / "cpu.pprof")], check=True, capture_output=True)
    # the figures behind each verdict land in the JUnit report as key=value lines (xunit2 allows no
    # testcase properties; docs/reports.md#junit)
    report = junit.read_text()
    assert "\np_value=" in report and "\np99=" in report
