"""bench.baseline: file:<old.txt> compares a saved output against fresh candidate rounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..helpers import EXAMPLE

YAML = f"""\
service: {{name: filebase, module: {EXAMPLE}}}
bench: {{packages: [.], bench: HandleRequest/small, count: 3, benchtime: 50x, baseline: "file:OLD", candidate: pgo}}
thresholds:
  bench: {{max_regression: 5%, units: [allocs/op]}}
"""


def test_file_baseline_and_its_errors(pytester: pytest.Pytester, tmp_path: Path) -> None:
    # A saved baseline claiming 5 allocs/op: the real 58 allocs/op is a significant regression.
    saved = tmp_path / "old.txt"
    saved.write_text("pkg: example.com/go-service\n" + "".join(
        f"BenchmarkHandleRequest/small-2 \t 100\t 8000 ns/op\t 8000 B/op\t {5 + i % 2} allocs/op\n" for i in range(6)))
    yaml = pytester.path / "goperf.yaml"
    yaml.write_text(YAML.replace('OLD', str(saved)))
    art = str(pytester.path / "art")
    result = pytester.runpytest("--goperf", str(yaml), "--goperf-artifacts", art)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*bench?HandleRequest/small-2 allocs/op?*", "*note: baseline is the file*"])
    assert (Path(art) / "filebase" / "old.txt").read_text() == saved.read_text()

    yaml.write_text(YAML.replace("OLD", str(tmp_path / "missing.txt")))
    missing = pytester.runpytest("--goperf", str(yaml), "--goperf-artifacts", art)
    missing.stdout.fnmatch_lines(["*bench.baseline: */missing.txt does not exist*"])


ENCODE = """package enc

import (
	"testing"
	"time"
)

var sum uint64

func work() {
	h := uint64(14695981039346656037)
	for i := 0; i < 30000; i++ { // about 30 µs: 5-digit ns/op values, so 8 of them rarely tie
		h ^= uint64(i)
		h *= 1099511628211
	}
	sum += h
}

func BenchmarkEncode(b *testing.B) {
	for i := 0; i < b.N; i++ {
		start := time.Now()
		work()
		_ = start // SLOW
	}
}

func BenchmarkDecode(b *testing.B) {
	for i := 0; i < b.N; i++ {
		work()
	}
}
"""


def test_baseline_from_another_machine_pairs_loudly_or_fails_the_service(pytester: pytest.Pytester,
                                                                           tmp_path: Path) -> None:
    """Issue 9, story 2: a file: baseline recorded with another GOMAXPROCS (Encode-8 against this runner's
    Encode-2) pairs with a loud warning and catches a 3x slowdown; with gomaxprocs_mismatch: refuse nothing
    pairs, and the service gets a failing test that says why instead of going green.  And a family too big
    for its count is said aloud in the terminal summary, not passed quietly."""
    import subprocess

    from pytest_goperf.go.toolchain import find_go

    go = find_go()
    module = tmp_path / "enc"
    module.mkdir()
    (module / "go.mod").write_text("module example.com/enc\n\ngo 1.22\n")
    (module / "enc_test.go").write_text(ENCODE)

    def bench(*args: str) -> str:
        proc = subprocess.run([str(go.path), "test", "-run", "^$", "-bench", ".", "-benchmem", *args],
                              cwd=module, env=go.env(), capture_output=True, text=True, timeout=600, check=True)
        return proc.stdout

    here = int(bench("-benchtime", "1x").split("BenchmarkEncode-")[1].split()[0])
    laptop = bench("-cpu", str(here + 6), "-count", "6", "-benchtime", "2000x")
    assert f"BenchmarkEncode-{here + 6} " in laptop
    saved = tmp_path / "laptop.txt"
    saved.write_text(laptop)
    (module / "enc_test.go").write_text(ENCODE.replace("_ = start // SLOW", "spent := time.Since(start)\n"
                                                       "\t\tfor time.Since(start) < spent*3 {\n\t\t}"))
    yaml = module / "goperf.yaml"
    base = (f"service: {{name: enc}}\nbench: {{packages: [.], benchtime: 2000x, baseline: 'file:{saved}', "
            "candidate: worktree MODE}\nthresholds:\n  bench: {max_regression: 50%, units: [sec/op]}\n")
    art = str(tmp_path / "art")
    yaml.write_text(base.replace(" MODE", ""))
    paired = pytester.runpytest("--goperf", str(yaml), "--goperf-artifacts", art, "-rA")
    paired.stdout.fnmatch_lines(["*WARNING: enc: GOMAXPROCS differs between the sides*",
                                 f"*FAILED*bench?Encode-{here} sec/op?*"])
    # sec/op only: 2000 iterations of 30 µs leave B/op at 0 or 2 bytes by chance, a tie no test can split
    paired.assert_outcomes(failed=1, passed=1)  # Encode sec/op 3x slower; Decode unchanged

    yaml.write_text(base.replace(" MODE", ", gomaxprocs_mismatch: refuse"))
    refused = pytester.runpytest("--goperf", str(yaml), "--goperf-artifacts", art, "-rA")
    refused.assert_outcomes(failed=1, skipped=4)  # the -8 rows only in the file, the -2 rows only here
    refused.stdout.fnmatch_lines(["*no benchmark row could be judged*never pair*", "*FAILED*::enc::bench *"])

    # 4 + 4 runs: each sec/op row could reach p <= 0.05 alone (best 0.029), two together cannot.
    four = tmp_path / "laptop4.txt"
    four.write_text(bench("-cpu", str(here + 6), "-count", "4", "-benchtime", "2000x"))
    yaml.write_text(base.replace(str(saved), str(four)).replace(" MODE", ", count: 4"))
    small = pytester.runpytest("--goperf", str(yaml), "--goperf-artifacts", art, "-rA")
    small.assert_outcomes(failed=1, skipped=2)
    small.stdout.fnmatch_lines(["*WARNING: enc: 2 of 2 bench rows cannot be significant together*raise bench.count to 5*",
                                "*FAILED*::enc::bench *"])


def test_a_count_that_can_never_reach_alpha_is_a_config_error(pytester: pytest.Pytester) -> None:
    (pytester.path / "go.mod").write_text("module x\n\ngo 1.22\n")
    pytester.makefile(".yaml", goperf="bench: {count: 3, baseline: 'git:HEAD', candidate: worktree}\n"
                                      "thresholds: {bench: {}}\n")
    result = pytester.runpytest("--goperf", "goperf.yaml")
    result.stdout.fnmatch_lines(["*goperf.yaml:1: bench.count: bench.count 3 can never reach p <= 0.05*"
                                 "the smallest count that can is 4*"])
    result.stdout.no_fnmatch_line("*Traceback*")
