"""Run ``pytest --goperf`` as a user does and read back what the user sees.

Each fault module writes several goperf.yaml files into one folder and runs
one session over them (a fault per service), so the matrix costs a few
pytest start-ups, not one per case.  The sections of the output are split by
pytest's ``___ title ___`` banners: one per failing test or collection error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "faults"


@dataclass(frozen=True)
class Session:
    folder: Path
    returncode: int
    output: str
    sections: dict[str, str]   # banner title ("svc::gate", "ERROR collecting x.yaml") -> text under it

    def section(self, title: str) -> str:
        assert title in self.sections, f"no section {title!r}; have {sorted(self.sections)}\n{self.output[-3000:]}"
        return self.sections[title]


_GOPERF = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--goperf", "--goperf-artifacts", "art",
           "-o", "addopts="]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}, **(extra or {})}


def run_goperf(folder: Path, *args: str, timeout: float = 300, env: dict[str, str] | None = None) -> Session:
    """``python -m pytest --goperf`` over every *.goperf.yaml in ``folder``, artifacts in folder/art."""
    proc = subprocess.run([*_GOPERF, *args], cwd=folder, env=_env(env), capture_output=True, text=True,
                          timeout=timeout, check=False)
    out = proc.stdout + proc.stderr
    return Session(folder, proc.returncode, out, split_sections(out))


def run_goperf_concurrently(folder: Path, groups: list[list[str]], *args: str, timeout: float = 300) -> Session:
    """One ``pytest --goperf`` per group of goperf.yaml files in ``folder``, all at once, read back as one session.

    For fault cases whose outcome no timing changes: the sessions wait on their
    services (start-ups, deadlines, grace periods) more than they use the CPU.
    Artifacts land in folder/art as with ``run_goperf``; the output is each
    session's in turn, and the return code the highest.  On a timeout every
    session is killed.
    """
    procs = [subprocess.Popen([*_GOPERF, *args, *files], cwd=folder, env=_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for files in groups]
    try:
        out = "".join(p.communicate(timeout=timeout)[0] for p in procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return Session(folder, max(p.returncode for p in procs), out, split_sections(out))


def split_sections(out: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    key: str | None = None
    for line in out.splitlines():
        if line.startswith("___") and line.endswith("___"):
            key = line.strip("_ ").strip()
            sections[key] = ""
        elif line.startswith("=") and key is not None:
            key = None
        elif key is not None:
            sections[key] += line + "\n"
    return sections
