"""Wall time per phase of one service's gate run: where a CI minute goes (``--goperf-timings``).

The gate is paid on every build, so its own cost must be visible next to
what it measures.  *Measuring* time is the time inside the benchmark
binaries (the rounds) and the load window (warmup + duration): what the
user configured and what ``go test -bench`` or a load tester alone would
also take.  Everything else (toolchain discovery, builds, service start and
stop, analysis) is the gate's overhead, and ``overhead_ratio`` is total /
measuring.  Phases with the same name add up (one ``analysis`` however many
gates read the window).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    measuring: float = 0.0      # of ``seconds``: inside benchmark binaries or the load window


class PhaseTimings:
    """An ordered list of phases, each with its wall time (``time.perf_counter``)."""

    def __init__(self) -> None:
        self._phases: dict[str, Phase] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        """Time the block as ``name``; the block may set ``.measuring`` on what it yields."""
        current = Phase(name)
        t0 = time.perf_counter()
        try:
            yield current
        finally:
            self.add(name, time.perf_counter() - t0, current.measuring)

    def add(self, name: str, seconds: float, measuring: float = 0.0) -> None:
        p = self._phases.setdefault(name, Phase(name))
        p.seconds += seconds
        p.measuring += min(measuring, seconds)

    @property
    def phases(self) -> list[Phase]:
        return list(self._phases.values())

    @property
    def total(self) -> float:
        return sum(p.seconds for p in self._phases.values())

    @property
    def measuring(self) -> float:
        return sum(p.measuring for p in self._phases.values())

    def ratio(self) -> float | None:
        """Total wall time over measuring time (1.0 = the gate costs nothing beyond its measurements)."""
        return self.total / self.measuring if self.measuring > 0 else None

    def lines(self, service: str) -> list[str]:
        """The summary's table: one phase per line, then the total and the overhead ratio."""
        if not self._phases:
            return []
        width = max(len(p.name) for p in self._phases.values())
        out = [f"{service}: wall time per phase (measuring = inside benchmark binaries and the load window)"]
        for p in self._phases.values():
            inside = f"  {p.measuring:7.2f}s measuring" if p.measuring else ""
            out.append(f"  {p.name:<{width}}  {p.seconds:7.2f}s{inside}")
        ratio = self.ratio()
        tail = (f"  {self.measuring:7.2f}s measuring, {ratio:.2f}x" if ratio is not None
                else "  (nothing measured)")
        out.append(f"  {'total':<{width}}  {self.total:7.2f}s{tail}")
        return out

    def to_json(self) -> dict[str, Any]:
        ratio = self.ratio()
        return {
            "phases": [{"phase": p.name, "s": round(p.seconds, 6), "measuring_s": round(p.measuring, 6)}
                       for p in self._phases.values()],
            "total_s": round(self.total, 6), "measuring_s": round(self.measuring, 6),
            "overhead_ratio": round(ratio, 4) if ratio is not None else None,
        }
