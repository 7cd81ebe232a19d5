"""Each PGO diagnostic fires on a deliberately broken setup, and stays quiet on a healthy one.

Every setup is a real module with a real profile; the evidence is gathered
as the plugin gathers it (go list, one scratch build with the compiler's PGO
report, the binary's function table).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pytest_goperf.errors import BuildError
from pytest_goperf.gates.pgo import PgoThreshold, judge_pgo, pgo_findings
from pytest_goperf.go.build import Side
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.pgo.diagnose import PgoEvidence
from pytest_goperf.pgo.metadata import Metadata
from pytest_goperf.pgo.refresh import merge_captures
from pytest_goperf.pprof import read_profile
from pytest_goperf.pprof.write import write_profile
from pytest_goperf.run.pgo_evidence import Target, before_build, gather

from ..helpers import EXAMPLE
from .conftest import copy_example

LENIENT = PgoThreshold(min_samples=50)   # the session's captures are a few seconds long


def _evidence(go: GoToolchain, module: Path, tmp_path: Path, main: str = ".") -> PgoEvidence:
    return gather(go, Target(module=module, main=main), tmp_path / "check", tmp_path / "cache")


def _kinds(ev: PgoEvidence, threshold: PgoThreshold = LENIENT) -> dict[str, str]:
    return {f.kind: f.message for f in pgo_findings(ev, threshold)}


def _relabelled(go_version: str, dest: Path) -> Path:
    """The example's committed profile, relabelled as goperf labels what it writes.

    The compiler keys its cache on the profile's call edges (Go 1.23+
    preprocesses it), not on its comments, so the standard library built with
    this profile comes from the cache: a new capture would cost a rebuild of
    every package with PGO, about a minute on 2 cores.
    """
    merged, _ = merge_captures([EXAMPLE / "default.pgo"], Metadata(go=go_version, source="test"))
    return write_profile(merged, dest)


@pytest.fixture(scope="module")
def fresh(go: GoToolchain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's profile, as if goperf had just written it with this Go."""
    return _relabelled(go.version, tmp_path_factory.mktemp("fresh") / "default.pgo")


def test_a_fresh_profile_of_this_service_raises_no_diagnostic(fresh: Path, go: GoToolchain, tmp_path: Path) -> None:
    ev = _evidence(go, copy_example(tmp_path / "svc", fresh), tmp_path)
    assert _kinds(ev) == {}
    assert ev.staleness is not None and ev.staleness.share == 0
    assert ev.decisions is not None and ev.decisions.total > 0
    verdict = judge_pgo(ev, LENIENT)
    assert verdict.passed, verdict.message
    assert verdict.figures["stale_share"] == 0 and verdict.figures["profile_go"] == go.version


def test_misplaced_profile_at_the_module_root(fresh: Path, go: GoToolchain, tmp_path: Path) -> None:
    module = tmp_path / "split"
    (module / "cmd" / "api").mkdir(parents=True)
    (module / "go.mod").write_text("module example.com/split\n\ngo 1.22\n")
    (module / "split.go").write_text("package split\n\nfunc Double(x int) int { return 2 * x }\n")
    (module / "cmd" / "api" / "main.go").write_text(
        'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/split"\n)\n\nfunc main() { fmt.Println(split.Double(2)) }\n')
    (module / "default.pgo").write_bytes(fresh.read_bytes())   # where many put it; -pgo=auto never reads it
    ev = _evidence(go, module, tmp_path, main="cmd/api")
    kinds = _kinds(ev)
    assert list(kinds) == ["misplaced"]
    assert f"git mv {module / 'default.pgo'} {module / 'cmd' / 'api' / 'default.pgo'}" in kinds["misplaced"]
    assert "ignores it and builds without PGO" in kinds["misplaced"]
    assert judge_pgo(ev).failed
    # and the pgo side's own error names the stray file
    with pytest.raises(BuildError, match=r"There is one at .*split/default.pgo, where no build reads it: git mv"):
        Side(label="pgo", module=module, main="cmd/api", pgo="required").profile()


