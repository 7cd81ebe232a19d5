"""Bench gate: is a benchmark row a regression worth failing the build for?

A row fails when it changed in the worse direction for its unit by more than
``max_regression`` *and* its Mann-Whitney p-value, Holm-corrected over all the
compared rows of the service, is <= alpha.  Holm keeps the family-wise false
alarm rate at alpha however many benchmarks a service has, without Bonferroni's
loss of power.

A row whose sample sizes can never give p <= alpha (e.g. count 3) is
*skipped with a reason*, never passed: the test report shows it as skipped with
"need >= 4 samples ...", and the ``assert_*`` helpers fail when no row at all
could be judged.  Rows present on one side only, or in a unit whose direction
is unknown, are skipped with a reason too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from pytest_goperf.bench.compare import Comparison, Row, vs_base
from pytest_goperf.bench.stats import Summary, min_samples_for_alpha
from pytest_goperf.bench.units import scale
from pytest_goperf.errors import ConfigError
from pytest_goperf.gates.spec import limit
from pytest_goperf.gates.verdict import GateFailed, Verdict, enforce
from pytest_goperf.quantities import parse_share


@dataclass(frozen=True)
class BenchThreshold:
    """``thresholds.bench``: judged per (benchmark, unit) row, Holm-corrected across the service's rows."""

    max_regression: float = limit("share", 0.05, "a significant change in the worse direction above this fails")
    alpha: float = limit("number", 0.05, "significance level of the family (Holm), between 0 and 1")
    min_improvement: float | None = limit("share", None, "every judged row must improve significantly by this much")
    units: tuple[str, ...] | None = limit("strings", None, "units to judge (sec/op, B/op, allocs/op, ...); default all")

    def problems(self) -> list[tuple[str, str]]:
        """(key, message) for values that parse but make no sense."""
        if not 0 < self.alpha < 1:
            return [("alpha", f"must be between 0 and 1, got {self.alpha}")]
        return []


