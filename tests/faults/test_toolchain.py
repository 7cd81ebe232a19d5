"""Toolchain row of the fault matrix: GOPERF_GO pointing nowhere fails the gate with the fix, before any build.

Go older than 1.22 is refused by the same check (find_go); a real Go 1.21
toolchain is exercised in tests/foundation/test_toolchain.py, which fetches
it once, so it is not downloaded a second time here.
"""

from __future__ import annotations

from pathlib import Path

from tests.faults.harness import run_goperf
from tests.helpers import processes_under
from tests.helpers import EXAMPLE

YAML = (f"service: {{name: svc, module: {EXAMPLE}}}\n"
        "bench: {packages: [.], bench: HandleRequest/small, count: 4, benchtime: 1x}\n"
        "thresholds: {bench: {max_regression: 5%}}\n")


def test_goperf_go_pointing_nowhere(tmp_path: Path) -> None:
    (tmp_path / "goperf.yaml").write_text(YAML)
    session = run_goperf(tmp_path, env={"GOPERF_GO": str(tmp_path / "no" / "go")})
    assert session.returncode == 1, session.output[-3000:]
    assert session.section("svc::bench").strip() == (
        f"GOPERF_GO='{tmp_path / 'no' / 'go'}' is not an executable go command; point it at a Go 1.22+ 'go' binary "
        "or unset it")
    assert "Traceback" not in session.output
    assert not any((tmp_path / "art" / "svc").rglob("*.test"))   # nothing built
    assert processes_under(tmp_path) == []
