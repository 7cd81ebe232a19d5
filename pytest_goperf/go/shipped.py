"""Go programs shipped as source inside the package, built once with the user's toolchain.

The binary is cached under the artifacts root, keyed by a hash of the source
and the Go version, and replaced atomically so concurrent runs agree.  CI needs
no extra download: the toolchain that builds the user's code builds these.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pytest_goperf.errors import BuildError
from pytest_goperf.go.toolchain import GoToolchain


def helper_env(go: GoToolchain, **extra: str) -> dict[str, str]:
    """Environment for building goperf's own Go programs with ``go``.

    It keeps the toolchain's defaults on purpose (no ``CGO_ENABLED=0``, and no
    ``-trimpath`` beside it): the service's unprofiled side is built that way, so
    Go's build cache shares the standard library between them.  The old
    ``CGO_ENABLED=0 -trimpath`` compiled it a second time on a cold machine
    (12.7 s of a 13.3 s generator build after the example, on 2 cores).
    """
    return {**go.env(), "GOWORK": "off", "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", **extra}


def source_files(source: Path, *, tests: bool) -> list[str]:
    """go.mod and the .go files that go into the binary, in a stable order."""
    names = [p.name for p in source.glob("*.go") if tests or not p.name.endswith("_test.go")]
    return ["go.mod", *sorted(names)]


def build_key(go: GoToolchain, source: Path, *, tests: bool) -> str:
    """Content hash of the source plus the Go version that builds it."""
    h = hashlib.sha256(go.version.encode())
    for name in source_files(source, tests=tests):
        h.update(name.encode() + b"\0" + (source / name).read_bytes())
    return h.hexdigest()[:16]


def build_shipped(go: GoToolchain, source: Path, cache_dir: Path, name: str, *, test_binary: bool = False) -> Path:
    """The cached binary of the Go program in ``source`` (``go test -c`` with ``test_binary``)."""
    cache_dir = Path(cache_dir)
    dest = cache_dir / f"{name}-{build_key(go, source, tests=test_binary)}"
    if dest.is_file() and os.access(dest, os.X_OK):
        return dest
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f".{name}-build-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for file in source_files(source, tests=test_binary):
            shutil.copy2(source / file, src / file)
        out = Path(tmp) / name
        verb = ["test", "-c"] if test_binary else ["build"]
        try:
            proc = subprocess.run([str(go.path), *verb, "-o", str(out), "."], cwd=src, env=helper_env(go),
                                  capture_output=True, text=True, timeout=600, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise BuildError(f"cannot build goperf's {name} helper with {go.path}: {exc}") from exc
        if proc.returncode != 0:
            raise BuildError(f"building goperf's {name} helper with {go.path} failed (exit {proc.returncode}):\n"
                             f"{(proc.stdout + proc.stderr).strip()}")
        os.replace(out, dest)
    return dest
