"""goperf_bench's baselines (pgo-off, file:, git:) and how bad arguments and failures read in a Python test."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ..helpers import EXAMPLE

FILES = ("go.mod", "main.go", "process.go", "process_test.go", "faults.go", "default.pgo")

PY_TEST = '''
import pytest
from pytest_goperf import assert_improvement, assert_latency, assert_no_regression, compare_files

QUICK = dict(bench="HandleRequest/small", packages=["."], count=4, benchtime="20x")


@pytest.mark.goperf
def test_three_baselines(goperf_bench):
    pgo = goperf_bench(".", **QUICK)
    assert pgo.old is not None and pgo.new.side.label == "pgo" and pgo.rounds == 4
    assert "pgo-off vs pgo, 4 rounds" in repr(pgo) and str(pgo.old_txt) in repr(pgo)
    assert pgo.comparison.old_name == str(pgo.old_txt)   # messages name the files, as the YAML gate's do
    saved = goperf_bench(".", baseline=f"file:{pgo.new_txt}", candidate="worktree", **QUICK,
                         bench_options={"gomaxprocs_mismatch": "refuse"})
    assert "gomaxprocs_mismatch: refuse" in saved.config.read_text()
    assert saved.old is None and saved.artifacts.name == "bench-2"
    assert saved.old_txt.read_text() == pgo.new_txt.read_text()
    assert any("baseline is the file" in n for n in saved.notes)
    git = goperf_bench(".", baseline="git:HEAD", candidate="worktree", **QUICK)
    assert git.old is not None and git.old.side.label == "git-HEAD"
    for result in (pgo, saved, git):
        assert {r.unit for r in result.comparison.rows} >= {"sec/op", "B/op", "allocs/op"}


@pytest.mark.goperf
def test_bad_argument(goperf_bench):
    goperf_bench(".", baseline="pgo-of")


@pytest.mark.goperf
def test_latency_fails(goperf_build, goperf_service, goperf_capture):
    service = goperf_service(goperf_build(".", "pgo", packages=None).service_binary)
    short = dict(warmup="500ms", duration=1, rate=50, requests=["/healthz"], trace=0, sample_every=None)
    bare = goperf_capture((service.url, None), **short)     # attached, no debug_url: the load only
    assert bare.load.ok > 0 and "cpu" in bare.errors and "cpu: failed: no debug_url" in repr(bare)
    with pytest.raises(Exception, match="no debug_url"):
        bare.cpu
    with pytest.raises(Exception, match="built-in generator only"):
        goperf_capture(service, load_options={"tool": "vegeta"})
    capture = goperf_capture(service, **short, load_options={"threads": 2})
    assert capture.artifacts.name == "capture-2" and capture.cpu_path.is_file()
    assert_latency(capture.load, p99="1ns")


@pytest.mark.goperf
def test_gate_fails(tmp_path):
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("".join(f"BenchmarkParse-2 1000 {ns} ns/op\\n" for ns in (100, 101, 99, 100, 102, 98)))
    new.write_text("".join(f"BenchmarkParse-2 1000 {ns} ns/op\\n" for ns in (150, 151, 149, 150, 152, 148)))
    assert_no_regression(compare_files(old, new), max_regression="5%")
'''


def test_bench_baselines_and_failures(pytester: pytest.Pytester) -> None:
    for name in FILES:
        shutil.copy(EXAMPLE / name, pytester.path / name)
    test_file = pytester.makepyfile(test_api=PY_TEST)
    for args in (["init", "-q"], ["add", "."], ["-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=pytester.path, check=True, capture_output=True)
    result = pytester.runpytest("--goperf", "--goperf-artifacts", str(pytester.path.parent / "art"),
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=3)
    out = result.stdout.str()
    # A bad argument is the YAML loader's one-line error on the goperf.yaml the arguments became.
    bad = (rf"{test_file}:\d+: .*goperf_bench\.yaml:\d+: bench\.baseline: must be pgo-off, "
           r"git:<ref> or file:<old\.txt>, got 'pgo-of'")
    result.stdout.re_match_lines([bad])
    # A gate failure reads as the YAML gate's message, at the test's line, without a traceback.
    result.stdout.re_match_lines([rf"{test_file}:\d+: 1 of \d+ row\(s\) regressed:"])
    assert "Traceback" not in out and "def test_gate_fails" not in out
    # A capture's failure carries the machine's noise over its windows, as a YAML runtime verdict does.
    result.stdout.re_match_lines([rf"{test_file}:\d+: latency.*p99", r"capture-2: machine noise over the \d+s window: .*"])
