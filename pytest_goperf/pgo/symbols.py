"""Every function a built Go binary has, and the share of a profile's weight on functions it no longer has.

``go tool nm`` lists the functions linked as code, but not those the compiler
inlined at every call site: they have no symbol, yet tracebacks and CPU
profiles still name them (``main.scoreItem`` inlined into
``main.transform`` by PGO itself, or ``strings.(*Builder).WriteString``
everywhere).  Counting those as missing would call a fresh profile stale.  So
the names come from the binary's PC/line table, which records every
function and every inlined callee, read by a small Go program shipped as
source (``funcnames/``) and built once with the user's toolchain.

The **stale share** is the share of the profile's samples whose stack holds
at least one function the binary no longer has: CPU time that ran in or
under renamed or deleted code.  The compiler keys everything on names (call
edges caller -> callee at a line offset, cmd/internal/pgo), so every edge
into, out of or inside such a function guides nothing any more.  Frames in
shared libraries are left out: they are not Go functions.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.errors import BuildError
from pytest_goperf.go.shipped import build_shipped
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.pprof.model import Profile

SOURCE = Path(__file__).parent / "funcnames"
_INNER_BRACKETS = re.compile(r"\[[^\[\]]*\]")


def normalize(name: str) -> str:
    """A function name with type arguments collapsed (``F[go.shape.int]`` and ``F[...]`` are one function)."""
    if "[" not in name:
        return name
    prev = None
    while prev != name:
        prev, name = name, _INNER_BRACKETS.sub("\0", name)
    return name.replace("\0", "[...]")


def binary_functions(go: GoToolchain, binary: Path, cache_dir: Path) -> frozenset[str]:
    """Normalized names of every function ``binary`` records, inlined ones included."""
    helper = build_shipped(go, SOURCE, cache_dir, "funcnames")
    try:
        out = subprocess.run([str(helper), str(binary)], capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"cannot read the functions of {binary}: {exc}") from None
    if out.returncode != 0:
        raise BuildError(f"cannot read the functions of {binary}: {out.stderr.strip() or f'exit {out.returncode}'}")
    return frozenset(normalize(line) for line in out.stdout.splitlines() if line)


@dataclass(frozen=True)
class Staleness:
    """The profile's weight, and the part of it that ran in or under functions the binary lacks."""

    total_weight: int
    stale_weight: int
    missing: tuple[tuple[str, float], ...]   # missing functions by the share of weight on them (cum)

    @property
    def share(self) -> float:
        return self.stale_weight / self.total_weight if self.total_weight else 0.0


def staleness(profile: Profile, value_index: int, functions: frozenset[str]) -> Staleness:
    """The share of samples with at least one function missing from ``functions`` (see the module doc)."""
    main = next(iter(profile.mappings), None)
    known: dict[str, bool] = {}
    total = stale = 0
    missing: Counter[str] = Counter()
    locs = profile.locations
    for smp in profile.samples:
        v = smp.values[value_index]
        names = {ln.function.name for i in smp.location_ids
                 for loc in (locs[i],) if loc.mapping is None or loc.mapping.id == main
                 for ln in loc.lines if ln.function.name}
        if not v or not names:
            continue
        total += v
        gone = [n for n in names if not known.setdefault(n, normalize(n) in functions)]
        if gone:
            stale += v
            for name in gone:
                missing[name] += v
    top = tuple((name, w / total) for name, w in missing.most_common(5)) if total else ()
    return Staleness(total_weight=total, stale_weight=stale, missing=top)
