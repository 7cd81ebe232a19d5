"""Bench gate: is a benchmark row a regression worth failing the build for?

A row is one (package, benchmark, unit).  It fails when it changed in the
worse direction for its unit by more than ``max_regression`` *and* its
Mann-Whitney p-value, Holm-corrected over the service's family of rows, is
<= alpha.  A change from a zero baseline (0 -> 48 B/op) has a known direction
and an unbounded size: significant, it fails whatever ``max_regression`` says.

The family (``bench.family``): rows that can never be significant leave it
(Tarone's method) -- both sides constant and equal (they pass: nothing
changed), or a pooled sample whose best attainable p is above alpha (skipped
with the reason).  Every row in the family can be rejected on its own; rows
that could only be significant alone, not together, are skipped loudly with
the count that would let them in.  Rows present on one side only are skipped
with the reason the output gives (a failed or missing benchmark, a package
new in the candidate); a benchmark that *fails in the candidate* fails its
rows.  Rows pooling samples that benchstat would call "vary in pkg / goos /
goarch / cpu" are refused, never judged.

Every judged row carries its minimum detectable effect (``mde_pct``, see
bench/power.py) at the level Holm applies to it; a row that passes while its
MDE exceeds ``max_regression`` is reported as underpowered (an alert, or a
failure with ``require_power``).  ``test: paired`` decides on the exact
signed-rank test of round i of both sides (bench/signrank.py) instead.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from pytest_goperf.bench.compare import Comparison, Row, base_name, vs_base
from pytest_goperf.bench.family import count_for_family, holm, min_attainable_p, tarone
from pytest_goperf.bench.power import FIX as POWER_FIX
from pytest_goperf.bench.power import fmt_mde as _pct
from pytest_goperf.bench.power import mde
from pytest_goperf.bench.signrank import log_ratios, min_rounds, paired_floor, signed_rank
from pytest_goperf.bench.stats import Summary
from pytest_goperf.bench.units import scale
from pytest_goperf.bench.utest import attainable_min_p, min_count_for_alpha
from pytest_goperf.errors import ConfigError
from pytest_goperf.gates.spec import limit
from pytest_goperf.gates.verdict import Figure, GateFailed, Verdict, enforce
from pytest_goperf.quantities import parse_share

Key = tuple[str, str, str]  # (pkg or "", benchmark, unit)
NEVER_POOLED = ("pkg", "goos", "goarch", "cpu")
_ALLOC_UNITS = ("B/op", "allocs/op")
TESTS = ("utest", "paired")


@dataclass(frozen=True)
class BenchThreshold:
    """``thresholds.bench``: judged per (package, benchmark, unit) row, Holm-corrected across the service's family."""

    max_regression: float = limit("share", 0.05, "a significant change in the worse direction above this fails")
    alpha: float = limit("number", 0.05, "significance level of the family (Tarone + Holm), between 0 and 1")
    min_improvement: float | None = limit("share", None, "every judged row must improve significantly by this much")
    units: tuple[str, ...] | None = limit("strings", None, "units to judge (sec/op, B/op, allocs/op, ...); default all")
    test: str = limit("string", "utest", "utest (benchstat's Mann-Whitney U) or paired (exact Wilcoxon signed-rank "
                      "on per-round log ratios; needs interleaved rounds, not a file: baseline)")
    require_power: bool = limit("boolean", False, "fail a row whose minimum detectable effect (80 % power) "
                                "exceeds max_regression instead of warning")

    def problems(self) -> list[tuple[str, str]]:
        """(key, message) for values that parse but make no sense."""
        if not 0 < self.alpha < 1:
            return [("alpha", f"must be between 0 and 1, got {self.alpha}")]
        if self.test not in TESTS:
            return [("test", f"must be one of {', '.join(TESTS)}, got {self.test!r}")]
        return []


