"""Fuzzed pprof profiles: only ProfileError escapes parse_profile, and top/diff never raise on what it accepts.

Random bytes mostly die in the protobuf decoder; the structured strategy
builds real protobuf messages whose ids, string indexes and lengths point
anywhere, which is what reaches the consistency checks.
"""

from __future__ import annotations

import gzip
import struct

from hypothesis import given
from hypothesis import strategies as st

from pytest_goperf.pprof import profile_pb2 as pb
from pytest_goperf.pprof.diff import diff
from pytest_goperf.pprof.errors import ProfileError
from pytest_goperf.pprof.parse import MAX_INFLATED, parse_profile
from pytest_goperf.pprof.top import top
from tests.fuzz.budget import fuzz, memory_cap

IDX = st.integers(0, 12)
I64 = st.one_of(st.integers(-3, 20), st.integers(-2**63, 2**63 - 1))


@st.composite
def profiles(draw: st.DrawFn) -> bytes:
    m = pb.Profile()
    m.string_table.extend(draw(st.lists(st.sampled_from(["", "cpu", "nanoseconds", "samples", "count", "main.f",
                                                          "main.go", "x"]), max_size=10)))
    if draw(st.booleans()) and m.string_table:
        m.string_table[0] = ""
    for _ in range(draw(st.integers(0, 3))):
        vt = m.sample_type.add()
        vt.type, vt.unit = draw(IDX), draw(IDX)
    for _ in range(draw(st.integers(0, 4))):
        f = m.function.add()
        f.id, f.name, f.system_name, f.filename, f.start_line = draw(IDX), draw(IDX), draw(IDX), draw(IDX), draw(I64)
    for _ in range(draw(st.integers(0, 2))):
        mp = m.mapping.add()
        mp.id, mp.memory_start, mp.memory_limit, mp.filename = draw(IDX), draw(st.integers(0, 99)), draw(
            st.integers(0, 99)), draw(IDX)
    for _ in range(draw(st.integers(0, 5))):
        loc = m.location.add()
        loc.id, loc.mapping_id, loc.address = draw(IDX), draw(IDX), draw(st.integers(0, 2**64 - 1))
        for _ in range(draw(st.integers(0, 3))):
            ln = loc.line.add()
            ln.function_id, ln.line = draw(IDX), draw(I64)
    for _ in range(draw(st.integers(0, 6))):
        s = m.sample.add()
        s.location_id.extend(draw(st.lists(IDX, max_size=4)))
        s.value.extend(draw(st.lists(I64, max_size=4)))
        for _ in range(draw(st.integers(0, 2))):
            lb = s.label.add()
            lb.key, lb.str, lb.num, lb.num_unit = draw(IDX), draw(IDX), draw(I64), draw(IDX)
    m.period, m.duration_nanos, m.time_nanos = draw(I64), draw(I64), draw(I64)
    m.default_sample_type = draw(IDX)
    if draw(st.booleans()):
        m.period_type.type, m.period_type.unit = draw(IDX), draw(IDX)
    m.drop_frames, m.keep_frames = draw(IDX), draw(IDX)
    m.comment.extend(draw(st.lists(IDX, max_size=2)))
    raw = m.SerializeToString()
    return gzip.compress(raw) if draw(st.booleans()) else raw


def _use(data: bytes) -> None:
    try:
        prof = parse_profile(data, source="fuzz.pprof")
    except ProfileError as exc:
        assert str(exc).startswith("fuzz.pprof")
        return
    for t in prof.sample_types:
        try:
            report = top(prof, t.type, nodecount=5)
        except ProfileError:  # e.g. two sample types of one name: pprof refuses too
            continue
        assert report.total is not None
        diff(prof, prof, t.type)


@fuzz(200)
@given(profiles())
def test_structured_profiles(data: bytes) -> None:
    _use(data)


@fuzz(100)
@given(profiles(), st.data())
def test_cut_and_flipped_profiles(data: bytes, draw: st.DataObject) -> None:
    raw = bytearray(data)
    if raw:
        for _ in range(draw.draw(st.integers(0, 3))):
            raw[draw.draw(st.integers(0, len(raw) - 1))] = draw.draw(st.integers(0, 255))
    _use(bytes(raw[: draw.draw(st.integers(0, len(raw)))]))


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def test_hostile_length_field_is_refused_without_allocating_it() -> None:
    """A sample record announcing 2**62 bytes in a 20-byte file: a clear error, no huge allocation."""
    data = b"\x12" + _varint(2**62) + b"\x08\x01" * 8
    with memory_cap():
        try:
            parse_profile(data, source="hostile.pprof")
        except ProfileError as exc:
            assert "hostile.pprof" in str(exc)


def test_gzip_bomb_is_refused_without_inflating_it_all() -> None:
    """A MiB of gzip that would inflate to 1 GiB: refused past MAX_INFLATED, memory stays bounded."""
    block = gzip.compress(bytes(64 << 20), compresslevel=9)
    bomb = block * 16  # concatenated gzip members: 16 x 64 MiB of zeros
    assert len(bomb) < 2 << 20
    with memory_cap(MAX_INFLATED + (32 << 20)):
        try:
            parse_profile(bomb, source="bomb.pprof")
        except ProfileError as exc:
            assert "bomb.pprof" in str(exc) and "MiB" in str(exc)
        else:
            raise AssertionError("a 1 GiB zero-filled profile was accepted")


def test_packed_fields_with_huge_counts() -> None:
    """A packed value list announcing more numbers than the bytes hold is a protobuf error, not a crash."""
    sample = b"\x12" + _varint(8) + b"\x12" + _varint(2**40) + struct.pack("<Q", 1)[:6]
    try:
        parse_profile(sample, source="packed.pprof")
    except ProfileError:
        pass
