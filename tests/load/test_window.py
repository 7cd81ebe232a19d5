"""One capture window against real services: all artifacts, and what survives failures."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

from pytest_goperf.config import LoadConfig, RequestSpec
from pytest_goperf.errors import CaptureError, LoadError, ServiceError
from pytest_goperf.go.service import AttachedService, ServiceProcess
from pytest_goperf.health.series import Series
from pytest_goperf.run.window import run_window

ARGS = ["-addr={addr}", "-debug-addr={debug_addr}"]
MIX = (RequestSpec(method="POST", path="/api/process", body='{"customer":"a","items":["x","y"]}',
                   headers=(("Content-Type", "application/json"),)),)
SHORT = LoadConfig(warmup=0.5, duration=2.0, rate=200, connections=4, requests=MIX, sample_every=0.5, trace=1.0)


def test_full_window(example_service: Path, loadgen: Path, tmp_path: Path) -> None:
    art = tmp_path / "art"
    with ServiceProcess(example_service, args=ARGS, env={"GOMAXPROCS": "1"}, log_path=art / "service.log") as svc:
        w = run_window(svc, SHORT, art, loadgen=loadgen)
    assert w.errors == {}
    assert w.load is not None and w.load.requests + w.load.dropped == 400 and w.load.errors.total == 0
    assert gzip.decompress(w.require("cpu").read_bytes())
    assert w.require("trace").read_bytes().startswith(b"go 1.")
    # slots at t = 0, 0.5, 1, 1.5; none after the load (connections gone) and none inside
    # the trace's span [0.5, 1.5) with its 0.1 s margin: gc=1 and goroutine dumps would show in it
    assert w.series is not None and [round(s.t * 2) / 2 for s in w.series.samples] == [0.0, 1.5]
    assert all(s.heap_inuse and s.goroutines for s in w.series.samples)
    for s in w.series.samples:
        assert s.heap_profile and gzip.decompress((art / s.heap_profile).read_bytes())
        assert s.goroutine_text and (art / s.goroutine_text).read_text().startswith("goroutine profile: total")
    assert [s.t for s in w.series.samples] == sorted(s.t for s in w.series.samples)
    assert Series.read(art / "series.json").samples == w.series.samples
    summary = json.loads((art / "window.json").read_text())
    assert summary["cpu_profile"] == "cpu.pprof" and summary["trace"] == "trace.out" and summary["errors"] == {}
    assert summary["plugin_cpu_cores"] == w.plugin_cpu >= 0 and w.loadgen_cpu is not None
    assert w.window_seconds >= 2.0


def test_only_the_captures_asked_for(example_service: Path, loadgen: Path, tmp_path: Path) -> None:
    """A goroutine gate alone: no CPU profile, no trace, and no forced GC (no heap sample) in the service."""
    art = tmp_path / "art"
    with ServiceProcess(example_service, args=ARGS, env={"GOMAXPROCS": "1"}, log_path=art / "service.log") as svc:
        w = run_window(svc, SHORT, art, loadgen=loadgen, captures={"goroutines"})
    assert w.cpu_profile is None and w.trace is None and not (art / "cpu.pprof").exists()
    assert w.series is not None and w.series.samples
    assert all(s.goroutines and s.heap_alloc is None and s.gc_seconds is None for s in w.series.samples)
    assert all(s.dump_seconds is not None and s.dump_seconds > 0 for s in w.series.samples)
    assert not list(art.glob("heap-*")) and "goroutine dumps" in (w.series.costs() or "")


def test_crash_under_load_keeps_artifacts(bad_service: Path, loadgen: Path, tmp_path: Path) -> None:
    art = tmp_path / "art"
    load = LoadConfig(warmup=0.5, duration=2.0, rate=100, connections=2, sample_every=0.5, trace=0)
    with ServiceProcess(bad_service, args=[*ARGS, "-mode=crash-after", "-n=80"], env={},
                        log_path=art / "service.log") as svc:
        with pytest.raises(ServiceError, match=r"(?s)exited under load.*crashing after 80 requests"):
            run_window(svc, load, art, loadgen=loadgen)
    summary = json.loads((art / "window.json").read_text())
    assert summary["series"] == "series.json"
    assert (art / "heap-000.pprof").exists() and (art / "load-config.json").exists()


def test_only_500s_is_a_load_error(bad_service: Path, loadgen: Path, tmp_path: Path) -> None:
    art = tmp_path / "art"
    load = LoadConfig(warmup=0, duration=1.0, rate=50, sample_every=0.5, trace=0)
    with ServiceProcess(bad_service, args=[*ARGS, "-mode=status500"], env={}, log_path=art / "service.log") as svc:
        with pytest.raises(LoadError, match=r"(?s)every measured request to .* failed \(50 HTTP 500\).*"
                                            r"service log tail.*api listening"):
            run_window(svc, load, art, loadgen=loadgen)
    assert json.loads((art / "load.json").read_text())["errors"]["status"] == {"500": 50}


def test_no_debug_listener(example_service: Path, loadgen: Path, tmp_path: Path) -> None:
    art = tmp_path / "art"
    load = LoadConfig(warmup=0, duration=1.0, rate=50, requests=MIX, trace=0)
    with ServiceProcess(example_service, args=["-addr={addr}", "-debug-addr="], env={},
                        log_path=art / "service.log") as svc:
        w = run_window(svc, load, art, loadgen=loadgen)
    assert w.load is not None and w.load.ok == 50
    with pytest.raises(CaptureError, match="no debug_url"):
        w.require("cpu")


def test_load_command_without_our_json(example_service: Path, tmp_path: Path) -> None:
    art = tmp_path / "art"
    script = ("import sys,time,urllib.request\n"
              "end = time.time() + 1.5\n"
              "while time.time() < end:\n"
              "    urllib.request.urlopen(sys.argv[1] + '/healthz').read(); time.sleep(0.05)\n")
    load = LoadConfig(warmup=0.5, duration=1.0, sample_every=0.5, trace=0,
                      command=(sys.executable, "-c", script, "{url}"))
    with ServiceProcess(example_service, args=ARGS, env={}, log_path=art / "service.log") as svc:
        w = run_window(svc, load, art)
    assert w.load is None and w.load_skipped is not None and "load.result" in w.load_skipped
    assert w.cpu_profile is not None and w.series is not None and w.series.samples


def test_attach_mode(example_service: Path, loadgen: Path, tmp_path: Path) -> None:
    load = LoadConfig(warmup=0, duration=1.0, rate=50, requests=MIX, sample_every=0.5, trace=0.25)
    with ServiceProcess(example_service, args=ARGS, env={}, log_path=tmp_path / "service.log") as svc:
        attached = AttachedService(svc.url, svc.debug_url)
        w = run_window(attached, load, tmp_path / "art", loadgen=loadgen)
        assert svc.returncode is None  # attaching neither starts nor stops anything
    assert w.errors == {} and w.load is not None and w.load.ok == 50 and w.trace is not None


def _running_with(arg: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if arg.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_ctrl_c_stops_generator_and_service(example_service: Path, loadgen: Path, tmp_path: Path) -> None:
    import _thread
    import signal
    import threading
    art = tmp_path / "art"
    load = LoadConfig(warmup=0.5, duration=30.0, rate=50, requests=MIX, sample_every=0.5, trace=0)
    timer = threading.Timer(1.5, _thread.interrupt_main)
    pid = None
    # A CI job started in the background inherits SIGINT as ignored, and then
    # interrupt_main does nothing: make Ctrl-C raise, as it does in a terminal.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with ServiceProcess(example_service, args=ARGS, env={}, log_path=art / "service.log") as svc:
                pid = svc.pid
                timer.start()
                run_window(svc, load, art, loadgen=loadgen)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert _running_with(str(art / "load-config.json")) == []
    assert pid is not None and pid not in [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    assert (art / "window.json").exists() and (art / "heap-000.pprof").exists()