@dataclass(frozen=True)
class Judgement:
    """Every row's verdict, the family Holm ran over, and what the terminal summary must say aloud."""

    verdicts: dict[Key, Verdict]
    family: tuple[Key, ...]
    tarone_k: int
    alerts: tuple[str, ...]

    @property
    def judged(self) -> int:
        return sum(1 for v in self.verdicts.values() if not v.skipped)

    def unjudged(self, service: str) -> Verdict | None:
        """A failing verdict saying why, when no row at all could be judged; else None."""
        if self.judged:
            return None
        if not self.verdicts:
            return Verdict.fail(f"{service}: the benchmark comparison produced no rows in the units filter; "
                                "check bench.bench and thresholds.bench.units")
        why: dict[str, int] = {}
        for v in self.verdicts.values():
            reason = str(v.figures.get("skip_reason", "other"))
            why[reason] = why.get(reason, 0) + 1
        head = "; ".join(f"{n} row(s) {_WHY.get(r, r)}" for r, n in why.items())
        detail = "\n".join(f"  {v.message}" for v in list(self.verdicts.values())[:12])
        more = f"\n  ... and {len(self.verdicts) - 12} more" if len(self.verdicts) > 12 else ""
        return Verdict.fail(f"{service}: no benchmark row could be judged, so this gate cannot pass: {head}\n"
                            f"{detail}{more}", {"rows": len(self.verdicts)})


_WHY = {
    "unpaired": "never pair between the sides (names differ, or present on one side only)",
    "too_few": "have too few runs or too many ties to ever be significant",
    "family": "could be significant alone but not in a family this size",
    "unknown_unit": "have a unit whose better direction is unknown",
    "refused": "pool results from different packages or machines",
    "baseline_failed": "failed in the baseline",
}


def row_key(r: Row) -> Key:
    return (r.pkg or "", r.benchmark, r.unit)


def row_ids(keys: Iterable[Key], module_path: str | None = None) -> dict[Key, str]:
    """``Parse-2 sec/op`` per row, or ``b/Parse-2 sec/op`` when the name exists in several packages.

    The package is shown relative to ``module_path`` when it lies inside it.
    """
    keys = list(keys)
    pkgs: dict[str, set[str]] = {}
    for pkg, name, _ in keys:
        pkgs.setdefault(name, set()).add(pkg)
    out: dict[Key, str] = {}
    for key in keys:
        pkg, name, unit = key
        if len(pkgs[name]) <= 1:
            out[key] = f"{name} {unit}"
            continue
        rel = pkg or "(no pkg)"
        if module_path and pkg.startswith(module_path + "/"):
            rel = pkg[len(module_path) + 1:]
        out[key] = f"{rel}/{name} {unit}"
    return out


def quote_meta(text: str) -> str:
    """Go's ``regexp.QuoteMeta``: a backslash before each of ``\\.+*?()|[]{}^$``."""
    return "".join("\\" + c if c in "\\.+*?()|[]{}^$" else c for c in text)


def bench_regexp(name: str) -> str:
    """``Marshal/map[string]int-8`` -> ``^BenchmarkMarshal$/^map\\[string\\]int$`` for go test -bench."""
    parts = base_name(name).split("/")
    return "/".join([f"^Benchmark{quote_meta(parts[0])}$"] + [f"^{quote_meta(p)}$" for p in parts[1:]])


def profile_command(r: Row) -> str:
    """The shell command that re-runs this row's benchmark alone with a CPU profile."""
    cmd = ["go", "test", "-run", "^$", "-bench", bench_regexp(r.benchmark), "-cpuprofile", "cpu.pprof"]
    if r.pkg:
        cmd.append(r.pkg)
    return shlex.join(cmd)


def _share(x: float | str | None) -> float | None:
    if x is None:
        return None
    if isinstance(x, float) and math.isinf(x):
        return x
    try:
        return parse_share(x)
    except ValueError as exc:
        raise ConfigError(f"bench threshold: {exc}") from None


