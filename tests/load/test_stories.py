"""Issue 25's stories against a service that misbehaves in known, countable ways (tests/data/load/storyservice).

Each test compares the generator's figures with what the service itself saw.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_goperf.config import LoadConfig, RequestSpec
from pytest_goperf.errors import LoadError
from pytest_goperf.gates.latency import judge_latency
from pytest_goperf.go.ports import DIRECT
from pytest_goperf.go.service import AttachedService, ServiceProcess
from pytest_goperf.load.generator import run_load, start_load
from pytest_goperf.run.window import run_window


@pytest.fixture
def story(story_service: Path, tmp_path: Path) -> Iterator[ServiceProcess]:
    # No pprof probe: the service counts every request it sees, and has no pprof to find.
    with ServiceProcess(story_service, args=["-addr={addr}"], env={"GOMAXPROCS": "1"},
                        log_path=tmp_path / "service.log", probe_debug=False) as svc:
        yield svc


def seen(svc: ServiceProcess) -> dict[str, Any]:
    """The service's own count of what it received."""
    with DIRECT.open(f"{svc.url}/stats", timeout=10) as resp:
        data: dict[str, Any] = json.load(resp)
    return data


CHARGE = RequestSpec(method="POST", path="/charge", body='{"amount": 5}',
                     headers=(("Content-Type", "application/json"),))


def test_dropped_connections_are_counted_and_never_retried(loadgen: Path, story: ServiceProcess,
                                                            tmp_path: Path) -> None:
    load = LoadConfig(warmup=0.5, duration=2.0, rate=200, connections=4, requests=(CHARGE,))
    r = run_load(loadgen, story.url, load, tmp_path / "load.json")
    s = seen(story)
    # every POST the service received was sent once by us: none was retried behind its back
    assert r.retries == 0
    assert s["routes"]["charge"] == r.requests + r.warmup_requests >= 400
    # every connection it dropped is an error of its own class, warmup apart
    assert s["crashes"] == s["routes"]["charge"] // 20 == r.errors.conn_reset + r.warmup_errors
    assert r.errors.total == r.errors.conn_reset and r.ok == r.requests - r.errors.conn_reset
    assert r.connections_opened is not None and r.connections_opened >= s["crashes"]  # a new one after each drop
    v = judge_latency(r, max_error_rate=0.01)
    assert not v.passed
    assert re.match(r"latency: error rate [4-6]\.\d\d% > 1\.00%", v.message)
    assert f"errors: {r.errors.conn_reset} conn_reset" in v.message
    assert f"POST {story.url}/charge: {r.errors.conn_reset} conn_reset of {r.requests}" in v.message


def test_min_rate_is_judged_on_what_was_sent(loadgen: Path, story: ServiceProcess, tmp_path: Path) -> None:
    # /slow serves one request at a time for 25 ms: at most 40/s, whatever the connections
    load = LoadConfig(warmup=0.5, duration=2.0, rate=80, connections=16, timeout=5.0,
                      requests=(RequestSpec(path="/slow"),))
    r = run_load(loadgen, story.url, load, tmp_path / "load.json")
    assert r.send_rate is not None and r.send_rate < 55      # ~40/s once the 16 connections are busy
    assert r.dropped >= 160 - 110 and r.requests + r.dropped == 160
    # nothing queued is sent after the window: the service saw only what went out in time
    assert seen(story)["routes"]["slow"] == r.requests + r.warmup_requests
    v = judge_latency(r, min_rate=60)
    assert not v.passed
    assert f"send_rate {r.send_rate:.1f}/s < 60/s (dropped {r.dropped}" in v.message.splitlines()[0]


def test_redirects_are_counted_by_status_not_followed(loadgen: Path, story: ServiceProcess, tmp_path: Path) -> None:
    load = LoadConfig(warmup=0, duration=1.0, rate=50, requests=(RequestSpec(path="/redirect"),))
    r = run_load(loadgen, story.url, load, tmp_path / "load.json")
    assert r.status == {302: 50} and r.status_classes == {"3xx": 50}
    assert r.ok == 0 and r.errors.status == {302: 50} and r.error_rate == 1.0  # success is 2xx by default
    assert "login" not in seen(story)["routes"]
    # told to, the generator follows them (relative Location, same origin) and the final answer counts
    follow = LoadConfig(warmup=0, duration=1.0, rate=50, follow_redirects=True, requests=(RequestSpec(path="/redirect"),))
    r = run_load(loadgen, story.url, follow, tmp_path / "follow.json")
    assert r.status == {200: 50} and r.ok == 50 and r.redirects_followed == 50
    assert seen(story)["routes"]["login"] == 50
    # a 3xx can be declared a success instead
    accept = LoadConfig(warmup=0, duration=0.5, rate=50, expect_status=("302",),
                        requests=(RequestSpec(path="/redirect"),))
    r = run_load(loadgen, story.url, accept, tmp_path / "accept.json")
    assert r.ok == 25 and r.errors.total == 0 and r.expect_status == ("302",)


