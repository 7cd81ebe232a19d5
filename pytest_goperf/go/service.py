"""The service under test as a process: start on free loopback ports, wait, always stop.

A context manager usable without pytest (the plugin wraps it in a fixture).
Every service runs in its own process group and is stopped with SIGTERM then
SIGKILL of that group in a ``finally`` -- also on Ctrl-C, on errors and, as a
last resort, at interpreter exit -- so no service outlives the run.

Where pprof is (``debug_url``) is decided once the service is ready: a
separate listener on ``{debug_addr}``/``{debug_port}``, a literal loopback
debug flag, the API address itself (``debug="same"``), or -- with none of
those -- the API address if ``GET /debug/pprof/`` answers there (the probe).
Whichever it is, a listener serving pprof must be bound to loopback, checked
on the live sockets, unless ``allow_public_debug``.
"""

from __future__ import annotations

import atexit
import os
import re
import signal
import subprocess
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

from ..config import ReadyCheck, ServiceConfig, TLSConfig
from ..errors import ServiceError
from . import placeholders, workdir
from .logcap import CappedLog
from .ports import (
    can_see_sockets,
    free_port,
    is_loopback_host,
    listening,
    split_host_port,
)
from .process import group_pids, kill_group, tail_lines
from .readiness import LogWatch, http_ready, pprof_index, tcp_ready
from .tls import direct_opener
from .tunnel import Tunnel, tunnel_ports

# One GET of a ready URL -> its HTTP status (raising OSError / urllib errors when there is none).
ReadyProbe = Callable[[str, float], int]

_LIVE: weakref.WeakSet[ServiceProcess] = weakref.WeakSet()
# A flag whose name says debug/pprof and whose value looks like host:port.
_DEBUG_FLAG = re.compile(r"^--?[\w.-]*(?:debug|pprof)[\w.-]*$", re.IGNORECASE)
_DEBUG_NAME = re.compile(r"debug|pprof", re.IGNORECASE)   # an env variable such as DEBUG_ADDR or PPROF_LISTEN
_HOST_PORT = re.compile(r"(?:https?://)?(?:\[[0-9A-Fa-f:.]*\]|[\w.-]*):\d+/?")   # 127.0.0.1:6060, :6060, [::1]:6060
_STOP_GRACE = 5.0


def _debug_values(args: Sequence[str]) -> list[str]:
    """Values of debug/pprof address flags (``-debug-addr=X`` or ``-debug-addr X``)."""
    out: list[str] = []
    for i, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if not _DEBUG_FLAG.match(name):
            continue
        if eq:
            out.append(value)
        elif i + 1 < len(args) and not args[i + 1].startswith("-"):
            out.append(args[i + 1])
    return [v for v in out if _HOST_PORT.fullmatch(v)]


PPROF_ON_API_ADVICE = (
    "pprof is reachable on the API port ({where}): whoever can reach the API can read heap contents, "
    "goroutine stacks and the command line. In production serve net/http/pprof on a separate listener "
    "bound to 127.0.0.1 (a second http.Server with its own mux), reach it by port-forwarding "
    "(kubectl port-forward, ssh -L), and never expose it through a public LoadBalancer or Ingress "
    "(docs/migration.md#pprof-on-the-api-port)"
)


class AttachedService:
    """A service that already runs (``service.attach``): nothing is started or stopped."""

    def __init__(self, url: str, debug_url: str | None = None, *, tunnel: Tunnel | None = None) -> None:
        self.url = url.rstrip("/")
        self.debug_url = debug_url.rstrip("/") if debug_url else None
        self.pid: int | None = None
        self.log_path: Path | None = None
        self.tunnel = tunnel
        self.debug_note: str | None = None
        self.debug_problem: str | None = None

    @property
    def pprof_on_api(self) -> str | None:
        """The production advice when pprof is served on the API address, else None."""
        if self.debug_url is None or self.debug_url.removesuffix("/debug/pprof") != self.url:
            return None
        return PPROF_ON_API_ADVICE.format(where=f"{self.url}/debug/pprof/")

    def log_tail(self, n: int = 40) -> str:
        """An attached service has no log we can read (a tunnel's log stands in for it)."""
        if self.tunnel is not None:
            return f"--- tunnel log ({self.tunnel.log_path}) ---\n{self.tunnel.log_tail(n)}"
        return ""

    def check_alive(self, during: str = "under load") -> None:
        """The process is not ours; a tunnel to it that dropped is restarted once."""
        if self.tunnel is not None:
            self.tunnel.check()

    def __enter__(self) -> AttachedService:
        if self.tunnel is not None:
            self.tunnel.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tunnel is not None:
            self.tunnel.stop()


