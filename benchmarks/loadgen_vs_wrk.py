"""Speed of pytest-goperf's load generator against wrk, on the same endpoint and machine.

Prints three figures (a script, not a test; no pass/fail):

1. max throughput: our closed model vs ``wrk`` with the same connections,
   runs interleaved, medians compared (aim: ratio >= 0.9);
   plus CPU seconds per request of each generator at that throughput
   (aim: ours <= 1.1x wrk's; robust on a busy machine);
2. rate accuracy: our open model asked for 80 % of our max, sent / asked
   (aim: within 0.25 %), with our send lag;
3. the plugin's own CPU during one capture window (aim: under 5 % of a core).

Usage:  python benchmarks/loadgen_vs_wrk.py [--duration 5] [--connections 16]
        [--rounds 3] [--path /healthz] [--threads 1] [--gomaxprocs 1] [--loadgen PATH]
Needs ``wrk`` (``apt-get install -y wrk``) and ``go``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from pytest_goperf.config import LoadConfig, RequestSpec
from pytest_goperf.load.generator import build_loadgen, run_load
from pytest_goperf.go.toolchain import find_go
from pytest_goperf.go.service import ServiceProcess
from pytest_goperf.run.window import run_window

ROOT = Path(__file__).resolve().parents[1]
_WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")


def children_cpu() -> float:
    """CPU seconds of reaped children so far: brackets one generator run (contention-proof)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def wrk_rps(url: str, *, connections: int, threads: int, duration: float, env: dict[str, str]) -> tuple[float, int]:
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", url],
                         capture_output=True, text=True, check=True, env=env, timeout=duration + 60).stdout
    m = _WRK_RPS.search(out)
    n = re.search(r"(\d+) requests in", out)
    if m is None or n is None:
        raise SystemExit(f"cannot read wrk output:\n{out}")
    return float(m.group(1)), int(n.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--path", default="/healthz")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--gomaxprocs", default="1", help="GOMAXPROCS of our generator (match wrk's threads)")
    ap.add_argument("--service-gomaxprocs", default="1")
    ap.add_argument("--accuracy-at", type=float, default=0.8, help="open-model rate as a share of our max")
    ap.add_argument("--loadgen", help="a prebuilt generator binary, e.g. an older build (default: this checkout's)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="goperf-bench-") as tmp_s:
        tmp = Path(tmp_s)
        go = find_go()
        service_bin = tmp / "go-service"
        subprocess.run([str(go.path), "build", "-o", str(service_bin), "."], cwd=ROOT / "examples" / "go-service",
                       env=go.env(), check=True)
        loadgen = Path(args.loadgen) if args.loadgen else build_loadgen(go, tmp / "cache")
        gen_env = {**os.environ, "GOMAXPROCS": args.gomaxprocs}
        os.environ["GOMAXPROCS"] = args.gomaxprocs  # inherited by our generator
        with ServiceProcess(service_bin, args=["-addr={addr}", "-debug-addr={debug_addr}"],
                            env={"GOMAXPROCS": args.service_gomaxprocs}, log_path=tmp / "service.log") as svc:
            url = svc.url + args.path
            requests = (RequestSpec(method="GET", path=args.path),)
            ours: list[float] = []
            theirs: list[float] = []
            cpu_ours: list[float] = []   # CPU seconds per 1000 requests
            cpu_theirs: list[float] = []
            for i in range(args.rounds):
                c0 = children_cpu()
                rps, n = wrk_rps(url, connections=args.connections, threads=args.threads,
                                 duration=args.duration, env=gen_env)
                theirs.append(rps)
                cpu_theirs.append((children_cpu() - c0) / n * 1000)
                closed = LoadConfig(warmup=0.5, duration=args.duration, rate=None, connections=args.connections,
                                    requests=requests)
                c0 = children_cpu()
                r = run_load(loadgen, svc.url, closed, tmp / f"closed-{i}.json")
                cpu_ours.append((children_cpu() - c0) / (r.requests + r.warmup_requests) * 1000)
                ours.append(r.achieved_rate)
                print(f"round {i + 1}: wrk {theirs[-1]:.0f}/s, loadgen {ours[-1]:.0f}/s "
                      f"(errors {r.errors.total})", flush=True)
            max_ours, max_wrk = statistics.median(ours), statistics.median(theirs)
            print(f"max throughput: loadgen {max_ours:.0f}/s, wrk {max_wrk:.0f}/s, "
                  f"ratio {max_ours / max_wrk:.3f} (aim >= 0.9)")
            per_ours, per_wrk = statistics.median(cpu_ours), statistics.median(cpu_theirs)
            print(f"generator CPU per 1000 requests: loadgen {per_ours * 1e3:.1f}ms, wrk {per_wrk * 1e3:.1f}ms, "
                  f"ratio loadgen/wrk {per_ours / per_wrk:.3f} (aim <= 1.1; less sensitive to a busy machine)")

            asked = round(args.accuracy_at * max_ours)
            open_load = LoadConfig(warmup=0.5, duration=args.duration, rate=asked, connections=args.connections,
                                   requests=requests)
            r = run_load(loadgen, svc.url, open_load, tmp / "open.json")
            sent = r.send_rate if r.send_rate is not None else r.achieved_rate
            print(f"rate accuracy at {args.accuracy_at:.0%} of max: asked {asked}/s, sent in the window {sent:.1f}/s, "
                  f"ratio {sent / asked:.4f}, deviation {abs(sent / asked - 1) * 100:.2f}% (aim <= 0.25%); "
                  f"measured requests {r.achieved_rate:.1f}/s, dropped {r.dropped}, p99 {r.p99 * 1e3:.2f}ms"
                  + (f", send lag p50 {r.send_lag.p50 * 1e6:.1f}us p99 {r.send_lag.p99 * 1e6:.1f}us "
                     f"max {r.send_lag.max * 1e6:.0f}us" if r.send_lag else ""))
            if sent < 0.9975 * asked:
                print("  (a shortfall with a long p99 means requests waited for busy connections: the service or a "
                      "busy machine set the pace, and the latencies show it; rerun on a quiet machine or lower "
                      "--accuracy-at)")

            window = LoadConfig(warmup=1.0, duration=args.duration, rate=min(asked, 1000),
                                connections=args.connections, requests=requests, sample_every=1.0,
                                trace=min(2.0, args.duration))
            w = run_window(svc, window, tmp / "window", loadgen=loadgen)
            print(f"plugin CPU during a {w.window_seconds:.1f}s capture window: {w.plugin_cpu * 100:.2f}% of a core "
                  f"(aim < 5%); generator {(w.loadgen_cpu or 0) * 100:.1f}% of a core at {window.rate:g}/s; "
                  f"capture errors: {w.errors or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
