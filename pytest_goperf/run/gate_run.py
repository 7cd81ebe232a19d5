"""The expensive work for one service, done once and shared by all its tests.

``GateRun`` builds the sides, runs the interleaved benchmark rounds (run/bench_run.py), and
(lazily, on the first runtime test) starts the service, drives load and
captures profiles and a trace in one window.  A failure is remembered and
re-raised for every test that depends on it, so one broken build reports on
each test instead of re-running.  No pytest import here: the plugin wraps it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from pytest_goperf.config import GoperfConfig
from pytest_goperf.errors import GoperfError
from pytest_goperf.gates import Verdict
from pytest_goperf.go.build import BuiltSide, Side, build_side
from pytest_goperf.go.link_cache import LinkCache
from pytest_goperf.go.service import AttachedService, ServiceProcess, service_for
from pytest_goperf.go.tls import insecure_warning
from pytest_goperf.go.toolchain import GoToolchain, find_go
from pytest_goperf.load.generator import build_loadgen
from pytest_goperf.load.protocol import h2c_status
from pytest_goperf.load.vegeta import install_vegeta
from pytest_goperf.run.baseline import plan_sides
from pytest_goperf.run.bench_run import BenchOutcome, run_bench
from pytest_goperf.run.evidence import WindowEvidence, with_noise
from pytest_goperf.run.timings import PhaseTimings
from pytest_goperf.run.window import WindowResult, run_window
from pytest_goperf.tool_cache import tool_cache


T = TypeVar("T")


class _Once(Generic[T]):
    """Compute a value once; remember an exception and raise it again for every later caller."""

    def __init__(self) -> None:
        self._result: tuple[T] | None = None      # a 1-tuple once computed, so None can be a value
        self._error: BaseException | None = None

    @property
    def value(self) -> T | None:
        """The value if it was computed without error, else None (never computes)."""
        return self._result[0] if self._result is not None else None

    def get(self, compute: Callable[[], T]) -> T:
        if self._result is None and self._error is None:
            try:
                self._result = (compute(),)
            except GoperfError as exc:
                self._error = exc
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result[0]


def create_root(root: Path) -> None:
    """Create the artifacts root with a ``.gitignore`` of ``*``, as pytest does for .pytest_cache.

    Binaries, profiles and traces are never meant for a commit, and an
    untracked .goperf/ in the checkout would end every later A/A check.  A
    folder that already exists is the user's: it is left as it is.
    """
    try:
        root.mkdir(parents=True)
    except FileExistsError:
        return
    (root / ".gitignore").write_text("# Created by pytest-goperf: binaries, profiles and traces, never committed.\n*\n",
                                     encoding="utf-8")


class GateRun:
    """Everything measured for one goperf.yaml, kept for its tests."""

    def __init__(self, cfg: GoperfConfig, artifacts: Path, progress: Callable[[str], None] = lambda _m: None) -> None:
        self.cfg = cfg
        self.artifacts = artifacts
        self.progress = progress
        self._bench: _Once[BenchOutcome] = _Once()
        self._window: _Once[WindowResult] = _Once()
        self._candidate: _Once[BuiltSide] = _Once()
        self._evidence: WindowEvidence | None = None
        self._pgo: _Once[Any] = _Once()                       # PGO diagnostics' evidence (run/pgo_run.py)
        self._pgo_refresh: _Once[Any] = _Once()               # --goperf-update-pgo (run/pgo_refresh.py)
        self.pgo_pre: Any = None                  # the profile read before the first PGO build
        self.notes: list[str] = []
        self.warnings: list[str] = []   # for every runtime verdict (JUnit properties) as well as the summary
        self.timings = PhaseTimings()   # wall time per phase (--goperf-timings, the JSON report)
        self.trace_keep = 0             # worst intervals the report's charts read from the trace (0: no charts)

    # --- shared pieces -----------------------------------------------------

    def make_artifacts(self) -> Path:
        """The service's artifacts folder, created on first use with its root (see ``create_root``)."""
        create_root(self.artifacts.parent)
        self.artifacts.mkdir(parents=True, exist_ok=True)
        return self.artifacts

    @property
    def name(self) -> str:
        return self.cfg.service.name

    @property
    def needs_service(self) -> bool:
        """A service binary is built only when some runtime threshold needs it running."""
        t = self.cfg.thresholds
        return self.cfg.service.attach is None and bool(t.runtime)

    def go(self) -> GoToolchain:
        if find_go.cache_info().currsize:
            return find_go()
        with self.timings.phase("toolchain"):
            return find_go()

    def say(self, message: str) -> None:
        self.progress(f"goperf {self.name}: {message}")

    def build(self, side: Side, *, bench: bool, packages: list[str] | None = None) -> BuiltSide:
        from pytest_goperf.run import pgo_run

        pgo_run.before_side(self, side)
        self.say(f"building {side.label}" + (" (service + test binaries)" if bench and self.needs_service else "")
                 + (self._layouts() if bench else ""))
        go = self.go().with_env(self.cfg.service.build_env)  # outside the phase: "toolchain" is its own
        with self.timings.phase(f"build {side.label}"):
            built = build_side(
                go, side, self.artifacts / _folder(side.label),
                service_name=self.name, build_flags=self.cfg.service.build_flags,
                bench_packages=(list(self.cfg.bench.packages) if packages is None else packages) if bench else None,
                build_service=self.needs_service,
                progress=self.say, link_cache=self._link_cache(), layouts=self.cfg.bench.layouts if bench else 1,
            )
        self._built(side, built)
        return built

    def _layouts(self) -> str:
        n = self.cfg.bench.layouts
        return f", each test binary in {n} code layouts (bench.layouts)" if n > 1 else ""

    def _link_cache(self) -> LinkCache:
        """Last-linked binaries kept per machine: a warm run in a new artifacts folder links nothing again."""
        return LinkCache(tool_cache("binaries", self.artifacts.parent / ".cache"))

    def build_pair(self, old: Side, new: Side) -> tuple[BuiltSide, BuiltSide]:
        """Both sides with benchmarks: side by side when they share no compile work (go/build_pair.py)."""
        from pytest_goperf.go.build_pair import build_pair, side_by_side
        from pytest_goperf.run import pgo_run

        if not side_by_side(old, new):
            return self.build(old, bench=True), self.build(new, bench=True)
        self.say(f"building {old.label} and {new.label} side by side"
                 + (" (service + test binaries)" if self.needs_service else "") + self._layouts())
        go = self.go().with_env(self.cfg.service.build_env)
        with self.timings.phase(f"build {old.label} + {new.label}"):
            built = build_pair(go, [(side, self.artifacts / _folder(side.label)) for side in (old, new)],
                               service_name=self.name, build_flags=self.cfg.service.build_flags,
                               bench_packages=list(self.cfg.bench.packages), build_service=self.needs_service,
                               progress=self.say, link_cache=self._link_cache(), layouts=self.cfg.bench.layouts)
        # The profile is read after the builds, which never change it: read first, its `go list` would
        # fetch missing modules silently, and the builds' "go: downloading" lines would never show.
        for side, one in zip((old, new), built):
            pgo_run.before_side(self, side)
            self._built(side, one)
        return built[0], built[1]

    def _built(self, side: Side, built: BuiltSide) -> None:
        from pytest_goperf.run import pgo_run

        for note in built.notes:
            if note not in self.notes:
                self.say(note)
                self.notes.append(note)
        pgo_run.after_side(self, side, built)

    # --- PGO (the work is in run/pgo_run.py and run/pgo_refresh.py) ---------

    def pgo(self, built: BuiltSide | None = None) -> Any:
        """The PGO diagnostics' evidence (``pgo.diagnose.PgoEvidence``), once: what build-time gates read.

        ``built``: the pgo side, when it has just been built from the worktree's profile (no second link).
        """
        from pytest_goperf.run import pgo_run

        def diagnose() -> Any:
            with self.timings.phase("pgo diagnostics"):
                return pgo_run.evidence(self, built)
        return self._pgo.get(diagnose)

    def build_verdict(self, gate: str) -> Verdict:
        """The verdict of one build-time gate (``thresholds.pgo``)."""
        from pytest_goperf.gates.registry import build_gate

        return build_gate(gate).judge(self, self.cfg.thresholds.build[gate])

    def refresh_pgo(self) -> Any:
        """--goperf-update-pgo: capture under load, merge and write default.pgo (once; ``RefreshOutcome``)."""
        from pytest_goperf.run.pgo_refresh import refresh_from_load

        return self._pgo_refresh.get(lambda: refresh_from_load(self))

    def pgo_refresh_if_done(self) -> Any:
        return self._pgo_refresh.value

    # --- benchmarks --------------------------------------------------------

    def bench(self) -> BenchOutcome:
        """Builds, interleaved rounds, comparison and verdicts (once; run/bench_run.py)."""
        result: BenchOutcome = self._bench.get(lambda: run_bench(self))
        return result

    def bench_if_done(self) -> BenchOutcome | None:
        """The bench outcome if the rounds already ran (for summaries), without running them."""
        outcome: BenchOutcome | None = self._bench.value
        return outcome

    # --- the service under load -------------------------------------------

    def candidate(self) -> BuiltSide:
        """The candidate side's build (reused from the bench run when there is one)."""
        def build() -> BuiltSide:
            side = plan_sides(self.cfg).new
            if self.cfg.thresholds.bench is None:
                # No comparison asked for: build as `go build` would (default.pgo used if present).
                side = dataclasses.replace(side, label="worktree", pgo="auto")
            return self.build(side, bench=False)
        result: BuiltSide = self._candidate.get(build)
        return result

    def adopt_candidate(self, built: BuiltSide) -> None:
        """The bench run built the candidate side: the window reuses it instead of building again."""
        self._candidate.get(lambda: built)


    def window(self) -> WindowResult:
        """Start (or attach to) the service, drive load and capture everything in one window (once)."""
        result: WindowResult = self._window.get(self._run_window)
        return result

    def window_if_done(self) -> WindowResult | None:
        """The window's result if it already ran (for reports), without running it."""
        result: WindowResult | None = self._window.value
        return result

    def _run_window(self) -> WindowResult:
        cfg, load = self.cfg, self.cfg.load
        if load is None:
            raise GoperfError(f"{cfg.path}: runtime thresholds need a 'load' section")
        self.make_artifacts()
        cache = self.artifacts.parent / ".cache"
        builtin = not load.command and load.tool == "builtin"
        go = self.go()
        with self.timings.phase("load generator build"):
            loadgen = build_loadgen(go, tool_cache("loadgen", cache)) if builtin else None
            vegeta = (install_vegeta(go, tool_cache("vegeta", cache)) if not load.command and load.tool == "vegeta"
                      else None)
        tls = cfg.service.tls
        if (warning := insecure_warning(tls)) is not None:
            self.say(warning)
            self.notes.append(warning)
        # An h2c-only service answers no HTTP/1.1 ready check: ask it over HTTP/2 instead.
        ready_probe = h2c_status if load.http2 and tls is None else None
        allowed: list[str] = []
        binary = None
        if cfg.service.attach is not None:
            allowed = [h for h in (urlsplit(cfg.service.attach.url).hostname,) if h]
            self.say(f"attaching to {cfg.service.attach.url}")
        else:
            binary = self.candidate().service_binary
            self.say(f"starting {self.name}")
        captures = self.captures()
        service = service_for(cfg.service, binary, self.artifacts, probe_debug=bool(captures), ready_probe=ready_probe)
        started = time.perf_counter()
        with service:
            self.timings.add("service start", time.perf_counter() - started)
            self._debug_notes(service, captures)
            mode = f"{load.rate:g} req/s" if load.rate else f"{load.connections} connections, closed model"
            self.say(f"load: {load.warmup:g}s warmup + {load.duration:g}s window at {mode}; "
                      f"capturing {', '.join(sorted(captures)) or 'nothing but the load result'}")
            with self.timings.phase("load window") as phase:
                result = run_window(service, load, self.artifacts, loadgen=loadgen, allowed_hosts=allowed,
                                    command_cwd=cfg.path.parent, captures=captures, tls=tls, vegeta=vegeta)
                phase.measuring = load.warmup + load.duration
            stopping = time.perf_counter()
        self.timings.add("service stop", time.perf_counter() - stopping)
        if service.debug_url is None and service.debug_problem:
            for key, message in result.errors.items():  # say why there is no debug_url, not only that
                if message.startswith("no debug_url"):
                    result.errors[key] = service.debug_problem
        self.notes.append(f"plugin CPU during the window: {result.plugin_cpu * 100:.1f}% of a core")
        costs = result.series.costs() if result.series is not None else None
        if costs:
            self.notes.append(f"sampling cost inside the service: {costs}")
        return result

    def _debug_notes(self, service: ServiceProcess | AttachedService, captures: frozenset[str]) -> None:
        """Say where pprof comes from; warn (summary and each runtime verdict) when it is the API port."""
        if not captures:
            return
        for note in (service.debug_note, service.debug_problem):
            if note:
                self.say(note)
                self.notes.append(note)
        advice = service.pprof_on_api
        if advice and advice not in self.warnings:
            self.warnings.append(advice)
            self.notes.append(f"warning: {advice}")

    def captures(self) -> frozenset[str]:
        """What the window must capture: the union of what the configured runtime gates need."""
        from pytest_goperf.gates.registry import runtime_gate

        return frozenset(need for key in self.cfg.thresholds.runtime for need in runtime_gate(key).needs) - {"load"}

    def runtime_verdict(self, gate: str) -> Verdict:
        """The verdict of one runtime gate, by its ``thresholds`` key."""
        from pytest_goperf.gates.registry import runtime_gate

        spec = runtime_gate(gate)
        if self._evidence is None:
            self._evidence = WindowEvidence(self.window(), trace_keep=self.trace_keep)
        with self.timings.phase("window analysis"):
            verdict: Verdict = spec.judge(self._evidence, self.cfg.thresholds.runtime[gate])
        if self.warnings and spec.needs - {"load"}:  # the gates that read pprof data carry the pprof-on-API warning
            verdict = dataclasses.replace(verdict, warnings=(*verdict.warnings, *self.warnings))
        return with_noise(gate, verdict, self._evidence.window)

    def service_log_tail(self) -> str | None:
        """The last lines of the started service's log, for failing tests."""
        log = self.artifacts / "service.log"
        if not log.is_file():
            return None
        from pytest_goperf.go.process import tail_lines

        return tail_lines(log, 40)


def _folder(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
