"""The YAML rows of the fault matrix: each bad goperf.yaml is one collection error naming file:line:key and the fix.

All cases run in one ``pytest --goperf`` session (pytest reports every
collection error, then exits 2 without running anything).  Per case: the
message, on one line, names the file, line and key and says what to write;
no traceback; nothing built (no artifacts folder for the service).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.harness import DATA, Session, run_goperf
from tests.helpers import processes_under
from tests.helpers import EXAMPLE

BENCH = "bench: {packages: [.], bench: HandleRequest/small, count: 6, benchtime: 1x}\n"
LOAD = "load: {duration: 2s, rate: 5, requests: [{path: /}]}\n"
CASES: dict[str, tuple[str, str]] = {
    # case: (file body, the exact message after "<path>")
    "syntax": (f"service: {{name: syntax, module: {EXAMPLE}\nthresholds: {{bench: {{max_regression: 5%}}}}\n",
               ":2: not valid YAML: expected ',' or '}', but got ':'"),
    "empty": ("", ": a goperf.yaml must be a mapping with 'service', 'bench', 'load' and 'thresholds' sections, "
                  "got an empty file"),
    "wrong_type": (f"service: {{name: wrong_type, module: {EXAMPLE}}}\nbench: {{count: many}}\n"
                   "thresholds: {bench: {max_regression: 5%}}\n", ":2: bench.count: expected a whole number, got 'many'"),
    "unknown_key": (f"service: {{name: unknown_key, module: {EXAMPLE}}}\nbench: {{benchtme: 1s}}\n"
                    "thresholds: {bench: {max_regression: 5%}}\n",
                    ":2: unknown key 'bench.benchtme'; did you mean 'benchtime'?"),
    "duration": (f"service: {{name: duration, module: {EXAMPLE}}}\n"
                 "load: {duration: 10 seconds, rate: 5, requests: [{path: /}]}\nthresholds: {latency: {p99: 1s}}\n",
                 ":2: load.duration: invalid duration '10 seconds': use Go syntax with units ns, us, ms, s, m, h "
                 "(e.g. '1.5s', '200us')"),
    "percent": (f"service: {{name: percent, module: {EXAMPLE}}}\nthresholds: {{bench: {{max_regression: five}}}}\n",
                ":2: thresholds.bench.max_regression: invalid share 'five': write a percentage such as '30%'"),
    "growth_rate": (f"service: {{name: growth_rate, module: {EXAMPLE}}}\n{LOAD}thresholds: {{heap: {{max_growth: 5MB}}}}\n",
                    ":3: thresholds.heap.max_growth: invalid growth rate '5MB': write a share per time such as "
                    "'5%/min'"),
    "rate": (f"service: {{name: rate, module: {EXAMPLE}}}\nload: {{duration: 2s, rate: fast, requests: [{{path: /}}]}}\n"
             "thresholds: {latency: {p99: 1s}}\n", ":2: load.rate: expected a number, got 'fast'"),
    "structured_duration": (f"service: {{name: structured_duration, module: {EXAMPLE}}}\n{LOAD}"
                            "thresholds: {latency: {p99: [1s]}}\n",
                            ":3: thresholds.latency.p99: expected a single value such as '30s' or '5%', got a list"),
    "no_go_mod": (f"service: {{name: no_go_mod, module: {DATA}}}\n{BENCH}thresholds: {{bench: {{max_regression: 5%}}}}\n",
                  f":1: service.module: {DATA} has no go.mod; set service.module to the folder that holds go.mod"),
    "module_missing": ("service: {name: module_missing, module: ./nowhere}\n" + BENCH
                       + "thresholds: {bench: {max_regression: 5%}}\n", ""),
}


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    folder = tmp_path_factory.mktemp("yaml-faults")
    for name, (body, _) in CASES.items():
        (folder / f"{name}.goperf.yaml").write_text(body)
    for name in ("dup_a", "dup_b"):  # two services of one name: the second is refused
        (folder / f"{name}.goperf.yaml").write_text(f"service: {{name: dup, module: {EXAMPLE}}}\n{LOAD}"
                                                    "thresholds: {latency: {p99: 1s}}\n")
    return run_goperf(folder)


def test_session_exits_2_and_runs_nothing(session: Session) -> None:
    assert session.returncode == 2, session.output[-3000:]
    assert f"Interrupted: {len(CASES) + 1} errors during collection" in session.output
    assert "Traceback" not in session.output and 'File "' not in session.output
    assert not (session.folder / "art").exists() or not any((session.folder / "art").iterdir())
    assert processes_under(session.folder) == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_line_naming_file_line_key_and_fix(session: Session, case: str) -> None:
    path = session.folder / f"{case}.goperf.yaml"
    text = session.section(f"ERROR collecting {case}.goperf.yaml").strip()
    assert "\n" not in text, text
    expected = CASES[case][1]
    if case == "module_missing":
        expected = (f":1: service.module: module folder {session.folder / 'nowhere'} does not exist; set "
                    "service.module to the folder with go.mod (relative to the YAML file)")
    assert text == f"{path}{expected}"


def test_two_services_of_one_name(session: Session) -> None:
    text = session.section("ERROR collecting dup_b.goperf.yaml").strip()
    assert text == (f"{session.folder / 'dup_b.goperf.yaml'}: service name 'dup' is already used by "
                    f"{session.folder / 'dup_a.goperf.yaml'}; set service.name so each service has its own "
                    "artifacts folder")


def test_no_size_valued_key_exists() -> None:
    """The matrix asks for bad size strings; no goperf.yaml key takes a size today (sizes are bytes/op units)."""
    import pytest_goperf.config as config
    import pytest_goperf.service_config as service_config

    for module in (config, service_config):
        assert "parse_size" not in Path(module.__file__ or "").read_text()
