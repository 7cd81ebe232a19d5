"""docs/design.md is the one reference: every pointer to it resolves, and it lists every threshold key."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from pytest_goperf.config import BenchConfig, LoadConfig, ServiceConfig
from pytest_goperf.gates.bench import BenchThreshold
from pytest_goperf.gates.registry import BUILD_GATES, RUNTIME_GATES
from pytest_goperf.pgo.settings import PgoSettings

ROOT = Path(__file__).resolve().parents[1]
DESIGN = ROOT / "docs" / "design.md"
SOURCES = [p for pattern in ("pytest_goperf/**/*.py", "pytest_goperf/**/*.go", "tests/**/*.py", "docs/*.md",
                             "README.md", "benchmarks/*.py", "examples/**/*")
           for p in ROOT.glob(pattern) if p.is_file() and p.suffix in (".py", ".go", ".md", ".yaml")]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_reference_names_an_existing_section() -> None:
    anchors = {_slug(m) for m in re.findall(r"^#+ (.+)$", DESIGN.read_text(), flags=re.MULTILINE)}
    refs = [(p, a) for p in SOURCES for a in re.findall(r"design\.md#([\w-]+)", p.read_text(errors="replace"))]
    assert refs, "nothing points at docs/design.md"
    missing = [f"{p.relative_to(ROOT)}: #{a}" for p, a in refs if a not in anchors]
    assert not missing, f"references to sections docs/design.md does not have: {missing}"


def test_no_reference_to_a_design_file_outside_the_repository() -> None:
    stale = [str(p.relative_to(ROOT)) for p in SOURCES if "DESIGN" + ".md" in p.read_text(errors="replace")]
    assert not stale


def test_every_threshold_key_is_in_the_schema() -> None:
    text = DESIGN.read_text()
    gates = [("bench", BenchThreshold), *((g.key, g.threshold) for g in (*BUILD_GATES, *RUNTIME_GATES))]
    keys = [f"thresholds.{key}.{f.name}" for key, cls in gates for f in dataclasses.fields(cls)]
    assert [k for k in keys if f"`{k}`" not in text] == []


def _table_keys(section: str) -> set[str]:
    """First-column keys of the table under ``### <section>``."""
    text = DESIGN.read_text().split(f"### {section}\n", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `([\w.]+)` \|", text, flags=re.MULTILINE))


def test_every_section_key_is_in_the_schema() -> None:
    for section, cls in (("service", ServiceConfig), ("bench", BenchConfig), ("load", LoadConfig),
                         ("pgo", PgoSettings)):
        documented = _table_keys(section)
        assert {f.name for f in dataclasses.fields(cls)} - documented == set(), section


def test_every_service_key_and_placeholder_is_in_the_schema() -> None:
    from pytest_goperf.go.placeholders import NAMES
    from pytest_goperf.service_config import KEYS

    text = DESIGN.read_text()
    table = text[text.index("### service"):text.index("### bench")]
    assert [k for k in KEYS if f"| `{k}` |" not in table] == []
    assert [n for n in NAMES if f"`{{{n}}}`" not in table] == []
