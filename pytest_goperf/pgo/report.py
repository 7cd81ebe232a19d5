"""The refresh report: plain lines for the terminal, Markdown for a pull request.

A scheduled job (``goperf pgo refresh --summary pr.md`` or
``pytest --goperf --goperf-update-pgo``) commits the new ``default.pgo`` and
opens a pull request whose body is this Markdown: where the profile came
from, what moved, the compiler decisions it drives, and every diagnostic.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_goperf.pgo.change import ProfileChange
from pytest_goperf.pgo.diagnose import Finding, PgoEvidence


def refresh_lines(change: ProfileChange, source: str, evidence: PgoEvidence | None,
                  found: Sequence[Finding]) -> list[str]:
    out = [f"default.pgo refreshed from {source}", *change.lines()]
    if evidence is not None and evidence.decisions is not None:
        out.append(f"compiler: {evidence.decisions.summary()}")
    out.extend(f"warning: {f.message}" for f in found)
    out.extend(change.notes)
    return out


def refresh_markdown(change: ProfileChange, source: str, go_label: str, evidence: PgoEvidence | None,
                     found: Sequence[Finding], command: str) -> str:
    size = (f"{change.old_size:,} → {change.new_size:,} bytes" if change.old_size is not None
            else f"new file, {change.new_size:,} bytes")
    samples = (f"{change.old_samples:,} → {change.new_samples:,}" if change.old_samples is not None
               else f"{change.new_samples:,}")
    lines = [
        "## Refresh `default.pgo`",
        "",
        f"Profile `{change.path}` refreshed from {source}.",
        "",
        "| | |",
        "|---|---|",
        f"| size | {size} |",
        f"| CPU samples | {samples} |",
        "| weight that moved | " + (f"{change.moved_share * 100:.1f}%" if change.moved_share is not None
                                     else "n/a (no comparable previous profile)") + " |",
        f"| Go of the profiled binary | {go_label} |",
    ]
    if evidence is not None and evidence.decisions is not None:
        d = evidence.decisions
        lines.append(f"| compiler decisions | {len(d.inlined)} hot call sites inlined, {len(d.devirtualized)} "
                     "devirtualized because of the profile |")
    if evidence is not None and evidence.staleness is not None:
        lines.append(f"| stale share (current code) | {evidence.staleness.share * 100:.1f}% |")
    if change.old_problem:
        lines += ["", f"The previous file could not be compared: {change.old_problem}"]
    lines += ["", "### Top functions (flat CPU share)", "", change.markdown_table(), ""]
    if found:
        lines += ["### Diagnostics", "", *(f"- {f.message}" for f in found), ""]
    else:
        lines += ["No diagnostic fired: the profile is a CPU profile of this program with enough samples.", ""]
    if evidence is not None and evidence.decisions is not None and evidence.decisions.total:
        shown = [*evidence.decisions.inlined, *evidence.decisions.devirtualized][:20]
        lines += ["<details><summary>Call sites the profile changes</summary>", "", "```",
                  *(d.describe() for d in shown), "```", "</details>", ""]
    lines += [f"Made by `{command}`.", ""]
    return "\n".join(lines)
