"""The service under test as a process: start on free loopback ports, wait, always stop.

A context manager usable without pytest (the plugin wraps it in a fixture).
Every service runs in its own process group and is stopped with SIGTERM then
SIGKILL of that group in a ``finally`` -- also on Ctrl-C, on errors and, as a
last resort, at interpreter exit -- so no service outlives the run.
"""

from __future__ import annotations

import atexit
import os
import re
import signal
import subprocess
import time
import urllib.error
import weakref
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ..config import ServiceConfig, TLSConfig
from ..errors import ServiceError
from .ports import DIRECT, free_port, is_loopback_host, split_host_port
from .process import group_pids, kill_group, tail_lines
from .tls import direct_opener
from .tunnel import Tunnel, tunnel_ports

# One GET of a ready URL -> its HTTP status (raising OSError / urllib errors when there is none).
ReadyProbe = Callable[[str, float], int]

_LIVE: weakref.WeakSet[ServiceProcess] = weakref.WeakSet()
# A flag whose name says debug/pprof and whose value looks like host:port.
_DEBUG_FLAG = re.compile(r"^--?[\w.-]*(?:debug|pprof)[\w.-]*$", re.IGNORECASE)
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
    return [v for v in out if ":" in v]


class AttachedService:
    """A service that already runs (``service.attach``): nothing is started or stopped."""

    def __init__(self, url: str, debug_url: str | None = None, *, tunnel: Tunnel | None = None) -> None:
        self.url = url.rstrip("/")
        self.debug_url = debug_url.rstrip("/") if debug_url else None
        self.pid: int | None = None
        self.log_path: Path | None = None
        self.tunnel = tunnel

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
    """Start ``binary`` with ``{addr}``/``{debug_addr}`` filled in, wait until ready, stop it."""

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
        tls: TLSConfig | None = None,
        ready_probe: ReadyProbe | None = None,
    ) -> None:
        self.binary = Path(binary)
        self.tls = tls
        self._ready_probe = ready_probe or _urllib_probe(tls)
        self.ready_path = ready_path if ready_path.startswith("/") else "/" + ready_path
        self.ready_timeout = ready_timeout
        self.log_path = Path(log_path)
        self.allow_public_debug = allow_public_debug
        self.cwd = cwd
        self.env = dict(env)
        self.addr = f"127.0.0.1:{free_port()}"
        uses_debug = any("{debug_addr}" in a for a in args)
        self.debug_addr: str | None = f"127.0.0.1:{free_port()}" if uses_debug else None
        self.args = [a.replace("{addr}", self.addr).replace("{debug_addr}", self.debug_addr or "") for a in args]
        scheme, debug_scheme = ("https" if tls else "http"), ("https" if tls and tls.debug else "http")
        self.url = f"{scheme}://{self.addr}"
        self.debug_url: str | None = f"{debug_scheme}://{self.debug_addr}" if self.debug_addr else None
        self._check_debug_addresses()
        self.pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._returncode: int | None = None

    def _check_debug_addresses(self) -> None:
        for value in _debug_values(self.args):
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
            if self.debug_url is None and port is not None:
                self.debug_url = f"{'https' if self.tls and self.tls.debug else 'http'}://{value}"

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
        """Start the process and block until ``ready_path`` answers 2xx/3xx."""
        if not self.binary.is_file():
            raise ServiceError(f"service binary {self.binary} does not exist; build it first")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        env = {**os.environ, **self.env}
        try:
            self._proc = subprocess.Popen(
                [str(self.binary), *self.args],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                env=env, cwd=self.cwd, start_new_session=True,
            )
        except OSError as exc:
            raise ServiceError(f"cannot start service {self.binary}: {exc}") from exc
        self.pid = self._proc.pid
        _LIVE.add(self)
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self._proc is not None
        url = self.url + self.ready_path
        deadline = time.monotonic() + self.ready_timeout
        last = "no answer yet"
        delay = 0.02
        while True:
            self.check_alive(during="while starting")
            try:
                status = self._ready_probe(url, 1.0)
                if status < 400:
                    time.sleep(0.05)
                    self.check_alive(during="right after answering its ready check")
                    self._check_owns_port()
                    return
                last = f"HTTP {status}"
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(getattr(exc, "reason", exc))
            if time.monotonic() >= deadline:
                break
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)
        ports = self._listening_ports()
        hint = ""
        from ..load.protocol import diagnose

        if (mismatch := diagnose(self.url, http2=False, timeout=1.0)) is not None:
            hint = f" {mismatch}."
        elif ports:
            shown = ", ".join(str(p) for p in sorted(ports))
            hint = (f" The process listens on port(s) {shown} instead: does it use the "
                    f"{{addr}} argument ({self.addr})?")
        raise ServiceError(
            f"service {self.binary.name} (pid {self.pid}) was not ready after {self.ready_timeout:g}s: "
            f"GET {url} -> {last}.{hint} Check service.ready.path / timeout and the args.\n"
            f"--- log tail ({self.log_path}) ---\n{self.log_tail()}"
        )

    def _listening_ports(self) -> set[int]:
        """Ports the process listens on (Linux /proc); empty set elsewhere."""
        if self.pid is None or not Path("/proc/net/tcp").exists():
            return set()
        inodes: set[str] = set()
        for pid in group_pids(self.pid):  # a wrapper script's child may hold the socket
            try:
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
            except OSError:
                continue
        ports: set[int] = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                f = line.split()
                if len(f) > 9 and f[3] == "0A" and f[9] in inodes:
                    ports.add(int(f[1].rsplit(":", 1)[1], 16))
        return ports

    def _check_owns_port(self) -> None:
        """Fail if the ready answer came from someone else holding our port."""
        ports = self._listening_ports()
        if not Path("/proc/net/tcp").exists():
            return
        _, port = split_host_port(self.addr)
        if port not in ports:
            raise ServiceError(
                f"service {self.binary.name} (pid {self.pid}) is not listening on {self.addr}, yet something "
                f"answered there: the port is taken by another process. Its own ports: {sorted(ports) or 'none'}.\n"
                f"--- log tail ({self.log_path}) ---\n{self.log_tail()}"
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
        return tail_lines(self.log_path, n)


def _urllib_probe(tls: TLSConfig | None) -> ReadyProbe:
    opener = direct_opener(tls) if tls is not None else DIRECT

    def probe(url: str, timeout: float) -> int:
        with opener.open(url, timeout=timeout) as resp:
            return int(resp.status)
    return probe


def service_for(cfg: ServiceConfig, binary: Path | None, artifacts: Path, *,
                ready_probe: ReadyProbe | None = None) -> ServiceProcess | AttachedService:
    """The service a goperf.yaml describes: attached, or ``binary`` started with its args (log in ``artifacts``)."""
    if cfg.attach is not None:
        tunnel = None
        if cfg.attach.tunnel:
            tunnel = Tunnel(cfg.attach.tunnel, tunnel_ports(cfg.attach.url, cfg.attach.debug_url),
                            log_path=Path(artifacts) / "tunnel.log", timeout=cfg.ready.timeout)
        return AttachedService(cfg.attach.url, cfg.attach.debug_url, tunnel=tunnel)
    if binary is None:
        raise ServiceError(f"service {cfg.name}: no binary to start (and no service.attach)")
    return ServiceProcess(
        binary, args=cfg.args, env=dict(cfg.env), ready_path=cfg.ready.path, ready_timeout=cfg.ready.timeout,
        log_path=Path(artifacts) / "service.log", allow_public_debug=cfg.allow_public_debug, cwd=cfg.module,
        tls=cfg.tls, ready_probe=ready_probe,
    )


@atexit.register
def _stop_all() -> None:
    for svc in list(_LIVE):
        svc.stop()
