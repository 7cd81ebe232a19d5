"""pytest wiring only: options and ini keys, markers, YAML collection, fixtures, hooks."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("goperf", "Go performance gates")
    group.addoption("--goperf", action="store_true", default=None, help="collect goperf.yaml files and run goperf tests")
    parser.addini("goperf", type="bool", default=False, help="same as --goperf")
