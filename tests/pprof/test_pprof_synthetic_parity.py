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
from tests.pprof.conftest import ZERO_FRACTIONS

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


@pytest.mark.parametrize("zero", [False, True], ids=["pprof-defaults", "zero-fractions"])
@pytest.mark.parametrize("sample_index", [None, "samples", "cpu", "0"])
def test_synthetic_top_matches_pprof(synthetic: Path, pprof_top: Any, sample_index: str | None, zero: bool) -> None:
    ours = top(parse_profile(synthetic.read_bytes()), sample_index, **({"nodefraction": 0, "edgefraction": 0} if zero else {}))
    extra = [f"-sample_index={sample_index}"] if sample_index else []
    total, theirs = pprof_top(synthetic, ours.unit, "-nodecount=100", *(ZERO_FRACTIONS if zero else ()), *extra)
    assert ours.total == total
    mine = [(r.function, r.flat, format_pct(r.flat, ours.total).strip(), r.cum, format_pct(r.cum, ours.total).strip(), r.inline)
            for r in ours.rows]
    assert mine == [(a, b, c, d, e, f) for a, b, c, d, e, f in theirs]


def test_synthetic_semantics(synthetic: Path) -> None:
    t = top(parse_profile(synthetic.read_bytes()), "cpu", nodefraction=0, edgefraction=0)
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


# Where pprof's default fractions change rows and labels.  Weights are large so
# that 0.5 % and 0.1 % of the total are whole numbers well above 1.
FRAC_FUNCS = [
    (1, "main.main", "/src/main.go", 1),
    (2, "main.caller", "/src/main.go", 10),
    (3, "main.helper", "/src/main.go", 20),   # inlined into caller, and rarely called for real
    (4, "main.rare", "/src/main.go", 30),     # cum under 0.5 %: dropped by default
    (5, "main.tiny", "/src/main.go", 40),     # only reached through a call under 0.1 %
    (6, "main.caller2", "/src/main.go", 50),
    (7, "main.helper2", "/src/main.go", 60),  # inline and plain call on one stack
    (8, "main.mid", "/src/main.go", 70),      # dropped: its callee joins main.main
]
FRAC_LOCS = [
    (1, 1, [(1, 2)]),
    (2, 1, [(3, 21), (2, 11)]),   # helper inlined into caller
    (3, 1, [(3, 22)]),            # helper as a real call
    (4, 1, [(2, 12)]),
    (5, 1, [(4, 31)]),
    (6, 1, [(5, 41), (4, 32)]),   # tiny inlined into rare
    (7, 1, [(7, 61), (6, 51)]),   # helper2 inlined into caller2
    (8, 1, [(6, 52)]),
    (9, 1, [(7, 62)]),
    (10, 1, [(8, 71)]),
    (11, 1, [(5, 42), (8, 72)]),  # tiny inlined into mid
]
FRAC_SAMPLES = [
    ([2, 1], [1, 100_000]),           # helper inline in caller
    ([3, 1], [1, 50]),                # main calls helper for real: 0.04 % of the total
    ([5, 1], [1, 300]),               # rare: 0.3 %
    ([6, 5, 1], [1, 40]),             # tiny inlined into rare
    ([9, 8, 7, 1], [1, 20_000]),      # caller2 -> helper2 inline, then caller2 -> helper2 plain: one edge per sample
    ([11, 10, 1], [1, 60]),           # mid (dropped) with tiny inlined into it
]


@pytest.fixture(scope="module")
def fractions_profile(tmp_path_factory: pytest.TempPathFactory, build_profile: Callable[..., bytes]) -> Path:
    path = tmp_path_factory.mktemp("fractions") / "fractions.pprof"
    path.write_bytes(build_profile(
        sample_types=[("samples", "count"), ("cpu", "nanoseconds")],
        functions=FRAC_FUNCS, locations=FRAC_LOCS, samples=FRAC_SAMPLES, mappings=[(1, "/bin/fake")],
    ))
    return path


@pytest.mark.parametrize(
    ("flags", "kwargs"),
    [((), {}), (ZERO_FRACTIONS, {"nodefraction": 0, "edgefraction": 0}),
     (("-nodefraction=0",), {"nodefraction": 0}), (("-edgefraction=0",), {"edgefraction": 0}),
     (("-nodefraction=0.01", "-edgefraction=0.3"), {"nodefraction": 0.01, "edgefraction": 0.3})],
    ids=["defaults", "zero", "nodefraction0", "edgefraction0", "coarse"],
)
def test_fractions_match_pprof(
    fractions_profile: Path, pprof_top: Any, flags: tuple[str, ...], kwargs: dict[str, float]
) -> None:
    ours = top(parse_profile(fractions_profile.read_bytes()), "cpu", **kwargs)
    total, theirs = pprof_top(fractions_profile, ours.unit, "-nodecount=100", "-sample_index=cpu", *flags)
    mine = [(r.function, r.flat, format_pct(r.flat, ours.total).strip(), r.cum, format_pct(r.cum, ours.total).strip(),
             r.inline) for r in ours.rows]
    assert ours.total == total
    assert mine == [(a, b, c.strip(), d, e.strip(), f) for a, b, c, d, e, f in theirs]


def test_fractions_change_what_they_should(fractions_profile: Path) -> None:
    prof = parse_profile(fractions_profile.read_bytes())
    full = {r.function: r for r in top(prof, "cpu", nodefraction=0, edgefraction=0).rows}
    default = top(prof, "cpu")
    rows = {r.function: r for r in default.rows}
    assert full["main.helper"].inline == "partial-inline" and rows["main.helper"].inline == "inline"
    assert "main.rare" in full and "main.rare" not in rows and default.dropped >= 1
    # caller2 -> helper2 appears twice on one stack: pprof counts the outermost (inlined) call only
    assert full["main.helper2"].inline == "inline"
    assert "Dropped" in default.to_text()
