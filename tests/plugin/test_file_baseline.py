"""bench.baseline: file:<old.txt> compares a saved output against fresh candidate rounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import EXAMPLE

YAML = f"""\
service: {{name: filebase, module: {EXAMPLE}}}
bench: {{packages: [.], bench: HandleRequest/small, count: 3, benchtime: 50x, baseline: "file:OLD", candidate: pgo}}
thresholds:
  bench: {{max_regression: 5%, units: [allocs/op]}}
"""


def test_file_baseline_and_its_errors(pytester: pytest.Pytester, tmp_path: Path) -> None:
    # A saved baseline claiming 5 allocs/op: the real 58 allocs/op is a significant regression.
    saved = tmp_path / "old.txt"
    saved.write_text("pkg: example.com/go-service\n" + "".join(
        f"BenchmarkHandleRequest/small-2 \t 100\t 8000 ns/op\t 8000 B/op\t {5 + i % 2} allocs/op\n" for i in range(6)))
    yaml = pytester.path / "goperf.yaml"
    yaml.write_text(YAML.replace('OLD', str(saved)))
    art = str(pytester.path / "art")
    result = pytester.runpytest("--goperf", str(yaml), "--goperf-artifacts", art)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*bench?HandleRequest/small-2 allocs/op?*", "*note: baseline is the file*"])
    assert (Path(art) / "filebase" / "old.txt").read_text() == saved.read_text()

    yaml.write_text(YAML.replace("OLD", str(tmp_path / "missing.txt")))
    missing = pytester.runpytest("--goperf", str(yaml), "--goperf-artifacts", art)
    missing.stdout.fnmatch_lines(["*bench.baseline: */missing.txt does not exist*"])
