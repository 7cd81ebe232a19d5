"""Which way of running rounds buys the smallest MDE per minute on this runner (docs/bench.md's noise table).

    go test -c -o /tmp/bench.test ./examples/go-service
    python benchmarks/bench_noise.py /tmp/bench.test [--seconds 60] [--reps 3]

Every configuration runs the same test binary as both sides (A/A, so any
difference is noise) for a fixed wall time, the way run/rounds.py runs a gate:
one ``-test.count=1`` run per side and round.  Its two ``sec/op`` rows
(``HandleRequest/small`` and ``/large``) then get the MDE the gate would
report (bench.power, benchstat's U-test, Holm's alpha / 2 for the family of
two).  The configurations:

* ``short``: ``-test.benchtime=100ms``, A B A B ... (the baseline);
* ``medium`` / ``long``: ``-test.benchtime=300ms`` / ``1s`` (Go's default and
  the gate's), fewer rounds in the same time;
* ``cpu1``: ``short`` plus ``-test.cpu=1`` (GOMAXPROCS 1 for the benchmark);
* ``taskset``: ``short`` with each run pinned to the last CPU (``taskset -c``);
* ``taskset+cpu1``: both;
* ``blocks``: ``short``, but all A rounds first, then all B rounds.

Configurations take turns (rep 1 runs each once, in a rotated order, then
rep 2 ...), so a slow hour of the machine hits them all.  Prints each run's
rounds and MDEs and, per configuration, the median worst-row MDE with the
load average.  Never part of the test suite: it takes minutes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.bench.format import parse_text
from pytest_goperf.bench.power import mde_utest
from pytest_goperf.config import BenchConfig
from pytest_goperf.run.rounds import bench_args

ALPHA = 0.05
FAMILY = 2


@dataclass(frozen=True)
class Setting:
    name: str
    benchtime: str = "100ms"
    cpu1: bool = False
    pin: bool = False
    blocks: bool = False


SETTINGS = (
    Setting("short"),
    Setting("medium", benchtime="300ms"),
    Setting("long", benchtime="1s"),
    Setting("cpu1", cpu1=True),
    Setting("taskset", pin=True),
    Setting("taskset+cpu1", pin=True, cpu1=True),
    Setting("blocks", blocks=True),
)


def command(binary: Path, s: Setting, bench: str) -> list[str]:
    """One side's run in one round: the gate's own flags (run/rounds.py), plus the setting's."""
    cmd = [str(binary), *bench_args(BenchConfig(bench=bench, benchtime=s.benchtime))]
    if s.cpu1:
        cmd.append("-test.cpu=1")
    if s.pin:
        cmd = ["taskset", "-c", str((os.cpu_count() or 1) - 1), *cmd]
    return cmd


def sec_per_op(output: str) -> dict[str, list[float]]:
    return {name: list(s.values) for (_pkg, name, unit), s in parse_text(output).series.items() if unit == "sec/op"}


def run_setting(binary: Path, s: Setting, seconds: float, bench: str) -> tuple[int, dict[str, float | None]]:
    """Rounds run in ``seconds`` and each row's MDE (percent)."""
    cmd = command(binary, s, bench)
    start = time.monotonic()
    outs: dict[str, list[str]] = {"a": [], "b": []}
    if s.blocks:  # A rounds for half the time, then as many B rounds
        while time.monotonic() - start < seconds / 2:
            outs["a"].append(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
        for _ in outs["a"]:
            outs["b"].append(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    else:
        while time.monotonic() - start < seconds:
            for side in "ab":
                outs[side].append(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    a, b = sec_per_op("\n".join(outs["a"])), sec_per_op("\n".join(outs["b"]))
    mdes = {name: mde_utest(a[name], b.get(name, []), "lower", ALPHA / FAMILY) for name in sorted(a)}
    return len(outs["a"]), mdes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary", type=Path)
    ap.add_argument("--seconds", type=float, default=60.0, help="wall time per configuration and rep")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--bench", default="HandleRequest")
    ap.add_argument("--only", nargs="*", help="configuration names to run")
    args = ap.parse_args(argv)
    settings = [s for s in SETTINGS if not args.only or s.name in args.only]
    if any(s.pin for s in settings) and shutil.which("taskset") is None:
        settings = [s for s in settings if not s.pin]
        print("taskset not found: the pinned configuration is left out", file=sys.stderr)
    binary = args.binary.resolve()
    worst: dict[str, list[float]] = {s.name: [] for s in settings}
    rounds: dict[str, list[int]] = {s.name: [] for s in settings}
    loads: dict[str, list[float]] = {s.name: [] for s in settings}
    for rep in range(args.reps):
        order = settings[rep % len(settings):] + settings[:rep % len(settings)]
        for s in order:
            n, mdes = run_setting(binary, s, args.seconds, args.bench)
            load = os.getloadavg()[0]
            known = [m for m in mdes.values() if m is not None]
            w = max(known) if known else float("inf")
            worst[s.name].append(w)
            rounds[s.name].append(n)
            loads[s.name].append(load)
            shown = ", ".join(f"{k} {v:.1f}%" if v is not None else f"{k} ?" for k, v in mdes.items())
            print(f"rep {rep + 1} {s.name:12} {n:3d} rounds  {shown}  load {load:.2f}", flush=True)
    print(f"\n{args.seconds:g}s of rounds per run, {args.reps} runs each; MDE of the worst sec/op row "
          f"(U-test at alpha {ALPHA}/{FAMILY}, 80 % power)")
    print(f"{'setting':14}{'rounds':>8}{'median MDE':>12}{'min':>8}{'max':>8}{'load':>7}")
    for s in settings:
        print(f"{s.name:14}{statistics.median(rounds[s.name]):8.0f}{statistics.median(worst[s.name]):11.1f}%"
              f"{min(worst[s.name]):7.1f}%{max(worst[s.name]):7.1f}%{statistics.median(loads[s.name]):7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
