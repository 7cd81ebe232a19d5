"""Fuzzed benchmark files: any text or bytes give a BenchFile (with warnings), never an exception."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pytest_goperf.bench.format import parse_text, read_file
from pytest_goperf.errors import GoperfError
from tests.fuzz.budget import fuzz, memory_cap

NUMBER = st.one_of(st.integers(-10**30, 10**30).map(str), st.floats().map(repr),
                   st.sampled_from(["1e308", "1e309", "-0", "NaN", "+Inf", "0x10", "1_000", "٣"]))
UNIT = st.sampled_from(["ns/op", "B/op", "allocs/op", "MB/s", "sec/op", "x", "ns/op/op", "%", ""])
NAME = st.text(alphabet="AbcZ/=-_.0123456789 \t", max_size=16)
RESULT = st.builds(lambda n, it, pairs: f"Benchmark{n} {it} " + " ".join(f"{v} {u}" for v, u in pairs),
                   NAME, NUMBER, st.lists(st.tuples(NUMBER, UNIT), max_size=5))
LINE = st.one_of(
    RESULT,
    st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(["pkg", "goos", "cpu", "goarch", "Key", "a b"]),
              st.text(max_size=12)),
    st.builds(lambda u, rest: f"Unit {u} {rest}", UNIT, st.text(max_size=20)),
    st.sampled_from(["PASS", "FAIL", "ok  \tx\t1.0s", "--- FAIL: BenchmarkA", "--- BENCH: BenchmarkA",
                     "panic: boom", "goroutine 1 [running]:", "\x00", ""]),
    st.text(max_size=80),
)


def _check(text: str) -> None:
    bf = parse_text(text, "fuzz.txt")
    for series in bf.series.values():
        # An emptied row (all its lines dropped as non-finite) is the known gap below, not new news.
        assert len(series.configs) <= len(series.values) or not series.values
        assert all(math.isfinite(v) for v in series.values)
    for w in bf.warnings:
        assert w.startswith("fuzz.txt")


@fuzz(150)
@given(st.lists(LINE, max_size=30), st.sampled_from(["\n", "\r\n", "\r"]))
def test_structured_lines(lines: list[str], sep: str) -> None:
    _check(sep.join(lines))


@fuzz(100)
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    _check(text)


@fuzz(60)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_from_a_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "bench.txt"
        p.write_bytes(data)
        try:
            read_file(p)
        except GoperfError:
            pass


def test_hostile_numbers_stay_small() -> None:
    """An iteration count or value with thousands of digits is a warning, not a huge int or a crash."""
    text = "\n".join(["BenchmarkA 1" + "9" * 5000 + " 5 ns/op", "BenchmarkA 1 " + "9" * 5000 + " ns/op",
                      "BenchmarkA 1 1e999999 ns/op", "BenchmarkA 10 5 ns/op"])
    with memory_cap():
        bf = parse_text(text, "big.txt")
    assert set(v for s in bf.series.values() for v in s.values) == {5e-9}  # the infinite and huge values dropped


def test_row_whose_every_line_is_dropped_leaves_no_series() -> None:
    """Found by benchmarks/fuzz.py (4,000 examples): 1e308 ns/op twice on one line sums to infinity."""
    bf = parse_text("Benchmark 0 \nBenchmark 0 1e308 ns/op 1e308 ns/op", "x.txt")
    assert "1 result line(s) with a measurement that is not a finite number skipped" in bf.warnings[-1]
    assert bf.series == {}
