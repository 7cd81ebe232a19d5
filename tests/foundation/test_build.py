"""Real go builds of the example: PGO evidence, broken modules, missing profiles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_goperf.config import BenchConfig
from pytest_goperf.errors import BenchError, BuildError
from pytest_goperf.go.build import BuiltSide, Side, build_side, verify_pgo
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.run.rounds import run_interleaved

from ..conftest import EXAMPLE


def test_pgo_side_uses_the_main_package_profile(example_sides: dict[str, BuiltSide]) -> None:
    pgo = example_sides["pgo"]
    assert pgo.profile == EXAMPLE / "default.pgo"
    assert pgo.service_binary is not None and pgo.service_binary.is_file()
    assert len(pgo.test_binaries) == 1 and pgo.test_binaries[0].binary.is_file()
    evidence = pgo.buildinfo.read_text()
    # both the service and the test binary name the profile
    assert evidence.count(f"-pgo={EXAMPLE / 'default.pgo'}") == 2
    off = example_sides["pgo-off"].buildinfo.read_text()
    assert "-pgo=" not in off.split("\n", 1)[1]


def test_mismatched_pgo_mode_is_an_error(go: GoToolchain, example_sides: dict[str, BuiltSide]) -> None:
    off_binary = example_sides["pgo-off"].service_binary
    pgo_binary = example_sides["pgo"].service_binary
    assert off_binary is not None and pgo_binary is not None
    with pytest.raises(BuildError, match="built without a PGO profile"):
        verify_pgo(go, off_binary, EXAMPLE / "default.pgo", "pgo")
    with pytest.raises(BuildError, match="must be built without PGO"):
        verify_pgo(go, pgo_binary, None, "pgo-off")


def test_missing_profile_names_the_main_package_dir(go: GoToolchain, tmp_path: Path) -> None:
    module = tmp_path / "svc"
    shutil.copytree(EXAMPLE, module, ignore=shutil.ignore_patterns("default.pgo"))
    with pytest.raises(BuildError, match=r"no default.pgo in the main package directory .*svc"):
        build_side(go, Side("pgo", module, ".", "required"), tmp_path / "out", service_name="svc")


def test_compile_error_shows_compiler_output(go: GoToolchain, tmp_path: Path) -> None:
    module = tmp_path / "broken"
    shutil.copytree(EXAMPLE, module)
    (module / "process.go").write_text((module / "process.go").read_text() + "\nfunc broken() { undefinedThing() }\n")
    with pytest.raises(BuildError) as excinfo:
        build_side(go, Side("pgo-off", module, ".", "off"), tmp_path / "out", service_name="broken")
    assert "undefined: undefinedThing" in str(excinfo.value)
    assert "process.go:" in str(excinfo.value)


def test_interleaved_rounds_write_identical_configuration(example_sides: dict[str, BuiltSide], tmp_path: Path) -> None:
    lines: list[str] = []
    bench = BenchConfig(packages=(".",), bench="HandleRequest/small", count=2, benchtime="20x")
    out = run_interleaved(example_sides["pgo-off"], example_sides["pgo"], bench, tmp_path, lines.append)
    assert out.old is not None
    old, new = out.old.read_text(), out.new.read_text()
    assert old.count("BenchmarkHandleRequest/small") == 2 == new.count("BenchmarkHandleRequest/small")
    config = lambda text: [ln for ln in text.splitlines() if ln.split(":")[0] in ("goos", "goarch", "pkg", "cpu")]
    assert config(old) == config(new)
    assert "B/op" in old and "allocs/op" in old
    assert lines == ["round 1/2 done (pgo-off + pgo)", "round 2/2 done (pgo-off + pgo)"]


def test_regexp_matching_nothing_is_an_error(example_sides: dict[str, BuiltSide], tmp_path: Path) -> None:
    bench = BenchConfig(packages=(".",), bench="NoSuchBenchmark", count=3, benchtime="1x")
    with pytest.raises(BenchError, match="matched no benchmark"):
        run_interleaved(example_sides["pgo-off"], example_sides["pgo"], bench, tmp_path)
