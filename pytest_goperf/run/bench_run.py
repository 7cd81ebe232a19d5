"""The benchmark half of a gate run: build the sides, run the interleaved rounds, judge the rows.

Why apart from ``GateRun``: the window half (service, load, captures) and the
bench half share only the builds and the run's notes and timings.  Each
function takes the ``GateRun`` whose state it reads and extends, as
``run/pgo_run.py`` does; ``GateRun.bench`` calls ``run_bench`` once.
"""

from __future__ import annotations

import dataclasses
import math
import re
import shutil
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_goperf.bench.compare import Comparison
from pytest_goperf.errors import BuildError, ConfigError
from pytest_goperf.gates import Verdict
from pytest_goperf.go.build import BuiltSide, Side, list_test_packages
from pytest_goperf.go.gomod import workspace_file
from pytest_goperf.run.baseline import cache_key, copy_inputs, git_worktree, plan_sides, tree_matches
from pytest_goperf.run.rounds import Adaptive, BenchOutputs, run_interleaved

if TYPE_CHECKING:
    from pytest_goperf.run.gate_run import GateRun


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


def run_bench(run: GateRun) -> BenchOutcome:
    """Builds, interleaved rounds, comparison and verdicts: what ``GateRun.bench`` computes once."""
    run.make_artifacts()
    from pytest_goperf.go.bench_pattern import bench_pattern_error

    go = run.go()
    with run.timings.phase("bench pattern check"):
        problem = bench_pattern_error(go, run.cfg.bench.bench, run.artifacts.parent / ".cache")
    if problem is not None:
        raise ConfigError(f"{run.cfg.where('bench.bench')}: Go refuses this -bench pattern: {problem}; "
                          "go test splits it on '/' and '|' and reads each element as an RE2 regexp")
    plan = plan_sides(run.cfg)
    notes: list[str] = []
    with ExitStack() as stack:
        old_built: BuiltSide | None = None
        old_cached: Path | None = None
        git_cache: Path | None = None
        base: _GitBase | None = None
        if plan.git_ref is not None:
            old_built, old_cached, git_cache, note, base = _git_side(run, plan.git_ref, stack)
            notes.extend(note)
        if plan.old is not None:
            old_built, new_built = run.build_pair(plan.old, plan.new)
        else:
            new_built = run.build(plan.new, bench=True)
        run.adopt_candidate(new_built)
        same: set[str] = set()
        if base is not None and old_built is not None:
            from pytest_goperf.run.untouched import identical_binaries, identical_note

            same = identical_binaries({t.package: t.binary for t in old_built.test_binaries},
                                      {t.package: t.binary for t in new_built.test_binaries})
            said = identical_note(same, len(new_built.test_binaries))
            if said is not None:
                run.say(said)
                notes.append(said)
        adaptive = None
        if run.cfg.bench.adaptive and run.cfg.thresholds.bench is not None:
            old_src = plan.old_file or old_cached or run.artifacts / "old.txt"
            adaptive = Adaptive(lambda: _worst_mde(run, old_src, run.artifacts / "new.txt"),
                                run.cfg.where("bench.budget"))
        with run.timings.phase("rounds") as rounds:
            outputs = run_interleaved(old_built, new_built, run.cfg.bench, run.artifacts, run.say, adaptive)
            rounds.measuring = outputs.binaries_s
        if outputs.stopped is not None:
            notes.append(outputs.stopped)
        old_txt = run.artifacts / "old.txt"
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

    with run.timings.phase("bench analysis"):
        th = run.cfg.thresholds.bench
        alpha = th.alpha if th is not None else 0.05
        old_label = run.cfg.bench.baseline if plan.old is None else plan.old.label
        # Columns read "pgo-off" / "pgo" (or the git ref) instead of two long paths.
        old_file, new_file = read_file(old_txt), read_file(outputs.new)
        old_file.name, new_file.name = old_label, plan.new.label
        _explain_baseline(old_file, [t.package for t in new_built.test_binaries], base, plan.old_file)
        comparison = compare(old_file, new_file, alpha=alpha, split="pkg",
                             pair_procs=run.cfg.bench.gomaxprocs_mismatch == "pair")
        if th is None:
            run.notes.extend(notes)
            return BenchOutcome(outputs=outputs, old=old_built, new=new_built, comparison=comparison,
                                verdicts={}, notes=tuple(notes))
        judgement = judge(comparison, max_regression=th.max_regression, alpha=th.alpha,
                          min_improvement=th.min_improvement, units=th.units,
                          old_label=str(old_txt), new_label=str(outputs.new), test=th.test,
                          require_power=th.require_power)
        run.notes.extend(notes)
        verdicts = judgement.verdicts
        if base is not None:
            from pytest_goperf.run.untouched import explain_untouched

            verdicts = explain_untouched(verdicts, {t.package: t.directory for t in new_built.test_binaries},
                                         base.ref, base.sha, run.cfg.bench.layouts, same)
        unjudged = judgement.unjudged(run.name)
        if unjudged is not None and not judgement.verdicts:  # no row at all: failed benchmarks say why
            unjudged = _failed_benchmarks(run.name, ((old_label, old_txt, old_file),
                                                      (plan.new.label, outputs.new, new_file))) or unjudged
        return BenchOutcome(outputs=outputs, old=old_built, new=new_built, comparison=comparison,
                            verdicts=verdicts, notes=tuple(notes),
                            ids=row_ids(verdicts, _module_path(run.cfg.service.module)),
                            alerts=(*judgement.alerts, *([outputs.stopped] if outputs.limit_hit and outputs.stopped
                                                         else [])),
                            unjudged=unjudged)

