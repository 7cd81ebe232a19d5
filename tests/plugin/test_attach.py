"""service.attach: gate a service that already runs; nothing is built, started or stopped."""

from __future__ import annotations

import pytest

from pytest_goperf.go.build import BuiltSide
from pytest_goperf.go.service import ServiceProcess

YAML = """\
service:
  name: attached
  attach: {{url: "{url}", debug_url: "{debug_url}"}}
load:
  warmup: 200ms
  duration: 3s
  rate: 400
  # 64 items per request: enough CPU that 3 s of profile always holds samples (1 item gave 0 once, quiet runner)
  requests: [{{method: POST, path: /api/process, body: '{{"items":[{items}]}}'}}]
  trace: 1s
thresholds:
  cpu: {{max_function_share: 100%, min_samples: 1}}  # a 3 s window: plumbing, not a share to trust
  latency: {{p99: 2s, max_error_rate: 1%}}  # a loaded runner may drop an open-model slot
"""


def test_attach_gates_a_running_service(pytester: pytest.Pytester, example_sides: dict[str, BuiltSide]) -> None:
    binary = example_sides["pgo"].service_binary
    assert binary is not None
    with ServiceProcess(binary, args=["-addr={addr}", "-debug-addr={debug_addr}"], env={},
                        log_path=pytester.path / "svc.log") as svc:
        (pytester.path / "goperf.yaml").write_text(YAML.format(url=svc.url, debug_url=svc.debug_url,
                                                                   items=",".join(f"\"item-{i}\"" for i in range(64))))
        art = pytester.path / "art"
        result = pytester.runpytest("--goperf", "goperf.yaml", "--goperf-artifacts", str(art), "-v")
        assert svc.returncode is None  # still running: attach mode never stops it
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"*attaching to {svc.url}*"])
    assert (art / "attached" / "cpu.pprof").is_file() and (art / "attached" / "load.json").is_file()
    assert not (art / "attached" / "worktree").exists()  # nothing was built
