"""Prove the gain: per benchmark and geomean, next to the sensitivity, from real ``go test -bench`` outputs."""

from __future__ import annotations

import dataclasses

import pytest

from pytest_goperf.bench.compare import Row, compare_files
from pytest_goperf.pgo.gain import (
    GAIN_OF_INTEREST_PCT,
    noise_pct,
    pgo_gain,
    row_mde_pct,
)

from ..helpers import ROOT

BENCH = ROOT / "tests" / "data" / "bench"


def test_gain_is_benchstats_delta_with_the_sign_turned() -> None:
    comparison = compare_files(BENCH / "pgo_config.old.txt", BENCH / "pgo_config.new.txt")
    gain = pgo_gain(comparison)
    (row,) = [r for r in comparison.rows if r.unit == "sec/op"]
    (g,) = gain.rows
    assert row.delta_pct is not None and g.gain_pct == pytest.approx(-row.delta_pct)
    assert g.significant == row.significant and g.p_value == row.p_value
    geomean = next(x for x in comparison.geomeans if x.unit == "sec/op")
    assert geomean.delta_pct is not None and gain.geomean_pct == pytest.approx(-geomean.delta_pct)
    # no MDE on the comparison yet (issue 16): the sensitivity is benchstat's ± of the noisier side
    assert g.sensitivity_kind == "noise" and g.sensitivity_pct == pytest.approx(noise_pct(row))
    lines = gain.lines()
    assert lines[0].startswith("PGO gain, ") and "benchstat's ±" in lines[0]
    assert lines[1].split()[0] == "Pgo-2" and "sensitivity ±" in lines[1]
    assert lines[-1].split()[0] == "geomean"


@dataclasses.dataclass(frozen=True)
class RowWithMde(Row):
    """A comparison row as issue 16 shapes it: with its minimum detectable effect."""

    mde_pct: float | None = None


def test_not_significant_is_told_apart_from_invisible() -> None:
    comparison = compare_files(BENCH / "pgo_config.old.txt", BENCH / "pgo_config.new.txt")
    row = next(r for r in comparison.rows if r.unit == "sec/op")
    readings = {}
    for mde in (1.5, 8.0):
        shaped = RowWithMde(**{f.name: getattr(row, f.name) for f in dataclasses.fields(row)}, mde_pct=mde)
        shaped = dataclasses.replace(shaped, significant=False)
        assert row_mde_pct(shaped) == mde
        comp = dataclasses.replace(comparison, rows=[shaped])
        (g,) = pgo_gain(comp).rows
        assert g.sensitivity_kind == "MDE" and g.sensitivity_pct == mde
        readings[mde] = g.reading
    assert readings[1.5] == f"no significant gain (a {GAIN_OF_INTEREST_PCT:g}% gain would have shown)"
    assert readings[8.0] == f"gain too small to see on this runner (a {GAIN_OF_INTEREST_PCT:g}% gain would not show)"
