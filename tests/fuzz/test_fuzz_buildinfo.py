"""Fuzzed ``go version -m`` text: the recorded -pgo profile is found exactly, never an exception, never slow.

The text is rendered the way Go's BuildInfo.String writes it (tabs, values
with blanks or quotes quoted with strconv.Quote), so the property is a round
trip: the -pgo value put in is the value read back.
"""

from __future__ import annotations

import json
import time

from hypothesis import given
from hypothesis import strategies as st

from pytest_goperf.go.pgo_check import recorded_profile
from tests.fuzz.budget import fuzz

VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
KEY = st.sampled_from(["-buildmode", "-compiler", "CGO_ENABLED", "GOARCH", "GOOS", "GOAMD64", "vcs", "-ldflags",
                       "-tags", "-trimpath", "vcs.revision"])


def _quote(value: str) -> str:
    """Go's quoteValue + strconv.Quote for printable ASCII (what json.dumps writes for it too)."""
    return json.dumps(value) if any(c in value for c in " \t\r\n\"`") else value


def _render(path: str, settings: list[tuple[str, str]]) -> str:
    lines = ["/tmp/bin/svc: go1.26.0", f"\tpath\t{path}", f"\tmod\t{path}\t(devel)\t",
             "\tdep\tgolang.org/x/net\tv0.1.0\th1:abc="]
    lines += [f"\tbuild\t{k}={_quote(v)}" for k, v in settings]
    return "\n".join(lines) + "\n"


@fuzz(200)
@given(st.text(max_size=20), st.lists(st.tuples(KEY, VALUE), max_size=6),
       st.one_of(st.none(), VALUE.filter(lambda v: v.strip() == v and v != "")), st.integers(0, 6))
def test_round_trip(path: str, settings: list[tuple[str, str]], pgo: str | None, at: int) -> None:
    if pgo is not None:
        settings.insert(min(at, len(settings)), ("-pgo", pgo))
    assert recorded_profile(_render(path.replace("\n", ""), settings)) == pgo


@fuzz(100)
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    got = recorded_profile(text)
    assert got is None or "-pgo=" in text


def test_long_blank_line_is_linear() -> None:
    """The old regular expression took minutes on one 100 kB line of blanks; now it is one pass."""
    text = "\tbuild\t-pgo=a" + " " * 100_000 + "x \n"
    start = time.process_time()
    assert recorded_profile(text) == "a" + " " * 100_000 + "x"
    assert time.process_time() - start < 1.0  # 100x margin over one pass, far below the quadratic minutes


def test_quoted_path_with_a_blank() -> None:
    assert recorded_profile('\tbuild\t-pgo="/home/me/my service/default.pgo"\n') == "/home/me/my service/default.pgo"
