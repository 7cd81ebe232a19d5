"""Through pytest --goperf: a probe that finds no pprof fails the gates that need it, with its answer; latency runs."""

from __future__ import annotations

import shutil

import pytest

from .conftest import SERVICES

YAML = """\
service:
  name: nopprof
  main: cmd/api
  args: ["-listen={addr}"]      # no pprof flag, and no pprof on the API mux
  ready: {tcp: true}
load:
  warmup: 200ms
  duration: 1s
  rate: 200
  requests: [{path: "/price?skus=sku-1"}]
  trace: 500ms
thresholds:
  cpu: {max_function_share: 100%, min_samples: 1}
  latency: {max_error_rate: 5%}   # judged, not the point here: a loaded runner may drop a slot
"""


def test_pprof_gates_fail_with_the_probe_answer(pytester: pytest.Pytester) -> None:
    shutil.copytree(SERVICES / "multimain", pytester.path / "svc")
    (pytester.path / "svc" / "goperf.yaml").write_text(YAML)
    result = pytester.runpytest("--goperf", "svc/goperf.yaml", "--goperf-artifacts", str(pytester.path / "art"),
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*nopprof::cpu*",
        ("no pprof: the config names no debug listener and the probe GET http://127.0.0.1:*/debug/pprof/ -> HTTP 404."
         " Register net/http/pprof*"),
        "*note: no pprof: the config names no debug listener*",
    ])
    assert "warning: pprof is reachable" not in result.stdout.str()
