"""The benchmark-format reader: what it keeps, what it warns about, and that it never crashes."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_goperf.bench.format import parse_lines, parse_text, read_file
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


def test_rows_units_and_config() -> None:
    bf = parse_text(SAMPLE, "sample.txt")
    pkg = "example.com/svc"
    assert list(bf.series) == [(pkg, "Encode/n=10-8", "sec/op"), (pkg, "Encode/n=10-8", "B/s"),
                               (pkg, "Encode/n=10-8", "B/op"), (pkg, "Encode/n=10-8", "allocs/op"),
                               (pkg, "Encode/n=10-8", "sec/frame"), (pkg, "Decode-8", "sec/op")]
    enc = bf.series[(pkg, "Encode/n=10-8", "sec/op")]
    assert list(enc.values) == [4680 * 1e-9, 4690 * 1e-9]
    assert list(bf.series[(pkg, "Encode/n=10-8", "B/s")].values) == [12.5 * 1e6]
    assert list(bf.series[(pkg, "Encode/n=10-8", "sec/frame")].values) == [3.5 * 1e-9]
    assert [dict(c) for c in enc.configs] == [{"goos": "linux", "goarch": "amd64", "pkg": pkg,
                                               "cpu": "Intel(R) Xeon(R) Processor"}]
    assert list(bf.series[(pkg, "Decode-8", "sec/op")].values) == [1500 * 1e-9]
    assert bf.units == {("sec/frame", "better"): "higher"}
    assert bf.results == 3 and bf.packages == [pkg]


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
    row = bf.series[("", "A", "sec/op")]
    assert [dict(c) for c in row.configs] == [{"pgo": "off"}, {"pgo": "on"}, {}]
    assert row.varying() == ["pgo"]
    assert bf.config_values("pgo") == ["off", "on"]


def test_packages_key_rows_and_configs_are_shared() -> None:
    """Two packages with the same benchmark name are two rows; repeated headers reuse one config object."""
    one = "pkg: ex.com/m/a\nBenchmarkParse-2 1 10 ns/op\npkg: ex.com/m/b\nBenchmarkParse-2 1 20 ns/op\n"
    bf = parse_text(one * 50, "two.txt")
    assert list(bf.series) == [("ex.com/m/a", "Parse-2", "sec/op"), ("ex.com/m/b", "Parse-2", "sec/op")]
    assert len(bf.series[("ex.com/m/b", "Parse-2", "sec/op")].values) == 50
    assert len(bf.configs) == 2 and all(len(s.configs) == 1 for s in bf.series.values())


def test_failures_and_crashes_are_kept() -> None:
    text = """pkg: ex.com/m/a
BenchmarkGood-2   \t      10\t        99.10 ns/op
--- FAIL: BenchmarkBig
    a_test.go:8: open testdata/big.json: no such file or directory
BenchmarkSub/ok-2 \t      10\t        85.10 ns/op
--- FAIL: BenchmarkSub/bad
    a_test.go:13: nope
--- FAIL: BenchmarkSub
BenchmarkPanic-2   \tpanic: boom

goroutine 12 [running]:
FAIL
"""
    bf = parse_text(text, "f.txt")
    assert [(f.pkg, f.benchmark, f.message, f.crashed) for f in bf.failures] == [
        ("ex.com/m/a", "Big", "a_test.go:8: open testdata/big.json: no such file or directory", False),
        ("ex.com/m/a", "Sub/bad", "a_test.go:13: nope", False),
        ("ex.com/m/a", "Sub", "", False),
        ("ex.com/m/a", "Panic", "panic: boom", True),
    ]
    assert bf.failures[0].line == 3 and bf.warnings == []
    assert [k[1] for k in bf.series] == ["Good-2", "Sub/ok-2"]


def test_crlf_and_blank_lines() -> None:
    bf = parse_text("goos: linux\r\n\r\nBenchmarkX-2 10 5 ns/op\r\n", "w.txt")
    row = bf.series[("", "X-2", "sec/op")]
    assert row.configs[0]["goos"] == "linux"
    assert list(row.values) == [5e-9]
    assert bf.warnings == []


def test_read_file_real_output() -> None:
    bf = read_file(DATA / "real_old.txt")
    assert {k[1] for k in bf.series} == {"HandleRequest/small-2", "HandleRequest/large-2"}
    assert {k[2] for k in bf.series} == {"sec/op", "B/op", "allocs/op"}
    assert bf.warnings == [] and bf.source == str(DATA / "real_old.txt")


def test_memory_grows_with_values_not_lines() -> None:
    """30,000 result lines of one row: the reader keeps 90,000 floats (0.7 MB; about 1.7 MB at the peak,
    while tidying units), never the lines (4 MB as bare strings, more as objects per value)."""
    import tracemalloc

    def lines() -> Iterator[str]:
        yield "pkg: example.com/big\n"
        for i in range(30_000):
            yield f"BenchmarkBig/case=7-8 \t {100000 + i:8d}\t{1000 + i % 97:10.1f} ns/op\t{64 + i % 3:6d} B/op\t   2 allocs/op\n"

    tracemalloc.start()
    try:
        bf = parse_lines(lines(), "big.txt")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert bf.results == 30_000 and sum(len(s.values) for s in bf.series.values()) == 90_000
    assert peak < 2_500_000, f"peak {peak} bytes: the reader keeps lines or objects per value"


def test_read_file_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read benchmark file"):
        read_file(tmp_path / "nope.txt")


def test_binary_garbage_is_not_a_crash(tmp_path: Path) -> None:
    p = tmp_path / "bin.txt"
    p.write_bytes(b"\xff\xfe\x00Benchmark\xff 1 2 ns/op\n\x00\x01")
    bf = read_file(p)
    assert bf.results == 0 and not bf.series


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
    assert bf.results <= len(lines)
    for series in bf.series.values():
        assert series.values and series.configs
        assert all(math.isfinite(v) for v in series.values)
    for f in bf.failures:
        assert 1 <= f.line <= text.count("\n") + 1
    for w in bf.warnings:
        assert w.startswith("fuzz.txt:")


def test_a_bad_value_after_good_ones_drops_the_whole_line() -> None:
    """The fast path adds a line's values in one go; a bad one later in the line must not leave the first behind."""
    text = "BenchmarkA 1 5 ns/op 3 B/op\nBenchmarkA 1 6 ns/op 4x B/op\nBenchmarkA 1 7 ns/op 5 B/op\n" * 40
    bf = parse_text(text, "p.txt")
    assert list(bf.series[("", "A", "sec/op")].values) == [5 * 1e-9, 7 * 1e-9] * 40
    assert list(bf.series[("", "A", "B/op")].values) == [3.0, 5.0] * 40
    assert len(bf.warnings) == 40 and bf.warnings[0].startswith("p.txt:2: BenchmarkA: measurement '4x'")