def _number(value: float, unit: str) -> str:
    """``48``, ``1``, ``1.500µ``: whole counts as written, others scaled like the table."""
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return scale(value, unit)


def _amount(value: float, unit: str) -> str:
    return f"{_number(value, unit)} {unit}"


def _describe(row: Row, alpha: float, old_label: str, new_label: str) -> str:
    def side(label: str, s: Summary | None) -> str:
        if s is None:
            return f"  {label}: (missing)"
        return f"  {label}: {scale(s.center, row.unit)} ± {s.pct_range()}  n={s.n}"

    where = f" ({row.pkg})" if row.pkg else ""
    return "\n".join([f"  {row.benchmark}{where}  {row.unit}  {vs_base(row, alpha)}",
                      side(old_label, row.old), side(new_label, row.new)])


def _figures(r: Row, alpha: float, max_reg: float) -> dict[str, Figure]:
    return {
        "pkg": r.pkg, "old": r.old.center if r.old else None, "new": r.new.center if r.new else None,
        "delta_pct": r.delta_pct, "from_zero": r.from_zero, "p_value": r.p_value, "p_holm": None,
        "rows_in_family": None, "n_old": r.old.n if r.old else 0, "n_new": r.new.n if r.new else 0,
        "max_regression_pct": max_reg * 100, "alpha": alpha, "mde_pct": None,
    }


def _precheck(r: Row, fig: dict[str, Figure], old_label: str, new_label: str) -> Verdict | None:
    """Verdicts that need no p-value: a side missing, pooled samples refused, direction unknown, nothing changed."""
    title = f"{r.benchmark} {r.unit}"
    warnings = tuple(r.warnings)
    if r.old is None or r.new is None:
        if r.new is None and r.failed_side == "new":
            return Verdict.fail(f"{title}: the benchmark failed in the candidate {new_label}, so it cannot show a "
                                f"regression: {r.missing}", fig, warnings)
        if r.old is None:
            why = r.missing or f"no such benchmark in the baseline {old_label}"
            reason = "baseline_failed" if r.failed_side == "old" else "unpaired"
            text = why if r.failed_side == "old" or why.startswith("names never pair") else f"new in the candidate: {why}"
            return Verdict.skip(f"{title}: not judged: {text}", {**fig, "skip_reason": reason}, warnings)
        why = r.missing or f"not in the candidate {new_label} (removed or renamed?)"
        return Verdict.skip(f"{title}: not judged: {why}", {**fig, "skip_reason": "unpaired"}, warnings)
    refused = [k for k in NEVER_POOLED if k in r.vary]
    if refused:
        what = "packages" if refused == ["pkg"] else "machines"
        return Verdict.skip(f"{title}: refused: the results of one side mix several {', '.join(refused)} values "
                            f"(benchstat: 'benchmarks vary in {', '.join(refused)}'); the gate never pools samples "
                            f"from different {what}: compare per package, and record each side on one machine",
                            {**fig, "skip_reason": "refused"}, warnings)
    if r.better is None:
        return Verdict.skip(f"{title}: unknown whether higher or lower is better; declare it with "
                            f"'Unit {r.unit} better=higher' (or lower) in the benchmark output",
                            {**fig, "skip_reason": "unknown_unit"}, warnings)
    pooled = [*r.old_values, *r.new_values]
    if pooled and min(pooled) == max(pooled):
        value = pooled[0]
        if value == 0 and r.unit in _ALLOC_UNITS:
            text = "no allocations on either side"
        else:
            text = f"unchanged: {_amount(value, r.unit)} in every run on both sides"
        return Verdict.ok(f"{title}: {text} (constant rows cannot differ; outside the Holm family)", fig, warnings)
    return None


def _untied_floor(r: Row, test: str) -> float:
    """The row's best p had no two values tied (paired: no round equal on both sides): what its count allows."""
    if test == "paired":
        return 2 / 2 ** len(r.old_values) if r.old_values else 1.0
    return min_attainable_p(len(r.old_values), len(r.new_values))


