"""The parser: real profiles decode into a resolved model; bad input gets one clear, distinct error."""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_goperf.cli import main
from pytest_goperf.errors import InputError
from pytest_goperf.pprof import (
    MalformedProfileError,
    NotAProfileError,
    ProfileError,
    SampleIndexError,
    TruncatedProfileError,
    parse_profile,
    read_profile,
    top,
)

SMALL = dict(
    sample_types=[("samples", "count"), ("cpu", "nanoseconds")],
    functions=[(1, "main.main", "/m.go", 1), (2, "main.work", "/m.go", 9)],
    locations=[(1, 0, [(1, 3)]), (2, 0, [(2, 10)])],
    samples=[([2, 1], [1, 10])],
)


@pytest.mark.slow
def test_real_profiles_resolve(service_profiles: dict[str, Path]) -> None:
    cpu = read_profile(service_profiles["cpu"])
    assert [(t.type, t.unit) for t in cpu.sample_types] == [("samples", "count"), ("cpu", "nanoseconds")]
    assert cpu.period_type is not None and cpu.period_type.type == "cpu"
    assert cpu.duration_nanos > 1_000_000_000 and cpu.samples
    stack = cpu.stack(cpu.samples[0])
    assert stack and all(loc.lines for loc in stack)
    assert any(ln.function.name == "main.handleProcess" for s in cpu.samples for loc in cpu.stack(s) for ln in loc.lines)
    assert any(len(loc.lines) > 1 for loc in cpu.locations.values()), "expected inlined frames"
    assert all(m.file for m in cpu.mappings.values()) and cpu.mappings
    heap = read_profile(service_profiles["heap"])
    assert [t.type for t in heap.sample_types] == ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"]
    assert heap.sample_index() == 3  # no default_sample_type: pprof takes the last
    allocs = read_profile(service_profiles["allocs"])
    assert allocs.default_sample_type == "alloc_space" and allocs.sample_index() == 1
    assert any(lb.key == "bytes" and lb.num for s in heap.samples for lb in s.labels)


@pytest.mark.slow
def test_uncompressed_equals_gzipped(service_profiles: dict[str, Path]) -> None:
    data = service_profiles["goroutine"].read_bytes()
    assert top(parse_profile(gzip.decompress(data))) == top(parse_profile(data))


def test_empty_file() -> None:
    with pytest.raises(NotAProfileError, match="empty file"):
        parse_profile(b"")


def test_random_bytes() -> None:
    junk = bytes(random.Random(7).getrandbits(8) for _ in range(4096))
    with pytest.raises(NotAProfileError, match="not a pprof profile"):
        parse_profile(b"\xff" + junk)


def test_text_profile() -> None:
    with pytest.raises(NotAProfileError, match=r"\?debug="):
        parse_profile(b"goroutine profile: total 4\n1 @ 0x1 0x2\n")


def test_gzip_of_junk() -> None:
    with pytest.raises(NotAProfileError, match="not a pprof profile"):
        parse_profile(gzip.compress(b"\xff\xff\xff\xff" * 100))
    with pytest.raises(NotAProfileError):
        parse_profile(gzip.compress(b"just some text that is not a profile at all"))


def test_corrupt_gzip() -> None:
    data = bytearray(gzip.compress(b"x" * 1000))
    data[12:20] = b"\x00" * 8
    with pytest.raises(NotAProfileError, match="corrupt gzip"):
        parse_profile(bytes(data))


def test_truncated_gzip(build_profile: Callable[..., bytes]) -> None:
    data = build_profile(**SMALL)
    with pytest.raises(TruncatedProfileError, match="truncated"):
        parse_profile(data[: len(data) - 12])


def test_truncated_protobuf(build_profile: Callable[..., bytes]) -> None:
    raw = build_profile(**SMALL, gzipped=False)
    with pytest.raises(TruncatedProfileError, match="truncated"):
        parse_profile(raw[: len(raw) - 3])


