"""A gate's outcome: passed, failed, or skipped with a reason -- three states, never two.

A skip is "this threshold could not be judged" (no samples, a row missing on
one side).  It must never read as a pass: the plugin reports it as a pytest
skip, and the Python ``assert_*`` helpers raise ``NotJudged`` for it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

Figure = float | int | str | None


class Outcome(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one threshold check.

    ``message`` is what a user reads: on failure the measured value, the
    threshold and what to open next; on a skip the reason it could not be
    judged.  ``figures`` holds the numbers behind it (JUnit properties,
    summaries, JSON reports).
    """

    outcome: Outcome
    message: str
    figures: dict[str, Figure] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @classmethod
    def ok(cls, message: str, figures: Mapping[str, Figure] | None = None, warnings: tuple[str, ...] = ()) -> Verdict:
        return cls(Outcome.PASSED, message, dict(figures or {}), tuple(warnings))

    @classmethod
    def fail(cls, message: str, figures: Mapping[str, Figure] | None = None, warnings: tuple[str, ...] = ()) -> Verdict:
        return cls(Outcome.FAILED, message, dict(figures or {}), tuple(warnings))

    @classmethod
    def skip(cls, reason: str, figures: Mapping[str, Figure] | None = None, warnings: tuple[str, ...] = ()) -> Verdict:
        return cls(Outcome.SKIPPED, reason, dict(figures or {}), tuple(warnings))

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAILED

    @property
    def skipped(self) -> bool:
        return self.outcome is Outcome.SKIPPED


class GateFailed(AssertionError):
    """Raised by the ``assert_*`` helpers; pytest shows ``str(self)`` as the failure."""

    def __init__(self, verdict: Verdict, message: str | None = None) -> None:
        super().__init__(message if message is not None else verdict.message)
        self.verdict = verdict


class NotJudged(GateFailed):
    """An ``assert_*`` helper could judge nothing: a check that saw nothing must not pass."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict, f"nothing was judged: {verdict.message}")


def enforce(verdict: Verdict) -> Verdict:
    """Return a passed verdict; raise ``GateFailed`` for a failed one and ``NotJudged`` for a skipped one."""
    if verdict.failed:
        raise GateFailed(verdict)
    if verdict.skipped:
        raise NotJudged(verdict)
    return verdict
