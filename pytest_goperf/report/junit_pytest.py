"""pytest's own ``--junitxml`` file, amended so every CI viewer shows a goperf test's figures.

Three places, because viewers differ:

- the ``<failure message=...>`` is one line (GitLab shows only that): the
  plugin's failures carry a ``reprcrash`` whose message is the headline;
- ``key=value`` lines in the testcase's ``<system-out>`` (Jenkins shows them);
- the ``<properties>`` pytest writes from ``user_properties`` -- kept under
  ``junit_family=xunit1``; under ``xunit2`` (pytest's default) its schema
  allows no properties in a testcase, so they are moved into the
  ``<system-out>`` lines instead, and the file validates.

``time`` becomes the test's share of its service's measuring time (see
``collector._share_time``), so no goperf test shows 0.000 s.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_goperf.gates.verdict import Verdict
from pytest_goperf.report.collector import row_name
from pytest_goperf.report.expressions import first_line, headline
from pytest_goperf.report.records import GateRecord

if TYPE_CHECKING:
    from pytest_goperf.config import GoperfConfig


@dataclass(frozen=True)
class CrashLine:
    """What pytest reads as ``longrepr.reprcrash``: the one-line message and where."""

    path: str
    lineno: int
    message: str


class FailureRepr:
    """A goperf failure for pytest: the full text for the terminal, the headline as ``reprcrash.message``.

    pytest's JUnit writer takes ``reprcrash.message`` as the failure's
    ``message`` attribute and ``-ra`` shows it after the test id.
    """

    def __init__(self, text: str, headline: str, path: str, lineno: int = 0) -> None:
        self.text = text
        self.reprcrash = CrashLine(path, lineno, headline)

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


def failure_repr(text: str, verdict: Verdict | None, cfg: GoperfConfig, gate: str, key: tuple[str, ...] | None,
                 path: str, nodeid: str = "") -> FailureRepr:
    """A failing goperf test's repr: the broken limits as its one line, else the text's first line."""
    line = first_line(text)
    if isinstance(verdict, Verdict):
        threshold = cfg.thresholds.of(gate)
        line = headline("failed", gate, threshold, verdict.figures, verdict.message, row_name(key, nodeid),
                        key[-1] if key else None)
    return FailureRepr(text, line, path)


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def system_out(rec: GateRecord) -> str:
    """``key=value`` lines: outcome, threshold, measured value, every figure and warning."""
    lines = [f"goperf.outcome={rec.outcome}"]
    if rec.expression:
        lines.append(f"goperf.threshold={rec.expression}")
    if rec.measured:
        lines.append(f"goperf.measured={rec.measured}")
    lines.append(f"goperf.headline={_one_line(rec.headline)}")
    lines += [f"{name}={_one_line(value)}" for name, value in rec.figures.items() if value is not None]
    lines += [f"warning={_one_line(w)}" for w in rec.warnings]
    return "\n".join(lines) + "\n"


def amend(path: Path, records: Iterable[GateRecord], names: Callable[[str], tuple[str, str]], family: str) -> int:
    """Rewrite pytest's JUnit file in place; returns how many goperf testcases were amended."""
    tree = ET.parse(path)
    cases = {(tc.get("classname", ""), tc.get("name", "")): tc for tc in tree.getroot().iter("testcase")}
    amended = 0
    for rec in records:
        tc = cases.get(names(rec.nodeid))
        if tc is None:
            continue
        amended += 1
        tc.set("time", f"{rec.time_s:.3f}")
        if family != "xunit1":
            for props in tc.findall("properties"):
                tc.remove(props)
        ours = system_out(rec)
        existing = tc.find("system-out")
        if existing is not None:
            existing.text = ours + "\n" + (existing.text or "")
        else:
            ET.SubElement(tc, "system-out").text = ours
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>')
        f.write(ET.tostring(tree.getroot(), encoding="unicode"))
    os.replace(tmp, path)
    return amended
