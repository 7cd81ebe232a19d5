"""Reference statistics computed from ``go tool trace -d=parsed`` text.

The parity tests compare our reader with Go's own parser: Go orders and
validates the events, we only apply the docs/design.md#definitions definitions to
its printed state transitions and ranges.  Kept deliberately simple and
independent of pytest_goperf.trace.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field

_LINE = re.compile(r"^M=-?\d+ P=-?\d+ G=(-?\d+) (\w+) Time=(\d+) (.*)$")
_GO_TRANSITION = re.compile(r'^GoID=(\d+) (\w+)->(\w+) Reason="((?:[^"\\]|\\.)*)"')
_RANGE = re.compile(r'^Name="((?:[^"\\]|\\.)*)" Scope=Goroutine\((\d+)\)')
_KNOWN = {"NotExist", "Waiting", "Running", "Syscall"}


@dataclass
class Reference:
    sched: list[int] = field(default_factory=list)
    blocks: dict[str, list[int]] = field(default_factory=dict)
    stw: dict[str, list[int]] = field(default_factory=dict)
    gc_count: int = 0
    gc_mark: list[int] = field(default_factory=list)
    events: int = 0


def reference_stats(go: str, trace: str, timeout: float = 120) -> Reference:
    """Run ``go tool trace -d=parsed`` on ``trace`` and derive the reference statistics."""
    proc = subprocess.run([go, "tool", "trace", "-d=parsed", trace], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"go tool trace -d=parsed failed: {proc.stderr.strip()[-500:]}")
    ref = Reference()
    runnable: dict[str, int] = {}
    blocked: dict[str, tuple[int, str]] = {}
    stw_open: dict[str, tuple[int, str]] = {}
    gc_open: int | None = None
    for line in proc.stdout.splitlines():
        m = _LINE.match(line)
        if m is None:
            continue
        ref.events += 1
        kind, t, rest = m.group(2), int(m.group(3)), m.group(4)
        if kind == "StateTransition":
            gt = _GO_TRANSITION.match(rest)
            if gt is None:
                continue
            g, old, new, reason = gt.groups()
            if new == "Runnable" and old in _KNOWN:
                runnable[g] = t
            elif old == "Runnable" and new == "Running" and g in runnable:
                ref.sched.append(t - runnable.pop(g))
            if old == "Running" and new == "Waiting":
                blocked[g] = (t, reason or "(no reason)")
            elif old == "Waiting" and new != "Waiting" and g in blocked:
                since, why = blocked.pop(g)
                ref.blocks.setdefault(why, []).append(t - since)
        elif kind in ("RangeBegin", "RangeEnd"):
            if rest.startswith('Name="GC concurrent mark phase"'):
                if kind == "RangeBegin":
                    ref.gc_count += 1
                    gc_open = t
                elif gc_open is not None:
                    ref.gc_mark.append(t - gc_open)
                    gc_open = None
                continue
            r = _RANGE.match(rest)
            if r is None or not r.group(1).startswith("stop-the-world ("):
                continue
            name, g = r.group(1)[len("stop-the-world (") : -1], r.group(2)
            if kind == "RangeBegin":
                stw_open[g] = (t, name)
            elif g in stw_open:
                since, name = stw_open.pop(g)
                ref.stw.setdefault(name, []).append(t - since)
    return ref


def nearest_rank(values: list[int], p: int) -> int:
    s = sorted(values)
    k = max(1, -(-p * len(s) // 100))
    return s[k - 1]
