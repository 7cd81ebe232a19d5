"""What ``goperf_capture`` does: the YAML gate's load window on a service a Python test holds.

The arguments become the ``load:`` section of a goperf.yaml (saved as
``capture/goperf_capture.yaml``, read by the YAML loader, so values are
checked as in YAML), then ``run/window.py``'s ``run_window`` drives load
and captures the CPU profile, trace and heap/goroutine samples.  The
``Capture`` hands each result over in the shape its ``assert_*`` takes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_goperf.errors import GoperfError
from pytest_goperf.python_api import (
    Progress,
    numbered_folder,
    resolve_from,
    write_config,
)

if TYPE_CHECKING:
    from pytest_goperf.gates.health import WindowSeries
    from pytest_goperf.load.model import LoadResult
    from pytest_goperf.pprof.model import Profile
    from pytest_goperf.run.evidence import WindowEvidence
    from pytest_goperf.run.window import Service, WindowResult
    from pytest_goperf.trace.model import TraceStats


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
                lines.append(f"  {name}: {path}{self._figures(name)}")
        return "\n".join(lines) + ")"

    def _figures(self, name: str) -> str:
        """The main figures of one capture for the repr (parsed once; the helpers reuse the parse)."""
        from pytest_goperf.quantities import format_duration

        def ns(value: int | None) -> str:
            return "-" if value is None else format_duration(value / 1e9)

        try:
            if name == "cpu":
                from pytest_goperf.pprof.top import top

                rows = top(self.cpu, nodecount=1).rows
                return f" (top flat: {rows[0].function} {rows[0].flat_pct:.1f}%)" if rows else " (no samples)"
            if name == "trace":
                t = self.trace
                return (f" (sched latency p99 {ns(t.sched_latency.p99)}, GC STW max {ns(t.gc_stw.max)}, "
                        f"{t.gc_count} GCs)")
            series = self.window.series
            return f" ({len(series.samples)} heap/goroutine samples)" if series is not None else ""
        except GoperfError as exc:
            return f" (unreadable: {exc})"


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
        out["body_file"] = str(resolve_from(out["body_file"], base))
    return out


def _traced(trace: str) -> bool:
    """Whether ``trace`` asks for a trace; a value that does not parse is left to the loader's error."""
    from pytest_goperf.quantities import parse_duration

    try:
        return parse_duration(trace) > 0
    except ValueError:
        return True


def _seconds(value: str | float) -> str:
    """A duration as YAML takes it: numbers are seconds."""
    return f"{value:g}s" if isinstance(value, (int, float)) else value


class GoperfCapture:
    """The ``goperf_capture`` fixture: drive load and capture in one window, as the YAML runtime gates do.

    Example::

        @pytest.mark.goperf
        def test_api(goperf_build, goperf_service, goperf_capture):
            service = goperf_service(goperf_build(".", "pgo", packages=None).service_binary)
            capture = goperf_capture(service, duration="10s", rate=200, requests=["/api/items"])
            assert_latency(capture.load, p99="50ms")
            assert_sched_latency_below(capture.trace, p99="500us")
    """

    def __init__(self, artifacts: Path, loadgen: Path, base: Path, progress: Progress = lambda _m: None) -> None:
        self.artifacts = artifacts
        self.loadgen = loadgen
        self.base = base              # body_file paths are relative to this (the test file's folder)
        self.progress = progress
        self.calls = 0
        self.captures: list[Capture] = []   # this test's windows, for the machine-noise lines of a failure

    def __repr__(self) -> str:
        return f"goperf_capture(artifacts in {self.artifacts}, load generator {self.loadgen})"

    def __call__(self, service: Any, *, warmup: str | float = "2s", duration: str | float = "10s",
                 rate: float | None = None, connections: int = 8, requests: Sequence[Any] | None = None,
                 trace: str | float = "5s", sample_every: str | float | None = "1s", timeout: str | float = "10s",
                 expect_status: Sequence[str] = ("2xx",), load_options: Mapping[str, Any] | None = None) -> Capture:
        """One load window on ``service`` (a ``goperf_service`` result or a ``(url, debug_url)`` pair).

        ``requests``: paths or ``load.requests``-style mappings; ``trace=0``
        takes no trace, ``sample_every=None`` no heap/goroutine samples; a
        service without a ``debug_url`` gets the load only.  ``load_options``:
        other keys of the YAML ``load:`` section for the built-in generator
        (``{"http2": True, "threads": 2, "follow_redirects": True}``).
        """
        other = dict(load_options or {})
        if {"tool", "command", "result", "vegeta", "locust"} & set(other):
            raise GoperfError("goperf_capture: load_options drive the built-in generator only; for vegeta, Locust "
                              "or your own load command use a goperf.yaml (load.tool / load.command)")
        load: dict[str, Any] = {
            "warmup": _seconds(warmup), "duration": _seconds(duration), "connections": connections,
            "requests": [_request(r, self.base) for r in (requests or ["/"])],
            "trace": _seconds(trace), "sample_every": _seconds(sample_every if sample_every is not None else duration),
            "timeout": _seconds(timeout), "expect_status": list(expect_status), **other,
        }
        if rate is not None:
            load["rate"] = rate
        return _run_capture(self, service, load, series=sample_every is not None)


