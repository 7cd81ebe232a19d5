"""Pure gate functions: (measurement, threshold) -> Verdict.

Each domain has its own module (``gates.bench``, ``gates.cpu``,
``gates.trace``, ``gates.latency``, ``gates.health``); none does I/O.  The
plugin turns a failed ``Verdict`` into a failed pytest test and a skipped one
into a skip, and records ``figures`` as JUnit properties.
"""

from __future__ import annotations

from pytest_goperf.gates.verdict import GateFailed, NotJudged, Outcome, Verdict, enforce

__all__ = ["GateFailed", "NotJudged", "Outcome", "Verdict", "enforce"]
