"""Time ``goperf compare`` against ``benchstat`` on a large benchmark file pair.

    python benchmarks/compare_speed.py [--benchmarks 300] [--runs 20] [--repeat 3]

Generates old/new files with 300 benchmarks x 3 units (sec/op, B/op,
allocs/op) x 20 runs, realistic ties in B/op and allocs/op, then times both
tools end to end (process start included), best of ``--repeat``, and prints
the ratio.  Target: goperf <= 2x benchstat.  benchstat is taken from PATH, or
installed at the pinned version into ./.goperf-tools with ``go install``.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_goperf.go.toolchain import find_go

PERF_VERSION = "v0.0.0-20260908200009-22c9c6c9d4da"


def generate(path: Path, rng: random.Random, n_bench: int, runs: int, slow: float) -> None:
    lines = ["goos: linux", "goarch: amd64", "pkg: example.com/big", "cpu: Synthetic"]
    for r in range(runs):
        for b in range(n_bench):
            ns = 1000 * (1 + b % 17) * slow * (1 + rng.gauss(0, 0.03))
            by = 64 * (1 + b % 5) + rng.choice([0, 0, 0, 8])
            allocs = 1 + b % 7
            lines.append(f"BenchmarkBig/case={b}-8 \t {100000 + r:8d}\t{ns:10.1f} ns/op\t{by:6d} B/op\t{allocs:4d} allocs/op")
    path.write_text("\n".join(lines) + "\nPASS\n")


def find_benchstat() -> str:
    found = shutil.which("benchstat")
    if found:
        return found
    gobin = Path(".goperf-tools").resolve()
    exe = gobin / "benchstat"
    if not exe.exists():
        toolchain = find_go()
        go = str(toolchain.path)
        env = dict(toolchain.env(), GOBIN=str(gobin))
        subprocess.run([go, "install", f"golang.org/x/perf/cmd/benchstat@{PERF_VERSION}"], env=env, check=True)
    return str(exe)


def best(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (user+sys of the child) over ``repeat`` runs.

    CPU time is the steadier figure on a shared machine; benchstat uses a few
    goroutines, so its wall time can be below its CPU time.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--benchmarks", type=int, default=300)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    benchstat = find_benchstat()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        old, new = Path(tmp) / "old.txt", Path(tmp) / "new.txt"
        generate(old, rng, args.benchmarks, args.runs, 1.0)
        generate(new, rng, args.benchmarks, args.runs, 1.02)
        ours = best([sys.executable, "-m", "pytest_goperf", "compare", str(old), str(new)], args.repeat)
        theirs = best([benchstat, str(old), str(new)], args.repeat)
    rows = args.benchmarks * 3
    print(f"{rows} rows x {args.runs} runs per side")
    print(f"wall: goperf compare {ours[0]:.3f}s, benchstat {theirs[0]:.3f}s, ratio {ours[0] / theirs[0]:.2f}x (target <= 2x)")
    print(f"cpu:  goperf compare {ours[1]:.3f}s, benchstat {theirs[1]:.3f}s, ratio {ours[1] / theirs[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
