"""The blocks gate on real traces: reasons sorted as go tool trace -pprof=sync sees them, robust max, bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pytest_goperf.config import load_config
from pytest_goperf.errors import ConfigError
from pytest_goperf.gates.blocks import REASONS, classify, in_stdlib, judge_blocks, select_blocks, stdlib_internal
from pytest_goperf.gates.extremes import judge_extreme
from pytest_goperf.trace import analyze_file
from pytest_goperf.trace.model import Interval, Stack
from tests.trace.conftest import TRACES
from tests.trace.test_sync_blocks import go_sync_profile

# One busy trace per format (the sync-block parity of every committed trace is tests/trace/test_sync_blocks.py).
COMMITTED = ["go1.22-cpu.trace", "go1.23-cpu.trace", "go1.25-cpu.trace", "go1.26-cpu.trace", "go1.27-multigen.trace"]


def _reason_from_stack(stack: Stack) -> str:
    """The gate's reason of a -pprof=sync stack, read from its frames alone (an independent check)."""
    names = [fn for fn, _f, _l in stack]
    for frame, reason in (("runtime.chansend", "chan send"), ("runtime.chanrecv", "chan receive"),
                          ("runtime.selectgo", "select"), ("sync.(*Cond).Wait", "cond")):
        if any(n.startswith(frame) for n in names):
            return reason
    got = classify("sync", stack)
    assert got is not None
    return got


@pytest.mark.parametrize("name", COMMITTED)
def test_reason_totals_match_go_tool_trace_sync_profile(go: str, name: str) -> None:
    trace = TRACES / name
    stats = analyze_file(trace, keep=1000)
    theirs: Counter[tuple[str, str]] = Counter()
    for stack, (count, delay) in go_sync_profile(go, trace).items():
        reason = _reason_from_stack(stack)
        theirs[(reason, "count")] += count
        theirs[(reason, "total")] += delay
    for reason in REASONS:
        judged = select_blocks(stats, [reason])
        assert (judged.count, judged.total_ns) == (theirs[(reason, "count")], theirs[(reason, "total")]), reason
    everything = select_blocks(stats, REASONS)
    assert everything.count == stats.sync_blocks.count and everything.total_ns == stats.sync_blocks.total


def _iv(ms: float, at: int = 0) -> Interval:
    return Interval(int(ms * 1e6), at, 7, "sync", (("sync.(*Mutex).Lock", "m.go", 1), ("main.handle", "main.go", 9)))


def test_max_tolerates_one_outlier_under_twice_the_limit() -> None:
    ok, text, listing = judge_extreme([_iv(1.759), _iv(0.1)], int(1.759e6), 1e-3, what="pause")
    assert ok and "tolerated as a single outlier" in text and "1.759ms" in listing and "main.handle" in listing
    ok, text, listing = judge_extreme([_iv(2.5), _iv(0.1)], int(2.5e6), 1e-3, what="pause")
    assert not ok and "over 2x the limit" in text
    ok, text, listing = judge_extreme([_iv(1.2), _iv(1.1, 5), _iv(0.1)], int(1.2e6), 1e-3, what="pause")
    assert not ok and "2 pauses over the max of 1ms" in text
    assert listing.count("\n") == 2  # every event over the limit is listed
    ok, text, _ = judge_extreme([_iv(0.9)], int(0.9e6), 1e-3)
    assert ok and text == "max 900µs (limit 1ms)"
    # A cut list whose shortest kept event is still over the limit: "at least", and a failure.
    ok, text, _ = judge_extreme([_iv(1.5), _iv(1.4)], int(1.5e6), 1e-3, complete_above_ns=int(1.4e6))
    assert not ok and "at least 2" in text


