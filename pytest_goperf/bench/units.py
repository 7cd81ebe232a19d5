"""Benchmark units: tidying, direction and human-readable scaling.

Go benchmarks report ``ns/op`` and ``MB/s``; benchstat compares them as
``sec/op`` and ``B/s`` so that a custom ``ns/request`` and a built-in
``ns/op`` scale the same way.  We tidy exactly as benchstat does (same
factors, multiplied into the value) so medians come out bit-identical.

Direction ("is bigger better?") decides what a regression is.  A
``Unit X better=higher|lower`` metadata line in the benchmark output wins;
otherwise time and allocation units are lower-is-better and rates
(``.../s``) are higher-is-better.  Anything else is ``None``: unknown, and the
gate refuses to guess.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal

Better = Literal["lower", "higher"]

_SEPARATORS = frozenset("*/-")


def _tokens(unit: str) -> list[tuple[int, str, bool]]:
    """Split a unit into (offset, token, in_denominator) like benchunit's parser."""
    out: list[tuple[int, str, bool]] = []
    denom = False
    i, n = 0, len(unit)
    while i < n:
        ch = unit[i]
        if ch == "*":
            denom = False
            i += 1
        elif ch == "/":
            denom = True
            i += 1
        elif ch == "-" or ch.isspace():
            i += 1
        else:
            j = i
            while j < n and unit[j] not in _SEPARATORS and not unit[j].isspace():
                j += 1
            out.append((i, unit[i:j], denom))
            i = j
    return out


@lru_cache(maxsize=1024)
def tidy_unit(unit: str) -> tuple[str, float]:
    """Return (tidied unit, factor): ``ns`` becomes ``sec`` and ``MB`` becomes ``B``
    in numerators, as benchstat does; the value must be multiplied by factor."""
    if unit == "ns/op":
        return "sec/op", 1e-9
    if unit == "MB/s":
        return "B/s", 1e6
    if unit in ("B/op", "allocs/op") or not ("ns" in unit or "MB" in unit):
        return unit, 1.0
    factor = 1.0
    edits: list[tuple[int, int, str]] = []
    for pos, tok, denom in _tokens(unit):
        if denom:
            continue
        if tok == "ns":
            edits.append((pos, 2, "sec"))
            factor /= 1e9
        elif tok == "MB":
            edits.append((pos, 2, "B"))
            factor *= 1e6
    for pos, length, repl in reversed(edits):
        unit = unit[:pos] + repl + unit[pos + length :]
    return unit, factor


def tidy(value: float, unit: str) -> tuple[float, str]:
    """Tidy one measurement: ``(1500, "ns/op")`` -> ``(1.5e-06, "sec/op")``."""
    tidied, factor = tidy_unit(unit)
    return value * factor, tidied


def is_binary(unit: str) -> bool:
    """True when the unit counts bytes (scaled with Ki/Mi rather than k/M)."""
    return any(tok in ("B", "MB", "bytes") and not denom for _, tok, denom in _tokens(unit))


def direction(unit: str, declared: str | None = None) -> Better | None:
    """Which way is better for a tidied unit; ``declared`` is ``Unit X better=...``."""
    if declared is not None:
        low = declared.strip().lower()
        if low in ("higher", "lower"):
            return "higher" if low == "higher" else "lower"
        return None
    if unit in ("sec/op", "B/op", "allocs/op"):
        return "lower"
    toks = _tokens(unit)
    if not toks:
        return None
    num = [t for _, t, d in toks if not d]
    den = [t for _, t, d in toks if d]
    if den in (["s"], ["sec"]):
        return "higher"  # a rate: B/s, requests/s
    if num and num[0] in ("sec", "s", "ms", "us", "µs", "B", "bytes", "allocs"):
        return "lower"  # time or memory per something
    return None


_SI = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n")]
_IEC = [(2.0**40, "Ti"), (2.0**30, "Gi"), (2.0**20, "Mi"), (2.0**10, "Ki"), (1.0, "")]


def scale(value: float, unit: str) -> str:
    """Format with 4 significant digits and an SI (or IEC for bytes) prefix: ``12.50n``."""
    if value == 0 or math.isnan(value) or math.isinf(value):
        return "0.000" if value == 0 else str(value)
    table = _IEC if is_binary(unit) else _SI
    mag = abs(value)
    factor, prefix = table[-1]
    for f, p in table:
        if mag >= f * 0.99995:
            factor, prefix = f, p
            break
    scaled = value / factor
    a = abs(scaled)
    prec = 1 if a >= 99.995 else 2 if a >= 9.9995 else 3 if a >= 0.99995 else 4
    if a < 0.099995:
        prec = min(8, 3 + max(0, -math.floor(math.log10(a))))
    return f"{scaled:.{prec}f}{prefix}"
