"""Fuzzed execution traces built batch by batch: only TraceError escapes, with a byte offset inside the file.

tests/trace/test_bad_input.py covers truncation at every offset and random
bytes; here the strategy writes well-framed batches whose generation, thread,
timestamps, sizes, string/stack tables and event arguments are hostile, which
is what reaches the generation and ordering code.
"""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from pytest_goperf.trace import TraceError, analyze_stream
from pytest_goperf.trace import events as ev
from tests.fuzz.budget import fuzz, memory_cap


def uv(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


SMALL = st.one_of(st.integers(0, 8), st.integers(0, 2**64 - 1))
STRING = st.builds(lambda sid, s: bytes([ev.EV_STRING]) + uv(sid) + uv(len(s)) + s, st.integers(0, 5),
                   st.binary(max_size=12))
STACK = st.builds(lambda sid, frames: bytes([ev.EV_STACK]) + uv(sid) + uv(len(frames))
                  + b"".join(uv(pc) + uv(f) + uv(fl) + uv(ln) for pc, f, fl, ln in frames),
                  st.integers(0, 5), st.lists(st.tuples(SMALL, st.integers(0, 5), st.integers(0, 5), SMALL), max_size=3))
EVENT = st.builds(lambda typ, args: bytes([typ]) + b"".join(uv(a) for a in args),
                  st.integers(ev.EV_PROCS_CHANGE, 50), st.lists(SMALL, max_size=6))
PAYLOAD = st.one_of(
    st.builds(lambda ss: bytes([ev.EV_STRINGS]) + b"".join(ss), st.lists(STRING, max_size=4)),
    st.builds(lambda ss: bytes([ev.EV_STACKS]) + b"".join(ss), st.lists(STACK, max_size=3)),
    st.builds(lambda f: bytes([ev.EV_FREQUENCY]) + uv(f), SMALL),
    st.builds(lambda xs: bytes([ev.EV_CPU_SAMPLES]) + b"".join(bytes([ev.EV_CPU_SAMPLE]) + b"".join(uv(a) for a in x)
                                                                for x in xs),
              st.lists(st.lists(SMALL, min_size=5, max_size=5), max_size=3)),
    st.builds(lambda es: b"".join(es), st.lists(EVENT, max_size=10)),
    st.binary(max_size=30),
)


@st.composite
def batch(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return bytes([getattr(ev, "EV_END_OF_GENERATION", 0)])
    data = draw(PAYLOAD)
    size = len(data) if draw(st.integers(0, 9)) else draw(SMALL)
    return (bytes([ev.EV_EVENT_BATCH]) + uv(draw(st.integers(0, 4))) + uv(draw(st.integers(0, 3)))
            + uv(draw(SMALL)) + uv(size) + data)


@fuzz(200)
@given(st.sampled_from(["1.22", "1.23", "1.25", "1.26"]), st.lists(batch(), max_size=12))
def test_framed_batches(version: str, batches: list[bytes]) -> None:
    data = f"go {version} trace\x00\x00\x00".encode() + b"".join(batches)
    try:
        stats = analyze_stream(io.BytesIO(data), "fuzz.trace")
    except TraceError as exc:
        assert exc.offset is not None and 0 <= exc.offset <= len(data), str(exc)
        assert "fuzz.trace" in str(exc)
        return
    assert stats.generations >= 0


def test_hostile_batch_size_is_refused_without_allocating_it() -> None:
    """A batch announcing 2**60 bytes in a 40-byte file: a TraceError at its offset, memory bounded."""
    data = b"go 1.26 trace\x00\x00\x00" + bytes([ev.EV_EVENT_BATCH]) + uv(1) + uv(0) + uv(5) + uv(2**60) + b"\x00" * 8
    with memory_cap():
        try:
            analyze_stream(io.BytesIO(data), "hostile.trace")
        except TraceError as exc:
            assert exc.offset == 16 and "batch size" in str(exc)
        else:
            raise AssertionError("a 2**60-byte batch was accepted")


def test_largest_legal_batch_cut_short() -> None:
    """The largest legal size announced with only a few bytes present reads what is there, not the announced size."""
    data = (b"go 1.26 trace\x00\x00\x00" + bytes([ev.EV_EVENT_BATCH]) + uv(1) + uv(0) + uv(5)
            + uv(ev.MAX_BATCH_SIZE) + b"\x00" * 8)
    with memory_cap(8 << 20):
        try:
            analyze_stream(io.BytesIO(data), "short.trace")
        except TraceError as exc:
            assert "short.trace" in str(exc)
