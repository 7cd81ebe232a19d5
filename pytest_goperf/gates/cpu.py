"""The cpu gate: no single function may take more than a share of CPU time.

The share is the hottest function's flat share in a CPU profile (what
``go tool pprof -top`` lists first), skipping functions matched by an
``ignore`` glob such as ``runtime.*``.  A failure shows the top 10 so the
reader sees the neighbourhood, and names the file to open in pprof's UI.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_goperf.gates.spec import Evidence, RuntimeGate, limit
from pytest_goperf.gates.verdict import Verdict, enforce
from pytest_goperf.quantities import parse_share

if TYPE_CHECKING:
    from pytest_goperf.pprof import Profile, Top


@dataclass(frozen=True)
class CpuThreshold:
    max_function_share: float = limit("share", 0.30, "the hottest non-ignored function's flat share may not exceed this")
    ignore: tuple[str, ...] = limit("strings", (), "function-name globs left out of the ranking, e.g. runtime.*")


def _ignored(function: str, ignore: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(function, pattern) for pattern in ignore)


def _table(t: Top, ignore: Sequence[str], rows: int = 10) -> str:
    lines = [f"  {'flat%':>7} {'cum%':>7}  function"]
    for r in t.head(rows):
        mark = "  (ignored)" if _ignored(r.function, ignore) else ""
        lines.append(f"  {r.flat_pct:6.2f}% {r.cum_pct:6.2f}%  {r.function}{mark}")
    return "\n".join(lines)


def judge_cpu(
    profile: Profile,
    *,
    max_function_share: float,
    ignore: Sequence[str] = (),
    profile_path: str | os.PathLike[str] | None = None,
) -> Verdict:
    """Fail when the hottest non-ignored function's flat share exceeds ``max_function_share`` (a fraction)."""
    from pytest_goperf.pprof import top

    t = top(profile)
    where = f"go tool pprof -http=: {os.fspath(profile_path)}" if profile_path is not None else "go tool pprof -http=: <profile>"
    if t.total == 0:
        return Verdict.skip("the CPU profile holds no samples (was the service idle?)", {"total": 0})
    hottest = next((r for r in t.rows if not _ignored(r.function, ignore)), None)
    limit = f"{max_function_share * 100:.2f}%"
    if hottest is None:
        return Verdict.skip(f"every function in the profile is ignored by {list(ignore)}; nothing to judge",
                            {"total": t.total, "max_function_share": max_function_share})
    share = hottest.flat / t.total
    figures: dict[str, float | int | str | None] = {
        "hottest_function": hottest.function, "hottest_flat_share": share,
        "max_function_share": max_function_share, "total": t.total, "sample_type": t.sample_type,
        "profile": os.fspath(profile_path) if profile_path is not None else None,
    }
    if share > max_function_share:
        msg = (
            f"cpu: {hottest.function} takes {share * 100:.2f}% of CPU time (flat), above the limit of {limit}"
            + (f" (ignoring {', '.join(ignore)})" if ignore else "")
            + f"\ntop 10 of {t.sample_type} ({t.total} {t.unit} total):\n{_table(t, ignore)}\n"
            f"open the profile: {where}"
        )
        return Verdict.fail(msg, figures)
    return Verdict.ok(
        f"cpu: hottest function {hottest.function} takes {share * 100:.2f}% (flat), within {limit}",
        figures,
    )


def assert_top_function_below(
    profile: Profile | str | os.PathLike[str],
    share: str | float,
    *,
    ignore: Sequence[str] = (),
    profile_path: str | os.PathLike[str] | None = None,
) -> Verdict:
    """Raise ``GateFailed`` unless the hottest non-ignored function is below ``share`` (e.g. ``"30%"``)."""
    from pytest_goperf.pprof import Profile, read_profile

    if not isinstance(profile, Profile):
        profile_path = profile_path if profile_path is not None else profile
        profile = read_profile(profile)
    limit = parse_share(share)
    return enforce(judge_cpu(profile, max_function_share=limit, ignore=ignore, profile_path=profile_path))


def _judge_window(evidence: Evidence, threshold: CpuThreshold) -> Verdict:
    profile, path = evidence.cpu_profile()
    return judge_cpu(profile, max_function_share=threshold.max_function_share, ignore=threshold.ignore,
                     profile_path=path)


GATE = RuntimeGate(key="cpu", threshold=CpuThreshold, needs=frozenset({"cpu"}), judge=_judge_window,
                   summary="no single function takes more than a share of CPU time (flat, CPU profile of the window)")
