"""load.tool: vegeta (two attackers merged exactly, results from elsewhere) and locust (a master, two workers)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_goperf.config import LoadConfig, LocustConfig, RequestSpec, VegetaConfig
from pytest_goperf.go.service import ServiceProcess
from pytest_goperf.load.tally import expected
from pytest_goperf.load.vegeta import read_hits, vegeta_result
from pytest_goperf.run.window import run_window

BODY = '{"customer":"acme","currency":"EUR","items":["a","b"]}'
MIX = (RequestSpec(method="POST", path="/api/process", body=BODY, weight=3, headers=(("Content-Type", "application/json"),)),
       RequestSpec(method="GET", path="/healthz", weight=1))
LOAD = LoadConfig(warmup=0.5, duration=2.0, rate=200, connections=8, requests=MIX, trace=0)


@pytest.fixture(scope="module")
def service(example_service: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    log = tmp_path_factory.mktemp("svc") / "service.log"
    with ServiceProcess(example_service, args=["-addr={addr}"], env={"GOMAXPROCS": "1"}, log_path=log) as svc:
        yield svc


def test_vegeta_two_attackers_merge_exactly(vegeta: Path, service: ServiceProcess, tmp_path: Path) -> None:
    load = dataclasses.replace(LOAD, tool="vegeta", vegeta=VegetaConfig(attackers=2))
    r = run_window(service, load, tmp_path, vegeta=vegeta, captures=()).load
    assert r is not None and r.engine == "vegeta v12.13.0" and r.model == "open"
    files = [tmp_path / "vegeta-0.bin", tmp_path / "vegeta-1.bin"]
    # every slot of the schedule (2 x 100/s over 2.5 s) is accounted for: sent, or dropped
    assert r.requests + r.dropped == 400 and r.warmup_requests + r.warmup_dropped == 100
    assert r.errors.total == 0 and r.ok == r.requests and {o.url.rsplit("/", 1)[1] for o in r.by_request} == {
        "process", "healthz"}
    # vegeta's own merge of the two files counts what we count, and its raw latencies are what we read
    report = json.loads(subprocess.run([str(vegeta), "report", "-type=json", *map(str, files)], capture_output=True,
                                       check=True, text=True).stdout)
    hits = [h for f in files for h in read_hits(vegeta, f)]
    assert report["requests"] == len(hits) == r.requests + r.warmup_requests
    assert report["status_codes"] == {"200": len(hits)}
    raw = [h.latency for h in hits]
    assert report["latencies"]["min"] == min(raw) and report["latencies"]["max"] == max(raw)
    assert abs(report["latencies"]["mean"] - sum(raw) / len(raw)) <= 1
    # from the schedule, latency is the send lag plus vegeta's own latency: never below it
    assert r.p50 >= sorted(raw)[len(raw) // 2] * 1e-9 * 0.5 and r.send_lag is not None
    # merging: the two attackers' histograms add up bucket by bucket
    a = vegeta_result(vegeta, dataclasses.replace(load, rate=100, vegeta=VegetaConfig()), service.url, files[:1],
                      [(s.method, service.url + s.path) for s in MIX])
    b = vegeta_result(vegeta, dataclasses.replace(load, rate=100, vegeta=VegetaConfig()), service.url, files[1:],
                      [(s.method, service.url + s.path) for s in MIX])
    merged: dict[tuple[int, int], int] = {}
    for part in (a, b):
        for lo, hi, n in part["histogram"]["buckets"]:
            merged[(lo, hi)] = merged.get((lo, hi), 0) + n
    assert merged == {(lo, hi): n for lo, hi, n in json.loads((tmp_path / "load.json").read_text())
                      ["histogram"]["buckets"]}
    assert a["requests"] + b["requests"] == r.requests


def test_vegeta_results_from_elsewhere_are_merged(vegeta: Path, service: ServiceProcess, tmp_path: Path) -> None:
    """A second attacker's file given as load.vegeta.results counts as a local one does (its rate estimated)."""
    local = dataclasses.replace(LOAD, tool="vegeta", vegeta=VegetaConfig(attackers=2))
    run_window(service, local, tmp_path, vegeta=vegeta, captures=())
    both = json.loads((tmp_path / "load.json").read_text())
    elsewhere = dataclasses.replace(local, rate=100, vegeta=VegetaConfig(results=(tmp_path / "vegeta-1.bin",)))
    entries = [(s.method, service.url + s.path) for s in MIX]
    mixed = vegeta_result(vegeta, elsewhere, service.url, [tmp_path / "vegeta-0.bin"], entries)
    assert mixed["requests"] + mixed["warmup"]["requests"] == both["requests"] + both["warmup"]["requests"]
    assert abs(mixed["requests"] - both["requests"]) <= 2   # a hit at the warmup's edge may change sides
    assert mixed["latency_ns"]["p50"] == pytest.approx(both["latency_ns"]["p50"], rel=0.2)
    missing = dataclasses.replace(elsewhere, vegeta=VegetaConfig(results=(tmp_path / "nope.bin",)))
    from pytest_goperf.errors import LoadError
    with pytest.raises(LoadError, match="nope.bin do not exist"):
        vegeta_result(vegeta, missing, service.url, [tmp_path / "vegeta-0.bin"], entries)


def test_locust_master_with_two_workers(service: ServiceProcess, tmp_path: Path) -> None:
    load = dataclasses.replace(LOAD, tool="locust", locust=LocustConfig(workers=2))
    w = run_window(service, load, tmp_path, captures=())
    r = w.load
    assert r is not None and r.engine is not None and r.engine.startswith("locust 2.")
    assert r.model == "open" and r.requests + r.dropped == 400 and r.warmup_requests + r.warmup_dropped == 100
    assert r.errors.total == 0 and r.ok == r.requests > 300 and r.send_lag is not None
    data = json.loads((tmp_path / "load.json").read_text())
    assert data["workers"] == 2
    # Locust's own statistics (its CSV, whole run) count the same requests and failures
    stats = data["locust_stats"]
    assert int(stats["Request Count"]) == r.requests + r.warmup_requests and int(stats["Failure Count"]) == 0
    assert all(expected(code, r.expect_status) for code in r.status)


def test_own_locustfile(service: ServiceProcess, tmp_path: Path) -> None:
    """A user's locustfile sets the load shape (closed model here); the hook still counts every request."""
    locustfile = tmp_path / "mine.py"
    locustfile.write_text(
        "from locust import FastHttpUser, constant_throughput, task\n"
        "class Shopper(FastHttpUser):\n"
        "    wait_time = constant_throughput(50)\n"
        "    @task\n"
        "    def health(self):\n"
        "        self.client.get('/healthz')\n"
        "        self.client.get('/missing')\n")
    load = dataclasses.replace(LOAD, connections=2, tool="locust", expect_status=("2xx",),
                               locust=LocustConfig(workers=1, locustfile=locustfile))
    r = run_window(service, load, tmp_path / "art", captures=()).load
    assert r is not None and r.model == "closed" and r.rate_requested is None
    assert {o.url.rsplit("/", 1)[1] for o in r.by_request} == {"healthz", "missing"}
    assert r.status.get(200, 0) > 0 and r.errors.status.get(404, 0) == r.status[404] > 0
