"""The bench gate's user stories (issues 9, 10, 11) on real modules, git repositories and `go test -bench` rounds.

One library module, committed, then changed in the work tree the way a pull
request changes it; ``pytest --goperf`` runs ``git:HEAD`` against the work
tree exactly as a user would (in a subprocess), and the JUnit report says how
every row ended.  Injected effects are far above the noise: a 3x slowdown
(busy-waiting twice the real work's time) and a new 48-byte allocation.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

WORK = """
var sum uint64

// work is a fixed amount of allocation-free CPU work (a few hundred nanoseconds).
func work() {
	h := uint64(14695981039346656037)
	for i := 0; i < 300; i++ {
		h ^= uint64(i)
		h *= 1099511628211
	}
	sum += h
}
"""

PKG_A = """package a

import "testing"

var sink []byte
""" + WORK + """
func BenchmarkParse(b *testing.B) {
	for i := 0; i < b.N; i++ {
		work()
	}
}

func BenchmarkEncode(b *testing.B) {
	for i := 0; i < b.N; i++ {
		work()
	}
}

func BenchmarkZero(b *testing.B) {
	for i := 0; i < b.N; i++ {
		work()
	}
}
"""

PKG_B = """package b

import (
	"testing"
	"time"
)
""" + WORK + """
func BenchmarkParse(b *testing.B) {
	for i := 0; i < b.N; i++ {
		work()
	}
}
""" + "".join(f"""
func BenchmarkOp{i}(b *testing.B) {{
	for i := 0; i < b.N; i++ {{
		work()
	}}
}}
""" for i in range(4, 8)) + """
var _ = time.Now
"""

SLOW_PARSE = """func BenchmarkParse(b *testing.B) {
	for i := 0; i < b.N; i++ {
		start := time.Now()
		work()
		spent := time.Since(start)
		for time.Since(start) < spent*3 {
		}
	}
}
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                   check=True, capture_output=True)


def commit_all(repo: Path) -> None:
    """A new repository in ``repo`` with everything in it committed: the ``git:HEAD`` of the stories."""
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")


@dataclass
class Run:
    outcomes: dict[str, str]   # test name -> passed / failed / skipped
    messages: dict[str, str]   # test name -> failure or skip text
    stdout: str


def run_gate(yaml: Path, art: Path, *extra: str) -> Run:
    junit = art.parent / f"{art.name}.xml"
    proc = subprocess.run([sys.executable, "-m", "pytest", "--goperf", str(yaml), "--goperf-artifacts", str(art),
                           f"--junitxml={junit}", "-p", "no:cacheprovider", "-rA", *extra],
                          cwd=yaml.parent, capture_output=True, text=True, timeout=900)
    outcomes: dict[str, str] = {}
    messages: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "")
        for tag in ("failure", "skipped", "error"):
            found = case.find(tag)
            if found is not None:
                outcomes[name] = "failed" if tag != "skipped" else "skipped"
                messages[name] = (found.get("message") or "") + "\n" + (found.text or "")
                break
        else:
            outcomes[name] = "passed"
    return Run(outcomes, messages, proc.stdout + proc.stderr)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Two packages that both have BenchmarkParse; b's Parse made 3x slower and a's Zero given an allocation."""
    repo = tmp_path_factory.mktemp("library")
    (repo / "go.mod").write_text("module example.com/lib\n\ngo 1.22\n")
    for pkg, src in (("a", PKG_A), ("b", PKG_B)):
        (repo / pkg).mkdir()
        (repo / pkg / f"{pkg}_test.go").write_text(src)
    # Defaults everywhere except a short benchtime: packages ./..., count 6, every unit.  A round of
    # 100,000 iterations (about 30 ms) so that one preemption on a loaded runner is not a whole round.
    (repo / "goperf.yaml").write_text(
        "service: {name: lib}\n"
        "bench: {benchtime: 100000x, baseline: 'git:HEAD', candidate: worktree}\n"
        "thresholds:\n  bench: {max_regression: 50%}\n")
    commit_all(repo)
    b_src = repo / "b" / "b_test.go"
    b_src.write_text(b_src.read_text().replace(PKG_B[PKG_B.index("func BenchmarkParse"):PKG_B.index("\nfunc BenchmarkOp4")],
                                               SLOW_PARSE))
    a_src = repo / "a" / "a_test.go"
    a_src.write_text(a_src.read_text().replace("func BenchmarkZero(b *testing.B) {\n\tfor i := 0; i < b.N; i++ {\n",
                                               "func BenchmarkZero(b *testing.B) {\n\tfor i := 0; i < b.N; i++ {\n"
                                               "\t\tsink = make([]byte, 48)\n"))
    return run_gate(repo / "goperf.yaml", repo.parent / "art-library")


def _one(run: Run, prefix: str, unit: str = "sec/op") -> str:
    found = [name for name in run.outcomes if name.startswith(prefix) and name.endswith(f" {unit}]")]
    assert len(found) == 1, (prefix, sorted(run.outcomes), run.stdout[-3000:])
    return found[0]


def test_same_benchmark_name_in_two_packages_is_two_rows(library: Run) -> None:
    """Issue 11: b's 2x-or-worse slowdown fails exactly b's row; a's row passes; nothing is pooled."""
    slowed, same = _one(library, "bench[b/Parse-"), _one(library, "bench[a/Parse-")
    assert library.outcomes[slowed] == "failed", (library.messages.get(slowed), library.stdout[-6000:])
    assert "regressed by" in library.messages[slowed] and "(example.com/lib/b)" in library.messages[slowed]
    assert library.outcomes[same] == "passed"
    assert not any("vary in pkg" in m for m in library.messages.values())


