"""Real binaries for the load tests: the example service, a misbehaving service, the generator."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_goperf.go.load import build_loadgen, default_go

ROOT = Path(__file__).resolve().parents[2]


def _go_build(src: Path, out: Path) -> Path:
    subprocess.run([default_go(), "build", "-o", str(out), "."], cwd=src, check=True, timeout=600,
                   env={**__import__("os").environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"})
    return out


@pytest.fixture(scope="session")
def go_bin() -> str:
    return default_go()


@pytest.fixture(scope="session")
def bins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bins")


@pytest.fixture(scope="session")
def example_service(bins: Path) -> Path:
    return _go_build(ROOT / "examples" / "go-service", bins / "go-service")


@pytest.fixture(scope="session")
def bad_service(bins: Path) -> Path:
    return _go_build(ROOT / "tests" / "data" / "load" / "badservice", bins / "badservice")


@pytest.fixture(scope="session")
def loadgen(go_bin: str, bins: Path) -> Path:
    return build_loadgen(go_bin, bins / "cache")
