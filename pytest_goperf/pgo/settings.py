"""The ``pgo`` section of goperf.yaml: how ``--goperf-update-pgo`` refreshes the profile.

| key | default | meaning |
|---|---|---|
| ``windows`` | 1 | load windows captured (one CPU profile each) and merged |
| ``min_samples`` | ``thresholds.pgo.min_samples``, else 1000 | fewer CPU samples in the merged capture: nothing is written |
| ``duration`` | ``load.duration`` | each window's length, the CPU profile's ``seconds`` |
| ``rate`` | ``load.rate`` | requests/s during the refresh, or ``max`` for the closed model (as fast as ``connections`` allow) |
| ``connections`` | ``load.connections`` | connections during the refresh |

The request mix is always ``load.requests``: what PGO learns is where the
time goes per request, which the mix decides.  A gate's window is often
throttled for latency limits; a refresh wants samples, so ``rate: max``
collects the same mix many times faster.

The limits of the diagnostics live under ``thresholds.pgo`` (gates/pgo.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_goperf.yaml_nodes import Node, opt

if TYPE_CHECKING:
    from pytest_goperf.config import LoadConfig

KEYS = ("windows", "min_samples", "duration", "rate", "connections")
DEFAULT_MIN_SAMPLES = 1000


@dataclass(frozen=True)
class PgoSettings:
    windows: int = 1
    min_samples: int | None = None      # None: thresholds.pgo.min_samples if the gate is set, else 1000
    duration: float | None = None       # None: load.duration
    rate: float | str | None = None     # None: load.rate; "max": closed model
    connections: int | None = None      # None: load.connections

    def load_for_refresh(self, load: LoadConfig) -> LoadConfig:
        """The load section with this section's overrides (no trace: a refresh captures CPU only)."""
        rate = load.rate if self.rate is None else (None if self.rate == "max" else float(self.rate))
        return dataclasses.replace(load, duration=self.duration or load.duration, rate=rate,
                                   connections=self.connections or load.connections, trace=0.0)


def _rate(node: Node) -> float | str:
    if node.value() == "max":
        return "max"
    return node.number(minimum=0.001)


def parse_pgo(node: Node) -> PgoSettings:
    f = node.mapping(KEYS)
    duration = opt(f, "duration", Node.duration, None)
    if duration is not None and duration < 1:
        raise f["duration"].error("a CPU profile needs at least 1s")
    return PgoSettings(windows=opt(f, "windows", lambda n: n.integer(minimum=1), 1),
                       min_samples=opt(f, "min_samples", lambda n: n.integer(minimum=1), None),
                       duration=duration, rate=opt(f, "rate", _rate, None),
                       connections=opt(f, "connections", lambda n: n.integer(minimum=1), None))
