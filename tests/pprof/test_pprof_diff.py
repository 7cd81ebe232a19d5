"""diff() against ``go tool pprof -top -diff_base=BASE NEW`` on real and synthetic profiles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_goperf.pprof import SampleIndexError, diff, parse_profile, read_profile
from pytest_goperf.pprof.units import format_pct
from tests.pprof.conftest import ZERO_FRACTIONS


def _assert_diff_parity(pprof_top: Any, base: Path, new: Path, sample_index: str | None) -> int:
    d = diff(read_profile(base), read_profile(new), sample_index)
    extra = [f"-sample_index={sample_index}"] if sample_index else []
    total, theirs = pprof_top(new, d.unit, f"-diff_base={base}", f"-nodecount={len(d.rows) + 10}", *ZERO_FRACTIONS,
                              *extra)
    assert total == d.total
    mine = [(r.function, r.delta_flat, format_pct(r.delta_flat, total).strip(), r.delta_cum,
             format_pct(r.delta_cum, total).strip()) for r in d.rows if r.delta_flat or r.delta_cum]
    assert mine == [t[:5] for t in theirs]
    return len(mine)



@pytest.mark.slow
def test_diff_cpu_matches_pprof(pprof_top: Any, service_profiles: dict[str, Path], dominant_profile: Path) -> None:
    assert _assert_diff_parity(pprof_top, dominant_profile, service_profiles["cpu"], None) > 10


@pytest.mark.slow
@pytest.mark.parametrize("sample_index", ["alloc_space", "alloc_objects", "inuse_space"])
def test_diff_heap_matches_pprof(pprof_top: Any, service_profiles: dict[str, Path], sample_index: str) -> None:
    rows = _assert_diff_parity(pprof_top, service_profiles["heap_early"], service_profiles["heap"], sample_index)
    if sample_index.startswith("alloc"):  # 2 s of load allocate: the diff cannot be empty
        assert rows > 0


def test_diff_share_change(tmp_path: Path, build_profile: Callable[..., bytes], pprof_top: Any) -> None:
    common = dict(
        sample_types=[("samples", "count"), ("cpu", "nanoseconds")],
        functions=[(1, "main.main", "", 0), (2, "main.a", "", 0), (3, "main.b", "", 0)],
        locations=[(1, 0, [(1, 1)]), (2, 0, [(2, 1)]), (3, 0, [(3, 1)])],
    )
    base = tmp_path / "base.pprof"
    new = tmp_path / "new.pprof"
    base.write_bytes(build_profile(**common, samples=[([2, 1], [1, 50]), ([3, 1], [1, 50])]))
    new.write_bytes(build_profile(**common, samples=[([2, 1], [1, 150]), ([3, 1], [1, 50])]))
    d = diff(parse_profile(base.read_bytes()), parse_profile(new.read_bytes()))
    rows = {r.function: r for r in d.rows}
    assert rows["main.a"].delta_flat == 100 and rows["main.a"].delta_flat_pct == 100.0  # of the base total
    assert rows["main.a"].share_change == pytest.approx(0.75 - 0.5)
    assert rows["main.b"].share_change == pytest.approx(0.25 - 0.5) and rows["main.b"].delta_flat == 0
    assert [r.function for r in d.rows] == ["main.a", "main.b", "main.main"]  # pprof hides main.b
    assert rows["main.main"].delta_cum == 100
    assert d.to_json(1)["rows"][0]["share_change_pts"] == 25.0
    _assert_diff_parity(pprof_top, base, new, None)


def test_diff_refuses_different_kinds(build_profile: Callable[..., bytes]) -> None:
    cpu = parse_profile(build_profile(sample_types=[("cpu", "nanoseconds")]))
    heap = parse_profile(build_profile(sample_types=[("inuse_space", "bytes")]))
    with pytest.raises(SampleIndexError, match="different kinds"):
        diff(cpu, heap)


def test_heap_gate_floor_is_the_profiles_own_sampling_period(service_profiles: dict[str, Path],
                                                             go_test_profiles: dict[str, Path],
                                                             tmp_path: Path) -> None:
    """One heap profile sample, read from what Go wrote: 512 KiB by default, 1 byte under -memprofilerate=1."""
    from pytest_goperf.gates.health import MEM_PROFILE_RATE, _sampling_period

    assert _sampling_period(service_profiles["heap"]) == MEM_PROFILE_RATE == 512 * 1024
    assert _sampling_period(go_test_profiles["mem"]) == 1
    (tmp_path / "cut.pprof").write_bytes(go_test_profiles["mem"].read_bytes()[:40])
    assert _sampling_period(tmp_path / "cut.pprof") == MEM_PROFILE_RATE   # unreadable: Go's default
