"""The standard library's import paths for one toolchain, listed once and kept in the tool cache.

``go list -deps std`` takes 0.4 s on every run (most of the PGO check that
runs before a build) and its answer changes only with the toolchain, the
build flags (tags) and the environment the go command reads for the target
platform, which are the cache key.  A cache that cannot be written costs a
listing, never a wrong answer: a missing or unreadable entry is listed again.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pytest_goperf.errors import BuildError
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.tool_cache import store, tool_cache

# What can change the standard library's package set besides the toolchain and the flags.
_PLATFORM_ENV = ("GOOS", "GOARCH", "CGO_ENABLED", "GOEXPERIMENT", "GOFLAGS", "GOAMD64", "GOARM64", "GOROOT")


def std_packages(go: GoToolchain, cwd: Path, flags: Sequence[str] = ()) -> frozenset[str]:
    """Every standard package (vendored ones included) as ``go list -e -deps std`` in ``cwd`` names them."""
    env = go.env()
    key = hashlib.sha256("\0".join([str(go.path), go.version, *flags, "--",
                                    *(f"{k}={env.get(k, '')}" for k in _PLATFORM_ENV)]).encode()).hexdigest()[:20]
    folder = tool_cache("std", Path(tempfile.gettempdir()) / "pytest-goperf")
    entry = folder / f"std-{key}.txt"
    try:
        names = entry.read_text(encoding="utf-8").split()
        if names:
            return frozenset(names)
    except OSError:
        pass
    cmd = [str(go.path), "list", "-e", "-deps", *flags, "-f", "{{if .Standard}}{{.ImportPath}}{{end}}", "std"]
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"'{' '.join(cmd)}' failed: {exc}") from None
    if out.returncode != 0:
        raise BuildError(f"'{' '.join(cmd)}' failed: {(out.stderr + out.stdout).strip()}")
    std = frozenset(line for line in out.stdout.split() if line)
    store(entry, lambda tmp: tmp.write_text("\n".join(sorted(std)) + "\n", encoding="utf-8"))
    return std

