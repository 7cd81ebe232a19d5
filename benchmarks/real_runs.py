"""Real end-to-end gate runs on this runner: A/A against git:HEAD, and a real 10 % slowdown.

    python benchmarks/real_runs.py [--runs 10] [--count 10] [--benchtime 100ms] [--max-count 30]
                                   [--budget 5m] [--only aa|slow]

Copies examples/go-service into a fresh git repository (one commit), then
runs ``pytest --goperf`` with ``bench.baseline: git:HEAD`` and
``candidate: worktree`` (units sec/op, max_regression 5 %, the default
utest):

* ``--runs`` times on the unchanged tree (A/A): every failure is a false alarm;
* ``--runs`` times with an uncommitted busy-wait of 0.1x the handler's own
  time (handleProcess spins until 1.1x what the real work took): every
  failure is a detection.

Prints each run's outcome, its MDEs (from the JUnit figures) and the load
average, then the totals.  Never part of the test suite: it takes minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "go-service"

YAML = """\
service: {{name: shop}}
bench: {{packages: [.], bench: HandleRequest, count: {count}, benchtime: {benchtime}, baseline: "git:HEAD",
         candidate: worktree{auto}}}
thresholds:
  bench: {{max_regression: 5%, units: [sec/op]}}
"""

SLOWDOWN = """\
package main

import (
	"net/http"
	"time"
)

// handleProcess is handleProcessFast plus 0.1x its own time of busy-waiting: a real 10 % slowdown.
func handleProcess(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	handleProcessFast(w, r)
	spent := time.Since(start)
	for time.Since(start) < spent*11/10 {
	}
}
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True,
                   capture_output=True)


def run(repo: Path, art: Path, junit: Path) -> tuple[str, list[str], str]:
    """(passed / failed / error, MDE per row, how many rounds and how long) of one gate run."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "--goperf", str(repo / "goperf.yaml"), "--goperf-artifacts",
                           str(art), f"--junitxml={junit}", "-q", "-p", "no:cacheprovider"], cwd=repo,
                          capture_output=True, text=True)
    mdes = []
    if junit.exists():  # the figures are lines "mde_pct=..." in each goperf test case
        for case in ET.parse(junit).iter("testcase"):
            found = re.search(r"mde_pct=([0-9.]+)", ET.tostring(case, encoding="unicode"))
            if found:
                name = re.search(r"HandleRequest/\w+", case.get("name", ""))
                mdes.append(f"{name.group(0) if name else case.get('name')} {float(found.group(1)):.1f}%")
    out = "failed" if proc.returncode == 1 else "passed" if proc.returncode == 0 else f"error {proc.returncode}"
    if out.startswith("error"):
        print(proc.stdout[-2000:], file=sys.stderr)
    rounds = (art / "shop" / "new.txt").read_text().count("HandleRequest/small") if (art / "shop" / "new.txt").exists() else 0
    return out, mdes, f"{rounds} rounds in {time.monotonic() - start:.0f}s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--count", default="10")
    ap.add_argument("--benchtime", default="100ms")
    ap.add_argument("--max-count", type=int, default=None, help="bench.max_count (count auto)")
    ap.add_argument("--budget", default=None, help="bench.budget (count auto)")
    ap.add_argument("--only", choices=("aa", "slow"), default=None, help="only the A/A runs, or only the slowdown")
    args = ap.parse_args(argv)
    auto = "".join(f", {k}: {v}" for k, v in (("max_count", args.max_count), ("budget", args.budget)) if v is not None)
    with tempfile.TemporaryDirectory(prefix="goperf-real-") as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("goperf.yaml"))
        (repo / "goperf.yaml").write_text(YAML.format(count=args.count, benchtime=args.benchtime, auto=auto))
        git(repo, "init", "-q")
        git(repo, "add", ".")
        git(repo, "commit", "-qm", "base")
        totals: dict[str, dict[str, int]] = {}
        labels = {"aa": ("A/A",), "slow": ("10% slower",), None: ("A/A", "10% slower")}[args.only]
        for label in labels:
            if label != "A/A":
                process = repo / "process.go"
                process.write_text(re.sub(r"func handleProcess\(", "func handleProcessFast(", process.read_text()))
                (repo / "slowdown.go").write_text(SLOWDOWN)
            for i in range(args.runs):
                art = Path(tmp) / f"art-{label[:3].strip('/%')}-{i}"
                outcome, mdes, took = run(repo, art, Path(tmp) / f"junit-{i}.xml")
                totals.setdefault(label, {}).setdefault(outcome, 0)
                totals[label][outcome] += 1
                print(f"{label} run {i + 1}: {outcome}; {took}; load {os.getloadavg()[0]:.1f}; "
                      f"MDE {'; '.join(mdes)}", flush=True)
        for label, counts in totals.items():
            print(f"{label}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
