"""The expensive work for one service, done once and shared by all its tests.

``ServiceRun`` builds the sides, runs the interleaved benchmark rounds, and
(lazily, on the first runtime test) starts the service, drives load and
captures profiles and a trace in one window.  A failure is remembered and
re-raised for every test that depends on it, so one broken build reports on
each test instead of re-running.  No pytest import here: the plugin wraps it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_goperf.bench.baseline import Plan, cache_key, git_worktree, plan_sides
from pytest_goperf.bench.runner import BenchOutputs, run_interleaved
from pytest_goperf.config import GoperfConfig
from pytest_goperf.errors import GoperfError
from pytest_goperf.gates import Verdict
from pytest_goperf.go.build import BuiltSide, Side, build_side
from pytest_goperf.go.toolchain import GoToolchain, find_go

RUNTIME_GATES = ("cpu", "heap", "goroutines", "scheduler", "gc", "latency")


@dataclass(frozen=True)
class BenchOutcome:
    outputs: BenchOutputs
    old: BuiltSide | None
    new: BuiltSide
    comparison: Any                       # pytest_goperf.bench.compare.Comparison
    verdicts: dict[tuple[str, str], Verdict]
    notes: tuple[str, ...]


class _Once:
    """Compute a value once; remember an exception and raise it again for every later caller."""

    def __init__(self) -> None:
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None

    def get(self, compute: Callable[[], Any]) -> Any:
        if not self._done:
            try:
                self._value = compute()
            except GoperfError as exc:
                self._error = exc
            finally:
                self._done = True
        if self._error is not None:
            raise self._error
        return self._value


class ServiceRun:
    """Everything measured for one goperf.yaml, kept for its tests."""

    def __init__(self, cfg: GoperfConfig, artifacts: Path, progress: Callable[[str], None] = lambda _m: None) -> None:
        self.cfg = cfg
        self.artifacts = artifacts
        self.progress = progress
        self._bench = _Once()
        self._window = _Once()
        self._candidate = _Once()
        self.notes: list[str] = []

    # --- shared pieces -----------------------------------------------------

    @property
    def name(self) -> str:
        return self.cfg.service.name

    @property
    def needs_service(self) -> bool:
        """A service binary is built only when some runtime threshold needs it running."""
        t = self.cfg.thresholds
        return self.cfg.service.attach is None and any(getattr(t, g) is not None for g in RUNTIME_GATES)

    def go(self) -> GoToolchain:
        return find_go()

    def _say(self, message: str) -> None:
        self.progress(f"goperf {self.name}: {message}")

    def _build(self, side: Side, *, bench: bool) -> BuiltSide:
        self._say(f"building {side.label}" + (" (service + test binaries)" if bench and self.needs_service else ""))
        return build_side(
            self.go(), side, self.artifacts / _folder(side.label),
            service_name=self.name, build_flags=self.cfg.service.build_flags,
            bench_packages=self.cfg.bench.packages if bench else None,
            build_service=self.needs_service,
        )

    # --- benchmarks --------------------------------------------------------

    def bench(self) -> BenchOutcome:
        """Builds, interleaved rounds, comparison and verdicts (once)."""
        result: BenchOutcome = self._bench.get(self._run_bench)
        return result

    def _run_bench(self) -> BenchOutcome:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        plan = plan_sides(self.cfg)
        notes: list[str] = []
        with ExitStack() as stack:
            old_built: BuiltSide | None = None
            old_cached: Path | None = None
            if plan.git_ref is not None:
                old_built, old_cached, note = self._git_side(plan, stack)
                notes.extend(note)
            elif plan.old is not None:
                old_built = self._build(plan.old, bench=True)
            new_built = self._build(plan.new, bench=True)
            self._candidate.get(lambda: new_built)
            outputs = run_interleaved(old_built, new_built, self.cfg.bench, self.artifacts, self._say)
            old_txt = self.artifacts / "old.txt"
            if plan.old_file is not None:
                shutil.copyfile(plan.old_file, old_txt)
                notes.append(f"baseline is the file {plan.old_file} (not interleaved with this run)")
            elif old_cached is not None:
                shutil.copyfile(old_cached, old_txt)
            elif plan.git_ref is not None and outputs.old is not None:
                cache = self._git_cache_path(plan)
                if cache is not None:
                    cache.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(outputs.old, cache)
        from pytest_goperf.bench.compare import compare_files
        from pytest_goperf.gates.bench import judge_rows

        th = self.cfg.thresholds.bench
        alpha = th.alpha if th is not None else 0.05
        comparison = compare_files(old_txt, outputs.new, alpha=alpha)
        verdicts: dict[tuple[str, str], Verdict] = {}
        if th is not None:
            verdicts = judge_rows(comparison, max_regression=th.max_regression, alpha=th.alpha,
                                  min_improvement=th.min_improvement, units=th.units,
                                  old_label=str(old_txt), new_label=str(outputs.new))
        self.notes.extend(notes)
        return BenchOutcome(outputs=outputs, old=old_built, new=new_built, comparison=comparison,
                            verdicts=verdicts, notes=tuple(notes))

    def _git_cache_path(self, plan: Plan) -> Path | None:
        sha = getattr(self, "_git_sha", None)
        if sha is None:
            return None
        key = cache_key(sha, self.go(), self.cfg, self.cfg.bench)
        return self.artifacts.parent / ".cache" / f"baseline-{sha[:12]}-{key}.txt"

    def _git_side(self, plan: Plan, stack: ExitStack) -> tuple[BuiltSide | None, Path | None, list[str]]:
        assert plan.git_ref is not None
        inner, sha = stack.enter_context(git_worktree(self.cfg.service.module, plan.git_ref, self.artifacts / "worktrees"))
        self._git_sha = sha
        cache = self._git_cache_path(plan)
        if cache is not None and cache.is_file():
            note = (f"reusing cached baseline for git:{plan.git_ref} ({sha[:12]}) from {cache}; "
                    "it was not interleaved with this run's rounds; delete the file to re-measure")
            self._say(note)
            return None, cache, [note]
        side = Side(label=f"git-{plan.git_ref}", module=inner, main=self.cfg.service.main, pgo="auto")
        return self._build(side, bench=True), None, [f"baseline git:{plan.git_ref} is commit {sha[:12]}"]

    # --- the service under load -------------------------------------------

    def candidate(self) -> BuiltSide:
        """The candidate side's build (reused from the bench run when there is one)."""
        def build() -> BuiltSide:
            plan = plan_sides(self.cfg)
            return self._build(plan.new, bench=False)
        result: BuiltSide = self._candidate.get(build)
        return result


    def runtime_verdict(self, gate: str) -> Verdict:
        """The verdict of one runtime gate (cpu, heap, goroutines, scheduler, gc, latency)."""
        raise GoperfError(f"{self.name}: the '{gate}' gate is not implemented yet")

    def service_log_tail(self) -> str | None:
        """The last lines of the started service's log, for failing tests."""
        log = self.artifacts / "service.log"
        if not log.is_file():
            return None
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])


def _folder(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
