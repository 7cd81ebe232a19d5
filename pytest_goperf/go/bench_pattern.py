"""Check a ``-bench`` pattern the way ``go test`` reads it, before anything is built.

Go splits the pattern on unescaped ``/`` and ``|`` (outside brackets and
parentheses) and compiles each element as an RE2 regexp, which accepts
``\\z``, ``\\pL`` and ``[[:alpha:]]`` and refuses ``(?!...)``.  Python's ``re``
disagrees both ways, so the check is Go's own: a tiny test binary, built once
per toolchain, run with the pattern.  A pattern of names, dots, anchors and
separators only (``HandleRequest/small|large``, ``.``, ``^BenchmarkX$``) is
valid RE2 whatever its order, so it needs no binary: that saves the build (12 s
with a cold Go cache, 0.3 s warm) for almost every goperf.yaml.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pytest_goperf.go.shipped import build_shipped
from pytest_goperf.go.toolchain import GoToolchain

SOURCE = Path(__file__).parent / "patterncheck"
# Literals, '.', anchors and the separators: no repetition, class, group or escape that RE2 could refuse.
ALWAYS_VALID = re.compile(r"[A-Za-z0-9_.^$/|=:,-]*")


def bench_pattern_error(go: GoToolchain, pattern: str, cache_dir: Path) -> str | None:
    """Go's complaint about ``pattern`` as a ``-bench`` value, or None when Go accepts it."""
    if ALWAYS_VALID.fullmatch(pattern):
        return None
    return go_pattern_error(go, pattern, cache_dir)


def go_pattern_error(go: GoToolchain, pattern: str, cache_dir: Path) -> str | None:
    """Go's own answer, from the shipped test binary (built once per toolchain into ``cache_dir``)."""
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
