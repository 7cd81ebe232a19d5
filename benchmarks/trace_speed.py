"""Speed and memory of ``goperf trace`` against ``go tool trace -pprof=sched``.

Usage: python benchmarks/trace_speed.py [--min-mb 20] [--trace FILE] [--keep]

Records an execution trace of at least ``--min-mb`` MB from a Go program
under load (many goroutines passing messages, locking and allocating, with
``traceadvanceperiod`` left at its default so generations are ~1 s), then
runs both tools on it once each and prints wall time, the ratio and the peak
RSS of each process (``wait4`` rusage of the process itself: the cmd/trace
binary is run directly, found with ``go tool -n trace``).  A script, not a
test: timings are never asserted.
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


def _run_measured(argv: list[str]) -> tuple[float, float, int]:
    """Run argv to completion; return (wall s, CPU s, peak RSS MiB) of that process.

    CPU time (user + system) is printed too: on a shared machine wall time
    includes waiting for a core.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {err.strip()[-400:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


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
        go_s, go_cpu, go_mb = _run_measured([tool, "-pprof=sched", str(trace)])
        py_s, py_cpu, py_mb = _run_measured([sys.executable, "-m", "pytest_goperf", "trace", "--json", str(trace)])
        gens = _generation_sizes(trace)
        print(f"trace: {trace} ({size:.1f} MB, {len(gens)} generations, largest {max(gens) / 1e6:.1f} MB)")
        print(f"go tool trace -pprof=sched: {go_s:7.2f} s wall {go_cpu:7.2f} s CPU  peak RSS {go_mb:5d} MiB")
        print(f"goperf trace --json:        {py_s:7.2f} s wall {py_cpu:7.2f} s CPU  peak RSS {py_mb:5d} MiB")
        print(
            f"ratio goperf/go: wall {py_s / go_s:.2f}x, CPU {py_cpu / go_cpu:.2f}x (aim <= 1.5x); "
            f"memory {py_mb / max(go_mb, 1):.2f}x"
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
