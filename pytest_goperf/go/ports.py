"""Free loopback ports, loopback checks and who listens where, shared by the service and load driver.

Kept apart so the "traffic only to loopback" rule has a single definition.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import urllib.request
from collections.abc import Iterable
from pathlib import Path
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


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer in itself (a ready check's 302 to /login means "up"), never followed."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


# Direct, and 3xx answers come back as HTTPError with their code instead of being followed
# (which could leave loopback, or fail on the target's own status).
DIRECT_NO_REDIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}), _KeepRedirects())


def _hex_ip(text: str) -> str:
    """The address in /proc/net/tcp[6] notation (host byte order per 32-bit word) as text."""
    raw = bytes.fromhex(text)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def socket_inodes(pids: Iterable[int]) -> set[str]:
    """Inodes of the sockets the processes hold open (Linux /proc; empty elsewhere or when not ours to read)."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    return inodes


def listening(pids: Iterable[int]) -> list[tuple[str, int]]:
    """(local address, port) of every TCP socket the processes listen on; ``0.0.0.0`` / ``::`` = all interfaces."""
    inodes = socket_inodes(pids)
    found: list[tuple[str, int]] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) > 9 and f[3] == "0A" and f[9] in inodes:
                address, _, port = f[1].partition(":")
                found.append((_hex_ip(address), int(port, 16)))
    return found


def can_see_sockets() -> bool:
    """Whether ``listening`` can answer here (Linux /proc/net)."""
    return Path("/proc/net/tcp").exists()