def test_idle_profile(captures: dict[str, Path], go: GoToolchain, tmp_path: Path) -> None:
    ev = _evidence(go, copy_example(tmp_path / "svc", captures["idle"]), tmp_path)
    kinds = _kinds(ev, PgoThreshold())
    assert "unrepresentative" in kinds, kinds
    assert "fewer than min_samples 1000" in kinds["unrepresentative"]
    assert "near idle while profiled" in kinds["unrepresentative"]


def test_profile_of_another_program(other_program_profile: Path, go: GoToolchain, tmp_path: Path) -> None:
    module = copy_example(tmp_path / "svc", other_program_profile)
    pre = before_build(go, Target(module=module))   # known before any build
    assert pre.identity is not None and pre.identity.another_program
    ev = _evidence(go, module, tmp_path)
    kinds = _kinds(ev)
    assert "another program" in kinds["another-program"] and "main.burn" in kinds["another-program"]
    assert "no-decisions" in kinds   # nothing in it matches this code, so the compiler changes nothing
    assert "inlines no hot call site and devirtualizes no call" in kinds["no-decisions"]
    assert judge_pgo(ev, dataclasses.replace(LENIENT, require_decisions=False)).failed   # another program always fails


def test_renamed_hot_function(fresh: Path, go: GoToolchain, tmp_path: Path) -> None:
    module = copy_example(tmp_path / "svc", fresh)
    for source in module.glob("*.go"):   # the request handler, where a quarter of the profile's CPU time runs
        source.write_text(source.read_text().replace("handleProcess", "handleOrder"))
    ev = _evidence(go, module, tmp_path)
    kinds = _kinds(ev)
    assert "stale" in kinds, kinds
    assert "main.handleProcess (" in kinds["stale"] and "no longer has" in kinds["stale"]
    assert ev.staleness is not None and ev.staleness.share > 0.10
    assert judge_pgo(ev, LENIENT).failed
    assert judge_pgo(ev, dataclasses.replace(LENIENT, max_stale_share=0.99)).passed


def test_heap_profile(captures: dict[str, Path], go: GoToolchain, tmp_path: Path) -> None:
    ev = _evidence(go, copy_example(tmp_path / "svc", captures["heap"]), tmp_path)
    kinds = _kinds(ev)
    assert list(kinds) == ["not-cpu"]
    assert "not a CPU profile: it is a heap" in kinds["not-cpu"]
    assert ev.decisions is None   # no scratch build for a file go build would refuse


def test_toolchain_drift(go: GoToolchain, tmp_path: Path) -> None:
    module = copy_example(tmp_path / "svc", _relabelled("go1.21.13", tmp_path / "old.pgo"))
    ev = _evidence(go, module, tmp_path)
    drift = [f for f in pgo_findings(ev, LENIENT) if f.kind == "toolchain"]
    assert len(drift) == 1 and drift[0].failing
    assert f"built by go1.21.13, but {go.version} builds now" in drift[0].message
    relaxed = dataclasses.replace(LENIENT, require_same_toolchain=False)
    verdict = judge_pgo(ev, relaxed)
    assert verdict.passed and any("toolchain drift" in w for w in verdict.warnings)


def test_unknown_toolchain_is_said_not_guessed(go: GoToolchain, tmp_path: Path) -> None:
    unlabelled = write_profile(read_profile(_relabelled(go.version, tmp_path / "x.pgo")), tmp_path / "y.pgo")
    plain = dataclasses.replace(read_profile(unlabelled), comments=())
    ev = _evidence(go, copy_example(tmp_path / "svc", write_profile(plain, tmp_path / "plain.pgo")), tmp_path)
    assert "toolchain" not in _kinds(ev)
    verdict = judge_pgo(ev, LENIENT)
    assert verdict.figures["profile_go"] == "unknown" and "profiled binary's Go: unknown" in verdict.message