class ServiceProcess:
    """Start ``binary`` with its placeholders filled in, wait until ready, find pprof, stop it."""

    def __init__(
        self,
        binary: Path,
        *,
        args: Sequence[str],
        env: Mapping[str, str],
        ready_path: str = "/healthz",
        ready_timeout: float = 30.0,
        log_path: Path,
        allow_public_debug: bool = False,
        cwd: Path | None = None,
        ready: ReadyCheck | None = None,
        files: Mapping[str, Path] | None = None,
        debug: str = "auto",
        probe_debug: bool = True,
        tls: TLSConfig | None = None,
        ready_probe: ReadyProbe | None = None,
    ) -> None:
        self.binary = Path(binary)
        self.tls = tls
        self._opener = direct_opener(tls) if tls is not None else None
        self._ready_probe = ready_probe
        self.ready = ready if ready is not None else ReadyCheck(path=ready_path, timeout=ready_timeout)
        path = self.ready.path
        self.ready_path = path if path.startswith("/") else "/" + path
        self.ready_timeout = self.ready.timeout
        self.log_path = Path(log_path)
        self.allow_public_debug = allow_public_debug
        self.cwd = cwd
        self.files = dict(files or {})
        if debug not in ("auto", "same", "none"):
            raise ServiceError(f"service debug must be auto, same or none, got {debug!r}")
        self.debug = debug
        self.probe_debug = probe_debug and debug == "auto"
        texts = [*args, *env.values(), *(t.read_text(errors="replace") for t in self.files.values() if t.is_file())]
        for text in texts:
            problem = placeholders.unknown_message(text)
            if problem is not None:
                raise ServiceError(f"service {self.binary.name}: {text!r}: {problem}")
        wants_debug = placeholders.uses_debug(texts)
        if wants_debug and debug != "auto":
            raise ServiceError(f"service {self.binary.name}: debug={debug!r} but the arguments use {{debug_addr}}/"
                               "{debug_port}: a separate debug listener; drop one of the two")
        self.endpoints = placeholders.Endpoints("127.0.0.1", free_port(), free_port() if wants_debug else None)
        values = self.endpoints.values()
        self.values = values
        self.addr = self.endpoints.addr
        self.url = self.endpoints.url.replace("http://", "https://", 1) if tls is not None else self.endpoints.url
        self.debug_addr = self.endpoints.debug_addr
        self.args = [placeholders.expand(a, values) for a in args]
        self.env = {k: placeholders.expand(v, values) for k, v in env.items()}
        self.debug_url: str | None = f"{self._debug_scheme}://{self.debug_addr}" if self.debug_addr else None
        self.debug_note: str | None = f"pprof on the separate debug listener {self.debug_addr}" if self.debug_addr else None
        self.debug_problem: str | None = None   # why there is no debug_url, once known
        if debug == "same":
            self.debug_url = self.url
            self.debug_note = "pprof on the API address (service.debug: same)"
        self._check_debug_addresses()
        self.workdir: Path | None = None
        self.pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: CappedLog | None = None
        self._returncode: int | None = None

    def _check_debug_addresses(self) -> None:
        named = [v for k, v in self.env.items() if _DEBUG_NAME.search(k) and _HOST_PORT.fullmatch(v)]
        for value in [*_debug_values(self.args), *named]:
            host, port = split_host_port(value)
            if not is_loopback_host(host):
                if not self.allow_public_debug:
                    shown = host or "all interfaces"
                    raise ServiceError(
                        f"service {self.binary.name}: debug address {value!r} binds {shown}, not loopback; "
                        "pprof exposes memory contents and must stay on 127.0.0.1. "
                        "Use '{debug_addr}' or set service.allow_public_debug: true if you really mean it."
                    )
                continue
            if self.debug_url is None and port is not None and self.debug != "none":
                self.debug_url = value.rstrip("/") if "://" in value else f"{self._debug_scheme}://{value}"
                self.debug_note = f"pprof on the debug listener {value} named in the arguments"

    @property
    def _debug_scheme(self) -> str:
        return "https" if self.tls is not None and self.tls.debug else "http"

    @property
    def pprof_on_api(self) -> str | None:
        """The production advice when pprof is served on the API address, else None."""
        if self.debug_url != self.url:
            return None
        return PPROF_ON_API_ADVICE.format(where=f"{self.url}/debug/pprof/")

    # -- lifecycle -----------------------------------------------------------
    def __enter__(self) -> ServiceProcess:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the process, block until ready, then settle where pprof is."""
        if not self.binary.is_file():
            raise ServiceError(f"service binary {self.binary} does not exist; build it first")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cwd = self.cwd if self.cwd is not None else Path.cwd()
        self.workdir = workdir.prepare(cwd, self.files, self.values, self.log_path.parent / "workdir")
        self._log = CappedLog(self.log_path)
        env = {**os.environ, **self.env}
        try:
            self._proc = subprocess.Popen(
                [str(self.binary), *self.args],
                stdin=subprocess.DEVNULL, stdout=self._log.write_fd, stderr=subprocess.STDOUT,
                env=env, cwd=self.workdir, start_new_session=True,
            )
        except OSError as exc:
            self._log.close()
            self._log = None
            raise ServiceError(f"cannot start service {self.binary}: {exc}") from exc
        finally:
            if self._log is not None:
                self._log.spawned()
        self.pid = self._proc.pid
        _LIVE.add(self)
        self._wait_ready()
        self._settle_debug()

    def _attempt(self, watch: LogWatch | None) -> tuple[bool, str]:
        """One readiness attempt of the configured kind."""
        if watch is not None:
            if not watch.matched():
                return False, f"no log line matched ready.log {watch.pattern.pattern!r} yet"
            ok, seen = tcp_ready(self.endpoints.host, self.endpoints.port)
            return ok, f"the log line {watch.line!r} matched, but {self.addr} refused a connection ({seen})"
        if self.ready.tcp:
            ok, seen = tcp_ready(self.endpoints.host, self.endpoints.port)
            return ok, f"TCP connect to {self.addr}: {seen}"
        url = self.url + self.ready_path
        if self._ready_probe is not None:  # e.g. an h2c service, which answers no HTTP/1.1 GET
            try:
                status = self._ready_probe(url, 1.0)
            except OSError as exc:
                return False, f"GET {url} -> {getattr(exc, 'reason', exc)}"
            return status < 400, f"GET {url} -> HTTP {status}"
        ok, seen = http_ready(url, opener=self._opener)
        return ok, f"GET {url} -> {seen}"

    def _wait_ready(self) -> None:
        assert self._proc is not None
        watch = LogWatch(self.log_path, self.ready.log) if self.ready.log else None
        deadline = time.monotonic() + self.ready_timeout
        last = "no answer yet"
        delay = 0.02
        while True:
            self.check_alive(during="while starting")
            if self._log is not None:
                self._log.flush()
            ready, last = self._attempt(watch)
            if ready:
                time.sleep(0.05)
                self.check_alive(during="right after answering its ready check")
                self._check_owns_port()
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)
        ports = sorted({port for _, port in self._sockets()})
        hint = ""
        from ..load.protocol import diagnose

        if (mismatch := diagnose(self.url, http2=False, timeout=1.0)) is not None:
            hint = f" {mismatch}."
        elif ports and str(self.addr).rpartition(":")[2] not in {str(p) for p in ports}:
            # Only when the service is not on its own port: a 503 from the right port is not a placeholder problem.
            hint = (f" The process listens on port(s) {', '.join(map(str, ports))} instead: does it use the "
                    f"{{addr}} / {{port}} placeholder ({self.addr})?")
        raise ServiceError(
            f"service {self.binary.name} (pid {self.pid}) was not ready after {self.ready_timeout:g}s: "
            f"{last}.{hint} Check service.ready and the args/env placeholders.\n"
            f"--- log tail ({self.log_path}) ---\n{self.log_tail()}"
        )

    def _sockets(self) -> list[tuple[str, int]]:
        """(address, port) the process group listens on (Linux /proc); empty elsewhere."""
        if self.pid is None or not can_see_sockets():
            return []
        return listening(group_pids(self.pid))  # a wrapper script's child may hold the socket

    def _check_owns_port(self) -> None:
        """Fail if the ready answer came from someone else holding our port."""
        if not can_see_sockets():
            return
        sockets = self._sockets()
        if self.endpoints.port not in {port for _, port in sockets}:
            raise ServiceError(
                f"service {self.binary.name} (pid {self.pid}) is not listening on {self.addr}, yet something "
                f"answered there: the port is taken by another process. "
                f"Its own ports: {sorted({p for _, p in sockets}) or 'none'}.\n"
                f"--- log tail ({self.log_path}) ---\n{self.log_tail()}"
            )

    def _settle_debug(self) -> None:
        """Probe the API address for pprof when nothing else names a debug listener; check its bind."""
        if self.debug_url is None and self.debug == "none":
            self.debug_problem = "the service has no debug endpoints (service.debug: none)"
        elif self.debug_url is None and not self.probe_debug:
            self.debug_problem = "no debug listener: the config has no {debug_addr} / {debug_port} placeholder"
        elif self.debug_url is None:
            found, seen = pprof_index(self.url, opener=self._opener)
            if found:
                self.debug_url = self.url
                self.debug_note = (f"pprof found on the API address by probing ({seen}); no {{debug_addr}} in "
                                   "the config, so profiles and the trace come from there")
            else:
                self.debug_problem = (
                    f"no pprof: the config names no debug listener and the probe {seen}. Register net/http/pprof "
                    "(import _ \"net/http/pprof\" on the mux the API serves, then service.debug: same), or serve it "
                    "on a separate listener and pass its address as {debug_addr} in service.args / service.env")
        elif self.debug == "same":
            found, seen = pprof_index(self.url, opener=self._opener)
            if not found:
                self.debug_problem = f"service.debug: same, but the probe {seen}"
        self._check_debug_bind()

    def _check_debug_bind(self) -> None:
        """A listener serving pprof must be bound to loopback, unless allow_public_debug (checked on the live sockets)."""
        if self.debug_url is None or self.allow_public_debug or self.pid is None:
            return
        _, port = split_host_port(self.debug_url)
        public = sorted({f"[{a}]:{p}" if ":" in a else f"{a}:{p}" for a, p in self._sockets()
                         if p == port and not is_loopback_host(a)})
        if not public:
            return
        on_api = " (the API listener)" if self.debug_url == self.url else ""
        raise ServiceError(
            f"service {self.binary.name} serves pprof on {self.debug_url}{on_api}, but that listener binds "
            f"{', '.join(public)}: all interfaces, not loopback, so anyone who can reach this machine can read "
            "the service's memory while it runs. If the service can take a host, bind it to loopback (pass {addr} "
            "or {host}, e.g. -addr={addr} or env HOST: \"{host}\", instead of only {port}); otherwise set "
            "service.allow_public_debug: true on a runner nobody else can reach. The service was stopped."
        )

    def check_alive(self, during: str = "under load") -> None:
        """Raise ``ServiceError`` with the log tail if the process has exited."""
        if self._proc is None:
            raise ServiceError(f"service {self.binary.name} was never started")
        code = self._proc.poll()
        if code is None:
            return
        tail = self.log_tail()
        hint = ""
        if "address already in use" in tail:
            hint = " A port it was given is already taken by another process."
        elif "{" in " ".join(self.args) or "lookup tcp/" in tail:
            hint = " Are all its address placeholders filled in (args, env, files)?"
        how = f"exit status {code}" if code >= 0 else f"signal {signal.Signals(-code).name}"
        raise ServiceError(
            f"service {self.binary.name} (pid {self.pid}) exited {during} ({how}).{hint}\n"
            f"--- log tail ({self.log_path}) ---\n{tail}"
        )

    @property
    def returncode(self) -> int | None:
        """Exit status once the process has ended (negative: killed by that signal)."""
        return self._returncode if self._proc is None else self._proc.poll()

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it after a grace period; idempotent."""
        proc, self._proc = self._proc, None
        try:
            if proc is not None:
                kill_group(proc, _STOP_GRACE)
        finally:
            _LIVE.discard(self)
            if self._log is not None:
                self._log.close()
                self._log = None
            if proc is not None:
                self._returncode = proc.returncode

    def log_tail(self, n: int = 40) -> str:
        """The last ``n`` lines of the service's combined stdout/stderr."""
        if self._log is not None:
            self._log.flush()
            capped = self._log.tail_lines(n)
            if capped is not None:
                return capped
        return tail_lines(self.log_path, n)


