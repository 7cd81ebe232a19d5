"""``goperf top``: the JSON contract of docs/design.md#cli-and-json-contracts and a table that reads like pprof's."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pytest_goperf.cli import main
from pytest_goperf.pprof import read_profile, top


@pytest.mark.slow
def test_top_json_contract(service_profiles: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = service_profiles["cpu"]
    assert main(["top", str(path), "--json", "-n", "3"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"sample_type", "unit", "total", "rows"}
    assert (doc["sample_type"], doc["unit"]) == ("cpu", "nanoseconds")
    assert len(doc["rows"]) == 3
    for row in doc["rows"]:
        assert set(row) == {"function", "flat", "flat_pct", "cum", "cum_pct"}
        assert row["flat_pct"] == round(100 * row["flat"] / doc["total"], 2)
    full = top(read_profile(path))
    assert doc["total"] == full.total and doc["rows"][0]["function"] == full.rows[0].function
    assert main(["top", str(path), "--json", "-n", "0", "--sample-index", "samples"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["unit"] == "count" and len(doc["rows"]) == len(full.rows)


@pytest.mark.slow
@pytest.mark.parametrize("flags", [(), ("--nodefraction=0", "--edgefraction=0")], ids=["defaults", "zero"])
@pytest.mark.parametrize("kind", ["cpu", "heap", "goroutine", "block", "mutex"])
def test_text_table_equals_pprof(
    service_profiles: dict[str, Path], go_test_profiles: dict[str, Path], capsys: pytest.CaptureFixture[str],
    kind: str, flags: tuple[str, ...],
) -> None:
    """``goperf top -n 0 [flags] X`` prints pprof's lines from the summary on, "Dropped N nodes" included."""
    path = {**service_profiles, **go_test_profiles}[kind]
    assert main(["top", str(path), "-n", "0", *flags]) == 0
    ours = capsys.readouterr().out.splitlines()
    res = subprocess.run(["go", "tool", "pprof", "-top", *[f[1:] for f in flags], str(path)],
                         capture_output=True, text=True, check=True, timeout=120)
    theirs = res.stdout.splitlines()
    start = next(i for i, line in enumerate(theirs) if line.startswith("Showing nodes accounting for"))
    assert ours[ours.index(theirs[start]):] == theirs[start:]


@pytest.mark.slow
def test_cut_text_table_equals_pprof_nodecount(service_profiles: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = service_profiles["cpu"]
    assert main(["top", str(path), "-n", "12"]) == 0
    ours = capsys.readouterr().out.splitlines()
    res = subprocess.run(["go", "tool", "pprof", "-top", "-nodecount=12", "-nodefraction=0", "-edgefraction=0",
                          str(path)], capture_output=True, text=True, check=True, timeout=120)
    theirs = res.stdout.splitlines()
    start = theirs.index(next(line for line in theirs if line.startswith("Showing nodes accounting")))
    assert ours[ours.index(theirs[start]):] == theirs[start:]
    assert len(ours) - ours.index(theirs[start]) == 2 + 1 + 12  # summary, "Showing top", header, rows


def test_bad_fraction_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "x.pprof"
    p.write_bytes(b"")
    assert main(["top", str(p), "--edgefraction", "1.5"]) == 2
    assert "--edgefraction must be a fraction between 0 and 1 (pprof's default is 0.001), not 1.5" in capsys.readouterr().err


def test_bad_n_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "x.pprof"
    p.write_bytes(b"")
    assert main(["top", str(p), "-n", "-1"]) == 2
    assert "-n must be 0" in capsys.readouterr().err
