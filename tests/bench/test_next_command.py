"""The "next:" command of a failed bench row selects exactly that benchmark, whatever its name holds.

Names come from a real run of tests/data/bench/oddnames (``map[string]int``,
``[]byte``, ``size(1KB)``, ``a+b*c?``, ``x|y``, ``back\\slash`` and a plain
``map`` that a sloppy pattern would also hit).  Every suggested command is
split the way a POSIX shell reads it and run for real.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_goperf.bench.compare import compare
from pytest_goperf.bench.format import parse_text
from pytest_goperf.gates.bench import bench_regexp, judge, quote_meta
from pytest_goperf.go.toolchain import find_go

from .conftest import DATA


def test_quote_meta_matches_go() -> None:
    assert quote_meta(r"map[string]int") == r"map\[string\]int"
    assert quote_meta(r"a+b*c?(x)|{y}^$.\ ") == r"a\+b\*c\?\(x\)\|\{y\}\^\$\.\\ "
    assert bench_regexp("Marshal/size(1KB)-8") == r"^BenchmarkMarshal$/^size\(1KB\)$"
    assert bench_regexp("Plain") == "^BenchmarkPlain$"


def test_every_suggested_command_runs_exactly_its_benchmark(tmp_path: Path) -> None:
    toolchain = find_go()
    module = tmp_path / "oddnames"
    shutil.copytree(DATA / "oddnames", module)
    run = subprocess.run([str(toolchain.path), "test", "-run", "^$", "-bench", ".", "-benchtime", "1x"], cwd=module,
                         env=toolchain.env(), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    results = [ln for ln in run.stdout.splitlines() if ln.startswith("Benchmark")]
    assert len(results) == 7

    def side(factor: int) -> str:  # the real lines, six rounds, the candidate 3x slower
        head = "\n".join(ln for ln in run.stdout.splitlines() if ln.startswith(("goos", "goarch", "pkg", "cpu")))
        body = "".join(f"{ln.split()[0]} 1 {factor * (100 + r)} ns/op\n" for r in range(6) for ln in results)
        return head + "\n" + body

    cmp = compare(parse_text(side(1), "old.txt"), parse_text(side(3), "new.txt"))
    verdicts = judge(cmp, max_regression="5%").verdicts
    assert len(verdicts) == 7 and all(v.failed for v in verdicts.values())
    for (_, name, _), verdict in verdicts.items():
        command = str(verdict.figures["next_command"])
        assert command in verdict.message
        argv = shlex.split(command)
        assert argv[:2] == ["go", "test"] and argv[-1] == "example.com/oddnames"
        proc = subprocess.run([str(toolchain.path), *argv[1:], "-benchtime", "1x"], cwd=module, env=toolchain.env(),
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{command}\n{proc.stdout}{proc.stderr}"
        ran = [ln.split()[0] for ln in proc.stdout.splitlines() if ln.startswith("Benchmark")]
        assert ran == [f"Benchmark{name}"], f"{command} ran {ran}"
        assert (module / "cpu.pprof").is_file()


@pytest.mark.parametrize("name", ["Marshal/map[string]int-2", "Marshal/[]byte-2", "Marshal/size(1KB)-2"])
def test_the_command_survives_a_shell(name: str) -> None:
    """shlex.join quotes the pattern so a shell hands it to go test unchanged."""
    from pytest_goperf.bench.compare import Row
    from pytest_goperf.gates.bench import profile_command

    row = Row(name, "sec/op", "lower", None, None, None, False, None, pkg="example.com/oddnames")
    argv = shlex.split(profile_command(row))
    assert argv[argv.index("-bench") + 1] == bench_regexp(name) and argv[argv.index("-run") + 1] == "^$"