@pytest.mark.slow
def test_truncated_real_profile(service_profiles: dict[str, Path], tmp_path: Path) -> None:
    data = service_profiles["cpu"].read_bytes()
    cut = tmp_path / "cut.pprof"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(TruncatedProfileError):
        read_profile(cut)
    raw = gzip.decompress(data)
    with pytest.raises(TruncatedProfileError):
        parse_profile(raw[:-1])  # the last field is always left incomplete
    # A cut that happens to fall between two records decodes, and then references dangle.
    with pytest.raises((TruncatedProfileError, MalformedProfileError)):
        parse_profile(raw[: len(raw) // 2])


def test_concatenated_profiles(build_profile: Callable[..., bytes]) -> None:
    raw = build_profile(**SMALL, gzipped=False)
    with pytest.raises(MalformedProfileError, match="concatenated profiles"):
        parse_profile(raw + raw)
    with pytest.raises(MalformedProfileError, match="concatenated profiles"):
        parse_profile(gzip.compress(raw) + gzip.compress(raw))  # two gzip members, like cat a.pb.gz b.pb.gz


def test_dangling_location_id(build_profile: Callable[..., bytes]) -> None:
    bad = {**SMALL, "samples": [([2, 99], [1, 10])]}
    with pytest.raises(MalformedProfileError, match=r"malformed references.*location ids \[99\]"):
        parse_profile(build_profile(**bad))


def test_dangling_function_id(build_profile: Callable[..., bytes]) -> None:
    bad = {**SMALL, "locations": [(1, 0, [(1, 3)]), (2, 0, [(42, 10)])]}
    with pytest.raises(MalformedProfileError, match="location 2 refers to function 42"):
        parse_profile(build_profile(**bad))


def test_value_count_mismatch(build_profile: Callable[..., bytes]) -> None:
    bad = {**SMALL, "samples": [([2, 1], [1])]}
    with pytest.raises(MalformedProfileError, match="1 values but there are 2 sample types"):
        parse_profile(build_profile(**bad))


def test_duplicate_and_zero_ids(build_profile: Callable[..., bytes]) -> None:
    with pytest.raises(MalformedProfileError, match="two functions have id 1"):
        parse_profile(build_profile(**{**SMALL, "functions": [(1, "a", "", 0), (1, "b", "", 0)]}))
    with pytest.raises(MalformedProfileError, match="reserved id 0"):
        parse_profile(build_profile(**{**SMALL, "locations": [(0, 0, [])], "samples": []}))


def test_string_index_out_of_range() -> None:
    from pytest_goperf.pprof import profile_pb2 as pb

    msg = pb.Profile(string_table=["", "cpu"])
    msg.sample_type.add(type=1, unit=7)
    with pytest.raises(MalformedProfileError, match="string index 7"):
        parse_profile(msg.SerializeToString())


def test_unknown_sample_index_lists_valid_ones(build_profile: Callable[..., bytes]) -> None:
    prof = parse_profile(build_profile(**SMALL))
    with pytest.raises(SampleIndexError, match="this profile has samples, cpu"):
        top(prof, "alloc_space")
    with pytest.raises(SampleIndexError, match=r"outside the range \[0..1\]"):
        top(prof, "5")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read profile"):
        read_profile(tmp_path / "nope.pprof")


@pytest.mark.parametrize(
    ("content", "expect"),
    [(b"", "empty file"), (b"\x1f\x8b\x08\x00\x00", "truncated"), (b"\x08\x96\x01\x07\x07", "not a pprof")],
)
def test_cli_input_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expect: str
) -> None:
    p = tmp_path / "bad.pprof"
    p.write_bytes(content)
    assert main(["top", str(p)]) == 2
    err = capsys.readouterr().err
    assert expect in err and err.count("\n") == 1 and "Traceback" not in err


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=512))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    for blob in (data, gzip.compress(data)):
        try:
            prof = parse_profile(blob)
        except ProfileError:
            continue
        top(prof) if prof.sample_types else None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzz_mutated_profile(build_profile: Callable[..., bytes], data: st.DataObject) -> None:
    raw = bytearray(build_profile(**SMALL, gzipped=False))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    try:
        prof = parse_profile(bytes(raw[:cut]))
    except ProfileError:
        return
    for name in [None, *(t.type for t in prof.sample_types)] if prof.sample_types else []:
        t = top(prof, name)
        assert t.total >= 0 and all(r.cum_pct >= 0 or r.cum < 0 for r in t.rows)
