"""git: baselines in a two-module repository with a gitignored go.work (issue 13, item 1).

The baseline worktree must not sit inside the checkout, where Go walks up to
the checkout's go.work, which does not list the worktree's module; its builds
run with GOWORK=off unless ``service.gowork`` asks for the workspace.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from pytest_goperf.errors import BenchError
from pytest_goperf.run.baseline import git_worktree, tree_matches
from pytest_goperf.run.gate_run import create_root

from ..helpers import EXAMPLE

GOPERF_YAML = """\
service: {{name: shop{extra}}}
bench: {{packages: [.], bench: HandleRequest/small, count: 4, benchtime: 20x, baseline: "git:HEAD", candidate: worktree}}
thresholds:
  bench: {{max_regression: 90%, units: [sec/op]}}
"""

USES_LIB = ('package main\n\nimport "example.com/lib"\n\n'
            '// libName comes from a module only the workspace provides.\nvar libName = lib.Name\n')


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout


def make_repo(root: Path, *, svc_needs_lib: bool, gowork_key: str = "") -> Path:
    """repo/{svc,lib}, committed; go.work (gitignored, as the Go docs advise) uses both."""
    repo = root / "repo"
    shutil.copytree(EXAMPLE, repo / "svc", ignore=shutil.ignore_patterns("goperf.yaml"))
    (repo / "svc" / "goperf.yaml").write_text(GOPERF_YAML.format(extra=f", gowork: {gowork_key}" if gowork_key else ""))
    if svc_needs_lib:
        (repo / "svc" / "uses_lib.go").write_text(USES_LIB)
    (repo / "lib").mkdir()
    (repo / "lib" / "go.mod").write_text("module example.com/lib\n\ngo 1.22\n")
    (repo / "lib" / "lib.go").write_text('package lib\n\n// Name is what svc reads.\nconst Name = "lib"\n')
    (repo / ".gitignore").write_text("go.work\ngo.work.sum\n.goperf/\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    (repo / "go.work").write_text("go 1.22\n\nuse (\n\t./lib\n\t./svc\n)\n")
    return repo


def leftover_worktrees() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("goperf-worktree-*"))


def run_gate(pytester: pytest.Pytester, repo: Path) -> pytest.RunResult:
    """The gate as a user runs it from the checkout, artifacts in the default place inside the module."""
    return pytester.runpytest("--goperf", str(repo / "svc" / "goperf.yaml"),
                              "--goperf-artifacts", str(repo / "svc" / ".goperf"), "-rA")


def test_gitignored_go_work_does_not_break_a_git_baseline(pytester: pytest.Pytester, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOWORK", raising=False)
    repo = make_repo(tmp_path, svc_needs_lib=False)
    before = leftover_worktrees()
    result = run_gate(pytester, repo)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*no changes against git:HEAD*", "*note: baseline git:HEAD is commit *"])
    evidence = (repo / "svc" / ".goperf" / "shop" / "git-HEAD" / "buildinfo.txt").read_text()
    assert "# GOWORK=off" in evidence
    assert leftover_worktrees() == before                      # the temporary worktree is gone
    assert len(git(repo, "worktree", "list").strip().splitlines()) == 1   # and unregistered
    assert not git(repo, "status", "--porcelain")              # the checkout is untouched


def test_workspace_only_dependency_needs_gowork_auto(pytester: pytest.Pytester, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOWORK", raising=False)
    repo = make_repo(tmp_path / "off", svc_needs_lib=True)
    result = run_gate(pytester, repo)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no required module provides package example.com/lib*",
                                 "*built with GOWORK=off; if the module needs its workspace, set service.gowork: auto*"])

    repo = make_repo(tmp_path / "auto", svc_needs_lib=True, gowork_key="auto")
    result = run_gate(pytester, repo)
    result.assert_outcomes(passed=1)
    evidence = (repo / "svc" / ".goperf" / "shop" / "git-HEAD" / "buildinfo.txt").read_text()
    assert "# GOWORK=" in evidence and evidence.split("# GOWORK=")[1].split("\n")[0].endswith("/go.work")
    assert "# GOWORK=off" not in evidence
    assert not (repo / "svc" / ".goperf" / "shop" / "worktrees").exists()


def test_worktree_lies_outside_the_checkout(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, svc_needs_lib=True)
    inside = repo / "svc" / ".goperf" / "shop"
    with git_worktree(repo / "svc", "HEAD", inside, "auto") as (module, sha, gowork):
        assert (module / "uses_lib.go").is_file()
        assert not module.resolve().is_relative_to(repo.resolve())
        # the untracked go.work is copied to the same place in the baseline tree and used from there
        assert Path(gowork) == module.parent / "go.work" and Path(gowork).read_text() == (repo / "go.work").read_text()
        assert sha == git(repo, "rev-parse", "HEAD").strip()
    assert not module.exists()
    outside = tmp_path / "artifacts"                        # artifacts outside the checkout: the worktree goes there
    with git_worktree(repo / "svc", "HEAD", outside) as (module, _sha, gowork):
        assert module.is_relative_to(outside / "worktrees") and gowork == "off"
    assert not list((outside / "worktrees").iterdir())


def test_go_work_outside_the_repository_is_a_clear_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, svc_needs_lib=False)
    (repo / "go.work").unlink()
    (tmp_path / "go.work").write_text("go 1.22\n\nuse ./repo/svc\n")
    with pytest.raises(BenchError, match=r"service.gowork uses .*go.work, which is outside the repository"), \
            git_worktree(repo / "svc", "HEAD", tmp_path / "art", "auto"):
        pass


def test_a_change_outside_a_nested_module_is_no_a_a_run(tmp_path: Path) -> None:
    """go.uber.org/zap's shape: benchmarks/ is a module that builds the parent through replace ../."""
    repo = tmp_path / "zap"
    (repo / "benchmarks").mkdir(parents=True)
    (repo / "go.mod").write_text("module example.com/zap\n\ngo 1.22\n")
    (repo / "logger.go").write_text("package zap\n\nfunc Info() {}\n")
    (repo / "benchmarks" / "go.mod").write_text("module example.com/zap/benchmarks\n\ngo 1.22\n\n"
                                                "require example.com/zap v0.0.0\n\nreplace example.com/zap => ../\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    sha = git(repo, "rev-parse", "HEAD").strip()
    module = repo / "benchmarks"
    create_root(repo / ".goperf")  # the artifacts of an earlier run in the checkout
    assert (repo / ".goperf" / ".gitignore").read_text().endswith("*\n")
    assert tree_matches(module, sha)
    (repo / "logger.go").write_text("package zap\n\nfunc Info() { spin() }\n\nfunc spin() {}\n")
    assert not tree_matches(module, sha)  # the module folder is unchanged, yet its build is not
    git(repo, "checkout", "--", "logger.go")
    assert tree_matches(module, sha)
    (repo / "new.go").write_text("package zap\n")
    assert not tree_matches(module, sha)
    (repo / "new.go").unlink()
    (repo / "old-artifacts" / "zap").mkdir(parents=True)  # made by a version without the .gitignore
    (repo / "old-artifacts" / "zap" / "old.txt").write_text("")
    assert not tree_matches(module, sha)
    assert tree_matches(module, sha, repo / "old-artifacts")


def test_an_existing_artifacts_folder_is_left_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "keep").mkdir()
    create_root(tmp_path / "keep")
    assert not (tmp_path / "keep" / ".gitignore").exists()
