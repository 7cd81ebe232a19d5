"""One capture window per service: load runs, and after warmup the captures run beside it.

Timeline (t = 0 when the load starts)::

    [0, warmup)                      warmup: load only
    [warmup, warmup + duration)      CPU profile over the whole window,
                                     execution trace of load.trace s centred in it,
                                     heap + goroutine samples every sample_every

A capture that fails is recorded in ``WindowResult.errors`` and the others go
on, so one bad endpoint costs only the gates that need it (``require`` raises
the recorded ``CaptureError``, and the gate fails with it: a capture that
failed never reads as "too few samples").  The machine's own noise (steal,
CPU pressure, other processes) is measured over the window for every
runtime verdict.  A service that dies raises ``ServiceError``
with its log tail; everything captured so far stays in ``artifacts``, and
``window.json`` lists it.  The plugin itself only sleeps while waiting; its
own CPU use over the window is measured and reported.
"""

from __future__ import annotations

import json
import resource
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from contextlib import ExitStack

from ..config import LoadConfig, TLSConfig
from ..errors import CaptureError, LoadError, ServiceError
from ..go.tls import trusted
from ..load.engines import GroupRun, start_engine
from ..load.generator import LoadRun
from ..load.model import LoadResult
from ..load.protocol import diagnose
from ..go.service import AttachedService
from ..health.machine import MachineNoise, NoiseMeter
from ..health.series import SAMPLE_KINDS, Series, SeriesCollector, trace_span
from ..pprof.capture import Cancel, fetch_profile, resolve_pprof_base

_POLL = 0.25   # seconds between liveness checks while waiting


class Service(Protocol):
    url: str
    debug_url: str | None

    def check_alive(self, during: str = ...) -> None: ...
    def log_tail(self, n: int = ...) -> str: ...


@dataclass
class WindowResult:
    """Paths and figures of one window; ``errors`` maps a capture ("cpu", "trace", "series") to why it failed."""

    artifacts: Path
    load: LoadResult | None
    load_skipped: str | None = None       # why there is no LoadResult (load.command without our JSON)
    cpu_profile: Path | None = None
    trace: Path | None = None
    series: Series | None = None
    series_path: Path | None = None
    plugin_cpu: float = 0.0               # the plugin's own CPU over the window, in cores (0.05 = 5 %)
    loadgen_cpu: float | None = None      # the generator's CPU over its run, in cores
    window_seconds: float = 0.0
    noise: MachineNoise | None = None     # the machine's own noise over the window
    goroutine_leaks: Path | None = None   # goroutineleak?debug=1, where the toolchain has that profile
    errors: dict[str, str] = field(default_factory=dict)

    def require(self, what: str) -> Path:
        """The artifact a gate needs ("cpu", "trace", "series"), or the ``CaptureError`` that lost it.

        A recorded error wins over a file: a series whose every sample failed
        still has a series.json, but nothing a gate can judge.
        """
        if what in self.errors:
            raise CaptureError(self.errors[what])
        path = {"cpu": self.cpu_profile, "trace": self.trace, "series": self.series_path}[what]
        if path is None:
            raise CaptureError(f"no {what} capture in this window (no debug_url?)")
        return path


class _Capture(threading.Thread):
    """Run one fetch after ``delay`` seconds; keep its error instead of raising."""

    def __init__(self, name: str, delay: float, job: Callable[[Cancel], Path]) -> None:
        super().__init__(name=f"goperf-{name}", daemon=True)
        self.key, self.delay, self.job = name, delay, job
        self.cancel = threading.Event()
        self.token = Cancel()
        self.path: Path | None = None
        self.error: str | None = None

    def run(self) -> None:
        if self.cancel.wait(self.delay):
            self.error = "cancelled: the window ended early"
            return
        try:
            self.path = self.job(self.token)
        except CaptureError as exc:
            self.error = str(exc)
        except Exception as exc:  # keep the window going; the gate reports it
            self.error = f"{type(exc).__name__}: {exc}"


