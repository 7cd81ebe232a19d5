"""``goperf compare OLD NEW --junit FILE``: a benchstat-style comparison as JUnit, for CI test tabs.

For teams that run ``go test -bench`` outside pytest: one testcase per
benchmark and unit, failing where ``--max-regression`` judged a regression,
and the run's facts as suite properties -- Go version, GOOS/GOARCH and CPU
(from the benchmark files' own ``goos:``/``goarch:``/``cpu:`` lines),
GOMAXPROCS (the ``-N`` suffix of the benchmark names) and the git commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_goperf.report.environment import environment
from pytest_goperf.report.junit_suites import compare_suite, write_suites

_PROCS = re.compile(r"-(\d+)$")


def gomaxprocs(names: list[str]) -> str | None:
    """The GOMAXPROCS the benchmarks ran with, from their ``-N`` name suffix (``2`` or ``2,4``)."""
    found = sorted({int(m.group(1)) for n in names if (m := _PROCS.search(n))})
    return ",".join(map(str, found)) or None


def suite_properties(old: str, new: str, new_file: Any) -> dict[str, Any]:
    configs: dict[str, str] = {}
    for cfg in new_file.configs:
        for key in ("goos", "goarch", "cpu", "pkg"):
            if cfg.get(key):
                configs.setdefault(key, cfg[key])
    env = environment(Path(new).resolve().parent, configs)
    props: dict[str, Any] = {
        "go_version": env.get("go_version"), "goos": env.get("goos"), "goarch": env.get("goarch"),
        "cpu": env.get("cpu"), "gomaxprocs": gomaxprocs([name for _, name, _ in new_file.series]),
        "pkg": configs.get("pkg"), "commit": env.get("commit"), "old": old, "new": new,
    }
    return {k: v for k, v in props.items() if v not in (None, "")}


def measured_seconds(path: str | Path) -> dict[tuple[str, str], float]:
    """Per (package, benchmark): iterations x sec/op summed over the file's result lines.

    The benchmark reader keeps values per unit, not iteration counts, so
    this one cheap pass over the text gives the testcase times.
    """
    out: dict[tuple[str, str], float] = {}
    pkg = ""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("pkg:"):
                pkg = line[4:].strip()
                continue
            if not line.startswith("Benchmark"):
                continue
            fields = line.split()
            if len(fields) < 4 or not fields[1].isdigit():
                continue
            for value, unit in zip(fields[2::2], fields[3::2]):
                if unit == "ns/op":
                    try:
                        ns = float(value)
                    except ValueError:
                        break
                    key = (pkg, fields[0][9:])
                    out[key] = out.get(key, 0.0) + int(fields[1]) * ns * 1e-9
                    break
    return out


def write_compare_junit(comparison: Any, verdicts: Mapping[tuple[str, str, str], Any] | None, old: str, new: str,
                        path: str | Path) -> None:
    from pytest_goperf.bench.format import read_file

    new_file = read_file(new)
    props = suite_properties(old, new, new_file)
    suite = compare_suite(comparison, verdicts, props, measured_seconds(new),
                          str(props.get("pkg") or "goperf.compare"))
    write_suites([suite], Path(path), "goperf compare")
