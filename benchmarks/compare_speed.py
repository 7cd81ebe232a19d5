"""Time ``goperf compare`` against ``benchstat`` on a small and a 50 MB benchmark file pair.

    python benchmarks/compare_speed.py [--repeat 3] [--cases small,large]

* small: 300 benchmarks x 3 units (sec/op, B/op, allocs/op) x 20 runs per side.
* large: 300 benchmarks x 3 units x 2,100 runs per side, about 50 MB per file
  (months of nightly results, or -count 100 on hundreds of benchmarks).

Both tools run end to end (process start included); each figure is the best
of ``--repeat`` runs: wall time, CPU time (user + sys of the process and its
children) and peak RSS of the whole process tree (sampled every 10 ms from
/proc, so a helper process parsing the second file counts too).  Targets:
goperf within 2x of benchstat in time and memory.  benchstat is taken from
PATH, or installed at the pinned version into ./.goperf-tools with
``go install``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from pytest_goperf.go.toolchain import find_go

PERF_VERSION = "v0.0.0-20260908200009-22c9c6c9d4da"
CASES = {"small": (300, 20), "large": (300, 2100)}
PAGE = os.sysconf("SC_PAGE_SIZE")


def generate(path: Path, rng: random.Random, n_bench: int, runs: int, slow: float) -> None:
    """A go test -bench style file, one "round" of every benchmark after the other, written as it goes."""
    with path.open("w") as fh:
        fh.write("goos: linux\ngoarch: amd64\npkg: example.com/big\ncpu: Synthetic\n")
        for r in range(runs):
            lines = []
            for b in range(n_bench):
                ns = 1000 * (1 + b % 17) * slow * (1 + rng.gauss(0, 0.03))
                by = 64 * (1 + b % 5) + rng.choice([0, 0, 0, 8])
                allocs = 1 + b % 7
                lines.append(f"BenchmarkBig/case={b}-8 \t {100000 + r:8d}\t{ns:10.1f} ns/op\t{by:6d} B/op\t"
                             f"{allocs:4d} allocs/op\n")
            fh.write("".join(lines))
        fh.write("PASS\n")


def find_benchstat() -> str:
    found = shutil.which("benchstat")
    if found:
        return found
    gobin = Path(".goperf-tools").resolve()
    exe = gobin / "benchstat"
    if not exe.exists():
        toolchain = find_go()
        env = dict(toolchain.env(), GOBIN=str(gobin))
        subprocess.run([str(toolchain.path), "install", f"golang.org/x/perf/cmd/benchstat@{PERF_VERSION}"],
                       env=env, check=True)
    return str(exe)


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        parents[int(entry)] = int(fields[1])
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except OSError:
            pass
    return total


def measure(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak tree RSS bytes) of one run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    peak = max(peak, usage.ru_maxrss * 1024)  # ru_maxrss: the largest single process, in KiB
    return wall, usage.ru_utime + usage.ru_stime, peak


def best(cmd: list[str], repeat: int) -> tuple[float, float, int]:
    runs = [measure(cmd) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), min(r[2] for r in runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", default="small,large", help="comma-separated: small, large")
    args = ap.parse_args(argv)
    benchstat = find_benchstat()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    for case in args.cases.split(","):
        n_bench, runs = CASES[case]
        rng = random.Random(7)
        with tempfile.TemporaryDirectory() as tmp:
            old, new = Path(tmp) / "old.txt", Path(tmp) / "new.txt"
            generate(old, rng, n_bench, runs, 1.0)
            generate(new, rng, n_bench, runs, 1.02)
            size = old.stat().st_size / 1e6
            ours = best([sys.executable, "-m", "pytest_goperf", "compare", str(old), str(new)], args.repeat)
            theirs = best([benchstat, str(old), str(new)], args.repeat)
        print(f"{case}: {n_bench * 3} rows x {runs} runs per side, {size:.1f} MB per file")
        print(f"  wall: goperf compare {ours[0]:.2f}s, benchstat {theirs[0]:.2f}s, ratio {ours[0] / theirs[0]:.2f}x"
              " (target <= 2x)")
        print(f"  cpu:  goperf compare {ours[1]:.2f}s, benchstat {theirs[1]:.2f}s, ratio {ours[1] / theirs[1]:.2f}x")
        print(f"  peak RSS: goperf compare {ours[2] / 2**20:.0f} MiB, benchstat {theirs[2] / 2**20:.0f} MiB, "
              f"ratio {ours[2] / theirs[2]:.2f}x (target <= 2x)")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
