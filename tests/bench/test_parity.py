"""Our statistics against benchstat itself (golang.org/x/perf, pinned).

Three levels:
* the ``benchstat -format csv`` output on every corpus pair and on real
  ``go test -bench`` output captured here: medians exactly, CI ``±%`` strings,
  p-values to the digits benchstat prints, delta strings, warnings per row;
* benchstat's library (``benchmath``) through a small Go helper: centres and CI
  bounds bit-exactly, p-values to 1e-9 relative, the same warnings;
* the median-CI order statistics for every n from 1 to 400.
"""

from __future__ import annotations

import csv
import io
import math
import random
import re
import subprocess
from pathlib import Path

import pytest

from pytest_goperf.go.toolchain import find_go

from pytest_goperf.bench.compare import Comparison, Row, compare_files, vs_base
from pytest_goperf.bench.stats import median_ci_orders, summarize
from pytest_goperf.bench.utest import mann_whitney

from .conftest import DATA, REPO

CASES = ["ties", "all_equal", "small_n", "unequal_n", "large_n", "one_side", "custom_units", "zeros", "pgo_config",
         "assume_exact"]
OUR_ONLY_WARNINGS = re.compile(r"^missing in ")
SIDE_SUFFIX = re.compile(r"^(benchmarks vary in .*) \([^()]*\)$")  # ours names the file; benchstat marks the cell


Rows = dict[tuple[str, str, str], dict[str, object]]


def run_benchstat(exe: Path, old: Path, new: Path, *extra: str) -> tuple[Rows, dict[tuple[str, str], dict[str, object]]]:
    """Rows of ``benchstat -format csv`` keyed by (pkg, unit, name), and geomeans by (pkg, unit).

    benchstat starts a new table whenever the configuration (``pkg:``) changes; the pkg comes from
    the header lines it prints above each table."""
    proc = subprocess.run([str(exe), "-format", "csv", *extra, str(old), str(new)],
                          capture_output=True, text=True, timeout=120, check=True)
    table = list(csv.reader(io.StringIO(proc.stdout)))
    rows: Rows = {}
    geo: dict[tuple[str, str], dict[str, object]] = {}
    by_line: dict[int, dict[str, object]] = {}
    unit = ""
    pkg = ""
    for lineno, cells in enumerate(table, start=1):
        if len(cells) == 1 and cells[0].startswith("pkg: "):
            pkg = cells[0][5:]
            continue
        if len(cells) > 1 and cells[0] == "" and cells[2] == "CI":
            unit = cells[1]
            continue
        if len(cells) < 2 or cells[0] == "" or ":" in cells[0] and len(cells) == 2 and cells[1] == "":
            continue
        cells = cells + [""] * (7 - len(cells))
        entry: dict[str, object] = {"old": cells[1], "old_ci": cells[2], "new": cells[3], "new_ci": cells[4],
                                    "delta": cells[5], "p": cells[6], "warnings": set()}
        if cells[0] == "geomean":
            geo[(pkg, unit)] = entry
        else:
            rows[(pkg, unit, cells[0])] = entry
        by_line[lineno] = entry
    for line in proc.stderr.splitlines():
        m = re.match(r"^[A-Z](\d+): (.*)$", line)
        if m and int(m.group(1)) in by_line:
            warnings = by_line[int(m.group(1))]["warnings"]
            assert isinstance(warnings, set)
            warnings.add(m.group(2))
    return rows, geo


def _center(text: object) -> float | None:
    return float(str(text)) if text not in ("", None) else None


