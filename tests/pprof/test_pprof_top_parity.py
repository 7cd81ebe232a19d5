"""top() must print exactly what ``go tool pprof -top`` prints, on real profiles of every kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_goperf.pprof import read_profile, top
from pytest_goperf.pprof.units import format_pct

CASES = [
    ("cpu", None), ("cpu", "samples"), ("cpu", "cpu"),
    ("heap", None), ("heap", "alloc_objects"), ("heap", "alloc_space"), ("heap", "inuse_objects"),
    ("heap", "inuse_space"),
    ("allocs", None), ("allocs", "alloc_objects"), ("allocs", "inuse_space"),
    ("goroutine", None),
]


def _assert_parity(pprof_top: Any, path: Path, sample_index: str | None, nodecount: int | None = None) -> int:
    ours = top(read_profile(path), sample_index, nodecount=nodecount or 0)
    extra = [f"-sample_index={sample_index}"] if sample_index else []
    n = nodecount if nodecount is not None else max(len(ours.rows), 1) + 10
    total, theirs = pprof_top(path, ours.unit, f"-nodecount={n}", *extra)
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
@pytest.mark.parametrize(("kind", "sample_index"), CASES)
def test_top_matches_go_tool_pprof(pprof_top: Any, service_profiles: dict[str, Path], kind: str, sample_index: str | None) -> None:
    rows = _assert_parity(pprof_top, service_profiles[kind], sample_index)
    assert rows > 0


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "nodecount"), [("cpu", 1), ("cpu", 7), ("cpu", 25), ("allocs", 10), ("goroutine", 5)])
def test_top_nodecount_matches(pprof_top: Any, service_profiles: dict[str, Path], kind: str, nodecount: int) -> None:
    """A cut table: pprof rebuilds its graph from the kept nodes, which can change (inline) labels."""
    assert _assert_parity(pprof_top, service_profiles[kind], None, nodecount=nodecount) == nodecount


@pytest.mark.slow
def test_dominant_profile_parity_recursion_and_inline(pprof_top: Any, dominant_profile: Path) -> None:
    prof = read_profile(dominant_profile)
    t = top(prof)
    names = {r.function: r for r in t.rows}
    # about 80% by work; preemption ticks (runtime.asyncPreempt) on a busy machine take some
    assert t.rows[0].function == "main.burn" and names["main.burn"].flat_pct > 30
    assert names["main.mix"].inline == "inline"
    fib = names["main.fib"]
    # recursion: cum counted once per sample, so it cannot exceed the total
    assert fib.cum <= t.total
    _assert_parity(pprof_top, dominant_profile, None)
