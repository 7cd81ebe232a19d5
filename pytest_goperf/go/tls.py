"""Trusting an https:// service: one SSL context per ``service.tls``, shared by ready checks and captures.

The load generator gets the same settings as JSON (its own Go ``crypto/tls``
config); here the plugin's own connections (readiness, pprof captures,
protocol probes) get an ``ssl.SSLContext``.  Captures reach the context
through the origin of the URL they fetch, so the capture code needs no new
parameter: ``trusted(urls, tls)`` registers the origins of one window.
Verification is on unless ``insecure_skip_verify`` says otherwise, and
then every run says so.
"""

from __future__ import annotations

import ssl
import threading
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from ..config import TLSConfig
from .ports import url_origin

_LOCK = threading.Lock()
_TRUST: dict[str, TLSConfig] = {}


def client_context(tls: TLSConfig | None, *, alpn: Iterable[str] = ("http/1.1",)) -> ssl.SSLContext:
    """A client context that trusts what ``tls`` says (the system's CAs when it says nothing)."""
    ctx = ssl.create_default_context(cafile=str(tls.ca_file) if tls is not None and tls.ca_file else None)
    if tls is not None and tls.insecure_skip_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif tls is not None and tls.server_name:
        # Python's HTTP clients check the URL's host; the chain is still verified (the Go engine checks the name).
        ctx.check_hostname = False
    ctx.set_alpn_protocols(list(alpn))
    return ctx


def insecure_warning(tls: TLSConfig | None) -> str | None:
    """The warning every run with verification off carries (None when it is on)."""
    if tls is None or not tls.insecure_skip_verify:
        return None
    return ("service.tls.insecure_skip_verify is true: the service's certificate is NOT verified, so anything "
            "answering on that address is measured; set service.tls.ca_file to the CA that signed it instead")


def server_hostname(url: str, tls: TLSConfig | None) -> str | None:
    """The name the certificate is checked against: ``server_name`` if given, else the URL's host."""
    if tls is not None and tls.server_name:
        return tls.server_name
    return urlsplit(url).hostname


@contextmanager
def trusted(urls: Iterable[str | None], tls: TLSConfig | None) -> Iterator[None]:
    """Within the block, connections to the https origins of ``urls`` use ``tls``."""
    origins = [url_origin(u) for u in urls if u and u.startswith("https://")]
    if tls is None or not origins:
        yield
        return
    with _LOCK:
        for o in origins:
            _TRUST[o] = tls
    try:
        yield
    finally:
        with _LOCK:
            for o in origins:
                _TRUST.pop(o, None)


def trust_for(url: str) -> TLSConfig | None:
    """The ``service.tls`` registered for the origin of ``url``, if any."""
    with _LOCK:
        return _TRUST.get(url_origin(url))


def context_for(url: str) -> ssl.SSLContext:
    """The SSL context for an https URL: its registered ``service.tls``, else the system's trust."""
    return client_context(trust_for(url))


def direct_opener(tls: TLSConfig | None) -> urllib.request.OpenerDirector:
    """A urllib opener that never uses ``$http_proxy`` and trusts what ``tls`` says."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                       urllib.request.HTTPSHandler(context=client_context(tls)))


def explain_ssl_error(exc: BaseException, url: str) -> str | None:
    """What a TLS failure means for the user, or None when it is not one we can explain."""
    text = str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
        return (f"{url}: the service's certificate is not trusted ({getattr(exc, 'verify_message', '') or text}): "
                "set service.tls.ca_file to the PEM file of the CA that signed it (or, only for a throwaway "
                "test, service.tls.insecure_skip_verify: true)")
    if any(s in text for s in ("WRONG_VERSION_NUMBER", "wrong version number", "record layer failure",
                               "UNEXPECTED_RECORD", "packet length too long")):
        return f"{url}: the service does not speak TLS on this port (it answered in plain text): use http://"
    return None
