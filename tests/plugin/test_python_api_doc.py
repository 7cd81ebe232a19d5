"""docs/python-api.md: every example in it runs as written, next to a copy of the example service's go.mod."""

from __future__ import annotations

import re
import shutil

import pytest

from ..helpers import EXAMPLE, ROOT

DOC = ROOT / "docs" / "python-api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXAMPLE_FILES = ("go.mod", "main.go", "process.go", "process_test.go", "faults.go", "default.pgo", "large-request.json")


def doc_examples() -> list[str]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_every_fixture_and_helper_has_an_example() -> None:
    """Each name the doc lists (and each fixture and export) is used in at least one runnable example."""
    import pytest_goperf

    code = "\n".join(doc_examples())
    names = [n for n in pytest_goperf.__all__ if n not in ("__version__", "BenchResult", "Capture")]
    fixtures = ["goperf_go", "goperf_artifacts", "goperf_build", "goperf_service", "goperf_loadgen",
                "goperf_bench", "goperf_capture"]
    missing = [n for n in [*names, *fixtures] if not re.search(rf"\b{n}\b", code)]
    assert not missing, f"docs/python-api.md has no runnable example using {missing}"


def test_doc_examples_run(pytester: pytest.Pytester) -> None:
    for name in EXAMPLE_FILES:
        shutil.copy(EXAMPLE / name, pytester.path / name)
    blocks = doc_examples()
    for i, code in enumerate(blocks):
        pytester.makepyfile(**{f"test_doc_{i}": code})
    tests = sum(len(re.findall(r"^def test_", code, flags=re.MULTILINE)) for code in blocks)
    result = pytester.runpytest("--goperf", "--goperf-artifacts", str(pytester.path / "art"), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=tests)
    # Each call's arguments were saved as the goperf.yaml a YAML user would write.
    assert (pytester.path / "art" / "tests" / "test_pgo_does_not_regress" / "bench" / "goperf_bench.yaml").is_file()
    assert (pytester.path / "art" / "tests" / "test_latency_per_endpoint" / "capture-2" / "window.json").is_file()


FIXTURES = ("goperf_go", "goperf_artifacts", "goperf_build", "goperf_service", "goperf_loadgen", "goperf_bench",
            "goperf_capture")


def test_every_helper_and_fixture_shows_an_example_in_its_docstring() -> None:
    """``help(assert_latency)`` or ``pytest --fixtures`` shows how to call it, with types in the signature."""
    import inspect

    import pytest_goperf
    from pytest_goperf import plugin

    lacking = []
    for name in [n for n in pytest_goperf.__all__ if n != "__version__"]:
        obj = getattr(pytest_goperf, name)
        doc = inspect.getdoc(obj) or ""
        called = inspect.isclass(obj) or f"{name}(" in doc or f"{obj.__name__}(" in doc
        if not doc or not called:
            lacking.append(name)
        if not inspect.isclass(obj):
            assert all(p.annotation is not inspect.Parameter.empty for p in inspect.signature(obj).parameters.values()), name
    for name in FIXTURES:
        doc = inspect.getdoc(getattr(plugin, name)) or ""
        if not re.search(rf"``[^`]*\b{name}\b[^`]*``", doc) and "def test_" not in doc:   # used in code
            lacking.append(name)
    assert not lacking, f"no example in the docstring of {lacking}"
