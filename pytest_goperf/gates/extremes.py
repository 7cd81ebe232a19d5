"""What ``max`` means for the trace gates (GC ``max_stw``, scheduler ``max``, blocks ``max``).

Why not the single worst event: on a shared VM one pause that the
hypervisor preempted can be several times longer than every other, and a
verdict that hangs on it flakes.  So a ``max`` limit holds when

- no event is longer than ``HARD_FACTOR`` (2) times the limit, and
- at most ``TOLERATED`` (1) event is longer than the limit.

"max: 1ms" therefore still fails on any pause over 2 ms, and on two pauses
over 1 ms; one pause between 1 and 2 ms is reported and tolerated.  The
message lists every event over the limit either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pytest_goperf.quantities import format_duration

if TYPE_CHECKING:
    from pytest_goperf.trace.model import Interval

TOLERATED = 1
HARD_FACTOR = 2.0
_LISTED = 30


def _fmt(ns: int) -> str:
    return format_duration(ns / 1e9)


def describe_event(iv: Interval) -> str:
    where = ""
    for fn, fl, line in iv.stack:
        if not fn.startswith(("runtime.", "internal/", "sync.")):
            where = f" in {fn} {fl}:{line}"
            break
    g = f", goroutine {iv.goroutine}" if iv.goroutine >= 0 else ""
    return f"  {_fmt(iv.duration_ns)} at +{_fmt(iv.start_ns)}{g} ({iv.what}){where}"


def judge_extreme(worst: Sequence[Interval], max_ns: int | None, limit_s: float, complete_above_ns: int = 0,
                  *, what: str = "event") -> tuple[bool, str, str]:
    """(holds, one-line summary, listing of every event over the limit) for a ``max`` limit.

    ``worst`` are the longest events, longest first; every event longer than
    ``complete_above_ns`` is among them (0: all events are).
    """
    limit_ns = limit_s * 1e9
    over = [iv for iv in worst if iv.duration_ns > limit_ns]
    more = complete_above_ns > limit_ns and len(over) == len(worst)   # the list may have been cut
    count = f"at least {len(over)}" if more else str(len(over))
    shown = "n/a" if max_ns is None else _fmt(max_ns)
    hard = [iv for iv in over if iv.duration_ns > HARD_FACTOR * limit_ns]
    listing = ""
    if over:
        lines = [f"{what.capitalize()}s over the max of {format_duration(limit_s)} ({count}):"]
        lines += [describe_event(iv) for iv in over[:_LISTED]]
        if len(over) > _LISTED:
            lines.append(f"  ... and {len(over) - _LISTED}{' or more' if more else ''} more")
        listing = "\n".join(lines)
    if not over:
        return True, f"max {shown} (limit {format_duration(limit_s)})", listing
    if hard:
        return False, (f"max {shown} is over {HARD_FACTOR:g}x the limit of {format_duration(limit_s)} "
                       f"({len(hard)} {what}s over {format_duration(HARD_FACTOR * limit_s)})"), listing
    if len(over) > TOLERATED or more:
        return False, f"{count} {what}s over the max of {format_duration(limit_s)} (max {shown})", listing
    return True, (f"max {shown}: one {what} over the limit of {format_duration(limit_s)}, under "
                  f"{HARD_FACTOR:g}x, tolerated as a single outlier"), listing
