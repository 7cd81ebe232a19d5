"""Every gate beyond bench, in the order its tests appear.  Adding a gate: its module, plus one line here.

Build-time gates (judged from sources and builds) come before the runtime
gates (judged from the load window).
"""

from __future__ import annotations

from typing import Any

from pytest_goperf.gates import blocks, cpu, health, latency, pgo, trace
from pytest_goperf.gates.spec import BuildGate, RuntimeGate

BUILD_GATES: tuple[BuildGate[Any], ...] = (
    pgo.GATE,
)

RUNTIME_GATES: tuple[RuntimeGate[Any], ...] = (
    cpu.GATE,
    health.HEAP_GATE,
    health.GOROUTINES_GATE,
    trace.SCHEDULER_GATE,
    trace.GC_GATE,
    blocks.GATE,
    latency.GATE,
)

BY_KEY: dict[str, RuntimeGate[Any]] = {g.key: g for g in RUNTIME_GATES}


def runtime_gate(key: str) -> RuntimeGate[Any]:
    """The gate declared under ``thresholds.<key>``; KeyError names the valid ones."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"no runtime gate {key!r}; gates: {', '.join(BY_KEY)}") from None


def build_gate(key: str) -> BuildGate[Any]:
    """The build-time gate declared under ``thresholds.<key>``."""
    for gate in BUILD_GATES:
        if gate.key == key:
            return gate
    raise KeyError(f"no build-time gate {key!r}; gates: {', '.join(g.key for g in BUILD_GATES)}")