def _family_advice(r: Row, need: int, test: str = "utest") -> str:
    """What to change when a row fell out of the Tarone family: more runs, unless ties are the cause."""
    runs = min(r.old.n if r.old else 0, r.new.n if r.new else 0)
    if runs < need:
        return f"Raise bench.count to {need} or more, or narrow bench.bench or thresholds.bench.units"
    if test == "paired":
        zeros = sum(1 for d in log_ratios(r.old_values, r.new_values) if d == 0)
        return (f"{zeros} of its {runs} rounds gave the same value on both sides (zero differences, which the "
                "signed-rank test drops); lengthen bench.benchtime so the values carry more digits, or narrow "
                "bench.bench or thresholds.bench.units to shrink the family")
    distinct = len(set(r.old_values) | set(r.new_values))
    return (f"Its {len(r.old_values)}+{len(r.new_values)} values hold only {distinct} distinct ones: ties, "
            "not the count, limit it, so more runs help little; narrow bench.bench or thresholds.bench.units "
            "(e.g. [sec/op]) to shrink the family")


def judge(
    comparison: Comparison,
    *,
    max_regression: float | str = 0.05,
    alpha: float = 0.05,
    min_improvement: float | str | None = None,
    units: Iterable[str] | None = None,
    old_label: str = "old.txt",
    new_label: str = "new.txt",
    test: str = "utest",
    require_power: bool = False,
    power: bool = True,
) -> Judgement:
    """Verdicts for every row of ``comparison`` in the units filter, with the family they were judged in.

    ``max_regression`` and ``min_improvement`` are fractions (0.05) or shares ("5%").  ``test`` is
    ``utest`` (benchstat's Mann-Whitney) or ``paired`` (signed rank on round i of both sides).
    Every judged row gets its minimum detectable effect (``mde_pct``); a row that would pass although
    its MDE exceeds ``max_regression`` is said aloud in ``alerts``, or fails with ``require_power``.
    ``power=False`` leaves the MDE out (most of the cost): for simulations that need only outcomes.
    A ``B/s`` row beside its own ``sec/op`` row takes that row's verdict and stays out of the family.
    """
    if require_power and not power:
        raise ValueError("require_power needs the MDE: power=False cannot judge it")
    if test not in TESTS:
        raise ConfigError(f"bench threshold: test must be one of {', '.join(TESTS)}, got {test!r}")
    max_reg = _share(max_regression)
    assert max_reg is not None
    min_imp = _share(min_improvement)
    wanted = set(units) if units is not None else None
    rows = [r for r in comparison.rows if wanted is None or r.unit in wanted]
    verdicts: dict[int, Verdict] = {}
    pending: list[tuple[int, Row, float]] = []
    mirrors = _throughput_mirrors(rows)
    for i, r in enumerate(rows):
        if i in mirrors:
            continue
        fig = _figures(r, alpha, max_reg)
        early = _precheck(r, fig, old_label, new_label)
        if early is not None:
            verdicts[i] = early
            continue
        if test == "paired" and not r.exact and len(r.old_values) != len(r.new_values):
            verdicts[i] = Verdict.skip(
                f"{r.benchmark} {r.unit}: not judged: test: paired needs one result per round on each side, got "
                f"{len(r.old_values)} and {len(r.new_values)} (a round failed?)", {**fig, "skip_reason": "unpaired"},
                tuple(r.warnings))
            continue
        floor = 0.0 if r.exact else _floor(r, test)
        if floor > alpha:
            tied = _untied_floor(r, test) <= alpha  # the count could reach alpha: ties (paired: zeros) hold p up
            verdicts[i] = ((_within_spread(r, fig, max_reg, f"ties keep its best p at {floor:.3g}") if tied else None)
                           or _never_significant(r, floor, alpha, fig, test))
            continue
        pending.append((i, r, floor))
    k, chosen = tarone([f for _, _, f in pending], alpha)
    family = [pending[j] for j in chosen]
    adjusted = holm([_decision_p(r, test) for _, r, _ in family])
    m = len(family)
    need = (min_rounds(alpha / max(len(pending), 1)) if test == "paired"
            else count_for_family(len(pending), alpha))
    for j, (i, r, floor) in enumerate(pending):
        if j not in chosen:
            # Left out by ties, not by its count: then a narrow spread speaks for it.
            spread = (_within_spread(r, _figures(r, alpha, max_reg), max_reg,
                                     f"ties keep its best p at {floor:.3g}, above alpha/{k} = {alpha / k:.3g}")
                      if _untied_floor(r, test) <= alpha / k else None)
            verdicts[i] = spread or Verdict.skip(
                f"{r.benchmark} {r.unit}: not judged: {len(pending)} rows could each reach p <= {alpha} alone but "
                f"not together; Tarone's method keeps the {m} row(s) whose best attainable p is <= alpha/{k} = "
                f"{alpha / k:.3g}, and this row's best is {floor:.3g} ({r.old.n if r.old else 0}+"
                f"{r.new.n if r.new else 0} samples). " + _family_advice(r, need, test),
                {**_figures(r, alpha, max_reg), "p_min": floor, "tarone_k": k, "skip_reason": "family"},
                tuple(r.warnings))
    weak: list[str] = []
    for (i, r, floor), p_holm in zip(family, adjusted):
        sens = _mde(r, alpha / m, test) if power else None
        verdicts[i] = _judge(r, p_holm, m, k, floor, alpha, max_reg, min_imp, old_label, new_label,
                             Sensitivity(test, sens, require_power))
        if verdicts[i].passed and sens is not None and sens > max_reg * 100:
            weak.append(f"{r.benchmark} {r.unit} (MDE {_pct(sens)})")
    for i, j in mirrors.items():
        verdicts[i] = _mirrored(rows[i], verdicts[j], alpha, max_reg)
    alerts: list[str] = []
    left_out = sum(1 for v in verdicts.values() if v.figures.get("skip_reason") == "family")
    if left_out:
        alerts.append(f"{left_out} of {len(pending)} bench rows cannot be significant together "
                      f"at alpha {alpha} with these sample sizes, so they were skipped, not passed; "
                      f"raise bench.count to {need} or more, or narrow bench.bench / thresholds.bench.units")
    for old, new in comparison.procs_pairs[:1]:
        alerts.append(f"GOMAXPROCS differs between the sides ({old} vs {new}): the baseline ran on another machine "
                      "or CPU limit; rows were paired by name anyway (bench.gomaxprocs_mismatch: refuse to refuse)")
    refused = sum(1 for v in verdicts.values() if v.figures.get("skip_reason") == "refused")
    if refused:
        alerts.append(f"{refused} bench row(s) refused: they pool results from different packages or machines")
    if weak:
        alerts.append(f"{len(weak)} bench row(s) passed but could not have seen a {max_reg * 100:g}% regression "
                      f"(80% power at alpha {alpha}/{m}): {', '.join(weak[:6])}{', ...' if len(weak) > 6 else ''}; "
                      f"{POWER_FIX}")
    keyed = {row_key(rows[i]): verdicts[i] for i in range(len(rows))}
    return Judgement(keyed, tuple(row_key(r) for _, r, _ in family), k, tuple(alerts))


