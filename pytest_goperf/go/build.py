"""Build one side of a comparison: the service binary and its test binaries.

A side is a source tree plus a PGO mode.  ``pgo-off`` builds with
``-pgo=off``; ``pgo`` builds the service with ``-pgo=auto`` (Go then uses
``default.pgo`` in the *main package's* directory) and the test binaries with
that same profile given explicitly, because for ``go test -c`` of a library
package ``-pgo=auto`` would look in the library's own folder and silently
build without a profile.  Every binary is checked (go/pgo_check.py): a PGO
side whose binary shows no profile, neither in its build info nor in the
compiler's own output, or an off side whose binary names one, is an error,
never a silent pass.  Before the first build, go.mod / go.work are checked
against the toolchain (go/gomod.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.errors import BuildError
from pytest_goperf.go.gomod import check_requirements
from pytest_goperf.go.layout import check_layouts, goflags_ldflags, layout_seeds, with_layout
from pytest_goperf.go.link_cache import LinkCache
from pytest_goperf.go.pgo_check import Rebuild, verify_pgo
from pytest_goperf.go.process import kill_group
from pytest_goperf.go.toolchain import GoToolchain

BUILD_TIMEOUT = 900.0
PGO_FILE = "default.pgo"


class RunningGo:
    """The go processes of builds running side by side (go/build_pair.py): an interrupt must stop all of them.

    After ``stop``, a go process still being started is killed as it registers.
    """

    def __init__(self) -> None:
        self._procs: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()
        self._stopped = False

    def add(self, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            self._procs.add(proc)
            if self._stopped:
                _kill_go(proc)

    def discard(self, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            self._procs.discard(proc)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for proc in self._procs:
                if proc.poll() is None:
                    _kill_go(proc)


def _kill_go(proc: subprocess.Popen[str]) -> None:
    """Kill a go command with its compile and link children (its own process group, _stream): killing go
    alone leaves them running."""
    kill_group(proc, 0.0)


@dataclass(frozen=True)
class Side:
    """What to build: a label for reports, the module folder to build in, and the PGO mode."""

    label: str            # "pgo-off", "pgo", "worktree", "git:<ref>"
    module: Path          # folder with go.mod (for git sides: inside the temporary worktree)
    main: str             # main package, relative to module
    pgo: str              # "off" | "required" (must find default.pgo) | "auto" (use it if present)
    gowork: str | None = None  # GOWORK for this side's go commands ("off" for git: baselines); None: inherit
    # Test binaries built with -trimpath: the sides of a git: comparison are checkouts in different folders,
    # and Go writes the folder into the binary (file names, the -pgo path); their lengths move code and data,
    # so the same commit measured 6 % apart.  Trimmed, the same source links the same bytes.
    trimpath: bool = False

    @property
    def main_dir(self) -> Path:
        return (self.module / self.main).resolve()

    def profile(self) -> Path | None:
        """The PGO profile this side builds with, or None; raises when one is required but absent."""
        if self.pgo == "off":
            return None
        candidate = self.main_dir / PGO_FILE
        if candidate.is_file():
            return candidate
        if self.pgo == "required":
            from pytest_goperf.pgo.placement import stray_profiles

            strays = stray_profiles(self.module, self.main_dir)
            found = (f" There is one at {strays[0]}, where no build reads it: git mv {strays[0]} {candidate}."
                     if strays else "")
            raise BuildError(
                f"side '{self.label}': no {PGO_FILE} in the main package directory {self.main_dir} "
                f"(Go's -pgo=auto looks there, not at the module root).{found} Capture one with "
                "'pytest --goperf --goperf-update-pgo' (or "
                f"'curl -o {candidate} http://<debug-addr>/debug/pprof/profile?seconds=30' under load), "
                "or set bench.candidate: worktree"
            )
        return None

    def checked_profile(self) -> Path | None:
        """``profile()``, refused before any build when the file is not a CPU profile go build can use.

        go build would fail with a terse parser message (a heap or goroutine
        profile, a cut-off download) or silently ignore it (an empty file).
        """
        profile = self.profile()
        if profile is not None:
            from pytest_goperf.pgo.facts import read_facts
            from pytest_goperf.errors import InputError

            try:
                facts = read_facts(profile)
            except InputError as exc:
                raise BuildError(f"side '{self.label}': {exc}") from None
            if facts.samples == 0:
                raise BuildError(f"side '{self.label}': {profile} holds no CPU samples (the service was idle while "
                                 "profiled): go build would ignore it and build without PGO. Profile the service "
                                 "under load: pytest --goperf --goperf-update-pgo, or goperf pgo refresh --from URL")
        return profile


@dataclass(frozen=True)
class TestBinary:
    package: str          # import path
    directory: Path       # where go test would run it (the package folder)
    binary: Path
    layouts: tuple[Path, ...] = ()  # bench.layouts: the same binary linked with -randlayout seeds 1, 2, ...

    def for_round(self, round_no: int) -> Path:
        """The layout round ``round_no`` (from 1) runs: every side runs the same one in a round (go/layout.py)."""
        every = (self.binary, *self.layouts)
        return every[(round_no - 1) % len(every)]


@dataclass(frozen=True)
class BuiltSide:
    side: Side
    profile: Path | None
    service_binary: Path | None
    test_binaries: tuple[TestBinary, ...]
    buildinfo: Path       # `go version -m` of every binary, the evidence of the PGO mode
    notes: tuple[str, ...] = ()  # toolchain remarks worth a line in the report (go.mod toolchain lines)


def _run_go(go: GoToolchain, args: Sequence[str], cwd: Path, what: str, gowork: str | None = None,
            progress: Callable[[str], None] | None = None, running: RunningGo | None = None) -> str:
    """Run one go command; its ``go: downloading <module> <version>`` lines go to ``progress`` as they come."""
    cmd = [str(go.path), *args]
    env = go.env()
    if gowork is not None:
        env["GOWORK"] = gowork
    try:
        code, stdout, stderr = _stream(cmd, cwd, env, progress or (lambda _line: None), running)
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what}: '{' '.join(cmd)}' did not finish in {BUILD_TIMEOUT:.0f}s (in {cwd})") from None
    except OSError as exc:
        raise BuildError(f"{what}: cannot run {go.path}: {exc}") from None
    if code != 0:
        raise BuildError(
            f"{what} failed (exit {code}) in {cwd}:\n$ {' '.join(cmd)}\n{(stderr + stdout).strip()}"
        )
    return stdout


def _stream(cmd: list[str], cwd: Path, env: dict[str, str], progress: Callable[[str], None],
            running: RunningGo | None = None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr), reading stderr line by line so module downloads show while they happen."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True)
    if running is not None:
        running.add(proc)
    assert proc.stdout is not None and proc.stderr is not None
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()) if proc.stdout else None, daemon=True)
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        _kill_go(proc)

    # A daemon, started inside the try: a Ctrl-C or SIGTERM that lands in Thread.start() (which waits for the
    # thread) must still kill go, and must not leave a timer that keeps Python from exiting for BUILD_TIMEOUT.
    timer = threading.Timer(BUILD_TIMEOUT, kill)
    timer.daemon = True
    err: list[str] = []
    try:
        reader.start()
        timer.start()
        for line in proc.stderr:
            err.append(line)
            if line.startswith("go: downloading "):
                progress(line.strip())
        proc.wait()
        reader.join()
    finally:
        timer.cancel()
        if proc.poll() is None:
            _kill_go(proc)
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        if running is not None:
            running.discard(proc)
    if expired.is_set():
        raise subprocess.TimeoutExpired(cmd, BUILD_TIMEOUT)
    return proc.returncode, "".join(chunks), "".join(err)


def _pgo_flag(profile: Path | None, *, auto: bool) -> str:
    if profile is None:
        return "-pgo=off"
    return "-pgo=auto" if auto else f"-pgo={profile}"


def list_test_packages(go: GoToolchain, module: Path, patterns: Sequence[str], flags: Sequence[str] = (),
                       gowork: str | None = None,
                       progress: Callable[[str], None] | None = None) -> list[tuple[str, Path]]:
    """Packages matching ``patterns`` that have test files, as (import path, folder)."""
    out = _run_go(go, ["list", *flags, "-json=ImportPath,Dir,TestGoFiles,XTestGoFiles", *patterns], module,
                  f"go list {' '.join(patterns)}", gowork, progress)
    found: list[tuple[str, Path]] = []
    for blob in _json_stream(out):
        if blob.get("TestGoFiles") or blob.get("XTestGoFiles"):
            found.append((str(blob["ImportPath"]), Path(str(blob["Dir"]))))
    return found


def _json_stream(text: str) -> list[dict[str, object]]:
    decoder = json.JSONDecoder()
    items: list[dict[str, object]] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return items
        obj, pos = decoder.raw_decode(text, pos)
        items.append(obj)


def _binary_name(import_path: str, index: int) -> str:
    return f"{index:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', import_path.rsplit('/', 1)[-1])}.test"


def _check_command(binary: Path, main: str, module: Path) -> None:
    """``go build -o`` of a library package succeeds and writes an archive; say so instead of failing later."""
    with open(binary, "rb") as f:
        if f.read(8) == b"!<arch>\n":
            raise BuildError(f"service.main '{main}' in {module} is a library package, not package main, so it "
                             "builds no program to start; set service.main to the folder of the command "
                             "(the package main with func main) that runs the service")


def build_side(
    go: GoToolchain,
    side: Side,
    out_dir: Path,
    *,
    service_name: str,
    build_flags: Sequence[str] = (),
    bench_packages: Sequence[str] | None = None,
    build_service: bool = True,
    progress: Callable[[str], None] | None = None,
    running: RunningGo | None = None,
    link_cache: LinkCache | None = None,
    layouts: int = 1,
) -> BuiltSide:
    """Build the service binary (if asked) and one test binary per package with tests into ``out_dir``.

    ``progress`` gets Go's ``go: downloading ...`` lines while modules are fetched on first use;
    ``running`` (go/build_pair.py) holds the go processes of builds running side by side;
    ``link_cache`` (go/link_cache.py) seeds each binary with the last one, so Go skips an unneeded link;
    ``layouts`` (``bench.layouts``, go/layout.py) links each test binary that many ways.
    """
    def linked(kind: str, target: str, dest: Path, args: list[str], what: str) -> None:
        slot = None
        if link_cache is not None:
            slot = link_cache.slot(str(go.path), go.version, str(side.module.resolve()), side.label, kind, target)
            link_cache.seed(slot, dest)
        _run_go(go, args, side.module, what, side.gowork, progress, running)
        if link_cache is not None and slot is not None:
            link_cache.keep(slot, dest)

    out_dir.mkdir(parents=True, exist_ok=True)
    if bench_packages:
        check_layouts(go, layouts)
    profile = side.checked_profile()
    if any(f.startswith("-pgo") for f in build_flags):
        raise BuildError(f"service.build_flags must not set -pgo ({' '.join(build_flags)}): the side '{side.label}' chooses it")
    notes = check_requirements(go, side.module, side.gowork)
    evidence: list[str] = [f"# side {side.label}: profile {profile or 'none (-pgo=off)'}; {go.describe()}"]
    if side.gowork is not None:
        evidence.append(f"# GOWORK={side.gowork}")
    service_binary = None
    if build_service:
        service_binary = out_dir / service_name
        main_pkg = side.main if side.main.startswith(".") else f"./{side.main}"
        flags = (_pgo_flag(profile, auto=True), *build_flags)
        linked("build", main_pkg, service_binary, ["build", *flags, "-o", str(service_binary), main_pkg],
               f"building service '{service_name}' ({side.label})")
        _check_command(service_binary, side.main, side.module)
        evidence.append(verify_pgo(go, service_binary, profile, side.label,
                                   Rebuild(("build",), flags, main_pkg, side.module, side.gowork)))
    tests: list[TestBinary] = []
    inherited: str | None = None      # GOFLAGS' -ldflags, read once for the layout variants
    trim = ("-trimpath",) if side.trimpath else ()
    if bench_packages:
        packages = list_test_packages(go, side.module, bench_packages, build_flags, side.gowork, progress)
        if not packages:
            raise BuildError(f"side '{side.label}': no package matching {' '.join(bench_packages)} in {side.module} "
                             "has test files; set bench.packages to the packages with Benchmark functions")
        for index, (import_path, directory) in enumerate(packages):
            binary = out_dir / "tests" / _binary_name(import_path, index)
            binary.parent.mkdir(parents=True, exist_ok=True)
            flags = (_pgo_flag(profile, auto=False), *trim, *build_flags)
            linked("test", import_path, binary, ["test", "-c", *flags, "-o", str(binary), import_path],
                   f"building test binary for {import_path} ({side.label})")
            evidence.append(verify_pgo(go, binary, profile, side.label,
                                       Rebuild(("test", "-c"), flags, import_path, side.module, side.gowork)))
            shuffled: list[Path] = []
            if layouts > 1 and inherited is None:
                inherited = goflags_ldflags(go, side.module)
            for seed in layout_seeds(layouts):
                # Only the link differs (the linker flag is in no compile's key): the PGO evidence above holds.
                variant = binary.with_name(f"{binary.name}.layout{seed}")
                vflags = (_pgo_flag(profile, auto=False), *trim, *with_layout(build_flags, seed, inherited or ""))
                linked(f"test-layout{seed}", import_path, variant, ["test", "-c", *vflags, "-o", str(variant), import_path],
                       f"linking test binary for {import_path} with -randlayout={seed} ({side.label})")
                evidence.append(f"# {variant.name}: {binary.name} linked with -randlayout={seed} (bench.layouts)")
                shuffled.append(variant)
            tests.append(TestBinary(package=import_path, directory=directory, binary=binary, layouts=tuple(shuffled)))
    buildinfo = out_dir / "buildinfo.txt"
    buildinfo.write_text("\n".join(evidence) + "\n", encoding="utf-8")
    return BuiltSide(side=side, profile=profile, service_binary=service_binary,
                     test_binaries=tuple(tests), buildinfo=buildinfo, notes=tuple(notes))
