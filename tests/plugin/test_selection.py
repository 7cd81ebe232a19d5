"""pytest habits: --lf finds a failed bench row again, and selections that exclude every bench row skip the rounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goperf.go.bench_pattern import bench_pattern_error, go_pattern_error
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.selection import keyword_may_match

from ..helpers import EXAMPLE

YAML = f"""\
service: {{name: NAME, module: {EXAMPLE}}}
bench: {{packages: [.], bench: HandleRequest/small, count: 3, benchtime: 50x, baseline: "file:OLD", candidate: pgo}}
thresholds:
  bench: {{max_regression: 5%, units: UNITS}}
"""

# A saved baseline claiming 5 allocs/op (the real handler makes ~58: a regression)
# and 1 GB/op (the real one uses a few KiB: an improvement).
OLD = "pkg: example.com/go-service\n" + "".join(
    f"BenchmarkHandleRequest/small-2 \t 100\t 8000 ns/op\t 1000000000 B/op\t {5 + i % 2} allocs/op\n" for i in range(6))


def _service(root: Path, name: str, units: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "old.txt").write_text(OLD)
    yaml = folder / "goperf.yaml"
    yaml.write_text(YAML.replace("NAME", name).replace("OLD", "old.txt").replace("UNITS", units))
    return yaml


@pytest.mark.parametrize(("expression", "may"), [
    ("cpu", True),              # a bench row could be named ...cpu...
    ("not bench", False),       # every bench item is named bench[...]
    ("bench and not svc", False),
    ("cpu and not bench", False),
    ("svc", True),
    ("not svc", False),
    ("other or (cpu and sec)", True),
])
def test_keyword_expression_against_unknown_row_names(expression: str, may: bool) -> None:
    assert keyword_may_match(expression, ["goperf.yaml", "svc", "bench"]) is may


def test_last_failed_reruns_only_the_failed_row(pytester: pytest.Pytester) -> None:
    a = _service(pytester.path, "alpha", "[allocs/op, B/op]")
    b = _service(pytester.path, "beta", "[B/op]")
    art = str(pytester.path / "art")
    first = pytester.runpytest("--goperf", str(a), str(b), "--goperf-artifacts", art)
    first.assert_outcomes(failed=1, passed=2)
    first.stdout.fnmatch_lines(["*FAILED alpha/goperf.yaml::alpha::bench?HandleRequest/small-2 allocs/op?*"])

    again = pytester.runpytest("--goperf", str(a), str(b), "--goperf-artifacts", art, "--lf")
    again.assert_outcomes(failed=1, deselected=1)
    again.stdout.fnmatch_lines(["*run-last-failure: rerun previous 1 failure*"])
    assert "goperf alpha: round 1/3" in again.stdout.str()
    assert "goperf beta: round" not in again.stdout.str()   # its rounds were not run at all


def test_deselecting_every_bench_row_skips_the_rounds(pytester: pytest.Pytester) -> None:
    a = _service(pytester.path, "alpha", "[allocs/op]")
    art = str(pytester.path / "art")
    result = pytester.runpytest("--goperf", str(a), "--goperf-artifacts", art, "-k", "not bench")
    assert "round 1/" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*goperf alpha: bench rounds not run (-k 'not bench' selects none of its bench rows)*"])
    deselect = pytester.runpytest("--goperf", str(a), "--goperf-artifacts", art,
                                  "--deselect", "alpha/goperf.yaml::alpha::bench")
    deselect.stdout.fnmatch_lines(["*bench rounds not run (--deselect alpha/goperf.yaml::alpha::bench)*"])


@pytest.mark.parametrize(("pattern", "problem"), [
    ("(?!Slow)", "invalid or unsupported Perl syntax"),
    ("HandleRequest/(small", "element 1 of -test.bench (\"(small\"): error parsing regexp: missing closing )"),
])
def test_bench_pattern_is_checked_by_go_before_any_build(pytester: pytest.Pytester, pattern: str,
                                                          problem: str) -> None:
    yaml = _service(pytester.path, "alpha", "[allocs/op]")
    yaml.write_text(yaml.read_text().replace("bench: HandleRequest/small,", f"bench: '{pattern}',"))
    result = pytester.runpytest("--goperf", str(yaml), "--goperf-artifacts", str(pytester.path / "art"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*goperf.yaml:2: bench.bench: Go refuses this -bench pattern: *{problem}*"])
    assert "building" not in result.stdout.str()


def test_patterns_of_literals_need_no_go_and_go_agrees(go: GoToolchain, tmp_path: Path) -> None:
    """The shortcut (bench_pattern.ALWAYS_VALID) skips Go's check only where Go accepts every such pattern."""
    odd = ["HandleRequest/small|large", ".", "^BenchmarkX$", "", "|", "//", "$^", "a$b^c", "||/|", "-=:,", "..|^/$"]
    for pattern in odd:
        assert bench_pattern_error(go, pattern, tmp_path / "unused") is None
        assert go_pattern_error(go, pattern, tmp_path / "cache") is None, pattern
    assert not (tmp_path / "unused").exists()   # the shortcut built nothing
    assert go_pattern_error(go, "a**", tmp_path / "cache") is not None   # and Go's check still refuses


def test_re2_patterns_python_would_refuse_are_accepted(pytester: pytest.Pytester) -> None:
    yaml = _service(pytester.path, "alpha", "[allocs/op]")
    yaml.write_text(yaml.read_text().replace("bench: HandleRequest/small,", r"bench: 'HandleRequest\z/^s\pL+\z',"))
    result = pytester.runpytest("--goperf", str(yaml), "--goperf-artifacts", str(pytester.path / "art"))
    result.assert_outcomes(failed=1)   # the allocs/op regression, judged: the pattern ran
    result.stdout.fnmatch_lines(["*bench?HandleRequest/small-2 allocs/op?*"])


def test_ini_artifacts_path_is_relative_to_the_ini_file(pytester: pytest.Pytester) -> None:
    """pytest.ini at the repo root, pytest run in a service folder (a CI step's working-directory)."""
    pytester.makeini("[pytest]\ngoperf_artifacts = perf-out\n")
    _service(pytester.path, "alpha", "[allocs/op]")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(pytester.path / "alpha")
        result = pytester.runpytest("--goperf", "goperf.yaml")
    result.assert_outcomes(failed=1)
    assert (pytester.path / "perf-out" / "alpha" / "old.txt").is_file()
    assert not (pytester.path / "alpha" / "perf-out").exists()
