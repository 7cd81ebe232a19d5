"""How often do the runtime gates fail a healthy service?  Run them N times back to back and count.

    python benchmarks/runtime_repeatability.py [-n 20] [--service example|pool|both] [--markdown]

Two healthy services, each under its own YAML with the example's limits at
their documented values:

- ``example``: examples/go-service/goperf.yaml as shipped (bench section left
  out: only the runtime gates);
- ``pool``: tests/data/health/shapes with -pool 4: few goroutines, a worker
  pool fed by a channel, a 4 MiB allocation burst every 50 requests.

Each run is ``python -m pytest --goperf FILE --junitxml=...`` in a fresh
artifacts folder.  Per gate it prints the pass rate and the min / median /
max of the measured figure against its limit (from the JUnit properties),
plus the load average and machine noise seen.  A failure's first line is
printed as it happens, so a false alarm can be read, not just counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "go-service"
SHAPES = ROOT / "tests" / "data" / "health" / "shapes"

# gate -> (figure, limit property, how to show it)
FIGURES = {
    "cpu": ("hottest_flat_share", "max_function_share", "share"),
    "heap": ("growth_per_min", "max_growth_per_min", "share"),
    "goroutines": ("worst_deviation_abs", "band", "count"),
    "scheduler": ("sched_p99_ns", "sched_p99_limit_s", "ns"),
    "gc": ("gc_stw_max_ns", "gc_stw_max_limit_s", "ns"),
    "blocks": ("blocks_max_ns", "blocks_max_limit_s", "ns"),
    "latency": ("p99", "p99_limit", "s"),
}


def example_yaml() -> dict:
    cfg = yaml.safe_load((EXAMPLE / "goperf.yaml").read_text())
    cfg["service"]["module"] = str(EXAMPLE)
    for req in cfg["load"]["requests"]:
        if "body_file" in req:  # the YAML is written elsewhere: keep the example's file
            req["body_file"] = str(EXAMPLE / req["body_file"])
    cfg.pop("bench", None)
    cfg["thresholds"].pop("bench", None)
    return cfg


def pool_yaml() -> dict:
    cfg = example_yaml()
    cfg["service"] = {"name": "pool", "module": str(SHAPES),
                      "args": ["-addr={addr}", "-debug-addr={debug_addr}", "-pool=4", "-burst=50"],
                      "env": {"GOMAXPROCS": "2"}, "ready": {"path": "/healthz", "timeout": "30s"}}
    cfg["load"]["requests"] = [{"path": "/work"}]
    cfg["load"]["connections"] = 4
    cfg["thresholds"].pop("pgo", None)  # no default.pgo: the pgo check is the example's, not a runtime gate
    cfg.pop("pgo", None)
    return cfg


def fmt(value: float | None, how: str) -> str:
    if value is None:
        return "-"
    if how == "share":
        return f"{value * 100:.2f}%"
    if how == "ns":
        return f"{value / 1e3:.0f}µs" if value < 1e6 else f"{value / 1e6:.2f}ms"
    if how == "s":
        return f"{value * 1e3:.2f}ms"
    return f"{value:g}"


def props(tc: ET.Element) -> dict[str, float]:
    """A testcase's numeric figures: the ``key=value`` lines of its ``<system-out>`` (xunit2 has no properties)."""
    out: dict[str, float] = {}
    pairs = [(p.get("name", ""), p.get("value", "")) for p in tc.iter("property")]
    for node in tc.iter("system-out"):
        pairs += [tuple(line.split("=", 1)) for line in (node.text or "").splitlines() if "=" in line]  # type: ignore[misc]
    for name, value in pairs:
        try:
            out[name] = float(value)
        except ValueError:
            pass
    return out


def run(name: str, cfg: dict, n: int, tmp: Path, markdown: bool) -> list[str]:
    path = tmp / f"{name}.goperf.yaml"
    path.write_text(yaml.safe_dump(cfg))
    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    values: dict[str, list[float]] = defaultdict(list)
    limits: dict[str, float] = {}
    noise: dict[str, list[float]] = defaultdict(list)
    loads: list[float] = []
    for i in range(n):
        xml = tmp / f"{name}-{i}.xml"
        loads.append(os.getloadavg()[0])
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "pytest", "--goperf", str(path), f"--junitxml={xml}", "-q",
                               "-p", "no:cacheprovider", f"--goperf-artifacts={tmp}/art-{name}-{i}"],
                              capture_output=True, text=True, check=False)
        wall = time.monotonic() - t0
        if not xml.exists():
            print(f"{name} run {i + 1}: no JUnit report\n{proc.stdout[-2000:]}", flush=True)
            continue
        failed = []
        for tc in ET.parse(xml).iter("testcase"):
            gate = tc.get("name", "")
            kids = {c.tag for c in tc}
            state = "failed" if kids & {"failure", "error"} else "skipped" if "skipped" in kids else "passed"
            outcomes[gate][state] += 1
            p = props(tc)
            if gate == "goroutines" and "worst_sample" in p:
                p["worst_deviation_abs"] = abs(p["worst_sample"] - p["median"])
            if gate == "latency":
                p.setdefault("p99_limit", float(cfg["thresholds"]["latency"]["p99"].removesuffix("ms")) / 1e3)
            fig, lim, _how = FIGURES.get(gate, ("", "", ""))
            if fig in p:
                values[gate].append(p[fig])
            if lim in p:
                limits[gate] = p[lim] * (1e9 if lim.endswith("_limit_s") else 1)
            for k in ("machine_steal", "machine_cpu_pressure", "machine_other_cores"):
                if k in p and gate == "cpu":
                    noise[k].append(p[k])
            if state == "failed":
                msg = next((c.get("message", "") for c in tc if c.tag in ("failure", "error")), "")
                failed.append(f"{gate}: {msg.splitlines()[0][:300] if msg else ''}")
        print(f"{name} run {i + 1}/{n}: {wall:.0f}s, load average {loads[-1]:.2f}"
              + ("".join(f"\n  FAILED {f}" for f in failed)), flush=True)
    title = (f"\n{name}: {n} runs, load average at start min {min(loads):.2f} / median "
             f"{statistics.median(loads):.2f} / max {max(loads):.2f}")
    lines = [title]
    for k, vs in noise.items():
        lines.append(f"  {k}: min {min(vs):.3f} / median {statistics.median(vs):.3f} / max {max(vs):.3f}")
    head = "| gate | passed | failed | skipped | min | median | max | limit |"
    lines += [head, "|---|---|---|---|---|---|---|---|"] if markdown else [head]
    for gate, states in outcomes.items():
        how = FIGURES.get(gate, ("", "", "count"))[2]
        vs = values.get(gate, [])
        cells = [fmt(min(vs), how), fmt(statistics.median(vs), how), fmt(max(vs), how)] if vs else ["-"] * 3
        lim = limits.get(gate)
        lines.append(f"| {gate} | {states['passed']} | {states['failed']} | {states['skipped']} | "
                     + " | ".join(cells) + f" | {fmt(lim, how) if lim is not None else '-'} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--service", choices=("example", "pool", "both"), default="both")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    report: list[str] = []
    with tempfile.TemporaryDirectory(prefix="goperf-repeat-") as t:
        tmp = Path(t)
        if a.service in ("example", "both"):
            report += run("example", example_yaml(), a.n, tmp, a.markdown)
        if a.service in ("pool", "both"):
            report += run("pool", pool_yaml(), a.n, tmp, a.markdown)
    print("\n".join(report))


if __name__ == "__main__":
    main()
