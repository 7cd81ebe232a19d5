"""Parity with Go's own parser: our statistics vs. ``go tool trace -d=parsed`` on the same file.

Traces recorded by Go 1.22, 1.23, 1.25, 1.26 and 1.27 (committed, see
tests/data/traces/make_traces.py) plus one recorded live by the machine's Go.
Counts must match exactly and percentiles within 1 %, for the sequential
reader and for the parallel one (whose result must equal the sequential).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goperf.trace import analyze_file
from pytest_goperf.trace.parallel import analyze_parallel
from pytest_goperf.trace.model import Summary
from tests.trace.conftest import TRACES
from tests.trace.reference import Reference, nearest_rank, reference_stats

COMMITTED = sorted(p.name for p in TRACES.glob("go1.2[2-9]-*.trace") if "-tiny" not in p.name)


def _close(ours: int | None, ref: int, what: str) -> None:
    assert ours is not None, what
    assert abs(ours - ref) <= 0.01 * ref, f"{what}: ours {ours} vs go tool trace {ref}"


def _compare(summary: Summary, values: list[int], what: str) -> None:
    assert summary.count == len(values), f"{what}: count {summary.count} vs go tool trace {len(values)}"
    if not values:
        return
    for p in (50, 90, 99):
        _close(summary.percentile(f"p{p}"), nearest_rank(values, p), f"{what} p{p}")
    _close(summary.max, max(values), f"{what} max")
    _close(summary.total, sum(values), f"{what} total")


def _check(path: Path, ref: Reference) -> None:
    """Our sequential reader, and the parallel one (forced on, short prefix so workers do the work)."""
    stats = analyze_file(path, workers=1)
    assert analyze_parallel(str(path), workers=2, prefix=16) == stats
    assert analyze_file(path, workers=2) == stats
    assert stats.warnings == ()
    assert stats.sched_latency.count > 100, "workload should produce scheduler latency"
    _compare(stats.sched_latency, ref.sched, "scheduler latency")
    assert set(stats.blocks) == set(ref.blocks)
    for reason, values in ref.blocks.items():
        _compare(stats.blocks[reason], values, f"block {reason!r}")
    assert set(stats.stw_by_kind) == set(ref.stw)
    for kind, values in ref.stw.items():
        _compare(stats.stw_by_kind[kind], values, f"STW {kind!r}")
    _compare(stats.stw, [v for vs in ref.stw.values() for v in vs], "STW")
    _compare(stats.gc_stw, [v for k, vs in ref.stw.items() if k.startswith("GC") for v in vs], "GC STW")
    assert stats.gc_count == ref.gc_count
    _compare(stats.gc_mark, ref.gc_mark, "GC mark phase")


@pytest.mark.parametrize("name", COMMITTED)
def test_parity_committed(go: str, name: str) -> None:
    path = TRACES / name
    _check(path, reference_stats(go, str(path)))


def test_parity_live(go: str, live_trace: Path) -> None:
    _check(live_trace, reference_stats(go, str(live_trace)))


def test_committed_traces_cover_versions_and_generations() -> None:
    """The parity set must keep several formats and multi-generation traces."""
    versions = {n.split("-")[0] for n in COMMITTED}
    assert {"go1.22", "go1.23", "go1.25", "go1.26"} <= versions
    for v in versions:
        assert analyze_file(TRACES / f"{v}-multigen.trace").generations >= 3
