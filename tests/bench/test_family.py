"""The multiple-testing family: Tarone's screen (checked by enumeration) and Holm over what is left."""

from __future__ import annotations

import itertools
import random

import pytest

from pytest_goperf.bench.compare import compare
from pytest_goperf.bench.family import count_for_family, tarone
from pytest_goperf.bench.format import parse_text
from pytest_goperf.bench.utest import attainable_min_p, decision_p, min_count_for_alpha, min_p
from pytest_goperf.gates.bench import judge


def test_attainable_min_p_is_the_minimum_over_every_split() -> None:
    """Enumerate every way to split a pooled sample into |x| and |y| values: none goes below the floor."""
    rng = random.Random(5)
    cases = [([1.0, 2, 3], [4.0, 5, 6]), ([7.0] * 4, [7.0] * 4), ([5.0] + [6.0] * 7, [5.0, 5.0, 6.0])]
    for _ in range(40):
        n1, n2, levels = rng.randint(1, 7), rng.randint(1, 7), rng.choice([2, 3, 5, 100])
        cases.append(([float(rng.randrange(levels)) for _ in range(n1)], [float(rng.randrange(levels)) for _ in range(n2)]))
    for x, y in cases:
        pooled = x + y
        best = min(decision_p([pooled[i] for i in idx], [pooled[i] for i in range(len(pooled)) if i not in idx])
                   for idx in map(set, itertools.combinations(range(len(pooled)), len(x))))
        assert attainable_min_p(x, y) == pytest.approx(best, rel=1e-12), (x, y)


def test_tarone_keeps_the_smallest_k_whose_floors_fit() -> None:
    assert tarone([], 0.05) == (1, [])
    assert tarone([0.002] * 8 + [1.0] * 16, 0.05) == (8, list(range(8)))  # 8 rows x 3 units, 2 constant units
    k, family = tarone([0.00216] * 24, 0.05)  # count 6 without constant rows: none can be rejected
    assert family == [] and k == 24
    assert tarone([0.0286, 0.002], 0.05) == (2, [1])
    for floors in ([0.01, 0.02, 0.03, 0.5], [0.001] * 3 + [0.04] * 5):
        k, family = tarone(floors, 0.05)
        assert len(family) <= k and all(floors[i] <= 0.05 / k for i in family)
        assert all(sum(p <= 0.05 / j for p in floors) > j for j in range(1, k))  # k is the smallest such


def test_smallest_counts() -> None:
    assert min_count_for_alpha(0.05) == 4 and min_p(3) > 0.05 >= min_p(4)
    assert count_for_family(24, 0.05) == 7  # 2/C(14,7) = 0.00058 <= 0.05/24


def bench_text(rows: dict[str, list[tuple[float, int, int]]]) -> str:
    return "pkg: example.com/lib\n" + "".join(
        f"Benchmark{name}-2 100 {ns!r} ns/op {b} B/op {a} allocs/op\n" for name, runs in rows.items() for ns, b, a in runs)


def test_constant_units_leave_the_family_so_a_3x_slowdown_fails() -> None:
    """Issue 9, story 1 in numbers: 8 benchmarks x 3 units at count 6; B/op and allocs/op constant."""
    rng = random.Random(2)
    old = {f"Op{i}": [(200 * (1 + rng.uniform(-0.3, 0.3)), 64, 1) for _ in range(6)] for i in range(8)}
    new = {f"Op{i}": [(200 * (1 + rng.uniform(-0.3, 0.3)), 64, 1) for _ in range(6)] for i in range(8)}
    new["Op0"] = [(3 * ns, b, a) for ns, b, a in old["Op0"]]
    cmp = compare(parse_text(bench_text(old), "old.txt"), parse_text(bench_text(new), "new.txt"))
    assert len(cmp.rows) == 24
    j = judge(cmp, max_regression="5%")
    # No family alert: every row stays in; but ±30 % noise at count 6 hides a 5 % regression, said aloud.
    assert len(j.family) == 8 and len(j.alerts) == 1
    assert j.alerts[0].startswith("7 bench row(s) passed but could not have seen a 5% regression")
    slowed = j.verdicts[("example.com/lib", "Op0-2", "sec/op")]
    assert slowed.failed and slowed.figures["rows_in_family"] == 8
    constant = j.verdicts[("example.com/lib", "Op0-2", "B/op")]
    assert constant.passed and "unchanged: 64 B/op in every run on both sides" in constant.message
    assert sum(v.failed for v in j.verdicts.values()) == 1
