"""Shared fixtures for the project's own tests: the example service built for real."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
from pathlib import Path

import pytest

# Imported once here: pytester's in-process runs restore sys.modules afterwards,
# and numpy refuses to be imported a second time in one process.
import numpy  # noqa: F401
import pytest_goperf.bench.compare  # noqa: F401

from pytest_goperf.go.build import BuiltSide, Side, build_side
from pytest_goperf.go.toolchain import GoToolchain, find_go

# pytester points HOME at a temporary folder, and Go's build cache follows HOME
# ($HOME/.cache/go-build): every in-process plugin run would rebuild the standard
# library (with PGO, a minute or more).  Pin the cache the user's Go already has.
if "XDG_CACHE_HOME" not in os.environ:   # as Go and goperf find it, before pytester moves HOME
    os.environ["XDG_CACHE_HOME"] = str(Path.home() / ("Library/Caches" if sys.platform == "darwin" else ".cache"))
if "GOCACHE" not in os.environ:
    os.environ["GOCACHE"] = str(Path(os.environ["XDG_CACHE_HOME"]) / "go-build")
# The module cache follows HOME too ($GOPATH/pkg/mod, GOPATH defaulting to $HOME/go): every in-process run
# that installs vegeta downloaded its modules again (15 s of a 30 s test).  Tests that need an empty or
# their own module cache set GOMODCACHE themselves.
if "GOMODCACHE" not in os.environ:
    _gopath = os.environ.get("GOPATH", "").split(os.pathsep)[0] or str(Path.home() / "go")
    os.environ["GOMODCACHE"] = str(Path(_gopath) / "pkg" / "mod")

# goperf keeps its load generator, vegeta, std lists and last-linked binaries per machine
# (pytest_goperf/tool_cache.py), under HOME, which pytester moves: one folder for every run of the suite, so
# it builds each tool once per machine.  Not the user's own, and its link slots go at exit: the suite's
# modules live in new temporary folders every run, and their slots would only pile up.
if "GOPERF_CACHE" not in os.environ:
    os.environ["GOPERF_CACHE"] = str(Path(os.environ["XDG_CACHE_HOME"]) / "pytest-goperf" / "suite")
    atexit.register(shutil.rmtree, Path(os.environ["GOPERF_CACHE"]) / "binaries", True)

# Every pytest the suite starts as a subprocess (CI examples, shards, signals, faults) would import
# hypothesis's pytest plugin, 0.9 s of start-up each here; those runs stand for a user's pytest, which
# has no use for it.  pytester's in-process runs drop PYTEST_ADDOPTS and are not affected.
os.environ["PYTEST_ADDOPTS"] = f"{os.environ.get('PYTEST_ADDOPTS', '')} -p no:hypothesispytest".strip()

from tests.helpers import EXAMPLE


@pytest.fixture(scope="session")
def go() -> GoToolchain:
    return find_go()


@pytest.fixture(scope="session")
def example_sides(go: GoToolchain, tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuiltSide]:
    """The example service built without and with PGO (service + test binaries)."""
    out = tmp_path_factory.mktemp("example-build")
    sides = {}
    for label, mode in (("pgo-off", "off"), ("pgo", "required")):
        sides[label] = build_side(go, Side(label=label, module=EXAMPLE, main=".", pgo=mode), out / label,
                                  service_name="go-service", bench_packages=["."])
    return sides
