"""Live pprof captures from a real service, and the errors users see when they fail."""

from __future__ import annotations

import gzip
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_goperf.errors import CaptureError
from pytest_goperf.go.ports import free_port
from pytest_goperf.go.service import ServiceProcess
from pytest_goperf.pprof.capture import (
    fetch_profile, goroutine_count, heap_memstats, parse_goroutine_total, parse_memstats, profile_url,
)


@pytest.fixture(scope="module")
def service(example_service: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    log = tmp_path_factory.mktemp("svc") / "service.log"
    with ServiceProcess(example_service, args=["-addr={addr}", "-debug-addr={debug_addr}"], env={},
                        log_path=log) as svc:
        yield svc


def test_urls() -> None:
    assert profile_url("http://h:1/", "cpu", seconds=2.7) == "http://h:1/debug/pprof/profile?seconds=2"
    assert profile_url("http://h:1/debug/pprof", "trace", seconds=0.5) == "http://h:1/debug/pprof/trace?seconds=0.5"
    assert profile_url("http://h:1", "heap", gc=True, debug=1) == "http://h:1/debug/pprof/heap?gc=1&debug=1"
    with pytest.raises(CaptureError, match="unknown profile kind 'hep'"):
        profile_url("http://h:1", "hep")


def test_binary_profiles(service: ServiceProcess, tmp_path: Path) -> None:
    assert service.debug_url is not None
    for kind in ("heap", "allocs", "goroutine"):
        path = fetch_profile(service.debug_url, kind, tmp_path / f"{kind}.pprof", gc=kind == "heap")
        assert len(gzip.decompress(path.read_bytes())) > 0
    cpu = fetch_profile(service.debug_url, "profile", tmp_path / "cpu.pprof", seconds=1)
    assert gzip.decompress(cpu.read_bytes())
    trace = fetch_profile(service.debug_url, "trace", tmp_path / "trace.out", seconds=0.3)
    assert trace.read_bytes().startswith(b"go 1.")


def test_text_numbers(service: ServiceProcess, tmp_path: Path) -> None:
    assert service.debug_url is not None
    n = goroutine_count(service.debug_url, tmp_path / "g.txt")
    assert n >= 3  # main, two Serve loops at least
    stats = heap_memstats(service.debug_url, tmp_path / "h.txt")
    assert stats["HeapInuse"] > 0 and stats["NumGC"] >= 1  # gc=1 forced one
    assert parse_goroutine_total("goroutine profile: total 17\n1 @ 0x1\n") == 17
    assert parse_memstats("# HeapInuse = 42\n# NumGC = 3\nnot = 4\n") == {"HeapInuse": 42, "NumGC": 3}
    with pytest.raises(CaptureError, match="goroutine profile: total N"):
        parse_goroutine_total("hello")


def test_connection_refused_names_the_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(CaptureError, match=r"GET http://127\.0\.0\.1:\d+/debug/pprof/heap: connection refused. "
                       r"The debug \(pprof\) listener is probably not started or is bound elsewhere"):
        fetch_profile(url, "heap", tmp_path / "heap.pprof")
    assert not (tmp_path / "heap.pprof").exists()


def test_write_timeout_error_shows_the_fix(bad_service: Path, tmp_path: Path) -> None:
    # Go 1.23+ extends the deadline itself; badservice answers like older net/http/pprof.
    with ServiceProcess(bad_service, args=["-addr={addr}", "-debug-addr={debug_addr}", "-debug-write-timeout=1s"],
                        env={}, log_path=tmp_path / "s.log") as svc:
        assert svc.debug_url is not None
        with pytest.raises(CaptureError, match=r"HTTP 400: profile duration exceeds server's WriteTimeout.*"
                           r"Fix: give the debug server's http.Server a WriteTimeout longer"):
            fetch_profile(svc.debug_url, "profile", tmp_path / "cpu.pprof", seconds=2)


def test_concurrent_cpu_profiles_500(service: ServiceProcess, tmp_path: Path) -> None:
    import threading
    assert service.debug_url is not None
    url = service.debug_url
    first = threading.Thread(target=fetch_profile, args=(url, "profile", tmp_path / "a.pprof"), kwargs={"seconds": 2})
    first.start()
    try:
        time.sleep(0.5)
        with pytest.raises(CaptureError, match=r"HTTP 500: Could not enable CPU profiling.*"
                           r"Fix: something else is profiling this process"):
            fetch_profile(url, "profile", tmp_path / "b.pprof", seconds=1)
    finally:
        first.join()
    assert (tmp_path / "a.pprof").exists() and not (tmp_path / "b.pprof").exists()


def test_not_found(service: ServiceProcess, tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match=r"HTTP 404.*net/http/pprof registered"):
        fetch_profile(service.url, "heap", tmp_path / "heap.pprof")  # the API port has no pprof


def test_not_a_profile(bad_service: Path, tmp_path: Path) -> None:
    with ServiceProcess(bad_service, args=["-addr={addr}"], env={}, log_path=tmp_path / "s.log") as svc:
        with pytest.raises(CaptureError, match=r"answered, but not with a heap profile \(first bytes b'done"):
            fetch_profile(svc.url, "heap", tmp_path / "heap.pprof")  # its catch-all answers "done"


def test_timeout_says_how_long_it_waited(tmp_path: Path) -> None:
    with socket.socket() as mute:  # accepts connections, never answers
        mute.bind(("127.0.0.1", 0))
        mute.listen()
        url = f"http://127.0.0.1:{mute.getsockname()[1]}"
        with pytest.raises(CaptureError, match=r"after waiting 0.5s"):
            fetch_profile(url, "heap", tmp_path / "heap.pprof", timeout=0.5)


def test_proxy_settings_are_ignored(example_service: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with ServiceProcess(example_service, args=["-addr={addr}", "-debug-addr={debug_addr}"], env={},
                        log_path=tmp_path / "s.log") as svc:
        assert svc.debug_url is not None
        assert goroutine_count(svc.debug_url, tmp_path / "g.txt") > 0


def test_cancel_cuts_off_a_long_profile(service: ServiceProcess, tmp_path: Path) -> None:
    import threading
    from pytest_goperf.pprof.capture import Cancel
    assert service.debug_url is not None
    url = service.debug_url
    token = Cancel()
    errors: list[str] = []

    def long_profile() -> None:
        try:
            fetch_profile(url, "profile", tmp_path / "cpu.pprof", seconds=30, cancel=token)
        except CaptureError as exc:
            errors.append(str(exc))

    worker = threading.Thread(target=long_profile)
    worker.start()
    time.sleep(0.3)
    token.cancel()
    worker.join(10)  # far below the 30 s the profile would take
    assert not worker.is_alive() and errors and "cancelled" in errors[0]
    assert not (tmp_path / "cpu.pprof").exists()
    # the server notices the client leaving and stops profiling, long before its 30 s
    for _ in range(50):
        try:
            assert fetch_profile(url, "profile", tmp_path / "next.pprof", seconds=1).exists()
            break
        except CaptureError as exc:
            assert "already in use" in str(exc)
            time.sleep(0.1)
    else:
        pytest.fail("the service kept profiling after the client went away")
