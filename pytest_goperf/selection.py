"""Can any bench test of a service be selected?  Decided before its rounds run.

Bench rows become test ids only after the rounds (a row is what the
benchmarks printed), so the rounds run during collection.  They are skipped
when pytest's own selection would deselect every bench row anyway:

- ``-k EXPR``: the expression is false whatever the unknown row name is
  (it is evaluated for every truth value of the words no known name matches);
- ``--deselect PREFIX``: a prefix covers ``<file>::<service>::bench``;
- ``--lf``: failures are recorded inside the session's paths, none of them a
  bench row of this service (pytest then runs only those failures).

Anything else (``-m``, ``--ff``, plugins that reorder or filter) runs the rounds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest


def _matcher(names: list[str], assigned: dict[str, bool]) -> Any:
    """-k's matcher for one assignment of the unknown words: a word in a known name is true."""

    def matcher(word: str, /, **_kw: Any) -> bool:
        w = word.lower()
        if any(w in n for n in names):
            return True
        if w not in assigned:
            raise _Branch(w)
        return assigned[w]

    return matcher


class _Branch(Exception):
    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


def keyword_may_match(expression: str, known_names: Iterable[str]) -> bool:
    """Whether ``-k expression`` can be true for an item whose other names are unknown.

    A word that is a substring of a known name is true; any other word could
    still be a substring of the unknown name, so both values are tried.
    """
    try:
        from _pytest.mark.expression import Expression
    except ImportError:  # pragma: no cover - private API moved: be conservative
        return True
    try:
        expr = Expression.compile(expression)
    except SyntaxError:
        return True  # pytest reports the bad expression itself
    names = [n.lower() for n in known_names]
    pending: list[dict[str, bool]] = [{}]
    while pending:
        assigned = pending.pop()
        try:
            if expr.evaluate(_matcher(names, assigned)):
                return True
        except _Branch as branch:
            pending.append({**assigned, branch.word: False})
            pending.append({**assigned, branch.word: True})
    return False


def _chain_names(node: pytest.Collector) -> list[str]:
    """The names ``-k`` sees for a child of ``node``: every ancestor but the session and the root folder."""
    names = []
    for n in node.listchain():
        if isinstance(n, pytest.Session):
            continue
        if isinstance(n, pytest.Dir | pytest.Directory) and isinstance(n.parent, pytest.Session):
            continue
        names.append(n.name)
    return names


def _lastfailed_prevents(config: pytest.Config, service_id: str, in_session: Callable[[Path], bool]) -> bool:
    if not config.getoption("lf", False) or config.cache is None:
        return False
    failed = [str(k) for k in config.cache.get("cache/lastfailed", {})]
    if any(k.startswith(f"{service_id}::bench") for k in failed):
        return False
    # pytest runs everything when no recorded failure lies in this run's paths ("not in selected tests").
    return any(in_session(config.rootpath / k.split("::", 1)[0]) for k in failed)


def bench_may_be_selected(service: pytest.Collector) -> tuple[bool, str]:
    """(whether the bench rounds must run, why not) for one ``<file>::<service>`` collector."""
    config = service.config
    prefix = f"{service.nodeid}::bench["
    for deselected in config.getoption("deselect", None) or ():
        if prefix.startswith(str(deselected)):
            return False, f"--deselect {deselected}"
    keyword = (config.getoption("keyword", "") or "").strip()
    if keyword and not keyword_may_match(keyword, [*_chain_names(service), "bench"]):
        return False, f"-k {keyword!r} selects none of its bench rows"

    def in_session(path: Path) -> bool:
        return any(path == arg or arg in path.parents for arg in _initial_paths(config))

    if _lastfailed_prevents(config, service.nodeid, in_session):
        return False, "--lf: none of its bench rows failed last time"
    return True, ""


def _initial_paths(config: pytest.Config) -> list[Path]:
    base = Path(config.invocation_params.dir)
    return [(base / a.split("::", 1)[0]).resolve() for a in (config.args or ["."])]
