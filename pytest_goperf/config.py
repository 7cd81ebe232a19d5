"""goperf.yaml -> frozen dataclasses.

The schema is docs/design.md#goperfyaml.  Durations are stored in seconds (float),
shares as fractions, sizes in bytes.  Errors name the file, line and key and
suggest the closest valid key.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pytest_goperf.bench.signrank import min_rounds
from pytest_goperf.errors import ConfigError
from pytest_goperf.gates.bench import BenchThreshold
from pytest_goperf.pgo.settings import PgoSettings, parse_pgo
from pytest_goperf.quantities import parse_duration, parse_rate_per_minute

# The service section lives in service_config.py; its names stay importable from here.
from pytest_goperf.service_config import Attach as Attach
from pytest_goperf.service_config import ReadyCheck as ReadyCheck
from pytest_goperf.service_config import ServiceConfig as ServiceConfig
from pytest_goperf.service_config import TLSConfig as TLSConfig
from pytest_goperf.service_config import (
    check_module,
    has_debug_endpoints,
    parse_service,
)
from pytest_goperf.yaml_nodes import Node, key_lines, kind, opt

T = TypeVar("T")


AUTO_BENCHTIME = "100ms"   # count: auto's default benchtime (a fixed count keeps Go's 1s)
AUTO_MAX_COUNT = 500        # count: auto's cap on rounds: a safety net, bench.budget is the limit that governs


@dataclass(frozen=True)
class BenchConfig:
    packages: tuple[str, ...] = ("./...",)
    bench: str = "."
    count: int = 6
    benchtime: str = "1s"             # passed to -test.benchtime as written (1s, 100x)
    baseline: str = "pgo-off"         # pgo-off | git:<ref> | file:<path>
    candidate: str = "pgo"            # pgo | worktree
    worktree_copy: tuple[str, ...] = ()   # ignored inputs (testdata/...) copied into a git: baseline's worktree
    gomaxprocs_mismatch: str = "pair"     # pair (with a loud warning) | refuse: rows named X-8 vs X-2
    reuse_baseline: bool = False          # git: reuse a cached baseline's measurements (not interleaved; warned)
    adaptive: bool = False                # count: auto -- rounds until every row's MDE <= max_regression
    min_count: int = 6                    # count: auto: first stop considered (count is min_count then)
    max_count: int = AUTO_MAX_COUNT       # count: auto: the last round (the budget usually stops them first)
    budget: float = 300.0                 # count: auto: wall seconds for the rounds (a Go duration in YAML)
    layouts: int = 1                      # code layouts per test binary, rotated over the rounds (go/layout.py)


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
    expect_status: tuple[str, ...] = ("2xx",)   # codes ("200") or classes ("2xx") that count as success
    follow_redirects: bool = False    # 3xx answers are counted by status, not followed, unless true
    threads: int = 1                  # generator event loops (one OS thread each)
    http2: bool = False               # HTTP/2: over TLS by ALPN, h2c (prior knowledge) on http:// URLs
    tool: str = "builtin"             # builtin | vegeta | locust
    arrivals: str = "jittered"        # open model: jittered (each slot uniform in its interval) | constant
    vegeta: VegetaConfig = field(default_factory=lambda: VegetaConfig())
    locust: LocustConfig = field(default_factory=lambda: LocustConfig())


@dataclass(frozen=True)
class VegetaConfig:
    """``load.vegeta``: local attack processes, and result files other hosts produced in the same window."""

    attackers: int = 1
    results: tuple[Path, ...] = ()    # absolute; vegeta results (gob, JSON or CSV) merged in after the window


@dataclass(frozen=True)
class LocustConfig:
    """``load.locust``: a headless master with ``workers`` worker processes."""

    workers: int = 1
    locustfile: Path | None = None    # absolute; None: generated from load.requests (open model)


@dataclass(frozen=True)
class Thresholds:
    """``thresholds``: the bench gate's, and each runtime gate's by key, in registry order."""

    bench: BenchThreshold | None = None
    runtime: dict[str, Any] = field(default_factory=dict)
    build: dict[str, Any] = field(default_factory=dict)   # build-time gates (pgo), judged without a service

    def of(self, gate: str) -> Any:
        """The threshold of any gate by its key (``bench``, a build-time or a runtime gate), or None."""
        if gate == "bench":
            return self.bench
        return self.runtime.get(gate, self.build.get(gate))

    @property
    def runtime_keys(self) -> tuple[str, ...]:
        return tuple(self.runtime)


@dataclass(frozen=True)
class GoperfConfig:
    path: Path                        # the goperf.yaml itself
    service: ServiceConfig
    bench: BenchConfig
    load: LoadConfig | None
    thresholds: Thresholds
    lines: dict[str, int] = field(default_factory=dict, compare=False)   # dotted key -> line in the file
    pgo: PgoSettings = PgoSettings()  # how --goperf-update-pgo refreshes default.pgo

    def where(self, key: str) -> str:
        """``file:line: key`` for errors found after loading (e.g. by the Go toolchain)."""
        line = self.lines.get(key)
        return f"{self.path}:{line}: {key}" if line is not None else f"{self.path}: {key}"


# --- loading ----------------------------------------------------------------

CONFIG_NAMES = ("goperf.yaml", "goperf.yml")
CONFIG_SUFFIX = ".goperf.yaml"


def is_config_file(name: str) -> bool:
    """True for the file names pytest collects: goperf.yaml, goperf.yml, *.goperf.yaml."""
    return name in CONFIG_NAMES or name.endswith(CONFIG_SUFFIX)


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
        got = "an empty file" if root is None else kind(root)
        raise ConfigError(
            f"{path}: a goperf.yaml must be a mapping with 'service', 'bench', 'load' and 'thresholds' "
            f"sections, got {got}"
        )
    top = Node(root, path, "").mapping(("service", "bench", "load", "thresholds", "pgo"))
    if "thresholds" not in top:
        raise ConfigError(f"{path}: no 'thresholds' section: nothing would be gated; "
                          "add e.g. thresholds: {bench: {max_regression: 5%}}")
    service = parse_service(top.get("service"), path)
    bench = _bench(top["bench"]) if "bench" in top else BenchConfig()
    load = _load(top["load"], path.parent) if "load" in top else None
    thresholds = _thresholds(top["thresholds"])
    needs_source = service.attach is None or thresholds.bench is not None or bool(thresholds.build)
    if needs_source:
        check_module(service, top.get("service"), path)
    runtime = list(thresholds.runtime)
    if runtime and load is None:
        raise top["thresholds"].error(
            f"{', '.join(runtime)} need the service under load: add a 'load' section with at least one request"
        )
    if load is not None:
        _check_needs(thresholds, top["thresholds"], service, load)
    cfg = GoperfConfig(path=path, service=service, bench=bench, load=load, thresholds=thresholds,
                       lines=key_lines(root), pgo=parse_pgo(top["pgo"]) if "pgo" in top else PgoSettings())
    _check_bench(cfg, top)
    return cfg


def _check_needs(thresholds: Thresholds, node: Node, service: ServiceConfig, load: LoadConfig) -> None:
    """What each gate needs measured must be possible, said before anything is built."""
    from pytest_goperf.gates.registry import runtime_gate
    from pytest_goperf.health.series import planned_sample_times, trace_span
    from pytest_goperf.health.trend import MIN_TREND_SAMPLES

    planned = len(planned_sample_times(load.duration, load.sample_every, trace_span(load.duration, load.trace)))
    fields = node.mapping(("bench", *thresholds.runtime, *thresholds.build))
    for key in thresholds.runtime:
        needs = runtime_gate(key).needs
        if needs & {"cpu", "trace", "heap", "goroutines"} and not has_debug_endpoints(service):
            where = ("service.attach.debug_url (or service.debug: same if pprof is on the API address)"
                     if service.attach is not None
                     else "service.debug to auto or same, or pass '-debug-addr={debug_addr}' (or your service's "
                          "own pprof flag) in service.args")
            raise fields[key].error(f"this gate reads pprof data ({', '.join(sorted(needs))}) but the service has "
                                    f"no debug endpoints: set {where}")
        if "trace" in needs and load.trace <= 0:
            raise fields[key].error(f"this gate reads the execution trace, but load.trace is {load.trace:g}s; "
                                    "set load.trace to a duration inside the window, e.g. 5s")
        if needs & {"heap", "goroutines"} and planned < MIN_TREND_SAMPLES:
            raise fields[key].error(
                f"the {key} trend test needs at least {MIN_TREND_SAMPLES} samples, but load.duration "
                f"{load.duration:g}s with sample_every {load.sample_every:g}s gives {planned} (none are taken "
                "while the trace records, nor for 1 s after it): lengthen load.duration or shorten load.sample_every")


def _bench(node: Node) -> BenchConfig:
    f = node.mapping(("packages", "bench", "count", "benchtime", "baseline", "candidate", "worktree_copy",
                      "gomaxprocs_mismatch", "reuse_baseline", "min_count", "max_count", "budget", "layouts"))
    baseline = opt(f, "baseline", Node.string, "pgo-off")
    if not (baseline == "pgo-off" or baseline.startswith(("git:", "file:"))) or baseline in ("git:", "file:"):
        raise f["baseline"].error(f"must be pgo-off, git:<ref> or file:<old.txt>, got {baseline!r}")
    candidate = opt(f, "candidate", Node.string, "pgo")
    if candidate not in ("pgo", "worktree"):
        raise f["candidate"].error(f"must be pgo or worktree, got {candidate!r}")
    adaptive = "count" in f and f["count"].value() == "auto"
    # count: auto buys its MDE with many short rounds: on a 2-core CI runner 100 ms rounds reached an MDE
    # 2-3x smaller per minute than Go's 1 s (docs/bench.md, "Noise reduction: measured").
    benchtime = str(opt(f, "benchtime", lambda n: n.value(), AUTO_BENCHTIME if adaptive else "1s"))
    if not re.fullmatch(r"\d+x", benchtime):
        try:
            parse_duration(benchtime)
        except ValueError as exc:
            raise f["benchtime"].error(f"{exc} (or an iteration count such as 100x)") from None
    # Checked with Go's own testing package before any build (go/bench_pattern.py): RE2, split on '/'.
    pattern = str(opt(f, "bench", lambda n: n.value(), "."))
    mismatch = opt(f, "gomaxprocs_mismatch", Node.string, "pair")
    if mismatch not in ("pair", "refuse"):
        raise f["gomaxprocs_mismatch"].error(f"must be pair or refuse, got {mismatch!r}")
    copies: tuple[str, ...] = opt(f, "worktree_copy", Node.strings, ())
    for entry in copies:
        if entry.startswith(("/", "~")) or ".." in Path(entry).parts or not entry.strip():
            raise f["worktree_copy"].error(f"{entry!r}: give paths or glob patterns relative to the module folder")
    min_count = opt(f, "min_count", lambda n: n.integer(minimum=1), 6)
    max_count = opt(f, "max_count", lambda n: n.integer(minimum=1), AUTO_MAX_COUNT)
    if adaptive and max_count < min_count:
        raise f["max_count"].error(f"must be at least bench.min_count ({min_count}), got {max_count}")
    layouts = opt(f, "layouts", lambda n: n.integer(minimum=1), 1)
    if layouts > 1 and baseline.startswith("file:"):
        raise f["layouts"].error("rotates code layouts over rounds both sides run here, but a file: baseline was "
                                 "measured elsewhere in one layout; remove bench.layouts or use a git:<ref> or "
                                 "pgo-off baseline")
    count = min_count if adaptive else opt(f, "count", lambda n: n.integer(minimum=1), 6)
    if not adaptive and layouts > count:
        raise f["layouts"].error(f"{layouts} layouts need at least as many rounds, but bench.count is "
                                 f"{count}: raise bench.count or lower bench.layouts")
    if not adaptive:
        for key in ("min_count", "max_count", "budget"):
            if key in f:
                raise f[key].error("only applies with bench.count: auto")
    return BenchConfig(
        packages=opt(f, "packages", Node.strings, ("./...",)),
        bench=pattern,
        count=count,
        benchtime=benchtime,
        baseline=baseline,
        candidate=candidate,
        worktree_copy=copies,
        gomaxprocs_mismatch=mismatch,
        reuse_baseline=opt(f, "reuse_baseline", Node.boolean, False),
        adaptive=adaptive,
        min_count=min_count,
        max_count=max_count,
        budget=opt(f, "budget", Node.duration, 300.0),
        layouts=layouts,
    )


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_path_template(path: str) -> str | None:
    """Why a request path's placeholders are wrong, or None ({seq} and {rand:LO-HI} are known)."""
    for m in _PLACEHOLDER.finditer(path):
        name = m.group(1)
        if name == "seq":
            continue
        r = re.fullmatch(r"rand:(\d+)-(\d+)", name)
        if r is None:
            return f"unknown placeholder {{{name}}} in {path!r}: use {{seq}} or {{rand:LO-HI}}"
        if int(r.group(1)) > int(r.group(2)):
            return f"placeholder {{{name}}}: LO must not exceed HI"
    if "{" in _PLACEHOLDER.sub("", path) or "}" in _PLACEHOLDER.sub("", path):
        return f"unbalanced '{{' or '}}' in {path!r}: placeholders are {{seq}} and {{rand:LO-HI}}"
    return None


