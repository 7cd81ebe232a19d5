"""Which protocol a service speaks, asked on the wire: TLS or not, HTTP/1.1, h2c.

Used when every request failed (or a ready check never passed), to turn
"300 conn_reset" into "the service speaks h2c only: set load.http2: true".
Three small probes, each one connection with a short timeout:

- a TLS handshake (verification off: it only asks whether TLS is spoken);
- a plain ``GET / HTTP/1.1``;
- the HTTP/2 connection preface in clear text (h2c prior knowledge), which an
  h2c server answers with a SETTINGS frame.

``h2c_status`` is a minimal HTTP/2 GET (one HEADERS frame out, the
``:status`` of the answer back) so an h2c-only service can be checked for
readiness without a third-party HTTP/2 library.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
_SETTINGS_ACK = b"\x00\x00\x00\x04\x01\x00\x00\x00\x00"
_STATIC_STATUS = {8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500}
# RFC 7541 Appendix B codes of the ten digits, the only characters a :status value holds.
_HUFFMAN_DIGITS = {(0b00000, 5): "0", (0b00001, 5): "1", (0b00010, 5): "2", (0b011001, 6): "3",
                   (0b011010, 6): "4", (0b011011, 6): "5", (0b011100, 6): "6", (0b011101, 6): "7",
                   (0b011110, 6): "8", (0b011111, 6): "9"}


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)


def _int(value: int, prefix: int, first: int) -> bytes:
    """HPACK integer with an N-bit prefix (RFC 7541 5.1)."""
    limit = (1 << prefix) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def _read_int(data: bytes, pos: int, prefix: int) -> tuple[int, int]:
    limit = (1 << prefix) - 1
    value = data[pos] & limit
    pos += 1
    if value < limit:
        return value, pos
    shift = 0
    while True:
        b = data[pos]
        pos += 1
        value += (b & 127) << shift
        shift += 7
        if not b & 128:
            return value, pos


def _huffman_digits(raw: bytes) -> str:
    bits = "".join(f"{b:08b}" for b in raw)
    out, code, n = [], 0, 0
    for bit in bits:
        code, n = code * 2 + int(bit), n + 1
        if (code, n) in _HUFFMAN_DIGITS:
            out.append(_HUFFMAN_DIGITS[(code, n)])
            code, n = 0, 0
        elif n > 6:
            break
    return "".join(out)


def _status(block: bytes) -> int:
    """The :status of an HPACK header block (it comes first in a response)."""
    pos = 0
    while pos < len(block):
        b = block[pos]
        if b & 0x80:                       # indexed field
            index, pos = _read_int(block, pos, 7)
            if index in _STATIC_STATUS:
                return _STATIC_STATUS[index]
            break
        if b & 0xE0 == 0x20:               # dynamic table size update
            _, pos = _read_int(block, pos, 5)
            continue
        index, pos = _read_int(block, pos, 6 if b & 0x40 else 4)
        if index not in _STATIC_STATUS:
            break
        huffman = bool(block[pos] & 0x80)
        length, pos = _read_int(block, pos, 7)
        raw = block[pos:pos + length]
        text = _huffman_digits(raw) if huffman else raw.decode("ascii", "replace")
        if text.isdigit():
            return int(text)
        break
    raise OSError("the HTTP/2 answer has no :status header")


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionResetError("the service closed the HTTP/2 connection")
        data += chunk
    return data


def h2c_status(url: str, timeout: float) -> int:
    """GET ``url`` over HTTP/2 without TLS (prior knowledge) and return the answer's status."""
    parts = urlsplit(url)
    host, port = _host_port(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    block = (b"\x82\x86" + _int(4, 4, 0) + _int(len(path), 7, 0) + path.encode()
             + _int(1, 4, 0) + _int(len(parts.netloc), 7, 0) + parts.netloc.encode())
    headers = len(block).to_bytes(3, "big") + b"\x01\x05" + (1).to_bytes(4, "big") + block
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(PREFACE + _SETTINGS + headers)
        while True:
            head = _recv_exact(sock, 9)
            length, ftype, flags = int.from_bytes(head[:3], "big"), head[3], head[4]
            stream = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
            payload = _recv_exact(sock, length)
            if ftype == 4 and not flags & 1:
                sock.sendall(_SETTINGS_ACK)
            elif ftype == 7:
                raise ConnectionResetError("the service sent GOAWAY")
            elif ftype == 3 and stream == 1:
                raise ConnectionResetError("the service reset the HTTP/2 stream")
            elif ftype == 1 and stream == 1:
                pad = payload[0] if flags & 0x8 else 0
                start = (1 if flags & 0x8 else 0) + (5 if flags & 0x20 else 0)
                return _status(payload[start:len(payload) - pad])


@dataclass(frozen=True)
class Speaks:
    """What one port answered to each probe."""

    tls: bool                 # a TLS handshake completed
    alpn: str | None          # the protocol TLS negotiated (h2, http/1.1) when it did
    http1: str | None         # the status line a plain HTTP/1.1 GET got, if any
    h2c: bool                 # the clear-text HTTP/2 preface got a SETTINGS frame


def _tls_probe(host: str, port: int, timeout: float) -> tuple[bool, str | None]:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                return True, tls.selected_alpn_protocol()
    except (OSError, ssl.SSLError):
        return False, None


def _http1_probe(host: str, port: int, timeout: float) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
            data = sock.recv(512)
    except OSError:
        return None
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    return line if line.startswith("HTTP/1.") else None


def _h2c_probe(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(PREFACE + _SETTINGS)
            head = _recv_exact(sock, 9)
    except OSError:
        return False
    return head[3] == 4


def probe(url: str, timeout: float = 2.0) -> Speaks:
    """Ask the port of ``url`` what it speaks (three short connections)."""
    host, port = _host_port(url)
    tls, alpn = _tls_probe(host, port, timeout)
    if tls:
        return Speaks(tls=True, alpn=alpn, http1=None, h2c=False)
    return Speaks(tls=False, alpn=None, http1=_http1_probe(host, port, timeout), h2c=_h2c_probe(host, port, timeout))


def diagnose(url: str, *, http2: bool, timeout: float = 2.0) -> str | None:
    """A one-line protocol mismatch between ``url`` / ``load.http2`` and what the service speaks, or None."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    try:
        got = probe(url, timeout)
    except OSError:
        return None
    if parts.scheme == "https" and not got.tls:
        if got.http1 or got.h2c:
            spoken = "plain HTTP/1.1" if got.http1 else "HTTP/2 without TLS (h2c)"
            return (f"protocol mismatch: {origin} does not speak TLS (it answers {spoken}): use http:// "
                    f"in the service URL{', with load.http2: true' if not got.http1 else ''}")
        return None
    if parts.scheme == "http" and got.tls:
        return (f"protocol mismatch: {origin} speaks TLS, but the URL says http://: use https:// "
                "(service.tls for a started service) and service.tls.ca_file to trust its certificate")
    if parts.scheme == "https" and http2 and got.alpn != "h2":
        return (f"protocol mismatch: load.http2 is true but {origin} offers no HTTP/2 over TLS (ALPN chose "
                f"{got.alpn or 'nothing'}): set load.http2: false, or enable HTTP/2 in the service")
    if parts.scheme == "http" and http2 and not got.h2c:
        spoken = f" (it answers plain HTTP/1.1: {got.http1})" if got.http1 else ""
        return (f"protocol mismatch: load.http2 is true, but {origin} does not speak HTTP/2 without TLS "
                f"(h2c){spoken}: set load.http2: false, or enable h2c in the service (Go 1.24+: "
                "http.Protocols.SetUnencryptedHTTP2)")
    if parts.scheme == "http" and not http2 and got.h2c and not got.http1:
        return (f"protocol mismatch: {origin} speaks HTTP/2 without TLS (h2c) only and closes HTTP/1.1 "
                "requests: set load.http2: true")
    return None
