"""Tie-bound rows: quantized values that hold p above alpha pass when no change above the limit fits in them.

The values are go.uber.org/zap's Benchmark5WithLazysUsed B/op from an A/A run
of the bench gate on this runner (7442-7444 B/op over 10+10 rounds): before
this rule the row was skipped as "too few", and ``count: auto`` counted it as
unbounded, so the run always spent its whole budget.
"""

from __future__ import annotations

from pytest_goperf.gates.bench import judge

from .test_gate import make

ZAP_OLD = [7443.0] * 7 + [7442.0] * 3
ZAP_NEW = [7443.0] * 9 + [7444.0]


def test_zap_jitter_of_one_byte_passes_within_its_spread_instead_of_skipping() -> None:
    j = judge(make({"5WithLazysUsed": ZAP_OLD}, {"5WithLazysUsed": ZAP_NEW}, "B/op"), max_regression="5%", units=["B/op"])
    v = j.verdicts[("", "5WithLazysUsed", "B/op")]
    assert v.passed, v.message
    assert "within 0.027%" in v.message and "7442 B/op .. 7444 B/op" in v.message
    assert "ties keep its best p at 0.124" in v.message and "outside the Holm family" in v.message
    assert "skip_reason" not in v.figures  # count: auto's stopping rule no longer reads it as unbounded
    assert abs(float(v.figures["spread_pct"]) - 2 / 7442 * 100) < 1e-9  # type: ignore[arg-type]
    assert j.family == () and not j.alerts


def test_ties_wider_than_the_limit_stay_skipped_with_their_reason() -> None:
    old, new = [100.0] * 9 + [110.0], [100.0] * 8 + [110.0] * 2
    v = judge(make({"Wide": old}, {"Wide": new}, "B/op"), max_regression="5%", units=["B/op"]).verdicts[("", "Wide", "B/op")]
    assert v.skipped and "hold only 2 distinct ones" in v.message and v.figures["skip_reason"] == "too_few"
    # The same values pass against a limit wider than their 10 % spread.
    loose = judge(make({"Wide": old}, {"Wide": new}, "B/op"), max_regression="15%", units=["B/op"])
    assert loose.verdicts[("", "Wide", "B/op")].passed


def test_a_zero_value_is_never_a_narrow_spread() -> None:
    # 0 -> 2 allocs/op is an escape of unbounded size, whatever the limit: it stays a visible skip.
    v = judge(make({"Z": [0.0] * 6}, {"Z": [0.0] * 5 + [2.0]}, "allocs/op"), max_regression="500%",
              units=["allocs/op"]).verdicts[("", "Z", "allocs/op")]
    assert v.skipped and v.figures["skip_reason"] == "too_few"


def test_few_runs_stay_a_skip_even_when_tight() -> None:
    # 3+3 runs can never reach 0.05: that is bench.count's fault, not ties, so tightness does not excuse it.
    tight = [100.0, 100.5, 101.0]
    v = judge(make({"T": tight}, {"T": tight}, "B/op"), units=["B/op"]).verdicts[("", "T", "B/op")]
    assert v.skipped and "can never reach p <= 0.05" in v.message


def test_a_tied_row_left_out_of_the_family_passes_by_spread_and_leaves_the_alert() -> None:
    # 12 rows of 10+10 runs: 11 untied (each in the family), and one whose ties put its best p
    # between alpha/K and alpha.  It passes by its spread, and the family alert does not count it.
    old: dict[str, list[float]] = {f"U{i}": [100.0 + j for j in range(10)] for i in range(11)}
    new: dict[str, list[float]] = {f"U{i}": [100.5 + j for j in range(10)] for i in range(11)}
    old["Tied"], new["Tied"] = [50.0] * 8 + [51.0] * 2, [50.0] * 7 + [51.0] * 3
    j = judge(make(old, new, "B/op"), max_regression="5%", units=["B/op"])
    v = j.verdicts[("", "Tied", "B/op")]
    assert v.passed and "within 2%" in v.message and "above alpha/" in v.message, v.message
    assert ("", "Tied", "B/op") not in j.family
    assert not any("cannot be significant together" in a for a in j.alerts)
    assert all(j.verdicts[("", f"U{i}", "B/op")].passed for i in range(11))


def test_a_paired_round_with_equal_values_is_named_not_called_a_tie_of_distinct_values() -> None:
    # Recorded on this runner (tests/plugin/test_bench_layouts.py at count 6): round 5 printed 15.26 ns on
    # both sides, the signed-rank test drops that zero, and 5 rounds can never reach 0.05.
    old, new = [16.25, 412.9, 658.3, 15.31, 15.26, 15.51], [15.76, 15.57, 15.55, 15.41, 15.26, 47.19]
    v = judge(make({"Work": old}, {"Work": new}), max_regression="50%", test="paired").verdicts[("", "Work", "sec/op")]
    assert v.skipped and v.figures["skip_reason"] == "too_few", v.message
    assert "round(s) 5 gave the same value on both sides" in v.message
    assert "the 5 other round(s) can never reach p <= 0.05 (best 0.0625, 6 needed)" in v.message
    assert "raise bench.count to at least 7" in v.message
    # Tight values with that zero pass by their spread, as ties do for the rank-sum test.
    calm = [15.26, 15.31, 15.28, 15.30, 15.27, 15.29]
    tight = judge(make({"Work": calm}, {"Work": [15.26] + calm[1:][::-1]}), max_regression="5%",
                  test="paired").verdicts[("", "Work", "sec/op")]
    assert tight.passed and "within 0.33%" in tight.message, tight.message


def test_paired_rows_left_out_by_their_count_stay_skipped_however_tight() -> None:
    # 20 rows of 8 paired rounds: 2/2^8 = 0.0078 each, no Tarone family holds them (alpha/7 = 0.0071).  The
    # count, not ties, leaves them out, so a 1 % spread does not pass them, and the advice is the paired count.
    old = {f"R{i}": [100.0 + j * 0.1 for j in range(8)] for i in range(20)}
    new = {f"R{i}": [100.05 + j * 0.1 + (0.01 * j if j % 2 else -0.01 * j) for j in range(8)] for i in range(20)}
    j = judge(make(old, new), max_regression="5%", test="paired")
    v = j.verdicts[("", "R0", "sec/op")]
    assert v.skipped and v.figures["skip_reason"] == "family", v.message
    assert "Raise bench.count to 10 or more" in v.message  # 2/2^10 <= 0.05/20; the U-test's 6 would not do
    assert any("raise bench.count to 10" in a for a in j.alerts)
