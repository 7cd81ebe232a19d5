"""What the project's tests share that is not a fixture: paths, and the example's config as data.

Tests import from here, never from conftest.py (pytest imports conftest
itself; importing it again as a module is fragile under pytester).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "go-service"


def example_config() -> dict[str, Any]:
    """examples/go-service/goperf.yaml as a dict whose paths still work from another folder."""
    cfg: dict[str, Any] = yaml.safe_load((EXAMPLE / "goperf.yaml").read_text())
    cfg["service"]["module"] = str(EXAMPLE)
    for req in cfg.get("load", {}).get("requests", []):
        if "body_file" in req:
            req["body_file"] = str(EXAMPLE / req["body_file"])
    return cfg


# ``python -c`` runner for a pytest that Ctrl-C must interrupt: SIGINT back to Python's default first,
# because a CI job started in the background inherits SIGINT ignored, and Python then never turns it
# into KeyboardInterrupt.
_INTERRUPTIBLE = ("import signal, sys, pytest; signal.signal(signal.SIGINT, signal.default_int_handler); "
                  "sys.exit(pytest.main(sys.argv[1:]))")


def interruptible_pytest(*args: str) -> list[str]:
    """The argv of a pytest subprocess that SIGINT interrupts as in a terminal, whatever this process inherited."""
    return [sys.executable, "-c", _INTERRUPTIBLE, *args]


def processes_under(folder: Path) -> list[str]:
    """Live processes whose executable or command line lives under ``folder`` (services, generators, tests)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = (Path("/proc") / pid / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            continue
        if str(folder) in cmdline or exe.startswith(str(folder)):
            found.append(f"{pid}: {cmdline}")
    return found
