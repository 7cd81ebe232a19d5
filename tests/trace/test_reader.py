"""Wire-level reading: headers, varints, generations, tables, CPU samples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_goperf.errors import InputError
from pytest_goperf.trace import TraceError, UnsupportedTraceError, analyze_file, iter_events
from pytest_goperf.trace import events as ev
from pytest_goperf.trace.generation import read_generations
from pytest_goperf.trace.wire import parse_header, uvarint, uvarints
from tests.trace.conftest import TRACES


def _encode(v: int, pad: int = 0) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v or pad > 1:
            out.append(b | 0x80)
            pad -= 1
        else:
            out.append(b)
            return bytes(out)


def test_header_versions() -> None:
    for minor in (22, 23, 25, 26):
        assert parse_header(f"go 1.{minor} trace\x00\x00\x00".encode()) == minor


def test_old_format_is_refused_clearly() -> None:
    with pytest.raises(UnsupportedTraceError, match=r"record with Go 1\.22\+") as info:
        analyze_file(TRACES / "go1.21-v1.trace")
    assert info.value.offset == 0
    assert isinstance(info.value, InputError)


def test_unknown_future_version() -> None:
    with pytest.raises(UnsupportedTraceError, match="go 1.99"):
        parse_header(b"go 1.99 trace\x00\x00\x00")


@pytest.mark.parametrize("head", [b"", b"hello world, not a trace", b"\x00" * 16, b"go 1.26 trac"])
def test_bad_headers(tmp_path: Path, head: bytes) -> None:
    p = tmp_path / "bad.trace"
    p.write_bytes(head)
    with pytest.raises(TraceError, match="at byte") as info:
        analyze_file(p)
    assert str(p) in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(InputError, match="cannot read"):
        analyze_file("/nonexistent/trace.out")


@given(st.integers(min_value=0, max_value=2**64 - 1), st.integers(min_value=0, max_value=9))
def test_uvarint_accepts_non_minimal_encodings(value: int, pad: int) -> None:
    data = _encode(value, pad)
    if len(data) > 10:
        return
    assert uvarint(data, 0) == (value, len(data))
    assert uvarints(data + _encode(7)) == [value, 7]


@given(st.lists(st.integers(min_value=0, max_value=2**63), max_size=50))
def test_vectorised_uvarints_match_scalar(values: list[int]) -> None:
    data = b"".join(_encode(v) for v in values)
    assert uvarints(data) == values


def test_cut_uvarint_is_an_error() -> None:
    with pytest.raises(ValueError):
        uvarints(b"\x05\x81")
    with pytest.raises(ValueError):
        uvarint(b"\x81", 0)


def test_event_table_matches_go_source(go: str) -> None:
    """Our type numbers and argument counts equal tracev2/events.go of the installed Go."""
    import subprocess

    root = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, check=True).stdout.strip()
    src = Path(root, "src/internal/trace/tracev2/events.go")
    if not src.exists():
        pytest.skip("Go source tree not installed")
    text = src.read_text()
    consts = text[text.index("EvNone EventType = iota") : text.index("NumEvents")]
    names = re.findall(r"^\s*(Ev\w+)", consts, re.M)
    assert len(names) == ev.EV_END_OF_GENERATION + 1
    for number, name in enumerate(names):
        if number == 0:
            continue
        m = re.search(rf"\t{name}: {{\n\t\tName: +\"(\w+)\",\n(?:\t\tArgs: +\[\]string{{([^}}]*)}})?", text)
        assert m, name
        ours = ev.SPECS[number]
        assert ours[0] == m.group(1)
        nargs = len(m.group(2).split(",")) if m.group(2) else 0
        assert ours[1] == nargs, name


def test_generations_are_streamed_in_order() -> None:
    with open(TRACES / "go1.22-multigen.trace", "rb") as f:
        f.read(16)
        gens = [g.gen for g in read_generations(f, 22)]
    assert len(gens) >= 3
    assert gens == list(range(gens[0], gens[0] + len(gens)))


@pytest.mark.parametrize("version", ["1.22", "1.23", "1.25", "1.26"])
def test_cpu_sample_batches_are_read(version: str) -> None:
    with open(TRACES / f"go{version}-cpu.trace", "rb") as f:
        f.read(16)
        samples = sum(len(g.cpu_sample_times) for g in read_generations(f, int(version.split(".")[1])))
    assert samples > 0


def test_ordered_timestamps_strictly_increase() -> None:
    with open(TRACES / "go1.26-multigen.trace", "rb") as f:
        times = [t for t, _typ, _g, _e in iter_events(f)]
    assert len(times) > 1000
    assert all(a < b for a, b in zip(times, times[1:]))


@pytest.mark.parametrize("version", ["1.23", "1.25", "1.26"])
def test_experimental_allocfree_events_are_read(version: str) -> None:
    """GODEBUG=traceallocfree=1 puts type bytes >= 0x80 into ordinary batches; they must decode."""
    with open(TRACES / f"go{version}-allocfree.trace", "rb") as f:
        kinds = {typ for _t, typ, _g, _a in iter_events(f) if typ >= ev.EV_SPAN}
    assert {ev.EV_SPAN, ev.EV_SPAN + 1, ev.EV_SPAN + 3} <= kinds  # Span, SpanAlloc, HeapObject
    with open(TRACES / f"go{version}-allocfree.trace", "rb") as f:
        assert sum(1 for _ in iter_events(f)) > 500


def test_analyze_file_reuses_results_until_the_file_changes(tmp_path: Path) -> None:
    p = tmp_path / "t.trace"
    p.write_bytes((TRACES / "go1.26-work.trace").read_bytes())
    first = analyze_file(p)
    assert analyze_file(p) is first  # the scheduler and GC gates share one pass
    p.write_bytes((TRACES / "go1.22-work.trace").read_bytes())
    assert analyze_file(p).format == "go 1.22"
