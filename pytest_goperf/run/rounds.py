"""Run both sides' benchmark binaries interleaved, one round at a time.

Round ``i`` runs every package's old binary, then its new binary, each with
``-test.count=1``: machine drift (thermal, a noisy neighbour, a CI runner
changing clock) then hits both sides alike instead of biasing whichever side
ran second.  The raw output of each side is appended to ``old.txt`` /
``new.txt`` untouched, so plain ``benchstat old.txt new.txt`` compares them.

A benchmark that fails (``b.Fatal``: ``--- FAIL: BenchmarkX``) or panics
makes the binary exit non-zero, but the other benchmarks' results are good:
the output is kept, and the reader turns the failure into the reason for the
missing rows.  Only a binary that exits non-zero without any benchmark
failure in its output (TestMain, a bad flag) stops the run.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.config import BenchConfig
from pytest_goperf.errors import BenchError
from pytest_goperf.go.build import BuiltSide, TestBinary
from pytest_goperf.go.process import kill_group

_BENCH_LINE = re.compile(r"^Benchmark\S*\s+\d+\s", re.MULTILINE)
_BENCH_FAILED = re.compile(r"^(--- FAIL: Benchmark|Benchmark\S*\s+panic: |panic: )", re.MULTILINE)
ROUND_TIMEOUT = 1800.0


@dataclass(frozen=True)
class BenchOutputs:
    old: Path | None      # None when the baseline is a file given by the user (then copied)
    new: Path
    rounds: int


def bench_args(bench: BenchConfig) -> list[str]:
    """The flags one round passes to a test binary (exactly what `go test -bench` would)."""
    return [
        "-test.run=^$",
        f"-test.bench={bench.bench}",
        f"-test.benchtime={bench.benchtime}",
        "-test.count=1",
        "-test.benchmem",
    ]


def _run_binary(test: TestBinary, args: list[str], label: str) -> str:
    """Run one test binary in its package folder, in its own process group, killed on any exit."""
    proc = subprocess.Popen(
        [str(test.binary), *args], cwd=test.directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=ROUND_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{label}: {test.binary.name} ran longer than {ROUND_TIMEOUT:.0f}s for one round; "
                         "lower bench.benchtime or narrow bench.bench") from None
    finally:
        if proc.poll() is None:  # timeout or Ctrl-C: the binary and anything it started go
            kill_group(proc, grace=1.0)
    if proc.returncode != 0 and not _BENCH_FAILED.search(out):
        tail = "\n".join(out.splitlines()[-40:])
        raise BenchError(f"{label}: benchmarks of {test.package} failed (exit {proc.returncode}):\n{tail}")
    return out


def run_interleaved(
    old: BuiltSide | None,
    new: BuiltSide,
    bench: BenchConfig,
    out_dir: Path,
    progress: Callable[[str], None] = lambda _msg: None,
) -> BenchOutputs:
    """Run ``bench.count`` rounds per side (A B A B ...) and write old.txt / new.txt."""
    out_dir.mkdir(parents=True, exist_ok=True)
    new_txt = out_dir / "new.txt"
    old_txt = out_dir / "old.txt" if old is not None else None
    pairs: list[tuple[TestBinary | None, TestBinary]] = []
    old_by_pkg = {t.package: t for t in old.test_binaries} if old is not None else {}
    for t in new.test_binaries:
        pairs.append((old_by_pkg.get(t.package), t))
    args = bench_args(bench)
    for path in (old_txt, new_txt):
        if path is not None:
            path.write_text("", encoding="utf-8")
    for round_no in range(1, bench.count + 1):
        seen_benchmarks = False
        for old_bin, new_bin in pairs:
            for side, binary, path in ((old, old_bin, old_txt), (new, new_bin, new_txt)):
                if side is None or binary is None or path is None:
                    continue
                out = _run_binary(binary, args, side.side.label)
                seen_benchmarks = seen_benchmarks or bool(_BENCH_LINE.search(out) or _BENCH_FAILED.search(out))
                with path.open("a", encoding="utf-8") as fh:
                    fh.write(out)
        if round_no == 1 and not seen_benchmarks:
            pkgs = ", ".join(t.package for t in new.test_binaries)
            raise BenchError(
                f"bench.bench regexp {bench.bench!r} matched no benchmark in {pkgs}; "
                f"list the benchmarks with 'go test -list=. {' '.join(bench.packages)}' and fix bench.bench"
            )
        progress(f"round {round_no}/{bench.count} done ({old.side.label + ' + ' if old else ''}{new.side.label})")
    return BenchOutputs(old=old_txt, new=new_txt, rounds=bench.count)
