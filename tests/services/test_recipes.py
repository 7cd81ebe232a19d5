"""Every recipe of docs/migration.md, run as written (shorter windows) against a real service of that shape.

Each builds both sides where the recipe has a bench section, starts the
service as the recipe says, and must pass its runtime gates.  The checks
after each run are what the recipe promises: the download lines, the
rendered file that leaves the user's own alone, the build flags in the
binary, the warning for pprof on the API port.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_goperf.config import load_config
from pytest_goperf.go.toolchain import GoToolchain

from .conftest import SERVICES, recipes

Run = Callable[..., tuple[pytest.RunResult, Path, Path]]


def test_every_recipe_is_a_valid_config_for_its_service(tmp_path: Path) -> None:
    found = recipes()
    assert set(found) == {"twelvefactor", "configfile", "multimain", "withdeps", "workspace", "vendored", "buildflags"}
    for name, text in found.items():
        shutil.copytree(SERVICES / name, tmp_path / name)
        path = tmp_path / name / "goperf.yaml"
        path.write_text(text)
        cfg = load_config(path)   # the recipe as printed: placeholders, templates, folders all check out
        assert cfg.thresholds.runtime, name


def _bench_rows_ran(result: pytest.RunResult) -> None:
    """Both sides were built and benchmarked: rows exist and were judged on allocs/op."""
    result.stdout.fnmatch_lines(["*round 4/4 done*", "*::bench?* allocs/op? PASSED*"])


def test_twelvefactor_env_port_and_default_mux(run_recipe: Run) -> None:
    """The 'done when' of issue 19: $PORT, pprof on the default mux, code unchanged; cpu, latency, scheduler pass."""
    result, _tree, art = run_recipe("twelvefactor", "--junitxml=junit.xml")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines([
        "*twelvefactor::cpu PASSED*", "*twelvefactor::scheduler PASSED*", "*twelvefactor::latency PASSED*",
        "*note: pprof on the API address (service.debug: same)*",
        "*note: warning: pprof is reachable on the API port*never expose it through a public LoadBalancer*",
    ])
    assert (art / "cpu.pprof").is_file() and (art / "trace.out").is_file()
    junit = Path(result.stdout.str().split("generated xml file: ")[1].split()[0]).read_text()
    # warnings are warning=... lines in each testcase's <system-out> (docs/reports.md#junit)
    assert junit.count("\nwarning=pprof is reachable on the API port") == 2   # cpu and scheduler
    assert "listening on :" in (art / "service.log").read_text()


def test_configfile_rendered_into_a_view_of_the_working_folder(run_recipe: Run) -> None:
    result, tree, art = run_recipe("configfile")
    result.assert_outcomes(passed=2)
    own = json.loads((tree / "config" / "app.json").read_text())
    assert own["listen"] == ":8080"                              # the user's file is untouched
    view = art / "workdir"
    rendered = json.loads((view / "config" / "app.json").read_text())
    assert rendered["listen"].startswith("127.0.0.1:") and rendered["debug_listen"].startswith("127.0.0.1:")
    assert rendered["listen"] != rendered["debug_listen"]
    assert (view / "static").is_symlink() and (view / "static").resolve() == (tree / "static").resolve()
    log = (art / "service.log").read_text()
    assert f'"hello from the goperf run", ready to serve on {rendered["listen"]}' in log
    assert "configfile service" in log                           # static/banner.txt read through the view


def test_multimain_builds_only_cmd_api(run_recipe: Run, go: GoToolchain) -> None:
    result, _tree, art = run_recipe("multimain")
    result.assert_outcomes(passed=3)
    _bench_rows_ran(result)
    for side in ("pgo-off", "pgo"):
        info = subprocess.run([str(go.path), "version", "-m", str(art / side / "api")], capture_output=True,
                              text=True, check=True).stdout
        assert "\tpath\texample.com/multimain/cmd/api\n" in info
    assert "cmd/api/default.pgo" in (art / "pgo" / "buildinfo.txt").read_text()
    assert not list(art.rglob("worker"))


def test_withdeps_fetched_through_the_module_proxy_with_progress(run_recipe: Run, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "modcache"   # empty: the first build must download
    monkeypatch.setenv("GOMODCACHE", str(cache))
    monkeypatch.setenv("GOFLAGS", f"{os.environ.get('GOFLAGS', '')} -modcacherw".strip())
    result, _tree, art = run_recipe("withdeps")
    result.assert_outcomes(passed=3)
    _bench_rows_ran(result)
    result.stdout.fnmatch_lines(["*goperf withdeps: go: downloading github.com/google/uuid v1.6.0*"])
    assert (cache / "github.com" / "google" / "uuid@v1.6.0" / "uuid.go").is_file()
    assert "serving http://127.0.0.1:" in (art / "service.log").read_text()   # PUBLIC_URL={url}


def test_workspace_service_and_library_in_two_modules(run_recipe: Run) -> None:
    result, _tree, art = run_recipe("workspace")
    result.assert_outcomes(passed=2)
    _bench_rows_ran(result)
    result.stdout.fnmatch_lines(["*wsvc::bench?Slug-* allocs/op? PASSED*"])
    assert (art / "pgo" / "wsvc").is_file()


def test_vendored_builds_without_proxy_or_module_cache(run_recipe: Run, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "empty-modcache"))
    monkeypatch.setenv("GOPROXY", "off")
    result, _tree, _art = run_recipe("vendored")
    result.assert_outcomes(passed=2)
    _bench_rows_ran(result)
    assert not (tmp_path / "empty-modcache" / "github.com").exists()


def test_buildflags_tags_ldflags_and_cgo_off(run_recipe: Run, go: GoToolchain) -> None:
    result, _tree, art = run_recipe("buildflags")
    result.assert_outcomes(passed=2)
    _bench_rows_ran(result)
    for side in ("pgo-off", "worktree"):
        info = subprocess.run([str(go.path), "version", "-m", str(art / side / "buildflags")], capture_output=True,
                              text=True, check=True).stdout
        assert "-tags=goperf_demo" in info and "main.version=1.2.3" in info and "CGO_ENABLED=0" in info, info
    assert "serving version=1.2.3 tagged=true cgo=false" in (art / "service.log").read_text()
