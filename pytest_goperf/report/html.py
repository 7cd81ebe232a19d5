"""The HTML report: ``index.html``, ``style.css`` and one SVG per chart, no JavaScript, no inline style.

Why so plain: Jenkins serves archived files under a Content-Security-Policy
that blocks scripts and inline styles, and CI artifact viewers differ.
Charts are files linked with ``<img>``; folding uses ``<details>``; every
style lives in the stylesheet.  Each chart's caption states the verdict of
the gate it illustrates.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.report.records import (
    GateRecord,
    RunRecord,
    ServiceRecord,
    service_order,
)
from pytest_goperf.report.terminal import MARKS

STYLESHEET = Path(__file__).with_name("style.css")


@dataclass(frozen=True)
class Chart:
    key: str                                         # file name part
    title: str
    gate: str                                        # the gate whose verdict the caption states
    draw: Callable[[ServiceRecord], str | None]


def charts() -> tuple[Chart, ...]:
    from pytest_goperf.report import charts as c
    from pytest_goperf.report import charts_window as w

    return (
        Chart("bench", "Benchmarks: medians with 95% confidence intervals, both sides", "bench", c.bench_chart),
        Chart("latency-percentiles", "Request latency by percentile", "latency", w.latency_percentiles_chart),
        Chart("latency-histogram", "Request latency histogram", "latency", w.latency_histogram_chart),
        Chart("scheduler", "Scheduler latency distribution", "scheduler", w.scheduler_chart),
        Chart("gc-stw", "Stop-the-world pauses over time", "gc", w.stw_chart),
        Chart("heap", "Live heap under constant load", "heap", c.heap_chart),
        Chart("goroutines", "Goroutines under constant load", "goroutines", c.goroutines_chart),
        Chart("top", "Top functions by CPU (flat and cum)", "cpu", w.top_chart),
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def slug(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]+", "-", text).strip("-") or "service"


def verdict_caption(svc: ServiceRecord, gate: str) -> tuple[str, str]:
    """(css class, text): the verdict of ``gate`` for the chart's caption."""
    records = svc.gate(gate)
    if not records:
        return "none", f"not gated: no thresholds.{gate} in {svc.config}"
    if len(records) > 1 or records[0].row is not None:
        failed = [g for g in records if g.outcome == "failed"]
        skipped = [g for g in records if g.outcome == "skipped"]
        if failed:
            return "failed", f"{MARKS['failed']} {gate}: {len(failed)} of {len(records)} rows failed: {failed[0].headline}"
        if len(skipped) == len(records):
            return "skipped", f"{MARKS['skipped']} {gate}: all {len(records)} rows skipped: {skipped[0].headline}"
        text = f"{MARKS['passed']} {gate}: {len(records) - len(skipped)} rows passed"
        return "passed", text + (f", {len(skipped)} skipped" if skipped else "") + f" ({records[0].expression})"
    g = records[0]
    if g.outcome == "failed":
        return "failed", f"{MARKS['failed']} {gate} failed: {g.headline} (threshold: {g.expression})"
    if g.outcome == "skipped":
        return "skipped", f"{MARKS['skipped']} {gate} skipped: {g.headline}"
    return "passed", f"{MARKS['passed']} {gate} passed: {g.measured or g.headline} (threshold: {g.expression})"


def _gate_row(g: GateRecord) -> str:
    value = (g.measured or g.headline) if g.outcome == "passed" else g.headline
    message = ""
    if g.outcome != "passed" and g.message.strip() != g.headline.strip():
        message = f"<details><summary>message</summary><pre>{_e(g.message)}</pre></details>"
    warnings = ""
    if g.warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in g.warnings)
        warnings = (f"<details class=\"warning\"><summary>{len(g.warnings)} warning{'s' * (len(g.warnings) > 1)}"
                    f"</summary><ul>{items}</ul></details>")
    return (f"<tr class=\"{g.outcome}\"><td class=\"mark\">{MARKS.get(g.outcome, '?')}</td>"
            f"<td><code>{_e(g.test)}</code></td><td>{_e(g.expression or '-')}</td>"
            f"<td>{_e(value)}{message}{warnings}</td></tr>")


