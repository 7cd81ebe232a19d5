"""Fetch live profiles and traces from a service's net/http/pprof endpoint.

Only bytes are fetched and saved here (each file opens in ``go tool pprof`` /
``go tool trace``); parsing the protobuf lives elsewhere.  The two numbers the
health series needs come from pprof's text forms: the goroutine total
(``goroutine?debug=1``) and ``# HeapInuse`` (``heap?debug=1``).  Every failure
is a ``CaptureError`` that names the URL and says what to do.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import ssl
import threading
import urllib.parse
from pathlib import Path

from ..errors import CaptureError
from ..go.tls import context_for, explain_ssl_error

KINDS = ("profile", "heap", "allocs", "goroutine", "trace", "block", "mutex", "threadcreate", "goroutineleak")
_ALIASES = {"cpu": "profile"}
_GOROUTINE_TOTAL = re.compile(r"^goroutine profile: total (\d+)", re.MULTILINE)
_MEMSTAT = re.compile(r"^# (\w+) = (\d+)\s*$", re.MULTILINE)
_CHUNK = 1 << 16


# A base that answered the pprof index when probed, though its path does not end in /pprof
# (resolve_pprof_base): the fragment is never sent, it only tells profile_url to use the path as given.
_INDEX_MARK = "pprof-index"
_INDEX_TEXT = b"Types of profiles available"


def pprof_base(debug_url: str) -> str:
    """The pprof index URL (no trailing slash) for a ``debug_url``.

    The rule, documented in docs/load.md: a URL whose path ends in ``/pprof``
    or ``/pprof/`` (``/debug/pprof/``, ``/admin/pprof/``) is the index and is
    used as given; so is one that ``resolve_pprof_base`` found answering the
    index.  Anything else gets ``/debug/pprof`` appended (``http://host:port``
    -> ``http://host:port/debug/pprof``).
    """
    parts = urllib.parse.urlsplit(debug_url)
    path = parts.path.rstrip("/")
    if not path.endswith("/pprof") and parts.fragment != _INDEX_MARK:
        path += "/debug/pprof"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def resolve_pprof_base(debug_url: str, *, timeout: float = 10.0) -> str:
    """``debug_url`` as the captures will use it, probing once when its path is neither ``/`` nor ``.../pprof``.

    A probe that answers the pprof index ("Types of profiles available") marks
    the URL as given; otherwise ``/debug/pprof`` is appended as for a bare
    host:port.  Network errors are left to the captures, which name the URL.
    """
    parts = urllib.parse.urlsplit(debug_url)
    path = parts.path.rstrip("/")
    if not path or path.endswith("/pprof"):
        return debug_url
    index = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path + "/", "", ""))
    try:
        conn, target = _connection(index, timeout)
        try:
            conn.request("GET", target, headers={"User-Agent": "pytest-goperf"})
            resp = conn.getresponse()
            body = resp.read(1 << 16)
            answered = resp.status == 200 and _INDEX_TEXT in body
        finally:
            conn.close()
    except (OSError, http.client.HTTPException, CaptureError):
        return debug_url
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path + "/", "", _INDEX_MARK)) if answered else debug_url


def profile_url(debug_url: str, kind: str, *, seconds: float | None = None, gc: bool = False,
                debug: int | None = None) -> str:
    """The net/http/pprof URL for ``kind`` under ``debug_url`` (see ``pprof_base`` for the rule)."""
    kind = _ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise CaptureError(f"unknown profile kind {kind!r}; use one of {', '.join(KINDS)}")
    base = pprof_base(debug_url)
    query: dict[str, str] = {}
    if seconds is not None:
        # net/http/pprof parses the CPU profile's seconds as an integer, the trace's as a float.
        query["seconds"] = str(max(1, int(seconds))) if kind == "profile" else f"{seconds:g}"
    if gc:
        query["gc"] = "1"
    if debug is not None:
        query["debug"] = str(debug)
    return f"{base}/{kind}" + ("?" + urllib.parse.urlencode(query) if query else "")


def _fix_for(body: str, seconds: float | None, url: str = "") -> str:
    if body.startswith("Unknown profile"):
        # pprof.Index's answer for a name runtime/pprof does not know: the router sends every
        # /debug/pprof/* path to Index (prometheus/pushgateway does), and profile and trace are
        # handlers of their own.
        name = urllib.parse.urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or "profile"
        handler = {"profile": "Profile", "trace": "Trace", "symbol": "Symbol", "cmdline": "Cmdline"}.get(name)
        if handler is not None:
            return (f" This listener sends {name} to net/http/pprof's Index, which serves only the named profiles"
                    f" (heap, goroutine, ...); {name} is a handler of its own: register pprof.{handler} for"
                    f" /debug/pprof/{name} beside Index, e.g. mux.HandleFunc(\"/debug/pprof/{name}\", pprof.{handler}).")
        return ""
    if "WriteTimeout" in body:
        return (" Fix: give the debug server's http.Server a WriteTimeout longer than the capture"
                f" ({seconds:g}s) or none at all (keep it off the API server), or shorten load.duration / load.trace.")
    if "could not enable CPU profiling" in body or "already in use" in body:
        return " Fix: something else is profiling this process right now; only one CPU profile or trace can run."
    return ""


class Cancel:
    """Lets another thread abort a fetch at once, even one blocked waiting for a 30 s profile.

    Shutting the socket down also ends the server's handler: net/http/pprof
    stops profiling when its client goes away.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self.cancelled = False

    def _attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            if self.cancelled:
                raise CaptureError("capture cancelled")
            if sock is not None:
                self._socks.append(sock)

    def _detach(self, sock: socket.socket | None) -> None:
        with self._lock:
            if sock in self._socks:
                self._socks.remove(sock)

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            for sock in self._socks:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CaptureError(f"debug URL {url!r} must be http(s)://host:port")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    if parts.scheme == "https":  # trust what service.tls says for this origin (go/tls.py)
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                           context=context_for(url)), target
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout), target


