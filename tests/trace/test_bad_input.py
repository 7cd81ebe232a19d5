"""Damaged traces: a clear TraceError with a byte offset, or a partial result with a warning.

Never another exception, never a hang (pytest-timeout guards the module).
"""

from __future__ import annotations

import io
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_goperf.trace import TraceError, TraceStats, TruncatedTraceError, analyze_stream
from tests.trace.conftest import TRACES

pytestmark = pytest.mark.timeout(120)


def _analyze(data: bytes) -> TraceStats | TraceError:
    try:
        return analyze_stream(io.BytesIO(data), "fuzz.trace")
    except TraceError as exc:
        assert exc.offset is not None and 0 <= exc.offset <= len(data), str(exc)
        assert "fuzz.trace" in str(exc)
        return exc


@pytest.mark.parametrize("version", ["1.22", "1.23", "1.25", "1.26"])
def test_truncation_at_every_offset_of_a_small_trace(version: str) -> None:
    data = (TRACES / f"go{version}-tiny.trace").read_bytes()
    full = analyze_stream(io.BytesIO(data))
    assert full.warnings == ()
    for cut in range(len(data)):
        got = _analyze(data[:cut])
        if isinstance(got, TraceStats):
            # Only complete generations may be used; for 1.26 the cut is always noticed.
            assert got.generations <= full.generations
            if version == "1.26" and cut > 16:
                assert got.warnings, f"cut at {cut} went unnoticed"


@pytest.mark.parametrize("version", ["1.22", "1.26"])
def test_truncated_multigen_keeps_complete_generations(version: str) -> None:
    data = (TRACES / f"go{version}-multigen.trace").read_bytes()
    full = analyze_stream(io.BytesIO(data))
    assert full.generations >= 3
    rng = random.Random(6)
    cuts = sorted(rng.sample(range(len(data) // 2, len(data) - 1), 25))
    partial_seen = 0
    for cut in cuts:
        got = _analyze(data[:cut])
        if isinstance(got, TraceStats) and got.warnings:
            partial_seen += 1
            assert 1 <= got.generations < full.generations
            assert got.sched_latency.count < full.sched_latency.count
            assert "at byte" in got.warnings[0]
    assert partial_seen > 0


def test_cut_mid_batch_reports_offset() -> None:
    data = (TRACES / "go1.26-work.trace").read_bytes()
    with pytest.raises(TruncatedTraceError) as info:
        analyze_stream(io.BytesIO(data[: len(data) // 2]), "half.trace")
    assert info.value.offset is not None and info.value.offset <= len(data) // 2
    assert "half.trace at byte" in str(info.value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["1.22", "1.23", "1.25", "1.26"]),
    st.binary(min_size=0, max_size=3000),
)
def test_random_bytes_after_a_valid_header(version: str, junk: bytes) -> None:
    _analyze(f"go {version} trace\x00\x00\x00".encode() + junk)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_bytes_in_a_real_trace(data: st.DataObject) -> None:
    raw = bytearray((TRACES / "go1.26-tiny.trace").read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(16, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    _analyze(bytes(raw))


def test_empty_trace_with_header_only() -> None:
    got = analyze_stream(io.BytesIO(b"go 1.26 trace\x00\x00\x00"))
    assert got.generations == 0
    assert got.warnings and "no events" in got.warnings[0]
