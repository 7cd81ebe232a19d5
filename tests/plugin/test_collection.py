"""The plugin through pytester: collection on and off, markers, clean config errors."""

from __future__ import annotations

import shutil

import pytest

from ..helpers import EXAMPLE

MARKED_TEST = """
import pytest

@pytest.mark.goperf
def test_needs_goperf(goperf_go):
    assert goperf_go.version.startswith("go1.")

def test_plain():
    pass
"""


def test_without_flag_yaml_is_not_collected_and_marked_tests_skip(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", goperf="thresholds: {bench: {}}\n")
    pytester.makepyfile(test_marked=MARKED_TEST)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*goperf tests run only with --goperf*"])
    result.stdout.no_fnmatch_line("*goperf.yaml*")


def test_ini_key_enables_goperf(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngoperf = true\n")
    pytester.makepyfile(test_marked=MARKED_TEST)
    pytester.runpytest().assert_outcomes(passed=2)


def test_config_error_names_file_line_and_key_without_traceback(pytester: pytest.Pytester) -> None:
    (pytester.path / "go.mod").write_text("module x\n\ngo 1.22\n")
    pytester.makefile(".yaml", goperf="thresholds:\n  bench: {max_regresion: 5%}\n")
    result = pytester.runpytest("--goperf", "goperf.yaml")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*goperf.yaml:2: unknown key 'thresholds.bench.max_regresion'; did you mean 'max_regression'?*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*config.py*")


def test_other_file_names_are_collected(pytester: pytest.Pytester) -> None:
    (pytester.path / "go.mod").write_text("module x\n\ngo 1.22\n")
    for name in ("goperf.yml", "checkout.goperf.yaml"):
        (pytester.path / name).write_text("- not a mapping\n")
    result = pytester.runpytest("--goperf", "--collect-only")
    result.stdout.fnmatch_lines(["*/goperf.yml: a goperf.yaml must be a mapping*"])
    result.stdout.fnmatch_lines(["*/checkout.goperf.yaml: a goperf.yaml must be a mapping*"])


def test_a_named_yaml_file_that_would_not_be_collected_says_how_to_name_it(pytester: pytest.Pytester) -> None:
    (pytester.path / "goperf-nested.yaml").write_text("service: {name: x}\n")
    result = pytester.runpytest("--goperf", "goperf-nested.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*goperf-nested.yaml: only files named goperf.yaml, goperf.yml or *.goperf.yaml are "
                                 "collected; rename it to goperf-nested.goperf.yaml"])
    assert "Traceback" not in result.stderr.str()
    # Without --goperf the file is not ours: pytest's own "not found" stands.
    assert pytester.runpytest("goperf-nested.yaml").ret == pytest.ExitCode.USAGE_ERROR


def test_build_failure_is_a_failing_test_with_compiler_output(pytester: pytest.Pytester) -> None:
    module = pytester.path / "svc"
    shutil.copytree(EXAMPLE, module)
    (module / "process.go").write_text((module / "process.go").read_text() + "\nfunc broken() { nope() }\n")
    (module / "goperf.yaml").write_text("bench: {packages: [.], count: 4, benchtime: 1x}\nthresholds: {bench: {}}\n")
    result = pytester.runpytest("--goperf", "svc/goperf.yaml", "--goperf-artifacts", str(pytester.path / "art"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*process.go:*: undefined: nope*", "FAILED svc/goperf.yaml::svc::bench*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_collect_only_lists_without_building(pytester: pytest.Pytester) -> None:
    module = pytester.path / "svc"
    shutil.copytree(EXAMPLE, module)
    (module / "goperf.yaml").write_text(
        "bench: {packages: [.]}\nload: {requests: [{path: /}]}\nthresholds: {bench: {}, cpu: {}, latency: {}}\n")
    result = pytester.runpytest("--goperf", "svc/goperf.yaml", "--collect-only", "-q",
                                "--goperf-artifacts", str(pytester.path / "art"))
    result.stdout.fnmatch_lines(["svc/goperf.yaml::svc::bench[[]*[]]", "svc/goperf.yaml::svc::cpu",
                                 "svc/goperf.yaml::svc::latency"])
    result.stdout.no_fnmatch_line("goperf svc: building*")
    assert not (pytester.path / "art").exists()