def service_for(cfg: ServiceConfig, binary: Path | None, artifacts: Path, *, probe_debug: bool = True,
                ready_probe: ReadyProbe | None = None) -> ServiceProcess | AttachedService:
    """The service a goperf.yaml describes: attached, or ``binary`` started as configured (log in ``artifacts``).

    ``probe_debug``: look for pprof on the API address when the config names
    no debug listener (only worth a request when some gate reads pprof data).
    """
    if cfg.attach is not None:
        tunnel = None
        if cfg.attach.tunnel:
            tunnel = Tunnel(cfg.attach.tunnel, tunnel_ports(cfg.attach.url, cfg.attach.debug_url),
                            log_path=Path(artifacts) / "tunnel.log", timeout=cfg.ready.timeout)
        return AttachedService(cfg.attach.url, cfg.attach.debug_url, tunnel=tunnel)
    if binary is None:
        raise ServiceError(f"service {cfg.name}: no binary to start (and no service.attach)")
    return ServiceProcess(
        binary, args=cfg.args, env=dict(cfg.env), ready=cfg.ready, log_path=Path(artifacts) / "service.log",
        allow_public_debug=cfg.allow_public_debug, cwd=cfg.workdir, files=dict(cfg.files), debug=cfg.debug,
        probe_debug=probe_debug, tls=cfg.tls, ready_probe=ready_probe,
    )


@atexit.register
def _stop_all() -> None:
    for svc in list(_LIVE):
        svc.stop()
