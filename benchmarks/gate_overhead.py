"""What the example gate costs beyond its measurements: wall time per phase, cold and warm.

    python benchmarks/gate_overhead.py [--config examples/go-service/goperf.yaml] [--warm-runs 2]

Runs ``pytest --goperf CONFIG --goperf-json`` with an empty artifacts folder
and empty Go build cache (cold: what a fresh CI job pays), then again with
Go's build cache kept and a new artifacts folder each time (warm: a CI job
whose GOCACHE is cached).  Prints each run's phases from the JSON report's
``timings`` (run/timings.py), pytest's own wall time, and the ratio of that
wall time to the measuring time: the time inside the benchmark binaries and
the load window, which ``go test -bench`` and a load tester would take on
their own.  Never part of the test suite: it takes minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def gate(config: Path, art: Path, report: Path, env: dict[str, str]) -> float:
    start = time.monotonic()
    # hypothesis is this repository's dev dependency, not pytest-goperf's: its pytest plugin would add
    # 0.9 s of import to every run here, which a user's CI does not pay.
    proc = subprocess.run([sys.executable, "-m", "pytest", "--goperf", str(config), "--goperf-artifacts", str(art),
                           "--goperf-json", str(report), "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode not in (0, 1):
        print(proc.stdout[-3000:], proc.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"pytest exited {proc.returncode}")
    return wall


def show(label: str, wall: float, report: Path) -> float:
    data = json.loads(report.read_text())
    measuring = 0.0
    print(f"\n{label}: pytest wall {wall:.1f}s, load average {os.getloadavg()[0]:.2f}")
    for svc in data["services"]:
        t = svc.get("timings") or {}
        for p in t.get("phases", []):
            inside = f"  ({p['measuring_s']:.1f}s measuring)" if p["measuring_s"] else ""
            print(f"  {p['phase']:<24}{p['s']:8.2f}s{inside}")
        measuring += float(t.get("measuring_s") or 0.0)
        print(f"  {'phases total':<24}{float(t.get('total_s') or 0.0):8.2f}s; "
              f"outcome {svc['outcome']}")
    ratio = wall / measuring if measuring else float("nan")
    print(f"  measuring {measuring:.1f}s; pytest wall / measuring = {ratio:.2f}x")
    return ratio


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=ROOT / "examples" / "go-service" / "goperf.yaml")
    ap.add_argument("--warm-runs", type=int, default=2)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="goperf-overhead-") as tmp:
        # cold: Go compiles everything again, and the load generator is built again (pytest_goperf/tool_cache.py)
        env = dict(os.environ, GOCACHE=str(Path(tmp) / "gocache"), GOPERF_CACHE=str(Path(tmp) / "goperf-cache"))
        cold = gate(args.config.resolve(), Path(tmp) / "art-cold", Path(tmp) / "cold.json", env)
        show("cold (empty Go build cache and artifacts)", cold, Path(tmp) / "cold.json")
        ratios = []
        for i in range(args.warm_runs):
            # Go's build cache kept, artifacts folder new: a CI job with a cached GOCACHE on a fresh checkout
            # (binaries are linked again; an old artifacts folder would let go build skip the links).
            report = Path(tmp) / f"warm{i}.json"
            wall = gate(args.config.resolve(), Path(tmp) / f"art-warm{i}", report, env)
            ratios.append(show(f"warm run {i + 1} (Go cache kept, new artifacts folder)", wall, report))
        print(f"\nwarm pytest wall / measuring: {', '.join(f'{r:.2f}x' for r in ratios)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
