"""utest vs paired on interleaved A/A noise recorded on this runner: false alarms, detection, MDE.

    python benchmarks/bench_paired.py [--trials 400] [--seed 1]

Noise: tests/data/bench/noise_aa_{a,b}.txt (benchmarks/record_paired_noise.py):
40 interleaved rounds of the example's HandleRequest/{small,large}, the same
binary on both sides, recorded under the runner's normal background load.
A trial at count n picks n of the 40 rounds at random (pairs kept intact,
so round i of both sides shares the machine's state as in a real run) and
swaps a and b within each pair with probability 1/2 (valid: both sides ran
the same binary).  The service's family is the two sec/op rows.

Reports per count (6, 10, 20) and test (utest, paired):
* A/A family-wise false-alarm rate (any row fails), max_regression 0 %;
* detection of a 5 / 10 / 20 % slowdown injected into small's candidate
  side, max_regression 0 % (the test's power; the default 5 % threshold
  additionally needs the observed change above 5 %);
* the median MDE the gate reports for small's row (A/A trials).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from pytest_goperf.bench.compare import compare
from pytest_goperf.bench.format import BenchFile, read_file
from pytest_goperf.gates.bench import judge

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "bench"
TARGET = ("example.com/svc", "HandleRequest/small-2", "sec/op")


def rounds(prefix: Path) -> dict[str, list[tuple[float, float]]]:
    """benchmark -> [(a, b) per round] of sec/op."""
    a, b = (read_file(Path(f"{prefix}_{s}.txt")) for s in "ab")
    out = {}
    for key, series in a.series.items():
        if key[2] == "sec/op":
            out[key[1]] = list(zip(series.values, b.series[key].values))
    return out


def trial(rng: random.Random, noise: dict[str, list[tuple[float, float]]], count: int, slow: float,
          test: str) -> tuple[bool, bool, float | None]:
    """(any row failed, target failed, target's MDE) for one simulated run."""
    total = len(next(iter(noise.values())))
    picked = sorted(rng.sample(range(total), count))
    swaps = [rng.random() < 0.5 for _ in picked]
    sides = [BenchFile("old.txt"), BenchFile("new.txt")]
    for name, pairs in noise.items():
        for k, swap in zip(picked, swaps):
            a, b = pairs[k][::-1] if swap else pairs[k]
            sides[0].add("example.com/svc", name, "sec/op", a)
            sides[1].add("example.com/svc", name, "sec/op", b * (slow if name == TARGET[1] else 1.0))
    j = judge(compare(sides[0], sides[1], 0.05), max_regression=0, test=test)
    failed = [k for k, v in j.verdicts.items() if v.failed]
    mde = j.verdicts[TARGET].figures.get("mde_pct") if TARGET in j.verdicts else None
    return bool(failed), TARGET in failed, float(mde) if isinstance(mde, (int, float)) else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--counts", default="6,10,20")
    ap.add_argument("--noise", type=Path, default=DATA / "noise_aa")
    args = ap.parse_args(argv)
    noise = rounds(args.noise)
    start = time.perf_counter()
    for name, pairs in noise.items():
        rel = sorted(b / a for a, b in pairs)
        print(f"noise {name}: {len(pairs)} rounds, b/a 10-90% {rel[len(rel) // 10]:.3f}..{rel[9 * len(rel) // 10]:.3f}")
    print(f"\n{args.trials} trials per cell; family = 2 sec/op rows; alpha 0.05; max_regression 0 %")
    print(f"{'count':>5} {'test':>6} {'A/A FWER':>9} {'det 5%':>7} {'det 10%':>8} {'det 20%':>8} {'median MDE':>11}")
    for count in (int(c) for c in args.counts.split(",")):
        for test in ("utest", "paired"):
            def col(slow: float) -> list[tuple[bool, bool, float | None]]:
                rng = random.Random(args.seed * 1000 + count)  # common random numbers across columns and tests
                return [trial(rng, noise, count, slow, test) for _ in range(args.trials)]

            aa = col(1.0)
            fwer = sum(a for a, _, _ in aa) / len(aa)
            dets = [sum(t for _, t, _ in col(s)) / args.trials for s in (1.05, 1.10, 1.20)]
            mdes = [m for _, _, m in aa if m is not None]
            mde = f"{statistics.median(mdes):.1f}%" if mdes else "-"
            print(f"{count:>5} {test:>6} {fwer:>9.1%} {dets[0]:>7.1%} {dets[1]:>8.1%} {dets[2]:>8.1%} {mde:>11}")
    print(f"elapsed {time.perf_counter() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