def _check_bench(cfg: GoperfConfig, top: dict[str, Node]) -> None:
    """Bench settings that parse but can never work, reported before anything is built."""
    bench, th = cfg.bench, cfg.thresholds.bench
    fields = top["bench"].mapping(tuple(f.name for f in dataclasses.fields(BenchConfig))) if "bench" in top else {}
    if th is not None and not bench.baseline.startswith("file:"):
        from pytest_goperf.bench.utest import min_count_for_alpha, min_p

        if min_p(bench.count) > th.alpha:
            need = min_count_for_alpha(th.alpha)
            where = fields.get("count") or top["thresholds"]
            raise where.error(f"bench.count {bench.count} can never reach p <= {th.alpha}: {bench.count}+{bench.count} "
                              f"samples give at best p = 2/C({2 * bench.count},{bench.count}) = {min_p(bench.count):.3g}; "
                              f"the smallest count that can is {need}")
    if th is not None and th.test == "paired":
        test_key = cfg.where("thresholds.bench.test")
        if bench.baseline.startswith("file:"):
            raise ConfigError(f"{test_key}: ""paired needs round i of both sides measured side by side, but a file: baseline has "
                             "no rounds of this run; use test: utest, or a git:<ref> or pgo-off baseline")
        if 2 / 2**bench.count > th.alpha:
            raise ConfigError(f"{test_key}: paired with bench.count {bench.count} can never reach p <= {th.alpha} (best "
                             f"2/2^{bench.count} = {2 / 2**bench.count:.3g}); raise bench.count to at least "
                             f"{min_rounds(th.alpha)}")
    if bench.worktree_copy and bench.baseline.startswith("git:"):
        for entry in bench.worktree_copy:
            if not any(cfg.service.module.glob(entry)):
                raise fields["worktree_copy"].error(f"{entry!r} matches nothing in {cfg.service.module}; "
                                                    "list files or folders the benchmarks read (testdata/...)")


