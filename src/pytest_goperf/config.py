"""goperf.yaml -> frozen dataclasses.

The schema is DESIGN.md section 2.  Durations are stored in seconds (float),
shares as fractions, sizes in bytes.  Errors name the file, line and key and
suggest the closest valid key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pytest_goperf.errors import ConfigError
from pytest_goperf.quantities import parse_duration, parse_rate_per_minute, parse_share


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


# --- loading ----------------------------------------------------------------

T = TypeVar("T")

RUNTIME_GATES = ("cpu", "heap", "goroutines", "scheduler", "gc", "latency")

CONFIG_NAMES = ("goperf.yaml", "goperf.yml")
CONFIG_SUFFIX = ".goperf.yaml"


def is_config_file(name: str) -> bool:
    """True for the file names pytest collects: goperf.yaml, goperf.yml, *.goperf.yaml."""
    return name in CONFIG_NAMES or name.endswith(CONFIG_SUFFIX)


class _Node:
    """A YAML node with its position, so every error can name file:line."""

    def __init__(self, node: yaml.Node, path: Path, key: str) -> None:
        self.node = node
        self.path = path
        self.key = key

    @property
    def line(self) -> int:
        return int(self.node.start_mark.line) + 1

    def error(self, message: str) -> ConfigError:
        return ConfigError(f"{self.path}:{self.line}: {self.key}: {message}")

    def mapping(self, allowed: tuple[str, ...]) -> dict[str, _Node]:
        if not isinstance(self.node, yaml.MappingNode):
            raise self.error(f"expected a mapping with keys {', '.join(allowed)}, got {_kind(self.node)}")
        out: dict[str, _Node] = {}
        for k, v in self.node.value:
            name = k.value if isinstance(k, yaml.ScalarNode) else str(k)
            child = _Node(v, self.path, f"{self.key}.{name}" if self.key else name)
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(allowed)}"
                raise ConfigError(f"{self.path}:{int(k.start_mark.line) + 1}: unknown key '{child.key}'{hint}")
            if name in out:
                raise ConfigError(f"{self.path}:{int(k.start_mark.line) + 1}: key '{child.key}' appears twice")
            out[name] = child
        return out

    def value(self) -> Any:
        """The plain Python value of this node (safe constructors only)."""
        loader = yaml.SafeLoader("")
        try:
            return loader.construct_object(self.node, deep=True)
        except yaml.YAMLError as exc:
            raise self.error(str(exc)) from None
        finally:
            loader.dispose()

    def string(self) -> str:
        v = self.value()
        if not isinstance(v, str) or isinstance(self.node, yaml.MappingNode):
            raise self.error(f"expected a string, got {_kind(self.node)}")
        return v

    def strings(self) -> tuple[str, ...]:
        v = self.value()
        if isinstance(v, str):
            return (v,)
        if not isinstance(v, list) or not all(isinstance(x, (str, int, float)) for x in v):
            raise self.error(f"expected a list of strings, got {_kind(self.node)}")
        return tuple(str(x) for x in v)

    def integer(self, minimum: int = 0) -> int:
        v = self.value()
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.error(f"expected a whole number, got {v!r}")
        if v < minimum:
            raise self.error(f"must be at least {minimum}, got {v}")
        return v

    def number(self, minimum: float = 0.0) -> float:
        v = self.value()
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.error(f"expected a number, got {v!r}")
        if v < minimum:
            raise self.error(f"must be at least {minimum}, got {v}")
        return float(v)

    def boolean(self) -> bool:
        v = self.value()
        if not isinstance(v, bool):
            raise self.error(f"expected true or false, got {v!r}")
        return v

    def parsed(self, parse: Callable[[Any], T]) -> T:
        try:
            return parse(self.value())
        except ValueError as exc:
            raise self.error(str(exc)) from None

    def duration(self) -> float:
        d = self.parsed(parse_duration)
        if d < 0:
            raise self.error("a duration cannot be negative")
        return d

    def share(self) -> float:
        return self.parsed(parse_share)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"{node.value!r}" if node.value != "" else "nothing"


def _opt(fields: dict[str, _Node], key: str, conv: Callable[[_Node], T], default: T) -> T:
    node = fields.get(key)
    if node is None or (isinstance(node.node, yaml.ScalarNode) and node.node.tag.endswith(":null")):
        return default
    return conv(node)


def load_config(path: str | Path) -> GoperfConfig:
    """Read and validate one goperf.yaml; raise ConfigError naming file:line:key."""
    path = Path(path).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: not valid YAML: {problem}") from None
    if root is None or not isinstance(root, yaml.MappingNode):
        got = "an empty file" if root is None else _kind(root)
        raise ConfigError(
            f"{path}: a goperf.yaml must be a mapping with 'service', 'bench', 'load' and 'thresholds' "
            f"sections, got {got}"
        )
    top = _Node(root, path, "").mapping(("service", "bench", "load", "thresholds"))
    if "thresholds" not in top:
        raise ConfigError(f"{path}: no 'thresholds' section: nothing would be gated; add e.g. thresholds: {{bench: {{max_regression: 5%}}}}")
    service = _service(top.get("service"), path)
    bench = _bench(top["bench"]) if "bench" in top else BenchConfig()
    load = _load(top["load"], path.parent) if "load" in top else None
    thresholds = _thresholds(top["thresholds"])
    needs_source = service.attach is None or thresholds.bench is not None
    if needs_source:
        _check_module(service, top.get("service"), path)
    runtime = [n for n in RUNTIME_GATES if getattr(thresholds, n)]
    if runtime and load is None:
        raise top["thresholds"].error(
            f"{', '.join(runtime)} need the service under load: add a 'load' section with at least one request"
        )
    return GoperfConfig(path=path, service=service, bench=bench, load=load, thresholds=thresholds)


def _check_module(service: ServiceConfig, node: _Node | None, path: Path) -> None:
    """A missing module folder is a config error, reported before anything is built."""
    where = f"{path}"
    if node is not None and isinstance(node.node, yaml.MappingNode):
        for k, v in node.node.value:
            if getattr(k, "value", None) == "module":
                where = f"{path}:{int(v.start_mark.line) + 1}: service.module"
    if not service.module.is_dir():
        raise ConfigError(f"{where}: module folder {service.module} does not exist; set service.module to the folder with go.mod (relative to the YAML file)")
    if not (service.module / "go.mod").is_file():
        raise ConfigError(f"{where}: {service.module} has no go.mod; set service.module to the folder that holds go.mod")


def _service(node: _Node | None, path: Path) -> ServiceConfig:
    if node is None:
        return ServiceConfig(name=path.parent.name, module=path.parent)
    f = node.mapping(("name", "module", "main", "build_flags", "args", "env", "ready", "attach", "allow_public_debug"))
    module = (path.parent / _opt(f, "module", _Node.string, ".")).resolve()
    name = _opt(f, "name", _Node.string, module.name)
    if not re.fullmatch(r"[\w.-]+", name):
        raise f["name"].error(f"service name {name!r} may only hold letters, digits, '.', '_' and '-'")
    env: tuple[tuple[str, str], ...] = ()
    if "env" in f:
        raw = f["env"].value()
        if not isinstance(raw, dict):
            raise f["env"].error("expected a mapping of variable names to strings")
        env = tuple((str(k), str(v)) for k, v in raw.items())
    ready = ReadyCheck()
    if "ready" in f:
        r = f["ready"].mapping(("path", "timeout"))
        ready = ReadyCheck(path=_opt(r, "path", _Node.string, "/healthz"), timeout=_opt(r, "timeout", _Node.duration, 30.0))
        if not ready.path.startswith("/"):
            raise r["path"].error(f"must start with '/', got {ready.path!r}")
    attach = None
    if "attach" in f:
        a = f["attach"].mapping(("url", "debug_url"))
        if "url" not in a:
            raise f["attach"].error("needs 'url', the base URL of the running service")
        attach = Attach(url=a["url"].string().rstrip("/"), debug_url=_opt(a, "debug_url", lambda n: n.string().rstrip("/"), None))
    return ServiceConfig(
        name=name,
        module=module,
        main=_opt(f, "main", _Node.string, "."),
        build_flags=_opt(f, "build_flags", _Node.strings, ()),
        args=_opt(f, "args", _Node.strings, ServiceConfig.args),
        env=env,
        ready=ready,
        attach=attach,
        allow_public_debug=_opt(f, "allow_public_debug", _Node.boolean, False),
    )


def _bench(node: _Node) -> BenchConfig:
    f = node.mapping(("packages", "bench", "count", "benchtime", "baseline", "candidate"))
    baseline = _opt(f, "baseline", _Node.string, "pgo-off")
    if not (baseline == "pgo-off" or baseline.startswith(("git:", "file:"))) or baseline in ("git:", "file:"):
        raise f["baseline"].error(f"must be pgo-off, git:<ref> or file:<old.txt>, got {baseline!r}")
    candidate = _opt(f, "candidate", _Node.string, "pgo")
    if candidate not in ("pgo", "worktree"):
        raise f["candidate"].error(f"must be pgo or worktree, got {candidate!r}")
    benchtime = str(_opt(f, "benchtime", lambda n: n.value(), "1s"))
    if not re.fullmatch(r"\d+x", benchtime):
        try:
            parse_duration(benchtime)
        except ValueError as exc:
            raise f["benchtime"].error(f"{exc} (or an iteration count such as 100x)") from None
    pattern = str(_opt(f, "bench", lambda n: n.value(), "."))
    try:
        re.compile(pattern)
    except re.error as exc:
        raise f["bench"].error(f"not a valid regexp: {exc}") from None
    return BenchConfig(
        packages=_opt(f, "packages", _Node.strings, ("./...",)),
        bench=pattern,
        count=_opt(f, "count", lambda n: n.integer(minimum=1), 6),
        benchtime=benchtime,
        baseline=baseline,
        candidate=candidate,
    )


def _request(node: _Node, base: Path) -> RequestSpec:
    f = node.mapping(("method", "path", "body", "body_file", "headers", "weight"))
    path = _opt(f, "path", _Node.string, "/")
    if not path.startswith("/"):
        raise f["path"].error(f"must start with '/', got {path!r}")
    if "body" in f and "body_file" in f:
        raise f["body_file"].error("give either 'body' or 'body_file', not both")
    body_file = None
    if "body_file" in f:
        body_file = (base / f["body_file"].string()).resolve()
        if not body_file.is_file():
            raise f["body_file"].error(f"file {body_file} does not exist")
    headers: tuple[tuple[str, str], ...] = ()
    if "headers" in f:
        raw = f["headers"].value()
        if not isinstance(raw, dict):
            raise f["headers"].error("expected a mapping of header names to values")
        headers = tuple((str(k), str(v)) for k, v in raw.items())
    return RequestSpec(
        method=_opt(f, "method", _Node.string, "GET").upper(),
        path=path,
        body=_opt(f, "body", lambda n: str(n.value()), None),
        body_file=body_file,
        headers=headers,
        weight=_opt(f, "weight", lambda n: n.integer(minimum=1), 1),
    )


def _load(node: _Node, base: Path) -> LoadConfig:
    f = node.mapping(("warmup", "duration", "rate", "connections", "requests", "sample_every", "trace",
                      "timeout", "command", "result"))
    requests: tuple[RequestSpec, ...] = LoadConfig.requests
    if "requests" in f:
        rn = f["requests"]
        if not isinstance(rn.node, yaml.SequenceNode) or not rn.node.value:
            raise rn.error("expected a non-empty list of requests, e.g. - {method: GET, path: /}")
        requests = tuple(_request(_Node(n, rn.path, f"{rn.key}[{i}]"), base) for i, n in enumerate(rn.node.value))
    cfg = LoadConfig(
        warmup=_opt(f, "warmup", _Node.duration, 5.0),
        duration=_opt(f, "duration", _Node.duration, 30.0),
        rate=_opt(f, "rate", lambda n: n.number(minimum=0.001), None),
        connections=_opt(f, "connections", lambda n: n.integer(minimum=1), 16),
        requests=requests,
        sample_every=_opt(f, "sample_every", _Node.duration, 1.0),
        trace=_opt(f, "trace", _Node.duration, 5.0),
        timeout=_opt(f, "timeout", _Node.duration, 10.0),
        command=_opt(f, "command", _Node.strings, None),
        result=_opt(f, "result", lambda n: (base / n.string()).resolve(), None),
    )
    if cfg.duration <= 0:
        raise f["duration"].error("the measured window must be longer than 0s")
    if cfg.trace > cfg.duration:
        raise f["trace"].error(f"the trace ({cfg.trace:g}s) must fit inside the measured window ({cfg.duration:g}s)")
    if cfg.sample_every <= 0:
        raise f["sample_every"].error("must be longer than 0s")
    return cfg


def _thresholds(node: _Node) -> Thresholds:
    f = node.mapping(("bench", "cpu", "heap", "goroutines", "scheduler", "gc", "latency"))
    out: dict[str, Any] = {}
    if "bench" in f:
        b = f["bench"].mapping(("max_regression", "alpha", "min_improvement", "units"))
        alpha = _opt(b, "alpha", lambda n: n.number(), 0.05)
        if not 0 < alpha < 1:
            raise b["alpha"].error(f"must be between 0 and 1, got {alpha}")
        out["bench"] = BenchThreshold(
            max_regression=_opt(b, "max_regression", _Node.share, 0.05),
            alpha=alpha,
            min_improvement=_opt(b, "min_improvement", _Node.share, None),
            units=_opt(b, "units", _Node.strings, None),
        )
    if "cpu" in f:
        c = f["cpu"].mapping(("max_function_share", "ignore"))
        out["cpu"] = CpuThreshold(
            max_function_share=_opt(c, "max_function_share", _Node.share, 0.30),
            ignore=_opt(c, "ignore", _Node.strings, ()),
        )
    if "heap" in f:
        h = f["heap"].mapping(("max_growth",))
        out["heap"] = HeapThreshold(max_growth=_opt(h, "max_growth", lambda n: n.parsed(parse_rate_per_minute), 0.05))
    if "goroutines" in f:
        g = f["goroutines"].mapping(("max_drift",))
        out["goroutines"] = GoroutineThreshold(max_drift=_opt(g, "max_drift", _Node.share, 0.10))
    if "scheduler" in f:
        s = f["scheduler"].mapping(("p50", "p90", "p99", "max"))
        out["scheduler"] = SchedulerThreshold(**{k: _opt(s, k, _Node.duration, None) for k in s})
    if "gc" in f:
        g = f["gc"].mapping(("max_stw", "p99_stw"))
        out["gc"] = GcThreshold(**{k: _opt(g, k, _Node.duration, None) for k in g})
    if "latency" in f:
        lat = f["latency"].mapping(("p50", "p90", "p99", "max", "max_error_rate", "min_rate"))
        out["latency"] = LatencyThreshold(
            **{k: _opt(lat, k, _Node.duration, None) for k in ("p50", "p90", "p99", "max")},
            max_error_rate=_opt(lat, "max_error_rate", _Node.share, None),
            min_rate=_opt(lat, "min_rate", lambda n: n.number(), None),
        )
    return Thresholds(**out)
