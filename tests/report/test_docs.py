"""The report options, ini keys and goperf-results/1 keys are documented where the docs say they are."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_goperf.report.records import GateRecord, RunRecord, ServiceRecord

ROOT = Path(__file__).resolve().parents[2]
DESIGN = (ROOT / "docs" / "design.md").read_text()
REPORTS = (ROOT / "docs" / "reports.md").read_text()
SECTION = DESIGN.split("## Reports\n", 1)[1].split("\n## ", 1)[0]
OPTIONS = DESIGN.split("### pytest options\n", 1)[1].split("\n## ", 1)[0]
NOT_REPORTS = {"--goperf-update-pgo", "--goperf-timings"}   # documented in the options table (and pgo.md)


def test_every_goperf_option_and_ini_key_is_in_the_reports_table(pytestconfig: pytest.Config) -> None:
    parser = pytestconfig._parser
    options = {name for opt in parser._anonymous.options + [o for g in parser._groups for o in g.options]
               for name in opt.names() if name.startswith("--goperf-") and name != "--goperf-artifacts"}
    assert options >= {"--goperf-html", "--goperf-json", "--goperf-markdown", "--goperf-metrics", "--goperf-shard",
                       "--goperf-durations"}
    report_options = {o for o in options if o not in NOT_REPORTS}
    assert [o for o in sorted(report_options) if f"`{o} " not in SECTION] == []
    inis = {name for name in parser._inidict if name.startswith("goperf_") and name != "goperf_artifacts"}
    assert inis and [k for k in sorted(inis - {"goperf_update_pgo", "goperf_timings"}) if f"`{k}`" not in SECTION] == []
    assert [o for o in sorted(report_options) if o not in REPORTS] == []
    # and every option and ini key, report or not, in the options table
    assert [o for o in sorted(options | {"--goperf", "--goperf-artifacts"}) if f"`{o} " not in OPTIONS] == []
    assert [k for k in sorted(inis | {"goperf", "goperf_artifacts"}) if f"`{k}`" not in OPTIONS] == []


def test_every_results_key_is_in_the_schema() -> None:
    run = RunRecord(services=[ServiceRecord(name="s", config="s/goperf.yaml",
                                            gates=[GateRecord("n::s::t", "t", None, "passed", "h", "m")])])
    data = run.to_json()
    keys = set(data) | set(data["services"][0]) | set(data["services"][0]["gates"][0])
    schema = SECTION.split("goperf-results/1", 2)[2]
    assert [k for k in sorted(keys) if not re.search(rf'"{re.escape(k)}"', schema)] == []
