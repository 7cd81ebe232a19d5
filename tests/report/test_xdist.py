"""pytest-xdist: --goperf refuses to measure services side by side; without --goperf, -n works as usual."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_pytest
from .test_sharding import make_services

pytest.importorskip("xdist")


def test_goperf_under_xdist_is_refused_before_anything_runs(tmp_path: Path) -> None:
    make_services(tmp_path)
    proc = run_pytest(tmp_path, "--goperf", "-n", "2", "services", "--goperf-artifacts", "art")
    assert proc.returncode == 4, proc.stdout[-2000:] + proc.stderr[-2000:]
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert line.startswith("ERROR: pytest-goperf: --goperf cannot run under pytest-xdist (-n 2)")
    assert "--goperf-shard K/N" in line and "-n 0" in line
    assert not (tmp_path / "art").exists()
    serial = run_pytest(tmp_path, "--goperf", "-n", "0", "services/fast", "--goperf-artifacts", "art")
    assert serial.returncode == 0, serial.stdout[-2000:]


def test_xdist_without_goperf_runs_the_other_tests(tmp_path: Path) -> None:
    make_services(tmp_path)
    (tmp_path / "test_plain.py").write_text("def test_one():\n    pass\n\ndef test_two():\n    pass\n")
    proc = run_pytest(tmp_path, "-n", "2", ".")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "2 passed" in proc.stdout and "goperf" not in proc.stdout.split("passed")[-1]
    assert not (tmp_path / ".goperf").exists()
