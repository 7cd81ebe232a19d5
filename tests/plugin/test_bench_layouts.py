"""bench.layouts: each round runs one code layout of the test binary, the same on both sides, the next one next round.

The benchmark reports where the linker put the function it measures
(``reflect.ValueOf(work).Pointer()`` as a custom metric), so the rounds in
old.txt and new.txt show which layout ran: real binaries linked by Go with
``-randlayout``, read back from real ``go test -bench`` output.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pytest_goperf.go.toolchain import find_go

from ..toolchains import OLDEST, toolchain_or_skip
from .test_bench_stories import WORK, commit_all, run_gate

ADDR = """package addr

import (
	"reflect"
	"testing"
)

var sink int

// tag is set by the test's GOFLAGS -X: every layout must keep it.
var tag = "none"

//go:noinline
func work(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i * i
	}
	return s
}

func BenchmarkWork(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink += work(50)
	}
	b.ReportMetric(float64(reflect.ValueOf(work).Pointer()), "addr")
	b.ReportMetric(float64(len(tag)), "taglen")
}
"""


def _module(root: Path, layouts: int, count: int) -> Path:
    root.mkdir()
    (root / "go.mod").write_text("module example.com/addr\n\ngo 1.22\n")
    (root / "addr_test.go").write_text(ADDR)
    (root / "goperf.yaml").write_text(
        "service: {name: addr, build_env: {GOFLAGS: '-ldflags=-X=example.com/addr.tag=seven77'}}\n"
        f"bench: {{benchtime: 1000x, count: {count}, layouts: {layouts}, baseline: 'git:HEAD', candidate: worktree}}\n"
        "thresholds:\n  bench: {max_regression: 50%, units: [sec/op], test: paired}\n")
    commit_all(root)
    return root


def _addresses(text: str) -> list[int]:
    return [int(float(m)) for m in re.findall(r"^BenchmarkWork\S*\s.*?\s(\S+) addr\s", text, re.MULTILINE)]


def test_rounds_rotate_layouts_alike_on_both_sides(tmp_path: Path) -> None:
    if find_go().version_tuple < (1, 23):
        pytest.skip(f"{find_go().version} has no -randlayout")
    # 8 rounds: a round whose two sides print the same ns/op (15.26 and 15.26) is a zero the signed-rank test
    # drops, and 6 rounds less one can never reach p <= 0.05 (a skip, and an unjudged failure of the gate).
    repo = _module(tmp_path / "repo", layouts=3, count=8)
    run = run_gate(repo / "goperf.yaml", tmp_path / "art")
    assert run.outcomes, run.stdout[-3000:]
    assert set(run.outcomes.values()) == {"passed"}, run.stdout[-3000:]  # an A/A run of a paired test
    assert "each test binary in 3 code layouts (bench.layouts)" in run.stdout
    art = tmp_path / "art" / "addr"
    old, new = _addresses((art / "old.txt").read_text()), _addresses((art / "new.txt").read_text())
    assert len(old) == len(new) == 8, (old, new)
    assert len(set(old[:3])) == 3 and old[3:6] == old[:3] and old[6:] == old[:2], old  # three layouts, again, again
    assert new == old  # the same source linked with the same seed: the same layout in each round
    # GOFLAGS' -ldflags (-X tag=seven77) reach every layout: a command-line -ldflags would otherwise replace them
    tags = re.findall(r"^BenchmarkWork\S*\s.*?\s(\S+) taglen\s", (art / "new.txt").read_text(), re.MULTILINE)
    assert [float(t) for t in tags] == [7.0] * 8, tags
    evidence = (art / "worktree" / "buildinfo.txt").read_text()
    assert evidence.count("linked with -randlayout=") == 2, evidence


def test_a_linker_without_randlayout_is_refused_before_building(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old_go = toolchain_or_skip(OLDEST)
    monkeypatch.setenv("GOPERF_GO", str(old_go.path))
    repo = _module(tmp_path / "repo", layouts=2, count=6)
    run = run_gate(repo / "goperf.yaml", tmp_path / "art")
    assert run.outcomes and set(run.outcomes.values()) == {"failed"}, run.stdout[-3000:]
    message = next(iter(run.messages.values()))
    assert f"bench.layouts: 2 links each test binary with -ldflags=-randlayout=<seed>, which the linker has from " \
           f"Go 1.23 on; {old_go.version} has none" in message, message
    assert "Traceback" not in run.stdout
    assert not list((tmp_path / "art" / "addr").glob("**/*.test")), "nothing may be built"


LEAF = 'package leaf\n\nimport "time"\n' + WORK + """
// Work is work(), made 3x slower by SLOW below.
func Work() { work() }