def _worst_mde(run: GateRun, old: Path, new: Path) -> tuple[float, float]:
    """count: auto's stopping rule: the worst MDE over the family's rows and max_regression, in percent.

    Only dispersion enters (MDEs come from median-centred noise; the family from pooled samples),
    never the observed difference.  Rows that more rounds could bring into the family count as unbounded.
    """
    from pytest_goperf.bench.compare import compare
    from pytest_goperf.bench.format import read_file
    from pytest_goperf.gates.bench import judge

    th = run.cfg.thresholds.bench
    assert th is not None
    comparison = compare(read_file(old), read_file(new), alpha=th.alpha, split="pkg",
                         pair_procs=run.cfg.bench.gomaxprocs_mismatch == "pair")
    j = judge(comparison, max_regression=th.max_regression, alpha=th.alpha, units=th.units, test=th.test)
    worst = 0.0
    for v in j.verdicts.values():
        if v.figures.get("skip_reason") in ("family", "too_few"):
            worst = math.inf
        elif v.figures.get("rows_in_family") is not None and isinstance(v.figures.get("mde_pct"), float):
            worst = max(worst, float(v.figures["mde_pct"] or 0.0))
    return worst, th.max_regression * 100

def _explain_baseline(old_file: Any, new_packages: list[str], base: _GitBase | None,
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

def _git_side(run: GateRun, ref: str, stack: ExitStack) -> tuple[BuiltSide | None, Path | None, Path, list[str], _GitBase]:
    """Build the baseline from a temporary worktree of ``ref``, or reuse its cached bench output.

    Only the benchmarked packages that exist at ``ref`` are built there (a
    package the change adds is "new in the candidate"), and
    ``bench.worktree_copy`` inputs are copied in first.  Returns (built
    side or None, cached old.txt or None, where to cache, notes, the base).
    """
    with run.timings.phase(f"worktree git:{ref}"):
        inner, sha, gowork = stack.enter_context(
            git_worktree(run.cfg.service.module, ref, run.artifacts, run.cfg.service.gowork))
    notes: list[str] = []
    if tree_matches(run.cfg.service.module, sha, run.artifacts.parent):
        note = (f"the working tree has no changes against git:{ref} ({sha[:12]}): "
                "this run compares a commit with itself (an A/A check of the machine's noise)")
        run.say(note)
        notes.append(note)
    key = cache_key(sha, run.go(), run.cfg, run.cfg.bench)
    cache = run.artifacts.parent / ".cache" / f"baseline-{sha[:12]}-{key}.txt"
    if cache.is_file() and run.cfg.bench.reuse_baseline:  # opt-in: old measurements carry no drift protection
        note = (f"WARNING: bench.reuse_baseline: true: reusing the measurements cached for git:{ref} "
                f"({sha[:12]}) in {cache}; they were not interleaved with this run's rounds, so machine drift "
                "since then reads as a change; remove reuse_baseline to measure both sides side by side")
        run.say(note)
        return None, cache, cache, [*notes, note], _GitBase(ref, sha, None)
    copied = copy_inputs(run.cfg.service.module, inner, run.cfg.bench.worktree_copy)
    if copied:
        notes.append(f"copied into the git:{ref} worktree (bench.worktree_copy): {', '.join(copied)}")
    flags = ["-e", *run.cfg.service.build_flags]
    packages = [p for p, _ in list_test_packages(run.go(), inner, run.cfg.bench.packages, flags, gowork)]
    side = Side(label=f"git-{ref}", module=inner, main=run.cfg.service.main, pgo="auto", gowork=gowork, trimpath=True)
    try:
        built = run.build(side, bench=True, packages=packages)
    except BuildError as exc:
        if gowork == "off" and workspace_file(run.cfg.service.module, None) is not None:
            raise BuildError(f"{exc}\n(the git:{ref} baseline is built with GOWORK=off; if the module needs "
                             f"its workspace, set service.gowork: auto in {run.cfg.path})") from None
        raise
    return (built, None, cache, [*notes, f"baseline git:{ref} is commit {sha[:12]}"],
            _GitBase(ref, sha, frozenset(packages)))


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


def _module_path(module: Path) -> str | None:
    """The module path from go.mod's ``module`` line (for test ids relative to it)."""
    try:
        text = (module / "go.mod").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = re.search(r'^\s*module\s+"?([^"\s]+)"?', text, flags=re.MULTILINE)
    return found.group(1) if found else None
