"""Why a PGO build would gain nothing: the diagnostics, as findings.

Each finding names what is wrong, the figure behind it and what to do.  A
finding carries the ``thresholds.pgo`` key that makes it fail the ``pgo``
gate; ``None`` marks the structural ones (misplaced, missing, not a CPU
profile, another program), which fail the gate whenever it is configured.
Without the gate the same findings, judged with the default limits, are
warnings in the summary (docs/pgo.md).

Pure: evidence (``PgoEvidence``, gathered by ``run/pgo_evidence.py``) and
limits in, findings out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_goperf.pgo.decisions import Decisions
from pytest_goperf.pgo.facts import ProfileFacts
from pytest_goperf.pgo.metadata import release
from pytest_goperf.pgo.program import Identity
from pytest_goperf.pgo.symbols import Staleness

REFRESH = ("refresh it from representative load: pytest --goperf --goperf-update-pgo, "
           "or goperf pgo refresh --from URL")


@dataclass(frozen=True)
class PgoEvidence:
    """What was found about the profile the build uses (``None``: could not be measured, see ``problem``)."""

    main_dir: Path
    profile_path: Path                 # the file judged (default.pgo in main_dir, or a fresh capture)
    go_version: str                    # the toolchain building now
    strays: tuple[Path, ...] = ()
    facts: ProfileFacts | None = None
    problem: str | None = None         # no profile, or why it is not a usable CPU profile
    identity: Identity | None = None
    staleness: Staleness | None = None
    decisions: Decisions | None = None
    import_path: str = ""              # the main package's import path
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Finding:
    kind: str            # misplaced | missing | not-cpu | another-program | unrepresentative | stale | toolchain | no-decisions
    message: str
    key: str | None      # the thresholds.pgo key that decides it; None: fails whenever the gate is configured
    failing: bool = True  # False: reported, but the limit (a boolean switched off) does not make it fail


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def findings(ev: PgoEvidence, *, max_stale_share: float, min_samples: int, max_runtime_share: float,
             require_same_toolchain: bool, require_decisions: bool) -> list[Finding]:
    """The diagnostics for ``ev`` under these limits, in the order a reader should fix them."""
    from pytest_goperf.pgo.placement import misplaced_message

    out: list[Finding] = []
    moved = misplaced_message(list(ev.strays), ev.main_dir)
    if moved is not None:
        out.append(Finding("misplaced", moved, None))
    if ev.problem is not None:
        kind = "missing" if not ev.profile_path.exists() else "not-cpu"
        if kind == "not-cpu" or moved is None:
            out.append(Finding(kind, ev.problem, None))
        return out
    facts = ev.facts
    if facts is None:
        return out
    ident = ev.identity
    if ident is not None and ident.another_program:
        share = ident.known_share or 0.0
        binary = f" (it profiled {facts.main_binary})" if facts.main_binary else ""
        out.append(Finding("another-program",
                           f"another program: only {_pct(share)} of the profile's own-code weight is in code this "
                           f"program has{binary}; its hottest unknown functions: {', '.join(ident.unknown_examples)}. "
                           f"Profile this service, not another one: {REFRESH}", None))
    idle = ""
    if facts.near_idle and facts.busy_cores is not None:
        idle = (f"; the service was near idle while profiled ({facts.busy_cores * 100:.1f}% of one core over "
                f"{facts.duration_seconds:.0f}s)")
    if facts.samples < min_samples:
        out.append(Finding("unrepresentative",
                           f"unrepresentative: {facts.samples} CPU samples, fewer than min_samples {min_samples}"
                           f"{idle}: too few to tell hot call sites from noise; profile longer or under more load "
                           "(load.duration, pgo.windows, goperf pgo refresh --seconds/--times)", "min_samples"))
    if facts.runtime_share > max_runtime_share:
        where = ", ".join(f"{n} {_pct(s)}" for n, s in facts.runtime_top[:3])
        out.append(Finding("unrepresentative",
                           f"unrepresentative: {_pct(facts.runtime_share)} of the profile's weight is in the Go "
                           f"runtime alone (scheduler, idle, background GC: {where}), above max_runtime_share "
                           f"{_pct(max_runtime_share)}{idle}; the service did little of its own work while profiled, "
                           "so PGO has little to optimise: profile it under representative load", "max_runtime_share"))
    stale = ev.staleness
    if stale is not None and stale.share > max_stale_share:
        gone = ", ".join(f"{n} ({_pct(s)})" for n, s in stale.missing[:3])
        hint = ""
        if ev.import_path and any(n.startswith(ev.import_path + ".") for n, _ in stale.missing):
            hint = (f" The profile names the main package '{ev.import_path}', as a test binary does: profile the "
                    "running service (main.*), not go test -cpuprofile.")
        out.append(Finding("stale",
                           f"stale: {_pct(stale.share)} of the profile's CPU time ran in or under functions the "
                           f"current binary no longer has ({gone}), above max_stale_share {_pct(max_stale_share)}; "
                           f"the code changed since the profile was taken: {REFRESH}.{hint}", "max_stale_share"))
    recorded = facts.metadata.go
    if recorded is not None and release(recorded) != release(ev.go_version):
        out.append(Finding("toolchain",
                           f"toolchain drift: the profile was taken from a binary built by {recorded}, but "
                           f"{ev.go_version} builds now; function names and line offsets of the standard library "
                           f"differ between releases: {REFRESH}", "require_same_toolchain",
                           failing=require_same_toolchain))
    dec = ev.decisions
    if dec is not None and dec.total == 0:
        out.append(Finding("no-decisions",
                           f"no effect: with this profile the compiler inlines no hot call site and devirtualizes "
                           f"no call in {ev.import_path or 'the main module'} (its output: {dec.log}); the profile's "
                           "hot paths are not in this code, or it is too flat to have hot call sites",
                           "require_decisions", failing=require_decisions))
    return out


def figures(ev: PgoEvidence) -> dict[str, Any]:
    """The numbers behind the findings (JUnit properties, the summary)."""
    out: dict[str, Any] = {"profile": str(ev.profile_path), "go": ev.go_version}
    facts = ev.facts
    if facts is not None:
        out.update(samples=facts.samples, runtime_share=round(facts.runtime_share, 4),
                   busy_cores=round(facts.busy_cores, 3) if facts.busy_cores is not None else None,
                   profile_go=facts.metadata.go_label, profile_bytes=facts.size)
    if ev.identity is not None and ev.identity.known_share is not None:
        out["own_code_known_share"] = round(ev.identity.known_share, 4)
    if ev.staleness is not None:
        out["stale_share"] = round(ev.staleness.share, 4)
    if ev.decisions is not None:
        out.update(hot_inlined=len(ev.decisions.inlined), devirtualized=len(ev.decisions.devirtualized))
    return out


def describe(ev: PgoEvidence) -> str:
    """One line: what the profile is and what it does, for the summary and a passing gate."""
    facts = ev.facts
    if facts is None:
        return f"PGO profile {ev.profile_path}: {ev.problem or 'not inspected'}"
    parts = [f"{facts.samples} samples", f"runtime {_pct(facts.runtime_share)}"]
    if ev.staleness is not None:
        parts.append(f"stale {_pct(ev.staleness.share)}")
    parts.append(f"profiled binary's Go: {facts.metadata.go_label}")
    effect = f"; {ev.decisions.summary()}" if ev.decisions is not None else ""
    return f"PGO profile {ev.profile_path} ({', '.join(parts)}){effect}"
