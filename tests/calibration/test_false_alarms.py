"""Statistics calibration as a test that can fail (issue 22.3): the bench gate's false alarms and detection.

Seeded, so deterministic; the tolerances are the sampling error of the
trial count, stated next to each assertion:

* A/A (old and new from one distribution), family-wise: the share of
  simulated services in which *any* row fails must stay at or below 5 %.
  Asserted as observed <= 5 % + 2.33 standard errors of a 5 % rate over the
  trials (a one-sided 1 % test of the bound).  A gate without family-wise
  control (12 rows each at alpha 0.05) sits near 40 % and fails this.
* Detection of an injected 5 % and 10 % sec/op regression must match the
  README's figures (benchmarks/bench_calibration.py, 2,000 trials) within
  5 points (about 3.5 standard errors at 1,000 trials).

Synthetic noise is log-normal (no ties, 3 % spread); recorded noise is the
committed tests/data/bench/noise_go_service.txt through the calibration
script's own resampler, so the test and the README figures share the code.
"""

from __future__ import annotations

import importlib.util
import math
import random
from types import ModuleType

import pytest

from pytest_goperf.bench.compare import compare
from pytest_goperf.bench.format import BenchFile
from pytest_goperf.gates.bench import judge_rows
from tests.helpers import ROOT

TRIALS = 1000
BOUND = 0.05
TOLERANCE = 2.33 * math.sqrt(BOUND * (1 - BOUND) / TRIALS)   # 1.6 points at 1,000 trials
DETECTION_TOLERANCE = 0.05
# README "Calibration and figures", default max_regression 5 %: (count, slowdown) -> detection rate.
DOCUMENTED = {(6, 1.05): 0.246, (6, 1.10): 0.751, (10, 1.05): 0.455, (10, 1.10): 0.955}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_calibration", ROOT / "benchmarks" / "bench_calibration.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CAL = _script()
NOISE = CAL.pools(CAL.NOISE)


def _synthetic_family_alarm(rng: random.Random, count: int, max_regression: float) -> bool:
    sides = []
    for side in ("old", "new"):
        bf = BenchFile(f"{side}.txt")
        for b in range(4):
            for _ in range(count):
                for unit, scale in (("sec/op", 1e-6 * (b + 1)), ("B/op", 1000.0 * (b + 1)), ("allocs/op", 10.0 * (b + 1))):
                    bf.add("example.com/svc", f"Svc{b}-2", unit, scale * math.exp(rng.gauss(0.0, 0.03)))
        sides.append(bf)
    verdicts = judge_rows(compare(sides[0], sides[1], 0.05), max_regression=max_regression, alpha=0.05,
                          power=False)  # outcomes only: the MDE is tested in tests/bench/test_power.py
    return any(v.failed for v in verdicts.values())


@pytest.mark.parametrize("max_regression", [0.0, 0.05])
@pytest.mark.parametrize("count", [6, 10])
def test_synthetic_aa_family_wise_false_alarms(count: int, max_regression: float) -> None:
    rng = random.Random(2200 + count)
    alarms = sum(_synthetic_family_alarm(rng, count, max_regression) for _ in range(TRIALS))
    assert alarms / TRIALS <= BOUND + TOLERANCE, f"{alarms}/{TRIALS} services with a false alarm"


@pytest.mark.parametrize("max_regression", [0.0, 0.05])
@pytest.mark.parametrize("count", [6, 10])
def test_recorded_noise_aa_family_wise_false_alarms(count: int, max_regression: float) -> None:
    rate = CAL.rate(random.Random(1000 + count), NOISE, TRIALS, 4, count, 1.0, max_regression, False)
    assert rate <= BOUND + TOLERANCE, f"{rate:.2%} of services with a false alarm"


@pytest.mark.parametrize(("count", "slow"), sorted(DOCUMENTED))
def test_detection_matches_the_documented_figures(count: int, slow: float) -> None:
    rate = CAL.rate(random.Random(1000 + count), NOISE, TRIALS, 4, count, slow, 0.05, True)
    assert abs(rate - DOCUMENTED[(count, slow)]) <= DETECTION_TOLERANCE, (
        f"detects {rate:.1%} of {slow - 1:.0%} regressions at count {count}; README says "
        f"{DOCUMENTED[(count, slow)]:.1%}")


def test_the_bound_can_fail() -> None:
    """The same A/A data judged row by row without family control alarms far above 5 %: the check has teeth."""
    rng = random.Random(7)
    alarms = 0
    for _ in range(200):
        sides = []
        for side in ("old", "new"):
            bf = BenchFile(f"{side}.txt")
            for b in range(4):
                for _ in range(6):
                    for unit in ("sec/op", "B/op", "allocs/op"):
                        bf.add("example.com/svc", f"Svc{b}-2", unit, (b + 1) * math.exp(rng.gauss(0.0, 0.03)))
            sides.append(bf)
        rows = compare(sides[0], sides[1], 0.05).rows
        alarms += any(r.p_value is not None and r.p_value <= 0.05 and (r.delta_pct or 0) > 0 for r in rows)
    assert alarms / 200 > BOUND + TOLERANCE


def test_leaving_the_mde_out_changes_no_outcome() -> None:
    """The simulations above skip the MDE for speed: on the same services every outcome is as the gate's."""
    rng = random.Random(11)
    for slow in (1.0, 1.1, 1.3):
        for _ in range(20):
            svc = CAL.service(rng, NOISE, 4, 10, slow)
            full = judge_rows(svc, max_regression=0.05, alpha=0.05)
            lean = judge_rows(svc, max_regression=0.05, alpha=0.05, power=False)
            assert {k: v.outcome for k, v in lean.items()} == {k: v.outcome for k, v in full.items()}
            assert all(v.figures.get("mde_pct") is None for v in lean.values())
    with pytest.raises(ValueError, match="require_power"):
        judge_rows(svc, require_power=True, power=False)
