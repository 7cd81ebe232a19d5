"""Sensitivity (MDE) and the paired test, checked against scipy and against brute-force reruns of the gate.

The noise is real: tests/data/bench/noise_go_service.txt, 60 consecutive
rounds of the example's benchmarks recorded on the 2-core runner.  The MDE
the gate reports is checked by rerunning the real gate (compare + judge,
Holm over a two-row family) a few hundred times on fresh draws from the same
resampled noise with the regression the MDE names injected: about 80 % of
those reruns must fail the row, and clearly fewer at half the MDE.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from pathlib import Path

import pytest
import scipy.stats

from pytest_goperf.bench.compare import Comparison, compare, render_table
from pytest_goperf.bench.format import parse_text, read_file
from pytest_goperf.bench.signrank import signed_rank
from pytest_goperf.cli import main
from pytest_goperf.config import load_config
from pytest_goperf.errors import ConfigError
from pytest_goperf.gates.bench import judge

DATA = Path(__file__).resolve().parent.parent / "data" / "bench"
NOISE = DATA / "noise_go_service.txt"
SMALL, LARGE = "HandleRequest/small-2", "HandleRequest/large-2"


def noise(name: str) -> list[float]:
    return next(s.values for (_, n, u), s in read_file(NOISE).series.items() if n == name and u == "sec/op")


def text(rows: dict[str, list[float]]) -> str:
    return "pkg: example.com/svc\n" + "".join(
        f"Benchmark{name} 1000 {v * 1e9!r} ns/op\n" for name, vals in rows.items() for v in vals)


def comparison(old: dict[str, list[float]], new: dict[str, list[float]]) -> Comparison:
    return compare(parse_text(text(old), "old.txt"), parse_text(text(new), "new.txt"))


def test_signed_rank_equals_scipy_exact() -> None:
    rng = random.Random(3)
    for n in range(1, 21):
        for _ in range(15):
            old = [rng.lognormvariate(0, 0.2) for _ in range(n)]
            new = [x * rng.lognormvariate(rng.choice([0, 0.1]), 0.1) for x in old]
            d = [math.log(b / a) for a, b in zip(old, new)]
            expected = scipy.stats.wilcoxon(d, method="exact").pvalue
            assert signed_rank(old, new).p == pytest.approx(expected, rel=1e-9, abs=1e-15), (n, d)


def test_signed_rank_with_ties_and_zeros_by_enumerating_every_sign() -> None:
    """Tied |differences| get mid-ranks; zeros drop out; p counts all 2^n sign flips."""
    rng = random.Random(4)
    for _ in range(60):
        n = rng.randint(1, 9)
        d = [rng.choice([-2, -1, 0, 1, 2, 3]) for _ in range(n)]
        old, new = [10.0] * n, [10.0 + x for x in d]
        got = signed_rank(old, new)
        diffs = [b - a for a, b in zip(old, new)]
        logs = [math.log(b / a) for a, b in zip(old, new) if b != a]
        absd = sorted(abs(x) for x in logs)
        rank = {v: sum(i + 1 for i, w in enumerate(absd) if w == v) / absd.count(v) for v in absd}
        w = sum(rank[abs(x)] for x in logs if x > 0)
        flips = [sum(rank[abs(x)] for x, s in zip(logs, signs) if s) for signs in
                 itertools.product([0, 1], repeat=len(logs))]
        lo = sum(f <= w + 1e-9 for f in flips) / len(flips) if logs else 1
        hi = sum(f >= w - 1e-9 for f in flips) / len(flips) if logs else 1
        assert got.p == pytest.approx(min(1.0, 2 * min(lo, hi))), diffs
        assert got.n == len(logs)


def detection_rate(test: str, shift_pct: float, reruns: int, seed: int) -> float:
    """Rerun the gate on fresh resampled noise with ``shift_pct`` injected into the small row; share that fail it."""
    rng = random.Random(seed)
    small, large = noise(SMALL)[:20], noise(LARGE)[:20]
    if test == "utest":  # the MDE's population: each side divided by its own median, pooled
        pool_s = [v / sorted(small[:10])[4:6][0] for v in small[:10]] + [v / sorted(small[10:])[4:6][0] for v in small[10:]]
    else:  # round i of old vs round i of new: the log ratios, centred on their median
        d = [math.log(b / a) for a, b in zip(small[0:20:2], small[1:20:2])]
        pool_s = [math.exp(x - sorted(d)[4:6][0]) for x in d]
    failed = 0
    for _ in range(reruns):
        if test == "utest":
            old_s = [rng.choice(pool_s) for _ in range(10)]
            new_s = [rng.choice(pool_s) * (1 + shift_pct / 100) for _ in range(10)]
        else:
            old_s = [rng.choice(small) for _ in range(10)]  # any level per round: the pair cancels it
            new_s = [a * rng.choice(pool_s) * (1 + shift_pct / 100) for a in old_s]
        aa = [rng.choice(large) for _ in range(20)]
        j = judge(comparison({SMALL: old_s, LARGE: aa[:10]}, {SMALL: new_s, LARGE: aa[10:]}),
                  max_regression=0, test=test)
        failed += j.verdicts[("example.com/svc", SMALL, "sec/op")].failed
    return failed / reruns


@pytest.mark.parametrize("test", ["utest", "paired"])
def test_mde_is_what_brute_force_reruns_of_the_gate_detect_80_percent_of_the_time(test: str) -> None:
    small, large = noise(SMALL)[:20], noise(LARGE)[:20]
    if test == "utest":
        old, new = {SMALL: small[:10], LARGE: large[:10]}, {SMALL: small[10:], LARGE: large[10:]}
    else:  # consecutive rounds as the pairs
        old, new = {SMALL: small[0:20:2], LARGE: large[0:20:2]}, {SMALL: small[1:20:2], LARGE: large[1:20:2]}
    j = judge(comparison(old, new), max_regression=0, test=test)
    v = j.verdicts[("example.com/svc", SMALL, "sec/op")]
    assert v.figures["rows_in_family"] == 2 and v.figures["test"] == test
    mde = v.figures["mde_pct"]
    assert isinstance(mde, float) and 0.5 < mde < 50, mde
    at_mde = detection_rate(test, mde, 300, seed=1)
    assert 0.70 <= at_mde <= 0.90, (mde, at_mde)
    assert detection_rate(test, mde / 2, 200, seed=2) < 0.6


def test_underpowered_rows_warn_by_default_and_fail_with_require_power() -> None:
    """Count 6 of the recorded noise cannot see a 5 % regression: never a silent pass."""
    small, large = noise(SMALL), noise(LARGE)
    cmp = comparison({SMALL: small[:6], LARGE: large[:6]}, {SMALL: small[6:12], LARGE: large[6:12]})
    j = judge(cmp, max_regression="5%")
    v = j.verdicts[("example.com/svc", SMALL, "sec/op")]
    mde = v.figures["mde_pct"]
    assert v.passed and isinstance(mde, float) and mde > 5
    assert any("underpowered" in w and f"{mde:.1f}%" in w for w in v.warnings)
    assert any("could not have seen a 5% regression" in a and "bench.count" in a for a in j.alerts)
    strict = judge(cmp, max_regression="5%", require_power=True).verdicts[("example.com/svc", SMALL, "sec/op")]
    assert strict.failed and f"MDE) is {mde:.1f}%" in strict.message and "bench.benchtime" in strict.message
    # wide enough a threshold, and the same row passes quietly
    widest = max(float(v.figures["mde_pct"] or 0) for v in j.verdicts.values())
    loose = judge(cmp, max_regression=widest / 100 + 0.01, require_power=True)
    assert not loose.alerts and all(v.passed for v in loose.verdicts.values())


def test_gate_table_has_the_mde_column_and_compare_json_carries_it(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path) -> None:
    small, large = noise(SMALL), noise(LARGE)
    cmp = comparison({SMALL: small[:10], LARGE: large[:10]}, {SMALL: small[10:20], LARGE: large[10:20]})
    j = judge(cmp)
    plain = render_table(cmp)
    assert "MDE" not in plain
    mde = {k: v.figures.get("mde_pct") for k, v in j.verdicts.items()}
    gate = render_table(cmp, mde)  # type: ignore[arg-type]
    header, first = gate.splitlines()[0:2]
    assert header.rstrip().endswith("MDE")
    value = mde[("example.com/svc", SMALL, "sec/op")]
    assert isinstance(value, float) and first.endswith(f"{value:.1f}%")
    (tmp_path / "old.txt").write_text(text({SMALL: small[:10], LARGE: large[:10]}))
    (tmp_path / "new.txt").write_text(text({SMALL: small[10:20], LARGE: large[10:20]}))
    assert main(["compare", str(tmp_path / "old.txt"), str(tmp_path / "new.txt"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["mde_pct"] for r in rows] == [pytest.approx(mde[("example.com/svc", r["benchmark"], r["unit"])])
                                            for r in rows]


@pytest.mark.parametrize(("yaml", "expected"), [
    ("bench: {baseline: 'file:old.txt'}\nthresholds:\n  bench: {test: paired}\n",
     ":3: thresholds.bench.test: paired needs round i of both sides"),
    ("bench: {count: 5}\nthresholds:\n  bench:\n    test: paired\n",
     ":4: thresholds.bench.test: paired with bench.count 5 can never reach p <= 0.05"),
    ("thresholds:\n  bench: {test: ttest}\n", "thresholds.bench.test: must be one of utest, paired"),
    ("bench: {count: auto, min_count: 10, max_count: 8}\nthresholds: {bench: {}}\n",
     ":1: bench.max_count: must be at least bench.min_count (10), got 8"),
    ("bench: {min_count: 10}\nthresholds: {bench: {}}\n", ":1: bench.min_count: only applies with bench.count: auto"),
])
def test_paired_and_auto_config_errors_name_the_key(tmp_path: Path, yaml: str, expected: str) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.22\n")
    (tmp_path / "old.txt").write_text("BenchmarkX 1 1 ns/op\n")
    (tmp_path / "goperf.yaml").write_text(yaml)
    with pytest.raises(ConfigError, match=None) as err:
        load_config(tmp_path / "goperf.yaml")
    assert expected in str(err.value)


@pytest.mark.parametrize(("test", "n"), [("utest", 250), ("paired", 300)])
def test_large_samples_use_a_normal_approximation_that_agrees_with_resampling(
        test: str, n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past LARGE pairs the MDE comes from the normal approximation: close to the resampled one, and cheap."""
    from pytest_goperf.bench import power

    rng = random.Random(7)
    values = noise(SMALL) + noise(LARGE)
    old = [rng.choice(values) / 8e-6 * rng.lognormvariate(0, 0.05) for _ in range(n)]
    new = [rng.choice(values) / 8e-6 * rng.lognormvariate(0, 0.05) for _ in range(n)]
    approx = power.mde(old, new, "lower", 0.01, test)
    monkeypatch.setattr(power, "LARGE", 10**12)
    resampled = power.mde(old, new, "lower", 0.01, test)
    assert approx is not None and resampled is not None
    assert approx == pytest.approx(resampled, rel=0.15), (approx, resampled)
