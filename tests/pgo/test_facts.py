"""Not a CPU profile: said before any build, naming what the file is and what to capture instead."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pytest_goperf.errors import BuildError
from pytest_goperf.go.build import Side, build_side
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.pgo.facts import NotACpuProfile, read_facts
from pytest_goperf.pprof import read_profile
from pytest_goperf.pprof.write import write_profile

from .conftest import copy_example


def _kinds(captures: dict[str, Path], tmp_path: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp_path / "empty.pgo"
    empty.write_bytes(b"")
    cut = tmp_path / "cut.pgo"
    cut.write_bytes(captures["cpu1"].read_bytes()[:900])
    return {
        "heap": (captures["heap"], r"it is a heap \(or allocs\) profile, from /debug/pprof/heap"),
        "goroutine": (captures["goroutine"], r"it is a goroutine profile, from /debug/pprof/goroutine"),
        "empty": (empty, r"the file is empty \(go build accepts it and builds without PGO\)"),
        "truncated": (cut, r"truncated: the gzip stream ends early"),
        "text": (captures["text"], r"it is text, not protobuf"),
    }


@pytest.mark.parametrize("kind", ["heap", "goroutine", "empty", "truncated", "text"])
def test_a_profile_that_is_not_a_cpu_profile_is_named_for_what_it_is(kind: str, captures: dict[str, Path],
                                                                      tmp_path: Path) -> None:
    path, what = _kinds(captures, tmp_path)[kind]
    with pytest.raises(NotACpuProfile, match=what) as info:
        read_facts(path)
    assert str(path) in str(info.value)
    assert "debug/pprof/profile" in str(info.value)   # what to capture instead


def test_cpu_profile_figures(captures: dict[str, Path]) -> None:
    busy, idle = read_facts(captures["cpu1"]), read_facts(captures["idle"])
    assert busy.samples > 20 and busy.cpu_seconds == pytest.approx(busy.samples / 100, rel=0.01)
    assert busy.busy_cores is not None and busy.busy_cores > 0.1 and not busy.near_idle
    assert 0 < busy.runtime_share < 0.5
    assert busy.metadata.go is None and busy.metadata.go_label == "unknown"   # goperf did not write it
    assert busy.main_binary is not None and busy.main_binary.endswith("go-service")
    # a service at rest: nearly no CPU (a Go service at rest is rarely even sampled)
    assert idle.near_idle and idle.samples < 20 and idle.busy_cores is not None and idle.busy_cores < 0.05


def test_the_pgo_side_refuses_an_idle_profile_before_building(captures: dict[str, Path], tmp_path: Path,
                                                              go: GoToolchain) -> None:
    # A service at rest is rarely sampled at all: the same capture, without its samples.
    empty = write_profile(dataclasses.replace(read_profile(captures["idle"]), samples=()), tmp_path / "idle.pgo")
    assert read_facts(empty).samples == 0
    module = copy_example(tmp_path / "svc", empty)
    with pytest.raises(BuildError, match=r"holds no CPU samples \(the service was idle while profiled\): go build "
                                         r"would ignore it"):
        build_side(go, Side(label="pgo", module=module, main=".", pgo="required"), tmp_path / "out",
                   service_name="svc")


@pytest.mark.parametrize("kind", ["heap", "goroutine"])
def test_the_pgo_side_refuses_such_a_profile_before_building(kind: str, captures: dict[str, Path], tmp_path: Path,
                                                              go: GoToolchain) -> None:
    module = copy_example(tmp_path / "svc", captures[kind])
    out = tmp_path / "out"
    with pytest.raises(BuildError, match=rf"side 'pgo': .*default.pgo: not a CPU profile: it is a {kind}"):
        build_side(go, Side(label="pgo", module=module, main=".", pgo="required"), out, service_name="svc",
                   bench_packages=["."])
    assert not (out / "svc").exists() and not (out / "tests").exists()   # nothing was built
