"""Which two sides a bench comparison runs: pgo-off/pgo, git:<ref>/worktree, file:<old.txt>.

A ``git:<ref>`` baseline is built in a temporary ``git worktree`` of that
commit, so the user's checkout is never touched.  The worktree lives outside
the checkout (the artifacts root when that is outside it, else a temporary
folder), and its builds run with ``GOWORK=off`` unless ``service.gowork``
asks for a workspace: a gitignored ``go.work`` in the checkout must not
apply to a tree it does not list.  Its benchmark output is
cached under the artifacts root keyed by commit, toolchain, flags and bench
settings; a reused baseline is announced (it was not interleaved with this
run's candidate rounds, so drift between the runs is not controlled).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from pytest_goperf.config import BenchConfig, GoperfConfig
from pytest_goperf.errors import BenchError, ConfigError
from pytest_goperf.go.build import Side
from pytest_goperf.go.gomod import workspace_file
from pytest_goperf.go.toolchain import GoToolchain


@dataclass(frozen=True)
class Plan:
    """The two sides of a comparison; ``old_file`` replaces ``old`` for file: baselines."""

    old: Side | None
    new: Side
    old_file: Path | None = None
    git_ref: str | None = None


def plan_sides(cfg: GoperfConfig) -> Plan:
    """Translate bench.baseline / bench.candidate into sides (git trees are filled in later)."""
    svc, bench = cfg.service, cfg.bench
    new = Side(label=bench.candidate, module=svc.module, main=svc.main,
               pgo="required" if bench.candidate == "pgo" else "auto")
    if bench.baseline == "pgo-off":
        # Against candidate: worktree too: the tree built as `go build` would, default.pgo or not.
        return Plan(old=Side(label="pgo-off", module=svc.module, main=svc.main, pgo="off"), new=new)
    if bench.baseline.startswith("file:"):
        old_file = (cfg.path.parent / bench.baseline[5:]).resolve()
        if not old_file.is_file():
            raise ConfigError(f"{cfg.path}: bench.baseline: {old_file} does not exist; give a go test -bench output file")
        return Plan(old=None, new=new, old_file=old_file)
    ref = bench.baseline[4:]
    return Plan(old=None, new=replace(new, trimpath=True), git_ref=ref)


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    except OSError as exc:
        raise BenchError(f"cannot run git for a git: baseline: {exc}") from None


def resolve_commit(module: Path, ref: str) -> tuple[Path, str]:
    """The repository top folder and the full commit id of ``ref``; clear errors otherwise."""
    top = _git(["rev-parse", "--show-toplevel"], module)
    if top.returncode != 0:
        raise BenchError(f"bench.baseline git:{ref}: {module} is not inside a git repository ({top.stderr.strip()})")
    sha = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], module)
    if sha.returncode != 0:
        raise BenchError(f"bench.baseline git:{ref}: no such commit, branch or tag in {top.stdout.strip()}; "
                         "check the name (a CI clone may need 'git fetch origin <ref>' or a deeper fetch)")
    return Path(top.stdout.strip()), sha.stdout.strip()


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _worktree_parent(top: Path, artifacts: Path) -> tuple[Path, bool]:
    """Where the worktree goes: (folder, is_temporary).  Never inside the checkout or another module tree."""
    if not _inside(artifacts, top) and not any(
        (p / "go.mod").is_file() or (p / "go.work").is_file() for p in (artifacts.resolve(), *artifacts.resolve().parents)
    ):
        return artifacts / "worktrees", False
    return Path(tempfile.mkdtemp(prefix="goperf-worktree-")), True


def _workspace(top: Path, tree: Path, module: Path, gowork: str, ref: str) -> str:
    """GOWORK for the baseline's builds: "off", or a go.work placed in the worktree where the checkout has it."""
    if gowork == "off":
        return "off"
    source = workspace_file(module, None if gowork == "auto" else gowork)
    if source is None:
        return "off"
    if not _inside(source, top):
        raise BenchError(f"bench.baseline git:{ref}: service.gowork uses {source}, which is outside the repository "
                         f"{top}; the baseline tree cannot map its 'use' paths. "
                         "Put go.work in the repository or set service.gowork: off")
    dest = tree / source.resolve().relative_to(top.resolve())
    if not dest.is_file():  # not committed: copy the checkout's (gitignored) go.work into the baseline tree
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        if source.with_name("go.work.sum").is_file():
            shutil.copyfile(source.with_name("go.work.sum"), dest.with_name("go.work.sum"))
    return str(dest)


