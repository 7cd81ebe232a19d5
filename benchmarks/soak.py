"""Soak: run a goperf gate back to back and count what goes wrong, leaks included.

    python benchmarks/soak.py [-n 20] [--runtime-only] [FILE.goperf.yaml]

Default FILE: examples/go-service/goperf.yaml (written to a scratch folder
with absolute paths).  Each run is ``python -m pytest --goperf FILE
--junitxml=...`` in a fresh artifacts folder, as CI runs it.  Before and
after each run it takes stock of:

- processes: any process still alive afterwards whose executable or command
  line lies in the run's artifacts folder (a service, a load generator, a
  test binary): ``tests.helpers.processes_under``;
- threads and open file descriptors of this script (a leak in the plugin's
  process shows in the next run's pytest, not here, so the figure to read is
  the processes);
- temporary folders: new ``goperf*`` / ``pytest-goperf*`` entries in the
  temp directory that the run left behind.

It prints, per test: passed / failed / skipped counts and, for failures, the
first line of each message; then the wall-time spread and every leak.  It
judges nothing (exit 0); the figures go in the README.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import example_config, processes_under  # noqa: E402  (the repository root first)


def _temp_entries() -> set[str]:
    tmp = Path(tempfile.gettempdir())
    return {p.name for p in tmp.iterdir() if p.name.startswith(("goperf", "pytest-goperf"))}


def _fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return -1


def _outcomes(xml: Path) -> dict[str, tuple[str, str]]:
    """test name -> (outcome, first line of the failure message)."""
    out: dict[str, tuple[str, str]] = {}
    for tc in ET.parse(xml).iter("testcase"):
        kids = {c.tag: c for c in tc}
        if "failure" in kids or "error" in kids:
            node = kids.get("failure", kids.get("error"))
            message = (node.get("message", "") if node is not None else "").splitlines()
            out[tc.get("name", "")] = ("failed", message[0][:200] if message else "")
        elif "skipped" in kids:
            out[tc.get("name", "")] = ("skipped", "")
        else:
            out[tc.get("name", "")] = ("passed", "")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--runtime-only", action="store_true", help="drop the bench section (runtime gates only)")
    ap.add_argument("yaml", nargs="?", help="a goperf.yaml (default: the example's)")
    a = ap.parse_args()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    messages: dict[str, list[str]] = defaultdict(list)
    walls: list[float] = []
    leaks: list[str] = []
    with tempfile.TemporaryDirectory(prefix="soak-") as t:
        tmp = Path(t)
        if a.yaml:
            path = Path(a.yaml).resolve()
        else:
            import yaml

            cfg = example_config()
            if a.runtime_only:
                cfg.pop("bench", None)
                cfg["thresholds"].pop("bench", None)
            path = tmp / "goperf.yaml"
            path.write_text(yaml.safe_dump(cfg))
        threads0, fds0 = threading.active_count(), _fds()
        for i in range(a.n):
            art = tmp / f"art-{i}"
            xml = tmp / f"run-{i}.xml"
            before_tmp = _temp_entries()
            load = os.getloadavg()[0]
            t0 = time.monotonic()
            subprocess.run([sys.executable, "-m", "pytest", "--goperf", str(path), f"--junitxml={xml}", "-q",
                            "-p", "no:cacheprovider", f"--goperf-artifacts={art}"],
                           capture_output=True, text=True, check=False, cwd=tmp)
            walls.append(time.monotonic() - t0)
            time.sleep(1.0)  # anything still alive a second after pytest returned is a leak
            leaks += [f"run {i + 1}: process left: {line[:160]}" for line in processes_under(art)]
            leaks += [f"run {i + 1}: temp entry left: {name}" for name in sorted(_temp_entries() - before_tmp)]
            got = _outcomes(xml) if xml.exists() else {"(no JUnit written)": ("failed", "")}
            for test, (outcome, message) in got.items():
                counts[test][outcome] += 1
                if message:
                    messages[test].append(f"run {i + 1}: {message}")
            failed = sorted(test for test, (o, _m) in got.items() if o == "failed")
            print(f"run {i + 1}/{a.n}: {walls[-1]:.0f}s, load average {load:.2f}, "
                  f"failed: {', '.join(failed) or 'none'}", file=sys.stderr, flush=True)
        if threading.active_count() != threads0 or _fds() != fds0:
            leaks.append(f"this script: threads {threads0} -> {threading.active_count()}, fds {fds0} -> {_fds()}")
    print(f"{a.n} runs of {a.yaml or 'examples/go-service/goperf.yaml'}"
          + (" (runtime gates only)" if a.runtime_only else ""))
    for test in sorted(counts):
        c = counts[test]
        print(f"  {test}: passed {c['passed']}, failed {c['failed']}, skipped {c['skipped']}")
        for line in messages[test][:5]:
            print(f"      {line}")
    print(f"wall per run: min {min(walls):.0f}s, median {statistics.median(walls):.0f}s, max {max(walls):.0f}s")
    print("leaks: " + ("none" if not leaks else f"{len(leaks)}\n  " + "\n  ".join(leaks)))


if __name__ == "__main__":
    main()