def _run_capture(fx: GoperfCapture, service: Any, load: dict[str, Any], *, series: bool) -> Capture:
    """The load section as a goperf.yaml, then ``run_window`` on the service."""
    from pytest_goperf.go.service import AttachedService
    from pytest_goperf.run.window import run_window

    url, debug_url, running = _target(service)
    fx.calls += 1
    folder = numbered_folder(fx.artifacts, "capture", fx.calls)
    # The gates these captures feed: the loader checks each can be judged (enough samples, a trace window).
    gates: dict[str, Any] = {"latency": {}}
    if debug_url is not None:
        gates["cpu"] = {}
        if _traced(load["trace"]):
            gates["scheduler"] = {}
        if series:
            gates["heap"] = {}
            gates["goroutines"] = {}
    attach: dict[str, Any] = {"url": url}
    if debug_url is not None:
        attach["debug_url"] = debug_url
    doc = {"service": {"name": "capture", "attach": attach}, "load": load, "thresholds": gates}
    cfg = write_config(doc, folder / "goperf_capture.yaml")
    assert cfg.load is not None and cfg.service.attach is not None
    target: Service = running if running is not None else AttachedService(cfg.service.attach.url,
                                                                           cfg.service.attach.debug_url)
    from pytest_goperf.gates.registry import runtime_gate

    captures = frozenset(n for key in cfg.thresholds.runtime for n in runtime_gate(key).needs) - {"load"}
    host = urlsplit(url).hostname
    fx.progress(f"goperf capture: {cfg.load.warmup:g}s warmup + {cfg.load.duration:g}s window at {url}; "
                f"capturing {', '.join(sorted(captures)) or 'the load result only'}")
    window = run_window(target, cfg.load, folder, loadgen=fx.loadgen, allowed_hosts=[host] if host else [],
                        command_cwd=fx.base, captures=captures)
    capture = Capture(window, cfg.path, url)
    fx.captures.append(capture)
    return capture


# Helpers whose figures are times, by the YAML gate they are (run/evidence.py TIMING_GATES).
TIMING_HELPERS = {"assert_latency": "latency", "assert_sched_latency_below": "scheduler",
                  "assert_stw_below": "gc", "assert_blocks_below": "blocks"}


def machine_lines(fx: GoperfCapture, helpers: Sequence[str]) -> str:
    """The machine's noise over this test's windows, as the YAML runtime verdicts print it.

    ``helpers`` are the function names in the failure's traceback: when one
    is a timing helper and a window's machine was busy, say that the machine
    is the likely cause, in the YAML gate's words.
    """
    lines, busy = [], []
    for capture in fx.captures:
        noise = capture.window.noise
        if noise is None:
            continue
        lines.append(f"{capture.artifacts.name}: {noise.describe()}")
        if noise.busy:
            busy.append(noise.busy)
    if busy and any(h in TIMING_HELPERS for h in helpers):
        lines.append(f"The machine itself was busy ({busy[0]}): it is the likely cause of this failure; "
                     "rerun on a quieter machine before blaming the code.")
    return "\n".join(lines)

