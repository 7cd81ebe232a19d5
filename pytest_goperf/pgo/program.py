"""Is a profile of this program at all?  Answered from the sources, before any build.

A profile copied from another service builds fine and changes nothing, so
it must be caught by reading, not by a failing build.  ``go list -deps``
names every package the main package links (and, listed once per toolchain
and kept, ``go/std_packages.py``, every standard package); the main package's own function names come from its
source files.  A profile's *own* frames are those of the program rather than
of Go itself: functions of packages with a dotted module path, and of
``main``.  Such a frame is *known* when its package is one of this main
module's packages (or, for ``main``, the function is declared in the main
package; ``main.main`` and ``main.init`` exist in every program and prove
nothing).  ``known_share`` is the share of the own-code weight on samples
with at least one known frame; a profile whose own code is almost all
unknown is of another program.  After the build, ``symbols`` makes the
finer cut (the stale share).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.errors import BuildError
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.pprof.model import Profile

ANOTHER_PROGRAM_BELOW = 0.10   # under 10 % of the own-code weight recognisable: another program
_GENERIC = re.compile(r"\[[^\[\]]*\]")
_FUNC = re.compile(r"^func\s+(\w+)\s*[\[(]", re.MULTILINE)
_METHOD = re.compile(r"^func\s*\(\s*(?:\w+\s+)?\*?\s*(\w+)\s*(?:\[[^\]]*\])?\s*\)\s*(\w+)\s*[\[(]", re.MULTILINE)
_EVERY_PROGRAM = frozenset({"main", "init"})


@dataclass(frozen=True)
class ProgramShape:
    """What ``go list`` says about the main package and what it links."""

    import_path: str                 # the main package's import path
    std: frozenset[str]
    own: frozenset[str]              # packages of the main module (the main package included)
    deps: frozenset[str]             # every non-standard package linked
    main_names: frozenset[str]       # "f" and "T.M" declared in the main package


@dataclass(frozen=True)
class Identity:
    """How much of a profile's own code this program has."""

    own_weight: int
    known_weight: int
    unknown_examples: tuple[str, ...]

    @property
    def known_share(self) -> float | None:
        return self.known_weight / self.own_weight if self.own_weight else None

    @property
    def another_program(self) -> bool:
        share = self.known_share
        return share is not None and share < ANOTHER_PROGRAM_BELOW


def program_shape(go: GoToolchain, module: Path, main: str, flags: Sequence[str] = (),
                  gowork: str | None = None) -> ProgramShape:
    """``go list -deps`` of the main package in ``module``, and the standard library's packages (cached)."""
    from pytest_goperf.go.std_packages import std_packages

    target = main if main.startswith(".") else f"./{main}"
    fmt = ("{{.ImportPath}}\t{{.Standard}}\t{{.Name}}\t{{if .Module}}{{.Module.Main}}{{end}}\t{{.Dir}}\t"
           "{{join .GoFiles \"|\"}}")
    env = go.env()
    if gowork is not None:
        env["GOWORK"] = gowork
    cmd = [str(go.path), "list", "-e", "-deps", *flags, "-f", fmt, target]
    try:
        out = subprocess.run(cmd, cwd=module, env=env, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"'{' '.join(cmd)}' failed: {exc}") from None
    if out.returncode != 0:
        raise BuildError(f"'{' '.join(cmd)}' failed in {module}: {(out.stderr + out.stdout).strip()}")
    std: set[str] = set(std_packages(go, module, flags))   # GOWORK changes no standard package
    own: set[str] = set()
    deps: set[str] = set()
    main_dir = (module / main).resolve()
    import_path = ""
    names: set[str] = set()
    for line in out.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) != 6:
            continue
        path, standard, name, is_main_module, folder, files = parts
        if standard == "true":
            std.add(path)
            continue
        deps.add(path)
        if is_main_module == "true":
            own.add(path)
        if folder and Path(folder).resolve() == main_dir:
            import_path = path
            if name == "main":
                names = _declared(Path(folder), [f for f in files.split("|") if f])
    return ProgramShape(import_path=import_path, std=frozenset(std), own=frozenset(own), deps=frozenset(deps),
                        main_names=frozenset(names))


def _declared(folder: Path, files: Sequence[str]) -> set[str]:
    names: set[str] = set()
    for file in files:
        try:
            src = (folder / file).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        names.update(_FUNC.findall(src))
        names.update(f"{t}.{m}" for t, m in _METHOD.findall(src))
    return names


def plain_name(name: str) -> str:
    """A function name without its type arguments (``slices.Sort[go.shape.[]int]`` -> ``slices.Sort``)."""
    prev = None
    while prev != name:
        prev, name = name, _GENERIC.sub("", name)
    return name


def package_of(name: str, known: frozenset[str] | set[str]) -> str | None:
    """The package of a pprof function name that is in ``known`` (longest match), else None."""
    plain = plain_name(name)
    slash = plain.rfind("/")
    best = None
    for i in range(slash + 1, len(plain)):
        if plain[i] == "." and plain[:i] in known:
            best = plain[:i]
    return best


def _main_decl(name: str) -> tuple[str, ...]:
    """Candidate declarations for a ``main.`` function: ``main.(*T).M`` -> ("T.M", "T"), ``main.f.func1`` -> ("f.func1", "f")."""
    rest = plain_name(name)[len("main."):]
    m = re.match(r"\(\*(\w+)\)\.(\w+)", rest)
    if m is not None:
        return (f"{m.group(1)}.{m.group(2)}",)
    parts = rest.split(".")
    return (".".join(parts[:2]), parts[0]) if len(parts) > 1 else (parts[0],)


def identify(profile: Profile, shape: ProgramShape, value_index: int) -> Identity:
    """How much of the profile's own-code weight this program recognises (see the module doc)."""
    verdicts: dict[str, bool | None] = {}   # function name -> known / unknown own code / not own code (None)

    def classify(name: str) -> bool | None:
        if name in verdicts:
            return verdicts[name]
        result: bool | None
        if name.startswith("main."):
            decl = _main_decl(name)
            result = None if decl[-1] in _EVERY_PROGRAM else any(d in shape.main_names for d in decl)
        elif package_of(name, shape.own) is not None:
            result = True
        elif package_of(name, shape.std) is not None or package_of(name, shape.deps) is not None:
            result = None            # Go's own code, or a library this program shares with others
        else:
            plain = plain_name(name)
            result = False if "/" in plain and "." in plain.split("/", 1)[0] else None  # a module path: another program's
        verdicts[name] = result
        return result

    own = known = 0
    unknown: dict[str, int] = {}
    for smp in profile.samples:
        seen = [classify(ln.function.name) for i in smp.location_ids for ln in profile.locations[i].lines
                if ln.function.name]
        if not any(v is not None for v in seen):
            continue
        w = smp.values[value_index]
        own += w
        if any(v is True for v in seen):
            known += w
        else:
            for i in smp.location_ids:
                for ln in profile.locations[i].lines:
                    if verdicts.get(ln.function.name) is False:
                        unknown[ln.function.name] = unknown.get(ln.function.name, 0) + w
    examples = tuple(n for n, _ in sorted(unknown.items(), key=lambda kv: -kv[1])[:3])
    return Identity(own_weight=own, known_weight=known, unknown_examples=examples)
