"""Calibrate the bench gate on noise from real runs of the example service.

    python benchmarks/bench_calibration.py [--trials 2000] [--seed 1]

Noise: tests/data/bench/noise_go_service.txt, 60 rounds of the example's
BenchmarkHandleRequest/{small,large} (sec/op, B/op, allocs/op) recorded once
on the 2-core CI-like machine (go test -bench . -benchtime 100ms -count 60).
Each benchmark's values divided by their median form a pool of relative
noise; a synthetic service has ``--benchmarks`` benchmarks, each drawing
(with replacement) from one of the real pools, for all three units, so one
service family has 3 x benchmarks rows.

Reports, for bench.count 6 and 10:
* false-alarm rate on A/A data (old and new from the same pool): the share of
  trials in which *any* row of the service fails — family-wise, which Holm
  keeps <= alpha.  Given both with max_regression 0 % (pure significance) and
  with the default 5 %.
* detection rate for one benchmark's sec/op slowed by 5 % and 10 %.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from pytest_goperf.bench.compare import Comparison, compare
from pytest_goperf.bench.format import BenchFile, read_file
from pytest_goperf.bench.stats import median
from pytest_goperf.gates.bench import judge_rows

NOISE = Path(__file__).resolve().parent.parent / "tests" / "data" / "bench" / "noise_go_service.txt"


def pools(path: Path) -> dict[str, dict[str, list[float]]]:
    """benchmark -> unit -> values relative to their median."""
    out: dict[str, dict[str, list[float]]] = {}
    for (_, name, unit), series in read_file(path).series.items():
        out.setdefault(name, {}).setdefault(unit, []).extend(series.values)
    for units in out.values():
        for unit, vals in units.items():
            m = median(sorted(vals))
            units[unit] = [x / m if m else 1.0 for x in vals]
    return out


def service(rng: random.Random, noise: dict[str, dict[str, list[float]]], n_bench: int, count: int,
            slow: float) -> Comparison:
    """One A/B comparison; benchmark 0's sec/op on the new side is multiplied by ``slow``."""
    names = sorted(noise)
    sides = []
    for side in ("old", "new"):
        bf = BenchFile(f"{side}.txt")
        for b in range(n_bench):
            pool = noise[names[b % len(names)]]
            base = 1e-6 * (b + 1)
            for _ in range(count):
                for unit, rel in pool.items():
                    factor = slow if (side == "new" and b == 0 and unit == "sec/op") else 1.0
                    scale = base if unit == "sec/op" else 1000.0 * (b + 1)
                    bf.add("example.com/svc", f"Svc{b}-2", unit, rng.choice(rel) * scale * factor)
        sides.append(bf)
    return compare(sides[0], sides[1], 0.05)


def rate(rng: random.Random, noise: dict[str, dict[str, list[float]]], trials: int, n_bench: int, count: int,
         slow: float, max_regression: float, target_only: bool) -> float:
    hits = 0
    for _ in range(trials):
        verdicts = judge_rows(service(rng, noise, n_bench, count, slow), max_regression=max_regression, alpha=0.05,
                              power=False)
        failed = [k for k, v in verdicts.items() if v.failed]
        if target_only:
            hits += ("example.com/svc", "Svc0-2", "sec/op") in failed
        else:
            hits += bool(failed)
    return hits / trials


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--benchmarks", type=int, default=4, help="benchmarks per service (x3 units = rows)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--counts", default="6,10", help="bench.count values to try, comma-separated")
    ap.add_argument("--noise", type=Path, default=NOISE, help="go test -bench output to draw the noise from")
    args = ap.parse_args(argv)
    noise = pools(args.noise)
    start = time.perf_counter()
    for name, units in sorted(noise.items()):
        rel = sorted(units["sec/op"])
        lo, hi = rel[len(rel) // 10], rel[9 * len(rel) // 10]
        print(f"noise {name} sec/op: n={len(rel)}, 10-90% range {lo:.3f}..{hi:.3f} of median")
    rows = args.benchmarks * 3
    print(f"\nservice = {args.benchmarks} benchmarks x 3 units = {rows} rows; alpha 0.05, Tarone + Holm; {args.trials} trials")
    print(f"{'count':>5}  {'A/A FWER (0%)':>14}  {'A/A FWER (5%)':>14}  {'detect 5% (0%)':>15}  {'detect 5% (5%)':>15}"
          f"  {'detect 10% (0%)':>16}  {'detect 10% (5%)':>16}")
    for count in (int(c) for c in args.counts.split(",")):
        # Common random numbers: every column sees the same draws, so columns compare cleanly.
        def col(slow: float, max_reg: float, target_only: bool, count: int = count) -> float:
            return rate(random.Random(args.seed * 1000 + count), noise, args.trials, args.benchmarks, count,
                        slow, max_reg, target_only)

        aa0, aa5 = col(1.0, 0.0, False), col(1.0, 0.05, False)
        d5, d5t = col(1.05, 0.0, True), col(1.05, 0.05, True)
        d10, d10t = col(1.10, 0.0, True), col(1.10, 0.05, True)
        print(f"{count:>5}  {aa0:>14.3%}  {aa5:>14.3%}  {d5:>15.1%}  {d5t:>15.1%}  {d10:>16.1%}  {d10t:>16.1%}")
    print("\n(0%) = max_regression 0 %: significance alone; (5%) = default max_regression 5 %.")
    print(f"elapsed {time.perf_counter() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
