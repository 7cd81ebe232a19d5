"""The standard library's package list is go list's, listed once per toolchain and flags (go/std_packages.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_goperf.go.std_packages import std_packages
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.pgo.program import program_shape

from ..helpers import EXAMPLE

FMT = "{{.ImportPath}}\t{{.Standard}}"


def _listed(go: GoToolchain, *patterns: str) -> set[str]:
    out = subprocess.run([str(go.path), "list", "-e", "-deps", "-f", FMT, *patterns], cwd=EXAMPLE, env=go.env(),
                         capture_output=True, text=True, check=True).stdout
    return {line.split("\t")[0] for line in out.splitlines() if line.endswith("\ttrue")}


def test_the_list_is_go_lists_and_the_second_answer_comes_from_the_cache(go: GoToolchain, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOPERF_CACHE", str(tmp_path / "cache"))
    first = std_packages(go, EXAMPLE)
    assert first == _listed(go, "std") and "net/http" in first and any(p.startswith("vendor/") for p in first)
    (entry,) = (tmp_path / "cache" / "std").glob("std-*.txt")
    entry.write_text("only/this\n")   # a planted entry is what comes back: the cache is read
    assert std_packages(go, EXAMPLE) == {"only/this"}
    assert std_packages(go, EXAMPLE, ["-tags=goperf_other"]) == first   # other flags, other entry
    entry.write_text("")   # an empty (torn) entry is listed again
    assert std_packages(go, EXAMPLE) == first


def test_program_shape_sees_the_same_standard_library_as_one_listing(go: GoToolchain, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOPERF_CACHE", str(tmp_path / "cache"))
    # Listed together, go names the main package's PGO variant of each dependency too ("net/http
    # [example.com/go-service]"); no profile frame carries such a name, so only the plain paths count.
    plain = {p.split(" [")[0] for p in _listed(go, ".", "std")}
    for _ in range(2):   # listed, then cached
        shape = program_shape(go, EXAMPLE, ".")
        assert shape.std == plain
        assert shape.import_path == "example.com/go-service" and "transform" in shape.main_names