def _cpu_now() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


ALL_CAPTURES = frozenset({"cpu", "trace", "heap", "goroutines"})


def run_window(service: Service, load: LoadConfig, artifacts: Path, *, loadgen: Path | None = None,
               allowed_hosts: Iterable[str] = (), command_cwd: Path | None = None,
               captures: Collection[str] = ALL_CAPTURES, tls: TLSConfig | None = None,
               vegeta: Path | None = None) -> WindowResult:
    """Drive ``load`` at ``service`` and capture, in one window, what ``captures`` names.

    Each capture disturbs the service (profiling costs CPU, a heap sample
    forces a GC, a goroutine dump stops the world, a trace costs a few %), so
    only what some gate needs is taken.
    """
    artifacts = Path(artifacts)
    artifacts.mkdir(parents=True, exist_ok=True)
    result = WindowResult(artifacts=artifacts, load=None)
    allowed = list(allowed_hosts)
    if isinstance(service, AttachedService):
        allowed.append(service.url)  # the one non-loopback target a user may name
    trust = ExitStack()  # https service and debug URLs: captures trust what service.tls says
    trust.enter_context(trusted([service.url, service.debug_url], tls))
    try:
        run: LoadRun | GroupRun = start_engine(load, service.url, artifacts, loadgen=loadgen, vegeta=vegeta,
                                               allowed_hosts=allowed, tls=tls, cwd=command_cwd)
    except BaseException:
        trust.close()
        raise
    t0 = time.monotonic()
    wanted = frozenset(captures)
    threads: list[_Capture] = []
    collector: SeriesCollector | None = None
    finished = False
    debug = service.debug_url
    try:
        _wait(run, service, until=t0 + load.warmup)
        cpu0, kids0 = _cpu_now()
        meter = NoiseMeter().start()
        w0 = time.monotonic()
        if debug is None:
            for key in ("cpu", "trace", "series"):
                result.errors[key] = "no debug_url: the service has no {debug_addr} / attach.debug_url"
        elif wanted:
            debug = resolve_pprof_base(debug)
            threads, collector = _start_captures(debug, load, artifacts, wanted)
        _wait(run, service, until=w0 + load.duration)
        run.wait()  # ends by itself; stopped at its deadline otherwise
        result.noise = meter.stop()
        service.check_alive("under load")
        result.window_seconds = time.monotonic() - w0
        cpu1, kids1 = _cpu_now()
        result.plugin_cpu = (cpu1 - cpu0) / max(result.window_seconds, 1e-9)
        for cap in threads:
            cap.join(load.duration + 30.0)
        if collector is not None:
            result.series = collector.stop()
        if debug is not None and "goroutines" in wanted:
            result.goroutine_leaks = _leak_profile(debug, artifacts)
        if not load.command:
            result.loadgen_cpu = (kids1 - kids0) / max(time.monotonic() - t0, 1e-9)
        result.load = run.result()
        if result.load is None:
            result.load_skipped = (f"load.command {load.command[0] if load.command else ''!s} wrote no "
                                   "goperf-load/1 JSON (set load.result to where it writes one)")
        elif not load.command and result.load.requests and result.load.ok == 0:
            urls = "".join(f"\n  {line}" for line in result.load.failing_requests() + result.load.errors.example_lines())
            mismatch = diagnose(service.url, http2=load.http2)
            raise LoadError(
                f"every measured request to {service.url} failed ({result.load.errors.describe()}); "
                f"{mismatch + '; ' if mismatch else ''}"
                f"see {artifacts / 'load.json'}.{urls}\n--- service log tail ---\n{service.log_tail()}"
            )
        finished = True
        return result
    except ServiceError:
        raise
    except LoadError as exc:
        if "--- service log tail ---" in str(exc):
            raise
        raise LoadError(f"{exc}\n--- service log tail ---\n{service.log_tail()}") from exc
    finally:
        run.stop()
        trust.close()
        for cap in threads:
            cap.cancel.set()
            if not finished:  # cut off captures in flight: an error or Ctrl-C must not wait for them
                cap.token.cancel()
        for cap in threads:
            cap.join(5.0)
            if cap.path is not None:
                setattr(result, "cpu_profile" if cap.key == "cpu" else "trace", cap.path)
            elif cap.error:
                result.errors.setdefault(cap.key, cap.error)
        if collector is not None:
            result.series = result.series or (collector.stop() if finished else collector.abort())
            result.series_path = result.series.write(artifacts / "series.json")
            if not result.series.samples:
                result.errors["series"] = "; ".join(result.series.errors[:2]) or "no heap/goroutine samples taken"
        _write_summary(result)