@contextmanager
def git_worktree(module: Path, ref: str, artifacts: Path, gowork: str = "off") -> Iterator[tuple[Path, str, str]]:
    """A detached temporary worktree of ``ref`` outside any module tree; yields (module folder in it, commit, GOWORK)."""
    top, sha = resolve_commit(module, ref)
    rel = module.resolve().relative_to(top.resolve())
    parent, temporary = _worktree_parent(top, artifacts)
    tree = parent / f"git-{sha[:12]}"
    if tree.exists():
        _git(["worktree", "remove", "--force", str(tree)], top)
        shutil.rmtree(tree, ignore_errors=True)
    tree.parent.mkdir(parents=True, exist_ok=True)
    added = _git(["worktree", "add", "--detach", str(tree), sha], top)
    if added.returncode != 0:
        if temporary:
            shutil.rmtree(parent, ignore_errors=True)
        raise BenchError(f"bench.baseline git:{ref}: 'git worktree add' failed: {added.stderr.strip()}")
    try:
        inner = tree / rel
        if not (inner / "go.mod").is_file():
            raise BenchError(f"bench.baseline git:{ref}: commit {sha[:12]} has no go.mod at {rel}; "
                             "the module did not exist there yet, pick a later ref")
        yield inner, sha, _workspace(top, tree, module, gowork, ref)
    finally:
        _git(["worktree", "remove", "--force", str(tree)], top)
        shutil.rmtree(tree, ignore_errors=True)
        if temporary:
            shutil.rmtree(parent, ignore_errors=True)
        _git(["worktree", "prune"], top)


def cache_key(sha: str, go: GoToolchain, cfg: GoperfConfig, bench: BenchConfig) -> str:
    """What makes a cached baseline reusable: commit, Go version, flags, the bench settings and copied inputs."""
    blob = json.dumps({
        "commit": sha, "go": go.version, "main": cfg.service.main,
        "flags": [*cfg.service.build_flags, *(f"{k}={v}" for k, v in cfg.service.build_env)],   # + build_env
        "packages": bench.packages, "bench": bench.bench, "count": bench.count, "benchtime": bench.benchtime,
        "pgo": "auto", "gowork": cfg.service.gowork, "trimpath": True,
        "copied": _copy_signature(cfg.service.module, bench.worktree_copy),
        **({"layouts": bench.layouts} if bench.layouts > 1 else {}),  # keys of one-layout baselines unchanged
    }, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _copies(module: Path, patterns: tuple[str, ...]) -> list[Path]:
    """Files and folders in ``module`` matched by ``bench.worktree_copy`` patterns, in order, once each."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        for path in sorted(module.glob(pattern)):
            found.setdefault(path, None)
    return list(found)


def _copy_signature(module: Path, patterns: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """(path, size, mtime) of every copied file: a changed input invalidates a cached baseline."""
    out = []
    for top in _copies(module, patterns):
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for f in files:
            st = f.stat()
            out.append((str(f.relative_to(module)), st.st_size, st.st_mtime_ns))
    return out


def copy_inputs(module: Path, inner: Path, patterns: tuple[str, ...]) -> list[str]:
    """Copy ``bench.worktree_copy`` matches from the user's module into the baseline worktree's module.

    A clean ``git worktree`` has no untracked or ignored files; benchmarks
    that read generated or downloaded testdata need them copied in.
    Returns the relative paths copied.
    """
    copied = []
    for src in _copies(module, patterns):
        rel = src.relative_to(module)
        dst = inner / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True, symlinks=True)
        else:
            shutil.copy2(src, dst)
        copied.append(str(rel))
    return copied


def tree_matches(module: Path, sha: str, artifacts: Path | None = None) -> bool:
    """True when the whole working tree has no changes against ``sha`` (an A/A run).

    The whole repository, not the module folder: a nested module builds the
    parent's code through ``replace ../`` (go.uber.org/zap/benchmarks does),
    and a workspace through go.work, so a change outside the folder still
    reaches the candidate and the run is no A/A check.  Untracked files under
    ``artifacts`` (an artifacts root made before it carried a .gitignore) are
    the plugin's own and do not count.
    """
    diff = _git(["diff", "--quiet", sha, "--", ":/"], module)
    if diff.returncode != 0:
        return False
    untracked = _git(["ls-files", "-z", "--others", "--exclude-standard", "--", ":/"], module).stdout.split("\0")
    mine = artifacts.resolve() if artifacts is not None else None
    return all(mine is not None and (module / name).resolve().is_relative_to(mine) for name in untracked if name)

