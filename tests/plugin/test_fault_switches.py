"""Each fault switch of examples/go-service fails its gate; the healthy service passes every gate at the same load.

One pytest --goperf run holds seven services: the example as it is and with
each fault switch on, all under the example's own thresholds and load shape
(500 req/s over 8 connections; a 12 s window here instead of 30 s, 6 or 8 s
for the four faults far above their limits, see SHORT).
"""

from __future__ import annotations

import pytest
import yaml

from ..helpers import EXAMPLE, example_config

FAULTS = {
    "healthy": (None, set()),
    "leak-goroutines": ("-leak-goroutines", {"goroutines"}),
    "leak-heap": ("-leak-heap", {"heap"}),
    "pool-oversize": ("-pool-oversize", {"heap"}),
    "contend": ("-contend", {"blocks"}),
    "hot": ("-hot", {"cpu"}),
    "slow-stw": ("-slow-stw", {"gc"}),
}
# What a fault may legitimately trip besides its own gate (and why), as docs/load.md says.
ALSO = {
    "leak-goroutines": {"heap"},  # each parked goroutine keeps its response buffer alive
    "contend": {"latency"},     # requests queue behind the lock: the p99 grows by the queue
    "hot": {"latency", "scheduler"},  # 1 ms more CPU per request on 2 cores: queueing and runnable waits
    "slow-stw": {"latency", "scheduler"},  # most of a core in copies, and every stop-the-world stalls all goroutines
}


def _yaml(name: str, flag: str | None) -> str:
    cfg = example_config()
    cfg["service"].update(name=name, module=str(EXAMPLE))
    if flag:
        cfg["service"]["args"] = [*cfg["service"]["args"], flag]
    del cfg["bench"]
    del cfg["thresholds"]["bench"]
    # 12 s with a 2 s trace and a sample every 400 ms: about 20 heap samples outside the trace, enough for the
    # trend after the warm-up to be significant (10 s, 3 s and 500 ms left 6, and -pool-oversize passed once)
    cfg["load"].update(warmup="1s", duration="12s", trace="2s", sample_every="400ms")
    cfg["thresholds"]["cpu"]["min_samples"] = 20  # 12 s instead of 30 s: the faults, not the sample count, are tested here
    if name == "pool-oversize":
        # Its leak grows with uptime, and so do the in-flight buffers around it: at 8 connections the in-flight
        # wander hid a 13 MiB rise in 12 s (the heap gate's wander rule, docs/load.md). 2 connections keep the
        # leak and shrink the wander; a 30 s window at the example's shape shows it too.
        cfg["load"].update(connections=2, rate=250)
    if name in SHORT:
        cfg["load"].update(duration="6s")
    if name == "slow-stw":
        # 59-73 % of its pauses are slow; a window with 22 % CPU steal (the worst seen here) tolerates 39 %
        # (docs/load.md).  4 s of trace, about 90 pauses: need ~45 at that steal, ~15 at 5 %; got 53-67.
        # 8 s leave the heap gate its 6 samples outside the trace (a config check refuses fewer).
        cfg["load"].update(trace="4s", duration="8s")
    return yaml.safe_dump(cfg)


# Faults far above any noise in 6 s (2 s of trace): a goroutine per request (500/s), a lock held across
# every request, 1 ms more CPU per request.  The heap faults need the 12 s trend; the healthy service keeps
# 12 s too (it is the false-alarm check, at the example's shape); the slow pauses take 8 s, see _yaml.
SHORT = {"leak-goroutines", "contend", "hot"}

BLAME = "The machine itself was busy"


def _failures(out: str) -> dict[tuple[str, str], str]:
    """(service, gate) -> failure text, from pytest's FAILURES sections ("___ service::gate ___")."""
    sections: dict[tuple[str, str], str] = {}
    key: tuple[str, str] | None = None
    for line in out.splitlines():
        head = line.strip("_ ").strip()
        if line.startswith("___") and "::" in head and " " not in head:
            service, gate = head.split("::")
            key = (service, gate)
            sections[key] = ""
        elif line.startswith("=") and key is not None:
            key = None
        elif key is not None:
            sections[key] += line + "\n"
    return sections


def test_each_fault_fails_its_gate(pytester: pytest.Pytester) -> None:
    for name, (flag, _) in FAULTS.items():
        (pytester.path / f"{name}.goperf.yaml").write_text(_yaml(name, flag))
    result = pytester.runpytest("--goperf", *(f"{n}.goperf.yaml" for n in FAULTS), "--goperf-artifacts",
                                str(pytester.path / "art"))
    out = result.stdout.str()
    failures = _failures(out)
    for name, (_flag, expected) in FAULTS.items():
        got = {g for n, g in failures if n == name}
        assert expected <= got, f"{name}: expected {expected} to fail, failed: {got}\n{out[-6000:]}"
        if name != "healthy":
            continue  # a fault may shift other figures too (a leak makes more GC and another CPU mix)
        # The healthy service passes every gate, except a timing gate on a machine the plugin itself
        # found busy (it says so in the message).
        for gate in got - expected - ALSO.get(name, set()):
            assert BLAME in failures[(name, gate)], f"{name}: unexpected failure of {gate}:\n{failures[(name, gate)]}"
    # Each failure points at the faulty code.
    assert "main.leakGoroutine.func1" in failures[("leak-goroutines", "goroutines")]
    assert "main.leakBytes" in failures[("leak-heap", "heap")]
    assert "main.getBuffer" in failures[("pool-oversize", "heap")] or \
        "bytes.growSlice" in failures[("pool-oversize", "heap")]
    assert "main.withContention" in failures[("contend", "blocks")]
    assert failures[("hot", "cpu")].startswith("cpu: main.hotSpot takes ")
    assert "recurring" in failures[("slow-stw", "gc")] and "main.copyForever" in failures[("slow-stw", "gc")]
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 8 * len(FAULTS)  # pgo and 7 runtime gates each
