"""Function-name patterns as Go engineers write them: ``*`` is the only wildcard, ``re:`` for a regexp.

Why not fnmatch: pprof names are full of brackets and parentheses
(``main.(*Ring[go.shape.int]).Push``).  fnmatch reads ``[...]`` as a character
class, so such a name could not be written at all, and ``(*T)`` matched only
because ``*`` happened to be a wildcard (it also matched ``main.(xT)``).  Here
every character but ``*`` is literal (and the ``*`` of a pointer receiver,
``(*``, is literal too), and the whole name must match.  A
pattern starting with ``re:`` is a Python regular expression searched in the
name, as ``go tool pprof -focus/-ignore`` do (anchor with ``^``/``$``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

REGEXP_PREFIX = "re:"
_RECEIVER = "(*"


@dataclass(frozen=True)
class FunctionPattern:
    """One compiled pattern; ``text`` is what the user wrote."""

    text: str
    regex: re.Pattern[str]

    def matches(self, function: str) -> bool:
        if self.text.startswith(REGEXP_PREFIX):
            return self.regex.search(function) is not None
        return self.regex.fullmatch(function) is not None


def compile_pattern(text: str) -> FunctionPattern:
    """Compile one pattern; ``ValueError`` says what is wrong with a bad ``re:`` one."""
    if text.startswith(REGEXP_PREFIX):
        try:
            return FunctionPattern(text, re.compile(text[len(REGEXP_PREFIX):]))
        except re.error as exc:
            raise ValueError(f"{text!r} is not a valid regular expression: {exc}") from None
    if not text:
        raise ValueError("an empty pattern matches no function")
    # "(*" is a pointer receiver as pprof prints it, never a wildcard: main.(*T).M must not match main.(xT).M.
    parts = text.replace(_RECEIVER, "\0").split("*")
    body = ".*".join(re.escape(part).replace("\0", re.escape(_RECEIVER)) for part in parts)
    return FunctionPattern(text, re.compile(body, re.DOTALL))


def compile_patterns(texts: Iterable[str]) -> tuple[FunctionPattern, ...]:
    return tuple(compile_pattern(t) for t in texts)


def pattern_problems(texts: Sequence[str]) -> list[str]:
    """Messages for patterns that cannot be compiled (for config checks)."""
    problems = []
    for t in texts:
        try:
            compile_pattern(t)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def matches_any(function: str, patterns: Sequence[FunctionPattern]) -> bool:
    return any(p.matches(function) for p in patterns)


def glob_reading_changed(text: str) -> bool:
    """True when fnmatch would have read ``text`` differently (``?`` or ``[...]``): worth a warning."""
    return not text.startswith(REGEXP_PREFIX) and ("?" in text or re.search(r"\[[^\]]*\]", text) is not None)
