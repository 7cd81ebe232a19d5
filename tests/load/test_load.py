"""The Go load generator against real services: schedule, errors, refusal, caching."""

from __future__ import annotations

import dataclasses

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_goperf.config import LoadConfig, RequestSpec
from pytest_goperf.errors import LoadError
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.load.generator import build_loadgen, check_target, loadgen_key, run_load, start_command
from pytest_goperf.load.model import LoadResult, read_result
from pytest_goperf.go.service import ServiceProcess

BODY = '{"customer":"acme","currency":"EUR","items":["a","b"]}'
MIX = (
    RequestSpec(method="POST", path="/api/process", body=BODY, weight=3,
                headers=(("Content-Type", "application/json"),)),
    RequestSpec(method="GET", path="/healthz", weight=1),
)


@pytest.fixture(scope="module")
def service(example_service: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    log = tmp_path_factory.mktemp("svc") / "service.log"
    with ServiceProcess(example_service, args=["-addr={addr}"], env={"GOMAXPROCS": "1"}, log_path=log) as svc:
        yield svc


def _consistent(r: LoadResult) -> None:
    assert r.min <= r.p50 <= r.p90 <= r.p99 <= r.p999 <= r.max
    assert sum(c for _, _, c in r.histogram) == r.requests - r.errors.connect - r.errors.io - r.errors.conn_reset
    for lo, hi, _ in r.histogram:
        assert lo < hi and (hi - lo) <= max(lo / 128, 1e-9) + 1e-15


def test_open_model_sends_exactly_the_schedule(loadgen: Path, service: ServiceProcess, tmp_path: Path) -> None:
    load = LoadConfig(warmup=0.5, duration=2.0, rate=200, connections=4, requests=MIX)
    out = tmp_path / "load.json"
    r = run_load(loadgen, service.url, load, out)
    assert r.model == "open" and r.rate_requested == 200
    # 200/s over [0.5s, 2.5s): ticks 100..499 are measured, 0..99 are warmup
    assert r.requests + r.dropped == 400
    assert r.warmup_requests + r.warmup_dropped == 100
    assert r.errors.total == 0 and r.ok == r.requests
    assert r.send_rate is not None and 0 < r.send_rate
    _consistent(r)
    assert read_result(out) == r
    assert json.loads(out.read_text())["schema"] == "goperf-load/1"


def test_closed_model(loadgen: Path, service: ServiceProcess, tmp_path: Path) -> None:
    load = LoadConfig(warmup=0.2, duration=1.0, rate=None, connections=2, requests=MIX)
    r = run_load(loadgen, service.url, load, tmp_path / "load.json")
    assert r.model == "closed" and r.rate_requested is None
    assert r.requests > 0 and r.errors.total == 0 and r.dropped == 0
    assert r.achieved_rate == pytest.approx(r.requests / 1.0)
    _consistent(r)


def test_body_file_is_sent(loadgen: Path, service: ServiceProcess, tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text('{"customer":"x","items":["a"]}')
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    load = LoadConfig(warmup=0, duration=0.5, rate=20, connections=1, requests=(
        RequestSpec(method="POST", path="/api/process", body_file=body),
        RequestSpec(method="POST", path="/api/process", body_file=bad)))
    r = run_load(loadgen, service.url, load, tmp_path / "load.json")
    assert r.requests == 10
    assert r.ok > 0 and set(r.errors.status) == {400}  # the example rejects the bad body


def test_missing_body_file(loadgen: Path, service: ServiceProcess, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    load = LoadConfig(warmup=0, duration=0.5, rate=10, requests=(RequestSpec(method="POST", body_file=missing),))
    with pytest.raises(LoadError, match=r"load.requests\[1\] \(POST /\): body_file .*nope.json does not exist"):
        run_load(loadgen, service.url, load, tmp_path / "load.json")


def test_only_500s_are_counted_by_status(loadgen: Path, bad_service: Path, tmp_path: Path) -> None:
    with ServiceProcess(bad_service, args=["-addr={addr}", "-mode=status500"], env={},
                        log_path=tmp_path / "s.log") as svc:
        r = run_load(loadgen, svc.url, LoadConfig(warmup=0, duration=0.5, rate=40), tmp_path / "load.json")
    assert r.requests == 20 and r.errors.status == {500: 20} and r.ok == 0
    assert r.error_rate == 1.0 and "20 HTTP 500" in r.errors.describe()


def test_stalls_are_not_hidden(loadgen: Path, bad_service: Path, tmp_path: Path) -> None:
    # 2 connections x 300ms per request can serve ~7/s; 40/s are scheduled, so
    # later requests wait in line and their latency (from the schedule) grows.
    with ServiceProcess(bad_service, args=["-addr={addr}", "-mode=slow"], env={},
                        log_path=tmp_path / "s.log") as svc:
        load = LoadConfig(warmup=0, duration=1.5, rate=40, connections=2, timeout=2.0)
        r = run_load(loadgen, svc.url, load, tmp_path / "load.json")
    assert r.requests + r.dropped == 60
    # sent in 5 batches of 2 (t = 0, 0.3, ... 1.2 s); the rest was still waiting when the window ended
    assert r.requests <= 12 and r.dropped >= 48
    assert r.send_rate is not None and r.send_rate <= 8
    assert r.max >= 0.9    # the last requests sent had waited for 4 batches of 300ms first


def test_connect_errors_when_nothing_listens(loadgen: Path, tmp_path: Path) -> None:
    from pytest_goperf.go.ports import free_port
    url = f"http://127.0.0.1:{free_port()}"
    r = run_load(loadgen, url, LoadConfig(warmup=0, duration=0.3, rate=20), tmp_path / "load.json")
    assert r.errors.connect == r.requests == 6 and r.ok == 0


def test_non_loopback_target_is_refused(loadgen: Path, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="refusing to send load to http://192.0.2.1:80"):
        run_load(loadgen, "http://192.0.2.1:80", LoadConfig(duration=0.5, rate=1), tmp_path / "r.json")
    for allowed in ("http://192.0.2.1:8080/", "192.0.2.1:8080", "192.0.2.1"):  # the attach URL, however named
        check_target("http://192.0.2.1:8080", [allowed])
    with pytest.raises(LoadError, match="refusing"):
        check_target("http://192.0.2.1:8080", ["http://192.0.2.1:9090", "192.0.2.2"])
    # the generator enforces it too, whoever calls it
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"target": "http://192.0.2.1:80", "rate": 1, "duration_s": 1}))
    proc = subprocess.run([str(loadgen), "-config", str(cfg), "-result", str(tmp_path / "x.json")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 3 and "refusing to send load" in proc.stderr
    cfg.write_text(json.dumps({"target": "http://192.0.2.1:80", "allow": ["192.0.2.2", "http://192.0.2.1:81"],
                               "rate": 1, "duration_s": 1}))
    proc = subprocess.run([str(loadgen), "-config", str(cfg), "-result", str(tmp_path / "x.json")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 3 and "refusing to send load" in proc.stderr


def test_build_is_cached_by_source_and_version(go: GoToolchain, loadgen: Path) -> None:
    again = build_loadgen(go, loadgen.parent)
    assert again == loadgen
    assert loadgen_key(go) in loadgen.name
    assert loadgen_key(dataclasses.replace(go, version="go1.99.0")) != loadgen_key(go)


def test_command_with_our_result(tmp_path: Path) -> None:
    script = (
        "import json,sys; json.dump({'duration_s': 1.0, 'requests': 10, 'achieved_rate': 10.0,"
        " 'errors': {'status': {'503': 1}}, 'latency_ns': {'p50': 1e6, 'p90': 2e6, 'p99': 3e6, 'max': 4e6}},"
        " open(sys.argv[1], 'w'))"
    )
    result = tmp_path / "their.json"
    load = LoadConfig(warmup=0, duration=1.0, command=(sys.executable, "-c", script, "{result}"), result=result)
    run = start_command(load, url="http://127.0.0.1:1", artifacts=tmp_path)
    r = run.result()
    assert r is not None and r.requests == 10 and r.errors.status == {503: 1} and r.p99 == pytest.approx(3e-3)


def test_command_without_result_and_overrunning_is_stopped(tmp_path: Path) -> None:
    load = LoadConfig(warmup=0, duration=0.2, timeout=0.3,
                      command=(sys.executable, "-c", "import time,sys; print(sys.argv[1], flush=True); time.sleep(60)",
                               "{url}"))
    run = start_command(load, url="http://127.0.0.1:9", artifacts=tmp_path)
    assert run.result() is None
    assert run.stopped_by_us and run.returncode is not None and run.returncode < 0
    assert "http://127.0.0.1:9" in run.log_tail()


def test_user_host_and_length_headers_do_not_break_requests(loadgen: Path, service: ServiceProcess,
                                                             tmp_path: Path) -> None:
    spec = RequestSpec(method="POST", path="/api/process", body=BODY,
                       headers=(("Host", "shop.example"), ("Content-Length", "999"), ("X-Trace", "1")))
    load = LoadConfig(warmup=0, duration=0.5, rate=20, timeout=1.0, requests=(spec,))
    r = run_load(loadgen, service.url, load, tmp_path / "load.json")
    assert r.requests == 10 and r.ok == 10, r.errors.describe()


def test_generator_unit_tests_pass(go: GoToolchain) -> None:
    """The generator's Go unit tests (response reader, histogram, placeholders, redirects) run with the suite."""
    from pytest_goperf.go.shipped import helper_env
    from pytest_goperf.load.generator import LOADGEN_SOURCE

    proc = subprocess.run([str(go.path), "test", "-count=1", "."], cwd=LOADGEN_SOURCE, env=helper_env(go),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_two_threads_share_one_schedule(loadgen: Path, service: ServiceProcess, tmp_path: Path) -> None:
    """Two event loops claim slots from one counter: every slot is sent once, none twice."""
    load = LoadConfig(warmup=0.2, duration=1.0, rate=300, connections=4, threads=2, requests=MIX)
    r = run_load(loadgen, service.url, load, tmp_path / "load.json")
    assert r.requests + r.dropped == 300 and r.warmup_requests + r.warmup_dropped == 60
    assert r.errors.total == 0 and r.connections_opened is not None and r.connections_opened <= 4
    assert json.loads((tmp_path / "load.json").read_text())["threads"] == 2
    closed = run_load(loadgen, service.url, dataclasses.replace(load, rate=None), tmp_path / "closed.json")
    assert closed.requests > 0 and closed.errors.total == 0


def test_generator_reuses_the_standard_library_of_the_unprofiled_side(go: GoToolchain) -> None:
    """The generator builds as the service's -pgo=off side does, so a cold machine compiles net/http once, not twice.

    ``go list -export`` names the cache entry each build would use; CGO_ENABLED=0 or -trimpath would change it.
    """
    from pytest_goperf.go.shipped import helper_env
    from pytest_goperf.load.generator import LOADGEN_SOURCE

    from ..helpers import EXAMPLE

    def export(cwd: Path, env: dict[str, str], *flags: str) -> str:
        proc = subprocess.run([str(go.path), "list", *flags, "-export", "-f", "{{.Export}}", "net/http"], cwd=cwd,
                              env=env, capture_output=True, text=True, timeout=600, check=True)
        return proc.stdout.strip()

    side = export(EXAMPLE, go.env(), "-pgo=off")
    assert side and export(LOADGEN_SOURCE, helper_env(go)) == side
