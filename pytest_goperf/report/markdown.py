"""Markdown for a GitHub job summary or a pull-request comment: failures first, tables folded.

Why blocks: GitHub refuses a step summary above 1 MiB and a comment above
65,536 characters.  The text is built from whole blocks (headline,
failures, one folded block per service) and cut between blocks, so a cut
summary is still valid Markdown with every ``<details>`` closed, and it
ends with a note saying what was left out.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from pytest_goperf.report.records import (
    GateRecord,
    RunRecord,
    ServiceRecord,
    service_order,
)
from pytest_goperf.report.terminal import MARKS

STEP_SUMMARY_LIMIT = 1024 * 1024 - 16 * 1024    # GitHub: 1 MiB per step; leave room for the other steps' lines
COMMENT_LIMIT = 65_536                          # GitHub: characters in an issue or pull-request comment
MESSAGE_LIMIT = 8_000                           # one failure's folded message


def _cell(text: str) -> str:
    """A table cell: one line, pipes escaped, HTML-significant characters escaped."""
    return html.escape(" ".join(text.split())).replace("|", "\\|") or " "


def _fence(text: str) -> str:
    body = text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + "\n… (cut; the full text is in the JSON results)"
    fence = "````" if "```" in body else "```"
    return f"{fence}text\n{body.rstrip()}\n{fence}"


def _details(summary: str, body: str, open_: bool = False) -> str:
    return f"<details{' open' if open_ else ''}><summary>{summary}</summary>\n\n{body.rstrip()}\n\n</details>\n"


def _title(run: RunRecord) -> str:
    mark = "✗" if run.failed else "✓"
    return f"## goperf {mark} {run.totals_line()}\n"


def _environment(run: RunRecord) -> str:
    e = run.environment
    parts = [str(e[k]) for k in ("go_version",) if e.get(k)]
    if e.get("goos") and e.get("goarch"):
        parts.append(f"{e['goos']}/{e['goarch']}")
    if e.get("cpu"):
        parts.append(str(e["cpu"]))
    if e.get("gomaxprocs"):
        parts.append(f"GOMAXPROCS={e['gomaxprocs']}")
    if e.get("commit"):
        parts.append(f"commit {str(e['commit'])[:12]}")
    shards = run.shards
    if shards:
        parts.append(f"{len(shards)} shard(s) of {shards[0].get('total', '?')}")
    return ("<sub>" + html.escape(" · ".join(parts)) + "</sub>\n") if parts else ""


def _failure(svc: ServiceRecord, g: GateRecord) -> str:
    threshold = f" (threshold: {_cell(g.expression)})" if g.expression else ""
    line = f"- ✗ **{_cell(svc.name)}** `{g.test}`: {_cell(g.headline)}{threshold}\n"
    return line + _details("full message", _fence(g.message)) if g.message.strip() != g.headline.strip() else line


def _failures(services: Iterable[ServiceRecord]) -> list[str]:
    """The failures section as blocks: its heading, then one block per failure (cut between them)."""
    blocks = []
    for svc in services:
        if svc.error is not None:
            blocks.append(f"- ✗ **{_cell(svc.name)}** (`{svc.config}`): {_cell(svc.error.splitlines()[0])}\n"
                          + _details("full message", _fence(svc.error)))
        blocks += [_failure(svc, g) for g in svc.gates if g.outcome == "failed"]
    return ["### Failures\n\n", *blocks, "\n"] if blocks else []


def gate_table(gates: Iterable[GateRecord]) -> str:
    rows = ["| | test | threshold | measured |", "|---|---|---|---|"]
    for g in gates:
        value = g.headline if g.outcome != "passed" else (g.measured or g.headline)
        if g.outcome == "skipped":
            value = f"skipped: {value}"
        rows.append(f"| {MARKS.get(g.outcome, '?')} | `{g.test}` | {_cell(g.expression or '-')} | {_cell(value)} |")
    return "\n".join(rows) + "\n"


def _service(svc: ServiceRecord) -> str:
    counts = {o: sum(1 for g in svc.gates if g.outcome == o) for o in ("failed", "passed", "skipped")}
    summary = (f"{MARKS.get(svc.outcome, '?')} <b>{html.escape(svc.name)}</b> <code>{html.escape(svc.config)}</code>: "
               + ", ".join(f"{n} {o}" for o, n in counts.items() if n))
    body = gate_table(svc.gates) if svc.gates else "_no test ran_\n"
    if svc.bench is not None and svc.bench.get("table"):
        body += "\n" + _details(f"benchstat: {html.escape(str(svc.bench.get('old')))} vs "
                                f"{html.escape(str(svc.bench.get('new')))}", _fence(str(svc.bench["table"])))
    if svc.notes:
        body += "\n" + "\n".join(f"- {_cell(n)}" for n in svc.notes) + "\n"
    return _details(summary, body, open_=svc.outcome == "failed")


def render(run: RunRecord, limit: int = STEP_SUMMARY_LIMIT) -> str:
    """The summary, at most ``limit`` bytes (UTF-8): headline and failures first, services folded after."""
    services = service_order(run.services)
    head = _title(run) + _environment(run) + "\n"
    if run.interrupted:
        head += "> [!WARNING]\n> The run was interrupted: this summary holds only the tests that finished.\n\n"
    for note in run.notes:
        head += f"> {_cell(note)}\n\n"
    blocks = [head, *_failures(services), *(_service(s) + "\n" for s in services)]
    out: list[str] = []
    size = 0
    for i, block in enumerate(blocks):
        cost = len(block.encode("utf-8"))
        note = _cut_note(len(blocks) - i, sum(len(b.encode("utf-8")) for b in blocks), limit)
        if size + cost + len(note.encode("utf-8")) > limit:
            out.append(note if size + len(note.encode("utf-8")) <= limit else "")
            break
        out.append(block)
        size += cost
    return "".join(out)


def _cut_note(left: int, full: int, limit: int) -> str:
    return (f"\n> [!NOTE]\n> Cut: {left} more block(s) left out. The whole summary is {full / 1024:.0f} KiB, "
            f"above the {limit / 1024:.0f} KiB this place allows; the JSON results and HTML report hold everything.\n")
