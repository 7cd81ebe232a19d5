"""Open-model latency of pytest-goperf's load generator against vegeta, at the same rates on the same service.

A script, not a test: it prints a table (markdown) and judges nothing.  For
each rate, runs alternate (ours, vegeta, ours, vegeta, ...) against the
example service's endpoint, and the medians over rounds are printed:

- p50 / p99 latency of each tool.  Ours is measured from the *scheduled*
  send time (open model, coordinated omission counted); vegeta measures from
  its own actual send.  The gap between the two is what our send lag adds.
- our send lag (write start minus the moment we could have sent) p50/p99/max;
- CPU per request of each generator (children's rusage around each run).

Usage:  python benchmarks/loadgen_vs_vegeta.py [--rates 50,1000,10000] [--duration 5]
        [--rounds 3] [--connections 16] [--path /healthz] [--vegeta PATH] [--loadgen PATH]
Needs ``go`` and vegeta: ``go install github.com/tsenart/vegeta/v12@v12.13.0``
(found on PATH, in ``$(go env GOPATH)/bin`` or given with --vegeta).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from pytest_goperf.config import LoadConfig, RequestSpec
from pytest_goperf.go.service import ServiceProcess
from pytest_goperf.go.toolchain import GoToolchain, find_go
from pytest_goperf.load.generator import build_loadgen, run_load

ROOT = Path(__file__).resolve().parents[1]


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def find_vegeta(go: GoToolchain, given: str | None) -> str | None:
    if given:
        return given
    if found := shutil.which("vegeta"):
        return found
    gopath = subprocess.run([str(go.path), "env", "GOPATH"], capture_output=True, text=True, env=go.env()).stdout.strip()
    candidate = Path(gopath.split(os.pathsep)[0]) / "bin" / "vegeta" if gopath else None
    return str(candidate) if candidate and candidate.is_file() else None


def vegeta_run(vegeta: str, url: str, rate: int, duration: float, connections: int, tmp: Path) -> dict[str, float]:
    """One vegeta attack; returns p50/p99/max (s), requests, success share and CPU seconds per request."""
    targets = tmp / "targets.txt"
    targets.write_text(f"GET {url}\n")
    results = tmp / "vegeta.bin"
    c0 = children_cpu()
    with results.open("wb") as out:
        subprocess.run([vegeta, "attack", f"-rate={rate}/s", f"-duration={duration:g}s", f"-targets={targets}",
                        f"-connections={connections}", "-max-workers=1000", "-timeout=10s"],
                       stdout=out, check=True, timeout=duration + 60)
    cpu = children_cpu() - c0
    report = subprocess.run([vegeta, "report", "-type=json", str(results)], capture_output=True, text=True,
                            check=True, timeout=120).stdout
    data = json.loads(report)
    lat = data["latencies"]
    n = int(data["requests"])
    return {"p50": lat["50th"] * 1e-9, "p99": lat["99th"] * 1e-9, "max": lat["max"] * 1e-9, "requests": n,
            "success": float(data["success"]), "cpu_per_req": cpu / max(n, 1)}


def ours_run(loadgen: Path, base: str, path: str, rate: int, duration: float, connections: int,
             out: Path) -> dict[str, float]:
    load = LoadConfig(warmup=0.0, duration=duration, rate=rate, connections=connections,
                      requests=(RequestSpec(path=path),), timeout=10.0)
    c0 = children_cpu()
    r = run_load(loadgen, base, load, out)
    cpu = children_cpu() - c0
    lag = r.send_lag
    return {"p50": r.p50, "p99": r.p99, "max": r.max, "requests": r.requests,
            "success": r.ok / max(r.requests, 1), "cpu_per_req": cpu / max(r.requests + r.warmup_requests, 1),
            "lag_p50": lag.p50 if lag else float("nan"), "lag_p99": lag.p99 if lag else float("nan"),
            "lag_max": lag.max if lag else float("nan"), "send_rate": r.judged_rate}


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs" if seconds >= 1e-5 else f"{seconds * 1e6:.1f} µs"


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rates", default="50,1000,10000")
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--path", default="/healthz")
    ap.add_argument("--vegeta")
    ap.add_argument("--loadgen", help="a prebuilt generator binary (default: build this checkout's)")
    ap.add_argument("--service-gomaxprocs", default="1")
    args = ap.parse_args()
    go = find_go()
    vegeta = find_vegeta(go, args.vegeta)
    if vegeta is None:
        print("vegeta not found: go install github.com/tsenart/vegeta/v12@v12.13.0", file=sys.stderr)
        return 2
    rates = [int(x) for x in args.rates.split(",")]
    with tempfile.TemporaryDirectory(prefix="goperf-vegeta-") as tmp_s:
        tmp = Path(tmp_s)
        service_bin = tmp / "go-service"
        subprocess.run([str(go.path), "build", "-o", str(service_bin), "."], cwd=ROOT / "examples" / "go-service",
                       env=go.env(), check=True)
        loadgen = Path(args.loadgen) if args.loadgen else build_loadgen(go, tmp / "cache")
        rows = []
        with ServiceProcess(service_bin, args=["-addr={addr}", "-debug-addr="],
                            env={"GOMAXPROCS": args.service_gomaxprocs}, log_path=tmp / "service.log") as svc:
            for rate in rates:
                ours: list[dict[str, float]] = []
                theirs: list[dict[str, float]] = []
                for i in range(args.rounds):
                    ours.append(ours_run(loadgen, svc.url, args.path, rate, args.duration, args.connections,
                                         tmp / f"ours-{rate}-{i}.json"))
                    theirs.append(vegeta_run(vegeta, svc.url + args.path, rate, args.duration, args.connections, tmp))
                    print(f"rate {rate}/s round {i + 1}: ours p50 {us(ours[-1]['p50'])} p99 {us(ours[-1]['p99'])} "
                          f"lag p99 {us(ours[-1]['lag_p99'])}; vegeta p50 {us(theirs[-1]['p50'])} "
                          f"p99 {us(theirs[-1]['p99'])}", flush=True)

                def med(runs: list[dict[str, float]], key: str) -> float:
                    return statistics.median(r[key] for r in runs)

                rows.append((rate, med(ours, "p50"), med(ours, "p99"), med(theirs, "p50"), med(theirs, "p99"),
                             med(ours, "lag_p50"), med(ours, "lag_p99"), med(ours, "lag_max"),
                             med(ours, "cpu_per_req"), med(theirs, "cpu_per_req"),
                             min(r["success"] for r in ours + theirs)))
    print(f"\nmedians of {args.rounds} interleaved rounds of {args.duration:g}s, {args.connections} connections, "
          f"GET {args.path}, service GOMAXPROCS={args.service_gomaxprocs}:\n")
    print("| rate | ours p50 | vegeta p50 | ours p99 | vegeta p99 | our send lag p50 / p99 / max | "
          "CPU per request, ours / vegeta |")
    print("|---|---|---|---|---|---|---|")
    for rate, p50, p99, vp50, vp99, l50, l99, lmax, cpu, vcpu, ok in rows:
        print(f"| {rate:,}/s | {us(p50)} | {us(vp50)} | {us(p99)} | {us(vp99)} | {us(l50)} / {us(l99)} / {us(lmax)} "
              f"| {cpu * 1e6:.1f} / {vcpu * 1e6:.1f} µs ({cpu / vcpu:.2f}x) |"
              + ("" if ok == 1.0 else f" (lowest success share {ok:.4f})"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
