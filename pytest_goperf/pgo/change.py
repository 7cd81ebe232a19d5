"""What a refresh changed: size, samples, the top functions before and after, the weight that moved.

**Moved share** is the total variation distance between the two profiles'
flat CPU shares per function: half the sum over functions of
|share after - share before|.  0 % means the same distribution of CPU time,
100 % means no function in common; it does not depend on how long either
capture ran.  The Markdown form is a pull-request body for a scheduled
refresh job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pytest_goperf.errors import InputError
from pytest_goperf.pprof.model import Profile

TOP = 10


@dataclass(frozen=True)
class ProfileChange:
    path: Path
    new_size: int
    new_samples: int
    new_top: tuple[tuple[str, float], ...]
    old_size: int | None = None                     # None: there was no file
    old_samples: int | None = None                  # None: no file, or not a CPU profile
    old_top: tuple[tuple[str, float], ...] = ()
    moved_share: float | None = None
    old_problem: str | None = None                  # why the old file could not be compared
    notes: tuple[str, ...] = field(default=())

    def lines(self) -> list[str]:
        """Plain text for the terminal."""
        size = (f"{self.old_size:,} -> {self.new_size:,} bytes" if self.old_size is not None
                else f"new file, {self.new_size:,} bytes")
        samples = (f"{self.old_samples:,} -> {self.new_samples:,} samples" if self.old_samples is not None
                   else f"{self.new_samples:,} samples")
        moved = f"; {self.moved_share * 100:.1f}% of the weight moved" if self.moved_share is not None else ""
        out = [f"{self.path}: {size}, {samples}{moved}"]
        if self.old_problem:
            out.append(f"  the previous file could not be compared: {self.old_problem}")
        width = max((len(n) for n, _ in (*self.old_top, *self.new_top)), default=8)
        out.append(f"  {'before'.ljust(width + 8)}  after")
        for i in range(max(len(self.old_top), len(self.new_top))):
            left = f"{self.old_top[i][1] * 100:5.1f}%  {self.old_top[i][0]}" if i < len(self.old_top) else ""
            right = f"{self.new_top[i][1] * 100:5.1f}%  {self.new_top[i][0]}" if i < len(self.new_top) else ""
            out.append(f"  {left.ljust(width + 8)}  {right}")
        return out

    def markdown_table(self) -> str:
        head = ["| # | before (flat %) | after (flat %) |", "|---|---|---|"]
        rows = []
        for i in range(max(len(self.old_top), len(self.new_top))):
            left = f"`{self.old_top[i][0]}` {self.old_top[i][1] * 100:.1f}" if i < len(self.old_top) else ""
            right = f"`{self.new_top[i][0]}` {self.new_top[i][1] * 100:.1f}" if i < len(self.new_top) else ""
            rows.append(f"| {i + 1} | {left} | {right} |")
        return "\n".join(head + rows)


def flat_shares(profile: Profile) -> dict[str, float]:
    """Each function's flat share of the CPU time (pprof's default sample type)."""
    from pytest_goperf.pprof.top import top

    t = top(profile, nodefraction=0, edgefraction=0)
    return {r.function: r.flat / t.total for r in t.rows if r.flat} if t.total else {}


def moved_share(before: dict[str, float], after: dict[str, float]) -> float:
    """Total variation distance between two share distributions (see the module doc)."""
    return 0.5 * sum(abs(after.get(k, 0.0) - before.get(k, 0.0)) for k in before.keys() | after.keys())


def _top(shares: dict[str, float]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP])


def profile_change(path: Path, new: Profile, new_size: int, new_samples: int) -> ProfileChange:
    """Compare ``new`` with what ``path`` holds now (if anything)."""
    from pytest_goperf.pgo.facts import read_facts

    after = flat_shares(new)
    base = ProfileChange(path=path, new_size=new_size, new_samples=new_samples, new_top=_top(after))
    if not path.is_file():
        return base
    size = path.stat().st_size
    try:
        old = read_facts(path)
    except InputError as exc:  # an unreadable old file is replaced, and the report says why it was not compared
        return ProfileChange(path=path, new_size=new_size, new_samples=new_samples, new_top=base.new_top,
                             old_size=size, old_problem=str(exc))
    before = flat_shares(old.profile)
    return ProfileChange(path=path, new_size=new_size, new_samples=new_samples, new_top=base.new_top,
                         old_size=size, old_samples=old.samples, old_top=_top(before),
                         moved_share=moved_share(before, after))
