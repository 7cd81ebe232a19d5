"""Regenerate the synthetic benchmark corpus in this folder (deterministic).

Run ``python tests/data/bench/make_corpus.py``; the files are committed so the
tests never depend on this script's random stream.  Each case is a pair
``<case>.old.txt`` / ``<case>.new.txt`` chosen to hit one corner of the
statistics: ties, all-equal samples, tiny and unequal n, the exact/normal
switch points (25 with ties, 50 without, 30 for the CI), one-side-only
benchmarks, custom units, zeros.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).parent
HEADER = "goos: linux\ngoarch: amd64\npkg: example.com/corpus\ncpu: Synthetic CPU\n"


def lines(name: str, values: list[float], unit: str = "ns/op", extra: str = "", exact: bool = False) -> str:
    out = []
    for v in values:
        text = str(v) if exact else f"{v:g}"
        out.append(f"Benchmark{name} \t {1000:8d}\t{text} {unit}{extra}\n")
    return "".join(out)


def write(case: str, old: str, new: str, old_header: str = HEADER, new_header: str = HEADER) -> None:
    (HERE / f"{case}.old.txt").write_text(old_header + old + "PASS\n")
    (HERE / f"{case}.new.txt").write_text(new_header + new + "PASS\n")


def noisy(rng: random.Random, n: int, center: float, spread: float = 0.03, digits: int = 1) -> list[float]:
    return [round(center * (1 + rng.gauss(0, spread)), digits) for _ in range(n)]


def main() -> None:
    rng = random.Random(20261127)
    # Ties: few distinct values, small n (exact tie-aware) and the 25/26 switch.
    old = new = ""
    for n, tag in ((8, "n8"), (25, "n25"), (26, "n26"), (12, "shift")):
        shift = 1 if tag == "shift" else 0
        old += lines(f"Ties/{tag}-2", [rng.choice([100, 101, 102]) for _ in range(n)])
        new += lines(f"Ties/{tag}-2", [rng.choice([100, 101, 102]) + shift for _ in range(n)])
    write("ties", old, new)
    # All samples equal, on one side or both.
    write("all_equal",
          lines("Equal/both-4", [5] * 6, "B/op") + lines("Equal/sides-4", [5] * 6, "B/op"),
          lines("Equal/both-4", [5] * 6, "B/op") + lines("Equal/sides-4", [6] * 6, "B/op"))
    # n = 3 (no CI, can never be significant), n = 4 and 5.
    old = new = ""
    for n in (3, 4, 5):
        old += lines(f"Small/n={n}", noisy(rng, n, 1000))
        new += lines(f"Small/n={n}", noisy(rng, n, 1300))
    write("small_n", old, new)
    # Unequal n on the two sides.
    old = new = ""
    for a, b in ((6, 10), (4, 9), (1, 8), (2, 2), (20, 7)):
        old += lines(f"Unequal/{a}v{b}-8", noisy(rng, a, 500))
        new += lines(f"Unequal/{a}v{b}-8", noisy(rng, b, 520))
    write("unequal_n", old, new)
    # Large n: exact up to 50 without ties, normal approximation above; CI switch at 30;
    # n=24 is where benchstat's float rounding breaks a CI tie.
    old = new = ""
    for n in (24, 30, 31, 50, 51, 60):
        old += lines(f"Large/n={n}", noisy(rng, n, 2000, digits=3))
        new += lines(f"Large/n={n}", noisy(rng, n, 2040, digits=3))
    write("large_n", old, new)
    # Benchmarks present on one side only.
    write("one_side",
          lines("Both", noisy(rng, 6, 100)) + lines("OnlyOld/x", noisy(rng, 6, 100)),
          lines("Both", noisy(rng, 6, 90)) + lines("OnlyNew/y", noisy(rng, 6, 100)))
    # Custom units from b.ReportMetric, with and without Unit metadata, and MB/s.
    def custom(scale: float) -> str:
        out = ""
        for _ in range(8):
            out += (f"BenchmarkCustom-2 \t 100\t{1000 * scale * (1 + rng.gauss(0, .02)):.1f} ns/op"
                    f"\t{250 / scale * (1 + rng.gauss(0, .02)):.2f} MB/s"
                    f"\t{rng.randint(90, 99)} hits/op"
                    f"\t{12.5 * scale * (1 + rng.gauss(0, .02)):.3f} ns/frame\n")
        return out
    write("custom_units", custom(1.0), custom(1.1),
          HEADER + "Unit hits/op better=higher\n", HEADER + "Unit hits/op better=higher\n")
    # Zeros: zero allocations, and a zero baseline with non-zero candidate.
    write("zeros",
          lines("Zero/allocs", [0] * 6, "allocs/op") + lines("Zero/grow", [0, 0, 0, 0, 0, 0], "B/op")
          + lines("Zero/mixed", [0, 1, 0, 2, 0, 0], "B/op"),
          lines("Zero/allocs", [0] * 6, "allocs/op") + lines("Zero/grow", [8, 8, 16, 8, 8, 8], "B/op")
          + lines("Zero/mixed", [0, 0, 1, 0, 0, 0], "B/op"))
    # A differing configuration line (pgo: off / on) must not split rows.
    write("pgo_config", lines("Pgo-2", noisy(rng, 10, 700)), lines("Pgo-2", noisy(rng, 10, 640)),
          HEADER + "pgo: off\n", HEADER + "pgo: on\n")
    # Unit metadata assume=exact: mode and range instead of median/CI, p = 0.
    exact_header = HEADER + "Unit allocs/op assume=exact\nUnit ns/op assume=exact\n"
    write("assume_exact",
          lines("Exact/same", [5, 5, 5, 5], "allocs/op") + lines("Exact/more", [5, 5, 5], "allocs/op")
          + lines("Exact/noisy", [1234567, 1234567, 1234568], exact=True) + lines("Exact/half", [0.5], "allocs/op"),
          lines("Exact/same", [5, 5, 5, 5], "allocs/op") + lines("Exact/more", [6, 6], "allocs/op")
          + lines("Exact/noisy", [10, 100000], exact=True) + lines("Exact/half", [0.5, 0.5], "allocs/op"),
          exact_header, exact_header)


if __name__ == "__main__":
    main()
