"""Artifacts rows of the fault matrix: a file in the way, a read-only folder, a full disk.

The first two are refused before anything is built (exit 4, one line, no
folder created).  A full disk (a 1 MiB tmpfs, where this machine lets us
mount one) fails the gate with the OS's own cause and the path.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.harness import run_goperf
from tests.helpers import processes_under
from tests.helpers import EXAMPLE

YAML = (f"service: {{name: svc, module: {EXAMPLE}}}\n"
        "bench: {packages: [.], bench: HandleRequest/small, count: 4, benchtime: 1x}\n"
        "thresholds: {bench: {max_regression: 5%}}\n")


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "goperf.yaml").write_text(YAML)
    return tmp_path


def _one_error_line(output: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.startswith("ERROR: ")]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


@pytest.fixture
def tmpfs(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    mount = tmp_path / "mnt"
    mount.mkdir()
    opts = getattr(request, "param", "size=1m")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(mount)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_artifacts_path_is_a_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "art").write_text("a file where the artifacts folder should be")
    session = run_goperf(folder, "--goperf-artifacts", "art/deeper")
    assert session.returncode == 4
    assert _one_error_line(session.output) == (
        f"ERROR: pytest-goperf: --goperf-artifacts {folder / 'art' / 'deeper'}: {folder / 'art'} is a file, not a "
        "folder; give a folder (it is created if missing)")


@pytest.mark.parametrize("tmpfs", ["ro,size=1m"], indirect=True)
def test_artifacts_folder_read_only(tmp_path: Path, tmpfs: Path) -> None:
    folder = _folder(tmp_path)
    session = run_goperf(folder, "--goperf-artifacts", str(tmpfs / "art"))
    assert session.returncode == 4
    assert _one_error_line(session.output) == (
        f"ERROR: pytest-goperf: --goperf-artifacts {tmpfs / 'art'}: cannot write in {tmpfs} (read-only or no "
        "permission); give a writable folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits; the tmpfs case covers it")
def test_artifacts_folder_without_permission(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "locked").mkdir(mode=0o555)
    session = run_goperf(folder, "--goperf-artifacts", "locked/art")
    assert session.returncode == 4
    assert "cannot write in" in _one_error_line(session.output)


def test_disk_full(tmp_path: Path, tmpfs: Path) -> None:
    folder = _folder(tmp_path)
    session = run_goperf(folder, "--goperf-artifacts", str(tmpfs / "art"))
    assert session.returncode == 1, session.output[-3000:]
    text = session.section("svc::bench")
    assert "no space left on device" in text and str(tmpfs / "art") in text, text
    assert "Traceback" not in session.output
    assert processes_under(folder) == []
