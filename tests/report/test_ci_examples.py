"""examples/ci: the GitHub Actions and GitLab CI files parse, and their goperf commands run here as written.

Steps that need the CI service itself (checkout, caches, artifact transfer,
``pip install`` from PyPI, ``gh pr comment``) are not run; artifact
downloads are imitated by copying files where the real action puts them.
Every ``pytest`` and ``goperf`` line runs with the CI variables filled in.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xmlschema
import yaml
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from .test_sharding import make_services

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "examples" / "ci"
SCHEMA = Path(__file__).parent / "data" / "junit-10.xsd"
NOT_RUN_HERE = ("pip install", "gh ")        # PyPI (this checkout is installed already) and GitHub's API


def _expand(line: str, values: Mapping[str, str]) -> str:
    line = re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: values[m.group(1)], line)        # GitHub expressions
    return re.sub(r"\$\{?(\w+)\}?", lambda m: values[m.group(1)], line)                    # shell variables


def commands(script: str | list[str], values: Mapping[str, str]) -> list[list[str]]:
    lines = script if isinstance(script, list) else script.splitlines()
    return [shlex.split(_expand(ln, values)) for ln in lines if ln.strip() and not ln.strip().startswith(NOT_RUN_HERE)]


def run(argv: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A CI line as the runner would run it: ``pytest`` and ``goperf`` from this environment."""
    tool = {"pytest": [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
            "goperf": [sys.executable, "-m", "pytest_goperf"]}[argv[0]]
    full = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")} | dict(env or {})
    return subprocess.run([*tool, *argv[1:]], cwd=cwd, env=full, capture_output=True, text=True, timeout=600,
                          check=False)


def _check_merged(folder: Path, merged: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert merged.returncode == 1, merged.stdout + merged.stderr        # services/slow cannot pass
    data: dict[str, Any] = json.loads((folder / "goperf-durations.json").read_text())
    assert sorted(s["config"] for s in data["services"]) == [f"services/{n}/goperf.yaml" for n in ("bench", "fast", "slow")]
    assert sorted(s["index"] for s in data["shards"]) == [1, 2, 3, 4]
    assert sum(len(s["gates"]) for s in data["services"]) == 8
    xmlschema.XMLSchema(SCHEMA).validate(folder / "goperf.xml")
    assert (folder / "goperf-html" / "index.html").is_file()
    assert (folder / "goperf.md").read_text().startswith("## goperf ✗ 3 failed, 2 passed, 3 skipped")
    return data


def test_github_actions_workflow(tmp_path: Path) -> None:
    wf = yaml.safe_load((CI / "github-actions.yml").read_text())
    measure, report = wf["jobs"]["measure"], wf["jobs"]["report"]
    assert measure["strategy"]["matrix"]["shard"] == [1, 2, 3, 4] and measure["strategy"]["fail-fast"] is False
    assert report["needs"] == "measure" and report["if"] == "always()"
    make_services(tmp_path)
    for shard in measure["strategy"]["matrix"]["shard"]:
        values = {"matrix.shard": str(shard), "env.GOPERF_PATHS": "services"}
        for step in measure["steps"]:
            for argv in commands(step.get("run", ""), values):
                proc = run(argv, tmp_path)
                assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-2000:]
                assert "split by path hash (goperf-durations.json does not exist yet)" in proc.stdout
        # actions/upload-artifact + download-artifact(pattern, path: shards): one folder per artifact
        shutil.copytree(tmp_path / "results", tmp_path / "shards" / f"goperf-shard-{shard}", dirs_exist_ok=True)
        shutil.rmtree(tmp_path / "results")
    summary = tmp_path / "step-summary.md"
    merge_lines = [argv for step in report["steps"] for argv in commands(step.get("run", ""), {})]
    assert [a[:2] for a in merge_lines] == [["goperf", "merge-reports"]]
    merged = run(merge_lines[0], tmp_path, env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"})
    _check_merged(tmp_path, merged)
    assert summary.read_text() == (tmp_path / "goperf.md").read_text()
    assert "::error file=services/slow/goperf.yaml,line=" in merged.stdout
    uploaded = [s for s in report["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    for path in uploaded[0]["with"]["path"].split():
        assert (tmp_path / path).exists(), path


def test_gitlab_ci_file(tmp_path: Path) -> None:
    ci = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    job, report = ci["goperf"], ci["goperf-report"]
    assert job["parallel"] == 4 and report["needs"] == ["goperf"] and report["when"] == "always"
    assert report["artifacts"]["reports"] == {"junit": "goperf.xml", "metrics": "goperf-metrics.txt"}
    # Both caches live in the project (GitLab caches nothing else) and each shard keeps its own.
    variables = {k: _expand(v, {"CI_PROJECT_DIR": str(tmp_path)}) for k, v in ci["variables"].items()}
    cached = [c for c in job["cache"] if c["key"].startswith("goperf-builds-")]
    assert len(cached) == 1 and cached[0]["paths"] == [".cache/"] and "$CI_NODE_INDEX" in cached[0]["key"]
    for name in ("GOCACHE", "GOPERF_CACHE"):
        assert Path(variables[name]).is_relative_to(tmp_path / ".cache"), variables[name]
    make_services(tmp_path)
    for index in range(1, job["parallel"] + 1):
        values = {**variables, "CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": str(job["parallel"])}
        for argv in commands(job["before_script"] + job["script"], values):
            # GOPERF_CACHE as the example sets it; GOCACHE stays the suite's warm one (Go honours it anyway)
            proc = run(argv, tmp_path, env={"GOPERF_CACHE": variables["GOPERF_CACHE"]})
            assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-2000:]
    # the load generator the latency services needed was built once, into the project's cache
    assert any(Path(variables["GOPERF_CACHE"], "loadgen").iterdir())
    # GitLab hands each parallel job's artifacts (results/) to the report job, merged into one folder
    assert len(list((tmp_path / "results").glob("shard-*.json"))) == 4
    (merge,) = commands(report["before_script"] + report["script"], ci["variables"])
    merged = run(merge, tmp_path)
    _check_merged(tmp_path, merged)
    families = {f.name for f in text_string_to_metric_families((tmp_path / "goperf-metrics.txt").read_text())}
    assert {"goperf_gate", "goperf_figure", "goperf_tests"} <= families
    for path in report["artifacts"]["paths"]:
        assert (tmp_path / path).exists(), path
    cases = list(ET.parse(tmp_path / "goperf.xml").getroot().iter("testcase"))
    assert len(cases) == 8 and all(float(tc.get("time", "0")) > 0 for tc in cases)
