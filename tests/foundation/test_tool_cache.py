"""The tools goperf builds for itself are kept once per machine, not once per artifacts folder."""

from __future__ import annotations

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