def judge_rows(comparison: Comparison, *, max_regression: float | str = 0.05, alpha: float = 0.05,
               min_improvement: float | str | None = None, units: Iterable[str] | None = None,
               old_label: str = "old.txt", new_label: str = "new.txt", test: str = "utest",
               require_power: bool = False, power: bool = True) -> dict[Key, Verdict]:
    """One verdict per (pkg, benchmark, unit) row; see ``judge``."""
    return judge(comparison, max_regression=max_regression, alpha=alpha, min_improvement=min_improvement,
                 units=units, old_label=old_label, new_label=new_label, test=test,
                 require_power=require_power, power=power).verdicts


def _throughput_mirrors(rows: list[Row]) -> dict[int, int]:
    """B/s row index -> its sec/op row's index, for benchmarks that call b.SetBytes.

    Go computes MB/s as the bytes per op over the time per op, so each run's B/s is a fixed constant over its
    sec/op: the same measurement, ranked in reverse.  Judging both would test one hypothesis twice and double
    the family Holm corrects for (cespare/xxhash: 40 rows for 20 benchmarks).  The B/s row takes its sec/op
    row's verdict instead, outside the family.  Rows whose run counts differ are judged on their own.
    """
    times = {(r.pkg, r.benchmark): j for j, r in enumerate(rows) if r.unit == "sec/op"}
    out: dict[int, int] = {}
    for i, r in enumerate(rows):
        j = times.get((r.pkg, r.benchmark)) if r.unit == "B/s" else None
        if j is not None and (len(r.old_values), len(r.new_values)) == (len(rows[j].old_values),
                                                                         len(rows[j].new_values)):
            out[i] = j
    return out


