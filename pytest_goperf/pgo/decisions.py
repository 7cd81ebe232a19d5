"""What the compiler changed because of the profile, in its own words.

With ``-d=pgodebug=1`` the compiler (cmd/compile/internal/inline, Go 1.22
through 1.27, same text on each) prints, per package compiled with a profile::

    hot-callsite-thres-from-CDF=0.0859106529209622
    hot-budget check allows inlining for call main.scoreItem (cost 137) at ./process.go:87:21 in function main.transform

The second line appears for a call whose callee is too big for the normal
inlining budget (80) but fits the budget for hot call sites (2000): the
profile alone makes it inlinable.  It can appear twice for one call (once
while the caller's own cost is assessed) and does not promise the call was
inlined, so with ``-m`` the compiler's ``<pos>: inlining call to <callee>``
lines confirm it; a hot call site inlined is a position with both.  ``-m``
also prints the profile's devirtualizations (cmd/compile/internal/devirtualize)::

    ./process.go:70:14: PGO devirtualizing interface call s.Score to fnvScorer.Score

The flags go to the main module's packages only (``-gcflags=./...=``): the
count is about your code, and the standard library is not recompiled.  The
scratch build goes to the artifacts folder, so the measured binaries keep
the user's flags; the go command caches compiler output, so a repeat costs
a relink.  The scratch binary is also what ``symbols`` reads.  When the
measured binary of the same build is at hand (the plugin's pgo side), the
packages are only compiled (``go list -export``: the same compiler output,
no link, 0.2 s instead of 1.2 s warm) and that binary is read instead: the
debug flags print, they change no code.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.errors import BuildError
from pytest_goperf.go.toolchain import GoToolchain

TIMEOUT = 900.0
DEBUG = "-m -d=pgodebug=1,pgoinline=1"
_HOT = re.compile(r"^hot-budget check allows inlining for call (\S+) \(cost \d+\) at (\S+) in function (\S+)$")
_INLINED = re.compile(r"^(\S+): inlining call to (.+)$")
_DEVIRT = re.compile(r"^(\S+): PGO devirtualizing (?:interface|function) call (\S+) to (\S+)$")
_THRESHOLD = re.compile(r"^hot-callsite-thres-from-CDF=(\S+)$")


@dataclass(frozen=True)
class Decision:
    """One call site the profile changed: where, in which package, what was called."""

    position: str
    package: str
    callee: str
    caller: str = ""

    def describe(self) -> str:
        return f"{self.position}: {self.callee}" + (f" in {self.caller}" if self.caller else "")


@dataclass(frozen=True)
class Decisions:
    """The profile's effect on the compiler, for the main module's packages."""

    inlined: tuple[Decision, ...]
    devirtualized: tuple[Decision, ...]
    profiled_packages: tuple[str, ...]    # packages the compiler says it compiled with the profile
    binary: Path | None                   # the scratch binary (for its function names)
    log: Path                             # the compiler's output, as printed

    @property
    def total(self) -> int:
        return len(self.inlined) + len(self.devirtualized)

    def summary(self) -> str:
        return (f"{len(self.inlined)} hot call site{'s' if len(self.inlined) != 1 else ''} inlined, "
                f"{len(self.devirtualized)} call site{'s' if len(self.devirtualized) != 1 else ''} devirtualized "
                "because of the profile")


def decision_flags(flags: Sequence[str]) -> list[str]:
    """``flags`` plus the debug flags for the main module's packages, keeping the user's own compiler flags.

    The go command applies the last ``-gcflags`` whose pattern matches a
    package, so the user's pattern-less (command-line packages), ``all`` or
    ``./...`` value is repeated in ours; any other pattern keeps its own packages.
    """
    out = list(flags)
    user = ""
    i = 0
    while i < len(out):
        name, eq, value = out[i].partition("=")
        if name in ("-gcflags", "--gcflags"):
            if not eq and i + 1 < len(out):
                value = out[i + 1]
                i += 1
            pattern, sep, rest = value.partition("=")
            if not sep or pattern.startswith("-"):
                user = value
            elif pattern in ("all", "./..."):
                user = rest
        i += 1
    return [*out, f"-gcflags=./...={f'{user} {DEBUG}'.strip()}"]


def parse_decisions(text: str, binary: Path | None, log: Path) -> Decisions:
    """Decisions from the compiler's printed output (see the module doc)."""
    package = ""
    hot: dict[str, Decision] = {}
    inlined_at: set[str] = set()
    devirt: dict[str, Decision] = {}
    profiled: list[str] = []
    for line in text.splitlines():
        if line.startswith("# "):
            package = line[2:].strip()
            continue
        if _THRESHOLD.match(line):
            if package not in profiled:
                profiled.append(package)
            continue
        m = _HOT.match(line)
        if m is not None:
            callee, pos, caller = m.groups()
            hot.setdefault(f"{package}|{pos}", Decision(pos, package, callee, caller))
            continue
        m = _DEVIRT.match(line)
        if m is not None:
            pos, call, target = m.groups()
            devirt.setdefault(f"{package}|{pos}", Decision(pos, package, f"{call} -> {target}"))
            continue
        m = _INLINED.match(line)
        if m is not None:
            inlined_at.add(f"{package}|{m.group(1)}")
    inlined = tuple(d for key, d in hot.items() if key in inlined_at)
    return Decisions(inlined=inlined, devirtualized=tuple(devirt.values()), profiled_packages=tuple(profiled),
                     binary=binary, log=log)


def compiler_decisions(go: GoToolchain, module: Path, main: str, profile: Path, out_dir: Path, *,
                       flags: Sequence[str] = (), gowork: str | None = None, command: bool = True,
                       built: Path | None = None) -> Decisions:
    """Build ``main`` with ``profile`` and the debug flags into ``out_dir``; read what the compiler did.

    ``command`` False (a library as the "main" package of a bench-only
    config) builds its test binary instead, so there is a binary to read.
    ``built``: the binary of ``main`` already built with this profile and these flags; then nothing is
    linked and the decisions name it.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    target = main if main.startswith(".") else f"./{main}"
    listed = False
    if built is not None and command:
        binary, listed = built, True
        cmd = [str(go.path), "list", "-export", "-f", "{{.Export}}", f"-pgo={profile}", *decision_flags(flags),
               target]
    else:
        binary = out_dir / ("decisions.bin" if command else "decisions.test")
        verb = ["build"] if command else ["test", "-c"]
        cmd = [str(go.path), *verb, f"-pgo={profile}", *decision_flags(flags), "-o", str(binary), target]
    env = go.env()
    if gowork is not None:
        env["GOWORK"] = gowork
    try:
        out = subprocess.run(cmd, cwd=module, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise BuildError(f"PGO decisions: '{' '.join(cmd)}' did not finish in {TIMEOUT:.0f}s") from None
    except OSError as exc:
        raise BuildError(f"PGO decisions: cannot run {go.path}: {exc}") from None
    text = out.stderr if listed else out.stderr + out.stdout   # go list prints export paths
    log = out_dir / "decisions.txt"
    log.write_text(f"$ {' '.join(cmd)}\n{text}", encoding="utf-8")
    if out.returncode != 0:
        raise BuildError(f"PGO decisions: the scratch build with {profile} failed (exit {out.returncode}) in {module}; "
                         f"its output is in {log}:\n{text.strip()[-2000:]}")
    return parse_decisions(text, binary if binary.is_file() else None, log)
