"""``{addr}``-style placeholders in a service's args, env values and rendered files.

One definition, used twice: by config.py to refuse an unknown name at load
time (before any build), and by the service lifecycle to fill in the free
ports it picked.  ``{name}`` is a placeholder when ``name`` is a word;
``{{name}}`` writes a literal ``{name}``; ``${NAME}`` (shell and many config
formats) and JSON braces are left alone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

NAMES = ("addr", "host", "port", "debug_addr", "debug_port", "url")
DEBUG_NAMES = frozenset({"debug_addr", "debug_port"})
# An escaped {{name}} first, else a bare {name} not written as ${name}.
_TOKEN = re.compile(r"\{\{([A-Za-z_]\w*)\}\}|(?<!\$)\{([A-Za-z_]\w*)\}")


def valid_list() -> str:
    return ", ".join("{" + n + "}" for n in NAMES)


def names_in(text: str) -> list[str]:
    """The placeholder names ``text`` uses (escaped ``{{name}}`` excluded), in order."""
    return [m.group(2) for m in _TOKEN.finditer(text) if m.group(2) is not None]


def unknown_message(text: str) -> str | None:
    """Why ``text`` cannot be expanded (an unknown placeholder), or None."""
    for name in names_in(text):
        if name not in NAMES:
            close = difflib.get_close_matches(name, NAMES, n=1)
            hint = f"did you mean {{{close[0]}}}? " if close else ""
            return (f"unknown placeholder {{{name}}}; {hint}valid placeholders: {valid_list()} "
                    f"(write {{{{{name}}}}} for a literal {{{name}}})")
    return None


def uses_debug(texts: Iterable[str]) -> bool:
    """True when any text asks for a separate debug listener (``{debug_addr}`` / ``{debug_port}``)."""
    return any(name in DEBUG_NAMES for text in texts for name in names_in(text))


def expand(text: str, values: Mapping[str, str]) -> str:
    """Fill in every placeholder; ``{{name}}`` becomes ``{name}``.  Unknown names raise KeyError."""

    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return "{" + m.group(1) + "}"
        return values[m.group(2)]

    return _TOKEN.sub(one, text)


@dataclass(frozen=True)
class Endpoints:
    """Where the started service listens: the API port and, if asked for, a separate debug port."""

    host: str
    port: int
    debug_port: int | None = None

    @property
    def addr(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.addr}"

    @property
    def debug_addr(self) -> str | None:
        return f"{self.host}:{self.debug_port}" if self.debug_port is not None else None

    def values(self) -> dict[str, str]:
        """Each placeholder's text; the debug ones are empty when no debug port was allocated."""
        return {"addr": self.addr, "host": self.host, "port": str(self.port), "url": self.url,
                "debug_addr": self.debug_addr or "",
                "debug_port": str(self.debug_port) if self.debug_port is not None else ""}