def holm(pvalues: list[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def min_attainable_p(n1: int, n2: int) -> float:
    """Smallest two-sided exact Mann-Whitney p-value for these sample sizes."""
    return 2 / math.comb(n1 + n2, n1) if n1 and n2 else 1.0


def _decision_p(r: Row) -> float:
    """benchstat's p, unless it is an artifact of asymmetric ties (then the sound one)."""
    if r.p_sound is not None:
        return r.p_sound
    assert r.p_value is not None
    return r.p_value


def _share(x: float | str | None) -> float | None:
    if x is None:
        return None
    if isinstance(x, float) and math.isinf(x):
        return x
    try:
        return parse_share(x)
    except ValueError as exc:
        raise ConfigError(f"bench threshold: {exc}") from None


def _bench_regexp(name: str) -> str:
    """``HandleRequest/small-8`` -> ``^BenchmarkHandleRequest$/^small$`` for go test -bench."""
    base = name
    head, sep, tail = base.rpartition("-")
    if sep and tail.isdigit():
        base = head
    parts = base.split("/")
    return "/".join([f"^Benchmark{parts[0]}$"] + [f"^{p}$" for p in parts[1:]])


def _describe(row: Row, alpha: float, old_label: str, new_label: str) -> str:
    def side(label: str, s: Summary | None) -> str:
        if s is None:
            return f"  {label}: (missing)"
        return f"  {label}: {scale(s.center, row.unit)} ± {s.pct_range()}  n={s.n}"

    return "\n".join([
        f"  {row.benchmark}  {row.unit}  {vs_base(row, alpha)}",
        side(old_label, row.old),
        side(new_label, row.new),
    ])


def judge_rows(
    comparison: Comparison,
    *,
    max_regression: float | str = 0.05,
    alpha: float = 0.05,
    min_improvement: float | str | None = None,
    units: Iterable[str] | None = None,
    old_label: str = "old.txt",
    new_label: str = "new.txt",
) -> dict[tuple[str, str], Verdict]:
    """One verdict per (benchmark, unit) row of ``comparison`` (units filtered).

    ``max_regression`` and ``min_improvement`` are fractions (0.05) or shares
    ("5%").  Holm's correction runs over every row in the filter that has a
    p-value.
    """
    max_reg = _share(max_regression)
    assert max_reg is not None
    min_imp = _share(min_improvement)
    wanted = set(units) if units is not None else None
    rows = [r for r in comparison.rows if wanted is None or r.unit in wanted]
    tested = [r for r in rows if r.p_value is not None]
    adjusted = dict(zip((id(r) for r in tested), holm([_decision_p(r) for r in tested])))
    m = len(tested)
    op, need = min_samples_for_alpha(alpha)
    out: dict[tuple[str, str], Verdict] = {}
    for r in rows:
        out[(r.benchmark, r.unit)] = _judge(r, adjusted.get(id(r)), m, alpha, max_reg, min_imp, op, need, old_label, new_label)
    return out


def _judge(r: Row, p_holm: float | None, m: int, alpha: float, max_reg: float, min_imp: float | None,
           op: str, need: int, old_label: str, new_label: str) -> Verdict:
    figures: dict[str, float | int | str | None] = {
        "old": r.old.center if r.old else None,
        "new": r.new.center if r.new else None,
        "delta_pct": r.delta_pct,
        "p_value": r.p_value,
        "p_holm": p_holm,
        "rows_in_family": m,
        "n_old": r.old.n if r.old else 0,
        "n_new": r.new.n if r.new else 0,
        "max_regression_pct": max_reg * 100,
        "alpha": alpha,
    }
    title = f"{r.benchmark} {r.unit}"
    warnings = list(r.warnings)
    if r.old is None or r.new is None or p_holm is None or r.p_value is None:
        which = old_label if r.old is None else new_label
        return Verdict.skip(f"{title}: missing in {which}, nothing to compare", figures, tuple(warnings))
    if r.better is None or r.worse_pct is None:
        return Verdict.skip(f"{title}: unknown whether higher or lower is better; declare it with "
                            f"'Unit {r.unit} better=higher' (or lower) in the benchmark output", figures, tuple(warnings))
    floor = 0.0 if r.exact else min_attainable_p(r.old.n, r.new.n)
    if floor > alpha:
        msg = (f"{title}: {r.old.n}+{r.new.n} samples can never reach p <= {alpha} "
               f"(need {op} {need} per side; raise bench.count)")
        return Verdict.skip(msg, figures, tuple(warnings))
    if floor * m > alpha:
        warnings.append(f"low power: with {m} rows, Holm needs p <= {alpha / m:.4g} for a lone change, "
                        f"but {r.old.n}+{r.new.n} samples give at best p={floor:.4g}; raise bench.count")
    if _decision_p(r) != r.p_value:
        warnings.append(f"benchstat's p={r.p_value:.3g} comes from asymmetric ties (min(U1, U2) outside the "
                        f"U distribution); the gate uses the exact two-sided p={_decision_p(r):.3g}")
    worse = r.worse_pct
    significant = p_holm <= alpha
    row_text = _describe(r, alpha, old_label, new_label)
    pinfo = f"p={r.p_value:.3g}, Holm-adjusted {p_holm:.3g} over {m} row(s), alpha {alpha}"
    if significant and worse > max_reg * 100:
        msg = (f"{title} regressed by {worse:.2f}% ({r.better} is better), "
               f"threshold {max_reg * 100:.2f}%; {pinfo}\n{row_text}\n"
               f"next: benchstat {old_label} {new_label}; profile it with "
               f"go test -run '^$' -bench '{_bench_regexp(r.benchmark)}' -cpuprofile cpu.pprof, "
               f"then goperf top cpu.pprof (and go tool pprof -diff_base for the two builds)")
        return Verdict.fail(msg, figures, tuple(warnings))
    if min_imp is not None:
        gained = -worse
        if not (significant and gained >= min_imp * 100):
            why = "not significant" if not significant else f"only {gained:+.2f}%"
            msg = (f"{title} did not improve by {min_imp * 100:.2f}% ({why}); {pinfo}\n{row_text}\n"
                   f"next: check the candidate really differs (PGO profile applied? go build -pgo), "
                   f"and raise bench.count if the noise ± is wider than the gain you expect")
            return Verdict.fail(msg, figures, tuple(warnings))
    state = "significant" if significant else "not significant"
    return Verdict.ok(f"{title}: {worse:+.2f}% worse-direction change, {state} ({pinfo})", figures, tuple(warnings))


def _aggregate(verdicts: dict[tuple[str, str], Verdict], what: str) -> Verdict:
    failed = [v for v in verdicts.values() if v.failed]
    judged = [v for v in verdicts.values() if not v.skipped]
    skipped = [v.message for v in verdicts.values() if v.skipped]
    figures: dict[str, float | int | str | None] = {"rows": len(verdicts), "failed": len(failed), "skipped": len(skipped)}
    warnings = tuple(w for v in verdicts.values() for w in v.warnings)
    if failed:
        text = "\n\n".join(v.message for v in failed)
        if skipped:
            text += "\n\nnot judged:\n" + "\n".join(f"  {s}" for s in skipped)
        return Verdict.fail(f"{len(failed)} of {len(verdicts)} row(s) {what}:\n{text}", figures, warnings)
    if not judged:
        reasons = "\n".join(f"  {s}" for s in skipped) or "  (no rows matched)"
        return Verdict.skip(f"no benchmark row could be judged:\n{reasons}", figures, warnings)
    return Verdict.ok(f"{len(judged)} row(s) checked, none {what}", figures, warnings)


def assert_no_regression(comparison: Comparison, max_regression: float | str = "5%", alpha: float = 0.05,
                         units: Iterable[str] | None = None) -> Verdict:
    """Fail (``GateFailed``) if any row regressed significantly beyond ``max_regression``."""
    verdicts = judge_rows(comparison, max_regression=max_regression, alpha=alpha, units=units,
                          old_label=comparison.old_name, new_label=comparison.new_name)
    return enforce(_aggregate(verdicts, "regressed"))


def assert_improvement(comparison: Comparison, min_gain: float | str = "3%", alpha: float = 0.05,
                       units: Iterable[str] | None = None) -> Verdict:
    """Fail unless every judged row improved significantly by at least ``min_gain``.

    Regressions beyond 100 % are not the question here, so ``max_regression``
    is disabled; use ``assert_no_regression`` for that.
    """
    verdicts = judge_rows(comparison, max_regression=math.inf, alpha=alpha, min_improvement=min_gain, units=units,
                          old_label=comparison.old_name, new_label=comparison.new_name)
    return enforce(_aggregate(verdicts, "did not improve enough"))


__all__ = ["GateFailed", "assert_improvement", "assert_no_regression", "holm", "judge_rows", "min_attainable_p"]
