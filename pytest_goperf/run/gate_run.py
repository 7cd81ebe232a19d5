"""The expensive work for one service, done once and shared by all its tests.

``GateRun`` builds the sides, runs the interleaved benchmark rounds, and
(lazily, on the first runtime test) starts the service, drives load and
captures profiles and a trace in one window.  A failure is remembered and
re-raised for every test that depends on it, so one broken build reports on
each test instead of re-running.  No pytest import here: the plugin wraps it.
"""

from __future__ import annotations

import dataclasses
import math
import re
import shutil
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from pytest_goperf.run.baseline import cache_key, copy_inputs, git_worktree, plan_sides, tree_matches
from pytest_goperf.run.rounds import Adaptive, BenchOutputs, run_interleaved
from pytest_goperf.bench.compare import Comparison
from pytest_goperf.config import GoperfConfig
from pytest_goperf.errors import BuildError, ConfigError, GoperfError
from pytest_goperf.gates import Verdict
from pytest_goperf.go.build import BuiltSide, Side, build_side, list_test_packages
from pytest_goperf.go.gomod import workspace_file
from pytest_goperf.go.link_cache import LinkCache
from pytest_goperf.go.tls import insecure_warning
from pytest_goperf.load.generator import build_loadgen
from pytest_goperf.tool_cache import tool_cache
from pytest_goperf.load.protocol import h2c_status
from pytest_goperf.load.vegeta import install_vegeta
from pytest_goperf.go.service import AttachedService, ServiceProcess, service_for
from pytest_goperf.go.toolchain import GoToolchain, find_go
from pytest_goperf.run.evidence import WindowEvidence, with_noise
from pytest_goperf.run.timings import PhaseTimings
from pytest_goperf.run.window import WindowResult, run_window



def _failed_benchmarks(service: str, sides: tuple[tuple[str, Path, Any], ...]) -> Verdict | None:
    """Why no row exists when the benchmarks failed or crashed: name them, not the units filter (None: none did).

    One line per side, benchmark and message (every round repeats it), at its first place in the file.
    """
    first: dict[tuple[str, str, bool, str], tuple[Path, int, int]] = {}
    for label, path, bench_file in sides:
        for f in bench_file.failures:
            key = (label, f.benchmark, f.crashed, f.message)
            at = first.get(key)
            first[key] = (path, f.line, 1) if at is None else (at[0], at[1], at[2] + 1)
    if not first:
        return None
    lines = [f"  {'Benchmark' + name if name else 'the test binary'} {'crashed' if crashed else 'failed'} in {label} "
             f"({path}:{line}{f', and in {n - 1} more rounds' if n > 1 else ''}): {message}"
             for (label, name, crashed, message), (path, line, n) in first.items()]
    more = f"\n  ... and {len(lines) - 12} more" if len(lines) > 12 else ""
    return Verdict.fail(f"{service}: no benchmark row to compare because the benchmarks themselves failed; fix them "
                        "(go test -bench on the package shows the same failure):\n" + "\n".join(lines[:12]) + more)


T = TypeVar("T")


@dataclass(frozen=True)
class BenchOutcome:
    outputs: BenchOutputs
    old: BuiltSide | None
    new: BuiltSide
    comparison: Comparison
    verdicts: dict[tuple[str, str, str], Verdict]   # (pkg, benchmark, unit)
    notes: tuple[str, ...]
    ids: dict[tuple[str, str, str], str] = dataclasses.field(default_factory=dict)  # test id inside bench[...]
    alerts: tuple[str, ...] = ()          # said aloud in the terminal summary
    unjudged: Verdict | None = None       # a failing verdict when no row could be judged


