"""Where the numbers were measured: Go version, GOOS/GOARCH, CPU, GOMAXPROCS, commit.

Why it is in every report: a result without the machine and toolchain
behind it cannot be compared with the next one.  Every probe is best
effort: a missing ``git`` or ``go`` leaves its key out, it never fails a run.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_goperf.errors import GoperfError


def cpu_model() -> str | None:
    """The CPU's model name as the kernel reports it (what ``go test`` prints as ``cpu:``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def git_commit(folder: Path) -> str | None:
    """HEAD of the git tree ``folder`` is in, or None outside one."""
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) >= 40 else None


def go_environment() -> dict[str, str]:
    """``go_version``, ``goos``, ``goarch`` of the toolchain goperf uses (empty when there is none)."""
    from pytest_goperf.go.toolchain import find_go

    try:
        go = find_go()
    except GoperfError:
        return {}
    out = {"go_version": go.version}
    try:
        env = subprocess.run([str(go.path), "env", "GOOS", "GOARCH"], capture_output=True, text=True, timeout=30,
                             env=go.env(), check=False)
    except (OSError, subprocess.TimeoutExpired):
        return out
    values = env.stdout.split()
    if env.returncode == 0 and len(values) == 2:
        out["goos"], out["goarch"] = values
    return out


def environment(folder: Path, bench_config: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The run's environment; ``bench_config`` (goos/goarch/cpu lines of a benchmark file) wins where given."""
    env: dict[str, Any] = {**go_environment()}
    env["cpu"] = cpu_model()
    env["cpus"] = os.cpu_count()
    env["gomaxprocs"] = os.environ.get("GOMAXPROCS") or os.cpu_count()
    env["hostname"] = platform.node()
    env["python"] = platform.python_version()
    for key in ("goos", "goarch", "cpu"):
        if bench_config and bench_config.get(key):
            env[key] = bench_config[key]
    commit = git_commit(folder)
    if commit:
        env["commit"] = commit
    return {k: v for k, v in env.items() if v not in (None, "")}
