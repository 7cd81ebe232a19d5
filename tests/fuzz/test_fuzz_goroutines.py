"""Fuzzed goroutine dumps: any text parses to a Dump; the growth report never raises."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pytest_goperf.health.goroutines import describe_growth, describe_leaks, grown_stacks, parse_dump
from tests.fuzz.budget import fuzz, memory_cap

FUNC = st.sampled_from(["main.handler", "runtime.gopark", "sync.(*Mutex).Lock", "net/http.(*conn).serve",
                        "internal/poll.wait", "a.b", "main.(*T).f-fm"])
FRAME = st.builds(lambda f, off, file, line: f"#\t0x{off:x}\t{f}+0x{off:x}\t{file}:{line}",
                  FUNC, st.integers(0, 2**64), st.sampled_from(["/src/main.go", "x.go", "/a b/c.go"]),
                  st.integers(0, 10**20))
RECORD = st.builds(lambda n, addrs, frames: f"{n} @ " + " ".join(f"0x{a:x}" for a in addrs) + "\n" + "\n".join(frames),
                   st.integers(0, 10**30), st.lists(st.integers(0, 2**64), max_size=4), st.lists(FRAME, max_size=6))
DUMP = st.builds(lambda kind, total, recs, noise: f"{kind} profile: total {total}\n" + "\n\n".join(recs) + noise,
                 st.sampled_from(["goroutine", "goroutineleak", "heap", "x"]), st.integers(0, 10**30),
                 st.lists(RECORD, max_size=8), st.text(max_size=40))


@fuzz(150)
@given(DUMP, DUMP)
def test_structured_dumps(first: str, last: str) -> None:
    a, b = parse_dump(first), parse_dump(last)
    assert a.total >= 0 and all(sc.count >= 0 for sc in a.stacks)
    growth = grown_stacks(a, b)
    assert all(g.grew > 0 for g in growth)
    describe_growth(growth, "first.txt", "last.txt")
    describe_leaks(b, "last.txt")


@fuzz(100)
@given(st.text(max_size=500))
def test_arbitrary_text(text: str) -> None:
    d = parse_dump(text)
    describe_leaks(d, "x.txt")
    describe_growth(grown_stacks(d, d), "a", "b")


def test_many_identical_records_are_grouped() -> None:
    """A dump of 100k one-frame records is grouped, not kept record by record."""
    rec = "1 @ 0x1\n#\t0x1\tmain.f+0x1\t/m.go:1\n\n"
    with memory_cap(32 << 20):
        d = parse_dump("goroutine profile: total 100000\n" + rec * 100_000)
    assert len(d.stacks) == 1 and d.stacks[0].count == 100_000