def check_against_benchstat(cmp: Comparison, rows: Rows, geo: dict[tuple[str, str], dict[str, object]]) -> int:
    ours = {(r.pkg or "", r.unit, r.benchmark): r for r in cmp.rows}
    assert set(ours) == set(rows), "row sets differ"
    for key, theirs in rows.items():
        r: Row = ours[key]
        where = f"{key}"
        assert (r.old.center if r.old else None) == _center(theirs["old"]), where
        assert (r.new.center if r.new else None) == _center(theirs["new"]), where
        if r.old is not None:
            assert r.old.pct_range() == theirs["old_ci"], where
        if r.new is not None:
            assert r.new.pct_range() == theirs["new_ci"], where
        text = vs_base(r, cmp.alpha)
        if text:
            delta, _, pn = text.partition(" ")
            assert delta == theirs["delta"], where
            assert pn.strip("()") == theirs["p"], where
        else:
            assert theirs["delta"] == "" and theirs["p"] == "", where
        mine = {SIDE_SUFFIX.sub(r"\1", w) for w in r.warnings if not OUR_ONLY_WARNINGS.match(w)}
        assert mine == theirs["warnings"], where
    for g in cmp.geomeans:
        if (g.pkg or "", g.unit) not in geo:
            continue
        t = geo[(g.pkg or "", g.unit)]
        for ours_v, theirs_v in ((g.old, t["old"]), (g.new, t["new"])):
            if theirs_v:
                assert ours_v is not None and math.isclose(ours_v, float(str(theirs_v)), rel_tol=1e-12), g.unit
        if g.delta_pct is not None and t["delta"]:
            assert f"{g.delta_pct:+.2f}%" == t["delta"], g.unit
        assert set(g.warnings) == t["warnings"], g.unit
    return len(rows)


@pytest.mark.parametrize("case", CASES)
def test_corpus_matches_benchstat(benchstat: Path, case: str) -> None:
    old, new = DATA / f"{case}.old.txt", DATA / f"{case}.new.txt"
    extra = ("-ignore", "pgo") if case == "pgo_config" else ()
    rows, geo = run_benchstat(benchstat, old, new, *extra)
    assert rows, "benchstat produced no rows"
    assert check_against_benchstat(compare_files(old, new), rows, geo) == len(rows)


@pytest.mark.parametrize("old_name, new_name", [("real_old.txt", "real_new.txt"),
                                                ("real_old.txt", "noise_go_service.txt")])
def test_committed_real_output_matches_benchstat(benchstat: Path, old_name: str, new_name: str) -> None:
    """Real go test -bench output: count 6 vs 6, and 6 vs 60 (unequal n, normal approximation)."""
    old, new = DATA / old_name, DATA / new_name
    rows, geo = run_benchstat(benchstat, old, new)
    assert len(rows) == 6  # 2 benchmarks x (sec/op, B/op, allocs/op)
    check_against_benchstat(compare_files(old, new), rows, geo)


