"""The cpu gate: no single function may take more than a share of CPU time.

The share is the hottest function's flat share in a CPU profile (what
``go tool pprof -top`` lists first), skipping functions matched by an
``ignore`` pattern such as ``runtime.*`` (``gates.patterns``: ``*`` is the
only wildcard, ``re:`` for a regexp).  Two guards keep it from judging noise:

- Samples taken while the service served the plugin's own captures (stacks
  through ``net/http/pprof``, ``runtime/pprof``, ``runtime/trace``: gzip of a
  heap profile, the profile writer) are left out of the shares and reported
  apart.  They are the plugin's cost, not the service's.
- Below ``min_samples`` the share is too uncertain to judge and the test fails
  with "too few CPU samples".  The default, 385, is the sample count at which
  a share's 95 % binomial error is at most ±5 points whatever the share
  (1.96² · 0.5 · 0.5 / 0.05² = 384.2).  At pprof's 100 Hz that is 3.85 s of
  CPU in the window.

A failure shows the top 10 so the reader sees the neighbourhood, and names
the file to open in pprof's UI.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_goperf.gates.patterns import (
    FunctionPattern,
    compile_patterns,
    glob_reading_changed,
    matches_any,
    pattern_problems,
)
from pytest_goperf.gates.spec import Evidence, RuntimeGate, limit
from pytest_goperf.gates.verdict import Verdict, enforce
from pytest_goperf.quantities import parse_share

if TYPE_CHECKING:
    from pytest_goperf.pprof import Profile, Top

# 95 % two-sided normal quantile; the share error is largest at p = 0.5.
_Z95 = 1.959964
_HALF_WIDTH = 0.05
DEFAULT_MIN_SAMPLES = math.ceil(_Z95 ** 2 * 0.25 / _HALF_WIDTH ** 2)

# Frames of the service's own pprof/trace handlers: a sample through one of these is the plugin's capture.
CAPTURE_PREFIXES = ("net/http/pprof.", "runtime/pprof.", "runtime/trace.")


@dataclass(frozen=True)
class CpuThreshold:
    max_function_share: float = limit("share", 0.30, "the hottest non-ignored function's flat share may not exceed this")
    ignore: tuple[str, ...] = limit("strings", (), "function patterns left out of the ranking: runtime.*, re:^main\\.")
    min_samples: int = limit("integer", DEFAULT_MIN_SAMPLES,
                             "fewer CPU samples (pprof's own left out) fail the test: the share is too uncertain")

    def problems(self) -> list[tuple[str, str]]:
        out = [("ignore", p) for p in pattern_problems(self.ignore)]
        if self.min_samples < 1:
            out.append(("min_samples", f"must be at least 1, got {self.min_samples}"))
        return out


def _table(t: Top, ignore: Sequence[FunctionPattern], rows: int = 10) -> str:
    lines = [f"  {'flat%':>7} {'cum%':>7}  function"]
    for r in t.head(rows):
        mark = "  (ignored)" if matches_any(r.function, ignore) else ""
        lines.append(f"  {r.flat_pct:6.2f}% {r.cum_pct:6.2f}%  {r.function}{mark}")
    return "\n".join(lines)


def split_capture_samples(profile: Profile) -> tuple[Profile, int]:
    """The profile without samples in the plugin's captures, and how many samples were dropped."""
    kept = []
    dropped = 0
    for s in profile.samples:
        names = (ln.function.name for loc in profile.stack(s) for ln in loc.lines)
        if any(n.startswith(CAPTURE_PREFIXES) for n in names):
            dropped += 1
        else:
            kept.append(s)
    return dataclasses.replace(profile, samples=tuple(kept)), dropped


def sample_count(profile: Profile) -> int:
    """Number of CPU samples (the ``samples/count`` value; one per sample record otherwise)."""
    names = [t.type for t in profile.sample_types]
    if "samples" in names:
        i = names.index("samples")
        return sum(abs(s.values[i]) for s in profile.samples)
    return len(profile.samples)


