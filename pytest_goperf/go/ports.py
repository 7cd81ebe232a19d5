"""Free loopback ports and loopback checks, shared by the service and load driver.

Kept apart so the "traffic only to loopback" rule has a single definition.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port the kernel reports free on ``host`` right now.

    There is a small race between closing the probe socket and the service
    binding it; the service lifecycle turns a lost race into a clear error.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and any loopback IPv4/IPv6 literal."""
    h = host.strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def split_host_port(addr: str) -> tuple[str, int | None]:
    """Split ``host:port`` (or ``[v6]:port``, or a URL) into host and port."""
    if "://" in addr:
        parts = urlsplit(addr)
        return parts.hostname or "", parts.port
    if addr.startswith("["):
        host, _, rest = addr[1:].partition("]")
        port = rest.lstrip(":")
        return host, int(port) if port.isdigit() else None
    host, sep, port = addr.rpartition(":")
    if not sep:
        return addr, None
    return host, int(port) if port.isdigit() else None


def url_origin(url: str) -> str:
    """``scheme://host:port`` of a URL, the unit the load generator allows."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


# Never route our requests through $http_proxy: readiness checks and captures
# go straight to the service (loopback, or the attach URL the user named).
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
