"""examples/go-service/test_go_service_perf.py passes as shipped, with real builds and load."""

from __future__ import annotations

import pytest

from ..helpers import EXAMPLE


def test_example_python_gates_pass(pytester: pytest.Pytester) -> None:
    art = pytester.path / "art"
    result = pytester.runpytest(str(EXAMPLE / "test_go_service_perf.py"), "--goperf", "--goperf-artifacts", str(art),
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    bench = art / "tests" / "test_pgo_does_not_slow_down_handle_request" / "bench"
    assert "BenchmarkHandleRequest/large" in (bench / "old.txt").read_text()
    assert "BenchmarkHandleRequest/large" in (bench / "new.txt").read_text()
    runtime = art / "tests" / "test_runtime_under_load" / "capture"
    for name in ("cpu.pprof", "trace.out", "series.json", "load.json", "window.json", "goperf_capture.yaml"):
        assert (runtime / name).is_file(), name


def test_example_python_gates_skip_without_goperf(pytester: pytest.Pytester) -> None:
    """Without --goperf the example's tests are skipped, not run: a plain pytest run stays fast."""
    result = pytester.runpytest(str(EXAMPLE / "test_go_service_perf.py"), "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=3)
