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


def test_max_fails_on_recurring_events_not_on_one() -> None:
    # One event over the limit never decides, however long; it is listed with where it happened.
    ok, text, listing = judge_extreme([_iv(11.5), _iv(0.1)], int(11.5e6), 1e-3, what="pause", events=120)
    assert ok and "1 of 120 pauses over the limit of 1ms, tolerated as isolated (fails from 4 of 120" in text
    assert "11.5ms" in listing and "main.handle" in listing
    # Few events: two over the limit recur.
    ok, text, listing = judge_extreme([_iv(1.2), _iv(1.1, 5), _iv(0.1)], int(1.2e6), 1e-3, what="pause", events=8)
    assert not ok and text.startswith("2 of 8 pauses over the max of 1ms (max 1.2ms): recurring")
    assert listing.count("\n") == 2  # every event over the limit is listed
    # Many events: up to what a busy machine explains (1 %) passes; more fails.
    three = [_iv(3.8), _iv(2.4), _iv(1.1)]
    assert judge_extreme(three, int(3.8e6), 1e-3, what="pause", events=120)[0]
    assert not judge_extreme([*three, _iv(1.05)], int(3.8e6), 1e-3, what="pause", events=120)[0]
    ok, text, _ = judge_extreme([_iv(0.9)], int(0.9e6), 1e-3)
    assert ok and text == "max 900µs (limit 1ms; 1 event cannot show a recurrence)"
    # A cut list whose shortest kept event is still over the limit: "at least", and a failure.
    ok, text, _ = judge_extreme([_iv(1.5), _iv(1.4)], int(1.5e6), 1e-3, complete_above_ns=int(1.4e6), events=5000)
    assert not ok and "at least 2 of 5000" in text


def test_recurrence_rule_false_alarm_and_detection_rates() -> None:
    """Simulated: events over the limit at the machine's 1 % fail at most 5 % of windows; a fault at 20 % is caught."""
    import numpy as np

    from pytest_goperf.gates.extremes import failing_count

    rng = np.random.default_rng(7)
    for n in (8, 40, 120, 1000, 12500):
        need = failing_count(n)
        assert 2 <= need <= n
        alarms = float(np.mean(rng.binomial(n, 0.01, 20000) >= need))
        assert alarms <= 0.05, (n, need, alarms)
        if n >= 40:
            assert float(np.mean(rng.binomial(n, 0.20, 20000) >= need)) > 0.99, n


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


def test_no_blocks_read_max_na_not_zero() -> None:
    """pushgateway's window had 500 blocks, all inside the standard library: "max 0s" read like a measurement."""
    verdict = judge_blocks(analyze_file(TRACES / "go1.26-tiny.trace"), max=1e-3)
    assert verdict.passed and verdict.figures["blocks_count"] == 0
    assert verdict.message.startswith("blocks (mutex, rwmutex, cond): max n/a (limit 1ms; 0 blocks cannot show")
