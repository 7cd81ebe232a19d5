"""service.attach.tunnel through a real forwarder (socat): awaited, restarted once, always stopped."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_goperf.errors import ServiceError
from pytest_goperf.go.build import BuiltSide
from pytest_goperf.go.ports import free_port
from pytest_goperf.go.service import ServiceProcess
from pytest_goperf.go.tunnel import Tunnel

SOCAT = shutil.which("socat")
pytestmark = pytest.mark.skipif(SOCAT is None and not os.environ.get("CI"),
                                reason="socat is not installed (apt-get install socat); .ci/run installs it")


def forward(local: int, remote: str) -> list[str]:
    assert SOCAT is not None, "socat is missing: .ci/run installs it with apt-get"
    return [SOCAT, f"TCP-LISTEN:{local},bind=127.0.0.1,reuseaddr,fork", f"TCP:{remote}"]


@pytest.fixture()
def service(example_sides: dict[str, BuiltSide], tmp_path: Path) -> Iterator[ServiceProcess]:
    binary = example_sides["pgo"].service_binary
    assert binary is not None
    with ServiceProcess(binary, args=["-addr={addr}", "-debug-addr={debug_addr}"], env={},
                        log_path=tmp_path / "svc.log") as svc:
        yield svc


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_tunnel_restarts_once_then_fails(service: ServiceProcess, tmp_path: Path) -> None:
    port = free_port()
    tunnel = Tunnel(forward(port, service.addr), [("127.0.0.1", port)], log_path=tmp_path / "tunnel.log")
    with tunnel:
        first = tunnel.pid
        assert first is not None and _accepts(port)
        os.killpg(first, signal.SIGKILL)            # the port-forward drops (a pod restarted)
        for _ in range(100):
            if subprocess.run(["kill", "-0", str(first)], capture_output=True, check=False).returncode:
                break
            time.sleep(0.02)
        tunnel.check()
        assert tunnel.restarted == 1 and tunnel.pid != first and _accepts(port)
        second = tunnel.pid
        assert second is not None
        os.killpg(second, signal.SIGKILL)
        time.sleep(0.2)
        with pytest.raises(ServiceError, match="dropped again .* after 1 restart"):
            tunnel.check()
    assert "restarting it once" in (tmp_path / "tunnel.log").read_text()
    assert not _accepts(port)


def test_a_tunnel_whose_port_never_opens(tmp_path: Path) -> None:
    port = free_port()
    tunnel = Tunnel(["sleep", "30"], [("127.0.0.1", port)], log_path=tmp_path / "t.log", timeout=1.0)
    with pytest.raises(ServiceError, match=rf"127.0.0.1:{port} refused connections for 1s: is that port forwarded"):
        with tunnel:
            pass
    assert tunnel.pid is None                       # stopped on the way out
    gone = Tunnel(["false"], [("127.0.0.1", port)], log_path=tmp_path / "g.log")
    with pytest.raises(ServiceError, match=r"exited \(1\) before its local port"):
        gone.start()


YAML = """\
service:
  name: tunnelled
  attach: {{url: "http://127.0.0.1:{api}", debug_url: "http://127.0.0.1:{debug}", tunnel: {tunnel}}}
load:
  warmup: 200ms
  duration: 3s
  rate: 200
  requests: [{{method: POST, path: /api/process, body: '{{"items":["a"]}}'}}]
  trace: 1s
thresholds:
  cpu: {{max_function_share: 100%, min_samples: 1}}
  latency: {{p99: 2s, max_error_rate: 0%}}
"""


def test_gate_through_a_tunnel(pytester: pytest.Pytester, service: ServiceProcess) -> None:
    """The attach URLs point at socat's local ports; load and captures go through it; it is gone afterwards."""
    api, debug = free_port(), free_port()
    assert service.debug_addr is not None
    script = f"{' '.join(forward(api, service.addr))} & {' '.join(forward(debug, service.debug_addr))} & wait"
    tunnel = f'["bash", "-c", "{script}"]'
    (pytester.path / "goperf.yaml").write_text(YAML.format(api=api, debug=debug, tunnel=tunnel))
    art = pytester.path / "art"
    result = pytester.runpytest("--goperf", "goperf.yaml", "--goperf-artifacts", str(art), "-v")
    result.assert_outcomes(passed=2)
    assert (art / "tunnelled" / "cpu.pprof").is_file() and (art / "tunnelled" / "tunnel.log").is_file()
    assert not _accepts(api) and not _accepts(debug)      # the tunnel was stopped
