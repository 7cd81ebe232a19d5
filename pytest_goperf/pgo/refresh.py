"""Turn fresh CPU captures into a new ``default.pgo``, or refuse and leave the old one alone.

The rules both refresh paths follow (``--goperf-update-pgo`` and
``goperf pgo refresh``):

- the main package's folder must be writable, checked *before* anything is
  captured, so minutes of profiling are not lost to a permissions error;
- every capture must be a CPU profile; they are merged (``pprof.merge``) and
  goperf's record is put into the comments (``metadata``);
- fewer samples than the minimum is a refusal: the old file stays;
- the file is replaced atomically (``pprof.write``), so an interrupted run
  leaves the old profile or the new one, never half of one.

Why 1,000 samples by default: a CPU profile samples at 100 Hz, so that is 10
CPU-seconds.  The compiler ranks call edges by weight and calls hot the
heaviest edges that make up 99 % of it; an edge worth 1 % of the weight then
holds about 10 samples, whose count is known to about ±30 % (Poisson, 1/√10).
Fewer samples and the hot set is decided by a handful of samples each, so
two refreshes of the same service disagree on what is hot.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pytest_goperf.errors import GoperfError, InputError
from pytest_goperf.pgo.metadata import Metadata, comments, without_goperf
from pytest_goperf.pgo.placement import PGO_FILE
from pytest_goperf.pprof.model import Profile


class RefreshRefused(GoperfError):
    """The captures are not good enough to replace the profile; the old file was left as it was."""


def writable_target(main_dir: Path) -> Path:
    """``default.pgo`` in ``main_dir``, after proving a new one can be written there."""
    path = main_dir / PGO_FILE
    if not main_dir.is_dir():
        raise InputError(f"{main_dir}: no such folder; give the main package's folder (where go build -pgo=auto "
                         "reads default.pgo)")
    try:
        fd, probe = tempfile.mkstemp(dir=main_dir, prefix=".goperf-write-check-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"{main_dir} is write-protected ({exc.strerror}): cannot write {path}; nothing was captured. "
                         "Make the folder writable, or run the refresh where the checkout is writable") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{path} is write-protected: cannot replace it; nothing was captured. Make it writable")
    return path


def merge_captures(paths: Sequence[Path], meta: Metadata) -> tuple[Profile, int]:
    """The captures merged into one profile carrying ``meta``, and its sample count."""
    from pytest_goperf.pgo.facts import read_facts
    from pytest_goperf.pprof.merge import merge_profiles

    facts = [read_facts(p) for p in paths]
    merged = merge_profiles([f.profile for f in facts])
    merged = dataclasses.replace(merged, comments=(*without_goperf(merged.comments), *comments(meta)))
    return merged, sum(f.samples for f in facts)


def refuse_if_short(samples: int, min_samples: int, kept: Path, how: str) -> None:
    """``RefreshRefused`` when the captures hold fewer than ``min_samples`` samples."""
    if samples < min_samples:
        raise RefreshRefused(
            f"the captures hold {samples} CPU samples, fewer than the minimum of {min_samples} "
            f"({min_samples / 100:g} CPU-seconds at 100 Hz): default.pgo was NOT changed. The captures are "
            f"kept in {kept}. {how}")
