"""Real binaries for the load tests: the example service, a misbehaving service, the generator."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_goperf.go.build import BuiltSide
from pytest_goperf.load.generator import build_loadgen
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.tool_cache import tool_cache

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def bins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bins")


@pytest.fixture(scope="session")
def example_service(example_sides: dict[str, BuiltSide]) -> Path:
    """The example built without PGO (shared with the other test folders: built once a session)."""
    binary = example_sides["pgo-off"].service_binary
    assert binary is not None
    return binary


@pytest.fixture(scope="session")
def bad_service(go: GoToolchain, bins: Path) -> Path:
    out = bins / "badservice"
    subprocess.run([str(go.path), "build", "-o", str(out), "."], cwd=ROOT / "tests" / "data" / "load" / "badservice",
                   env=go.env(), check=True, timeout=600)
    return out


@pytest.fixture(scope="session")
def story_service(go: GoToolchain, bins: Path) -> Path:
    """A service that crashes, stalls, redirects and counts what it saw (tests/data/load/storyservice)."""
    out = bins / "storyservice"
    subprocess.run([str(go.path), "build", "-o", str(out), "."],
                   cwd=ROOT / "tests" / "data" / "load" / "storyservice", env=go.env(), check=True, timeout=600)
    return out


@pytest.fixture(scope="session")
def loadgen(go: GoToolchain, bins: Path) -> Path:
    """The generator where goperf keeps it (the suite's tool cache): built once for these tests and every gate."""
    return build_loadgen(go, tool_cache("loadgen", bins / "cache"))


@pytest.fixture(scope="session")
def tls_service(go: GoToolchain, bins: Path) -> Path:
    """A service that speaks HTTPS (h2 or not), plain HTTP/1.1 or h2c only (tests/data/load/tlsservice)."""
    out = bins / "tlsservice"
    subprocess.run([str(go.path), "build", "-o", str(out), "."], cwd=ROOT / "tests" / "data" / "load" / "tlsservice",
                   env=go.env(), check=True, timeout=600)
    return out


@pytest.fixture(scope="session")
def certs(tls_service: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway CA (ca.pem) and a server certificate for 127.0.0.1 (cert.pem, key.pem), made with crypto/x509."""
    folder = tmp_path_factory.mktemp("certs")
    subprocess.run([str(tls_service), "-gencert", str(folder)], check=True, timeout=60)
    return folder


@pytest.fixture(scope="session")
def vegeta(go: GoToolchain, bins: Path) -> Path:
    """vegeta, installed the way load.tool: vegeta installs it (go install of the pinned version, cached)."""
    from pytest_goperf.load.vegeta import install_vegeta

    return install_vegeta(go, tool_cache("vegeta", bins))
