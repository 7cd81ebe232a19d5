"""Gather what the PGO diagnostics judge, in two steps: before any build, then one scratch build.

``before_build`` reads only files and ``go list``: where ``-pgo=auto``
looks, stray ``default.pgo`` files, whether the profile is a CPU profile,
its figures, and whether it is of this program.  ``after_build`` adds one
``go build -pgo=<profile>`` with the compiler's PGO report switched on (into
``out_dir``, never over the measured binaries): the decisions the profile
changed, and from that binary's function table the stale share.  The plugin
(``GateRun``) and ``goperf pgo`` share both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from pytest_goperf.errors import InputError
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.pgo.diagnose import PgoEvidence
from pytest_goperf.pgo.facts import NotACpuProfile, read_facts
from pytest_goperf.pgo.placement import PGO_FILE, is_main_folder, stray_profiles


@dataclasses.dataclass(frozen=True)
class Target:
    """What is built: module folder, main package (relative), build flags, GOWORK."""

    module: Path
    main: str = "."
    flags: tuple[str, ...] = ()
    gowork: str | None = None

    @property
    def main_dir(self) -> Path:
        return (self.module / self.main).resolve()


def before_build(go: GoToolchain, target: Target, profile: Path | None = None) -> PgoEvidence:
    """Everything knowable without compiling (``profile``: judge this file instead of the main folder's)."""
    from pytest_goperf.pgo.program import identify, program_shape

    main_dir = target.main_dir
    path = profile if profile is not None else main_dir / PGO_FILE
    ev = PgoEvidence(main_dir=main_dir, profile_path=path, go_version=go.version,
                     strays=tuple(stray_profiles(target.module, main_dir)))
    if not path.is_file():
        return dataclasses.replace(ev, problem=f"no {PGO_FILE} in the main package's folder {main_dir} "
                                               f"(go build -pgo=auto reads it there and nowhere else)")
    try:
        facts = read_facts(path)
    except NotACpuProfile as exc:
        return dataclasses.replace(ev, problem=str(exc))
    except InputError as exc:
        return dataclasses.replace(ev, problem=str(exc))
    shape = program_shape(go, target.module, target.main, target.flags, target.gowork)
    return dataclasses.replace(ev, facts=facts, identity=identify(facts.profile, shape, facts.value_index),
                               import_path=shape.import_path)


def after_build(go: GoToolchain, target: Target, ev: PgoEvidence, out_dir: Path, cache_dir: Path,
                built: Path | None = None) -> PgoEvidence:
    """``ev`` plus the compiler's decisions and the stale share, from one scratch build into ``out_dir``.

    ``built``: the main package's binary already built with this profile and ``target.flags`` (the
    plugin's pgo side); it stands for the scratch binary, so nothing is linked twice.
    """
    from pytest_goperf.pgo.decisions import compiler_decisions
    from pytest_goperf.pgo.symbols import binary_functions, staleness

    if ev.facts is None or ev.facts.samples == 0:
        return ev   # nothing go build could use: no scratch build (the findings say why)
    decisions = compiler_decisions(go, target.module, target.main, ev.profile_path, out_dir, flags=target.flags,
                                   gowork=target.gowork, command=is_main_folder(target.main_dir), built=built)
    stale = None
    if decisions.binary is not None:
        functions = binary_functions(go, decisions.binary, cache_dir)
        stale = staleness(ev.facts.profile, ev.facts.value_index, functions)
    return dataclasses.replace(ev, decisions=decisions, staleness=stale)


def gather(go: GoToolchain, target: Target, out_dir: Path, cache_dir: Path, profile: Path | None = None,
           flags: Sequence[str] | None = None) -> PgoEvidence:
    """``before_build`` then ``after_build``."""
    if flags is not None:
        target = dataclasses.replace(target, flags=tuple(flags))
    return after_build(go, target, before_build(go, target, profile), out_dir, cache_dir)
