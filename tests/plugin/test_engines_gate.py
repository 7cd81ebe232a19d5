"""The example gate's latency test with load.tool: vegeta and with load.tool: locust (two workers)."""

from __future__ import annotations

import json

import pytest
import yaml

from ..helpers import example_config


@pytest.mark.parametrize("tool", ["vegeta", "locust"])
def test_example_gate_with_another_engine(pytester: pytest.Pytester, tool: str) -> None:
    cfg = example_config()
    cfg["load"].update(warmup="1s", duration="4s", trace="1s", tool=tool)
    if tool == "locust":
        cfg["load"]["locust"] = {"workers": 2}
    # What is tested is the engine's plumbing (run, result read, judged), not the service's latency: a
    # Python engine on the same 2 cores as the service measures its own queueing too, so the limits are
    # loose enough that only a broken result (no requests, or errors) can fail them.
    cfg["thresholds"] = {"latency": {"p99": "2s", "max_error_rate": "1%"}}
    (pytester.path / "goperf.yaml").write_text(yaml.safe_dump(cfg))
    art = pytester.path / "art"
    result = pytester.runpytest("--goperf", "goperf.yaml", "--goperf-artifacts", str(art), "-v")
    result.stdout.fnmatch_lines(["*goperf.yaml::go-service::latency PASSED*"])
    result.assert_outcomes(passed=1)
    data = json.loads((art / "go-service" / "load.json").read_text())
    assert data["engine"].startswith(tool) and data["requests"] + data["dropped"] == 4 * cfg["load"]["rate"]
    if tool == "locust":
        assert data["workers"] == 2
