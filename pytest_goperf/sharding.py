"""``--goperf-shard K/N``: which goperf.yaml files this CI job measures.

Every job must pick the same split without talking to the others, so the
choice depends only on the file's path (relative to the rootdir, with
forward slashes: the same on every machine) and, when ``--goperf-durations``
names a previous run's results, on those durations:

- a file listed in the durations goes where the longest-first greedy
  split of all listed files puts it (each file to the shard with the least
  total so far; ties to the lower shard);
- any other file goes to shard ``sha256(path) mod N + 1``.

A stale durations file only makes the split less even, never inconsistent;
a missing one (the first run, an empty CI cache) means the hash split.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pytest_goperf.errors import ConfigError, GoperfError

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int                                   # 1-based
    total: int
    durations: Mapping[str, float] = field(default_factory=dict)
    durations_file: str | None = None
    durations_missing: bool = False              # the file was named but is not there (a first run in CI)

    @functools.cached_property
    def plan(self) -> dict[str, int]:
        return balanced(self.durations, self.total)

    def owner(self, key: str) -> int:
        """The shard (1-based) that measures the goperf.yaml at ``key``."""
        return self.plan[key] if key in self.plan else hashed(key, self.total)

    def describe(self) -> str:
        if self.durations_missing:
            how = f"split by path hash ({self.durations_file} does not exist yet)"
        else:
            how = f"balanced by the durations in {self.durations_file}" if self.durations_file else "split by path hash"
        return f"shard {self.index}/{self.total}, {how}"


def parse_shard(text: str) -> tuple[int, int]:
    m = _SPEC.match(text or "")
    if m is None or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise ConfigError(f"--goperf-shard {text!r}: write K/N with 1 <= K <= N, e.g. --goperf-shard 2/4")
    return int(m.group(1)), int(m.group(2))


def hashed(key: str, total: int) -> int:
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % total + 1


def balanced(durations: Mapping[str, float], total: int) -> dict[str, int]:
    """Longest first, each file to the least loaded shard: the same answer on every machine."""
    loads = [0.0] * total
    out: dict[str, int] = {}
    for key, seconds in sorted(durations.items(), key=lambda kv: (-kv[1], kv[0])):
        k = min(range(total), key=lambda i: (loads[i], i))
        loads[k] += max(seconds, 0.0)
        out[key] = k + 1
    return out


def read_durations(path: Path) -> dict[str, float]:
    """Per goperf.yaml, the seconds it took: from goperf-results/1 JSON (one run's, or merged)."""
    from pytest_goperf.report.records import read_json

    try:
        run = read_json(path)
    except GoperfError as exc:
        raise ConfigError(f"--goperf-durations: {exc}") from None
    return {svc.config: svc.duration_s for svc in run.services if svc.duration_s > 0}


def make_shard(spec: str, durations: Path | None, shown: str | None = None) -> Shard:
    """The shard; a durations file that does not exist yet (the first run, an empty CI cache) splits by hash.

    ``shown`` is the durations path as the user wrote it, for messages.
    """
    index, total = parse_shard(spec)
    if durations is None:
        return Shard(index, total)
    name = shown or str(durations)
    if not durations.exists():
        return Shard(index, total, {}, name, durations_missing=True)
    return Shard(index, total, read_durations(durations), name)
