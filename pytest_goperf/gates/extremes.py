"""What ``max`` means for the trace gates (GC ``max_stw``, scheduler ``max``, blocks ``max``).

Why not the single worst event: on a shared VM a pause that the hypervisor
preempted (CPU steal) or that waited for a core the load generator held can
be several times longer than every other.  Measured on a quiet 2-core
runner, the healthy example had 0 to 3 of its ~120 GC pauses per 5 s trace
over 1 ms (up to 11.5 ms), while a service that really holds the world
stopped (``-slow-stw``: a goroutine in long non-preemptible copies) puts most
of its pauses over it.  A verdict about the *service* therefore asks whether
events over the limit *recur*, not whether one happened:

- ``k`` events of ``n`` are longer than the limit;
- the limit breaks when ``k >= 2`` and a one-sided exact binomial test
  rejects "at most ``MACHINE_RATE`` (1 %) of events are over the limit"
  at ``ALPHA`` (0.05);
- when the window measured CPU steal, the machine explains more: the share
  of moments at which some CPU was stolen (``MachineNoise.stall_share``,
  1 - (1 - steal)^cpus; 9.8 % at 5 % steal on 2 CPUs) replaces the 1 % when
  larger.  The verdict names the rate it used.

Percentile limits (``p99: 500us``) read the same way: at most 1 % of events
over 500 µs, plus the stall share; the limit breaks when the binomial test
rejects that share, so on a quiet machine with thousands of events it is the
plain nearest-rank percentile.

So ``max: 1ms`` over 8 pauses fails on 2 pauses over 1 ms; over 120 pauses
on 4; over 1000 on 16.  A single event never decides, however long: it is
listed, and the verdict says how many would have failed (its sensitivity).
The message lists every event over the limit either way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from pytest_goperf.quantities import format_duration

if TYPE_CHECKING:
    from pytest_goperf.trace.model import Interval

MACHINE_RATE = 0.01   # share of events over the limit a busy machine alone may cause
ALPHA = 0.05
MIN_RECURRING = 2     # one event is never a recurrence
_LISTED = 30


def _fmt(ns: int) -> str:
    return format_duration(ns / 1e9)


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), as scipy's ``binom.sf(k - 1, n, p)`` to 1e-9 relative.

    Summed term by term from the log of the first term, so judging a window imports no scipy: the upper
    tail from ``k`` when ``k`` lies above the mean, else one minus the lower tail below ``k``.  Either way
    the sum runs away from the mode, where the terms shrink, and stops when they no longer count.
    """
    if k <= 0 or p >= 1.0:
        return 1.0
    if k > n or p <= 0.0:
        return 0.0
    upper = k > n * p
    i = k if upper else k - 1
    odds = p / (1.0 - p)
    term = math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                    + i * math.log(p) + (n - i) * math.log1p(-p))
    total = 0.0
    while term > total * 1e-17 and 0 <= i <= n:
        total += term
        if upper:
            term *= (n - i) / (i + 1) * odds
            i += 1
        else:
            term *= i / (n - i + 1) / odds
            i -= 1
    return min(1.0, total) if upper else max(0.0, 1.0 - total)


def machine_rate(stall_share: float = 0.0) -> float:
    """The share of events over a ``max`` limit the machine alone explains."""
    return max(MACHINE_RATE, stall_share)


@lru_cache(maxsize=4096)
def failing_count(n: int, rate: float = MACHINE_RATE, least: int = MIN_RECURRING) -> int:
    """The fewest events over the limit, of ``n``, that break it at ``rate`` (the verdict's sensitivity)."""
    low, high = max(least, int(n * rate)), n + 1   # below the mean the tail is over 1/2; above n it is 0
    while low < high:                                # the tail falls as k grows: bisect for the first k under ALPHA
        mid = (low + high) // 2
        if binomial_tail(mid, n, rate) >= ALPHA:
            low = mid + 1
        else:
            high = mid
    return low


def _rate_text(rate: float) -> str:
    return (f"the {rate * 100:g} % a busy machine explains" if rate <= MACHINE_RATE
            else f"the {rate * 100:.1f} % this window's CPU steal explains")


def judge_percentile(over: int, n: int, q: float, value_ns: int | None, limit_s: float,
                     stall_share: float = 0.0) -> tuple[bool, str]:
    """(holds, text) for a ``p<q>`` limit: ``over`` of ``n`` events are longer than ``limit_s``."""
    tail = 1.0 - q / 100.0
    rate = min(0.999, tail + stall_share)
    shown = "n/a" if value_ns is None else _fmt(value_ns)
    text = f"p{q:g} {shown} (limit {format_duration(limit_s)})"
    if n == 0 or over <= tail * n:
        return True, text
    if stall_share > 0 and binomial_tail(over, n, rate) >= ALPHA:
        return True, (f"{text}: {over} of {n} over the limit, within {tail * 100:g} % plus the "
                      f"{stall_share * 100:.1f} % this window's CPU steal explains")
    return False, text


def describe_event(iv: Interval) -> str:
    where = ""
    for fn, fl, line in iv.stack:
        if not fn.startswith(("runtime.", "internal/", "sync.")):
            where = f" in {fn} {fl}:{line}"
            break
    g = f", goroutine {iv.goroutine}" if iv.goroutine >= 0 else ""
    return f"  {_fmt(iv.duration_ns)} at +{_fmt(iv.start_ns)}{g} ({iv.what}){where}"


def judge_extreme(worst: Sequence[Interval], max_ns: int | None, limit_s: float, complete_above_ns: int = 0,
                  *, what: str = "event", events: int | None = None,
                  stall_share: float = 0.0) -> tuple[bool, str, str]:
    """(holds, one-line summary, listing of every event over the limit) for a ``max`` limit.

    ``worst`` are the longest events, longest first; every event longer than
    ``complete_above_ns`` is among them (0: all events are).  ``events`` is
    how many events there were in all (default: ``len(worst)``);
    ``stall_share`` the window's ``MachineNoise.stall_share``.
    """
    n = len(worst) if events is None else max(events, len(worst))
    limit_ns = limit_s * 1e9
    over = [iv for iv in worst if iv.duration_ns > limit_ns]
    more = complete_above_ns > limit_ns and len(over) == len(worst)   # the list may have been cut
    count = f"at least {len(over)}" if more else str(len(over))
    shown = "n/a" if max_ns is None else _fmt(max_ns)
    limit_text = format_duration(limit_s)
    rate = machine_rate(stall_share)
    need = failing_count(n, rate)
    listing = ""
    if over:
        lines = [f"{what.capitalize()}s over the max of {limit_text} ({count} of {n}):"]
        lines += [describe_event(iv) for iv in over[:_LISTED]]
        if len(over) > _LISTED:
            lines.append(f"  ... and {len(over) - _LISTED}{' or more' if more else ''} more")
        listing = "\n".join(lines)
    sensitivity = (f"fails from {need} of {n} {what}s over it" if need <= n
                   else f"{n} {what}{'' if n == 1 else 's'} cannot show a recurrence")
    if not over:
        return True, f"max {shown} (limit {limit_text}; {sensitivity})", listing
    if len(over) >= need or more:
        p = binomial_tail(len(over), n, rate)
        return False, (f"{count} of {n} {what}s over the max of {limit_text} (max {shown}): recurring, "
                       f"more than {_rate_text(rate)} (p={p:.2g})"), listing
    why = "as isolated" if len(over) == 1 else f"within {_rate_text(rate)}"
    return True, (f"max {shown}: {len(over)} of {n} {what}s over the limit of {limit_text}, "
                  f"tolerated {why} ({sensitivity})"), listing
