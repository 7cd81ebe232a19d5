"""top() must print exactly what ``go tool pprof -top`` prints, on real profiles of every kind.

Every case runs twice: with pprof's default fractions (``goperf top X`` ==
``go tool pprof -top X``: functions under 0.5 % cum dropped, calls under
0.1 % ignored when labelling ``(inline)``) and with both fractions 0.
Block and mutex profiles come from ``go test -blockprofile -mutexprofile``
on a contended program, alloc_objects also from its ``-memprofile``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_goperf.pprof import read_profile, top
from pytest_goperf.pprof.units import format_pct
from tests.pprof.conftest import ZERO_FRACTIONS

SERVICE_CASES = [
    ("cpu", None), ("cpu", "samples"), ("cpu", "cpu"),
    ("heap", None), ("heap", "alloc_objects"), ("heap", "alloc_space"), ("heap", "inuse_objects"),
    ("heap", "inuse_space"),
    ("allocs", None), ("allocs", "alloc_objects"), ("allocs", "inuse_space"),
    ("goroutine", None),
]
GO_TEST_CASES = [
    ("block", None), ("block", "contentions"), ("mutex", None), ("mutex", "contentions"),
    ("mem", "alloc_objects"), ("mem", "alloc_space"), ("mem", None),
]
MODES = {"pprof-defaults": (), "zero-fractions": ZERO_FRACTIONS}


def assert_parity(pprof_top: Any, path: Path, sample_index: str | None, mode: str, nodecount: int | None = None) -> int:
    """Compare every row (name, flat, flat%, cum, cum%, inline label); return how many."""
    kwargs = {"nodefraction": 0.0, "edgefraction": 0.0} if mode == "zero-fractions" else {}
    ours = top(read_profile(path), sample_index, nodecount=nodecount or 0, **kwargs)
    extra = [f"-sample_index={sample_index}"] if sample_index else []
    n = nodecount if nodecount is not None else max(len(ours.rows), 1) + 10
    total, theirs = pprof_top(path, ours.unit, f"-nodecount={n}", *MODES[mode], *extra)
    assert ours.total == total
    mine = [
        (r.function, r.flat, format_pct(r.flat, ours.total).strip(), r.cum, format_pct(r.cum, ours.total).strip(),
         r.inline)
        for r in ours.rows
    ]
    theirs = [(a, b, c.strip(), d, e.strip(), f) for a, b, c, d, e, f in theirs]
    assert mine == theirs
    return len(theirs)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("kind", "sample_index"), SERVICE_CASES)
def test_top_matches_go_tool_pprof(
    pprof_top: Any, service_profiles: dict[str, Path], kind: str, sample_index: str | None, mode: str
) -> None:
    assert assert_parity(pprof_top, service_profiles[kind], sample_index, mode) > 0


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("kind", "sample_index"), GO_TEST_CASES)
def test_go_test_profiles_match_go_tool_pprof(
    pprof_top: Any, go_test_profiles: dict[str, Path], kind: str, sample_index: str | None, mode: str
) -> None:
    assert assert_parity(pprof_top, go_test_profiles[kind], sample_index, mode) > 0


@pytest.mark.slow
def test_go_test_profiles_have_inline_rows(go_test_profiles: dict[str, Path]) -> None:
    """The contended program really exercises the labels: the inlined Lock/Unlock and keep."""
    labelled = {
        kind: {r.function for r in top(read_profile(path), "alloc_objects" if kind == "mem" else None).rows if r.inline}
        for kind, path in go_test_profiles.items()
    }
    assert "sync.(*Mutex).Unlock" in labelled["mutex"]
    assert "contended.keep" in labelled["mem"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("kind", "nodecount"), [("cpu", 1), ("cpu", 7), ("cpu", 25), ("allocs", 10), ("goroutine", 5)])
def test_top_nodecount_matches(
    pprof_top: Any, service_profiles: dict[str, Path], kind: str, nodecount: int, mode: str
) -> None:
    """A cut table: pprof rebuilds its graph from the kept nodes, which can change (inline) labels."""
    assert assert_parity(pprof_top, service_profiles[kind], None, mode, nodecount=nodecount) == nodecount


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_dominant_profile_parity_recursion_and_inline(pprof_top: Any, dominant_profile: Path, mode: str) -> None:
    prof = read_profile(dominant_profile)
    t = top(prof, nodefraction=0, edgefraction=0)
    names = {r.function: r for r in t.rows}
    # about 80% by work; preemption ticks (runtime.asyncPreempt) on a busy machine take some
    assert t.rows[0].function == "main.burn" and names["main.burn"].flat_pct > 30
    assert names["main.mix"].inline == "inline"
    fib = names["main.fib"]
    # recursion: cum counted once per sample, so it cannot exceed the total
    assert fib.cum <= t.total
    assert_parity(pprof_top, dominant_profile, None, mode)
