"""The ``service:`` section of goperf.yaml: what to build, how to start it, where pprof is.

Split from config.py, which re-exports these names.  Everything that can be
checked before a build is checked here and named by file:line:key: unknown
placeholders in ``args``, ``env`` values and ``files`` templates (with the
template's own line), missing templates and folders, build-only variables
put in the service's runtime ``env``.  The schema is
docs/design.md#service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from pytest_goperf.errors import ConfigError
from pytest_goperf.go import placeholders
from pytest_goperf.yaml_nodes import Node, kind, opt

DEBUG_MODES = ("auto", "same", "none")
# Variables the go command reads when building; in the service's runtime env they would do nothing.
_BUILD_ONLY = re.compile(r"^(?:CGO_\w+|GOFLAGS|GOOS|GOARCH|GOAMD64|GOARM|GOARM64|GO386|GOPPC64|GORISCV64|"
                         r"GOEXPERIMENT|GOWORK|GOPROXY|GOPRIVATE|GONOSUMDB|GOINSECURE|CC|CXX)$")
_DEBUG_FLAG = re.compile(r"^--?[\w.-]*(?:debug|pprof)[\w.-]*=\S*:\d+$", re.IGNORECASE)
KEYS = ("name", "module", "main", "build_flags", "build_env", "args", "env", "cwd", "files", "ready", "debug",
        "attach", "allow_public_debug", "gowork", "tls")


@dataclass(frozen=True)
class ReadyCheck:
    """``service.ready``: one of an HTTP path (2xx/3xx, redirects not followed), a TCP connect, or a log line."""

    path: str = "/healthz"
    timeout: float = 30.0
    tcp: bool = False                 # ready when {addr} accepts a connection
    log: str | None = None            # ready when a log line matches this regexp (and {addr} accepts)


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
    cwd: Path | None = None           # absolute; None = the module root
    files: tuple[tuple[str, Path], ...] = ()   # (path relative to cwd, absolute template) rendered before start
    debug: str = "auto"               # auto | same | none: where pprof is when no {debug_addr} names it
    build_env: tuple[tuple[str, str], ...] = ()  # environment for go build / go test -c / go list
    tls: TLSConfig | None = None      # a started service speaks https on {addr}; attach: trust for https URLs

    @property
    def workdir(self) -> Path:
        """The folder the service runs in (rendered files are laid over it, never written into it)."""
        return self.cwd if self.cwd is not None else self.module

    def texts(self) -> list[str]:
        """Args and env values as written: where placeholders may appear (templates aside)."""
        return [*self.args, *(v for _, v in self.env)]


def has_debug_endpoints(service: ServiceConfig) -> bool:
    """Whether the service may serve pprof, as far as the config can tell before anything runs.

    ``debug: auto`` with no ``{debug_addr}``/``{debug_port}`` and no debug flag
    counts as yes: whether pprof answers on the API address is known only
    once the service runs (the probe), and refusing here would refuse the
    common default-mux service.  If the probe then finds nothing, each gate
    that reads pprof data fails with the probe's answer and the fixes.
    """
    if service.attach is not None:
        return service.attach.debug_url is not None
    return service.debug != "none"


def debug_plan(service: ServiceConfig) -> str:
    """Where pprof will come from, in words, for errors and docs."""
    if service.attach is not None:
        if service.attach.debug_url:
            return f"attach.debug_url {service.attach.debug_url}"
        return "nowhere (attach without debug_url)"
    texts = service.texts() + [t.read_text(errors="replace") for _, t in service.files if t.is_file()]
    if placeholders.uses_debug(texts):
        return "the separate listener on {debug_addr}"
    if any(_DEBUG_FLAG.match(a) for a in service.args):
        return "the debug flag in service.args"
    return {"same": "the API address (service.debug: same)", "none": "nowhere (service.debug: none)",
            "auto": "the API address if GET /debug/pprof/ answers there (probed at start)"}[service.debug]


def parse_service(node: Node | None, path: Path) -> ServiceConfig:
    if node is None:
        return ServiceConfig(name=path.parent.name, module=path.parent)
    f = node.mapping(KEYS)
    module = (path.parent / opt(f, "module", Node.string, ".")).resolve()
    name = opt(f, "name", Node.string, module.name)
    if not re.fullmatch(r"[\w.-]+", name):
        raise f["name"].error(f"service name {name!r} may only hold letters, digits, '.', '_' and '-'")
    args = _args(f["args"]) if "args" in f else ServiceConfig.args
    env = _env(f["env"], runtime=True) if "env" in f else ()
    files = _files(f["files"], path) if "files" in f else ()
    debug = _debug(f, args if "args" in f else (), env, files)
    if debug != "auto" and "args" not in f:
        args = ("-addr={addr}",)   # the default args without their separate debug listener
    attach = _attach(f["attach"], debug) if "attach" in f else None
    tls = _tls(f["tls"], path.parent, attach) if "tls" in f else None
    cwd = None
    if "cwd" in f:
        cwd = (path.parent / f["cwd"].string()).resolve()
        if attach is None and not cwd.is_dir():
            raise f["cwd"].error(f"folder {cwd} does not exist; service.cwd is relative to the YAML file")
    return ServiceConfig(
        name=name,
        module=module,
        main=opt(f, "main", Node.string, "."),
        build_flags=opt(f, "build_flags", Node.strings, ()),
        args=args,
        env=env,
        ready=_ready(f["ready"]) if "ready" in f else ReadyCheck(),
        attach=attach,
        allow_public_debug=opt(f, "allow_public_debug", Node.boolean, False),
        gowork=_gowork(f, path),
        cwd=cwd,
        files=files,
        debug=debug,
        build_env=_env(f["build_env"], runtime=False) if "build_env" in f else (),
        tls=tls,
    )


def _checked(node: Node, text: str) -> str:
    problem = placeholders.unknown_message(text)
    if problem is not None:
        raise node.error(f"{problem} (in {text!r})")
    return text


def _args(node: Node) -> tuple[str, ...]:
    if isinstance(node.node, yaml.SequenceNode):
        items = [Node(n, node.path, f"{node.key}[{i}]") for i, n in enumerate(node.node.value)]
        for item in items:
            if not isinstance(item.node, yaml.ScalarNode):
                raise item.error(f"expected a string, got {kind(item.node)}")
        return tuple(_checked(item, str(item.node.value)) for item in items)
    return tuple(_checked(node, a) for a in node.strings())


def _env(node: Node, *, runtime: bool) -> tuple[tuple[str, str], ...]:
    """A mapping of variable names to values, each value as written (YAML would turn ``on`` into True)."""
    if not isinstance(node.node, yaml.MappingNode):
        raise node.error(f"expected a mapping of variable names to strings, got {kind(node.node)}")
    out: list[tuple[str, str]] = []
    for k, v in node.node.value:
        name = str(k.value)
        item = Node(v, node.path, f"{node.key}.{name}")
        if not isinstance(v, yaml.ScalarNode):
            raise item.error(f"expected a string, got {kind(v)}")
        if not runtime and name in ("GOTOOLCHAIN", "GOROOT"):
            raise item.error(f"goperf always builds with GOTOOLCHAIN=local and the toolchain it found; choose another "
                             f"toolchain with GOPERF_GO=/path/to/go instead of {name}")
        if runtime and _BUILD_ONLY.match(name):
            raise item.error(f"{name} is read by the go command when building, not by the running service: "
                             "put it in service.build_env")
        out.append((name, _checked(item, str(v.value)) if runtime else str(v.value)))
    return tuple(out)


def _files(node: Node, path: Path) -> tuple[tuple[str, Path], ...]:
    """``{dest: template}``: dest relative to the service's working folder, template relative to the YAML."""
    if not isinstance(node.node, yaml.MappingNode):
        raise node.error("expected a mapping of rendered file -> template, e.g. {config/test.yaml: test.yaml.tmpl}")
    out: list[tuple[str, Path]] = []
    for k, v in node.node.value:
        dest = str(k.value)
        item = Node(v, node.path, f"{node.key}.{dest}")
        rel = PurePosixPath(dest)
        if rel.is_absolute() or ".." in rel.parts or dest in ("", "."):
            raise item.error(f"{dest!r} must be a path inside the service's working folder (relative, no '..')")
        template = (path.parent / item.string()).resolve()
        if not template.is_file():
            raise item.error(f"template {template} does not exist (templates are relative to the YAML file)")
        try:
            lines = template.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise item.error(f"cannot read template {template} as UTF-8 text: {exc}") from None
        for number, line in enumerate(lines, start=1):
            problem = placeholders.unknown_message(line)
            if problem is not None:
                raise item.error(f"{template}:{number}: {problem}")
        out.append((rel.as_posix(), template))
    return tuple(out)


