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
import urllib.error
import urllib.parse
from pathlib import Path

from ..errors import CaptureError
from ..go.ports import DIRECT

KINDS = ("profile", "heap", "allocs", "goroutine", "trace", "block", "mutex", "threadcreate")
_ALIASES = {"cpu": "profile"}
_GOROUTINE_TOTAL = re.compile(r"^goroutine profile: total (\d+)", re.MULTILINE)
_MEMSTAT = re.compile(r"^# (\w+) = (\d+)\s*$", re.MULTILINE)
_CHUNK = 1 << 16


def profile_url(debug_url: str, kind: str, *, seconds: float | None = None, gc: bool = False,
                debug: int | None = None) -> str:
    """The net/http/pprof URL for ``kind`` under ``debug_url`` (with or without /debug/pprof)."""
    kind = _ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise CaptureError(f"unknown profile kind {kind!r}; use one of {', '.join(KINDS)}")
    base = debug_url.rstrip("/")
    if not base.endswith("/debug/pprof"):
        base += "/debug/pprof"
    query: dict[str, str] = {}
    if seconds is not None:
        # net/http/pprof parses the CPU profile's seconds as an integer, the trace's as a float.
        query["seconds"] = str(max(1, int(seconds))) if kind == "profile" else f"{seconds:g}"
    if gc:
        query["gc"] = "1"
    if debug is not None:
        query["debug"] = str(debug)
    return f"{base}/{kind}" + ("?" + urllib.parse.urlencode(query) if query else "")


def _fix_for(body: str, seconds: float | None) -> str:
    if "WriteTimeout" in body:
        return (" Fix: give the debug server's http.Server a WriteTimeout longer than the capture"
                f" ({seconds:g}s) or none at all (keep it off the API server), or shorten load.duration / load.trace.")
    if "could not enable CPU profiling" in body or "already in use" in body:
        return " Fix: something else is profiling this process right now; only one CPU profile or trace can run."
    return ""


def fetch(url: str, dest: Path, *, timeout: float, seconds: float | None = None) -> Path:
    """GET ``url`` into ``dest`` (atomically: a failed fetch leaves no partial file)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    try:
        with DIRECT.open(url, timeout=timeout) as resp, tmp.open("wb") as out:
            while chunk := resp.read(_CHUNK):
                out.write(chunk)
        os.replace(tmp, dest)
        return dest
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace").strip()
        hint = _fix_for(body, seconds)
        if exc.code == 404 and not hint:
            hint = " Is net/http/pprof registered on this listener (import _ \"net/http/pprof\" or pprof.Index)?"
        raise CaptureError(f"GET {url} -> HTTP {exc.code}: {body or exc.reason}.{hint}") from None
    except (TimeoutError, socket.timeout) as exc:
        raise CaptureError(f"GET {url}: no complete answer after waiting {timeout:g}s ({exc})") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise CaptureError(f"GET {url}: no answer after waiting {timeout:g}s") from None
        if isinstance(reason, ConnectionRefusedError):
            raise CaptureError(
                f"GET {url}: connection refused. The debug (pprof) listener is probably not started or is bound "
                "elsewhere: pass -debug-addr={debug_addr} (or your flag) in service.args, or fix "
                "service.attach.debug_url."
            ) from None
        raise CaptureError(f"GET {url}: {reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise CaptureError(f"GET {url}: connection broke off: {exc!r}") from None
    finally:
        tmp.unlink(missing_ok=True)


def fetch_profile(debug_url: str, kind: str, dest: Path, *, seconds: float | None = None, gc: bool = False,
                  debug: int | None = None, timeout: float | None = None) -> Path:
    """Save one profile (``profile`` = CPU, ``heap``, ``allocs``, ``goroutine``, ``trace`` ...) to ``dest``.

    ``timeout`` defaults to the capture length plus 15 s, since CPU profiles and
    traces answer only when their ``seconds`` have passed.
    """
    kind = _ALIASES.get(kind, kind)
    if kind in ("profile", "trace") and seconds is None:
        raise CaptureError(f"a {kind} capture needs seconds=")
    url = profile_url(debug_url, kind, seconds=seconds, gc=gc, debug=debug)
    wait = timeout if timeout is not None else (seconds or 0.0) + 15.0
    path = fetch(url, dest, timeout=wait, seconds=seconds)
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
        raise CaptureError(f"GET {url} answered, but not with a {kind} {'trace' if kind == 'trace' else 'profile'} "
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


def goroutine_count(debug_url: str, dest: Path, *, timeout: float = 10.0) -> int:
    """Save ``goroutine?debug=1`` to ``dest`` and return the total it reports."""
    path = fetch_profile(debug_url, "goroutine", dest, debug=1, timeout=timeout)
    return parse_goroutine_total(path.read_text(errors="replace"))


def heap_memstats(debug_url: str, dest: Path, *, gc: bool = True, timeout: float = 10.0) -> dict[str, int]:
    """Save ``heap?debug=1`` (after a GC by default) to ``dest`` and return its MemStats lines."""
    path = fetch_profile(debug_url, "heap", dest, gc=gc, debug=1, timeout=timeout)
    stats = parse_memstats(path.read_text(errors="replace"))
    if "HeapInuse" not in stats:
        raise CaptureError(f"no '# HeapInuse = N' line in {path}; is this Go's heap?debug=1 output?")
    return stats
