"""Pure gate functions: (measurement, threshold) -> Verdict.

Each domain has its own module (``gates.bench``, ``gates.cpu``,
``gates.trace``, ``gates.latency``, ``gates.health``); none does I/O.  The
plugin turns a failed ``Verdict`` into a failed pytest test and a skipped one
into a skip, and records ``figures`` as JUnit properties.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Verdict:
    """The outcome of one threshold check.

    ``message`` is what a user reads in the test report: on failure it shows
    the measured value, the threshold, and what to open next.  ``figures``
    holds the numbers behind it (for JUnit properties and summaries).
    ``skipped`` is a reason when the check could not be made at all.
    """

    passed: bool
    message: str
    figures: dict[str, float | int | str | None] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    skipped: str | None = None


class GateFailed(AssertionError):
    """Raised by the ``assert_*`` helpers; pytest shows ``str(self)`` as the failure."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict


def enforce(verdict: Verdict) -> Verdict:
    """Raise ``GateFailed`` for a failed verdict, return it otherwise (for the helpers)."""
    if not verdict.passed and verdict.skipped is None:
        raise GateFailed(verdict)
    return verdict
