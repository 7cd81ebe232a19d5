"""Go execution traces (formats of Go 1.22 and later): reader and analyses.

Public API: ``analyze_file(path) -> TraceStats`` (``TraceStats.to_json()`` is
the ``goperf trace --json`` shape), ``analyze_stream`` for open files,
``iter_events`` for the ordered event stream, and the ``TraceError`` family.
See docs/trace.md.
"""

from pytest_goperf.trace.errors import TraceError, TruncatedTraceError, UnsupportedTraceError
from pytest_goperf.trace.model import Interval, StackTotal, Summary, TraceStats
from pytest_goperf.trace.reader import analyze_file, analyze_stream, iter_events

__all__ = [
    "Interval",
    "StackTotal",
    "Summary",
    "TraceError",
    "TraceStats",
    "TruncatedTraceError",
    "UnsupportedTraceError",
    "analyze_file",
    "analyze_stream",
    "iter_events",
]
