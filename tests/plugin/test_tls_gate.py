"""A started https service (API and debug listener) gated through goperf.yaml, and the warning when verification is off."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_goperf.config import TLSConfig
from pytest_goperf.go.service import ServiceProcess
from pytest_goperf.go.toolchain import GoToolchain

from ..helpers import ROOT

TLSSERVICE = ROOT / "tests" / "data" / "load" / "tlsservice"

YAML = """\
service:
  name: secure
  module: {module}
  args: ["-addr={{addr}}", "-debug-addr={{debug_addr}}", "-debug-tls", "-cert", "{certs}/cert.pem",
         "-key", "{certs}/key.pem"]
  tls: {{ca_file: {certs}/ca.pem, debug: true}}
load:
  warmup: 200ms
  duration: 2s
  rate: 200
  http2: true
  requests: [{{path: /api}}]
  trace: 1s
thresholds:
  cpu: {{max_function_share: 100%, min_samples: 1}}
  latency: {{p99: 2s, max_error_rate: 0%}}
"""

ATTACH = """\
service:
  name: attached
  attach: {{url: "{url}", debug_url: "{debug_url}"}}
  tls: {{insecure_skip_verify: true}}
load: {{warmup: 200ms, duration: 2s, rate: 100, requests: [{{path: /api}}], trace: 1s}}
thresholds:
  latency: {{p99: 2s, max_error_rate: 0%}}
"""


@pytest.fixture(scope="module")
def certs(go: GoToolchain, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("certs")
    subprocess.run([str(go.path), "run", ".", "-gencert", str(folder)], cwd=TLSSERVICE, env=go.env(), check=True,
                   timeout=600)
    return folder


def test_started_https_service_with_http2(pytester: pytest.Pytester, certs: Path) -> None:
    (pytester.path / "goperf.yaml").write_text(YAML.format(module=TLSSERVICE, certs=certs))
    art = pytester.path / "art"
    result = pytester.runpytest("--goperf", "goperf.yaml", "--goperf-artifacts", str(art), "-v")
    result.assert_outcomes(passed=2)
    load = (art / "secure" / "load.json").read_text()
    assert '"engine": "net/http"' in load and '"HTTP/2.0"' in load
    assert (art / "secure" / "cpu.pprof").read_bytes()[:2] == b"\x1f\x8b"   # captured over https


def test_skipping_verification_warns(pytester: pytest.Pytester, go: GoToolchain, certs: Path, tmp_path: Path) -> None:
    binary = tmp_path / "tlsservice"
    subprocess.run([str(go.path), "build", "-o", str(binary), "."], cwd=TLSSERVICE, env=go.env(), check=True,
                   timeout=600)
    args = ["-addr={addr}", "-debug-addr={debug_addr}", "-debug-tls", "-cert", str(certs / "cert.pem"),
            "-key", str(certs / "key.pem")]
    with ServiceProcess(binary, args=args, env={}, log_path=tmp_path / "svc.log",
                        tls=TLSConfig(ca_file=certs / "ca.pem", debug=True)) as svc:
        (pytester.path / "goperf.yaml").write_text(ATTACH.format(url=svc.url, debug_url=svc.debug_url))
        result = pytester.runpytest("--goperf", "goperf.yaml", "--goperf-artifacts", str(pytester.path / "a"),
                                    "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*insecure_skip_verify is true: the service's certificate is NOT verified*"])
