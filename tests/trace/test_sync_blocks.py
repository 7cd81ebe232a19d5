"""Synchronization blocking with stacks, checked against ``go tool trace -pprof=sync``.

Go's sync profile sums, per blocking stack, the time goroutines spent
Waiting for a reason containing "chan", "sync" or "select"; our
``TraceStats.sync_block_stacks`` (and ``block_stacks`` per reason) must give
the same count and total per stack on every committed trace, the live one
and a fresh trace of a program that blocks for every sync reason.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from pytest_goperf.pprof import parse_profile
from pytest_goperf.trace import analyze_file
from pytest_goperf.trace.model import Stack, is_sync_reason
from tests.trace.conftest import TRACES

COMMITTED = sorted(p.name for p in TRACES.glob("go1.2[2-9]-*.trace"))
SYNCBLOCK = TRACES / "syncblock"


def go_sync_profile(go: str, trace: Path) -> dict[Stack, tuple[int, int]]:
    """``go tool trace -pprof=sync`` as {stack (leaf first): (count, delay ns)}."""
    proc = subprocess.run([go, "tool", "trace", "-pprof=sync", str(trace)], capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode()[-400:]
    prof = parse_profile(proc.stdout)
    out: dict[Stack, tuple[int, int]] = {}
    for s in prof.samples:
        stack = tuple(
            (ln.function.name, ln.function.filename, ln.line) for lid in s.location_ids for ln in prof.locations[lid].lines
        )
        count, delay = out.get(stack, (0, 0))
        out[stack] = (count + s.values[0], delay + s.values[1])
    return out


def assert_sync_parity(go: str, trace: Path) -> int:
    """Every stack's count and total equal Go's; returns the number of stacks compared."""
    stats = analyze_file(trace)
    theirs = go_sync_profile(go, trace)
    ours = {s.stack: (s.count, s.total_ns) for s in stats.sync_block_stacks}
    assert ours == theirs
    # the per-reason stacks add up to the same figures
    per_reason: Counter[Stack] = Counter()
    for reason, stacks in stats.block_stacks.items():
        if is_sync_reason(reason):
            for s in stacks:
                per_reason[s.stack] += s.total_ns
    assert dict(per_reason) == {k: v[1] for k, v in theirs.items()}
    assert stats.sync_blocks.total == sum(v[1] for v in theirs.values())
    assert stats.sync_blocks.count == sum(v[0] for v in theirs.values())
    return len(theirs)


@pytest.fixture(scope="session")
def syncblock_trace(go: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh multi-generation trace of tests/data/traces/syncblock (every sync reason)."""
    tmp = tmp_path_factory.mktemp("syncblock")
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GOMAXPROCS="2", CGO_ENABLED="0")
    exe = tmp / "syncblock"
    subprocess.run([go, "build", "-o", str(exe), "."], cwd=SYNCBLOCK, env=env, check=True, timeout=300)
    out = tmp / "syncblock.trace"
    subprocess.run([str(exe), str(out), "300"], env=dict(env, GODEBUG="traceadvanceperiod=20000000"), check=True,
                   timeout=60)
    return out


@pytest.mark.parametrize("name", COMMITTED)
def test_sync_stacks_match_go_committed(go: str, name: str) -> None:
    assert assert_sync_parity(go, TRACES / name) >= 0


def test_sync_stacks_match_go_live(go: str, live_trace: Path) -> None:
    assert assert_sync_parity(go, live_trace) > 0


def test_sync_stacks_match_go_every_reason(go: str, syncblock_trace: Path) -> None:
    assert assert_sync_parity(go, syncblock_trace) > 3
    stats = analyze_file(syncblock_trace)
    # every synchronization reason the runtime records, exactly as the trace spells it
    assert {"sync", "sync.(*Cond).Wait", "chan send", "chan receive", "select"} <= set(stats.blocks)
    assert not is_sync_reason("sleep") and not is_sync_reason("network") and "sleep" in stats.blocks
    tops = {s.stack[0][0] for s in stats.block_stacks["sync"]}
    assert {"sync.(*Mutex).Lock", "sync.(*RWMutex).Lock", "sync.(*RWMutex).RLock", "sync.(*WaitGroup).Wait"} & tops
    for reason, stacks in stats.block_stacks.items():
        summary = stats.blocks[reason]
        assert sum(s.count for s in stacks) == summary.count
        assert sum(s.total_ns for s in stacks) == summary.total
        assert max(s.max_ns for s in stacks) == summary.max


def test_json_blocks_extend_the_contract(syncblock_trace: Path) -> None:
    doc = analyze_file(syncblock_trace).to_json()
    sync = doc["blocks_ns"]["sync"]
    assert {"count", "p50", "p90", "p99", "max", "total"} <= set(sync)
    assert sync["sync"] is True and doc["blocks_ns"]["sleep"]["sync"] is False
    top = sync["stacks"][0]
    assert set(top) == {"count", "total_ns", "max_ns", "stack"} and top["max_ns"] <= top["total_ns"]
    assert doc["sync_blocks_ns"]["count"] == sum(v["count"] for k, v in doc["blocks_ns"].items() if v["sync"])
