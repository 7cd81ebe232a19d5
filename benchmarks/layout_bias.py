"""Code-layout bias of the bench gate, on a real module: which rows fail, per setting, over repeated runs.

    python benchmarks/layout_bias.py MODULE [--runs 5] [--count 12] [--benchtime 100ms]
                                     [--bench .] [--packages ./...] [--settings 1:utest,1:paired,4:paired]
    python benchmarks/layout_bias.py MODULE --direct ./PKG --bench REGEXP [--rounds 30] [--layouts 8]

MODULE is a git repository with an uncommitted change.  Each run gates the
working tree against ``git:HEAD`` once per setting (``LAYOUTS:TEST``:
``bench.layouts`` and ``thresholds.bench.test``), the settings taking turns
so machine drift hits them alike, and counts each row's failures.  A row
whose package the change cannot reach is a false alarm when it fails; a row
of the changed code is a detection.

``--direct`` skips the gate: it builds one package's test binary from
``HEAD`` and from the working tree, runs them alternately ``--rounds``
times in the toolchain's own layout, then again over ``--layouts`` layouts
(``-ldflags=-randlayout=1..N``, the same seed for both in a round), and
prints each benchmark's median per side and per layout: how much of a
difference is the binary's layout.  It judges nothing; docs/bench.md
("Code layout") gives the figures measured with it.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

YAML = """\
service: {{name: layout, module: {module}}}
bench: {{packages: {packages}, bench: {bench!r}, count: {count}, benchtime: {benchtime}, baseline: "git:HEAD",
         candidate: worktree, layouts: {layouts}}}
thresholds:
  bench: {{max_regression: 5%, units: [sec/op], test: {test}}}
"""


def failures(junit: Path) -> tuple[set[str], int]:
    """(names of the failed goperf test cases, how many ran) of one run's JUnit file."""
    failed, total = set(), 0
    for case in ET.parse(junit).iter("testcase"):
        total += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(case.get("name", "?"))
    return failed, total


def _build(module: Path, pkg: str, out: Path, seed: int) -> Path:
    flags = [f"-ldflags=-randlayout={seed}"] if seed else []
    subprocess.run(["go", "test", "-c", "-o", str(out), *flags, pkg], cwd=module, check=True)
    return out


def _run(binary: Path, folder: Path, bench: str, benchtime: str) -> dict[str, float]:
    out = subprocess.run([str(binary), "-test.run=^$", f"-test.bench={bench}", f"-test.benchtime={benchtime}",
                          "-test.count=1"], cwd=folder, capture_output=True, text=True, check=True).stdout
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(Benchmark\S+)\s+\d+\s+([\d.]+) ns/op", out, re.M)}


def direct(module: Path, pkg: str, bench: str, benchtime: str, rounds: int, layouts: int) -> int:
    """HEAD's and the working tree's test binary of ``pkg``, alternately, in one layout and then in many."""
    with tempfile.TemporaryDirectory(prefix="goperf-layout-") as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=module, capture_output=True, check=True).stdout
        subprocess.run(["tar", "x"], cwd=base, input=archive, check=True)
        sides = {"HEAD": base, "worktree": module}
        bins = {(side, seed): _build(root, pkg, Path(tmp) / f"{side}-{seed}.test", seed)
                for side, root in sides.items() for seed in range(layouts + 1)}
        results: dict[tuple[str, int], dict[str, list[float]]] = {k: {} for k in bins}
        for phase in ("one layout", "layouts"):
            for i in range(rounds):
                seed = 0 if phase == "one layout" else 1 + i % layouts
                for side, root in sides.items():
                    for name, ns in _run(bins[(side, seed)], root / pkg, bench, benchtime).items():
                        results[(side, seed)].setdefault(name, []).append(ns)
        names = sorted({n for r in results.values() for n in r})
        for name in names:
            def med(side: str, seeds: range, name: str = name) -> float:
                return statistics.median(v for s in seeds for v in results[(side, s)].get(name, []))
            one = (med("HEAD", range(0, 1)), med("worktree", range(0, 1)))
            many = (med("HEAD", range(1, layouts + 1)), med("worktree", range(1, layouts + 1)))
            per = [med("HEAD", range(s, s + 1)) for s in range(1, layouts + 1)]
            print(f"{name}: one layout {one[0]:.3f} -> {one[1]:.3f} ns ({(one[1] / one[0] - 1) * 100:+.1f} %); "
                  f"{layouts} layouts {many[0]:.3f} -> {many[1]:.3f} ns ({(many[1] / many[0] - 1) * 100:+.1f} %); "
                  f"HEAD by layout {min(per):.3f}-{max(per):.3f} ns", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("module", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--benchtime", default="100ms")
    ap.add_argument("--bench", default=".")
    ap.add_argument("--packages", default="./...")
    ap.add_argument("--settings", default="1:utest,1:paired,4:paired")
    ap.add_argument("--direct", metavar="./PKG", help="compare the two test binaries of one package directly")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--layouts", type=int, default=8)
    args = ap.parse_args(argv)
    module = args.module.resolve()
    if args.direct:
        return direct(module, args.direct, args.bench, args.benchtime, args.rounds, args.layouts)
    settings = [tuple(s.split(":")) for s in args.settings.split(",")]
    tally: dict[tuple[str, ...], Counter[str]] = {s: Counter() for s in settings}
    rows: dict[tuple[str, ...], int] = {}
    with tempfile.TemporaryDirectory(prefix="goperf-layout-") as tmp:
        for run in range(1, args.runs + 1):
            for layouts, test in settings:
                key = (layouts, test)
                yaml = Path(tmp) / f"l{layouts}-{test}.goperf.yaml"
                yaml.write_text(YAML.format(module=module, packages=args.packages.split(","), bench=args.bench,
                                            count=args.count, benchtime=args.benchtime, layouts=layouts, test=test))
                junit = Path(tmp) / f"junit-{run}-{layouts}-{test}.xml"
                proc = subprocess.run([sys.executable, "-m", "pytest", "--goperf", str(yaml), "-q", "-p",
                                       "no:cacheprovider", "--goperf-artifacts", str(Path(tmp) / f"art-{run}-{layouts}-{test}"),
                                       f"--junitxml={junit}"], cwd=module, capture_output=True, text=True)
                if not junit.exists() or proc.returncode not in (0, 1):
                    print(proc.stdout[-3000:], proc.stderr[-2000:], file=sys.stderr)
                    return 2
                failed, rows[key] = failures(junit)
                tally[key].update(failed)
                print(f"run {run} layouts {layouts} {test}: {len(failed)} of {rows[key]} rows failed: "
                      f"{', '.join(sorted(failed)) or '-'}", flush=True)
    print(f"\n{args.runs} runs each, count {args.count}, benchtime {args.benchtime}:")
    for key, counts in tally.items():
        print(f"layouts {key[0]}, {key[1]}: {rows.get(key, 0)} rows; failures per row: "
              + (", ".join(f"{name} {n}/{args.runs}" for name, n in sorted(counts.items())) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
