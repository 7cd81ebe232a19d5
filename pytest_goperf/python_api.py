"""What ``goperf_bench`` and ``goperf_capture`` do: the YAML gate's bench rounds and load window, from Python.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from pytest_goperf.config import GoperfConfig, load_config
from pytest_goperf.errors import GoperfError

if TYPE_CHECKING:
    from pytest_goperf.bench.compare import Comparison
    from pytest_goperf.gates.health import WindowSeries
    from pytest_goperf.go.build import BuiltSide
    from pytest_goperf.load.model import LoadResult
    from pytest_goperf.pprof.model import Profile
    from pytest_goperf.run.evidence import WindowEvidence
    from pytest_goperf.run.window import Service, WindowResult
    from pytest_goperf.trace.model import TraceStats

Progress = Callable[[str], None]


def _write_config(doc: dict[str, Any], where: Path) -> GoperfConfig:
    """Save ``doc`` as a goperf.yaml and read it back with the YAML gate's own loader and checks."""
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(f"# written by {where.stem}(): the YAML equivalent of its arguments\n"
                     + yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return load_config(where)


def _absolute(path: str | Path, base: Path) -> Path:
    return (base / path).resolve()


def _numbered(folder: Path, stem: str) -> Path:
    """``stem``, then ``stem-2``, ``stem-3``: one folder per call within a test."""
    n = 1
    while (folder / (stem if n == 1 else f"{stem}-{n}")).exists():
        n += 1
    return folder / (stem if n == 1 else f"{stem}-{n}")


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


def run_bench(module: str | Path, artifacts: Path, *, base: Path, bench: str = ".",
              packages: Sequence[str] = ("./...",), count: int | str = 6, benchtime: str = "1s",
              baseline: str = "pgo-off", candidate: str = "pgo", main: str = ".",
              build_flags: Sequence[str] = (), worktree_copy: Sequence[str] = (),
              progress: Progress = lambda _m: None) -> BenchResult:
    """Build both sides and run ``count`` interleaved rounds, as ``thresholds.bench`` does in YAML.

    Relative ``module`` and ``file:`` paths are relative to ``base`` (the
    calling test file's folder).  ``baseline``: ``pgo-off``, ``git:<ref>`` or
    ``file:<old.txt>``; ``candidate``: ``pgo`` or ``worktree``.
    """
    from pytest_goperf.run.gate_run import GateRun

    mod = _absolute(module, base)
    if baseline.startswith("file:"):
        baseline = f"file:{_absolute(baseline[5:], base)}"
    folder = _numbered(artifacts, "bench")
    doc: dict[str, Any] = {
        "service": {"name": mod.name, "module": str(mod), "main": main, "build_flags": list(build_flags)},
        "bench": {"packages": list(packages), "bench": bench, "count": count, "benchtime": benchtime,
                  "baseline": baseline, "candidate": candidate, "worktree_copy": list(worktree_copy)},
        # The bench gate's defaults: its count check runs now, before anything is built.
        "thresholds": {"bench": {}},
    }
    cfg = _write_config(doc, folder / "goperf_bench.yaml")
    outcome = GateRun(cfg, folder, progress).bench()
    # The sides are named by their files, as the YAML gate's messages name them (and "benchstat old new" works).
    comparison = dataclasses.replace(outcome.comparison, old_name=str(folder / "old.txt"),
                                     new_name=str(outcome.outputs.new))
    return BenchResult(comparison=comparison, old_txt=folder / "old.txt", new_txt=outcome.outputs.new,
                       baseline=cfg.bench.baseline, candidate=cfg.bench.candidate, rounds=outcome.outputs.rounds,
                       artifacts=folder, config=cfg.path, old=outcome.old, new=outcome.new, notes=outcome.notes)


# --- goperf_capture ------------------------------------------------------------


class Capture:
    """One load window's results, each in the shape its ``assert_*`` helper takes.

    - ``.load``: the ``LoadResult`` (``assert_latency``)
    - ``.cpu``: the CPU profile (``assert_top_function_below``), ``.cpu_path`` its file
    - ``.trace``: the analysed trace (``assert_sched_latency_below``, ``assert_stw_below``,
      ``assert_blocks_below``), ``.trace_path`` its file
    - ``.heap`` / ``.goroutines``: the samples (``assert_heap_plateau``, ``assert_goroutines_stable``)
    - ``.artifacts``: the folder with all of it and ``window.json``

    A capture that failed raises its ``CaptureError`` when read, as the YAML gate would fail with it.
    """

    def __init__(self, window: WindowResult, config: Path, target: str) -> None:
        from pytest_goperf.run.evidence import WindowEvidence

        self.window = window
        self.config = config
        self.target = target
        self.evidence: WindowEvidence = WindowEvidence(window)

    @property
    def artifacts(self) -> Path:
        return self.window.artifacts

    @property
    def load(self) -> LoadResult | None:
        return self.window.load

    @property
    def cpu(self) -> Profile:
        return self.evidence.cpu_profile()[0]

    @property
    def cpu_path(self) -> Path:
        return self.window.require("cpu")

    @property
    def trace(self) -> TraceStats:
        return self.evidence.trace_stats()[0]

    @property
    def trace_path(self) -> Path:
        return self.window.require("trace")

    @property
    def heap(self) -> WindowSeries:
        from pytest_goperf.gates.health import WindowSeries

        return WindowSeries("heap", self.evidence)

    @property
    def goroutines(self) -> WindowSeries:
        from pytest_goperf.gates.health import WindowSeries

        return WindowSeries("goroutines", self.evidence)

    @property
    def errors(self) -> dict[str, str]:
        """Captures that failed, by name ("cpu", "trace", "series"), with why."""
        return dict(self.window.errors)

    def __repr__(self) -> str:
        w = self.window
        lines = [f"Capture({self.target}, {w.window_seconds:.1f}s window, artifacts {w.artifacts}"]
        if w.load is not None:
            lines.append(f"  load: {w.load.requests} requests at {w.load.achieved_rate:.0f}/s, p50 "
                         f"{w.load.p50 * 1e3:.2f}ms p99 {w.load.p99 * 1e3:.2f}ms max {w.load.max * 1e3:.2f}ms, "
                         f"error rate {w.load.error_rate:.2%}  ({w.load.path})")
        for name, path in (("cpu", w.cpu_profile), ("trace", w.trace), ("series", w.series_path)):
            if name in w.errors:
                lines.append(f"  {name}: failed: {w.errors[name]}")
            elif path is not None:
                extra = f" ({len(w.series.samples)} samples)" if name == "series" and w.series is not None else ""
                lines.append(f"  {name}: {path}{extra}")
        return "\n".join(lines) + ")"


def _target(service: Any) -> tuple[str, str | None, Service | None]:
    """(url, debug_url, the running service object or None) from what ``goperf_capture`` was given."""
    if isinstance(service, str):
        return service, None, None
    if isinstance(service, (tuple, list)) and len(service) == 2 and isinstance(service[0], str):
        return service[0], service[1], None
    url = getattr(service, "url", None)
    if isinstance(url, str) and hasattr(service, "check_alive"):
        return url, getattr(service, "debug_url", None), service
    raise GoperfError(f"goperf_capture: expected what goperf_service returns, or a (url, debug_url) pair to attach "
                      f"to, got {type(service).__name__} {service!r}")


def _request(spec: Any, base: Path) -> dict[str, Any]:
    """``"/path"`` or a YAML-style mapping (``{"method": "POST", "path": ..., "body": ...}``)."""
    if isinstance(spec, str):
        return {"path": spec}
    if not isinstance(spec, dict):
        raise GoperfError(f"goperf_capture: a request is a path or a mapping like {{'method': 'GET', 'path': '/'}}, "
                          f"got {spec!r}")
    out = dict(spec)
    if "body_file" in out:
        out["body_file"] = str(_absolute(out["body_file"], base))
    return out


def _seconds(value: str | float) -> str:
    """A duration as YAML takes it: numbers are seconds."""
    return f"{value:g}s" if isinstance(value, (int, float)) else value


def run_capture(service: Any, artifacts: Path, loadgen: Path, *, base: Path, warmup: str | float = "2s",
                duration: str | float = "10s", rate: float | None = None, connections: int = 8,
                requests: Sequence[Any] | None = None, trace: str | float = "5s",
                sample_every: str | float | None = "1s", timeout: str | float = "10s",
                expect_status: Sequence[str] = ("2xx",), progress: Progress = lambda _m: None) -> Capture:
    """Drive load at ``service`` and capture in one window, as the YAML runtime gates do.

    ``trace=0`` takes no trace, ``sample_every=None`` no heap/goroutine
    samples; a service without a ``debug_url`` gets the load only.
    """
    from pytest_goperf.go.service import AttachedService
    from pytest_goperf.run.window import run_window

    url, debug_url, running = _target(service)
    folder = _numbered(artifacts, "capture")
    load: dict[str, Any] = {
        "warmup": _seconds(warmup), "duration": _seconds(duration), "connections": connections,
        "requests": [_request(r, base) for r in (requests or ["/"])],
        "trace": _seconds(trace), "sample_every": _seconds(sample_every if sample_every is not None else duration),
        "timeout": _seconds(timeout), "expect_status": list(expect_status),
    }
    if rate is not None:
        load["rate"] = rate
    # The gates these captures feed: the loader checks each can be judged (enough samples, a trace window).
    gates: dict[str, Any] = {"latency": {}}
    if debug_url is not None:
        gates["cpu"] = {}
        if load["trace"] not in ("0s", "0"):
            gates["scheduler"] = {}
        if sample_every is not None:
            gates["heap"] = {}
            gates["goroutines"] = {}
    attach: dict[str, Any] = {"url": url}
    if debug_url is not None:
        attach["debug_url"] = debug_url
    doc = {"service": {"name": "capture", "attach": attach}, "load": load, "thresholds": gates}
    cfg = _write_config(doc, folder / "goperf_capture.yaml")
    assert cfg.load is not None and cfg.service.attach is not None
    target: Service = running if running is not None else AttachedService(cfg.service.attach.url,
                                                                           cfg.service.attach.debug_url)
    from pytest_goperf.gates.registry import runtime_gate

    captures = frozenset(n for key in cfg.thresholds.runtime for n in runtime_gate(key).needs) - {"load"}
    host = urlsplit(url).hostname
    progress(f"goperf capture: {cfg.load.warmup:g}s warmup + {cfg.load.duration:g}s window at {url}; "
             f"capturing {', '.join(sorted(captures)) or 'the load result only'}")
    window = run_window(target, cfg.load, folder, loadgen=loadgen, allowed_hosts=[host] if host else [],
                        command_cwd=base, captures=captures)
    return Capture(window, cfg.path, url)


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
