"""The stories through goperf.yaml: a crashing handler and a service too slow for min_rate fail their latency tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goperf.go.service import ServiceProcess

YAML = """\
service:
  name: {name}
  attach: {{url: "{url}"}}
load:
  warmup: 300ms
  duration: 2s
  rate: {rate}
  connections: 16
  requests: [{request}]
thresholds:
  latency: {latency}
"""


def test_crash_and_slow_services_fail_their_latency_tests(pytester: pytest.Pytester, story_service: Path) -> None:
    with ServiceProcess(story_service, args=["-addr={addr}"], env={}, log_path=pytester.path / "svc.log") as svc:
        for name, rate, request, latency in (
            ("crash", 200, "{method: POST, path: /charge, body: '{\"amount\": 5}'}", "{max_error_rate: 1%}"),
            ("slow", 80, "{path: /slow}", "{min_rate: 60}"),
            ("healthy", 200, "{path: '/users/{seq}'}", "{max_error_rate: 0%, min_rate: 190, p99: 2s}"),
        ):
            (pytester.path / f"{name}.goperf.yaml").write_text(
                YAML.format(name=name, url=svc.url, rate=rate, request=request, latency=latency))
        result = pytester.runpytest("--goperf", "--goperf-artifacts", str(pytester.path / "art"), "-v")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*crash.goperf.yaml::crash::latency FAILED*",
        "*healthy.goperf.yaml::healthy::latency PASSED*",
        "*slow.goperf.yaml::slow::latency FAILED*",
    ])
    out = result.stdout.str()
    assert "latency: error rate" in out and "conn_reset" in out and f"POST {svc.url}/charge" in out
    assert "latency: send_rate" in out and "< 60/s (dropped" in out
