"""Service lifecycle against real processes: ready, errors with log tails, always stopped."""

from __future__ import annotations

import os
import socket
import urllib.request
from pathlib import Path

import pytest

from pytest_goperf.errors import ServiceError
from pytest_goperf.go.service import AttachedService, ServiceProcess

ARGS = ["-addr={addr}", "-debug-addr={debug_addr}"]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_starts_ready_and_stops(example_service: Path, tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    with ServiceProcess(example_service, args=ARGS, env={"GOMAXPROCS": "1"}, log_path=log) as svc:
        assert svc.url.startswith("http://127.0.0.1:")
        assert svc.debug_url is not None and svc.debug_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(svc.url + "/healthz", timeout=5) as resp:
            assert resp.read() == b"ok\n"
        with urllib.request.urlopen(svc.debug_url + "/debug/pprof/cmdline", timeout=5) as resp:
            assert b"-addr=" + svc.url[7:].encode() in resp.read()
        pid = svc.pid
        assert pid is not None
    assert _gone(pid)
    assert svc.returncode == 0  # SIGTERM -> graceful shutdown
    assert "api listening on" in log.read_text()
    assert "stopped" in svc.log_tail()


def test_no_debug_addr_means_no_debug_url(example_service: Path, tmp_path: Path) -> None:
    with ServiceProcess(example_service, args=["-addr={addr}", "-debug-addr="], env={},
                        log_path=tmp_path / "s.log") as svc:
        assert svc.debug_url is None


def test_exits_at_once_fails_fast_with_log_tail(bad_service: Path, tmp_path: Path) -> None:
    with pytest.raises(ServiceError) as err:
        with ServiceProcess(bad_service, args=["-addr={addr}", "-mode=exit"], env={},
                            ready_timeout=30, log_path=tmp_path / "s.log"):
            pass
    msg = str(err.value)
    assert "exited while starting (exit status 3)" in msg
    assert "giving up at once on purpose" in msg


def test_never_ready_times_out_and_is_stopped(bad_service: Path, tmp_path: Path) -> None:
    svc = ServiceProcess(bad_service, args=["-addr={addr}", "-mode=never-ready"], env={},
                         ready_timeout=1.0, log_path=tmp_path / "s.log")
    with pytest.raises(ServiceError, match=r"not ready after 1s: GET .*/healthz -> HTTP 503") as err:
        with svc:
            pass
    assert "api listening on" in str(err.value)
    assert svc.pid is not None and _gone(svc.pid)


def test_wrong_port_is_named(bad_service: Path, tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match=r"listens on port\(s\) \d+ instead: does it use the \{addr\}"):
        with ServiceProcess(bad_service, args=["-addr={addr}", "-mode=wrong-port"], env={},
                            ready_timeout=1.0, log_path=tmp_path / "s.log"):
            pass


def test_port_already_taken(example_service: Path, tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        with pytest.raises(ServiceError, match="already taken") as err:
            with ServiceProcess(example_service, args=["-addr={addr}", f"-debug-addr=127.0.0.1:{taken}"],
                                env={}, log_path=tmp_path / "s.log"):
                pass
    assert "address already in use" in str(err.value)


@pytest.mark.parametrize("debug", ["-debug-addr=0.0.0.0:6060", "-debug-addr=:6060", "--pprof-listen=10.0.0.1:1"])
def test_public_debug_address_is_refused(example_service: Path, tmp_path: Path, debug: str) -> None:
    with pytest.raises(ServiceError, match="allow_public_debug"):
        ServiceProcess(example_service, args=["-addr={addr}", debug], env={}, log_path=tmp_path / "s.log")
    # the opt-in only lifts the refusal; nothing is started here
    ServiceProcess(example_service, args=["-addr={addr}", debug], env={}, log_path=tmp_path / "s.log",
                   allow_public_debug=True)


def test_literal_loopback_debug_address_becomes_debug_url(example_service: Path, tmp_path: Path) -> None:
    svc = ServiceProcess(example_service, args=["-addr={addr}", "-debug-addr=127.0.0.1:6061"], env={},
                         log_path=tmp_path / "s.log")
    assert svc.debug_url == "http://127.0.0.1:6061"


def test_ctrl_c_inside_the_block_stops_the_service(example_service: Path, tmp_path: Path) -> None:
    pid = None
    with pytest.raises(KeyboardInterrupt):
        with ServiceProcess(example_service, args=ARGS, env={}, log_path=tmp_path / "s.log") as svc:
            pid = svc.pid
            raise KeyboardInterrupt
    assert pid is not None and _gone(pid)


def test_crash_is_reported_by_check_alive(bad_service: Path, tmp_path: Path) -> None:
    with ServiceProcess(bad_service, args=["-addr={addr}", "-mode=crash-after", "-n=1"], env={},
                        log_path=tmp_path / "s.log") as svc:
        with pytest.raises(OSError):
            urllib.request.urlopen(svc.url + "/work", timeout=5)
        with pytest.raises(ServiceError, match="(?s)exited under load .*crashing after 1 requests on purpose"):
            for _ in range(100):
                svc.check_alive()
                __import__("time").sleep(0.05)


def test_attached_service_is_not_managed() -> None:
    svc = AttachedService("http://127.0.0.1:8080/", "http://127.0.0.1:6060")
    with svc as s:
        assert s.url == "http://127.0.0.1:8080" and s.debug_url == "http://127.0.0.1:6060"
        assert s.pid is None and s.log_tail() == ""


def test_wrapper_script_child_owns_the_port(example_service: Path, tmp_path: Path) -> None:
    # sh stays the group leader; the Go service is its child and holds the socket
    args = ["-c", '"$0" "$@"; true', str(example_service), "-addr={addr}", "-debug-addr="]
    with ServiceProcess(Path("/bin/sh"), args=args, env={}, log_path=tmp_path / "s.log") as svc:
        with urllib.request.urlopen(svc.url + "/healthz", timeout=5) as resp:
            assert resp.status == 200
    assert "api listening on" in (tmp_path / "s.log").read_text()


def test_service_for_config(example_service: Path, tmp_path: Path) -> None:
    from pytest_goperf.config import Attach, ReadyCheck, ServiceConfig
    from pytest_goperf.go.service import service_for
    cfg = ServiceConfig(name="go-service", module=tmp_path, env=(("GOMAXPROCS", "1"),),
                        ready=ReadyCheck(path="healthz", timeout=10.0))
    svc = service_for(cfg, example_service, tmp_path / "art")
    assert isinstance(svc, ServiceProcess) and svc.ready_path == "/healthz"
    with svc:
        assert svc.debug_url is not None
    assert (tmp_path / "art" / "service.log").read_text()
    attached = service_for(ServiceConfig(name="x", module=tmp_path, attach=Attach("http://127.0.0.1:1")), None,
                           tmp_path)
    assert isinstance(attached, AttachedService) and attached.debug_url is None
    with pytest.raises(ServiceError, match="no binary to start"):
        service_for(cfg, None, tmp_path)
