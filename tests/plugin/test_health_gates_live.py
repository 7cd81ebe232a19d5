"""Heap and goroutine gates on real services: the example holds steady, a leaking one fails both."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BADSERVICE = ROOT / "tests" / "data" / "load" / "badservice"

YAML = f"""\
service:
  name: leaky
  module: {BADSERVICE}
  args: ["-addr={{addr}}", "-debug-addr={{debug_addr}}", "-mode=leak"]
load:
  warmup: 500ms
  duration: 4s
  rate: 200
  requests: [{{path: /work}}]
  sample_every: 500ms
  trace: 0s
thresholds:
  heap: {{max_growth: 5%/min}}
  goroutines: {{max_drift: 10%}}
  latency: {{p99: 2s}}
"""


def test_leaking_service_fails_heap_and_goroutine_gates(pytester: pytest.Pytester) -> None:
    (pytester.path / "goperf.yaml").write_text(YAML)
    result = pytester.runpytest("--goperf", "goperf.yaml", "--goperf-artifacts", str(pytester.path / "art"), "-rA")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*heap keeps growing under constant load: heap in-use grows +*%/min*",
        "*What grew: go tool pprof -sample_index=inuse_space -diff_base */heap-000.pprof */heap-0*.pprof*",
    ])
    result.stdout.fnmatch_lines(["*goroutine count drifts under constant load*"])
    result.stdout.fnmatch_lines(["PASSED goperf.yaml::leaky::latency*"])
