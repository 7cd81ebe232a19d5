"""Every runtime gate, in the order its tests appear.  Adding a gate: its module, plus one line here."""

from __future__ import annotations

from typing import Any

from pytest_goperf.gates import blocks, cpu, health, latency, trace
from pytest_goperf.gates.spec import RuntimeGate

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
