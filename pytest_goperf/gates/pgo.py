"""The pgo gate: the committed ``default.pgo`` must be able to make the build faster.

A build-time gate (``gates.spec.BuildGate``): it reads the profile, the
sources and one scratch build, never a running service.  It fails on any
finding of ``pgo.diagnose``: a misplaced, missing or non-CPU profile, a
profile of another program (always), and, by their limits, too few samples,
too much weight in the Go runtime, a stale profile, toolchain drift and a
profile that changes no compiler decision.  Without ``thresholds.pgo`` the
same findings are warnings in the summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_goperf.gates.spec import BuildEvidence, BuildGate, limit
from pytest_goperf.gates.verdict import Verdict

if TYPE_CHECKING:
    from pytest_goperf.pgo.diagnose import Finding, PgoEvidence


@dataclass(frozen=True)
class PgoThreshold:
    max_stale_share: float = limit("share", 0.10, "share of the profile's samples in or under functions the binary no longer has")
    min_samples: int = limit("integer", 1000, "CPU samples the profile must hold (1,000 = 10 CPU-seconds at 100 Hz)")
    max_runtime_share: float = limit("share", 0.50, "weight on stacks entirely inside the Go runtime (scheduler, idle, GC)")
    require_same_toolchain: bool = limit("boolean", True,
                                         "fail when the profiled binary's Go release differs from the building one")
    require_decisions: bool = limit("boolean", True, "fail when the profile makes the compiler inline or devirtualize nothing")

    def problems(self) -> list[tuple[str, str]]:
        out = []
        for key in ("max_stale_share", "max_runtime_share"):
            if not 0 <= getattr(self, key) <= 1:
                out.append((key, f"must be a share between 0% and 100%, got {getattr(self, key)}"))
        return out

    def limits(self) -> dict[str, float | int | bool]:
        return {"max_stale_share": self.max_stale_share, "min_samples": self.min_samples,
                "max_runtime_share": self.max_runtime_share, "require_same_toolchain": self.require_same_toolchain,
                "require_decisions": self.require_decisions}


DEFAULTS = PgoThreshold()


def pgo_findings(evidence: PgoEvidence, threshold: PgoThreshold = DEFAULTS) -> list[Finding]:
    """The diagnostics under ``threshold`` (the defaults make the summary's warnings)."""
    from pytest_goperf.pgo.diagnose import findings

    return findings(evidence, max_stale_share=threshold.max_stale_share, min_samples=threshold.min_samples,
                    max_runtime_share=threshold.max_runtime_share,
                    require_same_toolchain=threshold.require_same_toolchain,
                    require_decisions=threshold.require_decisions)


def judge_pgo(evidence: PgoEvidence, threshold: PgoThreshold = DEFAULTS) -> Verdict:
    """Fail on every finding that breaks its limit; the others become the verdict's warnings."""
    from pytest_goperf.pgo.diagnose import describe, figures

    found = pgo_findings(evidence, threshold)
    figs = figures(evidence)
    failing = [f for f in found if f.failing]
    notes = tuple(f"pgo: {f.message}" for f in found if not f.failing)
    if failing:
        lines = "\n".join(f"- {f.message}" + (f" [thresholds.pgo.{f.key}]" if f.key else "") for f in failing)
        return Verdict.fail(f"pgo: {len(failing)} problem{'s' if len(failing) > 1 else ''} with "
                            f"{evidence.profile_path}:\n{lines}", figs, notes)
    return Verdict.ok(f"pgo: {describe(evidence)}", figs, notes)


def _judge(evidence: BuildEvidence, threshold: PgoThreshold) -> Verdict:
    return judge_pgo(evidence.pgo(), threshold)


GATE = BuildGate(key="pgo", threshold=PgoThreshold, judge=_judge,
                 summary="default.pgo is a fresh, representative CPU profile of this program that changes compiler decisions")