def _request(node: Node, base: Path) -> RequestSpec:
    f = node.mapping(("method", "path", "body", "body_file", "headers", "weight"))
    path = opt(f, "path", Node.string, "/")
    if not path.startswith("/"):
        raise f["path"].error(f"must start with '/', got {path!r}")
    if (problem := check_path_template(path)) is not None:
        raise f["path"].error(problem)
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
        method=opt(f, "method", Node.string, "GET").upper(),
        path=path,
        body=opt(f, "body", lambda n: str(n.value()), None),
        body_file=body_file,
        headers=headers,
        weight=opt(f, "weight", lambda n: n.integer(minimum=1), 1),
    )


def _load(node: Node, base: Path) -> LoadConfig:
    f = node.mapping(("warmup", "duration", "rate", "connections", "requests", "sample_every", "trace",
                      "timeout", "command", "result", "expect_status", "follow_redirects", "threads", "http2",
                      "tool", "vegeta", "locust", "arrivals"))
    requests: tuple[RequestSpec, ...] = LoadConfig.requests
    if "requests" in f:
        rn = f["requests"]
        if not isinstance(rn.node, yaml.SequenceNode) or not rn.node.value:
            raise rn.error("expected a non-empty list of requests, e.g. - {method: GET, path: /}")
        requests = tuple(_request(Node(n, rn.path, f"{rn.key}[{i}]"), base) for i, n in enumerate(rn.node.value))
    cfg = LoadConfig(
        warmup=opt(f, "warmup", Node.duration, 5.0),
        duration=opt(f, "duration", Node.duration, 30.0),
        rate=opt(f, "rate", lambda n: n.number(minimum=0.001), None),
        connections=opt(f, "connections", lambda n: n.integer(minimum=1), 16),
        requests=requests,
        sample_every=opt(f, "sample_every", Node.duration, 1.0),
        trace=opt(f, "trace", Node.duration, 5.0),
        timeout=opt(f, "timeout", Node.duration, 10.0),
        command=opt(f, "command", Node.strings, None),
        result=opt(f, "result", lambda n: (base / n.string()).resolve(), None),
        expect_status=opt(f, "expect_status", _expect_status, ("2xx",)),
        follow_redirects=opt(f, "follow_redirects", Node.boolean, False),
        threads=opt(f, "threads", lambda n: n.integer(minimum=1), 1),
        http2=opt(f, "http2", Node.boolean, False),
        tool=opt(f, "tool", Node.string, "builtin"),
        arrivals=opt(f, "arrivals", Node.string, "jittered"),
        vegeta=_vegeta(f["vegeta"], base) if "vegeta" in f else VegetaConfig(),
        locust=_locust(f["locust"], base) if "locust" in f else LocustConfig(),
    )
    _check_tool(cfg, f)
    if cfg.duration <= 0:
        raise f["duration"].error("the measured window must be longer than 0s")
    if cfg.trace > cfg.duration and "trace" not in f:  # the 5s default shrinks to a shorter window
        cfg = dataclasses.replace(cfg, trace=cfg.duration)
    if cfg.trace > cfg.duration:
        raise f["trace"].error(f"the trace ({cfg.trace:g}s) must fit inside the measured window ({cfg.duration:g}s)")
    if cfg.sample_every <= 0:
        raise f["sample_every"].error("must be longer than 0s")
    return cfg


