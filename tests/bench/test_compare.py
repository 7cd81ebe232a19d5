"""Pairing two outputs, the JSON contract, the text table (golden) and the CLI exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_goperf.bench.compare import compare, compare_files, render_table
from pytest_goperf.bench.format import parse_text
from pytest_goperf.cli import main
from pytest_goperf.errors import InputError

from .conftest import DATA

GOLDEN = DATA / "golden"


def pair(case: str) -> tuple[Path, Path]:
    return DATA / f"{case}.old.txt", DATA / f"{case}.new.txt"


def test_differing_config_does_not_split_rows() -> None:
    cmp = compare_files(*pair("pgo_config"))
    assert [(r.benchmark, r.unit) for r in cmp.rows] == [("Pgo-2", "sec/op")]
    assert any("configuration differs: pgo: off" in w for w in cmp.warnings)
    assert cmp.rows[0].significant and cmp.rows[0].delta_pct is not None and cmp.rows[0].delta_pct < 0


def test_one_side_rows_have_null_other_side() -> None:
    data = compare_files(*pair("one_side")).to_json()
    rows = {r["benchmark"]: r for r in data["rows"]}
    assert rows["OnlyOld/x"]["new"] is None and rows["OnlyOld/x"]["p_value"] is None
    assert rows["OnlyNew/y"]["old"] is None and rows["OnlyNew/y"]["delta_pct"] is None
    assert rows["Both"]["old"]["n"] == 6 and rows["Both"]["significant"] is True
    assert any("benchmark set differs" in w for w in data["warnings"])


def test_json_shape_matches_design_section_4() -> None:
    data = json.loads(json.dumps(compare_files(*pair("small_n")).to_json()))
    assert data["alpha"] == 0.05
    row = data["rows"][0]
    assert set(row) == {"pkg", "benchmark", "unit", "better", "old", "new", "p_value", "significant", "delta_pct",
                        "from_zero", "warnings"}
    assert row["pkg"] == "example.com/corpus" and row["from_zero"] is False
    assert set(row["old"]) == {"n", "center", "lo", "hi"}
    assert row["old"]["lo"] is None  # n=3: the interval is unbounded, JSON has no infinity
    assert row["better"] == "lower"


def test_custom_unit_direction_from_metadata() -> None:
    cmp = compare_files(*pair("custom_units"))
    better = {r.unit: r.better for r in cmp.rows}
    assert better == {"sec/op": "lower", "B/s": "higher", "hits/op": "higher", "sec/frame": "lower"}


def test_no_benchmarks_is_input_error() -> None:
    good = parse_text("BenchmarkA 1 1 ns/op\n", "good.txt")
    empty = parse_text("PASS\nBenchmarkA 1 x ns/op\n", "empty.txt")
    with pytest.raises(InputError, match=r"empty.txt: no benchmark results.*empty.txt:2"):
        compare(good, empty, 0.05)


@pytest.mark.parametrize("case", ["one_side", "zeros", "unequal_n", "custom_units"])
def test_table_golden(case: str) -> None:
    old, new = pair(case)
    cmp = compare(parse_text(old.read_text(), "old.txt"), parse_text(new.read_text(), "new.txt"), 0.05)
    text = render_table(cmp)
    golden = GOLDEN / f"{case}.txt"
    if os.environ.get("GOPERF_UPDATE_GOLDEN") == "1":  # regenerate, review the diff, commit
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"missing {golden}: run with GOPERF_UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text()


def test_cli_table_and_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    old, new = pair("one_side")
    assert main(["compare", str(old), str(new)]) == 0
    assert "Both" in capsys.readouterr().out


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    old, new = pair("large_n")
    assert main(["compare", str(old), str(new), "--json", "--alpha", "0.01"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["alpha"] == 0.01 and len(data["rows"]) == 6


def test_cli_exit_1_on_significant_regression(capsys: pytest.CaptureFixture[str]) -> None:
    old, new = pair("small_n")  # +29 % at n=4 and n=5
    assert main(["compare", str(old), str(new), "--max-regression", "5%"]) == 1
    err = capsys.readouterr().err
    assert "FAIL Small/n=5 sec/op regressed by 29.85%" in err
    assert "not judged: Small/n=3 sec/op" in err
    assert main(["compare", str(old), str(new), "--max-regression", "50%"]) == 0


@pytest.mark.parametrize("argv, message", [
    (["--max-regression", "5"], "--max-regression"),
    (["--alpha", "2"], "--alpha"),
])
def test_cli_exit_2_on_bad_options(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = pair("one_side")
    assert main(["compare", str(old), str(new), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_exit_2_on_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("PASS\nok  \tx\t0.1s\n")
    old, _ = pair("one_side")
    assert main(["compare", str(old), str(empty)]) == 2
    assert main(["compare", str(old), str(tmp_path / "missing.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "no benchmark results" in err[0] and "cannot read" in err[1]


def test_non_numeric_values_are_skipped_with_warning(tmp_path: Path) -> None:
    new = tmp_path / "new.txt"
    new.write_text("BenchmarkBoth 1 1 ns/op\nBenchmarkBoth 1 NaNx ns/op\n")
    cmp = compare_files(pair("one_side")[0], new)
    assert any(w.startswith(f"{new}:2:") for w in cmp.warnings)
