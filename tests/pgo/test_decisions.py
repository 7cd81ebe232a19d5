"""What the compiler changes because of the profile, and every function a binary has, on Go 1.22 to 1.27.

The example's ``transform`` calls ``scoreItem`` (too big for the normal
inlining budget) and ``scoreItem`` calls ``Scorer.Score`` through an
interface that almost always holds ``fnvScorer``: with its profile, every
tested compiler inlines the first and devirtualizes the second.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.pgo.decisions import (
    Decisions,
    compiler_decisions,
    decision_flags,
    parse_decisions,
)
from pytest_goperf.pgo.symbols import binary_functions, normalize

from ..helpers import EXAMPLE


@pytest.fixture(scope="module")
def decided(toolchain: GoToolchain, tmp_path_factory: pytest.TempPathFactory) -> Decisions:
    """The example built with its profile and the compiler's PGO report, by ``toolchain``."""
    return compiler_decisions(toolchain, EXAMPLE, ".", EXAMPLE / "default.pgo", tmp_path_factory.mktemp("decisions"))


def test_the_example_profile_inlines_and_devirtualizes(decided: Decisions) -> None:
    d = decided
    assert d.profiled_packages == ("example.com/go-service",)
    assert any(x.callee == "main.scoreItem" and x.caller == "main.transform" for x in d.inlined), d.inlined
    assert any(x.callee == "s.Score -> fnvScorer.Score" for x in d.devirtualized), d.devirtualized
    assert d.summary().startswith(f"{len(d.inlined)} hot call site")
    assert "hot-budget check allows inlining" in d.log.read_text()   # the compiler's own words are kept
    assert d.binary is not None and d.binary.is_file()


def test_function_table_includes_what_nm_lists_and_what_was_inlined(toolchain: GoToolchain, decided: Decisions,
                                                                    tmp_path: Path) -> None:
    d = decided
    assert d.binary is not None
    names = binary_functions(toolchain, d.binary, tmp_path / "cache")
    nm = subprocess.run([str(toolchain.path), "tool", "nm", str(d.binary)], capture_output=True, text=True,
                        check=True, timeout=120, env=toolchain.env()).stdout
    # nm prints a local type's "·1" as ".1"; "(.text...)" are C object sections, runtime.text/etext markers
    text = {normalize(line.split(None, 2)[2].removesuffix(".abi0")) for line in nm.splitlines()
            if len(line.split(None, 2)) == 3 and line.split()[1] in ("T", "t")}
    ours = {n.replace("·", ".") for n in names}
    missing = sorted(n for n in text if n not in ours and not n.startswith(("go:", "type:"))
                     and "(.text" not in n and n not in ("runtime.text", "runtime.etext"))
    assert missing == []
    # what PGO inlined at every call site has no symbol left, yet is still a function of the program
    vanished = {x.callee for x in d.inlined if x.callee.startswith("main.")} - text
    assert vanished, "the profile should make PGO inline some main function everywhere (main.transform)"
    assert vanished <= names


def test_decision_flags_keep_the_users_compiler_flags() -> None:
    debug = "-m -d=pgodebug=1,pgoinline=1"
    assert decision_flags([]) == [f"-gcflags=./...={debug}"]
    assert decision_flags(["-tags=x", "-gcflags=-N -l"])[-1] == f"-gcflags=./...=-N -l {debug}"
    assert decision_flags(["-gcflags", "all=-l"])[-1] == f"-gcflags=./...=-l {debug}"
    assert decision_flags(["-gcflags=example.com/x=-B"])[-1] == f"-gcflags=./...={debug}"


def test_decisions_count_each_call_site_once(tmp_path: Path) -> None:
    # As Go 1.26 prints it: the hot-budget line twice for one call (cost analysis, then inlining)
    printed = [
        "# example.com/go-service",
        "./process.go:70:14: PGO devirtualizing interface call s.Score to fnvScorer.Score",
        "hot-callsite-thres-from-CDF=0.0859106529209622",
        "hot-budget check allows inlining for call main.scoreItem (cost 137) at ./process.go:87:21 in function main.transform",
        "hot-budget check allows inlining for call main.scoreItem (cost 137) at ./process.go:87:21 in function main.transform",
        "./process.go:87:21: inlining call to scoreItem",
        "hot-budget check allows inlining for call fmt.Sprintf (cost 1800) at ./process.go:90:22 in function main.big",
    ]
    d = parse_decisions("\n".join(printed), None, tmp_path / "log")
    assert [x.position for x in d.inlined] == ["./process.go:87:21"]   # 90:22 was allowed, never inlined
    assert [x.position for x in d.devirtualized] == ["./process.go:70:14"]
    assert d.total == 2


@pytest.mark.parametrize("name,expected", [
    ("encoding/json.appendString[go.shape.string]", "encoding/json.appendString[...]"),
    ("slices.SortFunc[go.shape.[]net/http.keyValues,go.shape.struct { key string }]", "slices.SortFunc[...]"),
    ("main.(*Ring[...]).Push", "main.(*Ring[...]).Push"),
    ("main.transform", "main.transform"),
])
def test_type_arguments_do_not_split_a_function(name: str, expected: str) -> None:
    assert normalize(name) == expected
