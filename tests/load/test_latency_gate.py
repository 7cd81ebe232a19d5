"""The latency gate on real and hand-written load results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_goperf.config import LoadConfig, RequestSpec
from pytest_goperf.gates import GateFailed, NotJudged
from pytest_goperf.gates.latency import assert_latency, histogram_summary, judge_latency
from pytest_goperf.load.generator import run_load
from pytest_goperf.load.model import LoadResult
from pytest_goperf.go.service import ServiceProcess


def _result(**over: Any) -> LoadResult:
    data: dict[str, Any] = {
        "model": "open", "rate_requested": 100, "connections": 4, "duration_s": 10, "requests": 1000, "ok": 990,
        "achieved_rate": 100.0, "errors": {"connect": 0, "timeout": 2, "io": 0, "status": {"500": 8}},
        "dropped": 0, "warmup": {"requests": 50},
        "latency_ns": {"p50": 2e6, "p90": 5e6, "p99": 30e6, "p999": 80e6, "max": 120e6, "min": 5e5, "mean": 3e6},
        "histogram": {"buckets": [[500_000, 503_906, 400], [2_000_000, 2_015_625, 500], [30_000_000, 30_234_375, 90],
                                  [120_000_000, 120_000_001, 10]]},
    }
    data.update(over)
    return LoadResult.from_json(data, Path("load.json"))


def test_passes_within_limits() -> None:
    v = judge_latency(_result(), p50=0.005, p99=0.05, max=0.2, max_error_rate=0.02, min_rate=90)
    assert v.passed and "p99 30ms" in v.message
    assert v.figures["p99"] == pytest.approx(0.03) and v.figures["error_rate"] == pytest.approx(0.01)


def test_each_limit_fails_with_the_histogram() -> None:
    v = judge_latency(_result(), p50=0.001, p90=0.004, p99=0.02, max=0.1, max_error_rate=0.001, min_rate=150)
    assert not v.passed
    first = v.message.splitlines()[0]
    assert first == ("latency: p50 2ms > 1ms; p90 5ms > 4ms; p99 30ms > 20ms; max 120ms > 100ms; "
                     "error rate 1.00% > 0.10%; send_rate 100.0/s < 150/s (dropped 0: scheduled in the window "
                     "but never sent)")
    assert "errors: 2 timeout, 8 HTTP 500" in v.message and "result: load.json" in v.message
    assert "<     1ms       400   40.000%" in v.message
    assert "<   200ms        10  100.000%" in v.message


def test_dropped_count_as_errors_and_warn() -> None:
    r = _result(dropped=100, errors={"status": {}})
    assert r.error_rate == pytest.approx(100 / 1100)
    v = judge_latency(r, max_error_rate=0.05)
    assert not v.passed and "error rate 9.09% > 5.00%" in v.message
    assert v.warnings and "could not be sent on schedule" in v.warnings[0]


def test_no_requests_fails_and_no_result_skips() -> None:
    v = judge_latency(_result(requests=0, ok=0, histogram={"buckets": []}))
    assert not v.passed and "no request was measured" in v.message and "(no latencies recorded)" in v.message
    s = judge_latency(None, p99=0.01)
    assert s.skipped and "load.result" in s.message


def test_assert_latency_parses_quantities() -> None:
    assert assert_latency(_result(), p99="50ms", max_error_rate="2%", min_rate="90/s").passed
    with pytest.raises(GateFailed, match=r"p99 30ms > 10ms"):
        assert_latency(_result(), p99="10ms")
    with pytest.raises(NotJudged, match="nothing was judged: no goperf-load/1 result"):
        assert_latency(None, p99="1ms")


@pytest.fixture(scope="module")
def real(example_service: Path, loadgen: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadResult]:
    tmp = tmp_path_factory.mktemp("lat")
    with ServiceProcess(example_service, args=["-addr={addr}"], env={}, log_path=tmp / "s.log") as svc:
        yield run_load(loadgen, svc.url, LoadConfig(warmup=0.2, duration=1.0, rate=100, requests=(
            RequestSpec(method="POST", path="/api/process", body='{"customer":"a","items":["x"]}'),)), tmp / "r.json")


def test_on_a_real_run(real: LoadResult) -> None:
    assert judge_latency(real, p99=60.0, max_error_rate=0.0).passed
    v = judge_latency(real, p50=1e-9)
    assert not v.passed and v.message.startswith("latency: p50 ") and str(real.path) in v.message
    summary = histogram_summary(real)
    assert summary.rstrip().splitlines()[-1].split()[3] == "100.000%"


def test_failure_names_the_engine_protocol_and_first_errors() -> None:
    r = _result(engine="net/http", protocols={"HTTP/2.0": 990},
                error_examples={"timeout": "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"})
    v = judge_latency(r, max_error_rate=0.001)
    assert not v.passed
    assert "engine: net/http (HTTP/2.0 x990)" in v.message
    assert "first timeout: context deadline exceeded" in v.message