def _debug(f: dict[str, Node], args: tuple[str, ...], env: tuple[tuple[str, str], ...],
           files: tuple[tuple[str, Path], ...]) -> str:
    if "debug" not in f:
        return "auto"
    node = f["debug"]
    value = str(node.node.value) if isinstance(node.node, yaml.ScalarNode) else kind(node.node)
    if value not in DEBUG_MODES:
        raise node.error(f"must be auto (probe the API address for pprof when no {{debug_addr}} is used), "
                         f"same (pprof is on the API address) or none, got {value!r}")
    texts = [*args, *(v for _, v in env), *(t.read_text(errors="replace") for _, t in files)]
    if value != "auto" and placeholders.uses_debug(texts):
        raise node.error(f"debug: {value} contradicts the {{debug_addr}}/{{debug_port}} placeholder in service "
                         "args/env/files, which starts a separate debug listener; drop one of the two")
    return value


def _ready(node: Node) -> ReadyCheck:
    r = node.mapping(("path", "tcp", "log", "timeout"))
    given = [k for k in ("path", "tcp", "log") if k in r]
    if len(given) > 1:
        raise r[given[1]].error(f"give one readiness check: path, tcp or log (got {' and '.join(given)})")
    timeout = opt(r, "timeout", Node.duration, 30.0)
    if "tcp" in r:
        if not r["tcp"].boolean():
            raise r["tcp"].error("tcp: true is the only value (drop the key for an HTTP path check)")
        return ReadyCheck(tcp=True, timeout=timeout)
    if "log" in r:
        pattern = r["log"].string()
        try:
            re.compile(pattern)
        except re.error as exc:
            raise r["log"].error(f"not a valid regular expression: {exc}") from None
        return ReadyCheck(log=pattern, timeout=timeout)
    ready = ReadyCheck(path=opt(r, "path", Node.string, "/healthz"), timeout=timeout)
    if not ready.path.startswith("/"):
        raise r["path"].error(f"must start with '/', got {ready.path!r}")
    return ready