def test_connection_close_opens_a_connection_per_request(loadgen: Path, story: ServiceProcess,
                                                         tmp_path: Path) -> None:
    before = seen(story)["conns"]
    load = LoadConfig(warmup=0, duration=1.0, rate=100, connections=4,
                      requests=(RequestSpec(path="/users/{seq}", headers=(("Connection", "close"),)),))
    r = run_load(loadgen, story.url, load, tmp_path / "load.json")
    after = seen(story)
    assert r.ok == 100 and r.connections_opened == 100
    assert after["conns"] - before - 1 == 100  # minus the connection of this /stats request
    # keep-alive: every connection is opened at the start and kept, so the service's
    # connection count (and its goroutines) stay flat through the window
    keep = LoadConfig(warmup=0, duration=1.0, rate=100, connections=4, requests=(RequestSpec(path="/users/1"),))
    r = run_load(loadgen, story.url, keep, tmp_path / "keep.json")
    assert r.ok == 100 and r.connections_opened == 4
    assert seen(story)["conns"] - after["conns"] - 1 == 4


def test_placeholders_vary_the_path(loadgen: Path, story: ServiceProcess, tmp_path: Path) -> None:
    load = LoadConfig(warmup=0.2, duration=1.0, rate=100, connections=2,
                      requests=(RequestSpec(path="/users/{seq}"),))
    r = run_load(loadgen, story.url, load, tmp_path / "seq.json")
    assert r.ok == r.requests == 100
    assert sorted(seen(story)["users"]) == list(range(1, 121))  # warmup's 20 included, each once
    rand = LoadConfig(warmup=0, duration=1.0, rate=200, requests=(RequestSpec(path="/users/{rand:1000-1009}"),))
    r = run_load(loadgen, story.url, rand, tmp_path / "rand.json")
    ids = seen(story)["users"][120:]
    assert len(ids) == 200 and set(ids) == set(range(1000, 1010))
    assert r.by_request[0].url == f"{story.url}/users/{{rand:1000-1009}}"
    with pytest.raises(LoadError, match=r"load.requests\[1\] \(GET /users/\{id\}\): unknown placeholder \{id\}"):
        run_load(loadgen, story.url, LoadConfig(duration=0.5, rate=1, requests=(RequestSpec(path="/users/{id}"),)),
                 tmp_path / "bad.json")


def test_attach_url_keeps_its_path_prefix(loadgen: Path, story: ServiceProcess, tmp_path: Path) -> None:
    attached = AttachedService(f"{story.url}/svc-a/", None)
    load = LoadConfig(warmup=0, duration=1.0, rate=50, trace=0, follow_redirects=True,
                      requests=(RequestSpec(path="/users/{seq}", weight=3), RequestSpec(path="/redirect")))
    w = run_window(attached, load, tmp_path / "art", loadgen=loadgen)
    s = seen(story)["routes"]
    assert w.load is not None and w.load.ok == 50 and w.load.errors.total == 0
    assert s["svc-a/users"] + s["svc-a/redirect"] == 50 and s["svc-a/login"] == s["svc-a/redirect"]
    assert "users" not in s and "404" not in s
    # a path that does not exist under the prefix: the message names the URL really requested
    wrong = LoadConfig(warmup=0, duration=0.5, rate=20, trace=0, requests=(RequestSpec(path="/nope"),))
    with pytest.raises(LoadError, match=rf"GET {story.url}/svc-a/nope: 10 HTTP 404 of 10"):
        run_window(attached, wrong, tmp_path / "wrong", loadgen=loadgen)


def test_send_lag_is_reported_and_a_frozen_generator_is_blamed(loadgen: Path, story: ServiceProcess,
                                                              tmp_path: Path) -> None:
    load = LoadConfig(warmup=0.2, duration=2.0, rate=100, connections=4, requests=(RequestSpec(path="/users/1"),))
    with start_load(loadgen, story.url, load, tmp_path / "load.json") as run:
        time.sleep(1.0)
        assert run.pid is not None
        os.kill(run.pid, signal.SIGSTOP)  # the generator stalls 400 ms; the service does not
        time.sleep(0.4)
        os.kill(run.pid, signal.SIGCONT)
        r = run.result()
    assert r is not None and r.send_lag is not None and r.ok == r.requests == 200
    assert r.send_lag.p50 <= r.send_lag.p99 <= r.send_lag.max
    assert r.send_lag.max >= 0.3 and r.max >= 0.3   # our lateness is in the latency, and reported apart
    v = judge_latency(r, max=0.1)
    assert not v.passed
    first = v.message.splitlines()[0]
    assert first.startswith("latency: the load generator fell behind its schedule, so this run cannot judge "
                            "the service: max ")
    assert "is the generator's send lag" in first