@pytest.mark.slow
def test_fresh_go_test_bench_output_matches_benchstat(benchstat: Path, tmp_path: Path) -> None:
    """Run the example service's benchmarks now (tiny benchtime) and compare both ways."""
    go = str(find_go().path)
    outs = []
    for side in ("old", "new"):
        proc = subprocess.run([go, "test", "-run", "^$", "-bench", ".", "-benchtime", "20ms", "-count", "6"],
                              cwd=REPO / "examples" / "go-service", capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        path = tmp_path / f"{side}.txt"
        path.write_text(proc.stdout)
        outs.append(path)
    rows, geo = run_benchstat(benchstat, outs[0], outs[1])
    assert len(rows) == 6 and {name.rsplit("-", 1)[0] for _, _, name in rows} == {"HandleRequest/small", "HandleRequest/large"}
    check_against_benchstat(compare_files(outs[0], outs[1]), rows, geo)


def test_two_packages_failures_and_zero_baselines_match_benchstat(benchstat: Path, tmp_path: Path) -> None:
    """Real output of tests/data/bench/reasons: two packages sharing a name (benchstat's default splits
    them into two tables, as we do), a benchmark failing on each side, rows from zero, a custom unit."""
    from .test_reasons import go_bench

    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    go_bench(old, "-bench", ".", "-count", "6", "./...")
    go_bench(new, "-tags", "regress", "-bench", ".", "-count", "6", "./...")
    rows, geo = run_benchstat(benchstat, old, new)
    assert {pkg for pkg, _, _ in rows} == {"example.com/reasons/p", "example.com/reasons/q"}
    assert check_against_benchstat(compare_files(old, new), rows, geo) == len(rows) > 20


def test_pooled_packages_match_benchstat_without_tables(benchstat: Path, tmp_path: Path) -> None:
    """--split none is benchstat -table '': one row per name across packages, with 'vary in pkg'."""
    text = "".join(f"pkg: ex.com/m/{p}\nBenchmarkParse-2 100 {1000 * k + r} ns/op\n"
                   for r in range(6) for p, k in (("a", 1), ("b", 2)))
    a, b = tmp_path / "old.txt", tmp_path / "new.txt"
    a.write_text(text)
    b.write_text(text.replace("BenchmarkParse-2 100 2", "BenchmarkParse-2 100 5"))  # package b 2.5x slower
    rows, geo = run_benchstat(benchstat, a, b, "-table", "")
    cmp = compare_files(a, b, split="none")
    assert len(rows) == 1 and check_against_benchstat(cmp, rows, geo) == 1
    assert cmp.rows[0].pkg is None and any("benchmarks vary in pkg" in w for w in cmp.rows[0].warnings)
    split_rows, split_geo = run_benchstat(benchstat, a, b)
    assert len(split_rows) == 2 and check_against_benchstat(compare_files(a, b), split_rows, split_geo) == 2


def _helper(exe: Path, questions: list[str]) -> list[str]:
    proc = subprocess.run([str(exe)], input="\n".join(questions) + "\n", capture_output=True, text=True,
                          timeout=300, check=True)
    return proc.stdout.split("\n")


def test_median_ci_orders_match_moremath(benchmath_helper: Path) -> None:
    ns = list(range(1, 401))
    out = _helper(benchmath_helper, [f"orders {n} 0.95" for n in ns])
    theirs = [tuple(int(x) for x in line.split()) for line in out[: len(ns)]]
    ours = [median_ci_orders(n, 0.95) for n in ns]
    mismatches = [(n, o, t) for n, o, t in zip(ns, ours, theirs) if o != t]
    assert mismatches == []


def _samples() -> list[tuple[list[float], list[float]]]:
    """Seeded sample pairs around every switch point, with and without ties."""
    rng = random.Random(3)
    pairs = []
    for n1, n2 in [(1, 1), (2, 3), (3, 3), (4, 4), (5, 7), (6, 6), (8, 8), (10, 10), (12, 20), (24, 24),
                   (25, 25), (26, 26), (25, 30), (30, 30), (31, 31), (50, 50), (51, 51), (60, 60), (3, 60)]:
        for levels in (3, 10, 0):  # 0 = continuous (no ties)
            shift = rng.choice([0, 0.5, 2])

            def draw(n: int, s: float, levels: int = levels) -> list[float]:
                if levels:
                    return [float(rng.randrange(levels) + (s if s == 2 else 0)) for _ in range(n)]
                return [rng.gauss(100 + s, 1.5) for _ in range(n)]

            pairs.append((draw(n1, 0), draw(n2, shift)))
    for _ in range(300):  # random sizes 1..60, random tie density, random shift
        n1, n2 = rng.randint(1, 60), rng.randint(1, 60)
        levels = rng.choice([2, 4, 8, 30, 0])
        scale = rng.choice([1e-9, 1.0, 1e6])
        shift = rng.choice([0.0, 0.3, 1.0])
        def gen(s: float, levels: int = levels) -> float:
            return float(rng.randrange(levels)) + s if levels else rng.gauss(10 + s, 1)
        pairs.append(([gen(0.0) * scale for _ in range(n1)], [gen(shift) * scale for _ in range(n2)]))
    pairs.append(([7.0] * 6, [7.0] * 6))
    pairs.append(([7.0] * 30, [7.0] * 30))
    pairs.append(([0.0] * 6, [0.0, 1.0] * 3))
    return pairs


def test_summaries_and_pvalues_match_benchmath(benchmath_helper: Path) -> None:
    pairs = _samples()
    questions = ["compare 0.05 " + " ".join(map(repr, a)) + " | " + " ".join(map(repr, b)) for a, b in pairs]
    out = _helper(benchmath_helper, questions)
    for i, (a, b) in enumerate(pairs):
        s_old, s_new, p_line, warn_line = out[4 * i: 4 * i + 4]
        for sample, line in ((a, s_old), (b, s_new)):
            nums, _, warns = line.partition(" ;; ")
            center, lo, hi = (float(x) for x in nums.split())
            ours = summarize(sample)
            assert (ours.center, ours.lo, ours.hi) == (center, lo, hi), (len(sample), sorted(sample))
            assert list(ours.warnings) == [w for w in warns.split(" ;; ") if w]
        test = mann_whitney(a, b, 0.05)
        assert math.isclose(test.p, float(p_line), rel_tol=1e-9, abs_tol=1e-15), (len(a), len(b), a, b)
        assert list(test.warnings) == [w for w in warn_line.split(" ;; ") if w]