def test_unique_names_keep_their_test_ids(library: Run) -> None:
    encode = _one(library, "bench[Encode-")
    assert library.outcomes[encode] == "passed"
    assert not any(name.startswith("bench[a/Encode") for name in library.outcomes)
    assert "pkg: example.com/lib/a" in library.stdout and "pkg: example.com/lib/b" in library.stdout


def test_new_allocation_in_a_zero_alloc_benchmark_fails(library: Run) -> None:
    """Issue 10: 0 -> 48 B/op and 0 -> 1 allocs/op fail, whatever max_regression says (50% here)."""
    b_op, allocs = _one(library, "bench[Zero-", "B/op"), _one(library, "bench[Zero-", "allocs/op")
    assert library.outcomes[b_op] == "failed" and "regressed from 0 to 48 B/op" in library.messages[b_op]
    assert library.outcomes[allocs] == "failed" and "regressed from 0 to 1 allocs/op" in library.messages[allocs]


def test_eight_benchmarks_at_the_default_count_can_fail(library: Run) -> None:
    """Issue 9, story 1: 8 benchmarks x 3 units, count 6; the constant B/op and allocs/op rows leave the
    family, so the 3x slowdown is significant after Holm instead of hidden by it."""
    bench = {n: o for n, o in library.outcomes.items() if n.startswith("bench[")}
    assert len(bench) == 24, sorted(bench)
    failed = sorted(n for n, o in bench.items() if o == "failed")
    assert [n.split("-")[0] for n in failed] == ["bench[Zero", "bench[Zero", "bench[b/Parse"], failed
    assert "cannot be significant together" not in library.stdout


@pytest.fixture(scope="module")
def broken_baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    """Issue 9, story 3: a benchmark reading gitignored testdata, and a package the base commit lacks."""
    repo = tmp_path_factory.mktemp("broken")
    (repo / "go.mod").write_text("module example.com/svc\n\ngo 1.22\n")
    (repo / "a" / "testdata").mkdir(parents=True)
    (repo / "a" / "testdata" / "big.json").write_text('{"items": [1, 2, 3]}\n')
    (repo / ".gitignore").write_text("testdata/\n")
    (repo / "a" / "a_test.go").write_text("package a\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n" + WORK + """
func BenchmarkGood(b *testing.B) {
	for i := 0; i < b.N; i++ {
		work()
	}
}

func BenchmarkBig(b *testing.B) {
	data, err := os.ReadFile("testdata/big.json")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		work()
		sum += uint64(len(data))
	}
}
""")
    yaml = ("service: {name: svc}\n"
            "bench: {packages: [./a, ./c], benchtime: 20000x, baseline: 'git:HEAD', candidate: worktree COPY}\n"
            "thresholds:\n  bench: {max_regression: 50%, units: [sec/op]}\n")
    (repo / "goperf.yaml").write_text(yaml.replace(" COPY", ""))
    commit_all(repo)
    (repo / "c").mkdir()  # the pull request adds a package
    (repo / "c" / "c_test.go").write_text("package c\n\nimport \"testing\"\n" + WORK + """
func BenchmarkNew(b *testing.B) {
	for i := 0; i < b.N; i++ {
		work()
	}
}
""")
    first = run_gate(repo / "goperf.yaml", repo.parent / "art-broken")
    (repo / "goperf.yaml").write_text(yaml.replace(" COPY", ", worktree_copy: [a/testdata/big.json]"))
    second = run_gate(repo / "goperf.yaml", repo.parent / "art-broken")
    return first, second


def test_a_benchmark_broken_in_the_baseline_skips_only_its_rows(broken_baseline: tuple[Run, Run]) -> None:
    run, _ = broken_baseline
    big, good, new = _one(run, "bench[Big-"), _one(run, "bench[Good-"), _one(run, "bench[New-")
    assert run.outcomes[good] == "passed", run.stdout[-3000:]
    assert run.outcomes[big] == "skipped"
    text = run.messages[big]
    assert "BenchmarkBig failed in git:HEAD" in text and "open testdata/big.json: no such file or directory" in text
    assert "clean git worktree" in text and "no untracked or ignored files (testdata/big.json is not there)" in text
    assert "bench.worktree_copy" in text
    assert run.outcomes[new] == "skipped" and "new in the candidate: package example.com/svc/c does not exist" \
        in run.messages[new]
    assert "bench" not in run.outcomes  # something was judged: no "nothing judged" failure


def test_worktree_copy_brings_ignored_inputs_into_the_baseline(broken_baseline: tuple[Run, Run]) -> None:
    _, run = broken_baseline
    big = _one(run, "bench[Big-")
    assert run.outcomes[big] == "passed", run.messages.get(big, run.stdout[-3000:])
    assert "copied into the git:HEAD worktree (bench.worktree_copy): a/testdata/big.json" in run.stdout