def _mirrored(r: Row, time_verdict: Verdict, alpha: float, max_reg: float) -> Verdict:
    """A B/s row's verdict: its sec/op row's outcome, said in B/s."""
    change = f"{r.delta_pct:+.2f}%" if r.delta_pct is not None else "no change figure"
    head = time_verdict.message.split("\n", 1)[0]
    message = (f"{r.benchmark} B/s: {change}, the same measurement as its sec/op row (b.SetBytes), judged there "
               f"and not counted again in the family: {head}")
    figures = {**_figures(r, alpha, max_reg), "judged_as": "sec/op"}
    for name in ("skip_reason", "p_holm", "rows_in_family", "tarone_k", "mde_pct"):
        if name in time_verdict.figures:
            figures[name] = time_verdict.figures[name]
    return Verdict(time_verdict.outcome, message, figures, tuple(r.warnings))


def _floor(r: Row, test: str) -> float:
    """The smallest p the row's test could give on its pooled values (Tarone's screen)."""
    if test == "paired":
        return paired_floor(r.old_values, r.new_values)
    return attainable_min_p(r.old_values, r.new_values)


def _mde(r: Row, level: float, test: str) -> float | None:
    """The row's MDE in percent at ``level`` (0 for assume=exact rows: any difference is real)."""
    if r.exact:
        return 0.0
    if r.better is None:
        return None
    return mde(r.old_values, r.new_values, r.better, level, test)


@dataclass(frozen=True)
class Sensitivity:
    """How a judged row's MDE enters its verdict."""

    test: str
    mde_pct: float | None
    require: bool


def _decision_p(r: Row, test: str = "utest") -> float:
    """benchstat's p, unless it is an artifact of asymmetric ties (then the sound one); 0 for assume=exact.

    With ``test="paired"`` the exact signed-rank p on round i of both sides.
    """
    if r.exact:
        return 0.0
    if test == "paired":
        return signed_rank(r.old_values, r.new_values).p
    if r.p_sound is not None:
        return r.p_sound
    assert r.p_value is not None
    return r.p_value


