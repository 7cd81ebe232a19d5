"""What ``goperf_bench`` does, and what it shares with ``goperf_capture`` (python_capture.py).

The YAML gate's bench rounds and load window, from Python.

Both turn their keyword arguments into the goperf.yaml a YAML user would
write, saved in the test's artifacts folder (``goperf_bench.yaml``,
``goperf_capture.yaml``) and read by the same loader, so every value is
checked exactly as in YAML and an error names that file, line and key.
Then the same machinery runs: ``GateRun.bench`` (builds, interleaved
rounds, comparison) and ``run_window`` (load, CPU profile, trace, heap and
goroutine samples).  Nothing here measures or judges on its own.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pytest_goperf.config import GoperfConfig, load_config
from pytest_goperf.errors import GoperfError

if TYPE_CHECKING:
    from pytest_goperf.bench.compare import Comparison
    from pytest_goperf.go.build import BuiltSide

Progress = Callable[[str], None]


def write_config(doc: dict[str, Any], where: Path) -> GoperfConfig:
    """Save ``doc`` as a goperf.yaml and read it back with the YAML gate's own loader and checks."""
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(f"# written by {where.stem}(): the YAML equivalent of its arguments\n"
                     + yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return load_config(where)


def resolve_from(path: str | Path, base: Path) -> Path:
    return (base / path).resolve()


def numbered_folder(folder: Path, stem: str, calls: int) -> Path:
    """``stem`` for a test's first call, ``stem-2`` for its second...; emptied first.

    A folder left by an earlier session would otherwise mix its files with this run's.
    """
    path = folder / (stem if calls == 1 else f"{stem}-{calls}")
    shutil.rmtree(path, ignore_errors=True)
    return path


# --- goperf_bench --------------------------------------------------------------


@dataclass(frozen=True)
class BenchResult:
    """Both sides' interleaved rounds: ``.comparison`` for ``assert_no_regression`` / ``assert_improvement``.

    ``old_txt`` / ``new_txt`` are plain ``go test -bench`` output
    (``benchstat old.txt new.txt`` reads them); ``old`` / ``new`` are the
    builds (``None`` for a ``file:`` baseline or a cached ``git:`` one).
    """

    comparison: Comparison
    old_txt: Path
    new_txt: Path
    baseline: str
    candidate: str
    rounds: int
    artifacts: Path
    config: Path                      # the goperf_bench.yaml these arguments became
    old: BuiltSide | None
    new: BuiltSide
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        rows = []
        for r in self.comparison.rows[:8]:
            change = "~" if r.delta_pct is None or not r.significant else f"{r.delta_pct:+.1f}%"
            p = "" if r.p_value is None else f" p={r.p_value:.3g}"
            rows.append(f"  {r.benchmark} {r.unit}: {change}{p}")
        more = len(self.comparison.rows) - len(rows)
        return (f"BenchResult({self.baseline} vs {self.candidate}, {self.rounds} rounds, "
                f"{len(self.comparison.rows)} rows\n  old.txt: {self.old_txt}\n  new.txt: {self.new_txt}\n"
                + "\n".join(rows) + (f"\n  ... {more} more" if more > 0 else "") + ")")


class GoperfBench:
    """The ``goperf_bench`` fixture: build both sides, run the YAML gate's interleaved rounds, compare.

    Example::

        @pytest.mark.goperf
        def test_pgo(goperf_bench):
            result = goperf_bench(".", bench="HandleRequest", packages=["."], count=6, benchtime="200ms")
            assert_no_regression(result.comparison, max_regression="5%")
    """

    def __init__(self, artifacts: Path, base: Path, progress: Progress = lambda _m: None) -> None:
        self.artifacts = artifacts
        self.base = base              # relative paths are relative to this (the test file's folder)
        self.progress = progress
        self.calls = 0

    def __repr__(self) -> str:
        return f"goperf_bench(artifacts in {self.artifacts}, paths relative to {self.base})"

    def __call__(self, module: str | Path, *, bench: str = ".", packages: Sequence[str] = ("./...",),
                 count: int | str = 6, benchtime: str = "1s", baseline: str = "pgo-off", candidate: str = "pgo",
                 main: str = ".", build_flags: Sequence[str] = (), worktree_copy: Sequence[str] = (),
                 bench_options: Mapping[str, Any] | None = None) -> BenchResult:
        """Build both sides and run ``count`` interleaved rounds, as ``thresholds.bench`` does in YAML.

        Relative ``module`` and ``file:`` paths are relative to the test
        file's folder.  ``baseline``: ``pgo-off``, ``git:<ref>`` or
        ``file:<old.txt>``; ``candidate``: ``pgo`` or ``worktree``.
        ``bench_options``: any other key of the YAML ``bench:`` section
        (``{"gomaxprocs_mismatch": "refuse"}``), checked by the same loader.
        """
        section: dict[str, Any] = {"packages": list(packages), "bench": bench, "count": count, "benchtime": benchtime,
                                   "baseline": baseline, "candidate": candidate, "worktree_copy": list(worktree_copy),
                                   **(bench_options or {})}
        return _run_bench(self, module, section, main=main, build_flags=build_flags)


def _run_bench(fx: GoperfBench, module: str | Path, section: dict[str, Any], *, main: str,
               build_flags: Sequence[str]) -> BenchResult:
    """The arguments as a goperf.yaml, then ``GateRun.bench``: builds, rounds, comparison."""
    from pytest_goperf.run.gate_run import GateRun

    mod = resolve_from(module, fx.base)
    if str(section["baseline"]).startswith("file:"):
        section["baseline"] = f"file:{resolve_from(str(section['baseline'])[5:], fx.base)}"
    fx.calls += 1
    folder = numbered_folder(fx.artifacts, "bench", fx.calls)
    doc: dict[str, Any] = {
        "service": {"name": mod.name, "module": str(mod), "main": main, "build_flags": list(build_flags)},
        "bench": section,
        # The bench gate's defaults: its count check runs now, before anything is built.
        "thresholds": {"bench": {}},
    }
    cfg = write_config(doc, folder / "goperf_bench.yaml")
    outcome = GateRun(cfg, folder, fx.progress).bench()
    # The sides are named by their files, as the YAML gate's messages name them (and "benchstat old new" works).
    comparison = dataclasses.replace(outcome.comparison, old_name=str(folder / "old.txt"),
                                     new_name=str(outcome.outputs.new))
    return BenchResult(comparison=comparison, old_txt=folder / "old.txt", new_txt=outcome.outputs.new,
                       baseline=cfg.bench.baseline, candidate=cfg.bench.candidate, rounds=outcome.outputs.rounds,
                       artifacts=folder, config=cfg.path, old=outcome.old, new=outcome.new, notes=outcome.notes)


# --- failures in Python tests ----------------------------------------------------


def failure_text(test_file: Path, error: BaseException, frames: Sequence[tuple[Path, int]]) -> str | None:
    """``<test file>:<line>: <message>`` for a gate failure or a goperf error, as the YAML gates print them.

    ``frames`` are the traceback's (path, 0-based line) entries; the last one
    in ``test_file`` is the line that called the helper.  Anything else (a
    bug, a plain assert) keeps pytest's own report: None.
    """
    from pytest_goperf.gates.verdict import GateFailed

    if not isinstance(error, (GoperfError, GateFailed)):
        return None
    lines = [line for path, line in frames if path == test_file]
    where = f"{test_file}:{lines[-1] + 1}: " if lines else ""
    return f"{where}{error}"
