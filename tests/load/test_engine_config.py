"""service.tls, https and tunnelled attach URLs, load.http2 and load.tool read from goperf.yaml, with file:line:key errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goperf.config import load_config
from pytest_goperf.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.22\n")
    path = tmp_path / "goperf.yaml"
    path.write_text(text + "thresholds: {latency: {p99: 10ms}}\n")
    return path


def test_https_attach_tunnel_tls_and_engines_are_read(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x")
    (tmp_path / "load.py").write_text("x")
    cfg = load_config(write(tmp_path, """\
service:
  attach: {url: "https://127.0.0.1:8443/svc", debug_url: "https://127.0.0.1:6060",
           tunnel: [kubectl, port-forward, svc/checkout, "8443:8443", "6060:6060"]}
  tls: {ca_file: ca.pem, server_name: checkout.internal}
load:
  http2: true
  tool: vegeta
  vegeta: {attackers: 2, results: [other-host.bin]}
"""))
    attach, tls, load = cfg.service.attach, cfg.service.tls, cfg.load
    assert attach is not None and attach.url == "https://127.0.0.1:8443/svc" and attach.tunnel is not None
    assert attach.tunnel[:2] == ("kubectl", "port-forward")
    assert tls is not None and tls.ca_file == tmp_path / "ca.pem" and tls.server_name == "checkout.internal"
    assert not tls.insecure_skip_verify
    assert load is not None and load.http2 and load.tool == "vegeta" and load.vegeta.attackers == 2
    assert load.vegeta.results == (tmp_path / "other-host.bin",)
    assert load.arrivals == "jittered"
    assert load_config(write(tmp_path, "load:\n  arrivals: constant\n")).load.arrivals == "constant"
    locust = load_config(write(tmp_path, "load:\n  tool: locust\n  locust: {workers: 2, locustfile: load.py}\n")).load
    assert locust is not None and locust.locust.workers == 2 and locust.locust.locustfile == tmp_path / "load.py"
    plain = load_config(write(tmp_path, "load: {rate: 10}\n")).load
    assert plain is not None and plain.tool == "builtin" and not plain.http2


@pytest.mark.parametrize(("text", "expected"), [
    ('service:\n  attach: {url: "ftp://127.0.0.1:21"}\nload: {}\n',
     ":2: service.attach.url: service.attach.url must be an http://host:port or https://host:port URL"),
    ('service:\n  attach: {url: "http://127.0.0.1:1", debug_url: "127.0.0.1:6060"}\nload: {}\n',
     ":2: service.attach.debug_url: service.attach.debug_url must be an http"),
    ('service:\n  attach: {url: "http://127.0.0.1:1"}\n  tls: {insecure_skip_verify: true}\nload: {}\n',
     ":3: service.tls: neither service.attach.url nor debug_url is https://"),
    ('service:\n  tls: {ca_file: nope.pem}\nload: {}\n', ":2: service.tls.ca_file: file"),
    ('service:\n  attach: {url: "https://127.0.0.1:1"}\n  tls: {debug: true}\nload: {}\n',
     ":3: service.tls.debug: applies to started services"),
    ('service:\n  attach: {url: "http://10.0.0.5:80", tunnel: [socat]}\nload: {}\n',
     ":2: service.attach.tunnel: a tunnel forwards a local port"),
    ('service:\n  attach: {url: "http://127.0.0.1:80", tunnel: []}\nload: {}\n', "service.attach.tunnel: expected"),
    ("load:\n  tool: k6\n", ":2: load.tool: must be one of builtin, vegeta, locust, got 'k6'"),
    ("load:\n  tool: locust\n  http2: true\n", ":3: load.http2: Locust's HTTP clients speak HTTP/1.1 only"),
    ("load:\n  vegeta: {attackers: 2}\n", ":2: load.vegeta: load.vegeta applies to load.tool: vegeta"),
    ("load:\n  tool: vegeta\n  command: [k6, run]\n", ":2: load.tool: give either load.tool or load.command"),
    ("load:\n  tool: locust\n  locust: {workers: 0}\n", ":3: load.locust.workers: must be at least 1"),
    ("load:\n  arrivals: poisson\n", ":2: load.arrivals: must be one of jittered, constant, got 'poisson'"),
    ("load:\n  tool: vegeta\n  arrivals: constant\n", ":3: load.arrivals: applies to the builtin generator"),
])
def test_bad_engine_and_tls_options(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    message = str(excinfo.value)
    assert (f"{path}{expected}" if expected.startswith(":") else expected) in message, message
