"""Where ``-pgo=auto`` looks for the profile, and ``default.pgo`` files it never reads.

``go build -pgo=auto`` (the default since Go 1.21) uses ``default.pgo`` in
the *main package's* folder and nowhere else.  A profile committed at the
module root while the service lives in ``cmd/api`` is silently ignored: the
build succeeds, without PGO.  ``stray_profiles`` finds such files: a
``default.pgo`` in the module tree outside the main package's folder, in a
folder that holds no main package of its own (another command's profile is
fine).  Vendored code, ``testdata``, hidden folders and nested modules are
not searched.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

PGO_FILE = "default.pgo"
_PACKAGE = re.compile(rb"^\s*package\s+(\w+)", re.MULTILINE)


def is_main_folder(folder: Path) -> bool:
    """True when a non-test Go file in ``folder`` declares ``package main``."""
    for go_file in folder.glob("*.go"):
        if go_file.name.endswith("_test.go"):
            continue
        try:
            head = go_file.read_bytes()[:8192]
        except OSError:
            continue
        m = _PACKAGE.search(_strip_comments(head))
        if m is not None and m.group(1) == b"main":
            return True
    return False


def _strip_comments(src: bytes) -> bytes:
    return re.sub(rb"/\*.*?\*/|//[^\n]*", b"", src, flags=re.DOTALL)


def stray_profiles(module: Path, main_dir: Path) -> list[Path]:
    """``default.pgo`` files under ``module`` that no ``-pgo=auto`` build reads (see the module doc)."""
    module, main_dir = module.resolve(), main_dir.resolve()
    found: list[Path] = []
    for root, dirs, files in os.walk(module):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not (d.startswith((".", "_")) or d in ("vendor", "testdata")
                                                  or (here / d / "go.mod").is_file()))
        if PGO_FILE in files and here != main_dir and not is_main_folder(here):
            found.append(here / PGO_FILE)
    return found


def misplaced_message(strays: list[Path], main_dir: Path) -> str | None:
    """The diagnostic for ``strays`` (None when there are none)."""
    if not strays:
        return None
    expected = main_dir / PGO_FILE
    shown = ", ".join(str(p) for p in strays[:3]) + (f" and {len(strays) - 3} more" if len(strays) > 3 else "")
    if not expected.is_file():
        return (f"misplaced: {shown} is not in the main package's folder, so go build -pgo=auto ignores it and "
                f"builds without PGO; move it: git mv {strays[0]} {expected}")
    return (f"misplaced: {shown} is read by no build (-pgo=auto reads only {expected}, which exists); "
            "delete the stray copy so nobody refreshes the wrong file")
