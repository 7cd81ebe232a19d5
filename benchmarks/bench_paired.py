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

``auto`` runs count: auto's stopping rule (GateRun._worst_mde: the worst MDE
of the family at max_regression 5 %, dispersion only) from 6 up to 30 rounds
(or as many as recorded), then judges at max_regression 0 %.
``--noise tests/data/bench/noise_go_service.txt`` uses the older quiet
recording of 60 consecutive runs, paired as runs (2k, 2k+1).
"""

from __future__ import annotations

import argparse
import math
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
AUTO_MIN, AUTO_MAX = 6, 30


def rounds(prefix: Path) -> dict[str, list[tuple[float, float]]]:
    """benchmark -> [(a, b) per round] of sec/op.

    ``<prefix>_a.txt`` / ``_b.txt`` hold interleaved rounds; a single ``.txt`` file of consecutive
    runs (go test -count N) is paired as runs (2k, 2k+1), neighbours in time like a round's A and B.
    """
    if prefix.suffix == ".txt":
        seq = read_file(prefix)
        return {key[1]: list(zip(s.values[0::2], s.values[1::2])) for key, s in seq.series.items()
                if key[2] == "sec/op"}
    a, b = (read_file(Path(f"{prefix}_{s}.txt")) for s in "ab")
    out = {}
    for key, series in a.series.items():
        if key[2] == "sec/op":
            out[key[1]] = list(zip(series.values, b.series[key].values))
    return out


def _sides(noise: dict[str, list[tuple[float, float]]], picked: list[int], swaps: list[bool],
           slow: float) -> tuple[BenchFile, BenchFile]:
    sides = (BenchFile("old.txt"), BenchFile("new.txt"))
    for name, pairs in noise.items():
        for k, swap in zip(picked, swaps):
            a, b = pairs[k][::-1] if swap else pairs[k]
            sides[0].add("example.com/svc", name, "sec/op", a)
            sides[1].add("example.com/svc", name, "sec/op", b * (slow if name == TARGET[1] else 1.0))
    return sides


def worst_mde(old: BenchFile, new: BenchFile, test: str, max_regression: float) -> float:
    """The stopping rule of count: auto, as GateRun._worst_mde applies it (dispersion only)."""
    j = judge(compare(old, new, 0.05), max_regression=max_regression, test=test)
    worst = 0.0
    for v in j.verdicts.values():
        if v.figures.get("skip_reason") in ("family", "too_few"):
            return math.inf
        m = v.figures.get("mde_pct")
        if v.figures.get("rows_in_family") is not None and isinstance(m, float):
            worst = max(worst, m)
    return worst


def trial(rng: random.Random, noise: dict[str, list[tuple[float, float]]], count: int | str, slow: float,
          test: str) -> tuple[bool, bool, float | None]:
    """(any row failed, target failed, target's MDE) for one simulated run; count "auto" is 6..max, 5 %."""
    total = len(next(iter(noise.values())))
    last = min(AUTO_MAX, total) if count == "auto" else int(count)
    picked = rng.sample(range(total), last)  # the order rounds would run in
    swaps = [rng.random() < 0.5 for _ in picked]
    n = last
    if count == "auto":
        for n in range(AUTO_MIN, last + 1):
            if worst_mde(*_sides(noise, picked[:n], swaps[:n], slow), test, 0.05) <= 5.0:
                break
    old, new = _sides(noise, picked[:n], swaps[:n], slow)
    j = judge(compare(old, new, 0.05), max_regression=0, test=test)
    failed = [k for k, v in j.verdicts.items() if v.failed]
    mde = j.verdicts[TARGET].figures.get("mde_pct") if TARGET in j.verdicts else None
    return bool(failed), TARGET in failed, float(mde) if isinstance(mde, (int, float)) else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--counts", default="6,10,20,auto",
                    help=f"counts to try; auto = count: auto from {AUTO_MIN} to {AUTO_MAX} rounds, stopping when "
                         "the worst MDE is <= 5 %%")
    ap.add_argument("--noise", type=Path, default=DATA / "noise_aa")
    ap.add_argument("--tests", default="utest,paired")
    ap.add_argument("--aa-only", action="store_true", help="only the A/A column (count: auto runs to 30 rounds)")
    args = ap.parse_args(argv)
    noise = rounds(args.noise)
    start = time.perf_counter()
    for name, pairs in noise.items():
        rel = sorted(b / a for a, b in pairs)
        print(f"noise {name}: {len(pairs)} rounds, b/a 10-90% {rel[len(rel) // 10]:.3f}..{rel[9 * len(rel) // 10]:.3f}")
    print(f"\n{args.trials} trials per cell; family = 2 sec/op rows; alpha 0.05; max_regression 0 %")
    print(f"{'count':>5} {'test':>6} {'A/A FWER':>9} {'det 5%':>7} {'det 10%':>8} {'det 20%':>8} {'median MDE':>11}")
    for count in args.counts.split(","):
        for test in args.tests.split(","):
            def col(slow: float, count: int = count, test: str = test) -> list[tuple[bool, bool, float | None]]:
                rng = random.Random(f"{args.seed}-{count}")  # common random numbers across columns and tests
                return [trial(rng, noise, count, slow, test) for _ in range(args.trials)]

            aa = col(1.0)
            fwer = sum(a for a, _, _ in aa) / len(aa)
            dets = [math.nan] * 3 if args.aa_only else [sum(t for _, t, _ in col(s)) / args.trials
                                                        for s in (1.05, 1.10, 1.20)]
            mdes = [m for _, _, m in aa if m is not None]
            mde = f"{statistics.median(mdes):.1f}%" if mdes else "-"
            print(f"{count:>5} {test:>6} {fwer:>9.1%} {dets[0]:>7.1%} {dets[1]:>8.1%} {dets[2]:>8.1%} {mde:>11}")
    print(f"elapsed {time.perf_counter() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
