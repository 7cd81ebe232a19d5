"""Threshold expressions next to measured values: ``p99 ≤ 500µs`` and ``p99=131µs``.

Why generic: every report shows a gate the same way, and a gate added later
must show up without a report change.  The expression comes from the gate's
threshold dataclass (each field's ``limit`` kind says how to print it); the
measured value is the verdict's figure of the same name as the field, or of
the name without ``max_``/``min_``.  Gates written before that convention
are listed in ``_MEASURED``.  A gate whose figure cannot be found still gets
its expression, and its verdict's first message line as the headline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_goperf.quantities import format_duration

Figures = Mapping[str, Any]
_NUMERIC = ("duration", "share", "number", "integer", "rate_per_minute")
_QUALIFIERS = ("alpha",)          # parameters of the judgement, shown as "α=0.05", not as limits
HEADLINE_MAX = 200


def _num(figures: Figures, key: str, scale: float = 1.0) -> float | None:
    value = figures.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) * scale
    return None


def _figure(key: str, scale: float = 1.0) -> Callable[[Figures], float | None]:
    return lambda f: _num(f, key, scale)


def _drift(f: Figures) -> float | None:
    """The goroutine gate's ``drift`` figure; results written before it had one show the sample's deviation."""
    if "drift" in f:
        return _num(f, "drift")
    worst = _num(f, "worst_deviation")
    return abs(worst) if worst is not None else None


def _bench_worse(f: Figures, unit: str) -> float | None:
    from pytest_goperf.bench.units import direction

    delta = _num(f, "delta_pct", 0.01)
    better = direction(unit)
    if delta is None or better is None:
        return None
    return delta if better == "lower" else -delta


# (gate, field) -> measured value in the field's own unit, for gates whose figures predate the naming rule.
_MEASURED: dict[tuple[str, str], Callable[[Figures], float | None]] = {
    **{("scheduler", q): _figure(f"sched_{q}_ns", 1e-9) for q in ("p50", "p90", "p99", "max")},
    ("gc", "max_stw"): _figure("gc_stw_max_ns", 1e-9),
    ("gc", "p99_stw"): _figure("gc_stw_p99_ns", 1e-9),
    ("latency", "max_error_rate"): _figure("error_rate"),
    ("latency", "min_rate"): _figure("send_rate"),
    ("cpu", "max_function_share"): _figure("hottest_flat_share"),
    ("heap", "max_growth"): _figure("growth_per_min"),
    ("goroutines", "max_drift"): _drift,
    ("cpu", "min_samples"): _figure("samples"),   # the figures also echo the configured min_samples
}
# Limits shown with their measured value that never break on it alone: cpu's min_samples applies only when the
# share's interval straddles max_function_share (the verdict's message then says so).
_SHOWN_ONLY = {("cpu", "min_samples")}
# A figure shown beside the measured value: what it refers to, or (goroutines) the band it is judged in.
_NOTE: dict[tuple[str, str], str] = {("cpu", "max_function_share"): "hottest_function",
                                     ("goroutines", "max_drift"): "band_note"}


def format_limit(value: float, kind: str) -> str:
    """A threshold as goperf.yaml would write it: ``500µs``, ``30%``, ``10%/min``, ``300``."""
    if kind == "duration":
        return format_duration(value)
    if kind in ("share", "signed_share"):
        return f"{value * 100:.4g}%"
    if kind == "rate_per_minute":
        return f"{value * 100:.4g}%/min"
    return f"{value:g}"


def format_measured(value: float, kind: str) -> str:
    """A measured value in the limit's unit, with enough digits to compare: ``131.2µs``, ``12.34%``."""
    if kind == "duration":
        return format_duration(value)
    if kind == "share":
        return f"{value * 100:.2f}%"
    if kind == "rate_per_minute":
        return f"{value * 100:+.2f}%/min"
    if kind == "signed_share":
        return f"{value * 100:+.2f}%"
    if kind == "integer":
        return f"{value:.0f}"
    return f"{value:.4g}"


@dataclass(frozen=True)
class Check:
    """One limit of a gate and what was measured against it."""

    key: str                  # the YAML field: p99, max_error_rate
    label: str                # what is limited: p99, error rate
    op: str                   # "≤" for max_* and plain limits, "≥" for min_*
    limit: float
    kind: str
    measured: float | None
    note: str = ""            # e.g. the function behind a CPU share
    decides: bool = True      # False: shown, but the verdict alone says whether it broke (_SHOWN_ONLY)

    @property
    def expression(self) -> str:
        return f"{self.label} {self.op} {format_limit(self.limit, self.kind)}"

    @property
    def broken(self) -> bool:
        if self.measured is None or not self.decides:
            return False
        return self.measured > self.limit if self.op == "≤" else self.measured < self.limit

    def measured_text(self) -> str:
        if self.measured is None:
            return ""
        text = f"{self.label}={format_measured(self.measured, self.kind)}"
        return f"{text} ({self.note})" if self.note else text

    def failure_text(self) -> str:
        """``p99 18.2ms > 15ms (+21%)``: the measured value, the broken limit, by how much."""
        assert self.measured is not None
        sign = ">" if self.op == "≤" else "<"
        text = f"{self.label} {format_measured(self.measured, self.kind)} {sign} {format_limit(self.limit, self.kind)}"
        if self.limit > 0 and self.kind in ("duration", "number", "integer"):
            ratio = self.measured / self.limit
            text += f" ({(ratio - 1) * 100:+.0f}%)" if ratio < 10 else f" (x{ratio:,.0f})"
        return text + (f" ({self.note})" if self.note else "")