def judge_cpu(
    profile: Profile,
    *,
    max_function_share: float,
    ignore: Sequence[str] = (),
    min_samples: int = DEFAULT_MIN_SAMPLES,
    profile_path: str | os.PathLike[str] | None = None,
) -> Verdict:
    """Fail when the hottest non-ignored function's flat share exceeds ``max_function_share`` (a fraction)."""
    from pytest_goperf.pprof import top

    patterns = compile_patterns(ignore)
    own, _captured = split_capture_samples(profile)
    n = sample_count(own)
    captured_n = sample_count(profile) - n
    t = top(own)
    where = f"go tool pprof -http=: {os.fspath(profile_path)}" if profile_path is not None else "go tool pprof -http=: <profile>"
    apart = (f"; {captured_n} samples in the plugin's own captures (net/http/pprof, runtime/pprof, runtime/trace) "
             "left out" if captured_n else "")
    warnings = [f"ignore pattern {p.text!r} matched no function; '?', '[' and '(' are literal now, "
                "'*' is the only wildcard (use 're:' for a regexp)"
                for p in patterns if glob_reading_changed(p.text) and not any(p.matches(r.function) for r in t.rows)]
    figures: dict[str, float | int | str | None] = {
        "samples": n, "capture_samples": captured_n, "min_samples": min_samples, "total": t.total,
        "max_function_share": max_function_share,
        "profile": os.fspath(profile_path) if profile_path is not None else None,
    }
    if t.total == 0 or n == 0:
        return Verdict.fail(f"too few CPU samples: 0 of the service's own in the profile, need {min_samples}{apart}: "
                            "raise the load or the window (was the service idle?)", figures, tuple(warnings))
    if n < min_samples:
        return Verdict.fail(
            f"too few CPU samples: {n} of the service's own, need {min_samples} for a share within "
            f"±{_Z95 * math.sqrt(0.25 / min_samples) * 100:.1f} points (95 %){apart}: "
            "raise the load or the window (load.rate, load.duration), or lower "
            f"thresholds.cpu.min_samples", figures, tuple(warnings))
    hottest = next((r for r in t.rows if not matches_any(r.function, patterns)), None)
    limit_text = f"{max_function_share * 100:.2f}%"
    if hottest is None:
        return Verdict.skip(f"every function in the profile is ignored by {list(ignore)}; nothing to judge",
                            figures, tuple(warnings))
    share = hottest.flat / t.total
    figures.update(hottest_function=hottest.function, hottest_flat_share=share, sample_type=t.sample_type)
    if share > max_function_share:
        msg = (
            f"cpu: {hottest.function} takes {share * 100:.2f}% of CPU time (flat), above the limit of {limit_text}"
            + (f" (ignoring {', '.join(ignore)})" if ignore else "")
            + f"\ntop 10 of {t.sample_type} ({n} samples, {t.total} {t.unit} total{apart}):\n{_table(t, patterns)}\n"
            f"open the profile: {where}"
        )
        return Verdict.fail(msg, figures, tuple(warnings))
    return Verdict.ok(
        f"cpu: hottest function {hottest.function} takes {share * 100:.2f}% (flat), within {limit_text} "
        f"({n} samples{apart})", figures, tuple(warnings))


def assert_top_function_below(
    profile: Profile | str | os.PathLike[str],
    share: str | float,
    *,
    ignore: Sequence[str] = (),
    min_samples: int = DEFAULT_MIN_SAMPLES,
    profile_path: str | os.PathLike[str] | None = None,
) -> Verdict:
    """Raise ``GateFailed`` unless the hottest non-ignored function is below ``share`` (e.g. ``"30%"``).

    ``profile`` is a ``Profile`` (``capture.cpu``) or a profile file's path::

        assert_top_function_below(capture.cpu, "30%", ignore=["runtime.*"])

    Same check and message as ``thresholds.cpu``; returns the passed ``Verdict``.
    """
    from pytest_goperf.pprof import Profile, read_profile

    if not isinstance(profile, Profile):
        profile_path = profile_path if profile_path is not None else profile
        profile = read_profile(profile)
    if profile_path is None:   # a profile read from a file (a capture's .cpu) names that file
        profile_path = profile.source
    limit_value = parse_share(share)
    return enforce(judge_cpu(profile, max_function_share=limit_value, ignore=ignore, min_samples=min_samples,
                             profile_path=profile_path))


def _judge_window(evidence: Evidence, threshold: CpuThreshold) -> Verdict:
    profile, path = evidence.cpu_profile()
    return judge_cpu(profile, max_function_share=threshold.max_function_share, ignore=threshold.ignore,
                     min_samples=threshold.min_samples, profile_path=path)


GATE = RuntimeGate(key="cpu", threshold=CpuThreshold, needs=frozenset({"cpu"}), judge=_judge_window,
                   summary="no single function takes more than a share of CPU time (flat, CPU profile of the window)")