@dataclass(frozen=True)
class _GitBase:
    ref: str
    sha: str
    packages: frozenset[str] | None       # test packages at the base commit (None: cached, not built)


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

    def _say(self, message: str) -> None:
        self.progress(f"goperf {self.name}: {message}")

    def _build(self, side: Side, *, bench: bool, packages: list[str] | None = None) -> BuiltSide:
        from pytest_goperf.run import pgo_run

        pgo_run.before_side(self, side)
        self._say(f"building {side.label}" + (" (service + test binaries)" if bench and self.needs_service else ""))
        go = self.go().with_env(self.cfg.service.build_env)  # outside the phase: "toolchain" is its own
        with self.timings.phase(f"build {side.label}"):
            built = build_side(
                go, side, self.artifacts / _folder(side.label),
                service_name=self.name, build_flags=self.cfg.service.build_flags,
                bench_packages=(list(self.cfg.bench.packages) if packages is None else packages) if bench else None,
                build_service=self.needs_service,
                progress=self._say, link_cache=self._link_cache(),
            )
        self._built(side, built)
        return built

    def _link_cache(self) -> LinkCache:
        """Last-linked binaries kept per machine: a warm run in a new artifacts folder links nothing again."""
        return LinkCache(tool_cache("binaries", self.artifacts.parent / ".cache"))

    def _build_pair(self, old: Side, new: Side) -> tuple[BuiltSide, BuiltSide]:
        """Both sides with benchmarks: side by side when they share no compile work (go/build_pair.py)."""
        from pytest_goperf.go.build_pair import build_pair, side_by_side
        from pytest_goperf.run import pgo_run

        if not side_by_side(old, new):
            return self._build(old, bench=True), self._build(new, bench=True)
        self._say(f"building {old.label} and {new.label} side by side"
                  + (" (service + test binaries)" if self.needs_service else ""))
        go = self.go().with_env(self.cfg.service.build_env)
        with self.timings.phase(f"build {old.label} + {new.label}"):
            built = build_pair(go, [(side, self.artifacts / _folder(side.label)) for side in (old, new)],
                               service_name=self.name, build_flags=self.cfg.service.build_flags,
                               bench_packages=list(self.cfg.bench.packages), build_service=self.needs_service,
                               progress=self._say, link_cache=self._link_cache())
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
                self._say(note)
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
        """Builds, interleaved rounds, comparison and verdicts (once)."""
        result: BenchOutcome = self._bench.get(self._run_bench)
        return result

    def bench_if_done(self) -> BenchOutcome | None:
        """The bench outcome if the rounds already ran (for summaries), without running them."""
        outcome: BenchOutcome | None = self._bench.value
        return outcome

    def _run_bench(self) -> BenchOutcome:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        from pytest_goperf.go.bench_pattern import bench_pattern_error

        go = self.go()
        with self.timings.phase("bench pattern check"):
            problem = bench_pattern_error(go, self.cfg.bench.bench, self.artifacts.parent / ".cache")
        if problem is not None:
            raise ConfigError(f"{self.cfg.where('bench.bench')}: Go refuses this -bench pattern: {problem}; "
                              "go test splits it on '/' and '|' and reads each element as an RE2 regexp")
        plan = plan_sides(self.cfg)
        notes: list[str] = []
        with ExitStack() as stack:
            old_built: BuiltSide | None = None
            old_cached: Path | None = None
            git_cache: Path | None = None
            base: _GitBase | None = None
            if plan.git_ref is not None:
                old_built, old_cached, git_cache, note, base = self._git_side(plan.git_ref, stack)
                notes.extend(note)
            if plan.old is not None:
                old_built, new_built = self._build_pair(plan.old, plan.new)
            else:
                new_built = self._build(plan.new, bench=True)
            self._candidate.get(lambda: new_built)
            adaptive = None
            if self.cfg.bench.adaptive and self.cfg.thresholds.bench is not None:
                old_src = plan.old_file or old_cached or self.artifacts / "old.txt"
                adaptive = Adaptive(lambda: self._worst_mde(old_src, self.artifacts / "new.txt"),
                                    self.cfg.where("bench.budget"))
            with self.timings.phase("rounds") as rounds:
                outputs = run_interleaved(old_built, new_built, self.cfg.bench, self.artifacts, self._say, adaptive)
                rounds.measuring = outputs.binaries_s
            if outputs.stopped is not None:
                notes.append(outputs.stopped)
            old_txt = self.artifacts / "old.txt"
            if plan.old_file is not None:
                shutil.copyfile(plan.old_file, old_txt)
                notes.append(f"baseline is the file {plan.old_file} (not interleaved with this run)")
            elif old_cached is not None:
                shutil.copyfile(old_cached, old_txt)
            elif git_cache is not None and outputs.old is not None:
                git_cache.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(outputs.old, git_cache)
        from pytest_goperf.bench.compare import compare
        from pytest_goperf.bench.format import read_file
        from pytest_goperf.gates.bench import judge, row_ids

        with self.timings.phase("bench analysis"):
            th = self.cfg.thresholds.bench
            alpha = th.alpha if th is not None else 0.05
            old_label = self.cfg.bench.baseline if plan.old is None else plan.old.label
            # Columns read "pgo-off" / "pgo" (or the git ref) instead of two long paths.
            old_file, new_file = read_file(old_txt), read_file(outputs.new)
            old_file.name, new_file.name = old_label, plan.new.label
            self._explain_baseline(old_file, [t.package for t in new_built.test_binaries], base, plan.old_file)
            comparison = compare(old_file, new_file, alpha=alpha, split="pkg",
                                 pair_procs=self.cfg.bench.gomaxprocs_mismatch == "pair")
            if th is None:
                self.notes.extend(notes)
                return BenchOutcome(outputs=outputs, old=old_built, new=new_built, comparison=comparison,
                                    verdicts={}, notes=tuple(notes))
            judgement = judge(comparison, max_regression=th.max_regression, alpha=th.alpha,
                              min_improvement=th.min_improvement, units=th.units,
                              old_label=str(old_txt), new_label=str(outputs.new), test=th.test,
                              require_power=th.require_power)
            self.notes.extend(notes)
            unjudged = judgement.unjudged(self.name)
            if unjudged is not None and not judgement.verdicts:  # no row at all: failed benchmarks say why
                unjudged = _failed_benchmarks(self.name, ((old_label, old_txt, old_file),
                                                          (plan.new.label, outputs.new, new_file))) or unjudged
            return BenchOutcome(outputs=outputs, old=old_built, new=new_built, comparison=comparison,
                                verdicts=judgement.verdicts, notes=tuple(notes),
                                ids=row_ids(judgement.verdicts, _module_path(self.cfg.service.module)),
                                alerts=(*judgement.alerts, *([outputs.stopped] if outputs.limit_hit and outputs.stopped
                                                             else [])),
                                unjudged=unjudged)

    def _worst_mde(self, old: Path, new: Path) -> tuple[float, float]:
        """count: auto's stopping rule: the worst MDE over the family's rows and max_regression, in percent.

        Only dispersion enters (MDEs come from median-centred noise; the family from pooled samples),
        never the observed difference.  Rows that more rounds could bring into the family count as unbounded.
        """
        from pytest_goperf.bench.compare import compare
        from pytest_goperf.bench.format import read_file
        from pytest_goperf.gates.bench import judge

        th = self.cfg.thresholds.bench
        assert th is not None
        comparison = compare(read_file(old), read_file(new), alpha=th.alpha, split="pkg",
                             pair_procs=self.cfg.bench.gomaxprocs_mismatch == "pair")
        j = judge(comparison, max_regression=th.max_regression, alpha=th.alpha, units=th.units, test=th.test)
        worst = 0.0
        for v in j.verdicts.values():
            if v.figures.get("skip_reason") in ("family", "too_few"):
                worst = math.inf
            elif v.figures.get("rows_in_family") is not None and isinstance(v.figures.get("mde_pct"), float):
                worst = max(worst, float(v.figures["mde_pct"] or 0.0))
        return worst, th.max_regression * 100

    def _explain_baseline(self, old_file: Any, new_packages: list[str], base: _GitBase | None,
                          saved: Path | None) -> None:
        """Tell the comparison why baseline rows may be missing: new packages, a clean worktree, a saved file."""
        have = set(old_file.packages)
        for pkg in new_packages:
            if pkg in have or (base is not None and base.packages is not None and pkg in base.packages):
                continue  # the package ran there: its failures, or a missing benchmark, explain a missing row
            if base is not None and base.packages is not None:
                why = f"package {pkg} does not exist, or has no tests, at git:{base.ref} ({base.sha[:12]})"
            elif base is not None:
                why = (f"package {pkg} has no benchmark results at git:{base.ref} ({base.sha[:12]}): the package or "
                       "its matching benchmarks do not exist there")
            else:
                why = f"package {pkg} has no results in the baseline file {saved}"
            old_file.absent[pkg] = why
        if base is not None:
            old_file.hint = (f"the git:{base.ref} baseline runs in a clean git worktree of commit {base.sha[:12]}, "
                             "which has no untracked or ignored files ({file} is not there): commit it, or list "
                             "it in bench.worktree_copy")

    def _git_side(self, ref: str, stack: ExitStack) -> tuple[BuiltSide | None, Path | None, Path, list[str], _GitBase]:
        """Build the baseline from a temporary worktree of ``ref``, or reuse its cached bench output.

        Only the benchmarked packages that exist at ``ref`` are built there (a
        package the change adds is "new in the candidate"), and
        ``bench.worktree_copy`` inputs are copied in first.  Returns (built
        side or None, cached old.txt or None, where to cache, notes, the base).
        """
        with self.timings.phase(f"worktree git:{ref}"):
            inner, sha, gowork = stack.enter_context(
                git_worktree(self.cfg.service.module, ref, self.artifacts, self.cfg.service.gowork))
        notes: list[str] = []
        if tree_matches(self.cfg.service.module, sha):
            note = (f"the working tree has no changes against git:{ref} ({sha[:12]}): "
                    "this run compares a commit with itself (an A/A check of the machine's noise)")
            self._say(note)
            notes.append(note)
        key = cache_key(sha, self.go(), self.cfg, self.cfg.bench)
        cache = self.artifacts.parent / ".cache" / f"baseline-{sha[:12]}-{key}.txt"
        if cache.is_file() and self.cfg.bench.reuse_baseline:  # opt-in: old measurements carry no drift protection
            note = (f"WARNING: bench.reuse_baseline: true: reusing the measurements cached for git:{ref} "
                    f"({sha[:12]}) in {cache}; they were not interleaved with this run's rounds, so machine drift "
                    "since then reads as a change; remove reuse_baseline to measure both sides side by side")
            self._say(note)
            return None, cache, cache, [*notes, note], _GitBase(ref, sha, None)
        copied = copy_inputs(self.cfg.service.module, inner, self.cfg.bench.worktree_copy)
        if copied:
            notes.append(f"copied into the git:{ref} worktree (bench.worktree_copy): {', '.join(copied)}")
        flags = ["-e", *self.cfg.service.build_flags]
        packages = [p for p, _ in list_test_packages(self.go(), inner, self.cfg.bench.packages, flags, gowork)]
        side = Side(label=f"git-{ref}", module=inner, main=self.cfg.service.main, pgo="auto", gowork=gowork)
        try:
            built = self._build(side, bench=True, packages=packages)
        except BuildError as exc:
            if gowork == "off" and workspace_file(self.cfg.service.module, None) is not None:
                raise BuildError(f"{exc}\n(the git:{ref} baseline is built with GOWORK=off; if the module needs "
                                 f"its workspace, set service.gowork: auto in {self.cfg.path})") from None
            raise
        return (built, None, cache, [*notes, f"baseline git:{ref} is commit {sha[:12]}"],
                _GitBase(ref, sha, frozenset(packages)))

    # --- the service under load -------------------------------------------

    def candidate(self) -> BuiltSide:
        """The candidate side's build (reused from the bench run when there is one)."""
        def build() -> BuiltSide:
            side = plan_sides(self.cfg).new
            if self.cfg.thresholds.bench is None:
                # No comparison asked for: build as `go build` would (default.pgo used if present).
                side = dataclasses.replace(side, label="worktree", pgo="auto")
            return self._build(side, bench=False)
        result: BuiltSide = self._candidate.get(build)
        return result


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
        self.artifacts.mkdir(parents=True, exist_ok=True)
        cache = self.artifacts.parent / ".cache"
        builtin = not load.command and load.tool == "builtin"
        go = self.go()
        with self.timings.phase("load generator build"):
            loadgen = build_loadgen(go, tool_cache("loadgen", cache)) if builtin else None
            vegeta = (install_vegeta(go, tool_cache("vegeta", cache)) if not load.command and load.tool == "vegeta"
                      else None)
        tls = cfg.service.tls
        if (warning := insecure_warning(tls)) is not None:
            self._say(warning)
            self.notes.append(warning)
        # An h2c-only service answers no HTTP/1.1 ready check: ask it over HTTP/2 instead.
        ready_probe = h2c_status if load.http2 and tls is None else None
        allowed: list[str] = []
        binary = None
        if cfg.service.attach is not None:
            allowed = [h for h in (urlsplit(cfg.service.attach.url).hostname,) if h]
            self._say(f"attaching to {cfg.service.attach.url}")
        else:
            binary = self.candidate().service_binary
            self._say(f"starting {self.name}")
        captures = self.captures()
        service = service_for(cfg.service, binary, self.artifacts, probe_debug=bool(captures), ready_probe=ready_probe)
        started = time.perf_counter()
        with service:
            self.timings.add("service start", time.perf_counter() - started)
            self._debug_notes(service, captures)
            mode = f"{load.rate:g} req/s" if load.rate else f"{load.connections} connections, closed model"
            self._say(f"load: {load.warmup:g}s warmup + {load.duration:g}s window at {mode}; "
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
                self._say(note)
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


def _module_path(module: Path) -> str | None:
    """The module path from go.mod's ``module`` line (for test ids relative to it)."""
    try:
        text = (module / "go.mod").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = re.search(r'^\s*module\s+"?([^"\s]+)"?', text, flags=re.MULTILINE)
    return found.group(1) if found else None


def _folder(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