def fetch(url: str, dest: Path, *, timeout: float, seconds: float | None = None, cancel: Cancel | None = None) -> Path:
    """GET ``url`` into ``dest`` (atomically: a failed fetch leaves no partial file).

    Direct connection, never through ``$http_proxy``; ``timeout`` bounds each wait for data.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    conn, target = _connection(url, timeout)
    try:
        conn.connect()
        if cancel is not None:
            cancel._attach(conn.sock)
        conn.request("GET", target, headers={"User-Agent": "pytest-goperf"})
        resp = conn.getresponse()
        if resp.status >= 400:
            body = resp.read(8192).decode("utf-8", "replace").strip()
            hint = _fix_for(body, seconds, url)
            if resp.status == 404 and not hint:
                hint = (" Is net/http/pprof registered on this listener (import _ \"net/http/pprof\" or pprof.Index)?"
                        " If it is mounted elsewhere, give that path as debug_url, e.g. http://host:port/admin/pprof/.")
            raise CaptureError(f"GET {url} -> HTTP {resp.status}: {body or resp.reason}.{hint}")
        with tmp.open("wb") as out:
            while chunk := resp.read(_CHUNK):
                out.write(chunk)
        if resp.length:  # Content-Length promised more than came
            raise CaptureError(f"GET {url}: the answer was cut off {resp.length} bytes short")
        os.replace(tmp, dest)
        return dest
    except TimeoutError:
        raise CaptureError(f"GET {url}: no answer after waiting {timeout:g}s") from None
    except socket.gaierror as exc:
        raise CaptureError(f"GET {url}: cannot resolve the host ({exc}); check the debug URL") from None
    except ConnectionRefusedError:
        raise CaptureError(
            f"GET {url}: connection refused. The debug (pprof) listener is probably not started or is bound "
            "elsewhere: pass -debug-addr={debug_addr} (or your flag) in service.args, or fix "
            "service.attach.debug_url."
        ) from None
    except ssl.SSLError as exc:
        raise CaptureError(f"GET {explain_ssl_error(exc, url) or f'{url}: TLS failed: {exc}'}") from None
    except (OSError, http.client.HTTPException) as exc:
        if cancel is not None and cancel.cancelled:
            raise CaptureError(f"GET {url}: cancelled (the window ended early)") from None
        raise CaptureError(f"GET {url}: connection broke off: {exc!r}") from None
    finally:
        if cancel is not None:
            cancel._detach(conn.sock)
        conn.close()
        tmp.unlink(missing_ok=True)


def fetch_profile(debug_url: str, kind: str, dest: Path, *, seconds: float | None = None, gc: bool = False,
                  debug: int | None = None, timeout: float | None = None, cancel: Cancel | None = None) -> Path:
    """Save one profile (``profile`` = CPU, ``heap``, ``allocs``, ``goroutine``, ``trace`` ...) to ``dest``.

    ``timeout`` defaults to the capture length plus 15 s, since CPU profiles and
    traces answer only when their ``seconds`` have passed.
    """
    kind = _ALIASES.get(kind, kind)
    if kind in ("profile", "trace") and seconds is None:
        raise CaptureError(f"a {kind} capture needs seconds=")
    url = profile_url(debug_url, kind, seconds=seconds, gc=gc, debug=debug)
    wait = timeout if timeout is not None else (seconds or 0.0) + 15.0
    path = fetch(url, dest, timeout=wait, seconds=seconds, cancel=cancel)
    _check_format(path, kind, debug, url)
    return path


def _check_format(path: Path, kind: str, debug: int | None, url: str) -> None:
    with path.open("rb") as fh:
        head = fh.read(16)
    if kind == "trace":
        ok = head.startswith(b"go 1.")
    elif debug:
        ok = True
    else:
        ok = head.startswith(b"\x1f\x8b")  # pprof protobufs are gzipped
    if not ok:
        what = {"profile": "CPU profile", "trace": "execution trace"}.get(kind, f"{kind} profile")
        raise CaptureError(f"GET {url} answered, but not with a {what} "
                           f"(first bytes {head!r}, saved in {path}): is this really a net/http/pprof endpoint?")


def parse_goroutine_total(text: str) -> int:
    """The N of ``goroutine profile: total N`` (first line of ``goroutine?debug=1``)."""
    m = _GOROUTINE_TOTAL.search(text)
    if m is None:
        raise CaptureError(f"no 'goroutine profile: total N' line in goroutine?debug=1 output: {text[:80]!r}")
    return int(m.group(1))


def parse_memstats(text: str) -> dict[str, int]:
    """The ``# Name = N`` runtime.MemStats lines at the end of ``heap?debug=1``."""
    return {k: int(v) for k, v in _MEMSTAT.findall(text)}


def goroutine_count(debug_url: str, dest: Path, *, timeout: float = 10.0, cancel: Cancel | None = None) -> int:
    """Save ``goroutine?debug=1`` to ``dest`` and return the total it reports."""
    path = fetch_profile(debug_url, "goroutine", dest, debug=1, timeout=timeout, cancel=cancel)
    return parse_goroutine_total(path.read_text(errors="replace"))


def heap_memstats(debug_url: str, dest: Path, *, gc: bool = True, timeout: float = 10.0,
                  cancel: Cancel | None = None) -> dict[str, int]:
    """Save ``heap?debug=1`` (after a GC by default) to ``dest`` and return its MemStats lines."""
    path = fetch_profile(debug_url, "heap", dest, gc=gc, debug=1, timeout=timeout, cancel=cancel)
    stats = parse_memstats(path.read_text(errors="replace"))
    if "HeapInuse" not in stats:
        raise CaptureError(f"no '# HeapInuse = N' line in {path}; is this Go's heap?debug=1 output?")
    return stats
