"""CPU per request and percentile agreement of every load engine, plus the TLS engine against wrk on HTTPS.

A script, not a test: it prints markdown tables and judges nothing.

1. ``tls``: closed-model maximum throughput over HTTPS (HTTP/1.1) of our
   net/http engine against ``wrk`` (which links OpenSSL) on the same endpoint
   of tests/data/load/tlsservice, runs interleaved, CPU seconds per request of
   each from the children's rusage; then our HTTP/2 over TLS and h2c (wrk
   speaks neither).
2. ``engines``: the example service at one fixed rate, driven in turn by
   ``builtin`` (epoll), ``vegeta`` and ``locust`` (two workers): p50/p90/p99
   measured from the scheduled start (every engine), vegeta's own p50/p99
   from its send, and CPU per request.

Usage:  python benchmarks/loadgen_engines.py [tls|engines|all] [--rounds 3] [--duration 5] [--rate 500]
Needs ``go``, ``wrk`` (apt-get install wrk), locust (pip install '.[locust]') and the module proxy (vegeta).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from pytest_goperf.config import LoadConfig, LocustConfig, RequestSpec, TLSConfig
from pytest_goperf.go.build import Side, build_side
from pytest_goperf.go.service import ServiceProcess
from pytest_goperf.go.toolchain import find_go
from pytest_goperf.load.generator import build_loadgen, run_load
from pytest_goperf.load.vegeta import install_vegeta
from pytest_goperf.run.window import run_window

ROOT = Path(__file__).resolve().parents[1]


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def wrk(url: str, connections: int, duration: float) -> tuple[int, float]:
    c0 = children_cpu()
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", url],
                         capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    n = re.search(r"(\d+) requests in", out)
    if n is None:
        raise SystemExit(f"cannot read wrk output:\n{out}")
    return int(n.group(1)), children_cpu() - c0


def tls_part(args: argparse.Namespace, tmp: Path) -> None:
    go = find_go()
    loadgen = build_loadgen(go, tmp / "cache")
    svc_bin = tmp / "tlsservice"
    subprocess.run([str(go.path), "build", "-o", str(svc_bin), "."], cwd=ROOT / "tests/data/load/tlsservice",
                   env=go.env(), check=True)
    subprocess.run([str(svc_bin), "-gencert", str(tmp)], check=True)
    tls = TLSConfig(ca_file=tmp / "ca.pem")
    args_tls = ["-addr={addr}", "-cert", str(tmp / "cert.pem"), "-key", str(tmp / "key.pem")]
    ours: dict[str, list[tuple[float, float]]] = {"wrk HTTP/1.1": [], "ours HTTP/1.1": [], "ours HTTP/2": [],
                                                  "ours h2c": []}
    load = LoadConfig(warmup=0.0, duration=args.duration, rate=None, connections=args.connections,
                      requests=(RequestSpec(path="/healthz"),))
    from pytest_goperf.load.protocol import h2c_status

    with ServiceProcess(svc_bin, args=args_tls, env={"GOMAXPROCS": "1"}, log_path=tmp / "tls.log", tls=tls) as svc, \
            ServiceProcess(svc_bin, args=["-addr={addr}", "-h2c-only"], env={"GOMAXPROCS": "1"},
                           log_path=tmp / "h2c.log", ready_probe=h2c_status) as h2c:
        for _ in range(args.rounds):
            n, cpu = wrk(svc.url + "/healthz", args.connections, args.duration)
            ours["wrk HTTP/1.1"].append((n / args.duration, cpu / n))
            for name, url, h2, t in (("ours HTTP/1.1", svc.url, False, tls), ("ours HTTP/2", svc.url, True, tls),
                                     ("ours h2c", h2c.url, True, None)):
                c0 = children_cpu()
                r = run_load(loadgen, url, dataclasses.replace(load, http2=h2), tmp / "r.json", tls=t)
                ours[name].append((r.requests / args.duration, (children_cpu() - c0) / max(r.requests, 1)))
    base = statistics.median(c for _, c in ours["wrk HTTP/1.1"])
    print(f"\n## TLS engine, closed model, {args.connections} connections, {args.rounds} rounds of "
          f"{args.duration:g}s (load average before: {os.getloadavg()[0]:.1f})\n")
    print("| client | requests/s, median (spread) | CPU per request µs, median (spread) | vs wrk |")
    print("|---|---|---|---|")
    for name, runs in ours.items():
        cpus = [c * 1e6 for _, c in runs]
        print(f"| {name} | {spread([r for r, _ in runs], '{:.0f}')} | {spread(cpus, '{:.1f}')} | "
              f"{statistics.median(c for _, c in runs) / base:.2f}x |")


def engines_part(args: argparse.Namespace, tmp: Path) -> None:
    go = find_go()
    loadgen = build_loadgen(go, tmp / "cache")
    vegeta = install_vegeta(go, tmp / "cache")
    side = build_side(go, Side(label="off", module=ROOT / "examples/go-service", main=".", pgo="off"), tmp / "ex",
                      service_name="go-service", bench_packages=None)
    assert side.service_binary is not None
    body = '{"customer":"acme","currency":"EUR","items":["a","b"]}'
    load = LoadConfig(warmup=1.0, duration=args.duration, rate=args.rate, connections=16, trace=0,
                      requests=(RequestSpec(method="POST", path="/api/process", body=body,
                                            headers=(("Content-Type", "application/json"),)),))
    runs: dict[str, list[dict[str, float]]] = {"builtin": [], "vegeta": [], "locust (2 workers)": []}
    tools: dict[str, Callable[[ServiceProcess, Path], LoadConfig]] = {
        "builtin": lambda s, a: load, "vegeta": lambda s, a: dataclasses.replace(load, tool="vegeta"),
        "locust (2 workers)": lambda s, a: dataclasses.replace(load, tool="locust", locust=LocustConfig(workers=2))}
    with ServiceProcess(side.service_binary, args=["-addr={addr}"], env={"GOMAXPROCS": "1"},
                        log_path=tmp / "svc.log") as svc:
        for i in range(args.rounds):
            for name, make in tools.items():
                art = tmp / f"{name.split()[0]}-{i}"
                c0 = children_cpu()
                w = run_window(svc, make(svc, art), art, loadgen=loadgen, vegeta=vegeta, captures=())
                cpu = children_cpu() - c0
                r = w.load
                assert r is not None
                row = {"p50": r.p50, "p90": r.p90, "p99": r.p99, "cpu": cpu / max(r.requests + r.warmup_requests, 1),
                       "sent": r.judged_rate}
                if name == "vegeta":
                    rep = json.loads(subprocess.run([str(vegeta), "report", "-type=json", str(art / "vegeta-0.bin")],
                                                    capture_output=True, text=True, check=True).stdout)
                    row.update(own50=rep["latencies"]["50th"] * 1e-9, own99=rep["latencies"]["99th"] * 1e-9)
                if name.startswith("locust"):
                    stats = json.loads((art / "load.json").read_text())["locust_stats"]
                    row.update(own50=float(stats["50%"]) * 1e-3, own99=float(stats["99%"]) * 1e-3)
                runs[name].append(row)
    print(f"\n## Engines on the example service at {args.rate:g}/s, {args.rounds} rounds of {args.duration:g}s "
          f"(load average after: {os.getloadavg()[0]:.1f})\n")
    print("| engine | sent/s | p50 | p90 | p99 (from the schedule) | engine's own p50 / p99 (from its send) "
          "| CPU per request µs |")
    print("|---|---|---|---|---|---|---|")
    for name, rows in runs.items():
        def col(k: str, scale: float = 1e3, fmt: str = "{:.2f}", rows: list[dict[str, float]] = rows) -> str:
            return spread([r[k] * scale for r in rows], fmt) if all(k in r for r in rows) else "-"
        own = f"{col('own50')} / {col('own99')} ms" if "own50" in rows[0] else "same"
        print(f"| {name} | {col('sent', 1, '{:.0f}')} | {col('p50')} ms | {col('p90')} ms | {col('p99')} ms | {own} "
              f"| {col('cpu', 1e6, '{:.0f}')} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("part", nargs="?", default="all", choices=("tls", "engines", "all"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rate", type=float, default=500.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="goperf-engines-") as tmp:
        if args.part in ("tls", "all"):
            tls_part(args, Path(tmp))
        if args.part in ("engines", "all"):
            engines_part(args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
