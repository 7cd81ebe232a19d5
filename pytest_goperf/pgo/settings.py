"""The ``pgo`` section of goperf.yaml: how ``--goperf-update-pgo`` refreshes the profile.

| key | default | meaning |
|---|---|---|
| ``windows`` | 1 | load windows captured (one CPU profile each, as long as ``load.duration``) and merged |
| ``min_samples`` | ``thresholds.pgo.min_samples``, else 1000 | fewer CPU samples in the merged capture: nothing is written |

The limits of the diagnostics live under ``thresholds.pgo`` (gates/pgo.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_goperf.yaml_nodes import Node, opt

KEYS = ("windows", "min_samples")
DEFAULT_MIN_SAMPLES = 1000


@dataclass(frozen=True)
class PgoSettings:
    windows: int = 1
    min_samples: int | None = None      # None: thresholds.pgo.min_samples if the gate is set, else 1000


def parse_pgo(node: Node) -> PgoSettings:
    f = node.mapping(KEYS)
    return PgoSettings(windows=opt(f, "windows", lambda n: n.integer(minimum=1), 1),
                       min_samples=opt(f, "min_samples", lambda n: n.integer(minimum=1), None))
