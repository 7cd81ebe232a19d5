"""Prove that a built binary has exactly the PGO mode its side asked for, on every Go from 1.22 on.

Two kinds of evidence, strongest first:

1. The build info (``go version -m``) line ``build -pgo=<file>``.  The go
   command writes it only into build info the package loader created for a
   main package on the command line, so it is present for service binaries
   (``go build``) on every version, for test binaries of a *main* package up to
   Go 1.26, and never for test binaries of a library package.  Go 1.27
   regenerates the test main's build info after adding the test imports
   (cmd/go/internal/load/test.go), and ``setBuildInfo`` never writes ``-pgo``
   (only ``setPGOProfilePath`` does, for the loaded packages), so 1.27 test
   binaries lack the line although the profile is applied.
2. Where the line is missing, the compiler's own word: the same build again
   with ``-gcflags=-d=pgodebug=1`` (into a scratch file, so the measured
   binary keeps the user's flags).  The compiler prints
   ``hot-callsite-thres-from-CDF=`` once per package it compiles with a
   profile (cmd/compile/internal/inline, PGOInlinePrologue), and the go
   command replays that output from its build cache, so the check costs a
   relink, not a rebuild.

A side built with ``-pgo=off`` must not record a profile; the explicit flag on
the command line cannot be overridden by GOFLAGS, so no compiler run is needed.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.errors import BuildError
from pytest_goperf.go.toolchain import GoToolchain

CHECK_TIMEOUT = 900.0
# pgoinline=1: a user's -d=pgoinline=0 would silence the line we look for (the profile still applies).
DEBUG_FLAGS = "-d=pgodebug=1,pgoinline=1"
MARKER = "hot-callsite-thres-from-CDF="


@dataclass(frozen=True)
class Rebuild:
    """How a binary was built, so the compiler can be asked about it: go <verb> <flags> <target> in cwd."""

    verb: tuple[str, ...]          # ("build",) or ("test", "-c")
    flags: tuple[str, ...]         # the -pgo flag and service.build_flags, as given
    target: str                    # main package or import path
    cwd: Path
    gowork: str | None = None      # GOWORK the build ran with (None: inherited)


def recorded_pgo(go: GoToolchain, binary: Path) -> tuple[str, str | None]:
    """``go version -m`` text of ``binary`` and the profile it records (None when there is no -pgo line)."""
    cmd = [str(go.path), "version", "-m", str(binary)]
    out = subprocess.run(cmd, cwd=binary.parent, env=go.env(), capture_output=True, text=True,
                         timeout=120, check=False)
    if out.returncode != 0:
        raise BuildError(f"'{' '.join(cmd)}' failed: {(out.stderr + out.stdout).strip()}")
    return out.stdout, recorded_profile(out.stdout)


def _same_profile(used: str, profile: Path, *, trimmed: bool) -> bool:
    """Whether the recorded ``-pgo`` value names ``profile``.

    Under ``-trimpath`` Go records only the file's base name (cmd/go's
    load package), so ``default.pgo`` is all there is to compare.
    """
    if trimmed and "/" not in used and "\\" not in used:
        return used == profile.name
    return Path(used).resolve() == profile.resolve()


def recorded_profile(buildinfo: str) -> str | None:
    """The ``build -pgo=<file>`` value of ``go version -m`` text (unquoted as Go quotes it), None if absent."""
    return _unquote(build_setting(buildinfo, "-pgo") or "") or None


def build_setting(buildinfo: str, key: str) -> str | None:
    """The raw value of the ``build <key>=<value>`` line of ``go version -m`` text, None if absent.

    Line by line rather than one regular expression: a lazy ``(.+?)\\s*$`` is
    quadratic on a long line of blanks, and the text comes from a binary.
    """
    for line in buildinfo.splitlines():
        word, _, rest = line.strip().partition("\t")
        if word != "build":
            word, _, rest = line.strip().partition(" ")
        if word != "build":
            continue
        setting = rest.strip()
        if setting.startswith(key + "="):
            return setting[len(key) + 1:]
    return None


def _unquote(value: str) -> str:
    """Undo Go's strconv.Quote of a build setting value holding blanks or quotes (BuildInfo.String)."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value[1:-1]
        return decoded if isinstance(decoded, str) else value
    return value


