"""Child processes as the plugin runs them: own process group, stopped as a group, logs read from the end.

Shared by everything that starts a process (services, benchmark rounds, the
load generator, tunnels), so each stops the same way on errors and Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import deque
from pathlib import Path
from typing import Any


def tail_lines(path: Path, n: int) -> str:
    try:
        with path.open("rb") as fh:
            lines = deque(fh, maxlen=n)
    except OSError:
        return ""
    return b"".join(lines).decode("utf-8", "replace").rstrip("\n")


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
