"""Ordering when thread clocks disagree: sequence numbers win over timestamps.

A hand-built Go 1.22-format trace: thread 2 starts goroutine 5 at t=1200,
but thread 1 unblocks it only at t=1500.  Sorting by time would run a
Waiting goroutine; the sequence numbers say the unblock comes first.  Go's
parser agrees (checked with ``go tool trace -d=parsed`` when Go is present).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pytest_goperf.trace import TraceError, analyze_stream, iter_events
from pytest_goperf.trace import events as ev
from tests.trace.reference import reference_stats

NO_THREAD = 2**64 - 1


def _uv(v: int) -> bytes:
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _batch(gen: int, m: int, time: int, data: bytes) -> bytes:
    return bytes([ev.EV_EVENT_BATCH]) + _uv(gen) + _uv(m) + _uv(time) + _uv(len(data)) + data


def _events(*evs: tuple[int, ...]) -> bytes:
    return b"".join(bytes([e[0]]) + b"".join(_uv(a) for a in e[1:]) for e in evs)


def skewed_trace() -> bytes:
    reason = b"chan receive"
    m1 = _events(
        (ev.EV_PROC_STATUS, 0, 0, ev.PROC_RUNNING),
        (ev.EV_GO_STATUS, 0, 1, 1, ev.GO_RUNNING),
        (ev.EV_GO_STATUS, 0, 5, NO_THREAD, ev.GO_WAITING),
        (ev.EV_GO_UNBLOCK, 500, 5, 1, 0),  # t=1500, seq 1
        (ev.EV_GO_BLOCK, 100, 1, 0),  # t=1600
    )
    m2 = _events(
        (ev.EV_PROC_STATUS, 0, 1, ev.PROC_IDLE),
        (ev.EV_PROC_START, 100, 1, 1),  # t=1100
        (ev.EV_GO_START, 100, 5, 2),  # t=1200: clock says before the unblock
        (ev.EV_GO_BLOCK, 100, 1, 0),  # t=1300
    )
    strings = bytes([ev.EV_STRINGS, ev.EV_STRING]) + _uv(1) + _uv(len(reason)) + reason
    freq = bytes([ev.EV_FREQUENCY]) + _uv(1_000_000_000)
    return (
        b"go 1.22 trace\x00\x00\x00"
        + _batch(1, 1, 1000, m1)
        + _batch(1, 2, 1000, m2)
        + _batch(1, 0, 1000, strings)
        + _batch(1, 0, 1000, freq)
    )


def test_sequence_numbers_override_skewed_clocks() -> None:
    data = skewed_trace()
    names = [(ev.event_name(typ), t) for t, typ, _g, _a in iter_events(io.BytesIO(data)) if typ != ev.EV_SYNC]
    order = [n for n, _t in names]
    assert order.index("GoStart") > order.index("GoUnblock")
    times = [t for _n, t in names]
    assert times == sorted(times) and len(set(times)) == len(times)  # clamped, strictly increasing
    stats = analyze_stream(io.BytesIO(data))
    assert stats.sched_latency.count == 1
    assert stats.sched_latency.max == 1  # GoStart clamped to 1 ns after the unblock at 1500
    assert stats.blocks == {}  # goroutine 5 started Waiting (undetermined); later blocks never end


def test_go_agrees_on_the_skewed_trace(go: str, tmp_path: Path) -> None:
    path = tmp_path / "skewed.trace"
    path.write_bytes(skewed_trace())
    ref = reference_stats(go, str(path))
    assert ref.sched == [1]
    stats = analyze_stream(io.BytesIO(skewed_trace()))
    assert stats.sched_latency.count == len(ref.sched)


def test_stuck_trace_is_an_error() -> None:
    """A GoStart whose unblock never comes cannot be ordered: a clear error, not a hang."""
    unblock = bytes([ev.EV_GO_UNBLOCK]) + _uv(500) + _uv(5)
    data = skewed_trace().replace(unblock + _uv(1), unblock + _uv(7))  # wrong sequence number
    with pytest.raises(TraceError, match="no thread can make progress") as info:
        analyze_stream(io.BytesIO(data), "stuck.trace")
    assert "stuck.trace at byte" in str(info.value)
