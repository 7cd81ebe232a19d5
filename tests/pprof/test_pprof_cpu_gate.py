"""The cpu gate passes on the example service and fails on a program with one dominant function."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_goperf.gates import GateFailed
from pytest_goperf.gates.cpu import assert_top_function_below, judge_cpu
from pytest_goperf.pprof import parse_profile, read_profile

SERVICE_IGNORE = ["runtime.*", "internal/runtime/*", "syscall.*"]  # as in examples/go-service/goperf.yaml


@pytest.mark.slow
def test_gate_passes_on_example_service(service_profiles: dict[str, Path]) -> None:
    path = service_profiles["cpu"]
    verdict = judge_cpu(read_profile(path), max_function_share=0.30, ignore=SERVICE_IGNORE, profile_path=path)
    assert verdict.passed, verdict.message
    hottest = verdict.figures["hottest_function"]
    assert isinstance(hottest, str) and not hottest.startswith(("runtime.", "internal/runtime/", "syscall."))
    share = verdict.figures["hottest_flat_share"]
    assert isinstance(share, float) and 0 < share <= 0.30
    assert_top_function_below(path, "30%", ignore=SERVICE_IGNORE)


@pytest.mark.slow
def test_gate_fails_on_dominant_function(dominant_profile: Path) -> None:
    verdict = judge_cpu(read_profile(dominant_profile), max_function_share=0.30, profile_path=dominant_profile)
    assert not verdict.passed
    msg = verdict.message
    assert msg.startswith("cpu: main.burn takes ") and "above the limit of 30.00%" in msg
    assert f"go tool pprof -http=: {dominant_profile}" in msg
    table = msg.split("top 10 of cpu")[1].splitlines()[1:]
    assert table[0].split() == ["flat%", "cum%", "function"] and table[1].endswith("main.burn")
    assert "main.fib" in msg and "main.main" in msg  # the neighbourhood is listed
    with pytest.raises(GateFailed, match="main.burn takes"):
        assert_top_function_below(dominant_profile, "30%")


@pytest.mark.slow
def test_ignore_globs_skip_to_next_function(dominant_profile: Path) -> None:
    prof = read_profile(dominant_profile)
    verdict = judge_cpu(prof, max_function_share=0.5, ignore=["main.b*"])
    assert verdict.figures["hottest_function"] != "main.burn"
    assert "(ignored)" not in verdict.message
    failing = judge_cpu(prof, max_function_share=0.01, ignore=["main.b*"])
    assert not failing.passed and "main.burn" in failing.message and "(ignored)" in failing.message


def test_all_ignored_and_empty_profiles(build_profile: Callable[..., bytes]) -> None:
    spec = dict(sample_types=[("samples", "count"), ("cpu", "nanoseconds")],
                functions=[(1, "runtime.mcall", "", 0)], locations=[(1, 0, [(1, 1)])])
    busy = parse_profile(build_profile(**spec, samples=[([1], [1, 10])]))
    v = judge_cpu(busy, max_function_share=0.1, ignore=["runtime.*"])
    assert v.skipped and "every function in the profile is ignored" in v.message
    idle = parse_profile(build_profile(**spec))
    v = judge_cpu(idle, max_function_share=0.1)
    assert v.skipped and "no samples" in v.message
    assert not judge_cpu(busy, max_function_share=0.1).passed