def _within_spread(r: Row, fig: dict[str, Figure], max_reg: float, why: str) -> Verdict | None:
    """Pass a tie-bound row whose pooled values all lie within ``max_regression`` of each other.

    Ties (B/op of 7442-7444 over 20 runs, as go.uber.org/zap's Benchmark5WithLazysUsed gives) can hold
    a row's best p above its level however many rounds run, yet no change above the limit fits in
    its data: the medians differ by at most the pooled spread, and the gate passes any change that
    small whatever its p.  None when the spread is wider, or a value is 0 (0 -> 2 is unbounded).
    """
    pooled = [*r.old_values, *r.new_values]
    lo, hi = min(pooled), max(pooled)
    if lo <= 0 or (hi - lo) / lo > max_reg:
        return None
    spread = (hi - lo) / lo * 100
    return Verdict.ok(
        f"{r.benchmark} {r.unit}: within {spread:.2g}%: all {len(r.old_values)}+{len(r.new_values)} values lie in "
        f"{_amount(lo, r.unit)} .. {_amount(hi, r.unit)}, so no change above max_regression {max_reg * 100:g}% "
        f"fits in them ({why}; outside the Holm family)",
        {**fig, "spread_pct": spread}, tuple(r.warnings))


def _never_significant(r: Row, floor: float, alpha: float, fig: dict[str, Figure], test: str = "utest") -> Verdict:
    n1, n2 = (r.old.n if r.old else 0), (r.new.n if r.new else 0)
    title = f"{r.benchmark} {r.unit}"
    zeros = [i + 1 for i, d in enumerate(log_ratios(r.old_values, r.new_values)) if d == 0] if test == "paired" else []
    if zeros and 2 / 2 ** len(r.old_values) <= alpha:
        left = len(r.old_values) - len(zeros)
        need = min_rounds(alpha)
        shown = ", ".join(map(str, zeros[:6])) + (", ..." if len(zeros) > 6 else "")
        why = (f"round(s) {shown} gave the same value on both sides, a zero difference the signed-rank test drops, "
               f"and the {left} other round(s) can never reach p <= {alpha} (best {floor:.3g}, {need} needed); "
               f"raise bench.count to at least {need + len(zeros)}, or lengthen bench.benchtime so the values "
               "carry more digits")
    elif min_attainable_p(n1, n2) <= alpha:
        counts: dict[float, int] = {}
        for v in (*r.old_values, *r.new_values):
            counts[v] = counts.get(v, 0) + 1
        shown = ", ".join(f"{_number(v, r.unit)} x{c}" for v, c in sorted(counts.items())[:4])
        why = (f"its {n1}+{n2} values hold only {len(counts)} distinct ones ({shown}{', ...' if len(counts) > 4 else ''}), "
               f"and with these ties no split of them gives p <= {alpha} (best {floor:.3g})")
    else:
        why = (f"{n1}+{n2} samples can never reach p <= {alpha} (best {floor:.3g}); "
               f"need >= {min_count_for_alpha(alpha)} per side: raise bench.count")
    return Verdict.skip(f"{title}: not judged: {why}", {**fig, "p_min": floor, "skip_reason": "too_few"},
                        tuple(r.warnings))


