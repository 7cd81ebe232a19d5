"""How a gate declares itself, once: YAML key, threshold dataclass, what it needs measured, judge.

A runtime gate is a ``RuntimeGate`` value in its own module, listed in
``gates.registry``.  Everything else iterates the registry: config parsing
(the threshold dataclass's fields, typed with ``limit``), the plugin's test
ids, what the load window captures, and the verdicts.  Adding a gate touches
its module and one registry line.

Gate modules import their analysis code (numpy, scipy, protobuf) inside the
judge functions, so that merely loading the plugin stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from pytest_goperf.gates.verdict import Verdict

if TYPE_CHECKING:
    from pytest_goperf.health.series import Series
    from pytest_goperf.load.model import LoadResult
    from pytest_goperf.pgo.diagnose import PgoEvidence
    from pytest_goperf.pprof.model import Profile
    from pytest_goperf.trace.model import TraceStats

# What a gate needs from the load window: the generator's result, a CPU
# profile, an execution trace, heap samples, goroutine samples.
Need = Literal["load", "cpu", "trace", "heap", "goroutines"]
NEEDS: tuple[Need, ...] = ("load", "cpu", "trace", "heap", "goroutines")

# How a threshold field is written in YAML (see config.parse_threshold).
Kind = Literal["duration", "share", "number", "integer", "strings", "rate_per_minute", "boolean", "string"]

T = TypeVar("T")


def limit(kind: Kind, default: Any = None, doc: str = "") -> Any:
    """A threshold field: its YAML kind, its default and a one-line doc (for docs/design.md)."""
    return field(default=default, metadata={"kind": kind, "doc": doc})


class Evidence(Protocol):
    """What one load window measured, as runtime gates read it.

    The run layer implements it; reading and analysing files is its job, so
    judges stay pure.  Each method raises ``CaptureError`` when the capture
    it needs failed.
    """

    @property
    def artifacts(self) -> Path: ...

    def load(self) -> LoadResult | None: ...

    def load_skipped(self) -> str | None: ...

    def cpu_profile(self) -> tuple[Profile, Path]: ...

    def trace_stats(self) -> tuple[TraceStats, Path]: ...

    def series(self) -> Series: ...

    def stall_share(self) -> float:
        """The window's ``MachineNoise.stall_share``: 0 when it measured no CPU steal (or nothing)."""
        ...


@dataclass(frozen=True)
class RuntimeGate(Generic[T]):
    """One runtime gate: ``thresholds.<key>`` in YAML, ``<file>::<service>::<key>`` as a test."""

    key: str
    threshold: type[T]
    needs: frozenset[Need]
    judge: Callable[[Evidence, T], Verdict]
    summary: str


class BuildEvidence(Protocol):
    """What a build-time gate reads: the sources, the profile and scratch builds; never a running service."""

    def pgo(self) -> PgoEvidence: ...


@dataclass(frozen=True)
class BuildGate(Generic[T]):
    """A gate judged from the sources and builds alone: ``thresholds.<key>``, ``<file>::<service>::<key>``.

    Unlike a ``RuntimeGate`` it needs no ``load`` section and never starts
    the service or opens a load window, so its verdict is known as soon as the
    builds are; listed in ``gates.registry.BUILD_GATES``.
    """

    key: str
    threshold: type[T]
    judge: Callable[[BuildEvidence, T], Verdict]
    summary: str
