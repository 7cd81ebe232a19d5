"""Rare profile shapes Go seldom writes, checked against ``go tool pprof -top`` itself.

Same function name in two files (one row), frames without a function name
(``[binary]`` / ``<unknown>``), recursion (cum once per sample), inlined and
partially inlined calls, zero and negative values, samples without a stack,
the default sample type and name-ordered ties.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_goperf.pprof import parse_profile, top
from pytest_goperf.pprof.units import format_pct

FUNCS = [
    (1, "main.main", "/src/main.go", 10),
    (2, "main.dup", "/src/a.go", 5),
    (3, "main.dup", "/src/b.go", 7),     # same name, other file: pprof shows one row
    (4, "main.rec", "/src/main.go", 30),
    (5, "main.helper", "/src/main.go", 40),  # inlined into main.caller in loc 6, called in loc 7
    (6, "main.caller", "/src/main.go", 50),
    (7, "", "", 0),                       # no name: shown as the mapping's binary
    (8, "main.zeta", "/src/z.go", 1),
    (9, "main.alpha", "/src/z.go", 2),
]
LOCS = [
    (1, 1, [(1, 11)]),
    (2, 1, [(2, 6)]),
    (3, 1, [(3, 8)]),
    (4, 1, [(4, 31)]),
    (5, 1, [(4, 33)]),
    (6, 1, [(5, 41), (6, 51)]),           # helper inlined into caller
    (7, 1, [(5, 42)]),                    # helper as a real call
    (8, 1, [(6, 52)]),                    # unused location: no row
    (9, 1, [(7, 0)]),                     # nameless function in /bin/fake
    (10, 1, []),                          # no line info at all, same binary
    (11, 0, []),                          # no mapping, no lines: <unknown>
    (12, 1, [(8, 3)]),
    (13, 1, [(9, 4)]),
]
SAMPLES = [
    ([2, 1], [1, 100]),
    ([3, 1], [1, 50]),
    ([4, 5, 4, 5, 4, 1], [1, 70]),        # recursion: main.rec cum counted once
    ([6, 1], [1, 40]),
    ([7, 1], [1, 30]),                    # helper called by main.main: partial-inline
    ([9, 1], [1, 20]),
    ([10, 1], [1, 5]),
    ([11], [1, 3]),
    ([12, 1], [1, 25]),
    ([13, 1], [1, 25]),                   # tie with main.zeta: ordered by name
    ([1], [0, 0]),                        # zero value: ignored
    ([], [1, 9]),                         # no stack: counts only in the total
    ([2, 1], [1, -10]),                   # negative: total uses |value|
]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory, build_profile: Callable[..., bytes]) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "synthetic.pprof"
    path.write_bytes(build_profile(
        sample_types=[("samples", "count"), ("cpu", "nanoseconds")],
        functions=FUNCS, locations=LOCS, samples=SAMPLES, mappings=[(1, "/bin/fake")],
    ))
    return path


@pytest.mark.parametrize("sample_index", [None, "samples", "cpu", "0"])
def test_synthetic_top_matches_pprof(synthetic: Path, pprof_top: Any, sample_index: str | None) -> None:
    ours = top(parse_profile(synthetic.read_bytes()), sample_index)
    extra = [f"-sample_index={sample_index}"] if sample_index else []
    total, theirs = pprof_top(synthetic, ours.unit, "-nodecount=100", *extra)
    assert ours.total == total
    mine = [(r.function, r.flat, format_pct(r.flat, ours.total).strip(), r.cum, format_pct(r.cum, ours.total).strip(), r.inline)
            for r in ours.rows]
    assert mine == [(a, b, c, d, e, f) for a, b, c, d, e, f in theirs]


def test_synthetic_semantics(synthetic: Path) -> None:
    t = top(parse_profile(synthetic.read_bytes()), "cpu")
    rows = {r.function: r for r in t.rows}
    assert t.total == 100 + 50 + 70 + 40 + 30 + 20 + 5 + 3 + 25 + 25 + 9 + 10
    assert rows["main.dup"].flat == 100 + 50 - 10          # both files, one row
    assert rows["main.rec"].cum == 70                       # once per sample despite 3 frames
    assert rows["[fake]"].flat == 25                        # nameless function + line-less location
    assert rows["<unknown>"].flat == 3
    assert rows["main.helper"].inline == "partial-inline"
    assert rows["main.helper"].flat == 70 and rows["main.caller"].cum == 40
    assert [r.function for r in t.rows].index("main.alpha") < [r.function for r in t.rows].index("main.zeta")
    assert rows["main.main"].cum == t.total - 9 - 3 - 20  # not in the stackless, <unknown> or 2x-10 samples


def test_empty_profile_text_equals_pprof(
    tmp_path: Path, build_profile: Callable[..., bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess

    from pytest_goperf.cli import main

    path = tmp_path / "empty.pprof"
    path.write_bytes(build_profile(sample_types=[("samples", "count"), ("cpu", "nanoseconds")]))
    assert main(["top", str(path)]) == 0
    ours = capsys.readouterr().out.splitlines()
    res = subprocess.run(["go", "tool", "pprof", "-top", str(path)], capture_output=True, text=True, check=True)
    assert ours == res.stdout.splitlines()[-3:] and len(ours) == 3
