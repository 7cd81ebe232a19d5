"""The PGO gain of the example on this runner, with its sensitivity, measured as a user measures it.

    python benchmarks/pgo_gain.py [--runs 3] [--max-load 1.5] [--wait 3600]

Each run is the example gate's own comparison,

    pytest --goperf examples/go-service/goperf.yaml -k bench

(pgo-off vs pgo, the rounds interleaved, ``count`` and ``benchtime`` as the
example sets them), started only when the 1-minute load average is below
``--max-load``.  It prints each run's "PGO gain" block (gain per benchmark,
p-value, sensitivity, reading; the geomean) and the spread over the runs.
Figures for the README come from here, never from a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "go-service" / "goperf.yaml"
ROW = re.compile(r"^\s+(\S+)\s+([+-]\d+\.\d+)%\s+(?:p=(\S+)\s+sensitivity\s+(\S+)\s.*?: (.*)|row sensitivities (.*))$")


def load1() -> float:
    return os.getloadavg()[0]


def wait_quiet(limit: float, wait: float) -> float:
    deadline = time.monotonic() + wait
    while (now := load1()) >= limit:
        if time.monotonic() > deadline:
            raise SystemExit(f"the machine did not get quiet (load average {now:.2f} >= {limit}) within {wait:.0f}s")
        time.sleep(15)
    return now


def one_run(art: Path) -> tuple[list[str], dict[str, tuple[float, str, str]]]:
    cmd = [sys.executable, "-m", "pytest", "--goperf", str(EXAMPLE), "-k", "bench", "-p", "no:cacheprovider",
           "--goperf-artifacts", str(art), "-q"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False).stdout
    block: list[str] = []
    rows: dict[str, tuple[float, str, str]] = {}
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if ": PGO gain, " in line:
            block = [line]
            for follow in lines[i + 1:]:
                m = ROW.match(follow)
                if m is None:
                    break
                block.append(follow)
                rows[m.group(1)] = (float(m.group(2)), m.group(4) or m.group(6) or "", m.group(3) or "")
            break
    if not block:
        raise SystemExit(f"no PGO gain block in the output of {' '.join(cmd)}:\n{out[-3000:]}")
    return block, rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-load", type=float, default=1.5)
    ap.add_argument("--wait", type=float, default=3600.0, help="seconds to wait for a quiet machine per run")
    args = ap.parse_args(argv)
    seen: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="goperf-pgo-gain-") as tmp:
        for run in range(1, args.runs + 1):
            before = wait_quiet(args.max_load, args.wait)
            block, rows = one_run(Path(tmp) / f"run-{run}")
            print(f"run {run}: load average {before:.2f} before, {load1():.2f} after")
            print("\n".join(block), flush=True)
            for name, (gain, _sens, _p) in rows.items():
                seen.setdefault(name, []).append(gain)
    print("\nspread over the runs (gain %, min / median / max):")
    for name, gains in seen.items():
        print(f"  {name:24} {min(gains):+6.2f} / {statistics.median(gains):+6.2f} / {max(gains):+6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
