"""Every verdict reason of the bench gate, driven by real ``go test -bench`` output.

``tests/data/bench/reasons`` is a small module whose benchmarks differ
between a baseline build (no tags) and a candidate build (``-tags regress``)
in one known way each: an allocation appears in a zero-alloc benchmark, one
disappears, a benchmark is added, removed, fails on one side, reports a unit
nobody declared.  Both are run once per test session; fewer rounds are the
first rounds of the same real output.  ns/op is printed to four digits here
(about 230 ns), so two rounds can tie, and ties change which p-values a row
can reach: each side runs COUNT rounds, and the tests that count on a row's
best attainable p take the first six (or four) with no ns/op value repeated.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from pytest_goperf.bench.compare import Comparison, compare, compare_files, render_table
from pytest_goperf.bench.format import BenchFile, parse_text
from pytest_goperf.cli import main
from pytest_goperf.gates.bench import Judgement, judge
from pytest_goperf.go.toolchain import find_go

from .conftest import DATA

MODULE = DATA / "reasons"
P = "example.com/reasons/p"
COUNT = 10  # rounds per side; at 20000 x ~230 ns a round takes 5 ms, so four more cost nothing


def go_bench(out: Path, *args: str) -> str:
    toolchain = find_go()
    # 20000 iterations: B/op is total bytes / N, so a stray runtime allocation of a few kilobytes
    # in one round does not turn a zero-alloc benchmark into "0 or 2 B/op".
    proc = subprocess.run([str(toolchain.path), "test", "-run", "^$", "-benchmem", "-benchtime", "20000x", *args],
                          cwd=MODULE, env=toolchain.env(), capture_output=True, text=True, timeout=600)
    assert "\nBenchmarkSteady" in proc.stdout, proc.stdout + proc.stderr
    out.write_text(proc.stdout)
    return proc.stdout


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """old.txt (baseline), new.txt (-tags regress), COUNT rounds; plus a baseline run with another GOMAXPROCS."""
    tmp = tmp_path_factory.mktemp("reasons")
    # Exit 1 is expected: one benchmark fails on each side (that is part of what is tested).
    old = go_bench(tmp / "old.txt", "-bench", ".", "-count", str(COUNT), "./...")
    go_bench(tmp / "new.txt", "-tags", "regress", "-bench", ".", "-count", str(COUNT), "./...")
    procs = int(re.search(r"^BenchmarkSteady-(\d+)\s", old, re.MULTILINE).group(1))  # type: ignore[union-attr]
    go_bench(tmp / "other_machine.txt", "-bench", "Steady|ZeroToAlloc", "-cpu", str(procs + 1), "-count", "6", "./p")
    return {"old": tmp / "old.txt", "new": tmp / "new.txt", "other": tmp / "other_machine.txt"}


def first_rounds(path: Path, rounds: int, header: str = "", only_pkg: str | None = None,
                 taken: set[tuple[str, str, str]] | None = None) -> BenchFile:
    """The same real output with only each benchmark's first ``rounds`` results (go test -count runs them in a row).

    With ``taken``, a result whose ns/op value is already in it (for its benchmark) is passed over, and the
    values kept are added to it: two calls sharing one set give samples with no value on both sides or twice.
    """
    seen: dict[tuple[str, str], int] = {}
    pkg = ""
    kept = [header] if header else []
    for line in path.read_text().splitlines():
        if line.startswith("pkg: "):
            pkg = line
        if only_pkg is not None and pkg != f"pkg: {only_pkg}":
            continue
        fields = line.split()
        if line.startswith("Benchmark") and len(fields) > 2:
            key = (pkg, fields[0])
            if seen.get(key, 0) >= rounds:
                continue
            if taken is not None:
                if (*key, fields[2]) in taken:
                    continue
                taken.add((*key, fields[2]))
            seen[key] = seen.get(key, 0) + 1
        kept.append(line)
    return parse_text("\n".join(kept) + "\n", str(path))


def tie_free(outputs: dict[str, Path], rounds: int) -> Comparison:
    """old vs new, each the first ``rounds`` results per benchmark whose ns/op value neither side holds yet."""
    taken: set[tuple[str, str, str]] = set()
    return compare(first_rounds(outputs["old"], rounds, taken=taken), first_rounds(outputs["new"], rounds, taken=taken))


def judged(cmp: Comparison, **kwargs: object) -> Judgement:
    return judge(cmp, old_label="old.txt", new_label="new.txt", **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def full(outputs: dict[str, Path]) -> Judgement:
    """6+6 rounds with no tie: nine rows that can all reach p <= 0.05/9, whichever values this run printed."""
    return judged(tie_free(outputs, 6), max_regression="1000%")


def test_zero_alloc_benchmark_that_gains_an_allocation_fails_whatever_max_regression(full: Judgement) -> None:
    bytes_row = full.verdicts[(P, "ZeroToAlloc" + _suffix(full), "B/op")]
    allocs_row = full.verdicts[(P, "ZeroToAlloc" + _suffix(full), "allocs/op")]
    assert bytes_row.failed and re.search(r"regressed from 0 to \d+ B/op", bytes_row.message), bytes_row.message
    assert allocs_row.failed and "regressed from 0 to 1 allocs/op" in allocs_row.message
    assert allocs_row.figures["from_zero"] is True and allocs_row.figures["delta_pct"] is None
    assert "unknown whether higher or lower" not in allocs_row.message


def test_zero_candidate_is_an_improvement_and_counts_for_min_improvement(outputs: dict[str, Path]) -> None:
    cmp = compare_files(outputs["old"], outputs["new"])
    j = judged(cmp, max_regression="1000%", min_improvement="50%", units=["B/op"])
    sfx = _suffix(j)
    row = j.verdicts[(P, "AllocToZero" + sfx, "B/op")]
    assert row.passed and "-100.00%" in row.message
    assert j.verdicts[(P, "ZeroToAlloc" + sfx, "B/op")].failed  # a regression never meets min_improvement


def test_zero_on_both_sides_passes_with_no_allocations(full: Judgement) -> None:
    sfx = _suffix(full)
    for unit in ("B/op", "allocs/op"):
        v = full.verdicts[(P, "Steady" + sfx, unit)]
        assert v.passed and "no allocations on either side" in v.message, v.message
        assert (P, "Steady" + sfx, unit) not in full.family  # constant rows leave the Holm family


def test_every_skip_reason_says_what_happened(full: Judgement, outputs: dict[str, Path]) -> None:
    sfx = _suffix(full)
    v = full.verdicts
    added = v[(P, "Added" + sfx, "sec/op")]
    assert added.skipped and "new in the candidate: no such benchmark in the baseline old.txt" in added.message
    removed = v[(P, "Removed" + sfx, "sec/op")]
    assert removed.skipped and "not in the candidate new.txt (removed or renamed?)" in removed.message
    broken_base = v[(P, "ReadsTestdata" + sfx, "sec/op")]
    assert broken_base.skipped and f"BenchmarkReadsTestdata failed in {outputs['old']}" in broken_base.message
    assert "open testdata/missing.json: no such file or directory" in broken_base.message
    widgets = v[(P, "Widgets" + sfx, "widgets/op")]
    assert widgets.skipped and "declare it with 'Unit widgets/op better=higher'" in widgets.message
    # The rows beside them are judged: the family is not voided by one broken benchmark.
    for name in ("Steady", "Widgets"):
        row = v[(P, name + sfx, "sec/op")]
        assert row.passed and (P, name + sfx, "sec/op") in full.family, row.message


def test_a_benchmark_the_change_breaks_fails_its_rows(full: Judgement) -> None:
    broken = full.verdicts[(P, "FailsInCandidate" + _suffix(full), "sec/op")]
    assert broken.failed and "the benchmark failed in the candidate" in broken.message
    assert "broken by the change" in broken.message


def test_too_few_rounds_is_skipped_and_nothing_judged_is_not_green(outputs: dict[str, Path]) -> None:
    q = "example.com/reasons/q"
    cmp = compare(first_rounds(outputs["old"], 3, only_pkg=q), first_rounds(outputs["new"], 3, only_pkg=q))
    j = judged(cmp)
    steady = j.verdicts[(q, "Steady" + _suffix(j), "sec/op")]
    assert steady.skipped and "3+3 samples can never reach p <= 0.05" in steady.message
    assert "need >= 4 per side" in steady.message
    assert j.verdicts[(q, "Steady" + _suffix(j), "B/op")].passed  # 0 -> 0 is judged whatever the count
    unjudged = judged(cmp, units=["sec/op"]).unjudged("reasons")
    assert unjudged is not None and unjudged.failed and "too few runs" in unjudged.message


def test_rows_that_can_be_significant_alone_but_not_together_are_skipped_loudly(outputs: dict[str, Path]) -> None:
    # 4+4 distinct values can reach p = 0.0286 alone, above the 0.025 two such rows need together.  A tie
    # would be another reason (tested in test_gate): four rounds of each side with no value repeated.
    j = judged(tie_free(outputs, 4), units=["sec/op"])
    steady = j.verdicts[(P, "Steady" + _suffix(j), "sec/op")]
    assert steady.figures.get("skip_reason") == "family", steady.message
    assert steady.skipped and "could each reach p <= 0.05 alone but not together" in steady.message
    assert j.family == () and any("cannot be significant together" in a for a in j.alerts)


def test_pooling_two_packages_is_refused(outputs: dict[str, Path]) -> None:
    cmp = compare_files(outputs["old"], outputs["new"], split="none")
    steady = judged(cmp, units=["sec/op"]).verdicts[("", "Steady" + _suffix_of(cmp), "sec/op")]
    assert steady.skipped and "refused" in steady.message and "vary in pkg" in steady.message


def test_gomaxprocs_suffix_pairs_with_a_warning_or_is_refused(outputs: dict[str, Path]) -> None:
    paired = compare_files(outputs["other"], outputs["new"], pair_procs=True)
    j = judged(paired, max_regression="1000%", units=["sec/op"])
    sfx = _suffix(j)
    steady = j.verdicts[(P, "Steady" + sfx, "sec/op")]
    assert not steady.skipped and any("GOMAXPROCS differs" in w for w in steady.warnings)
    assert any("GOMAXPROCS differs between the sides" in a for a in j.alerts)
    refused = judged(compare_files(outputs["other"], outputs["new"]), units=["sec/op"])
    never = refused.verdicts[(P, "Steady" + sfx, "sec/op")]
    assert never.skipped and "names never pair" in never.message and "-GOMAXPROCS suffix" in never.message
    assert refused.unjudged("reasons") is not None


def test_assume_exact_zero_to_one_fails_without_significance(outputs: dict[str, Path]) -> None:
    header = "Unit allocs/op assume=exact"
    cmp = compare(first_rounds(outputs["old"], 2, header), first_rounds(outputs["new"], 2, header))
    j = judged(cmp, units=["allocs/op"])
    row = j.verdicts[(P, "ZeroToAlloc" + _suffix(j), "allocs/op")]
    assert row.failed and "from 0 to 1 allocs/op" in row.message and "assume=exact" in row.message


def test_compare_prints_benchstat_question_mark_and_json_flags_from_zero(
        outputs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    cmp = compare_files(outputs["old"], outputs["new"])
    line = next(ln for ln in render_table(cmp).splitlines() if ln.startswith("ZeroToAlloc") and "allocs" not in ln
                and "?" in ln)
    assert re.search(rf"\? \(p=0\.\d+ n={COUNT}\)", line), line
    assert main(["compare", str(outputs["old"]), str(outputs["new"]), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    zero = next(r for r in rows if r["benchmark"].startswith("ZeroToAlloc") and r["unit"] == "B/op")
    assert zero["delta_pct"] is None and zero["from_zero"] is True and zero["pkg"] == P


def test_compare_exits_1_when_nothing_could_be_judged(outputs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", str(outputs["other"]), str(outputs["new"]), "--max-regression", "5%"])
    err = capsys.readouterr().err
    assert code == 1 and "no benchmark row could be judged" in err


def _suffix(j: Judgement) -> str:
    """The -GOMAXPROCS suffix this machine's runs carry (``-2`` on a 2-core runner)."""
    name = next(k[1] for k in j.verdicts if k[1].startswith("Steady"))
    return name[len("Steady"):]


def _suffix_of(cmp: Comparison) -> str:
    name = next(r.benchmark for r in cmp.rows if r.benchmark.startswith("Steady"))
    return name[len("Steady"):]

