"""Speed and memory of ``goperf trace`` against ``go tool trace -pprof=sched``.

Usage: python benchmarks/trace_speed.py [--min-mb 20] [--trace FILE] [--keep]

Records an execution trace of at least ``--min-mb`` MB from a Go program
under load (many goroutines passing messages, locking and allocating, with
``traceadvanceperiod`` left at its default so generations are ~1 s), then
runs both tools on it (``--repeat`` times) and prints wall time, CPU time
and peak RSS of each, and the ratios.  CPU and memory cover every process a
tool starts (goperf's worker processes included); the cmd/trace binary is
run directly, found with ``go tool -n trace``.  ``GOPERF_TRACE_WORKERS=1``
measures the sequential reader.  A script, not a test: timings are never
asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_goperf.go.toolchain import find_go
from pytest_goperf.trace.reader import trace_workers

LOAD = r"""
package main

import (
	"os"
	"runtime/trace"
	"strconv"
	"sync"
	"time"
)

var sink [][]byte

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	d, _ := time.ParseDuration(os.Args[2])
	workers, _ := strconv.Atoi(os.Args[3])
	trace.Start(f)
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		in, out := make(chan int), make(chan int)
		wg.Add(2)
		go func() { // echo
			defer wg.Done()
			for v := range in {
				out <- v + 1
			}
			close(out)
		}()
		go func() { // client
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				in <- i
				<-out
				if i%64 == 0 {
					mu.Lock()
					sink = append(sink, make([]byte, 256))
					if len(sink) > 4096 {
						sink = nil
					}
					mu.Unlock()
				}
				if i%1024 == 0 {
					time.Sleep(50 * time.Microsecond)
				}
			}
			close(in)
			for range out {
			}
		}()
	}
	wg.Wait()
	trace.Stop()
	f.Close()
}
"""


def _tree_rss_kib(root: int) -> int:
    """Resident memory of ``root`` and all its descendants (KiB), from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        kids = [c for c, p in parents.items() if p == pid and c not in tree]
        tree.update(kids)
        frontier.extend(kids)
    return sum(rss.get(p, 0) for p in tree)


def _run_measured(argv: list[str]) -> tuple[float, float, int]:
    """Run argv to completion; return (wall s, CPU s, peak RSS MiB) of it and every process it starts.

    CPU is user + system time of the process and all its descendants (worker
    processes included: this script becomes their subreaper, so their usage
    is collected when they exit).  Peak RSS is the larger of the highest
    single-process peak and the highest sum over the process tree, sampled
    every 20 ms.  On a shared machine wall time includes waiting for a core.
    """
    import ctypes
    import threading

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphaned workers are reaped here
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _tree_rss_kib(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    err = proc.stderr.read().decode() if proc.stderr else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    usages = [usage]
    while True:  # reap descendants that outlived the process (a fork server and its workers)
        try:
            usages.append(os.wait4(-1, 0)[2])
        except ChildProcessError:
            break
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {err.strip()[-400:]}")
    cpu = sum(u.ru_utime + u.ru_stime for u in usages)  # each includes the children it waited for
    return wall, cpu, max(peak[0], *(u.ru_maxrss for u in usages)) // 1024


def _generation_sizes(trace: Path) -> list[int]:
    """Bytes of event batches per generation (what our reader holds at once)."""
    from pytest_goperf.trace.generation import read_generations
    from pytest_goperf.trace.reader import read_version

    with open(trace, "rb") as f:
        version = read_version(f)
        return [sum(len(b.data) for bs in g.raw.values() for b in bs) for g in read_generations(f, version)]


def record(go: str, dest: Path, min_mb: float, advance: str) -> None:
    """Build the load program and trace it, longer each time, until the trace is big enough."""
    with tempfile.TemporaryDirectory(prefix="goperf-bench-") as d:
        src = Path(d)
        (src / "main.go").write_text(LOAD)
        (src / "go.mod").write_text("module load\n\ngo 1.22\n")
        env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod", CGO_ENABLED="0")
        subprocess.run([go, "build", "-o", str(src / "load"), "."], cwd=src, env=env, check=True)
        seconds = 1.0
        run_env = dict(env, GODEBUG=f"traceadvanceperiod={advance}") if advance else env
        while True:
            subprocess.run([str(src / "load"), str(dest), f"{seconds}s", "32"], env=run_env, check=True)
            size = dest.stat().st_size / 1e6
            print(f"recorded {size:.1f} MB in {seconds:.1f}s of load")
            if size >= min_mb:
                return
            seconds *= max(1.3, min_mb / max(size, 0.1) * 1.1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-mb", type=float, default=20.0)
    ap.add_argument("--trace", type=Path, help="use this trace instead of recording one")
    ap.add_argument("--keep", action="store_true", help="keep the recorded trace")
    ap.add_argument("--repeat", type=int, default=1, help="measure both tools this many times")
    ap.add_argument(
        "--advance-ns",
        default="250000000",
        help="GODEBUG traceadvanceperiod for the recording (ns; '' = Go's default of 1s)",
    )
    args = ap.parse_args(argv)
    go = str(find_go().path)
    tmp = Path(tempfile.mkdtemp(prefix="goperf-bench-"))
    try:
        trace = args.trace or tmp / "load.trace"
        if args.trace is None:
            record(go, trace, args.min_mb, args.advance_ns)
        tool = subprocess.run([go, "tool", "-n", "trace"], capture_output=True, text=True, check=True).stdout.strip()
        size = trace.stat().st_size / 1e6
        gens = _generation_sizes(trace)
        print(f"trace: {trace} ({size:.1f} MB, {len(gens)} generations, largest {max(gens) / 1e6:.1f} MB)")
        ours = [sys.executable, "-m", "pytest_goperf", "trace", "--json", str(trace)]
        for i in range(args.repeat):
            print(f"run {i + 1}/{args.repeat}, load average {os.getloadavg()[0]:.2f}")
            go_s, go_cpu, go_mb = _run_measured([tool, "-pprof=sched", str(trace)])
            py_s, py_cpu, py_mb = _run_measured(ours)
            print(f"  go tool trace -pprof=sched: {go_s:7.2f} s wall {go_cpu:7.2f} s CPU  peak RSS {go_mb:5d} MiB")
            print(f"  goperf trace --json:        {py_s:7.2f} s wall {py_cpu:7.2f} s CPU  peak RSS {py_mb:5d} MiB"
                  f"  ({trace_workers(int(size * 1e6))} process(es))")
            print(
                f"  ratio goperf/go: wall {py_s / go_s:.2f}x (aim <= 1.0x), CPU {py_cpu / go_cpu:.2f}x; "
                f"memory {py_mb / max(go_mb, 1):.2f}x (aim <= 0.25x)"
            )
        if args.keep and args.trace is None:
            print(f"kept {trace}")
            return 0
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
