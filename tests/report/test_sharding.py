"""--goperf-shard K/N and goperf merge-reports: two shards plus a merge give the verdicts of one unsharded run."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from pytest_goperf.errors import ConfigError
from pytest_goperf.sharding import Shard, balanced, hashed, parse_shard

from ..helpers import EXAMPLE
from .conftest import FAKE_BASELINE, run_pytest

SCHEMA = Path(__file__).parent / "data" / "junit-10.xsd"

BENCH = f"""\
service: {{name: NAME, module: {EXAMPLE}}}
bench: {{packages: [.], bench: HandleRequest/small, count: 4, benchtime: 20x, baseline: "file:old.txt"}}
thresholds:
  bench: {{max_regression: 5%}}
"""

LATENCY = f"""\
service: {{name: NAME, module: {EXAMPLE}}}
load:
  warmup: 0.5s
  duration: 1s
  rate: 100
  requests: [{{method: POST, path: /api/process, body: '{{"items":["a"]}}'}}]
thresholds:
  latency: {{p99: P99, max_error_rate: 50%}}
"""


def make_services(root: Path) -> Path:
    """Three services whose verdicts do not depend on the machine: bench rows that fail, pass and skip
    against a fake baseline, a latency gate that cannot pass (1ns) and one that cannot fail (10s)."""
    services = root / "services"
    for name, text in (("bench", BENCH), ("fast", LATENCY.replace("P99", "10s")), ("slow", LATENCY.replace("P99", "1ns"))):
        folder = services / name
        folder.mkdir(parents=True)
        (folder / "goperf.yaml").write_text(text.replace("NAME", name))
        (folder / "old.txt").write_text(FAKE_BASELINE)
    return services


def outcomes(results: Path) -> dict[str, str]:
    data = json.loads(results.read_text())
    return {g["nodeid"]: g["outcome"] for s in data["services"] for g in s["gates"]}


def goperf(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest_goperf", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)


def test_parse_and_split_are_stable() -> None:
    assert parse_shard("2/4") == (2, 4) and parse_shard(" 1 / 1 ") == (1, 1)
    for bad in ("0/4", "5/4", "2", "a/b", "2/0"):
        with pytest.raises(ConfigError, match="K/N"):
            parse_shard(bad)
    assert hashed("services/a/goperf.yaml", 4) == hashed("services/a/goperf.yaml", 4)
    spread = {hashed(f"services/s{i}/goperf.yaml", 4) for i in range(40)}
    assert spread == {1, 2, 3, 4}
    plan = balanced({"a": 100.0, "b": 60.0, "c": 50.0, "d": 10.0}, 2)
    assert plan == {"a": 1, "b": 2, "c": 2, "d": 1}                # loads 110 / 110
    shard = Shard(1, 2, {"a": 100.0, "b": 60.0})
    assert shard.owner("a") == 1 and shard.owner("b") == 2 and shard.owner("new") == hashed("new", 2)


def test_two_shards_and_merge_give_the_unsharded_verdicts(tmp_path: Path) -> None:
    make_services(tmp_path)
    whole = run_pytest(tmp_path, "--goperf", "services", "--goperf-artifacts", "art-whole", "--goperf-json", "whole.json")
    assert whole.returncode == 1, whole.stdout[-3000:]
    truth = outcomes(tmp_path / "whole.json")
    assert set(truth.values()) == {"passed", "failed", "skipped"} and len(truth) == 8

    shard_files = []
    for k in (1, 2):
        proc = run_pytest(tmp_path, "--goperf", "services", "--goperf-shard", f"{k}/2", "--goperf-durations",
                          "whole.json", "--goperf-artifacts", f"art-{k}", "--goperf-json", f"shards/{k}.json")
        assert proc.returncode in (0, 1), proc.stdout[-3000:]
        assert f"goperf: shard {k}/2, balanced by the durations in" in proc.stdout
        shard_files.append(tmp_path / "shards" / f"{k}.json")
    split = [json.loads(p.read_text())["shard"]["files"] for p in shard_files]
    assert all(split) and sorted(split[0] + split[1]) == sorted(
        f"services/{n}/goperf.yaml" for n in ("bench", "fast", "slow"))

    merged = goperf("merge-reports", "shards", "--json", "merged.json", "--junit", "merged.xml", "--markdown",
                    "merged.md", "--html", "merged-html", "--metrics", "merged.txt", cwd=tmp_path)
    assert merged.returncode == 1, merged.stdout + merged.stderr
    assert outcomes(tmp_path / "merged.json") == truth
    xmlschema.XMLSchema(SCHEMA).validate(tmp_path / "merged.xml")
    junit = {(tc.get("classname"), tc.get("name")): tc for tc in ET.parse(tmp_path / "merged.xml").getroot().iter("testcase")}
    assert len(junit) == len(truth)
    for nodeid, outcome in truth.items():
        path, service, test = nodeid.split("::")
        tc = junit[(f"{path.replace('/', '.')}.{service}", test)]
        assert (tc.find("failure") is not None) == (outcome == "failed")
        assert (tc.find("skipped") is not None) == (outcome == "skipped")
    md = (tmp_path / "merged.md").read_text()
    assert md.startswith("## goperf ✗ 3 failed, 2 passed, 3 skipped") and "2 shard(s) of 2" in md
    assert (tmp_path / "merged-html" / "index.html").is_file()
    charts = sorted(p.name for p in (tmp_path / "merged-html" / "charts").glob("*.svg"))
    latency = [f"{s}-latency-{c}.svg" for s in ("fast", "slow") for c in ("histogram", "percentiles")]
    assert charts == ["bench-bench.svg", *latency]
    assert "goperf: 3 failed, 2 passed, 3 skipped" in merged.stdout


def test_merge_fails_when_a_shard_is_missing(tmp_path: Path) -> None:
    services = make_services(tmp_path)
    (services / "bench").rename(tmp_path / "unused")
    (services / "slow").rename(tmp_path / "unused2")
    owner = Shard(1, 2).owner("services/fast/goperf.yaml")
    proc = run_pytest(tmp_path, "--goperf", "services", "--goperf-shard", f"{owner}/2", "--goperf-artifacts", "art",
                      "--goperf-json", "one.json")
    assert proc.returncode == 0, proc.stdout[-2000:]
    empty = run_pytest(tmp_path, "--goperf", "services", "--goperf-shard", f"{3 - owner}/2", "--goperf-artifacts",
                       "art", "--goperf-json", "empty.json")
    assert empty.returncode == 0, empty.stdout[-2000:]            # an empty shard is not a failed job
    assert json.loads((tmp_path / "empty.json").read_text())["services"] == []
    merged = goperf("merge-reports", "one.json", "--markdown", "m.md", cwd=tmp_path)
    assert merged.returncode == 1
    assert f"shard(s) {3 - owner}/2 missing" in merged.stdout and "missing" in (tmp_path / "m.md").read_text()
    both = goperf("merge-reports", "one.json", "empty.json", "--markdown", "m.md", cwd=tmp_path)
    assert both.returncode == 0, both.stdout
    bad = goperf("merge-reports", "services", cwd=tmp_path)
    assert bad.returncode == 2 and "no goperf-results/1 JSON file" in bad.stderr
