"""The benchmark-format reader: what it keeps, what it warns about, and that it never crashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_goperf.bench.format import parse_text, read_file
from pytest_goperf.errors import InputError

from .conftest import DATA

SAMPLE = """goos: linux
goarch: amd64
pkg: example.com/svc
cpu: Intel(R) Xeon(R) Processor
Unit ns/frame better=higher
BenchmarkEncode/n=10-8   \t 1000\t  4680 ns/op\t 12.5 MB/s\t  64 B/op\t 2 allocs/op\t 3.5 ns/frame
BenchmarkEncode/n=10-8   \t 1000\t  4690 ns/op
BenchmarkDecode
BenchmarkDecode-8   \t 500\t  1.5e3 ns/op
BenchmarkBroken-8  12  abc ns/op
BenchmarkNoUnit-8  12  34
BenchmarkNoIters-8
BenchmarkBadIters-8  x  1 ns/op
Unit ns/frame better=lower
pgo:
commit: abc
PASS
ok  \texample.com/svc\t1.2s
"""


def test_records_units_and_config() -> None:
    bf = parse_text(SAMPLE, "sample.txt")
    names = [r.name for r in bf.records]
    assert names == ["Encode/n=10-8", "Encode/n=10-8", "Decode-8"]
    first = bf.records[0]
    assert first.iters == 1000 and first.line == 6 and first.file == "sample.txt"
    assert [(v.unit, v.value) for v in first.values] == [
        ("sec/op", 4680 * 1e-9), ("B/s", 12.5 * 1e6), ("B/op", 64.0), ("allocs/op", 2.0), ("sec/frame", 3.5 * 1e-9)]
    assert [(v.orig_unit, v.orig_value) for v in first.values][0] == ("ns/op", 4680.0)
    assert dict(first.config) == {"goos": "linux", "goarch": "amd64", "pkg": "example.com/svc",
                                  "cpu": "Intel(R) Xeon(R) Processor"}
    assert bf.records[2].values[0].value == 1500 * 1e-9
    assert bf.units == {("sec/frame", "better"): "higher"}


def test_malformed_lines_are_warnings_with_file_and_line() -> None:
    bf = parse_text(SAMPLE, "sample.txt")
    where = [w.split(": ", 1)[0] for w in bf.warnings]
    # line 12 is a bare name, as `go test -v` prints before a result: skipped silently, like benchfmt
    assert where == ["sample.txt:10", "sample.txt:11", "sample.txt:13", "sample.txt:14"]
    assert "is not a finite number" in bf.warnings[0]
    assert "has no unit" in bf.warnings[1]
    assert "already set to higher" in bf.warnings[-1]


def test_config_changes_and_deletes() -> None:
    text = "pgo: off\nBenchmarkA 1 1 ns/op\npgo: on\nBenchmarkA 1 2 ns/op\npgo:\nBenchmarkA 1 3 ns/op\n" \
           "http://example.com: x\nKey: upper\nsome key: spaces\n"
    bf = parse_text(text, "c.txt")
    assert [dict(r.config) for r in bf.records] == [{"pgo": "off"}, {"pgo": "on"}, {}]
    assert bf.config_values("pgo") == ["off", "on"]


def test_crlf_and_blank_lines() -> None:
    bf = parse_text("goos: linux\r\n\r\nBenchmarkX-2 10 5 ns/op\r\n", "w.txt")
    assert bf.records[0].config["goos"] == "linux"
    assert bf.records[0].values[0].value == 5e-9
    assert bf.warnings == []


def test_read_file_real_output() -> None:
    bf = read_file(DATA / "real_old.txt")
    assert {r.name for r in bf.records} == {"HandleRequest/small-2", "HandleRequest/large-2"}
    assert {v.unit for r in bf.records for v in r.values} == {"sec/op", "B/op", "allocs/op"}
    assert bf.warnings == []


def test_read_file_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read benchmark file"):
        read_file(tmp_path / "nope.txt")


def test_binary_garbage_is_not_a_crash(tmp_path: Path) -> None:
    p = tmp_path / "bin.txt"
    p.write_bytes(b"\xff\xfe\x00Benchmark\xff 1 2 ns/op\n\x00\x01")
    bf = read_file(p)
    assert bf.records == [] or bf.records[0].values


LINE = st.one_of(
    st.text(max_size=60),
    st.builds(lambda n, i, vals: f"Benchmark{n} {i} " + " ".join(vals),
              st.text(alphabet="abcXYZ/=-_0123456789", max_size=12),
              st.one_of(st.integers(-5, 10**6).map(str), st.text(max_size=4)),
              st.lists(st.one_of(st.floats(allow_nan=True).map(repr), st.sampled_from(["ns/op", "MB/s", "B/op", "x"]),
                                 st.text(max_size=5)), max_size=6)),
    st.builds(lambda u, kv: f"Unit {u} {kv}", st.text(max_size=8), st.text(max_size=10)),
    st.builds(lambda k, v: f"{k}: {v}", st.text(alphabet="abcdef", min_size=1, max_size=5), st.text(max_size=8)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(LINE, max_size=20))
def test_fuzz_never_raises_and_accounts_for_lines(lines: list[str]) -> None:
    text = "\n".join(lines)
    bf = parse_text(text, "fuzz.txt")
    for rec in bf.records:
        assert rec.values and rec.iters >= 0
        assert all(isinstance(v.value, float) for v in rec.values)
        assert 1 <= rec.line <= text.count("\n") + 1
    for w in bf.warnings:
        assert w.startswith("fuzz.txt:")
