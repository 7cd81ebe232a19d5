"""The bench gate: Holm across a service's rows, thresholds, skips with reasons, helpers."""

from __future__ import annotations

import random

import pytest

from pytest_goperf.bench.compare import Comparison, compare
from pytest_goperf.bench.format import parse_text
from pytest_goperf.errors import ConfigError
from pytest_goperf.gates import GateFailed
from pytest_goperf.gates.bench import assert_improvement, assert_no_regression, holm, judge, judge_rows


def k(name: str, unit: str = "sec/op", pkg: str = "") -> tuple[str, str, str]:
    return (pkg, name, unit)


def bench_text(rows: dict[str, list[float]], unit: str = "ns/op", header: str = "") -> str:
    return header + "".join(f"Benchmark{name} 100 {v!r} {unit}\n" for name, vals in rows.items() for v in vals)


def make(old: dict[str, list[float]], new: dict[str, list[float]], unit: str = "ns/op", header: str = "") -> Comparison:
    return compare(parse_text(bench_text(old, unit, header), "old.txt"),
                   parse_text(bench_text(new, unit, header), "new.txt"), 0.05)


def spread(center: float, n: int = 10, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [center * (1 + rng.uniform(-0.01, 0.01)) for _ in range(n)]


def test_holm_adjustment() -> None:
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([]) == []
    assert holm([0.9, 0.9]) == [1.0, 1.0]


def test_regression_beyond_threshold_fails_with_useful_message() -> None:
    cmp = make({"Hot/x-2": spread(100), "Cold-2": spread(50)}, {"Hot/x-2": spread(110, seed=2), "Cold-2": spread(50, seed=3)})
    v = judge_rows(cmp, max_regression="5%", alpha=0.05)
    hot, cold = v[k("Hot/x-2", "sec/op")], v[k("Cold-2", "sec/op")]
    assert hot.failed
    assert "regressed by" in hot.message and "threshold 5.00%" in hot.message
    assert "Holm-adjusted" in hot.message and "n=10" in hot.message
    assert "-bench '^BenchmarkHot$/^x$'" in hot.message
    assert cold.passed
    assert hot.figures["p_holm"] is not None and hot.figures["rows_in_family"] == 2


def test_regression_within_threshold_passes() -> None:
    cmp = make({"A": spread(100)}, {"A": spread(103, seed=2)})
    assert judge_rows(cmp, max_regression=0.05)[k("A", "sec/op")].passed


def test_a_family_that_cannot_reject_skips_its_rows_loudly_never_passes() -> None:
    # n=4 each: the best attainable p is 0.0286; with 3 rows Holm would need 0.0167 for a lone change.
    old = {f"B{i}": [100.0, 101, 102, 103] for i in range(3)}
    new = dict(old)
    new["B0"] = [120.0, 121, 122, 123]
    j = judge(make(old, new), max_regression="5%")
    for key, v in j.verdicts.items():
        assert v.skipped and "could each reach p <= 0.05 alone but not together" in v.message, key
        assert "Raise bench.count to 5" in v.message and v.figures["skip_reason"] == "family"
    assert j.family == () and j.alerts and "raise bench.count to 5" in j.alerts[0]
    unjudged = j.unjudged("svc")
    assert unjudged is not None and unjudged.failed and "could be significant alone but not in a family" in unjudged.message
    single = judge_rows(make({"B0": old["B0"]}, {"B0": new["B0"]}), max_regression="5%")
    assert single[k("B0")].failed


def test_too_few_samples_is_skipped_with_reason_never_silent() -> None:
    cmp = make({"A": [1.0, 2, 3]}, {"A": [10.0, 20, 30]})
    v = judge_rows(cmp)[k("A", "sec/op")]
    assert v.skipped and "can never reach p <= 0.05" in v.message
    assert v.warnings
    with pytest.raises(GateFailed, match="no benchmark row could be judged"):
        assert_no_regression(cmp)


def test_one_side_rows_and_unknown_direction_are_skipped() -> None:
    cmp = make({"A": spread(1), "Gone": spread(1)}, {"A": spread(1, seed=4), "New": spread(1)}, unit="widgets/op")
    v = judge_rows(cmp)
    assert "not in the candidate new.txt (removed or renamed?)" in v[k("Gone", "widgets/op")].message
    assert "new in the candidate: no such benchmark in the baseline old.txt" in v[k("New", "widgets/op")].message
    assert "better=higher" in v[k("A", "widgets/op")].message


def test_higher_is_better_units() -> None:
    header = "Unit hits/op better=higher\n"
    cmp = make({"A": spread(100)}, {"A": spread(80, seed=2)}, unit="hits/op", header=header)
    assert not judge_rows(cmp)[k("A", "hits/op")].passed
    up = make({"A": spread(100)}, {"A": spread(120, seed=2)}, unit="MB/s")
    assert judge_rows(up)[k("A", "B/s")].passed


def test_min_improvement_and_units_filter() -> None:
    cmp = make({"A": spread(100), "B": spread(100, seed=5)}, {"A": spread(90, seed=2), "B": spread(99, seed=6)})
    v = judge_rows(cmp, min_improvement="3%", units=["sec/op"])
    assert v[k("A", "sec/op")].passed
    assert not v[k("B", "sec/op")].passed and "did not improve by 3.00%" in v[k("B", "sec/op")].message
    assert judge_rows(cmp, units=["B/op"]) == {}
    assert judge(cmp, units=["B/op"]).unjudged("svc") is not None


def test_helpers() -> None:
    worse = make({"A": spread(100)}, {"A": spread(120, seed=2)})
    with pytest.raises(GateFailed, match=r"1 of 1 row\(s\) regressed"):
        assert_no_regression(worse, max_regression="5%")
    assert assert_no_regression(worse, max_regression="50%").passed
    better = make({"A": spread(100)}, {"A": spread(90, seed=2)})
    assert assert_improvement(better, min_gain="3%").passed
    with pytest.raises(GateFailed, match="did not improve"):
        assert_improvement(better, min_gain="20%")


def test_bad_threshold_is_config_error() -> None:
    with pytest.raises(ConfigError):
        judge_rows(make({"A": spread(1)}, {"A": spread(1)}), max_regression="five")


def test_assume_exact_rows_are_judged_without_noise_model() -> None:
    header = "Unit allocs/op assume=exact\n"
    cmp = make({"A": [5.0, 5.0]}, {"A": [6.0, 6.0]}, unit="allocs/op", header=header)
    row = cmp.rows[0]
    assert row.exact and row.p_value == 0.0 and row.old is not None and row.old.center == 5.0
    v = judge_rows(cmp, max_regression="5%")[k("A", "allocs/op")]
    assert v.failed and "regressed by 20.00%" in v.message


def test_gate_does_not_trust_benchstat_p_zero_from_asymmetric_ties() -> None:
    header = "Unit hits/op better=higher\n"
    cmp = make({"A": [5.0] + [6.0] * 7}, {"A": [5.0, 5.0, 6.0]}, unit="hits/op", header=header)
    row = cmp.rows[0]
    assert row.p_value == 0.0 and row.significant  # what benchstat prints
    v = judge_rows(cmp, max_regression="5%")[k("A", "hits/op")]
    assert v.passed and any("asymmetric ties" in w for w in v.warnings)


def test_row_ids_carry_the_package_only_for_shared_names() -> None:
    from pytest_goperf.gates.bench import row_ids

    keys = [("ex.com/m", "Parse-2", "sec/op"), ("ex.com/m/b", "Parse-2", "sec/op"), ("ex.com/m/b", "Encode-2", "B/op"),
            ("other.org/x", "Parse-2", "sec/op")]
    assert list(row_ids(keys, "ex.com/m").values()) == [
        "ex.com/m/Parse-2 sec/op", "b/Parse-2 sec/op", "Encode-2 B/op", "other.org/x/Parse-2 sec/op"]
    assert row_ids([("", "A", "sec/op")]) == {("", "A", "sec/op"): "A sec/op"}


def _setbytes_text(centers: dict[str, float], seed: int) -> str:
    """go test -bench lines of b.SetBytes(1024) benchmarks: MB/s as Go prints it, 1024 B over each run's ns/op."""
    rng = random.Random(seed)
    lines = []
    for name, center in centers.items():
        for _ in range(6):
            ns = center * (1 + rng.uniform(-0.01, 0.01))
            lines.append(f"Benchmark{name}-2 100000 {ns:.3f} ns/op {1024 / ns * 1e3:.2f} MB/s\n")
    return "".join(lines)


def test_b_s_rows_take_their_sec_op_verdict_outside_the_family() -> None:
    """12 SetBytes benchmarks at count 6: B/s beside sec/op made 24 rows, and 6 + 6 runs (best p 0.0022)
    cannot stay in a family of 24 (alpha/24 = 0.0021): every row was skipped, a 20 % regression unseen.
    The B/s rows are the same measurements, so the family is the 12 sec/op rows and the regression fails."""
    centers = {f"Sum/n={i}": 100.0 + i for i in range(12)}
    slower = {**centers, "Sum/n=3": centers["Sum/n=3"] * 1.2}
    cmp = compare(parse_text(_setbytes_text(centers, 1), "old.txt"), parse_text(_setbytes_text(slower, 2), "new.txt"),
                  0.05)
    j = judge(cmp, max_regression="5%")
    assert len(j.verdicts) == 24 and len(j.family) == 12 and {u for _, _, u in j.family} == {"sec/op"}
    for name in centers:
        t, b = j.verdicts[k(f"{name}-2")], j.verdicts[k(f"{name}-2", "B/s")]
        assert t.outcome == b.outcome and b.figures["judged_as"] == "sec/op"
        assert b.figures["rows_in_family"] == t.figures["rows_in_family"] == 12
    hit = j.verdicts[k("Sum/n=3-2", "B/s")]
    assert hit.failed and j.verdicts[k("Sum/n=3-2")].failed
    assert hit.message.startswith("Sum/n=3-2 B/s: -16.") and "the same measurement as its sec/op row" in hit.message
    assert sum(v.failed for v in j.verdicts.values()) == 2
    # B/s alone is judged on its own: then it is the family
    alone = judge(cmp, max_regression="5%", units=["B/s"])
    assert len(alone.family) == 12 and alone.verdicts[k("Sum/n=3-2", "B/s")].failed
    assert "judged_as" not in alone.verdicts[k("Sum/n=3-2", "B/s")].figures
