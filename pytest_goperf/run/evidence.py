"""The load window's captures as runtime gates read them (``gates.spec.Evidence``).

Reading and analysing the files happens here, once per window: the trace is
analysed once for both trace gates, the CPU profile parsed once.  A capture
that failed raises its recorded ``CaptureError`` for every gate that needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pytest_goperf.errors import CaptureError
from pytest_goperf.gates.verdict import Verdict
from pytest_goperf.run.window import WindowResult

if TYPE_CHECKING:
    from pytest_goperf.health.series import Series
    from pytest_goperf.load.model import LoadResult
    from pytest_goperf.pprof.model import Profile
    from pytest_goperf.trace.model import TraceStats


KEEP_EVENTS = 1000


class WindowEvidence:
    """``Evidence`` over one ``WindowResult``; parsed artifacts are kept for the next gate."""

    def __init__(self, window: WindowResult, *, trace_keep: int = KEEP_EVENTS) -> None:
        self.window = window
        self.trace_keep = max(trace_keep, KEEP_EVENTS)  # more when the report's charts will read the trace too
        self._profile: tuple[Profile, Path] | None = None
        self._trace: tuple[TraceStats, Path] | None = None

    @property
    def artifacts(self) -> Path:
        return self.window.artifacts

    def load(self) -> LoadResult | None:
        return self.window.load

    def load_skipped(self) -> str | None:
        return self.window.load_skipped

    def stall_share(self) -> float:
        return 0.0 if self.window.noise is None else self.window.noise.stall_share

    def cpu_profile(self) -> tuple[Profile, Path]:
        if self._profile is None:
            from pytest_goperf.pprof import read_profile

            path = self.window.require("cpu")
            self._profile = (read_profile(path), path)
        return self._profile

    def trace_stats(self) -> tuple[TraceStats, Path]:
        if self._trace is None:
            from pytest_goperf.trace import analyze_file

            path = self.window.require("trace")
            # Keep the longest KEEP_EVENTS intervals of each kind: the gates list every one over a max limit.
            # One pass, kept in analyze_file's cache, serves the report's charts too (trace_keep).
            self._trace = (analyze_file(path, keep=self.trace_keep).trimmed(KEEP_EVENTS), path)
        return self._trace

    def series(self) -> Series:
        self.window.require("series")
        if self.window.series is None:
            raise CaptureError(self.window.errors.get("series", "no heap/goroutine samples in this window"))
        return self.window.series


# Gates whose figures are times: a busy machine stretches them, so a failure may be the machine's.
TIMING_GATES = frozenset({"scheduler", "gc", "blocks", "latency"})


def with_noise(key: str, verdict: Verdict, window: WindowResult) -> Verdict:
    """Show the machine's noise over the window with a runtime verdict; blame the machine when it was busy.

    Every verdict gets the figures and one line; a timing gate's failure on a
    busy machine (steal or other processes' CPU above ``health.machine``'s
    limits) says the machine is the likely cause and names the figure.
    """
    noise = window.noise
    if noise is None:
        return verdict
    message = f"{verdict.message}\n{noise.describe()}"
    busy = noise.busy
    if verdict.failed and key in TIMING_GATES and busy:
        message += (f"\nThe machine itself was busy ({busy}): it is the likely cause of this failure; "
                    "rerun on a quieter machine before blaming the code.")
    return Verdict(verdict.outcome, message, {**verdict.figures, **noise.figures()}, verdict.warnings)
