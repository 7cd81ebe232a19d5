"""Record interleaved A/A rounds of the example's benchmarks on this runner, as the gate runs them.

    go test -c -o /tmp/bench.test ./examples/go-service
    python benchmarks/record_paired_noise.py /tmp/bench.test --rounds 40 --out tests/data/bench/noise_aa

Round k runs the same test binary twice, one -test.count=1 run for side a,
then one for side b, exactly as run/rounds.py interleaves a baseline and a
candidate.  The outputs are appended to ``<out>_a.txt`` and ``<out>_b.txt``,
so the k-th result of a benchmark in each file is round k.  Recorded under
the runner's normal background load (the load average is printed per round).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary", type=Path)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--benchtime", default="100ms")
    ap.add_argument("--bench", default="HandleRequest")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    cmd = [str(args.binary.resolve()), "-test.run=^$", f"-test.bench={args.bench}",
           f"-test.benchtime={args.benchtime}", "-test.count=1", "-test.benchmem"]
    files = {side: Path(f"{args.out}_{side}.txt") for side in "ab"}
    for f in files.values():
        f.write_text("")
    for k in range(args.rounds):
        for side in "ab":
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            lines = [ln for ln in out.splitlines() if ln.startswith("Benchmark") or (k == 0 and ":" in ln
                     and not ln.startswith(("PASS", "ok")))]
            with files[side].open("a") as fh:
                fh.write("\n".join(lines) + "\n")
        print(f"round {k + 1}/{args.rounds} load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
