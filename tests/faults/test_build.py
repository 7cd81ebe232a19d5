"""Build and toolchain rows of the fault matrix: each fault fails its gate (exit 1) with the cause and the fix.

One session over seven services; tiny modules in tests/data/faults (a
compile error, a library where a command belongs, benchmarks that panic,
call b.Fatal or are not matched).  Per case: the gate's test fails with
exactly one message naming the cause and what to change, no traceback,
the service's artifacts folder is kept, and no process is left.
"""

from __future__ import annotations

import re

import pytest

from tests.faults.harness import DATA, Session, run_goperf
from tests.helpers import processes_under
from tests.helpers import EXAMPLE

GATE = "thresholds: {bench: {max_regression: 5%}}\n"
LOAD = "load: {duration: 1s, rate: 5, requests: [{path: /}]}\nthresholds: {latency: {p99: 1s}}\n"


def _bench(name: str, module: object, bench: str, extra: str = "") -> str:
    return (f"service: {{name: {name}, module: {module}}}\n"
            f"bench: {{packages: [.], bench: '{bench}', count: 4, benchtime: 1x{extra}}}\n{GATE}")


FILES = {
    "file_baseline": _bench("file_baseline", EXAMPLE, "HandleRequest/small", ", baseline: 'file:missing.txt'"),
    "git_ref": _bench("git_ref", EXAMPLE, "HandleRequest/small", ", baseline: 'git:no-such-ref-xyz'"),
    "not_main": f"service: {{name: not_main, module: {DATA / 'library'}, main: .}}\n{LOAD}",
    "compile_error": f"service: {{name: compile_error, module: {DATA / 'broken'}}}\n{LOAD}",
    "bench_nothing": _bench("bench_nothing", DATA / "benchfaults", "Nothing$", ", candidate: worktree"),
    "bench_panics": _bench("bench_panics", DATA / "benchfaults", "Panics$", ", candidate: worktree"),
    "bench_fatal": _bench("bench_fatal", DATA / "benchfaults", "Fatal$", ", candidate: worktree"),
}


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    folder = tmp_path_factory.mktemp("build-faults")
    for name, body in FILES.items():
        (folder / f"{name}.goperf.yaml").write_text(body)
    return run_goperf(folder)


def test_session_fails_every_gate_without_traceback(session: Session) -> None:
    assert session.returncode == 1, session.output[-3000:]
    assert ", 0 passed, 0 skipped" in session.output, session.output[-6000:]
    for name in FILES:  # a panicking benchmark may fail as one row per unit: Go sometimes prints a result first
        assert f"FAILED {name}.goperf.yaml::{name}::bench" in session.output or \
            f"FAILED {name}.goperf.yaml::{name}::latency" in session.output, name
    assert "Traceback" not in session.output and 'File "' not in session.output
    assert processes_under(session.folder) == []
    for name in FILES:
        assert (session.folder / "art" / name).is_dir(), name


def _gate(name: str) -> str:
    return "latency" if name in ("not_main", "compile_error") else "bench"


def test_file_baseline_missing(session: Session) -> None:
    text = session.section("file_baseline::bench").strip()
    assert text == (f"{session.folder / 'file_baseline.goperf.yaml'}: bench.baseline: {session.folder / 'missing.txt'} "
                    "does not exist; give a go test -bench output file")


def test_git_ref_unknown(session: Session) -> None:
    text = session.section("git_ref::bench").strip()
    assert text.startswith("bench.baseline git:no-such-ref-xyz: no such commit, branch or tag in ")
    assert "check the name (a CI clone may need 'git fetch origin <ref>' or a deeper fetch)" in text


def test_main_that_is_not_a_main_package(session: Session) -> None:
    text = session.section("not_main::latency").strip()
    assert text == (f"service.main '.' in {DATA / 'library'} is a library package, not package main, so it builds "
                    "no program to start; set service.main to the folder of the command (the package main with "
                    "func main) that runs the service")


def test_compile_error_shows_the_compiler_file_line(session: Session) -> None:
    text = session.section("compile_error::latency")
    assert f"building service 'compile_error' (worktree) failed (exit 1) in {DATA / 'broken'}:" in text
    assert "./main.go:4:2: undefined: undefinedFunction" in text


def test_bench_regexp_matching_nothing(session: Session) -> None:
    text = session.section("bench_nothing::bench").strip()
    assert text == ("bench.bench regexp 'Nothing$' matched no benchmark in example.com/benchfaults; list the "
                    "benchmarks with 'go test -list=. .' and fix bench.bench")


def test_benchmark_that_panics(session: Session) -> None:
    # Go sometimes prints a "0 B/op" result before the panic: then the rows fail naming the crash, else the gate.
    text = "".join(t for k, t in session.sections.items() if k.startswith("bench_panics::bench"))
    assert "panic: benchfaults: deliberate panic" in text and "new.txt" in text, text


def test_benchmark_that_calls_b_fatal(session: Session) -> None:
    new = session.folder / "art" / "bench_fatal" / "new.txt"
    last = session.section("bench_fatal::bench").strip().splitlines()[-1]
    assert re.fullmatch(rf"  BenchmarkFatal failed in worktree \({re.escape(str(new))}:\d+, and in 3 more rounds\): "
                        r"bench_test\.go:16: benchfaults: deliberate b\.Fatal", last), last
    assert "because the benchmarks themselves failed; fix them" in session.section("bench_fatal::bench")


def test_crashed_benchmark_output_is_kept(session: Session) -> None:
    """Whatever the message, the raw outputs that show the crash stay on disk for the user."""
    assert "deliberate panic" in (session.folder / "art" / "bench_panics" / "new.txt").read_text()
    assert "deliberate b.Fatal" in (session.folder / "art" / "bench_fatal" / "new.txt").read_text()
