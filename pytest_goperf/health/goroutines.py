"""Goroutine dumps (``goroutine?debug=1``, ``goroutineleak?debug=1``) grouped by stack, and what grew.

Why: a goroutine gate that only says "the count went from 20 to 1020" sends
the reader to diff two text dumps by hand.  Both dumps group goroutines by
identical stack with a count; diffing first against last names the stacks
whose counts grew, and the first frame outside the runtime points at the
code that parks them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

Frame = tuple[str, str]  # function, file:line

_HEADER = re.compile(r"^(\d+) @(?: 0x[0-9a-f]+)*\s*$")
_FRAME = re.compile(r"^#\s+0x[0-9a-f]+\s+(\S+?)(?:\+0x[0-9a-f]+)?\s+(\S+:\d+)\s*$")
_TOTAL = re.compile(r"^(\w+) profile: total (\d+)", re.MULTILINE)
_RUNTIME = ("runtime.", "internal/", "sync.runtime_", "sync.(*WaitGroup)", "sync.(*Cond)", "sync.(*Mutex)")


@dataclass(frozen=True)
class StackCount:
    """Goroutines parked at one stack (leaf first)."""

    count: int
    stack: tuple[Frame, ...]


@dataclass(frozen=True)
class Dump:
    """A parsed debug=1 dump: ``kind`` is "goroutine" or "goroutineleak"."""

    kind: str
    total: int
    stacks: tuple[StackCount, ...]


def parse_dump(text: str) -> Dump:
    """Parse ``goroutine?debug=1`` text; records are "N @ addrs" followed by "#  pc  func+off  file:line"."""
    m = _TOTAL.search(text)
    kind, total = (m.group(1), int(m.group(2))) if m else ("goroutine", 0)
    counts: dict[tuple[Frame, ...], int] = {}
    count: int | None = None
    frames: list[Frame] = []

    def flush() -> None:
        if count is not None:
            key = tuple(frames)
            counts[key] = counts.get(key, 0) + count

    for line in text.splitlines():
        h = _HEADER.match(line)
        if h:
            flush()
            count, frames = int(h.group(1)), []
            continue
        f = _FRAME.match(line)
        if f and count is not None:
            frames.append((f.group(1), f.group(2)))
    flush()
    stacks = tuple(sorted((StackCount(c, s) for s, c in counts.items()), key=lambda sc: -sc.count))
    return Dump(kind, total or sum(sc.count for sc in stacks), stacks)


@dataclass(frozen=True)
class Growth:
    """One stack's count in the first and the last dump."""

    first: int
    last: int
    stack: tuple[Frame, ...]

    @property
    def grew(self) -> int:
        return self.last - self.first


def grown_stacks(first: Dump, last: Dump, top: int = 3) -> list[Growth]:
    """Stacks whose count grew from ``first`` to ``last``, most growth first."""
    before = {sc.stack: sc.count for sc in first.stacks}
    out = [Growth(before.get(sc.stack, 0), sc.count, sc.stack) for sc in last.stacks]
    grown = sorted((g for g in out if g.grew > 0 and g.stack), key=lambda g: (-g.grew, -g.last))
    return grown[:top]


def user_frames(stack: Sequence[Frame], shown: int = 4) -> list[Frame]:
    """The stack from its first frame outside the runtime and sync internals: where the code parks."""
    for i, (fn, _where) in enumerate(stack):
        if not fn.startswith(_RUNTIME):
            return list(stack[i: i + shown])
    return list(stack[:shown])


def describe_growth(growth: Sequence[Growth], first_name: str, last_name: str) -> str:
    """Lines for a failure message: count first -> last, then the frames that point at the code."""
    if not growth:
        return f"no stack grew between {first_name} and {last_name}"
    lines = [f"stacks whose goroutine count grew ({first_name} -> {last_name}):"]
    for g in growth:
        lines.append(f"  {g.first} -> {g.last} goroutines (+{g.grew}):")
        lines.extend(f"      {fn}  {where}" for fn, where in user_frames(g.stack))
    return "\n".join(lines)


def describe_leaks(dump: Dump, path: str, top: int = 3) -> str:
    """What a goroutineleak profile reports (goroutines blocked on objects no one can reach)."""
    if dump.total == 0:
        return f"goroutineleak profile ({path}): no leaked goroutines found"
    head = (f"goroutineleak profile ({path}): {dump.total} goroutines blocked forever "
            "(on channels or locks no running goroutine can reach):")
    lines = [head]
    for sc in dump.stacks[:top]:
        lines.append(f"  {sc.count} at:")
        lines.extend(f"      {fn}  {where}" for fn, where in user_frames(sc.stack))
    return "\n".join(lines)
