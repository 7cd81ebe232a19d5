"""The cpu gate: no single function may take more than a share of CPU time.

The share is the hottest function's flat share in a CPU profile (what
``go tool pprof -top`` lists first), skipping functions matched by an
``ignore`` pattern such as ``runtime.*`` (``gates.patterns``: ``*`` is the
only wildcard, ``re:`` for a regexp).  Two guards keep it from judging noise:

- Samples taken while the service served the plugin's own captures (stacks
  through ``net/http/pprof``, ``runtime/pprof``, ``runtime/trace``: gzip of a
  heap profile, the profile writer) are left out of the shares and reported
  apart.  They are the plugin's cost, not the service's.
- The share is a binomial proportion of samples, so the verdict carries its
  95 % Wilson interval.  When the interval lies wholly on one side of the
  limit the verdict is decided, however few the samples (8 % of 341 samples
  is 5.7-11.3 %: clearly under 30 %).  When it straddles the limit, the share
  is decided by its value only from ``min_samples`` on (385 by default: the
  count at which any share is known within +-5 points,
  1.96^2 * 0.5 * 0.5 / 0.05^2 = 384.2); below that the test fails with "too
  few CPU samples" and the count that would decide it.

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
                             "samples (pprof's own left out) needed to judge a share whose 95 % interval "
                             "straddles the limit; fewer fail the test as too uncertain")

    def problems(self) -> list[tuple[str, str]]:
        out = [("ignore", p) for p in pattern_problems(self.ignore)]
        if self.min_samples < 1:
            out.append(("min_samples", f"must be at least 1, got {self.min_samples}"))
        return out


def wilson_interval(hits: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``hits / n`` (95 % by default)."""
    if n <= 0:
        return 0.0, 1.0
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def samples_to_decide(share: float, limit_share: float, z: float = _Z95) -> int:
    """About how many samples put a share's 95 % interval clear of the limit (normal approximation)."""
    gap = abs(share - limit_share)
    if gap == 0:
        return DEFAULT_MIN_SAMPLES
    return math.ceil(z * z * max(share * (1 - share), 1e-6) / (gap * gap))


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
    hottest = next((r for r in t.rows if not matches_any(r.function, patterns)), None)
    limit_text = f"{max_function_share * 100:.2f}%"
    if hottest is None:
        return Verdict.skip(f"every function in the profile is ignored by {list(ignore)}; nothing to judge",
                            figures, tuple(warnings))
    share = hottest.flat / t.total
    # The interval is over samples: a share of the value total in sample units.
    low, high = wilson_interval(round(share * n), n)
    figures.update(hottest_function=hottest.function, hottest_flat_share=share, sample_type=t.sample_type,
                   share_low=low, share_high=high)
    interval = f"95 % interval {low * 100:.1f}-{high * 100:.1f}% over {n} samples"
    if low <= max_function_share < high and n < min_samples:
        need = max(samples_to_decide(share, max_function_share), n + 1)
        figures["samples_to_decide"] = min(need, min_samples)
        return Verdict.fail(
            f"too few CPU samples: {hottest.function} takes {share * 100:.1f}% ({interval}), too close to the "
            f"limit of {limit_text} to tell; about {min(need, min_samples)} samples would decide it "
            f"(thresholds.cpu.min_samples: {min_samples}){apart}: raise the load or the window "
            "(load.rate, load.duration)", figures, tuple(warnings))
    if share > max_function_share:
        msg = (
            f"cpu: {hottest.function} takes {share * 100:.2f}% of CPU time (flat), above the limit of {limit_text}"
            + (f" (ignoring {', '.join(ignore)})" if ignore else "")
            + f"; {interval}"
            + f"\ntop 10 of {t.sample_type} ({n} samples, {t.total} {t.unit} total{apart}):\n{_table(t, patterns)}\n"
            f"open the profile: {where}"
        )
        return Verdict.fail(msg, figures, tuple(warnings))
    return Verdict.ok(
        f"cpu: hottest function {hottest.function} takes {share * 100:.2f}% (flat), within {limit_text} "
        f"({interval}{apart})", figures, tuple(warnings))


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
