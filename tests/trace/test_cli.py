"""``goperf trace``: JSON shape of docs/design.md#cli-and-json-contracts, human table, exit code 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_goperf.cli import main
from tests.trace.conftest import TRACES

KEYS = {"count", "p50", "p90", "p99", "max", "total"}


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", str(TRACES / "go1.25-multigen.trace"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["format"] == "go 1.25"
    assert isinstance(out["duration_ns"], int) and out["duration_ns"] > 0
    for key in ("sched_latency_ns", "stw_ns", "gc_stw_ns"):
        assert set(out[key]) == KEYS
    assert "chan receive" in out["blocks_ns"]
    assert all(KEYS <= set(v) for v in out["blocks_ns"].values())  # extended with "sync" and "stacks"
    assert out["sched_latency_ns"]["count"] > 0
    assert out["gc"]["count"] >= 1


def test_human_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", str(TRACES / "go1.22-work.trace")]) == 0
    out = capsys.readouterr().out
    assert "go 1.22 trace" in out and "scheduler latency" in out and "GC STW" in out


def test_bad_input_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.trace"
    bad.write_bytes(b"go 1.26 trace\x00\x00\x00\x01\x05")
    assert main(["trace", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "at byte" in err
    assert main(["trace", str(TRACES / "go1.21-v1.trace")]) == 2
    assert "record with Go 1.22+" in capsys.readouterr().err
