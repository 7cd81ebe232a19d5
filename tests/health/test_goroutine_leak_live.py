"""The goroutine gate on a real leak: the grown stacks point at the code, and Go's goroutineleak profile is named.

The example is built with GOEXPERIMENT=goroutineleakprofile (Go 1.26+), so
/debug/pprof/goroutineleak exists and the verdict names what it reports; its
-leak-goroutines switch parks one goroutine per request on a channel no one
reads.  Attach mode: the test starts the binary it built.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_goperf.go.service import ServiceProcess
from pytest_goperf.go.toolchain import GoToolchain

from ..helpers import EXAMPLE

YAML = """\
service:
  name: leaky
  attach: {{url: "{url}", debug_url: "{debug_url}"}}
load:
  warmup: 500ms
  duration: 10s
  rate: 100
  connections: 4
  requests: [{{method: POST, path: /api/process, body: '{{"items":["a","b"]}}'}}]
  sample_every: 1s
  trace: 0s
thresholds:
  goroutines: {{max_drift: 10%}}
"""


def test_one_goroutine_per_request_fails_with_stacks_and_leak_profile(
        pytester: pytest.Pytester, go: GoToolchain, tmp_path: Path) -> None:
    if go.version_tuple < (1, 26):
        pytest.skip(f"the goroutineleak profile needs Go 1.26+, this is {go.version}")
    binary = tmp_path / "go-service"
    env = {**go.env(), "GOEXPERIMENT": "goroutineleakprofile"}
    subprocess.run([str(go.path), "build", "-o", str(binary), "."], cwd=EXAMPLE, env=env, check=True, timeout=600)
    with ServiceProcess(binary, args=["-addr={addr}", "-debug-addr={debug_addr}", "-leak-goroutines"], env={},
                        log_path=tmp_path / "svc.log") as svc:
        (pytester.path / "goperf.yaml").write_text(YAML.format(url=svc.url, debug_url=svc.debug_url))
        result = pytester.runpytest("--goperf", "goperf.yaml", "--goperf-artifacts", str(pytester.path / "art"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "goroutine count drifts under constant load: *the count rises *",
        "stacks whose goroutine count grew (*goroutine-000.txt -> *goroutine-0*.txt):",
        "  * -> * goroutines (+*):",
        "      main.leakGoroutine.func1  */examples/go-service/faults.go:*",
    ])
    # Named, whatever it found: Go 1.26.8's detector reports none for this pattern (a send on a
    # channel only the parked goroutine references); the verdict says so rather than guessing.
    result.stdout.fnmatch_lines(["goroutineleak profile (*goroutineleak.txt): *"])
    assert (pytester.path / "art" / "leaky" / "goroutineleak.txt").read_text().startswith("goroutineleak profile:")
