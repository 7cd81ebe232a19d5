"""PGO inside one gate run: diagnostics around the builds, the gain in the summary.

``GateRun`` calls in here so its own edits stay small:

- ``before_side``: before the first build of a side that uses the working
  tree's profile, the profile is read and checked against the sources: a
  profile of another program is said *before* any build (a profile that is
  not a CPU profile at all stops the build in ``go/build.py``);
- ``after_side``: after that build, one scratch build tells what the profile
  changed; the summary gets the decision count, and, when ``thresholds.pgo``
  is not configured, every diagnostic as a warning (default limits);
- ``evidence``: the ``PgoEvidence`` the pgo gate judges (computed once);
- ``summary_lines``: the refresh report and the measured gain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_goperf.errors import GoperfError
from pytest_goperf.go.build import BuiltSide, Side
from pytest_goperf.pgo.diagnose import PgoEvidence
from pytest_goperf.run.pgo_evidence import Target, after_build, before_build

if TYPE_CHECKING:
    from pytest_goperf.run.gate_run import GateRun


def target(run: GateRun) -> Target:
    svc = run.cfg.service
    return Target(module=svc.module, main=svc.main, flags=svc.build_flags)


def _uses_worktree_profile(run: GateRun, side: Side) -> bool:
    return side.pgo != "off" and side.module.resolve() == run.cfg.service.module.resolve()


def _warn(run: GateRun, message: str) -> None:
    note = f"warning: {message}"
    if note not in run.notes:
        run.say(note)
        run.notes.append(note)


def before_side(run: GateRun, side: Side) -> None:
    """Read the profile before the build; say at once when it is another program's."""
    if run.pgo_pre is not None or not _uses_worktree_profile(run, side):
        return
    t = target(run)
    if not (t.main_dir / "default.pgo").is_file() and "pgo" not in run.cfg.thresholds.build:
        return
    try:
        with run.timings.phase("pgo diagnostics"):   # the profile read and the program listing count there
            run.pgo_pre = before_build(run.go().with_env(run.cfg.service.build_env), t)
    except GoperfError as exc:
        _warn(run, f"pgo: the profile could not be checked before the build: {exc}")
        return
    ident = run.pgo_pre.identity
    if ident is not None and ident.another_program:
        from pytest_goperf.gates.pgo import pgo_findings

        for f in pgo_findings(run.pgo_pre):
            if f.kind == "another-program":
                _warn(run, f"pgo: {f.message}")


def evidence(run: GateRun, built: BuiltSide | None = None) -> PgoEvidence:
    """Everything the pgo gate judges (before-build facts, then the scratch build).

    ``built``: the pgo side just built from the worktree's profile; its service binary is that build's,
    so the compiler's report needs no second link.
    """
    go = run.go().with_env(run.cfg.service.build_env)
    t = target(run)
    pre = run.pgo_pre if run.pgo_pre is not None else before_build(go, t)
    same = built is not None and built.profile is not None and built.profile.resolve() == pre.profile_path.resolve()
    return after_build(go, t, pre, run.artifacts / "pgo", run.artifacts.parent / ".cache",
                       built=built.service_binary if same and built is not None else None)


def after_side(run: GateRun, side: Side, built: BuiltSide) -> None:
    """The decision count in the summary, and the diagnostics as warnings when no pgo gate judges them."""
    from pytest_goperf.pgo.placement import stray_profiles

    if not _uses_worktree_profile(run, side):
        return
    gated = "pgo" in run.cfg.thresholds.build
    t = target(run)
    if built.profile is None and not gated:
        strays = stray_profiles(t.module, t.main_dir)
        if strays:
            from pytest_goperf.pgo.placement import misplaced_message

            _warn(run, f"pgo: {misplaced_message(strays, t.main_dir)}")
        return
    try:
        ev = run.pgo(built)
    except GoperfError as exc:
        _warn(run, f"pgo: the PGO diagnostics could not run: {exc}")
        return
    from pytest_goperf.pgo.diagnose import describe

    line = describe(ev)
    if line not in run.notes:
        run.say(line)
        run.notes.append(line)
    if not gated:
        from pytest_goperf.gates.pgo import pgo_findings

        for f in pgo_findings(ev):
            _warn(run, f"pgo: {f.message}")


def summary_lines(run: GateRun) -> list[str]:
    """For the terminal summary: the refresh report (if one ran) and the PGO gain (pgo-off vs pgo)."""
    out: list[str] = []
    refreshed = run.pgo_refresh_if_done()
    if refreshed is not None:
        out.extend(f"{run.name}: {line}" if i == 0 else line for i, line in enumerate(refreshed.lines()))
    outcome = run.bench_if_done()
    bench = run.cfg.bench
    if outcome is not None and bench.baseline == "pgo-off" and bench.candidate == "pgo":
        from pytest_goperf.pgo.gain import pgo_gain

        out.extend(f"{run.name}: {line}" if i == 0 else line
                   for i, line in enumerate(pgo_gain(outcome.comparison).lines()))
    return out
