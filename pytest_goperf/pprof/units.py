"""Value and percentage formatting that reads like ``go tool pprof`` output.

Only for the human text table: JSON carries raw integers.  Mirrors pprof's
unit families (time, memory) and its "minimum" unit choice closely enough
that a Go engineer sees familiar numbers.
"""

from __future__ import annotations

import math

_TIME = (("ns", 1.0), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("hrs", 3600e9))
_MEMORY = (("B", 1.0), ("kB", 1024.0), ("MB", 1024.0**2), ("GB", 1024.0**3), ("TB", 1024.0**4), ("PB", 1024.0**5))
_TIME_ALIASES = {"ns": 1.0, "nanosecond": 1.0, "us": 1e3, "μs": 1e3, "microsecond": 1e3,
                 "ms": 1e6, "millisecond": 1e6, "s": 1e9, "sec": 1e9, "second": 1e9}
_MEMORY_ALIASES = {"b": 1.0, "byte": 1.0, "kb": 1024.0, "kilobyte": 1024.0, "mb": 1024.0**2, "megabyte": 1024.0**2}


def _family(unit: str) -> tuple[tuple[tuple[str, float], ...], float] | None:
    u = unit.lower()
    if len(u) > 2:
        u = u.removesuffix("s")
    if u in _TIME_ALIASES:
        return _TIME, _TIME_ALIASES[u]
    if u in _MEMORY_ALIASES:
        return _MEMORY, _MEMORY_ALIASES[u]
    return None


def _auto(value: float, units: tuple[tuple[str, float], ...]) -> tuple[float, str]:
    best = ("", 0.0)
    for name, factor in units:
        if factor >= best[1] and abs(value) / factor >= 1.0:
            best = (name, factor)
    if best[1] == 0.0:
        return value / units[0][1], units[0][0]
    return value / best[1], best[0]


def choose_unit(min_value: int, max_value: int, sample_unit: str) -> str:
    """The output unit pprof picks from the smallest and largest value shown."""
    fam = _family(sample_unit)
    if fam is None:
        return ""
    units, factor = fam
    min_value = min_value or max_value
    lo = _auto(abs(min_value) * factor, units)[1]
    hi = _auto(abs(max_value) * factor, units)[1]
    if lo != hi and abs(min_value) * 100 < abs(max_value):
        return _auto(abs(min_value) * 100 * factor, units)[1]
    return lo


def format_value(value: int, sample_unit: str, out_unit: str) -> str:
    """Format like pprof's ScaledLabel: two decimals, ``.00`` dropped."""
    fam = _family(sample_unit)
    v = float(value)
    suffix = ""
    if fam is not None and out_unit:
        units, factor = fam
        v = value * factor / dict(units)[out_unit]
        suffix = out_unit
    text = f"{v:.2f}".removesuffix(".00")
    if text in ("0", "-0"):
        return "0"
    return text + suffix


def format_pct(value: int, total: int) -> str:
    """Like pprof's Percentage: at least two digits, '100%' near one hundred."""
    ratio = abs(value / total) * 100 if total else 0.0
    if 99.95 <= ratio <= 100.05:
        return "  100%"
    if ratio >= 1.0:
        return f"{ratio:5.2f}%"
    return _go_g(ratio) + "%"


def _go_g(x: float) -> str:
    """Go's %5.2g: two significant digits, shortest form, width 5."""
    if x == 0 or not math.isfinite(x):
        s = "0"
    else:
        rounded = float(f"{x:.1e}")
        exp = math.floor(math.log10(abs(rounded)))
        if exp < -4 or exp >= 2:
            mant, e = f"{rounded:.1e}".split("e")
            mant = mant.rstrip("0").rstrip(".")
            s = f"{mant}e{int(e):+03d}"
        else:
            fixed = f"{rounded:.{max(0, 1 - exp)}f}"
            s = fixed.rstrip("0").rstrip(".") if "." in fixed else fixed
    return f"{s:>5}"
