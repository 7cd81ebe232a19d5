"""Every function a built Go binary has, and the share of a profile's weight on functions it no longer has.

``go tool nm`` lists the functions linked as code, but not those the compiler
inlined at every call site: they have no symbol, yet tracebacks and CPU
profiles still name them (``main.scoreItem`` inlined into
``main.transform`` by PGO itself, or ``strings.(*Builder).WriteString``
everywhere).  Counting those as missing would call a fresh profile stale.  So
the names come from the binary's PC/line table, which records every
function and every inlined callee, read by a small Go program shipped as
source (``funcnames/``) and built once with the user's toolchain.

The **stale share** is measured in the currency PGO uses: call edges.  The
compiler weighs each caller -> callee edge (at a line offset in the caller)
by the samples whose stacks hold it (cmd/internal/pgo).  An edge whose
caller or callee no longer exists can no longer guide anything.  The share
is the weight of such edges over the weight of all edges between functions
of the profiled binary (frames in shared libraries are left out: they are
not Go functions).
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
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
    """The profile's call-edge weight, and the part of it on functions the binary lacks."""

    total_weight: int
    stale_weight: int
    missing: tuple[tuple[str, float], ...]   # missing functions by the share of edge weight they touch

    @property
    def share(self) -> float:
        return self.stale_weight / self.total_weight if self.total_weight else 0.0


def call_edges(profile: Profile, value_index: int) -> Counter[tuple[str, int, str]]:
    """(caller, line offset in the caller, callee) -> weight, as cmd/internal/pgo builds its edge map.

    Each edge counts once per sample; frames outside the profiled binary's
    own mapping (shared libraries, the kernel) break the chain.
    """
    main = next(iter(profile.mappings), None)
    edges: Counter[tuple[str, int, str]] = Counter()
    locs = profile.locations
    for smp in profile.samples:
        v = smp.values[value_index]
        if not v:
            continue
        frames: list[tuple[str, int, int] | None] = []
        for i in reversed(smp.location_ids):   # root first
            loc = locs[i]
            own = loc.mapping is None or loc.mapping.id == main
            for ln in reversed(loc.lines):      # the outermost (caller) line first
                name = ln.function.name
                frames.append((name, ln.line, ln.function.start_line) if own and name else None)
        seen: set[tuple[str, int, str]] = set()
        for caller, callee in pairwise(frames):
            if caller is None or callee is None:
                continue
            edge = (caller[0], caller[1] - caller[2], callee[0])
            if edge not in seen:
                seen.add(edge)
                edges[edge] += v
    return edges


def staleness(profile: Profile, value_index: int, functions: frozenset[str]) -> Staleness:
    """How much of the profile's edge weight touches functions missing from ``functions``."""
    total = stale = 0
    missing: Counter[str] = Counter()
    known: dict[str, bool] = {}

    def present(name: str) -> bool:
        got = known.get(name)
        if got is None:
            got = known[name] = normalize(name) in functions
        return got

    for (caller, _offset, callee), w in call_edges(profile, value_index).items():
        total += w
        gone = [n for n in (caller, callee) if not present(n)]
        if gone:
            stale += w
            for name in gone:
                missing[name] += w
    top = tuple((name, w / total) for name, w in missing.most_common(5)) if total else ()
    return Staleness(total_weight=total, stale_weight=stale, missing=top)