def _start_captures(debug: str, load: LoadConfig, artifacts: Path,
                    wanted: frozenset[str]) -> tuple[list[_Capture], SeriesCollector | None]:
    cpu_seconds = max(1, int(load.duration))
    caps: list[_Capture] = []
    if "cpu" in wanted:
        caps.append(_Capture("cpu", 0.0, lambda c: fetch_profile(debug, "profile", artifacts / "cpu.pprof",
                                                                 seconds=cpu_seconds, cancel=c)))
    quiet = trace_span(load.duration, load.trace) if "trace" in wanted else None
    if quiet is not None:
        start, length = quiet[0], quiet[1] - quiet[0]
        caps.append(_Capture("trace", start,
                             lambda c: fetch_profile(debug, "trace", artifacts / "trace.out", seconds=length,
                                                     cancel=c)))
    for cap in caps:
        cap.start()
    kinds = [k for k in SAMPLE_KINDS if k in wanted]
    collector = None
    if kinds:
        collector = SeriesCollector(debug, artifacts, load.sample_every, until=load.duration, quiet=quiet,
                                    kinds=kinds).start()
    return caps, collector


def _leak_profile(debug: str, artifacts: Path) -> Path | None:
    """``goroutineleak?debug=1`` once after the window, where the service's toolchain has that profile.

    Go builds it only with GOEXPERIMENT=goroutineleakprofile (1.26+); any other
    service answers 404 and nothing is said about it.
    """
    (artifacts / "goroutineleak.txt").unlink(missing_ok=True)  # never a previous run's
    try:
        return fetch_profile(debug, "goroutineleak", artifacts / "goroutineleak.txt", debug=1, timeout=15.0)
    except CaptureError:
        return None


def _wait(run: LoadRun | GroupRun, service: Service, *, until: float) -> None:
    """Sleep until ``until`` (monotonic), checking every _POLL s that the service and load still run."""
    while (left := until - time.monotonic()) > 0:
        time.sleep(min(_POLL, left))
        service.check_alive("under load")
        if run.poll() is not None and run.what != "load.command":
            code = run.poll()
            if code != 0:
                raise LoadError(f"the {run.what} exited early (exit {code}):\n{run.log_tail()}")
            return


def _write_summary(result: WindowResult) -> None:
    def rel(p: Path | None) -> str | None:
        return p.name if p is not None else None

    load = result.load
    summary = {
        "window_s": result.window_seconds, "plugin_cpu_cores": result.plugin_cpu, "loadgen_cpu_cores": result.loadgen_cpu,
        "cpu_profile": rel(result.cpu_profile), "trace": rel(result.trace), "series": rel(result.series_path),
        "load": rel(load.path) if load is not None else None, "load_skipped": result.load_skipped,
        "goroutine_leaks": rel(result.goroutine_leaks),
        "machine": ({"seconds": result.noise.seconds, "cpus": result.noise.cpus, **result.noise.figures()}
                    if result.noise is not None else None),
        "errors": result.errors,
    }
    (result.artifacts / "window.json").write_text(json.dumps(summary, indent=1) + "\n")
