"""Run the parser fuzzers (tests/fuzz) with a long budget and print what they tried and found.

    python benchmarks/fuzz.py [--examples 20000] [--deadline 5] [-k trace]

CI runs the same properties with a small budget (about 30 s on 2 cores);
here every property gets ``--examples`` examples.  Printed: examples tried
per property (hypothesis's own statistics, so invalid draws are counted
separately), failing properties, and the wall time.  A failure is shown
with hypothesis's minimal example and a reproduce blob: make it a regression
test next to the property and fix the parser.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_TEST = re.compile(r"^(tests/fuzz/\S+::\S+):")
_COUNTS = re.compile(r"(\d+) passing, (\d+) failing, and (\d+) invalid")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=20000, help="examples per property (CI uses 60-200)")
    ap.add_argument("--deadline", type=float, default=5.0, help="per-example deadline in seconds")
    ap.add_argument("-k", default="", help="pytest -k expression to run some properties only")
    args = ap.parse_args(argv)
    env = dict(os.environ, GOPERF_FUZZ_EXAMPLES=str(args.examples), GOPERF_FUZZ_DEADLINE=str(args.deadline))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
           "-o", "addopts=", "--timeout=0", "tests/fuzz"]
    if args.k:
        cmd += ["-k", args.k]
    start = time.monotonic()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    counts: dict[str, list[int]] = {}
    current = ""
    for line in out.stdout.splitlines():
        m = _TEST.match(line.strip())
        if m:
            current = m.group(1)
            counts.setdefault(current, [0, 0, 0])
            continue
        c = _COUNTS.search(line)
        if c and current:  # one line per phase (generate, shrink): add them up
            for i, x in enumerate(c.groups()):
                counts[current][i] += int(x)
    rows = [(name, p, f, i) for name, (p, f, i) in counts.items()]
    tried = sum(p + f for _, p, f, _ in rows)
    for name, passing, fail, invalid in rows:
        print(f"{name:70} {passing + fail:7d} tried {fail:3d} failing {invalid:6d} invalid")
    failed = re.findall(r"^FAILED (\S+)", out.stdout, flags=re.MULTILINE)
    print(f"\n{len(rows)} properties, {tried} examples tried, {len(failed)} failing properties, wall {wall:.0f}s "
          f"(load {os.getloadavg()[0]:.1f})")
    if failed or out.returncode not in (0, 5):
        print("\n".join(line for line in out.stdout.splitlines()[-80:]))
    return 1 if failed or out.returncode not in (0, 5) else 0


if __name__ == "__main__":
    raise SystemExit(main())