def _judge(r: Row, p_holm: float, m: int, k: int, floor: float, alpha: float, max_reg: float,
           min_imp: float | None, old_label: str, new_label: str, sens: Sensitivity) -> Verdict:
    mde_fig = None if sens.mde_pct is None or math.isinf(sens.mde_pct) else sens.mde_pct
    figures = {**_figures(r, alpha, max_reg), "p_holm": p_holm, "rows_in_family": m, "tarone_k": k, "p_min": floor,
               "mde_pct": mde_fig, "test": sens.test}
    title = f"{r.benchmark} {r.unit}"
    warnings = list(r.warnings)
    assert r.old is not None and r.new is not None and r.p_value is not None
    if sens.test == "utest" and _decision_p(r) != r.p_value:
        warnings.append(f"benchstat's p={r.p_value:.3g} comes from asymmetric ties (min(U1, U2) outside the "
                        f"U distribution); the gate uses the exact two-sided p={r.p_sound:.3g}")
    worse = r.worse_pct
    assert worse is not None
    significant = p_holm <= alpha
    row_text = _describe(r, alpha, old_label, new_label)
    pinfo = f"p={r.p_value:.3g}, Holm-adjusted {p_holm:.3g} over {m} row(s), alpha {alpha}"
    if sens.test == "paired" and not r.exact:
        p_pair = _decision_p(r, "paired")
        figures["p_paired"] = p_pair
        pinfo = (f"paired signed-rank p={p_pair:.3g} over {len(r.old_values)} rounds, Holm-adjusted {p_holm:.3g} "
                 f"over {m} row(s), alpha {alpha}")
    if sens.mde_pct is not None:
        pinfo += f", MDE {_pct(sens.mde_pct)}"
    if r.exact:
        pinfo = f"assume=exact: any difference is real; {pinfo}"
    change = (f"from {_number(r.old.center, r.unit)} to {_amount(r.new.center, r.unit)}" if math.isinf(worse)
              else f"by {worse:.2f}%")
    if significant and (worse > max_reg * 100 or worse == math.inf):
        cmd = profile_command(r)
        figures["next_command"] = cmd
        msg = (f"{title} regressed {change} ({r.better} is better), threshold {max_reg * 100:.2f}%; {pinfo}\n"
               f"{row_text}\n"
               f"next: {shlex.join(['benchstat', old_label, new_label])}; profile it in the module folder with\n"
               f"  {cmd}\n"
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
    shown = change if math.isinf(worse) else f"{worse:+.2f}% worse-direction change"
    if sens.mde_pct is not None and sens.mde_pct > max_reg * 100:
        blind = (f"{title}: underpowered: the smallest regression this row detects with 80% power at alpha "
                 f"{alpha}/{m} (its MDE) is {_pct(sens.mde_pct)}, above max_regression {max_reg * 100:g}%, so "
                 f"passing says little; {POWER_FIX.split('; ')[0]}")
        if sens.require:
            return Verdict.fail(f"{blind} (thresholds.bench.require_power: true)\n{row_text}\n{pinfo}", figures,
                                tuple(warnings))
        warnings.append(blind)
    return Verdict.ok(f"{title}: {shown}, {state} ({pinfo})", figures, tuple(warnings))


def _aggregate(verdicts: dict[Key, Verdict], what: str) -> Verdict:
    failed = [v for v in verdicts.values() if v.failed]
    judged = [v for v in verdicts.values() if not v.skipped]
    skipped = [v.message for v in verdicts.values() if v.skipped]
    figures: dict[str, Figure] = {"rows": len(verdicts), "failed": len(failed), "skipped": len(skipped)}
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
    """Fail (``GateFailed``) if any row regressed significantly beyond ``max_regression``.

    The same judgement and row messages as ``thresholds.bench`` (Tarone + Holm over the rows)::

        assert_no_regression(goperf_bench(".", bench="Parse").comparison, max_regression="5%")
    """
    verdicts = judge(comparison, max_regression=max_regression, alpha=alpha, units=units,
                     old_label=comparison.old_name, new_label=comparison.new_name).verdicts
    return enforce(_aggregate(verdicts, "regressed"))


def assert_improvement(comparison: Comparison, min_gain: float | str = "3%", alpha: float = 0.05,
                       units: Iterable[str] | None = None) -> Verdict:
    """Fail unless every judged row improved significantly by at least ``min_gain``.

    Regressions beyond 100 % are not the question here, so ``max_regression``
    is disabled; use ``assert_no_regression`` for that::

        assert_improvement(compare_files("old.txt", "new.txt"), min_gain="3%")
    """
    verdicts = judge(comparison, max_regression=math.inf, alpha=alpha, min_improvement=min_gain, units=units,
                     old_label=comparison.old_name, new_label=comparison.new_name).verdicts
    return enforce(_aggregate(verdicts, "did not improve enough"))


__all__ = ["GateFailed", "Judgement", "assert_improvement", "assert_no_regression", "bench_regexp", "holm", "judge",
           "judge_rows", "min_attainable_p", "profile_command", "quote_meta", "row_ids"]
