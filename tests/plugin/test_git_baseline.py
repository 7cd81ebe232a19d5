"""git:<ref> against the working tree: an unchanged tree passes, a real 3x slowdown fails.

The slowdown is real Go code: the handler spins until it has spent 3x the
time the real work took, so the injected regression is +200 % on any machine.
It has to be far above the noise: on a loaded 2-core runner the rounds of
this benchmark spread by +-75 %, and a 20 % slowdown once read as -5 %.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ..helpers import EXAMPLE

GOPERF_YAML = """\
service: {name: shop}
bench: {packages: [.], bench: HandleRequest/large, count: 8, benchtime: 100ms, baseline: "git:HEAD", candidate: worktree}
thresholds:
  bench: {max_regression: 5%, units: [sec/op]}
"""

SLOWDOWN = """\
package main

import (
	"net/http"
	"time"
)

// handleProcess is handleProcessFast plus twice its time of busy-waiting.
func handleProcess(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	handleProcessFast(w, r)
	spent := time.Since(start)
	for time.Since(start) < spent*3 {
	}
}
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                   check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo / "svc", ignore=shutil.ignore_patterns("goperf.yaml"))
    (repo / "svc" / "goperf.yaml").write_text(GOPERF_YAML)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    return repo


def test_git_head_vs_worktree(pytester: pytest.Pytester, repo: Path) -> None:
    art = str(repo.parent / "art")
    def run(yaml: Path = repo / "svc" / "goperf.yaml") -> pytest.RunResult:
        return pytester.runpytest("--goperf", str(yaml), "--goperf-artifacts", art, "-rA")
    process = repo / "svc" / "process.go"

    # 1. the tree as committed, measured interleaved against HEAD: an A/A run that passes
    #    (interleaving is what keeps drift between runs from reading as a regression).  At alpha 0.05 an
    #    A/A row fails 2.5 % of the time by design (p < 0.05 and the 5 % side), so the test's own false-alarm
    #    rate is cut to 0.05 % with alpha 0.001 (8+8 rounds reach p = 0.00016), in a YAML file outside the
    #    module so that the tree still has no changes.
    aa = repo.parent / "aa" / "goperf.yaml"
    aa.parent.mkdir()
    aa_text = (GOPERF_YAML.replace("{name: shop}", f"{{name: shop, module: '{repo / 'svc'}'}}")
               .replace("units: [sec/op]}", "units: [sec/op], alpha: 0.001}"))
    assert "alpha: 0.001" in aa_text and "module: " in aa_text, "GOPERF_YAML changed: update the A/A edits"
    aa.write_text(aa_text)
    unchanged = run(aa)
    unchanged.assert_outcomes(passed=1)
    unchanged.stdout.fnmatch_lines(["*no changes against git:HEAD*A/A*",
                                    "*both sides' test binaries are byte-identical (1 package(s))*"])
    # The two checkouts live in different folders, which untrimmed binaries record (file names, the -pgo
    # path): the same commit then linked 6 % apart (a fresh CI run failed here).  Trimmed, the same bytes.
    binaries = sorted((repo.parent / "art" / "shop").glob("*/tests/*.test"))
    assert [b.parent.parent.name for b in binaries] == ["git-HEAD", "worktree"]
    assert binaries[0].read_bytes() == binaries[1].read_bytes()

    # 2. an uncommitted 3x slowdown against HEAD, re-measured (never the cached measurements): caught
    process.write_text(process.read_text().replace("func handleProcess(", "func handleProcessFast("))
    (repo / "svc" / "slowdown.go").write_text(SLOWDOWN)
    slowed = run()
    slowed.assert_outcomes(failed=1)
    slowed.stdout.fnmatch_lines([
        "*building git-HEAD*",
        "*HandleRequest/large-2 sec/op regressed by *% (lower is better), threshold 5.00%*",
    ])
    assert "reusing" not in slowed.stdout.str() and "byte-identical" not in slowed.stdout.str()
    assert "handleProcessFast" in process.read_text()  # the user's checkout is untouched
    assert not list((repo.parent / "art" / "shop").glob("worktrees/git-*"))

    # 3. reusing old measurements is an explicit opt-in, warned about on every use
    yaml = repo / "svc" / "goperf.yaml"
    yaml.write_text(yaml.read_text().replace("candidate: worktree}", "candidate: worktree, reuse_baseline: true}"))
    reused = run()
    reused.assert_outcomes(failed=1)
    reused.stdout.fnmatch_lines(["*WARNING: bench.reuse_baseline: true: reusing the measurements cached for git:HEAD*"])


def test_unknown_ref_is_a_clear_error(pytester: pytest.Pytester, repo: Path) -> None:
    yaml = repo / "svc" / "goperf.yaml"
    yaml.write_text(GOPERF_YAML.replace("git:HEAD", "git:no-such-branch"))
    result = pytester.runpytest("--goperf", str(yaml), "--goperf-artifacts", str(repo.parent / "art"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*git:no-such-branch: no such commit, branch or tag*"])
