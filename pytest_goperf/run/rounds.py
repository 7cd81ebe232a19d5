"""Run both sides' benchmark binaries interleaved, one round at a time.

Round ``i`` runs every package's old binary, then its new binary, each with
``-test.count=1``: machine drift (thermal, a noisy neighbour, a CI runner
changing clock) then hits both sides alike instead of biasing whichever side
ran second.  With ``bench.layouts`` both sides run the same code layout in a
round, and the next layout in the next round (go/layout.py).  The raw output
of each side is appended to ``old.txt`` / ``new.txt`` untouched, so plain
``benchstat old.txt new.txt`` compares them.

A benchmark that fails (``b.Fatal``: ``--- FAIL: BenchmarkX``) or panics
makes the binary exit non-zero, but the other benchmarks' results are good:
the output is kept, and the reader turns the failure into the reason for the
missing rows.  Only a binary that exits non-zero without any benchmark
failure in its output (TestMain, a bad flag) stops the run.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.config import BenchConfig
from pytest_goperf.errors import BenchError, ConfigError
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
    stopped: str | None = None   # count: auto: why the rounds stopped
    limit_hit: bool = False      # count: auto: a limit (max_count, budget), not the MDE, stopped them
    binaries_s: float = 0.0      # wall time inside the test binaries (the rest of the rounds is ours)


@dataclass(frozen=True)
class Adaptive:
    """``count: auto``: after each round from ``min_count`` on, ``worst`` says whether to go on.

    ``worst()`` returns (the worst judged row's MDE in percent, the threshold it must reach); it
    may look only at dispersion, never at the observed difference, so stopping early cannot pick
    a favourable moment and the false-alarm rate stays at alpha.
    """

    worst: Callable[[], tuple[float, float]]
    budget_key: str  # where bench.budget is set, for the error when min_count rounds cannot fit


def bench_args(bench: BenchConfig) -> list[str]:
    """The flags one round passes to a test binary (exactly what `go test -bench` would)."""
    return [
        "-test.run=^$",
        f"-test.bench={bench.bench}",
        f"-test.benchtime={bench.benchtime}",
        "-test.count=1",
        "-test.benchmem",
    ]


def _run_binary(test: TestBinary, round_no: int, args: list[str], label: str) -> str:
    """Run one test binary (this round's layout of it) in its package folder, in its own process group,
    killed on any exit."""
    executable = test.for_round(round_no)
    proc = subprocess.Popen(
        [str(executable), *args], cwd=test.directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=ROUND_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{label}: {executable.name} ran longer than {ROUND_TIMEOUT:.0f}s for one round; "
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
    adaptive: Adaptive | None = None,
) -> BenchOutputs:
    """Run ``bench.count`` rounds per side (A B A B ...) and write old.txt / new.txt.

    With ``adaptive`` (``count: auto``) rounds go on past ``bench.min_count`` until the worst MDE
    reaches its threshold, ``bench.max_count`` rounds ran, or the next round would overrun ``bench.budget``.
    """
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
    last = bench.max_count if adaptive is not None else bench.count
    start = time.monotonic()
    stopped: str | None = None
    limit_hit = False
    round_no = 0
    binaries_s = 0.0
    for round_no in range(1, last + 1):
        seen_benchmarks = False
        for old_bin, new_bin in pairs:
            for side, binary, path in ((old, old_bin, old_txt), (new, new_bin, new_txt)):
                if side is None or binary is None or path is None:
                    continue
                t0 = time.monotonic()
                out = _run_binary(binary, round_no, args, side.side.label)
                binaries_s += time.monotonic() - t0
                seen_benchmarks = seen_benchmarks or bool(_BENCH_LINE.search(out) or _BENCH_FAILED.search(out))
                with path.open("a", encoding="utf-8") as fh:
                    fh.write(out)
        if round_no == 1 and not seen_benchmarks:
            pkgs = ", ".join(t.package for t in new.test_binaries)
            raise BenchError(
                f"bench.bench regexp {bench.bench!r} matched no benchmark in {pkgs}; "
                f"list the benchmarks with 'go test -list=. {' '.join(bench.packages)}' and fix bench.bench"
            )
        sides = f"{old.side.label + ' + ' if old else ''}{new.side.label}"
        if adaptive is None:
            progress(f"round {round_no}/{bench.count} done ({sides})")
            continue
        spent = time.monotonic() - start
        per_round = spent / round_no
        if round_no == 1 and per_round * bench.min_count > bench.budget:
            raise ConfigError(f"{adaptive.budget_key}: {bench.budget:g}s cannot hold bench.min_count "
                              f"{bench.min_count} rounds: one round pair took {per_round:.1f}s, so they need about "
                              f"{per_round * bench.min_count:.0f}s; raise bench.budget, or lower bench.benchtime "
                              "or bench.min_count")
        if round_no < bench.min_count:
            progress(f"round {round_no}/{bench.min_count}-{bench.max_count} done ({sides}), "
                     f"{bench.budget - spent:.0f}s of the budget left")
            continue
        worst, threshold = adaptive.worst()
        shown = "unbounded" if worst == float("inf") else f"{worst:.1f}%"
        progress(f"round {round_no}/{bench.min_count}-{bench.max_count} done ({sides}): worst MDE {shown} "
                 f"(max_regression {threshold:g}%), {bench.budget - spent:.0f}s of the budget left")
        if worst <= threshold:
            stopped = f"every judged row's MDE is at or below max_regression {threshold:g}% (worst {shown})"
            break
        if round_no == bench.max_count:
            stopped, limit_hit = f"bench.max_count {bench.max_count} reached with the worst MDE {shown}", True
        elif spent + per_round > bench.budget:
            stopped, limit_hit = (f"bench.budget {bench.budget:g}s would be overrun by another round "
                                  f"(about {per_round:.1f}s each) with the worst MDE {shown}"), True
            break
    if stopped is not None:
        stopped = f"bench.count: auto stopped after {round_no} rounds: {stopped}"
    return BenchOutputs(old=old_txt, new=new_txt, rounds=round_no, stopped=stopped, limit_hit=limit_hit,
                        binaries_s=binaries_s)
