"""Child processes as the plugin runs them: own process group, stopped as a group, logs read from the end.

Shared by everything that starts a process (services, benchmark rounds, the
load generator, tunnels), so each stops the same way on errors and Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any


_TAIL_BLOCK = 1 << 16
TAIL_MAX_BYTES = 1 << 20   # a tail never costs more than this, however long its lines


def tail_lines(path: Path, n: int, *, max_bytes: int = TAIL_MAX_BYTES) -> str:
    """The last ``n`` lines of a log, read backwards from its end.

    Time and memory depend on ``n`` and the line lengths, never on the log's
    size: a 1 GB service log costs what a 1 kB one does.  At most ``max_bytes``
    are read; a longer tail is cut at its start.
    """
    if n <= 0:
        return ""
    try:
        with path.open("rb") as fh:
            end = fh.seek(0, os.SEEK_END)
            pos, data = end, b""
            # n lines need n newlines before them (the last line may end with one too).
            while pos > 0 and data.count(b"\n") <= n and end - pos < max_bytes:
                step = min(_TAIL_BLOCK, pos, max_bytes - (end - pos))
                pos -= step
                fh.seek(pos)
                data = fh.read(step) + data
    except OSError:
        return ""
    lines = data.rstrip(b"\n").split(b"\n")
    if pos > 0:
        lines = lines[1:]  # the first piece is part of a longer line
    return b"\n".join(lines[-n:]).decode("utf-8", "replace")


def group_pids(pgid: int) -> list[int]:
    """Processes in process group ``pgid`` (Linux /proc), the leader first."""
    pids = [pgid]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == pgid:
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and fields[2] == str(pgid):
            pids.append(int(entry.name))
    return pids


def kill_group(proc: subprocess.Popen[Any], grace: float) -> None:
    """Stop a process started with ``start_new_session=True`` and everything in its group."""
    pgid = proc.pid
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(pgid, signal.SIGKILL)  # stragglers in the group, or the process itself
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:  # pragma: no cover - unkillable (D state)
        pass