def _url(node: Node, what: str) -> str:
    """An http:// or https:// URL with a host (a path prefix is kept), checked when the file is read."""
    from urllib.parse import urlsplit

    url = node.string().rstrip("/")
    parts = urlsplit(url)
    try:
        _ = parts.port  # urlsplit checks the port only when it is read
    except ValueError:
        raise node.error(f"{url!r} has a bad port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise node.error(f"{what} must be an http://host:port or https://host:port URL, got {url!r}")
    return url


def _attach(node: Node, debug: str) -> Attach:
    a = node.mapping(("url", "debug_url", "tunnel"))
    if "url" not in a:
        raise node.error("needs 'url', the base URL of the running service")
    url = _url(a["url"], "service.attach.url")
    debug_url = opt(a, "debug_url", lambda n: _url(n, "service.attach.debug_url"), None)
    if debug == "same":
        if debug_url is not None and debug_url.removesuffix("/debug/pprof") != url:
            raise a["debug_url"].error("service.debug: same says pprof is on the API address; drop debug_url")
        debug_url = url
    tunnel = opt(a, "tunnel", Node.strings, None)
    if tunnel is not None and not tunnel:
        raise a["tunnel"].error("expected the tunnel command as a list, e.g. [kubectl, port-forward, svc/x, '8080:8080']")
    attach = Attach(url=url, debug_url=debug_url, tunnel=tunnel)
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


def check_module(service: ServiceConfig, node: Node | None, path: Path) -> None:
    """A missing module folder is a config error, reported before anything is built."""
    where = f"{path}"
    if node is not None and isinstance(node.node, yaml.MappingNode):
        for k, v in node.node.value:
            if getattr(k, "value", None) == "module":
                where = f"{path}:{int(v.start_mark.line) + 1}: service.module"
    if not service.module.is_dir():
        raise ConfigError(f"{where}: module folder {service.module} does not exist; "
                          "set service.module to the folder with go.mod (relative to the YAML file)")
    if not (service.module / "go.mod").is_file():
        raise ConfigError(f"{where}: {service.module} has no go.mod; set service.module to the folder that holds go.mod")
