"""SIGTERM handled as Ctrl-C while a goperf session runs.

Why: CI runners cancel a job with SIGTERM (then SIGKILL after a grace
period).  Python's default action for SIGTERM ends the interpreter at once:
no ``finally``, no atexit, so services and load generators, which run in
their own process groups, were left running, and no report was written.
Raising KeyboardInterrupt instead takes the Ctrl-C path: every context
manager stops its processes, pytest reports "interrupted" and the JSON,
JUnit and other reports are written for what finished.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

_previous: Any = None


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"{signal.Signals(signum).name} received")


def install() -> None:
    """Route SIGTERM to KeyboardInterrupt, unless someone else already handles it (or not the main thread)."""
    global _previous
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return
    _previous = signal.signal(signal.SIGTERM, _raise_interrupt)


def uninstall() -> None:
    """Put back the handler found by ``install`` (the default action)."""
    global _previous
    if _previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _previous)
        _previous = None
