"""A tunnel to a service in a cluster (``service.attach.tunnel``): started, awaited, restarted once, always stopped.

In real life the command is ``kubectl port-forward svc/checkout 8080:8080
6060:6060``; anything that forwards local ports works (``socat``, ``ssh -L``).
The tunnel is ready when every loopback port of the attach URLs accepts a
connection.  If it exits while the window runs, it is started again once
(port-forwards drop when a pod restarts); a second exit fails the run with
its log.  It runs in its own process group, stopped as a group on every
path out, like the service and the load generator.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from ..errors import ServiceError
from .ports import is_loopback_host
from .process import kill_group, tail_lines

_DEFAULT_PORTS = {"http": 80, "https": 443}


def tunnel_ports(*urls: str | None) -> list[tuple[str, int]]:
    """The loopback (host, port) pairs of ``urls`` a tunnel must open, in order, without repeats."""
    out: list[tuple[str, int]] = []
    for url in urls:
        if not url:
            continue
        parts = urlsplit(url)
        if parts.hostname is None or not is_loopback_host(parts.hostname):
            continue
        pair = (parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme, 80))
        if pair not in out:
            out.append(pair)
    return out


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Tunnel:
    """One tunnel process; ``check()`` restarts it once if it has exited."""

    def __init__(self, argv: Sequence[str], ports: Sequence[tuple[str, int]], *, log_path: Path,
                 timeout: float = 30.0, restarts: int = 1) -> None:
        self.argv = list(argv)
        self.ports = list(ports)
        self.log_path = Path(log_path)
        self.timeout = timeout
        self.restarts_left = restarts
        self.restarted = 0
        self.exits: list[int] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _what(self) -> str:
        return f"tunnel {' '.join(self.argv)!r}"

    def start(self) -> None:
        """Start the command and wait until every port accepts; ``ServiceError`` (with its log) otherwise."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = self.log_path.open("ab")
        try:
            self._proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                          stderr=subprocess.STDOUT, start_new_session=True, env=dict(os.environ))
        except OSError as exc:
            raise ServiceError(f"cannot start {self._what()}: {exc}; check service.attach.tunnel") from None
        deadline = time.monotonic() + self.timeout
        waiting = list(self.ports)
        while waiting:
            code = self._proc.poll()
            if code is not None:
                self._stop_proc()
                raise ServiceError(f"{self._what()} exited ({code}) before its local port(s) "
                                   f"{_names(waiting)} accepted connections; is the service (and its debug "
                                   f"listener) up, and are the ports in the command the ones in service.attach?"
                                   f"\n--- tunnel log ({self.log_path}) ---\n{self.log_tail()}")
            waiting = [p for p in waiting if not _accepts(*p)]
            if not waiting:
                break
            if time.monotonic() > deadline:
                self._stop_proc()
                raise ServiceError(
                    f"{self._what()} (pid {self.pid}) runs, but {_names(waiting)} refused connections for "
                    f"{self.timeout:g}s: is that port forwarded (the command's local port must be the one in "
                    f"service.attach.url / debug_url)? Is the service's listener (for pprof: the debug "
                    f"listener) up on the other side?\n--- tunnel log ({self.log_path}) ---\n{self.log_tail()}")
            time.sleep(0.05)

    def check(self) -> None:
        """Called while the window runs: restart a tunnel that dropped, once; fail on the second drop."""
        if self._proc is None:
            return
        code = self._proc.poll()
        if code is None:
            return
        self.exits.append(code)
        self._stop_proc()
        if self.restarts_left <= 0:
            raise ServiceError(f"{self._what()} dropped again (exit {code}) after {self.restarted} restart(s); "
                               "the connection to the service is lost. Is the pod restarting?"
                               f"\n--- tunnel log ({self.log_path}) ---\n{self.log_tail()}")
        self.restarts_left -= 1
        self.restarted += 1
        if self._log is not None:
            self._log.write(f"--- goperf: tunnel exited ({code}); restarting it once ---\n".encode())
            self._log.flush()
        self.start()

    def _stop_proc(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            kill_group(proc, 3.0)

    def stop(self) -> None:
        """Stop the tunnel's process group; idempotent."""
        self._stop_proc()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, n: int = 20) -> str:
        if self._log is not None:
            self._log.flush()
        return tail_lines(self.log_path, n)

    def __enter__(self) -> Tunnel:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _names(ports: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{h}:{p}" for h, p in ports)