TOOLS = ("builtin", "vegeta", "locust")
ARRIVALS = ("jittered", "constant")


def _check_tool(cfg: LoadConfig, f: dict[str, Node]) -> None:
    """load.tool and what goes with it: each engine's own section, and what it cannot do."""
    if cfg.tool not in TOOLS:
        raise f["tool"].error(f"must be one of {', '.join(TOOLS)}, got {cfg.tool!r} "
                              "(other tools, k6 for example, run through load.command)")
    if cfg.command and "tool" in f:
        raise f["tool"].error("give either load.tool or load.command (your own tool), not both")
    if cfg.arrivals not in ARRIVALS:
        raise f["arrivals"].error(f"must be one of {', '.join(ARRIVALS)}, got {cfg.arrivals!r}")
    if "arrivals" in f and (cfg.tool != "builtin" or cfg.command):
        raise f["arrivals"].error("applies to the builtin generator (vegeta paces constantly, locust waits as its "
                                  "locustfile says, load.command as your tool does)")
    for other in ("vegeta", "locust"):
        if other in f and cfg.tool != other:
            raise f[other].error(f"load.{other} applies to load.tool: {other} (load.tool is {cfg.tool})")
    if cfg.tool == "locust":
        if cfg.http2:
            raise f["http2"].error("Locust's HTTP clients speak HTTP/1.1 only; use load.tool: builtin or vegeta "
                                   "for HTTP/2")
        if cfg.follow_redirects:
            raise f["follow_redirects"].error("not supported with load.tool: locust (its client follows no redirects "
                                              "we could count); use builtin or vegeta")


