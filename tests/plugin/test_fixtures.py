"""Python tests use the same machinery through fixtures and assert_* helpers."""

from __future__ import annotations

import pytest

from ..helpers import EXAMPLE

PY_TEST = f"""
import threading
import pytest
from pytest_goperf import assert_latency, assert_top_function_below, read_profile
from pytest_goperf.config import LoadConfig, RequestSpec
from pytest_goperf.load.generator import run_load
from pytest_goperf.pprof.capture import fetch_profile

EXAMPLE = {str(EXAMPLE)!r}

@pytest.mark.goperf
def test_service_under_load(goperf_build, goperf_service, goperf_loadgen, goperf_artifacts):
    built = goperf_build(EXAMPLE, "pgo", packages=None)
    svc = goperf_service(built.service_binary)
    # Enough work per request that a 2 s profile holds samples even when the load starts late.
    body = '{{"items":[' + ",".join(['"item-%d"' % i for i in range(64)]) + ']}}'
    load = LoadConfig(warmup=0.2, duration=3.0, rate=300, trace=0.0,
                      requests=(RequestSpec(method="POST", path="/api/process", body=body),))
    cpu = goperf_artifacts / "cpu.pprof"
    profiler = threading.Thread(target=fetch_profile, args=(svc.debug_url, "profile", cpu), kwargs={{"seconds": 2}})
    profiler.start()
    result = run_load(goperf_loadgen, svc.url, load, goperf_artifacts / "load.json")
    profiler.join()
    assert_latency(result, p99="2s", max_error_rate="0%")
    assert read_profile(cpu).samples, "the CPU profile caught the load"
    with pytest.raises(AssertionError, match="latency: p99"):
        assert_latency(result, p99="1ns")
    with pytest.raises(AssertionError, match=r"(?s)takes .*% of CPU time.*go tool pprof -http=: .*cpu.pprof"):
        assert_top_function_below(cpu, "0%", min_samples=1)  # a 2 s profile: few samples
"""


def test_fixtures_and_helpers_in_a_python_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_python_gate=PY_TEST)
    result = pytester.runpytest("--goperf", "--goperf-artifacts", str(pytester.path / "art"), "-rA")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "art" / "tests" / "test_service_under_load" / "pgo" / "buildinfo.txt").is_file()
    assert (pytester.path / "art" / "tests" / "test_service_under_load" / "load.json").is_file()
