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

from pytest_goperf.errors import ConfigError
from pytest_goperf.gates.bench import BenchThreshold
from pytest_goperf.quantities import parse_duration, parse_rate_per_minute
from pytest_goperf.yaml_nodes import Node, key_lines, kind, opt

T = TypeVar("T")


@dataclass(frozen=True)
class ReadyCheck:
    path: str = "/healthz"
    timeout: float = 30.0


@dataclass(frozen=True)
class Attach:
    url: str
    debug_url: str | None = None
    tunnel: tuple[str, ...] | None = None   # e.g. kubectl port-forward: started, awaited, kept, stopped


@dataclass(frozen=True)
class TLSConfig:
    """``service.tls``: how the plugin trusts an https:// service (load, ready check, captures)."""

    ca_file: Path | None = None        # absolute; PEM bundle of the CA(s) that signed the service's certificate
    insecure_skip_verify: bool = False
    server_name: str | None = None     # the name the certificate is checked against, when not the URL's host
    debug: bool = False                # a started service's {debug_addr} listener speaks TLS too


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
    gowork: str = "off"               # git: baselines: off | auto | absolute path of a go.work
    tls: TLSConfig | None = None      # a started service speaks https on {addr}; attach: trust for https URLs


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
    expect_status: tuple[str, ...] = ("2xx",)   # codes ("200") or classes ("2xx") that count as success
    follow_redirects: bool = False    # 3xx answers are counted by status, not followed, unless true
    threads: int = 1                  # generator event loops (one OS thread each)
    http2: bool = False               # HTTP/2: over TLS by ALPN, h2c (prior knowledge) on http:// URLs
    tool: str = "builtin"             # builtin | vegeta | locust
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
    top = Node(root, path, "").mapping(("service", "bench", "load", "thresholds"))
    if "thresholds" not in top:
        raise ConfigError(f"{path}: no 'thresholds' section: nothing would be gated; add e.g. thresholds: {{bench: {{max_regression: 5%}}}}")
    service = _service(top.get("service"), path)
    bench = _bench(top["bench"]) if "bench" in top else BenchConfig()
    load = _load(top["load"], path.parent) if "load" in top else None
    thresholds = _thresholds(top["thresholds"])
    needs_source = service.attach is None or thresholds.bench is not None
    if needs_source:
        _check_module(service, top.get("service"), path)
    runtime = list(thresholds.runtime)
    if runtime and load is None:
        raise top["thresholds"].error(
            f"{', '.join(runtime)} need the service under load: add a 'load' section with at least one request"
        )
    if load is not None:
        _check_needs(thresholds, top["thresholds"], service, load)
    return GoperfConfig(path=path, service=service, bench=bench, load=load, thresholds=thresholds,
                        lines=key_lines(root))


_DEBUG_FLAG = re.compile(r"^--?[\w.-]*(?:debug|pprof)[\w.-]*=\S*:\d+$", re.IGNORECASE)


def has_debug_endpoints(service: ServiceConfig) -> bool:
    """Whether the service will serve pprof: ``{debug_addr}`` in its args, a debug flag, or attach.debug_url."""
    if service.attach is not None:
        return service.attach.debug_url is not None
    return any("{debug_addr}" in a or _DEBUG_FLAG.match(a) for a in service.args)


def _check_needs(thresholds: Thresholds, node: Node, service: ServiceConfig, load: LoadConfig) -> None:
    """What each gate needs measured must be possible, said before anything is built."""
    from pytest_goperf.gates.registry import runtime_gate

    fields = node.mapping(("bench", *thresholds.runtime))
    for key in thresholds.runtime:
        needs = runtime_gate(key).needs
        if needs & {"cpu", "trace", "heap", "goroutines"} and not has_debug_endpoints(service):
            where = ("service.attach.debug_url" if service.attach is not None
                     else "service.args (pass '-debug-addr={debug_addr}' or your service's own pprof flag)")
            raise fields[key].error(f"this gate reads pprof data ({', '.join(sorted(needs))}) but the service has "
                                    f"no debug endpoints: set {where}")
        if "trace" in needs and load.trace <= 0:
            raise fields[key].error(f"this gate reads the execution trace, but load.trace is {load.trace:g}s; "
                                    "set load.trace to a duration inside the window, e.g. 5s")


def _check_module(service: ServiceConfig, node: Node | None, path: Path) -> None:
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


def _service(node: Node | None, path: Path) -> ServiceConfig:
    if node is None:
        return ServiceConfig(name=path.parent.name, module=path.parent)
    f = node.mapping(("name", "module", "main", "build_flags", "args", "env", "ready", "attach", "allow_public_debug",
                      "gowork", "tls"))
    module = (path.parent / opt(f, "module", Node.string, ".")).resolve()
    name = opt(f, "name", Node.string, module.name)
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
        ready = ReadyCheck(path=opt(r, "path", Node.string, "/healthz"), timeout=opt(r, "timeout", Node.duration, 30.0))
        if not ready.path.startswith("/"):
            raise r["path"].error(f"must start with '/', got {ready.path!r}")
    attach = _attach(f["attach"]) if "attach" in f else None
    tls = _tls(f["tls"], path.parent, attach) if "tls" in f else None
    return ServiceConfig(
        name=name,
        module=module,
        main=opt(f, "main", Node.string, "."),
        build_flags=opt(f, "build_flags", Node.strings, ()),
        args=opt(f, "args", Node.strings, ServiceConfig.args),
        env=env,
        ready=ready,
        attach=attach,
        allow_public_debug=opt(f, "allow_public_debug", Node.boolean, False),
        gowork=_gowork(f, path),
        tls=tls,
    )