def _vegeta(node: Node, base: Path) -> VegetaConfig:
    f = node.mapping(("attackers", "results"))
    return VegetaConfig(attackers=opt(f, "attackers", lambda n: n.integer(minimum=1), 1),
                        results=tuple((base / p).resolve() for p in opt(f, "results", Node.strings, tuple[str, ...]())))


def _locust(node: Node, base: Path) -> LocustConfig:
    f = node.mapping(("workers", "locustfile"))
    locustfile = opt(f, "locustfile", lambda n: (base / n.string()).resolve(), None)
    if locustfile is not None and not locustfile.is_file():
        raise f["locustfile"].error(f"file {locustfile} does not exist")
    return LocustConfig(workers=opt(f, "workers", lambda n: n.integer(minimum=1), 1), locustfile=locustfile)


def _expect_status(node: Node) -> tuple[str, ...]:
    """load.expect_status: status codes (200) or classes ("2xx"); anything else is an error response."""
    out = []
    for item in node.strings():
        if not re.fullmatch(r"[1-5](\d\d|xx)", item.lower()):
            raise node.error(f"{item!r} is neither a status code (100-599) nor a class such as 2xx")
        out.append(item.lower())
    if not out:
        raise node.error("expected at least one status code or class, e.g. [200] or [2xx]")
    return tuple(out)


