"""Errors for unreadable execution traces; each carries the byte offset where reading failed."""

from __future__ import annotations

from pytest_goperf.errors import InputError


class TraceError(InputError):
    """A trace file cannot be read; ``offset`` is the byte where the problem was found."""

    def __init__(self, message: str, *, path: str | None = None, offset: int | None = None) -> None:
        where = path or "trace"
        if offset is not None:
            where = f"{where} at byte {offset}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.offset = offset
        self.reason = message


class UnsupportedTraceError(TraceError):
    """The file is a trace, but in a format this reader does not handle (Go 1.21 and older)."""


class TruncatedTraceError(TraceError):
    """The file ends in the middle of a batch or generation."""