def _url(node: Node, what: str) -> str:
    """An http:// or https:// URL with a host (a path prefix is kept), checked when the file is read."""
    from urllib.parse import urlsplit

    url = node.string().rstrip("/")
    parts = urlsplit(url)
    try:
        parts.port
    except ValueError:
        raise node.error(f"{url!r} has a bad port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise node.error(f"{what} must be an http://host:port or https://host:port URL, got {url!r}")
    return url


def _attach(node: Node) -> Attach:
    a = node.mapping(("url", "debug_url", "tunnel"))
    if "url" not in a:
        raise node.error("needs 'url', the base URL of the running service")
    tunnel = opt(a, "tunnel", Node.strings, None)
    if tunnel is not None and not tunnel:
        raise a["tunnel"].error("expected the tunnel command as a list, e.g. [kubectl, port-forward, svc/x, '8080:8080']")
    attach = Attach(url=_url(a["url"], "service.attach.url"),
                    debug_url=opt(a, "debug_url", lambda n: _url(n, "service.attach.debug_url"), None), tunnel=tunnel)
    if tunnel is not None:
        from pytest_goperf.go.tunnel import tunnel_ports

        if not tunnel_ports(attach.url, attach.debug_url):
            raise a["tunnel"].error("a tunnel forwards a local port, so url or debug_url must be a loopback "
                                    "http(s)://127.0.0.1:PORT (or localhost:PORT) URL")
    return attach


def _tls(node: Node, base: Path, attach: Attach | None) -> TLSConfig:
    f = node.mapping(("ca_file", "insecure_skip_verify", "server_name", "debug"))
    ca = opt(f, "ca_file", lambda n: (base / n.string()).resolve(), None)
    if ca is not None and not ca.is_file():
        raise f["ca_file"].error(f"file {ca} does not exist; give the PEM file of the CA that signed the "
                                 "service's certificate")
    tls = TLSConfig(ca_file=ca, insecure_skip_verify=opt(f, "insecure_skip_verify", Node.boolean, False),
                    server_name=opt(f, "server_name", Node.string, None), debug=opt(f, "debug", Node.boolean, False))
    if attach is not None:
        if "debug" in f:
            raise f["debug"].error("applies to started services; with service.attach, write https:// in debug_url")
        if not any(u and u.startswith("https://") for u in (attach.url, attach.debug_url)):
            raise node.error("neither service.attach.url nor debug_url is https://, so there is nothing to trust")
    return tls


def _gowork(f: dict[str, Node], path: Path) -> str:
    """service.gowork: off, auto, or a go.work file relative to the YAML (for git: baselines)."""
    if "gowork" not in f:
        return "off"
    node = f["gowork"]
    value = str(node.node.value) if isinstance(node.node, yaml.ScalarNode) else "a " + kind(node.node)
    if value in ("off", "auto"):  # the text as written: YAML 1.1 would read a bare off as false
        return value
    work = (path.parent / value).resolve()
    if not isinstance(node.node, yaml.ScalarNode) or work.name != "go.work" or not work.is_file():
        raise f["gowork"].error(f"must be off, auto or the path of a go.work file, got {value!r} ({work} is not one)")
    return str(work)


def _bench(node: Node) -> BenchConfig:
    f = node.mapping(("packages", "bench", "count", "benchtime", "baseline", "candidate"))
    baseline = opt(f, "baseline", Node.string, "pgo-off")
    if not (baseline == "pgo-off" or baseline.startswith(("git:", "file:"))) or baseline in ("git:", "file:"):
        raise f["baseline"].error(f"must be pgo-off, git:<ref> or file:<old.txt>, got {baseline!r}")
    candidate = opt(f, "candidate", Node.string, "pgo")
    if candidate not in ("pgo", "worktree"):
        raise f["candidate"].error(f"must be pgo or worktree, got {candidate!r}")
    benchtime = str(opt(f, "benchtime", lambda n: n.value(), "1s"))
    if not re.fullmatch(r"\d+x", benchtime):
        try:
            parse_duration(benchtime)
        except ValueError as exc:
            raise f["benchtime"].error(f"{exc} (or an iteration count such as 100x)") from None
    # Checked with Go's own testing package before any build (go/bench_pattern.py): RE2, split on '/'.
    pattern = str(opt(f, "bench", lambda n: n.value(), "."))
    return BenchConfig(
        packages=opt(f, "packages", Node.strings, ("./...",)),
        bench=pattern,
        count=opt(f, "count", lambda n: n.integer(minimum=1), 6),
        benchtime=benchtime,
        baseline=baseline,
        candidate=candidate,
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
                      "tool", "vegeta", "locust"))
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


def _check_tool(cfg: LoadConfig, f: dict[str, Node]) -> None:
    """load.tool and what goes with it: each engine's own section, and what it cannot do."""
    if cfg.tool not in TOOLS:
        raise f["tool"].error(f"must be one of {', '.join(TOOLS)}, got {cfg.tool!r} "
                              "(other tools, k6 for example, run through load.command)")
    if cfg.command and "tool" in f:
        raise f["tool"].error("give either load.tool or load.command (your own tool), not both")
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
    from pytest_goperf.gates.registry import RUNTIME_GATES

    f = node.mapping(("bench", *(g.key for g in RUNTIME_GATES)))
    bench = parse_threshold(f["bench"], BenchThreshold) if "bench" in f else None
    runtime = {g.key: parse_threshold(f[g.key], g.threshold) for g in RUNTIME_GATES if g.key in f}
    return Thresholds(bench=bench, runtime=runtime)


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
