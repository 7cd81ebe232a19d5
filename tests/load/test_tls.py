"""https:// and HTTP/2 against real Go services: the net/http engine, and errors that name a protocol mismatch."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pytest_goperf.config import LoadConfig, RequestSpec, TLSConfig
from pytest_goperf.errors import CaptureError, LoadError, ServiceError
from pytest_goperf.go.service import AttachedService, ServiceProcess
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.load.generator import build_loadgen, run_load
from pytest_goperf.load.protocol import h2c_status
from pytest_goperf.pprof.capture import fetch_profile
from pytest_goperf.run.window import run_window
from tests.toolchains import NEWEST, OLDEST, toolchain_or_skip

LOAD = LoadConfig(warmup=0.2, duration=1.0, rate=100, connections=4, timeout=2.0, requests=(RequestSpec(path="/api"),))


@contextmanager
def serving(binary: Path, tmp: Path, *args: str, tls: TLSConfig | None = None) -> Iterator[ServiceProcess]:
    probe = h2c_status if "-h2c-only" in args else None
    with ServiceProcess(binary, args=["-addr={addr}", *args], env={}, log_path=tmp / "svc.log", tls=tls,
                        ready_probe=probe) as svc:
        yield svc


def _protos(svc: ServiceProcess, tls: TLSConfig | None) -> dict[str, int]:
    """What the service itself counted, by the protocol each request came over."""
    from pytest_goperf.go.tls import direct_opener

    text = direct_opener(tls).open(svc.url + "/protos", timeout=5).read().decode()
    return {p: int(n) for p, n in (line.split() for line in text.splitlines() if line)}


def test_https_http1_and_h2_by_alpn(loadgen: Path, tls_service: Path, certs: Path, tmp_path: Path) -> None:
    tls = TLSConfig(ca_file=certs / "ca.pem")
    args = ("-cert", str(certs / "cert.pem"), "-key", str(certs / "key.pem"))
    with serving(tls_service, tmp_path, *args, tls=tls) as svc:
        assert svc.url.startswith("https://127.0.0.1:")
        h1 = run_load(loadgen, svc.url, LOAD, tmp_path / "h1.json", tls=tls)
        h2 = run_load(loadgen, svc.url, dataclasses.replace(LOAD, http2=True), tmp_path / "h2.json", tls=tls)
        seen = _protos(svc, tls)
    for r, proto in ((h1, "HTTP/1.1"), (h2, "HTTP/2.0")):
        assert r.engine == "net/http" and r.model == "open"
        assert r.requests + r.dropped == 100 and r.errors.total == 0 and r.ok == r.requests
        assert r.protocols == {proto: r.requests}
        assert r.send_lag is not None and r.p50 <= r.p99 <= r.max
    # the service saw every request (warmup included) over the protocol the result names
    assert seen["HTTP/1.1"] == h1.requests + h1.warmup_requests
    assert seen["HTTP/2.0"] == h2.requests + h2.warmup_requests
    assert h1.connections_opened == 4 and h2.connections_opened is not None and h2.connections_opened <= 2



@pytest.mark.parametrize("scheme", ["http", "https"])
def test_redirects_and_retries_count_the_measured_requests_only(loadgen: Path, tls_service: Path, certs: Path,
                                                                 tmp_path: Path, scheme: str) -> None:
    """Each /hops?n=3 request follows 3 redirects: the counts are exact, warmup apart, and no hop is a retry.

    The net/http engine (https) counted every hop as a Transport resend (go-httpbin: 5463 "retries" in a
    clean run); both engines counted the warmup's redirects in the measured figure.
    """
    tls = TLSConfig(ca_file=certs / "ca.pem") if scheme == "https" else None
    args = ("-cert", str(certs / "cert.pem"), "-key", str(certs / "key.pem")) if tls else ()
    load = dataclasses.replace(LOAD, warmup=0.5, follow_redirects=True, requests=(RequestSpec(path="/hops?n=3"),))
    with serving(tls_service, tmp_path, *args, tls=tls) as svc:
        r = run_load(loadgen, svc.url, load, tmp_path / "load.json", tls=tls)
    raw = json.loads((tmp_path / "load.json").read_text())
    assert r.engine == ("net/http" if tls else "epoll")
    assert r.ok == r.requests >= 90 and r.status == {200: r.requests}
    assert r.redirects_followed == 3 * r.requests and r.retries == 0
    assert raw["warmup"]["redirects_followed"] == 3 * r.warmup_requests > 0 and raw["warmup"]["retries"] == 0

def test_h2c_prior_knowledge(loadgen: Path, tls_service: Path, tmp_path: Path) -> None:
    with serving(tls_service, tmp_path, "-h2c-only") as svc:   # its ready check itself went over h2c
        r = run_load(loadgen, svc.url, dataclasses.replace(LOAD, http2=True), tmp_path / "h2c.json")
        assert h2c_status(svc.url + "/nope", 2.0) == 404          # a status from HPACK's static table
        assert h2c_status(svc.url + "/status?code=201", 2.0) == 201   # Huffman-coded (shorter than the digits)
        assert h2c_status(svc.url + "/status?code=503", 2.0) == 503   # sent as plain digits
    assert r.ok == r.requests and r.requests + r.dropped == 100 and r.protocols == {"HTTP/2.0": r.requests}


@pytest.mark.parametrize(("args", "scheme", "http2", "expected"), [
    (("-h2c-only",), "http", False, ("speaks HTTP/2 without TLS (h2c) only and closes HTTP/1.1 requests: set "
                                     "load.http2: true")),
    (("-tls",), "http", False, "speaks TLS, but the URL says http://: use https://"),
    ((), "https", False, "does not speak TLS (it answers plain HTTP/1.1): use http://"),
    ((), "http", True, "load.http2 is true, but http://127.0.0.1"),
    (("-tls", "-no-h2"), "https", True, "offers no HTTP/2 over TLS (ALPN chose http/1.1)"),
])
def test_protocol_mismatch_is_named(loadgen: Path, tls_service: Path, certs: Path, tmp_path: Path,
                                    args: tuple[str, ...], scheme: str, http2: bool, expected: str) -> None:
    """Every request fails, and the error says which protocol the service speaks and what to change."""
    real = [a for a in args if a != "-tls"]
    if "-tls" in args:
        real += ["-cert", str(certs / "cert.pem"), "-key", str(certs / "key.pem")]
    tls = TLSConfig(ca_file=certs / "ca.pem")
    svc_tls = tls if "-tls" in args else None
    with serving(tls_service, tmp_path, *real, tls=svc_tls) as svc:
        url = scheme + "://" + svc.url.split("://", 1)[1]
        load = dataclasses.replace(LOAD, http2=http2, duration=0.5, trace=0)
        with pytest.raises(LoadError) as excinfo:
            run_window(AttachedService(url), load, tmp_path / "art", loadgen=loadgen, captures=(), tls=tls)
    message = str(excinfo.value)
    assert "every measured request" in message and "protocol mismatch" in message and expected in message, message


def test_untrusted_certificate_says_which_key_to_set(loadgen: Path, tls_service: Path, certs: Path,
                                                     tmp_path: Path) -> None:
    args = ("-cert", str(certs / "cert.pem"), "-key", str(certs / "key.pem"))
    with serving(tls_service, tmp_path, *args, tls=TLSConfig(ca_file=certs / "ca.pem")) as svc:
        with pytest.raises(LoadError, match="certificate signed by unknown authority"):
            run_window(AttachedService(svc.url), dataclasses.replace(LOAD, duration=0.5), tmp_path / "a",
                       loadgen=loadgen, captures=())
        skip = TLSConfig(insecure_skip_verify=True)
        r = run_load(loadgen, svc.url, dataclasses.replace(LOAD, duration=0.5), tmp_path / "skip.json", tls=skip)
        assert r.ok == r.requests > 0
    # a started TLS service without service.tls never gets ready, and the error names the mismatch
    with pytest.raises(ServiceError, match="protocol mismatch: .* speaks TLS"):
        with ServiceProcess(tls_service, args=["-addr={addr}", *args], env={}, log_path=tmp_path / "x.log",
                            ready_timeout=1.0):
            pass


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
def test_h2c_by_toolchain(version: str, tls_service: Path, tmp_path: Path) -> None:
    """Go 1.24 added http.Protocols: a generator built with 1.22 refuses h2c clearly, the newest speaks it."""
    toolchain: GoToolchain = toolchain_or_skip(version)
    binary = build_loadgen(toolchain, tmp_path / "cache")
    with serving(tls_service, tmp_path, "-h2c-only") as svc:
        load = dataclasses.replace(LOAD, http2=True, duration=0.5)
        if toolchain.version_tuple[1] < 24:
            with pytest.raises(LoadError, match=r"h2c\) needs the load generator built with Go 1.24 or newer .*go1\.22"):
                run_load(binary, svc.url, load, tmp_path / "r.json")
        else:
            r = run_load(binary, svc.url, load, tmp_path / "r.json")
            assert r.ok == r.requests > 0 and r.protocols == {"HTTP/2.0": r.requests}


def test_tls_debug_endpoint_captures(loadgen: Path, tls_service: Path, certs: Path, tmp_path: Path) -> None:
    """A started service whose API and debug listeners both speak TLS: load and CPU profile through service.tls."""
    tls = TLSConfig(ca_file=certs / "ca.pem", debug=True)
    args = ("-cert", str(certs / "cert.pem"), "-key", str(certs / "key.pem"), "-debug-addr={debug_addr}",
            "-debug-tls")
    with serving(tls_service, tmp_path, *args, tls=tls) as svc:
        assert svc.debug_url is not None and svc.debug_url.startswith("https://")
        w = run_window(svc, dataclasses.replace(LOAD, duration=1.0), tmp_path / "art", loadgen=loadgen,
                       captures={"cpu"}, tls=tls)
        assert w.cpu_profile is not None and w.cpu_profile.read_bytes()[:2] == b"\x1f\x8b", w.errors
        # without trust for its CA a capture fails with the key to set
        with pytest.raises(CaptureError, match="service.tls.ca_file"):
            fetch_profile(svc.debug_url, "heap", tmp_path / "heap.pprof")


def test_interrupt_ends_requests_in_flight_as_timeouts(loadgen: Path, tls_service: Path, certs: Path,
                                                       tmp_path: Path) -> None:
    """SIGTERM: no new request, and those in flight end a second later as timeouts (as in the epoll engine)."""
    import signal
    import time

    from pytest_goperf.load.generator import start_load

    tls = TLSConfig(ca_file=certs / "ca.pem")
    args = ("-cert", str(certs / "cert.pem"), "-key", str(certs / "key.pem"))
    load = LoadConfig(warmup=0, duration=20, rate=20, connections=4, timeout=30,
                      requests=(RequestSpec(path="/sleep?ms=20000"),))
    with serving(tls_service, tmp_path, *args, tls=tls) as svc:
        run = start_load(loadgen, svc.url, load, tmp_path / "r.json", tls=tls)
        time.sleep(1.0)
        assert run.pid is not None
        began = time.monotonic()
        os.kill(run.pid, signal.SIGTERM)
        r = run.result()
        took = time.monotonic() - began
    # Not a timing test: without the cut, the 20 s requests would hold the generator for 19 s more.
    assert r is not None and r.interrupted and took < 15
    assert r.errors.timeout == r.requests == 4      # all four connections were busy with a 20 s request