def _label(key: str) -> tuple[str, str]:
    for prefix, op in (("max_", "≤"), ("min_", "≥")):
        if key.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix):].replace("_", " "), op
    return key.replace("_", " "), "≤"


def _measured(gate: str, key: str, figures: Figures, unit: str | None) -> float | None:
    if gate == "bench" and unit is not None and key in ("max_regression", "min_improvement"):
        worse = _bench_worse(figures, unit)
        return None if worse is None else (worse if key == "max_regression" else -worse)
    reader = _MEASURED.get((gate, key))
    if reader is not None:
        return reader(figures)
    for name in (key, _label(key)[0].replace(" ", "_")):
        value = _num(figures, name)
        if value is not None:
            return value
    return None


def checks(gate: str, threshold: Any, figures: Figures, unit: str | None = None) -> list[Check]:
    """The numeric limits set in ``threshold`` (a gate's dataclass), each with its measured value."""
    if threshold is None or not dataclasses.is_dataclass(threshold):
        return []
    out = []
    for f in dataclasses.fields(threshold):
        kind = f.metadata.get("kind")
        value = getattr(threshold, f.name)
        if kind not in _NUMERIC or f.name in _QUALIFIERS or value is None or isinstance(value, bool):
            continue
        if isinstance(value, float) and value == float("inf"):
            continue
        label, op = _label(f.name)
        note_key = _NOTE.get((gate, f.name))
        note = str(figures.get(note_key) or "") if note_key else ""
        if gate == "bench" and kind == "share":
            kind = "signed_share"       # a bench change reads +21.30% / -3.93%
        out.append(Check(f.name, label, op, float(value), str(kind), _measured(gate, f.name, figures, unit), note,
                         (gate, f.name) not in _SHOWN_ONLY))
    return out


def expression(gate: str, threshold: Any) -> str:
    """``p99 ≤ 100ms, error rate ≤ 0.1%`` (+ ``α=0.05`` where the gate tests significance)."""
    parts = [c.expression for c in checks(gate, threshold, {})]
    if threshold is not None and dataclasses.is_dataclass(threshold):
        parts += [f"α={getattr(threshold, q):g}" for q in _QUALIFIERS if getattr(threshold, q, None) is not None]
    return ", ".join(parts)


def _stats(figures: Figures) -> str:
    """``p=0.003 n=10`` when the verdict comes from a significance test."""
    p = _num(figures, "p_value")
    if p is None:
        return ""
    n_old, n_new = figures.get("n_old"), figures.get("n_new")
    n = f" n={n_old}" if n_old == n_new else f" n={n_old}+{n_new}"
    return f"p={p:.3g}{n if n_old is not None else ''}"


def measured(gate: str, threshold: Any, figures: Figures, unit: str | None = None) -> str:
    """``p99=131µs error rate=0.00%``; for a bench row also ``p=… n=…``."""
    found = [c for c in checks(gate, threshold, figures, unit) if c.measured is not None]
    parts = [c.measured_text() for c in found]
    stats = _stats(figures)
    tolerated = figures.get("tolerated")
    if tolerated and any(c.broken for c in found):  # over a limit, yet passed: the gate's reason, not a bare ✓
        parts.append(f"(passed: {tolerated})")
    return " ".join(parts + ([stats] if stats else []))


def first_line(text: str, limit: int = HEADLINE_MAX) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def headline(outcome: str, gate: str, threshold: Any, figures: Figures, message: str, row: str | None = None,
             unit: str | None = None) -> str:
    """One line for a failure message, an annotation or a summary row.

    A failure names each broken limit with the measured value
    (``p99 18.2ms > 15ms (+21%, p=0.003 n=10)``); anything the limits cannot
    explain, a skip or an error, is the message's first line.
    """
    if outcome == "failed":
        broken = [c.failure_text() for c in checks(gate, threshold, figures, unit) if c.broken]
        if broken:
            text = "; ".join(broken)
            stats = _stats(figures)
            if stats:
                text = text[:-1] + f", {stats})" if text.endswith(")") else f"{text} ({stats})"
            return first_line(f"{row} {text}" if row else text)
    return first_line(message)
