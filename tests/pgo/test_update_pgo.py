"""``pytest --goperf --goperf-update-pgo``: the example's profile refreshed from a real load run, and refusals.

The refresh builds the service without PGO, drives the configured request
mix at it (``pgo.rate: max``: as fast as the connections allow, to collect
samples quickly), captures a CPU profile per window, merges them and writes
``default.pgo`` before the builds, so the same run's pgo side uses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.pgo.facts import read_facts

from .conftest import copy_example, write_protected

REQUEST = {"method": "POST", "path": "/api/process", "headers": {"Content-Type": "application/json"},
           "body": '{"customer":"acme","currency":"EUR","items":["a","b","c","d","e","f","g","h","i","j"]}'}


def _config(name: str, module: Path, **extra: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "service": {"name": name, "module": str(module), "args": ["-addr={addr}", "-debug-addr={debug_addr}"],
                    "env": {"GOMAXPROCS": "2"}},
        "load": {"warmup": "1s", "duration": "2s", "rate": 200, "connections": 4, "requests": [REQUEST],
                 "trace": "0s"},
        "thresholds": {"pgo": {}},
    }
    for key, value in extra.items():
        cfg[key] = value
    return cfg


def _write(folder: Path, cfg: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "goperf.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_update_pgo_refreshes_the_profile_from_a_load_run(pytester: pytest.Pytester, go: GoToolchain) -> None:
    module = copy_example(pytester.path / "svc")
    before = (module / "default.pgo").read_bytes()
    old_samples = read_facts(module / "default.pgo").samples
    cfg = _config("refresh-ok", module,
                  bench={"packages": ["."], "bench": "HandleRequest", "count": 6, "benchtime": "20x"},
                  pgo={"windows": 2, "duration": "4s", "rate": "max", "min_samples": 150})
    # sec/op only: the B/op and allocs/op rows tie heavily at 20x, and a row the family cannot judge is
    # skipped (the bench gate working), which is not what this run checks.
    cfg["thresholds"] = {"bench": {"max_regression": "100%", "units": ["sec/op"]}, "pgo": {"min_samples": 150}}
    _write(pytester.path / "cfg", cfg)
    art = pytester.path / "art"
    result = pytester.runpytest("--goperf", "--goperf-update-pgo", "cfg/goperf.yaml", "--goperf-artifacts", str(art),
                                "-v", "-p", "no:cacheprovider")
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "*refreshing default.pgo: building without PGO*",
        "*refreshing default.pgo: window 1/2, 1s warmup + 4s CPU profile*",
        "*refreshing default.pgo: window 2/2*",
        "*building pgo-off and pgo side by side*",
        "*::refresh-ok::update-pgo PASSED*",
        "*::refresh-ok::pgo PASSED*",
    ])
    assert out.index("window 2/2") < out.index("building pgo-off")   # refreshed before the builds read it
    after = module / "default.pgo"
    assert after.read_bytes() != before
    facts = read_facts(after)
    assert facts.metadata.go == go.version
    assert facts.metadata.source == "load window of refresh-ok (pgo-off build), 2 x 4s at 4 connections"
    assert facts.samples >= 150
    # what changed, in the summary and as a pull-request body
    result.stdout.fnmatch_lines(["*refresh-ok: default.pgo refreshed from load window of refresh-ok*",
                                 f"*{after}: {len(before):,} -> * bytes, {old_samples:,} -> * samples; "
                                 "*% of the weight moved*",
                                 "*before*after*",
                                 "*compiler: * hot call site* inlined, * devirtualized because of the profile*"])
    summary = (art / "refresh-ok" / "pgo-refresh" / "summary.md").read_text()
    assert "## Refresh `default.pgo`" in summary and "| weight that moved |" in summary
    assert "### Top functions (flat CPU share)" in summary
    # the same run measured what the new profile buys, with the sensitivity next to it
    result.stdout.fnmatch_lines(["*refresh-ok: PGO gain, pgo-off -> pgo (sec/op; sensitivity = *",
                                 "*HandleRequest/small-2*sensitivity*", "*geomean*"])
    result.assert_outcomes(passed=1 + 1 + 2)  # update-pgo, pgo, and the two sec/op rows


def test_update_pgo_refusals_leave_the_profile_alone(pytester: pytest.Pytester) -> None:
    short = copy_example(pytester.path / "short")
    attached = copy_example(pytester.path / "attached")
    locked = copy_example(pytester.path / "locked")
    originals = {m: (m / "default.pgo").read_bytes() for m in (short, attached, locked)}
    _write(pytester.path / "a", _config("too-short", short, pgo={"windows": 1, "min_samples": 10**6}))
    attach_cfg = _config("attached", attached)
    attach_cfg["service"] = {"name": "attached", "module": str(attached),
                             "attach": {"url": "http://127.0.0.1:9", "debug_url": "http://127.0.0.1:9"}}
    _write(pytester.path / "b", attach_cfg)
    _write(pytester.path / "c", _config("locked", locked))
    art = pytester.path / "art"
    with write_protected(locked):
        result = pytester.runpytest("--goperf", "--goperf-update-pgo", "a", "b", "c", "--goperf-artifacts", str(art),
                                    "-k", "update-pgo", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=3, deselected=3)
    result.stdout.fnmatch_lines([
        ("*the captures hold * CPU samples, fewer than the minimum of 1000000 * default.pgo was NOT changed. "
         "The captures are kept in *too-short/pgo-refresh*"),
        ("*attaches to http://127.0.0.1:9; refresh from the running service with: goperf pgo refresh "
         "--from http://127.0.0.1:9 --main*"),
        f"*{locked} is write-protected (*): cannot write {locked / 'default.pgo'}; nothing was captured*",
    ])
    for module, data in originals.items():
        assert (module / "default.pgo").read_bytes() == data
    assert (art / "too-short" / "pgo-refresh" / "window-1" / "cpu.pprof").is_file()   # captures kept
    assert not (art / "locked" / "pgo-refresh" / "pgo-off").exists()                  # refused before building
