"""goperf.yaml loading: the example parses, bad input names file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goperf.config import is_config_file, load_config
from pytest_goperf.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "go-service" / "goperf.yaml"


def write(tmp_path: Path, text: str, name: str = "goperf.yaml") -> Path:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.22\n")
    path = tmp_path / name
    path.write_text(text)
    return path


def test_example_config_loads() -> None:
    cfg = load_config(EXAMPLE)
    assert cfg.service.name == "go-service"
    assert cfg.service.module == EXAMPLE.parent
    assert cfg.bench.baseline == "pgo-off" and cfg.bench.candidate == "pgo"
    assert cfg.thresholds.runtime["cpu"].max_function_share == pytest.approx(0.30)
    assert cfg.load is not None and sum(r.weight for r in cfg.load.requests) == 2
    assert cfg.load.requests[1].body_file == EXAMPLE.parent / "large-request.json"


def test_quantities_are_converted(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, """
load: {warmup: 1.5s, duration: 2m, trace: 500ms, requests: [{path: /}]}
thresholds:
  scheduler: {p99: 200us}
  gc: {max_stw: 1ms}
  heap: {max_growth: 5%/min}
  latency: {p99: 50ms, max_error_rate: 0.1%}
"""))
    assert cfg.load is not None
    assert (cfg.load.warmup, cfg.load.duration, cfg.load.trace) == (1.5, 120.0, 0.5)
    assert cfg.thresholds.runtime["scheduler"].p99 == pytest.approx(200e-6)
    assert cfg.thresholds.runtime["gc"].max_stw == pytest.approx(1e-3)
    assert cfg.thresholds.runtime["heap"].max_growth == pytest.approx(0.05)
    assert cfg.thresholds.runtime["latency"].max_error_rate == pytest.approx(0.001)
    assert cfg.service.name == tmp_path.name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", "must be a mapping"),
        ("", "empty file"),
        ("thresholds: {bench: {max_regresion: 5%}}\n",
         ":1: unknown key 'thresholds.bench.max_regresion'; did you mean 'max_regression'?"),
        ("thresholds:\n  bench: {alpha: 2}\n", ":2: thresholds.bench.alpha: must be between 0 and 1"),
        ("bench: {count: many}\nthresholds: {bench: {}}\n", ":1: bench.count: expected a whole number"),
        ("bench: {baseline: svn:HEAD}\nthresholds: {bench: {}}\n", "must be pgo-off, git:<ref> or file:<old.txt>"),
        ("load: {duration: 30}\nthresholds: {latency: {p99: 1ms}}\n", "load.duration: a duration needs a unit"),
        ("thresholds: {cpu: {max_function_share: 30}}\n", "a plain share must be a fraction"),
        ("thresholds: {cpu: {}}\n", "need the service under load: add a 'load' section"),
        ("service: {name: x}\n", "no 'thresholds' section"),
        ("service: {module: nowhere}\nthresholds: {bench: {}}\n", "service.module: module folder"),
        ("load: {requests: [{path: /, body_file: missing.json}]}\nthresholds: {latency: {}}\n",
         "load.requests[0].body_file: file"),
        ("thresholds: [\n", "not valid YAML"),
        ("service:\n  gowork: on\nthresholds: {bench: {}}\n",
         ":2: service.gowork: must be off, auto or the path of a go.work file, got 'on'"),
        ("service:\n  gowork: [a]\nthresholds: {bench: {}}\n", ":2: service.gowork: must be off, auto or the path"),
        ("service: {args: ['-addr={addr}'], debug: none}\nload: {requests: [{path: /}]}\nthresholds:\n  latency: {}\n"
         "  cpu: {}\n",
         ":5: thresholds.cpu: this gate reads pprof data (cpu) but the service has no debug endpoints: "
         "set service.debug to auto or same"),
        ("service: {attach: {url: 'http://127.0.0.1:1'}}\nload: {requests: [{path: /}]}\nthresholds: {heap: {}}\n",
         "thresholds.heap: this gate reads pprof data (heap) but the service has no debug endpoints: "
         "set service.attach.debug_url"),
        ("load: {trace: 0s, requests: [{path: /}]}\nthresholds:\n  gc: {max_stw: 1ms}\n",
         ":3: thresholds.gc: this gate reads the execution trace, but load.trace is 0s"),
        ("bench: {layouts: 0}\nthresholds: {bench: {}}\n", ":1: bench.layouts: must be at least 1, got 0"),
        ("bench:\n  count: 6\n  layouts: 8\nthresholds: {bench: {}}\n",
         ":3: bench.layouts: 8 layouts need at least as many rounds, but bench.count is 6"),
        ("bench:\n  baseline: file:old.txt\n  layouts: 4\nthresholds: {bench: {}}\n",
         ":3: bench.layouts: rotates code layouts over rounds both sides run here, but a file: baseline"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert expected in message


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = write(tmp_path, "service: !!python/object/apply:os.system ['true']\nthresholds: {bench: {}}\n")
    with pytest.raises(ConfigError):
        load_config(path)


@pytest.mark.parametrize(("name", "collected"), [
    ("goperf.yaml", True), ("goperf.yml", True), ("checkout.goperf.yaml", True),
    ("goperf.json", False), ("other.yaml", False),
])
def test_collected_file_names(name: str, collected: bool) -> None:
    assert is_config_file(name) is collected


def test_gowork_accepts_off_auto_and_a_go_work_path(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "thresholds: {bench: {}}\n")).service.gowork == "off"
    assert load_config(write(tmp_path, "service: {gowork: off}\nthresholds: {bench: {}}\n")).service.gowork == "off"
    assert load_config(write(tmp_path, "service: {gowork: auto}\nthresholds: {bench: {}}\n")).service.gowork == "auto"
    (tmp_path / "go.work").write_text("go 1.22\n\nuse .\n")
    cfg = load_config(write(tmp_path, "service: {gowork: go.work}\nthresholds: {bench: {}}\n"))
    assert cfg.service.gowork == str(tmp_path / "go.work")


def test_window_captures_only_what_gates_need(tmp_path: Path) -> None:
    from pytest_goperf.run.gate_run import GateRun

    def captures(thresholds: str) -> frozenset[str]:
        cfg = load_config(write(tmp_path, f"load: {{requests: [{{path: /}}]}}\nthresholds: {thresholds}\n"))
        return GateRun(cfg, tmp_path / "art").captures()

    assert captures("{latency: {p99: 1s}}") == frozenset()
    assert captures("{latency: {}, cpu: {}}") == {"cpu"}
    assert captures("{goroutines: {}, gc: {}, scheduler: {}}") == {"goroutines", "trace"}
    assert captures("{heap: {}, cpu: {}, gc: {}, goroutines: {}}") == {"heap", "cpu", "trace", "goroutines"}


def test_layouts_default_to_the_toolchains_own_and_take_any_count_with_auto(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "bench: {}\nthresholds: {bench: {}}\n")).bench.layouts == 1
    auto = load_config(write(tmp_path, "bench: {count: auto, layouts: 8}\nthresholds: {bench: {}}\n")).bench
    assert (auto.layouts, auto.min_count) == (8, 6)  # rounds go on past min_count; the rotation keeps going


def test_count_auto_defaults_to_many_short_rounds_under_a_budget(tmp_path: Path) -> None:
    """count: auto: 100 ms rounds until the MDE fits or the budget ends (docs/bench.md's noise table);
    a fixed count keeps Go's 1 s; an explicit benchtime or max_count always wins."""
    auto = load_config(write(tmp_path, "bench: {count: auto}\nthresholds: {bench: {}}\n")).bench
    assert (auto.adaptive, auto.benchtime, auto.min_count, auto.max_count, auto.budget) == (True, "100ms", 6, 500,
                                                                                           300.0)
    fixed = load_config(write(tmp_path, "bench: {count: 10}\nthresholds: {bench: {}}\n")).bench
    assert (fixed.adaptive, fixed.benchtime, fixed.count) == (False, "1s", 10)
    mine = load_config(write(tmp_path, "bench: {count: auto, benchtime: 2s, max_count: 40}\n"
                                       "thresholds: {bench: {}}\n")).bench
    assert (mine.benchtime, mine.max_count) == ("2s", 40)
