"""Is the service up? One attempt of each kind of ``service.ready`` check, plus the pprof probe.

Each check returns ``(ready, what it saw)`` so the lifecycle can loop until
its deadline and, on a timeout, say what the last attempt answered.
Requests go straight to the service (never through ``$http_proxy``) and
never follow a redirect: a 3xx is an answer, and following it could leave
loopback.
"""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request
from pathlib import Path

from .ports import DIRECT_NO_REDIRECT

_PPROF_INDEX_MARK = "goroutine?debug="   # a link every net/http/pprof index page has


def http_ready(url: str, timeout: float = 1.0, *,
               opener: urllib.request.OpenerDirector | None = None) -> tuple[bool, str]:
    """``GET url`` answers 2xx (204 included) or 3xx (not followed); ``opener`` trusts an https service."""
    try:
        with (opener or DIRECT_NO_REDIRECT).open(url, timeout=timeout) as resp:
            status = int(resp.status)
    except urllib.error.HTTPError as exc:
        status = int(exc.code)
        exc.close()
    except (urllib.error.URLError, OSError) as exc:
        return False, str(getattr(exc, "reason", exc))
    return status < 400, f"HTTP {status}"


def tcp_ready(host: str, port: int, timeout: float = 1.0) -> tuple[bool, str]:
    """Something accepts a TCP connection on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True, "connection accepted"
    except OSError as exc:
        return False, exc.strerror or str(exc)


class LogWatch:
    """Reads the service log as it grows and remembers whether a line matched ``pattern``."""

    def __init__(self, path: Path, pattern: str) -> None:
        self.path = path
        self.pattern = re.compile(pattern)
        self._offset = 0
        self._partial = b""
        self.line: str | None = None

    def matched(self) -> bool:
        """True once a complete log line matched (a half-written last line waits for its newline)."""
        if self.line is not None:
            return True
        try:
            with self.path.open("rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read()
        except OSError:
            return False
        self._offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        for raw in lines:
            text = raw.decode("utf-8", "replace").rstrip("\r")
            if self.pattern.search(text):
                self.line = text
                return True
        return False


def pprof_index(url: str, timeout: float = 2.0, *,
                opener: urllib.request.OpenerDirector | None = None) -> tuple[bool, str]:
    """Does ``GET <url>/debug/pprof/`` answer with net/http/pprof's index page?"""
    target = url.rstrip("/") + "/debug/pprof/"
    try:
        with (opener or DIRECT_NO_REDIRECT).open(target, timeout=timeout) as resp:
            body = resp.read(65536).decode("utf-8", "replace")
            status = int(resp.status)
    except urllib.error.HTTPError as exc:
        code = int(exc.code)
        exc.close()
        return False, f"GET {target} -> HTTP {code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"GET {target} -> {getattr(exc, 'reason', exc)}"
    if status == 200 and _PPROF_INDEX_MARK in body:
        return True, f"GET {target} -> HTTP 200, the net/http/pprof index"
    return False, f"GET {target} -> HTTP {status}, but not the net/http/pprof index page"
