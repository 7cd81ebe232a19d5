"""What goperf records inside a profile it writes: the Go that built the profiled binary, and where it came from.

The record lives in the profile itself, as pprof comments
(``go tool pprof -comments default.pgo`` shows them), so it travels with the
file through copies, reviews and merges; a sidecar file would be forgotten
or go stale.  The compiler ignores comments.  Lines look like::

    goperf: go=go1.26.8
    goperf: source=load window of go-service (pgo-off build), 2 x 30s at 300 req/s
    goperf: written=2026-12-01T18:03:00Z by pytest-goperf 0.1.0

A profile goperf did not write has no such lines: its Go version is
"unknown", and the toolchain-drift diagnostic says so instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_goperf.pprof.model import Profile

PREFIX = "goperf: "
_LINE = re.compile(r"^goperf: (\w+)=(.*)$")


@dataclass(frozen=True)
class Metadata:
    """goperf's record in a profile; every field None when goperf did not write it."""

    go: str | None = None          # "go1.26.8"; None: unknown
    source: str | None = None
    written: str | None = None

    @property
    def go_label(self) -> str:
        return self.go or "unknown"


def read_metadata(profile: Profile) -> Metadata:
    """goperf's lines among the profile's comments (the last value wins for a repeated key)."""
    values: dict[str, str] = {}
    for comment in profile.comments:
        m = _LINE.match(comment)
        if m is not None:
            values[m.group(1)] = m.group(2).strip()
    go = values.get("go")
    return Metadata(go=None if go in (None, "", "unknown") else go, source=values.get("source"),
                    written=values.get("written"))


def comments(meta: Metadata) -> tuple[str, ...]:
    """The comment lines recording ``meta``."""
    out = [f"{PREFIX}go={meta.go_label}"]
    if meta.source:
        out.append(f"{PREFIX}source={meta.source}")
    if meta.written:
        out.append(f"{PREFIX}written={meta.written}")
    return tuple(out)


def without_goperf(lines: Iterable[str]) -> tuple[str, ...]:
    """Comments other than goperf's own (a refreshed profile gets a fresh record, not two)."""
    return tuple(c for c in lines if not c.startswith(PREFIX))


def release(version: str) -> str | None:
    """``go1.26.8`` -> ``go1.26``: PGO matches functions by name and line offset, which a release changes."""
    m = re.search(r"go(\d+)\.(\d+)", version)
    return f"go{m.group(1)}.{m.group(2)}" if m else None
