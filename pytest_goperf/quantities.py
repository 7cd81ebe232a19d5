"""Parse and format the quantities goperf.yaml speaks: Go durations, shares, sizes.

Durations follow Go's ``time.ParseDuration`` (``1.5s``, ``200us``, ``1h2m``);
shares are percentages (``30%``) or plain fractions; sizes take ``B``,
``KiB/MiB/GiB``, ``kB/MB/GB`` or plain byte counts.  Parsers raise
``ValueError`` with a short reason; callers add the file, line and key.
"""

from __future__ import annotations

import math
import re

_DURATION_UNITS: dict[str, float] = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")

_SIZE_UNITS: dict[str, int] = {
    "": 1, "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*([a-zA-Z]*)\s*$")


def parse_duration(text: str | int | float) -> float:
    """Return seconds for a Go duration string such as ``"1m30s"`` or ``"200us"``.

    A bare number is rejected (Go rejects it too, except ``0``) because
    ``timeout: 30`` is ambiguous between seconds and milliseconds.
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a duration like '200us' or '1.5s', got {text!r}")
    if isinstance(text, (int, float)):
        if text == 0:
            return 0.0
        raise ValueError(f"a duration needs a unit: write '{text}s' or '{text}ms'")
    s = text.strip()
    if s in ("0", "+0", "-0"):
        return 0.0
    sign = 1.0
    if s[:1] in ("+", "-"):
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if not s:
        raise ValueError(f"empty duration {text!r}")
    pos = 0
    total = 0.0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if m is None:
            raise ValueError(
                f"invalid duration {text!r}: use Go syntax with units ns, us, ms, s, m, h (e.g. '1.5s', '200us')"
            )
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    return sign * total


def parse_share(text: str | int | float) -> float:
    """Return a fraction for ``"30%"`` (0.30) or a plain fraction ``0.3``."""
    if isinstance(text, bool):
        raise ValueError(f"expected a share like '30%', got {text!r}")
    if isinstance(text, (int, float)):
        value = float(text)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"a plain share must be a fraction in [0, 1]; write '{text}%' for a percentage")
        return value
    s = text.strip()
    if not s.endswith("%"):
        raise ValueError(f"invalid share {text!r}: write a percentage such as '30%'")
    try:
        value = float(s[:-1]) / 100.0
    except ValueError:
        raise ValueError(f"invalid share {text!r}: write a percentage such as '30%'") from None
    if math.isnan(value) or value < 0:
        raise ValueError(f"invalid share {text!r}: must be a non-negative percentage")
    return value


def parse_rate_per_minute(text: str | int | float) -> float:
    """Return a fraction per minute for ``"5%/min"``, ``"1%/s"`` or ``"2%/h"``."""
    if not isinstance(text, str) or "/" not in text:
        raise ValueError(f"invalid growth rate {text!r}: write a share per time such as '5%/min'")
    share, _, per = text.partition("/")
    per = per.strip()
    minutes = {"s": 1 / 60, "sec": 1 / 60, "min": 1.0, "m": 1.0, "h": 60.0, "hour": 60.0}.get(per)
    if minutes is None:
        raise ValueError(f"invalid growth rate {text!r}: the time unit must be s, min or h")
    return parse_share(share) / minutes


def parse_size(text: str | int) -> int:
    """Return bytes for ``"64MiB"``, ``"10kB"`` or a plain byte count."""
    if isinstance(text, bool):
        raise ValueError(f"expected a size like '64MiB', got {text!r}")
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"a size cannot be negative: {text}")
        return text
    m = _SIZE.match(str(text))
    if m is None or m.group(2).lower() not in _SIZE_UNITS:
        raise ValueError(f"invalid size {text!r}: use bytes or B, KiB, MiB, GiB, kB, MB, GB")
    return int(float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()])


def format_duration(seconds: float) -> str:
    """Format seconds the way Go's ``time.Duration.String`` reads to a human (3 significant digits)."""
    a = abs(seconds)
    if a == 0:
        return "0s"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if a >= scale:
            return f"{seconds / scale:.4g}{unit}"
    return f"{seconds / 1e-9:.4g}ns"


def format_share(fraction: float) -> str:
    """Format a fraction as a percentage with two decimals, like pprof."""
    return f"{fraction * 100:.2f}%"
