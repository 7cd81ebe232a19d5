"""The shapes service (tests/data/health/shapes) built once a session for the live runtime-gate tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_goperf.go.toolchain import GoToolchain

SHAPES = Path(__file__).resolve().parents[1] / "data" / "health" / "shapes"


@pytest.fixture(scope="session")
def shapes_binary(go: GoToolchain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shapes") / "shapes"
    subprocess.run([str(go.path), "build", "-o", str(out), "."], cwd=SHAPES, env=go.env(), check=True, timeout=600)
    return out