def _thresholds(node: Node) -> Thresholds:
    from pytest_goperf.gates.registry import BUILD_GATES, RUNTIME_GATES

    f = node.mapping(("bench", *(g.key for g in BUILD_GATES), *(g.key for g in RUNTIME_GATES)))
    bench = parse_threshold(f["bench"], BenchThreshold) if "bench" in f else None
    runtime = {g.key: parse_threshold(f[g.key], g.threshold) for g in RUNTIME_GATES if g.key in f}
    build = {g.key: parse_threshold(f[g.key], g.threshold) for g in BUILD_GATES if g.key in f}
    return Thresholds(bench=bench, runtime=runtime, build=build)


_KINDS: dict[str, Callable[[Node], Any]] = {
    "duration": Node.duration,
    "share": Node.share,
    "number": Node.number,
    "integer": Node.integer,
    "strings": Node.strings,
    "rate_per_minute": lambda n: n.parsed(parse_rate_per_minute),
    "boolean": Node.boolean,
    "string": Node.string,
}


def parse_threshold(node: Node, cls: type[T]) -> T:
    """Build a threshold dataclass from its YAML mapping, each field read as its ``limit(kind)`` says."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    given = node.mapping(tuple(f.name for f in fields)) if not _is_null(node) else {}
    values = {f.name: _KINDS[f.metadata["kind"]](given[f.name]) for f in fields
              if f.name in given and not _is_null(given[f.name])}
    threshold = cls(**values)
    for key, message in getattr(threshold, "problems", lambda: [])():
        raise (given[key] if key in given else node).error(message)
    return threshold


def _is_null(node: Node) -> bool:
    return isinstance(node.node, yaml.ScalarNode) and node.node.tag.endswith(":null")