def test_blocks_verdict_on_a_real_trace() -> None:
    stats = analyze_file(TRACES / "go1.26-cpu.trace", keep=1000)
    everything = select_blocks(stats, REASONS)
    assert everything.count > 0
    loose = judge_blocks(stats, max=10.0, reasons=REASONS, stdlib=True)
    assert loose.passed and loose.figures["blocks_count"] == everything.count
    # By default the standard library's blocks with itself are left out, and counted as such.
    mine = judge_blocks(stats, max=10.0, reasons=REASONS)
    left_out = mine.figures["blocks_stdlib_left_out"]
    assert isinstance(left_out, int) and left_out > 0
    assert mine.figures["blocks_count"] == everything.count - left_out
    assert "inside the standard library left out" in mine.message
    internal = [st for reason, sts in stats.block_stacks.items() for st in sts
                if classify(reason, st.stack) in REASONS and stdlib_internal(st.stack)]
    assert sum(st.count for st in internal) == left_out
    assert all(not fn.startswith(("main.", "example.com/")) for st in internal for fn, _f, _l in st.stack)
    tight = judge_blocks(stats, max=1e-9, p99=1e-9, reasons=["chan receive"], trace_path="t.out")
    assert tight.failed
    assert "Top blocking stacks" in tight.message and "go tool trace -pprof=sync t.out" in tight.message
    assert "chan receive:" in tight.message and "blocks, total" in tight.message


def test_stdlib_frames_are_told_from_the_program_and_its_modules() -> None:
    for fn in ("net/http.(*connReader).abortPendingRead", "sync.(*Cond).Wait", "runtime.gopark",
               "vendor/golang.org/x/net/http2.(*Framer).ReadFrame", "internal/poll.(*FD).Read", "slices.Sort[...]"):
        assert in_stdlib(fn), fn
    for fn in ("main.handle", "main.main.func1", "example.com/go-service/store.(*Cache).Get",
               "github.com/lib/pq.(*conn).query", "golang.org/x/net/http2.(*Framer).ReadFrame"):
        assert not in_stdlib(fn), fn
    cond_wait = (("sync.(*Cond).Wait", "cond.go", 1), ("net/http.(*connReader).abortPendingRead", "server.go", 2),
                 ("net/http.(*conn).serve", "server.go", 3))
    assert stdlib_internal(cond_wait)
    assert not stdlib_internal((*cond_wait[:2], ("main.handler", "main.go", 9), cond_wait[2]))


def _config(tmp_path: Path, load: str, blocks: str) -> Path:
    (tmp_path / "go.mod").write_text("module x\n")
    path = tmp_path / "goperf.yaml"
    path.write_text(f"load: {{requests: [{{path: /}}], {load}}}\nthresholds:\n  blocks: {blocks}\n")
    return path


def test_unknown_reason_and_missing_trace_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"goperf.yaml:3: .*unknown block reason 'mutx'; did you mean 'mutex'\? "
                                          r"valid reasons: mutex, rwmutex, cond"):
        load_config(_config(tmp_path, "trace: 5s", "{reasons: [mutx]}"))
    with pytest.raises(ConfigError, match=r"'network' \(network waits are I/O, not contention\)"):
        load_config(_config(tmp_path, "trace: 5s", "{reasons: [mutex, network]}"))
    with pytest.raises(ConfigError, match=r"goperf.yaml:3: thresholds.blocks: this gate reads the execution trace, "
                                          r"but load.trace is 0s"):
        load_config(_config(tmp_path, "trace: 0s", "{max: 1ms}"))
    cfg = load_config(_config(tmp_path, "trace: 5s", "{max: 2ms, reasons: [mutex, chan send]}"))
    assert cfg.thresholds.runtime["blocks"].reasons == ("mutex", "chan send")


def test_short_window_for_the_trend_tests_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module x\n")
    path = tmp_path / "goperf.yaml"
    path.write_text("load: {requests: [{path: /}], duration: 5s, trace: 2s}\nthresholds:\n  goroutines: {}\n")
    with pytest.raises(ConfigError, match=r"goperf.yaml:3: .*the goroutines trend test needs at least 6 samples, but "
                                          r"load.duration 5s with sample_every 1s gives 2 \(none are taken while the trace "
                                          r"records, nor for 1 s after it\)"):
        load_config(path)
