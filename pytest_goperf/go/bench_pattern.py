"""Check a ``-bench`` pattern the way ``go test`` reads it, before anything is built.

Go splits the pattern on unescaped ``/`` and ``|`` (outside brackets and
parentheses) and compiles each element as an RE2 regexp, which accepts
``\\z``, ``\\pL`` and ``[[:alpha:]]`` and refuses ``(?!...)``.  Python's ``re``
disagrees both ways, so the check is Go's own: a tiny test binary, built once
per toolchain, run with the pattern.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pytest_goperf.go.shipped import build_shipped
from pytest_goperf.go.toolchain import GoToolchain

SOURCE = Path(__file__).parent / "patterncheck"


def bench_pattern_error(go: GoToolchain, pattern: str, cache_dir: Path) -> str | None:
    """Go's complaint about ``pattern`` as a ``-bench`` value, or None when Go accepts it."""
    binary = build_shipped(go, SOURCE, cache_dir, "patterncheck", test_binary=True)
    proc = subprocess.run([str(binary), "-test.run=^$", f"-test.bench={pattern}", "-test.benchtime=1x",
                           "-test.count=1"], capture_output=True, text=True, timeout=60, check=False,
                          cwd=binary.parent)
    if proc.returncode == 0:
        return None
    for line in (proc.stdout + proc.stderr).splitlines():
        if line.startswith("testing: invalid regexp for "):
            return line.removeprefix("testing: invalid regexp for ")
    return (proc.stdout + proc.stderr).strip() or f"exit {proc.returncode}"
