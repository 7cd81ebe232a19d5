"""Combine the JSON results of CI shards (``--goperf-shard K/N``) into one run.

Why checked so strictly: a merged summary is what a team reads, so a shard
that never reported must not make it look green.  Missing shards, a service
judged by two shards, and shards measured on different machines or
toolchains become notes (the first two also fail the merge).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pytest_goperf.errors import InputError
from pytest_goperf.report.records import SCHEMA, RunRecord, read_json

_COMPARED = ("go_version", "goos", "goarch", "cpu")


def find_results(paths: Sequence[Path]) -> list[Path]:
    """The given files, and every goperf-results/1 JSON file under the given folders (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*.json") if p.is_file() and _is_results(p))
            if not inside:
                raise InputError(f"{path}: no {SCHEMA} JSON file in this folder (written by pytest --goperf-json)")
            found += inside
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return found


def _is_results(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(4096)
    except OSError:
        return False
    return f'"schema": "{SCHEMA}"' in head


def merge(files: Sequence[Path]) -> tuple[RunRecord, list[str]]:
    """(merged run, problems): problems are missing shards or a service judged twice; they fail the merge."""
    if not files:
        raise InputError(f"no results given: pass the {SCHEMA} files (or their folders) that pytest --goperf-json wrote")
    runs = [(path, read_json(path)) for path in files]
    merged = RunRecord(environment=dict(runs[0][1].environment), goperf_version=runs[0][1].goperf_version,
                       created=min((r.created for _, r in runs if r.created), default=""))
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path, run in runs:
        for svc in run.services:
            if svc.config in seen:
                problems.append(f"{svc.config} ({svc.name}) is in both {seen[svc.config]} and {path}: "
                                "each goperf.yaml belongs to one shard; check that every job uses the same N")
                continue
            seen[svc.config] = path
            merged.services.append(svc)
        merged.shards += [s for s in (run.shards or ([run.shard] if run.shard else [])) if s]
        merged.interrupted |= run.interrupted
        merged.notes += [n for n in run.notes if n not in merged.notes]
        for key in _COMPARED:
            mine, theirs = merged.environment.get(key), run.environment.get(key)
            if theirs is not None and mine is not None and theirs != mine:
                note = f"shards differ in {key}: {mine} ({files[0]}) vs {theirs} ({path})"
                if note not in merged.notes:
                    merged.notes.append(note)
    problems += _missing_shards(merged)
    merged.notes += problems
    merged.services.sort(key=lambda s: (s.config, s.name))
    return merged, problems


def _missing_shards(run: RunRecord) -> list[str]:
    totals = {int(s["total"]) for s in run.shards if s.get("total")}
    if not totals:
        return []
    if len(totals) > 1:
        return [(f"shards were split different ways (N = {', '.join(map(str, sorted(totals)))}): "
                 "every job must use the same --goperf-shard K/N")]
    n = totals.pop()
    indices = [int(s["index"]) for s in run.shards]
    missing = sorted(set(range(1, n + 1)) - set(indices))
    twice = sorted({i for i in indices if indices.count(i) > 1})
    out = []
    if missing:
        out.append(f"shard(s) {', '.join(f'{k}/{n}' for k in missing)} missing: their services were not judged "
                   "(did the job fail before writing --goperf-json, or was its artifact not downloaded?)")
    if twice:
        out.append(f"shard(s) {', '.join(f'{k}/{n}' for k in twice)} given more than once")
    return out