def with_pgodebug(flags: Sequence[str]) -> list[str]:
    """``flags`` with the compiler's PGO debug output switched on for the packages on the command line.

    The last pattern-less ``-gcflags`` (the one that applies to command-line
    packages) is extended; otherwise a new one is appended, which, as the last
    match, takes over those packages only in the scratch build.
    """
    out = list(flags)
    for i in range(len(out) - 1, -1, -1):
        name, eq, value = out[i].partition("=")
        if name not in ("-gcflags", "--gcflags"):
            continue
        at = i if eq else i + 1
        if not eq:
            if at >= len(out):
                break
            value = out[at]
        if value == "" or value.lstrip().startswith("-"):
            merged = f"{value} {DEBUG_FLAGS}".strip()
            out[at] = f"{name}={merged}" if eq else merged
            return out
        break
    return [*out, f"-gcflags={DEBUG_FLAGS}"]


def compiler_evidence(go: GoToolchain, rebuild: Rebuild) -> list[str]:
    """Compiler lines proving a profile was applied, from a scratch rebuild with pgodebug on ([] if none)."""
    with tempfile.TemporaryDirectory(prefix="goperf-pgo-check-") as scratch:
        cmd = [str(go.path), *rebuild.verb, *with_pgodebug(rebuild.flags),
               "-o", str(Path(scratch) / "evidence.bin"), rebuild.target]
        env = go.env()
        if rebuild.gowork is not None:
            env["GOWORK"] = rebuild.gowork
        try:
            out = subprocess.run(cmd, cwd=rebuild.cwd, env=env, capture_output=True, text=True,
                                 timeout=CHECK_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise BuildError(f"PGO check: '{' '.join(cmd)}' did not finish in {CHECK_TIMEOUT:.0f}s") from None
    if out.returncode != 0:
        raise BuildError(f"PGO check rebuild failed (exit {out.returncode}) in {rebuild.cwd}:\n$ {' '.join(cmd)}\n"
                         f"{(out.stderr + out.stdout).strip()}")
    evidence: list[str] = []
    header = ""
    for line in (out.stderr + out.stdout).splitlines():
        if line.startswith("# "):
            header = line[2:]
        elif line.startswith(MARKER):
            evidence.append(f"{header}: {line}")
    return evidence


def verify_pgo(go: GoToolchain, binary: Path, profile: Path | None, label: str,
               rebuild: Rebuild | None = None) -> str:
    """Check ``binary`` was built with exactly ``profile`` (None: without PGO); return the evidence text.

    ``rebuild`` says how it was built; without it a missing build-info line is
    an error (no other evidence can be gathered).
    """
    info, used = recorded_pgo(go, binary)
    if profile is None:
        if used is not None:
            raise BuildError(f"side '{label}': {binary} was built with -pgo={used} "
                             "but this side must be built without PGO")
        return info
    if used is not None:
        if not _same_profile(used, profile, trimmed=build_setting(info, "-trimpath") == "true"):
            raise BuildError(f"side '{label}': {binary} used PGO profile {used}, expected {profile}")
        return info
    lines = compiler_evidence(go, rebuild) if rebuild is not None else []
    if not lines:
        how = (f"its build info has no -pgo line and 'go {' '.join(rebuild.verb)}' with -gcflags={DEBUG_FLAGS} "
               "shows no package compiled with a profile" if rebuild is not None else "its build info has no -pgo line")
        raise BuildError(f"side '{label}': {binary} was built without a PGO profile although {profile} was given "
                         f"({how}); check GOFLAGS and service.build_flags for a -pgo flag")
    note = (f"# {binary.name}: {go.version} records no -pgo line for this binary; the compiler confirms "
            f"profile {profile} (rebuilt with -gcflags={DEBUG_FLAGS}):")
    return "\n".join([info.rstrip("\n"), note, *(f"#   {line}" for line in lines)]) + "\n"
