"""goperf.yaml -> frozen dataclasses.

The schema is DESIGN.md section 2.  Durations are stored in seconds (float),
shares as fractions, sizes in bytes.  Errors name the file, line and key and
suggest the closest valid key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ReadyCheck:
    path: str = "/healthz"
    timeout: float = 30.0


@dataclass(frozen=True)
class Attach:
    url: str
    debug_url: str | None = None


@dataclass(frozen=True)
class ServiceConfig:
    name: str
    module: Path                      # absolute folder with go.mod
    main: str = "."                   # main package, relative to module
    build_flags: tuple[str, ...] = ()
    args: tuple[str, ...] = ("-addr={addr}", "-debug-addr={debug_addr}")
    env: tuple[tuple[str, str], ...] = ()
    ready: ReadyCheck = field(default_factory=ReadyCheck)
    attach: Attach | None = None
    allow_public_debug: bool = False


@dataclass(frozen=True)
class BenchConfig:
    packages: tuple[str, ...] = ("./...",)
    bench: str = "."
    count: int = 6
    benchtime: str = "1s"             # passed to -test.benchtime as written (1s, 100x)
    baseline: str = "pgo-off"         # pgo-off | git:<ref> | file:<path>
    candidate: str = "pgo"            # pgo | worktree


@dataclass(frozen=True)
class RequestSpec:
    method: str = "GET"
    path: str = "/"
    body: str | None = None
    body_file: Path | None = None     # absolute
    headers: tuple[tuple[str, str], ...] = ()
    weight: int = 1


@dataclass(frozen=True)
class LoadConfig:
    warmup: float = 5.0
    duration: float = 30.0
    rate: float | None = None         # requests/s, open model; None = closed model
    connections: int = 16
    requests: tuple[RequestSpec, ...] = (RequestSpec(path="/"),)
    sample_every: float = 1.0
    trace: float = 5.0                # seconds of execution trace inside the window; 0 = none
    timeout: float = 10.0             # per request
    command: tuple[str, ...] | None = None   # run the user's own load tool instead
    result: Path | None = None        # where load.command writes our JSON result, if it does


@dataclass(frozen=True)
class BenchThreshold:
    max_regression: float = 0.05
    alpha: float = 0.05
    min_improvement: float | None = None
    units: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CpuThreshold:
    max_function_share: float = 0.30
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeapThreshold:
    max_growth: float = 0.05          # fraction of the median per minute


@dataclass(frozen=True)
class GoroutineThreshold:
    max_drift: float = 0.10


@dataclass(frozen=True)
class SchedulerThreshold:
    p50: float | None = None          # seconds
    p90: float | None = None
    p99: float | None = 200e-6
    max: float | None = None


@dataclass(frozen=True)
class GcThreshold:
    max_stw: float | None = 1e-3      # seconds
    p99_stw: float | None = None


@dataclass(frozen=True)
class LatencyThreshold:
    p50: float | None = None          # seconds
    p90: float | None = None
    p99: float | None = None
    max: float | None = None
    max_error_rate: float | None = None   # fraction
    min_rate: float | None = None     # requests/s achieved


@dataclass(frozen=True)
class Thresholds:
    bench: BenchThreshold | None = None
    cpu: CpuThreshold | None = None
    heap: HeapThreshold | None = None
    goroutines: GoroutineThreshold | None = None
    scheduler: SchedulerThreshold | None = None
    gc: GcThreshold | None = None
    latency: LatencyThreshold | None = None


@dataclass(frozen=True)
class GoperfConfig:
    path: Path                        # the goperf.yaml itself
    service: ServiceConfig
    bench: BenchConfig
    load: LoadConfig | None
    thresholds: Thresholds