var _ = time.Now
"""

SLOW = """func Work() {
	start := time.Now()
	work()
	spent := time.Since(start)
	for time.Since(start) < spent*3 {
	}
}"""


def _bench(pkg: str, imports: str, call: str) -> str:
    return f"package {pkg}\n\nimport (\n\t\"testing\"\n{imports})\n\nfunc BenchmarkWork(b *testing.B) {{\n" \
           f"\tfor i := 0; i < b.N; i++ {{\n\t\t{call}\n\t}}\n}}\n"


def test_a_failing_row_of_an_untouched_package_says_what_else_moved_it(tmp_path: Path) -> None:
    """app's files are unchanged, but it calls leaf.Work, made 3x slower: app's row fails and says its own
    files are unchanged (the import or code layout moved it); leaf's own row fails without that note."""
    repo = tmp_path / "repo"
    (repo / "leaf").mkdir(parents=True)
    (repo / "app").mkdir()
    (repo / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (repo / "leaf" / "leaf.go").write_text(LEAF)
    (repo / "leaf" / "leaf_test.go").write_text(_bench("leaf", "", "Work()"))
    (repo / "app" / "app_test.go").write_text(_bench("app", '\t"example.com/m/leaf"\n', "leaf.Work()"))
    (repo / "goperf.yaml").write_text(
        "service: {name: m}\n"
        "bench: {benchtime: 100000x, count: 6, baseline: 'git:HEAD', candidate: worktree}\n"
        "thresholds:\n  bench: {max_regression: 50%, units: [sec/op]}\n")
    commit_all(repo)
    leaf = repo / "leaf" / "leaf.go"
    leaf.write_text(leaf.read_text().replace("func Work() { work() }", SLOW))
    run = run_gate(repo / "goperf.yaml", tmp_path / "art")
    app = next(n for n in run.outcomes if n.startswith("bench[app/Work-"))
    own = next(n for n in run.outcomes if n.startswith("bench[leaf/Work-"))
    assert run.outcomes[app] == run.outcomes[own] == "failed", run.stdout[-4000:]
    assert "The files of example.com/m/app are unchanged against git:HEAD (" in run.messages[app], run.messages[app]
    assert "the change reaches this benchmark through the packages it imports." in run.messages[app]
    assert "bench.layouts" not in run.messages[app]  # +200 % is no layout effect: only changes up to 20 % hint at it
    assert "are unchanged" not in run.messages[own], run.messages[own]


def test_only_a_change_the_size_of_a_layout_effect_points_at_layout(tmp_path: Path) -> None:
    """The note on recorded verdicts, against a real git repository: layout advice up to 20 %, with one layout;
    a file added to the package folder (untracked) makes it a changed package."""
    from pytest_goperf.gates import Verdict
    from pytest_goperf.run.untouched import explain_untouched

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "app.go").write_text("package app\n")
    commit_all(tmp_path)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    key = ("example.com/m/app", "Work-2", "sec/op")

    def note(delta: float, layouts: int = 1) -> str:
        verdicts = {key: Verdict.fail("regressed", {"delta_pct": delta}),
                    (key[0], key[1], "B/op"): Verdict.fail("regressed", {"delta_pct": delta})}
        out = explain_untouched(verdicts, {key[0]: tmp_path / "app"}, "HEAD", sha, layouts)
        assert out[(key[0], key[1], "B/op")].message == "regressed"  # only timing rows
        return out[key].message

    assert "code layout" in note(8.0) and "bench.layouts: 4" in note(8.0)
    assert "imports." in note(35.0) and "layout" not in note(35.0)
    assert "layout" not in note(8.0, layouts=4)
    (tmp_path / "app" / "extra.go").write_text("package app\n")
    assert note(8.0) == "regressed"


def test_a_failing_row_with_byte_identical_binaries_says_it_is_noise(tmp_path: Path) -> None:
    """A package whose test binary is the same bytes on both sides: no change reaches its benchmarks."""
    from pytest_goperf.gates import Verdict
    from pytest_goperf.run.untouched import explain_untouched, identical_binaries, identical_note

    for side, body in (("old", b"same"), ("new", b"same"), ("new2", b"diff")):
        (tmp_path / side).write_bytes(body)
    pkgs = {"example.com/m/app": tmp_path / "old", "example.com/m/lib": tmp_path / "old"}
    same = identical_binaries(pkgs, {"example.com/m/app": tmp_path / "new", "example.com/m/lib": tmp_path / "new2",
                                     "example.com/m/added": tmp_path / "new"})
    assert same == {"example.com/m/app"}
    assert identical_note(same, 3) == ("test binaries byte-identical on both sides, so no code change reaches their "
                                       "benchmarks: example.com/m/app")
    assert identical_note(same, 1) is not None and "noise" in str(identical_note(same, 1))
    assert identical_note(set(), 3) is None
    key = ("example.com/m/app", "Work-2", "B/op")
    verdicts = {key: Verdict.fail("regressed", {}), (key[0], "Other-2", "sec/op"): Verdict.ok("fine", {})}
    out = explain_untouched(verdicts, {}, "HEAD", "0" * 40, 1, same)
    assert out[key].message.startswith("regressed\nThe test binaries of example.com/m/app are byte-identical")
    assert out[key].figures["test_binary"] == "identical"
    assert out[(key[0], "Other-2", "sec/op")].message == "fine"