def _service(svc: ServiceRecord, chart_dir: Path, drawn: list[Path]) -> str:
    sid = slug(svc.name)
    parts = [f"<section id=\"{sid}\" class=\"service {svc.outcome}\">",
             (f"<h2><span class=\"mark\">{MARKS.get(svc.outcome, '?')}</span> {_e(svc.name)} "
              f"<code>{_e(svc.config)}</code></h2>")]
    if svc.error is not None:
        parts.append(f"<pre class=\"error\">{_e(svc.error)}</pre>")
    if svc.gates:
        parts.append("<table class=\"gates\"><thead><tr><th></th><th>test</th><th>threshold</th>"
                     "<th>measured</th></tr></thead><tbody>")
        parts += [_gate_row(g) for g in svc.gates]
        parts.append("</tbody></table>")
    figures = []
    for chart in charts():
        svg = chart.draw(svc)
        if svg is None:
            continue
        path = chart_dir / f"{sid}-{chart.key}.svg"
        path.write_text(svg, encoding="utf-8")
        drawn.append(path)
        css, caption = verdict_caption(svc, chart.gate)
        figures.append(f"<figure><img src=\"charts/{_e(path.name)}\" alt=\"{_e(chart.title)} of {_e(svc.name)}\">"
                       f"<figcaption><strong>{_e(chart.title)}</strong><span class=\"verdict {css}\">"
                       f"{_e(caption)}</span></figcaption></figure>")
    if figures:
        parts.append("<div class=\"charts\">" + "".join(figures) + "</div>")
    missing = (svc.charts or {}).get("missing") or {}
    parts += [f"<p class=\"note\">no {_e(k)} chart: {_e(v)}</p>" for k, v in missing.items()]
    if svc.bench and svc.bench.get("table"):
        parts.append(f"<details><summary>benchstat: {_e(svc.bench.get('old'))} vs {_e(svc.bench.get('new'))}"
                     f"</summary><pre>{_e(svc.bench['table'])}</pre></details>")
    if svc.notes:
        parts.append("<ul class=\"notes\">" + "".join(f"<li>{_e(n)}</li>" for n in svc.notes) + "</ul>")
    if svc.artifacts:
        parts.append(f"<p class=\"artifacts\">artifacts: <code>{_e(svc.artifacts)}</code></p>")
    parts.append("</section>")
    return "\n".join(parts)


def _environment(run: RunRecord) -> str:
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in run.environment.items())
    if run.shards:
        shards = ", ".join(f"{s.get('index')}/{s.get('total')}" for s in run.shards)
        rows += f"<tr><th>shards</th><td>{_e(shards)}</td></tr>"
    if run.created:
        rows += f"<tr><th>started</th><td>{_e(run.created)}</td></tr>"
    return f"<table class=\"environment\">{rows}</table>" if rows else ""


def render_page(run: RunRecord, sections: list[str], services: list[ServiceRecord]) -> str:
    status = "failed" if run.failed else "passed"
    nav = "".join(f"<li class=\"{s.outcome}\"><a href=\"#{slug(s.name)}\">{MARKS.get(s.outcome, '?')} {_e(s.name)}</a></li>"
                  for s in services)
    banner = ("<p class=\"banner\">The run was interrupted: this report holds only the tests that finished.</p>"
              if run.interrupted else "")
    notes = "".join(f"<p class=\"banner\">{_e(n)}</p>" for n in run.notes)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>goperf: {_e(run.totals_line())}</title><link rel=\"stylesheet\" href=\"style.css\"></head>\n"
            f"<body><header class=\"{status}\"><h1>goperf <span class=\"mark\">{MARKS[status]}</span> "
            f"{_e(run.totals_line())}</h1>{banner}{notes}{_environment(run)}"
            f"<nav><ul>{nav}</ul></nav></header>\n<main>\n" + "\n".join(sections) + "\n</main></body></html>\n")


def write_html(run: RunRecord, folder: Path) -> Path:
    """Write the report into ``folder`` (charts/ replaced); returns index.html."""
    folder.mkdir(parents=True, exist_ok=True)
    chart_dir = folder / "charts"
    if chart_dir.is_dir():
        shutil.rmtree(chart_dir)
    chart_dir.mkdir()
    services = service_order(run.services)
    drawn: list[Path] = []
    sections = [_service(s, chart_dir, drawn) for s in services]
    shutil.copyfile(STYLESHEET, folder / "style.css")
    index = folder / "index.html"
    tmp = folder / f".index.html.{os.getpid()}.tmp"
    tmp.write_text(render_page(run, sections, services), encoding="utf-8")
    os.replace(tmp, index)
    return index
