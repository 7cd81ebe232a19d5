"""Byte level of the Go 1.22+ trace format: the header, uvarints and batches.

A trace is a 16-byte header (``go 1.NN trace\\0\\0\\0``) followed by batches.
A batch is ``EvEventBatch gen m time size`` (or ``EvExperimentalBatch exp gen
m time size``) and ``size`` bytes of data; Go 1.26 adds a lone
``EvEndOfGeneration`` byte between generations.  The runtime writes some
uvarints padded to a fixed width (non-minimal encodings), so decoders must
accept them.  Reading is streaming: one batch at a time from a file object,
with absolute byte offsets kept for error messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from pytest_goperf.trace import events as ev
from pytest_goperf.trace.errors import TraceError, TruncatedTraceError, UnsupportedTraceError

HEADER_SIZE = 16
_HEADER = re.compile(rb"^go 1\.(\d+) trace\x00\x00\x00$")
_CHUNK = 1 << 20


@dataclass(slots=True)
class RawBatch:
    """One batch as found in the file; ``data`` is undecoded (empty for end-of-generation)."""

    gen: int
    m: int
    time: int
    data: bytes
    exp: int
    offset: int
    end_of_generation: bool = False


def parse_header(head: bytes, path: str | None = None) -> int:
    """Return the minor Go version of a trace header, or raise a clear error."""
    if not head:
        raise TraceError("empty file: not a Go execution trace", path=path, offset=0)
    m = _HEADER.match(head[:HEADER_SIZE])
    if m is None or len(head) < HEADER_SIZE:
        if head.startswith(b"go 1.") and len(head) < HEADER_SIZE:
            raise TruncatedTraceError("file ends inside the trace header", path=path, offset=len(head))
        raise TraceError(
            "bad header: not a Go execution trace (expected 'go 1.NN trace'; "
            "record one with runtime/trace, `go test -trace` or /debug/pprof/trace)",
            path=path,
            offset=0,
        )
    version = int(m.group(1))
    if version < 22:
        raise UnsupportedTraceError(
            f"unsupported format go 1.{version} trace (Go 1.21 and older): record with Go 1.22+",
            path=path,
            offset=0,
        )
    if version not in ev.SUPPORTED_VERSIONS:
        raise UnsupportedTraceError(
            f"unsupported trace format go 1.{version}; this reader knows go 1.22, 1.23, 1.25 and 1.26 traces",
            path=path,
            offset=0,
        )
    return version


class ByteStream:
    """Buffered sequential reader over a binary file that knows its absolute offset."""

    def __init__(self, f: BinaryIO, path: str | None, start: int = 0) -> None:
        self._f = f
        self._buf = b""
        self._pos = 0
        self._base = start  # absolute offset of _buf[0]
        self.path = path

    @property
    def offset(self) -> int:
        return self._base + self._pos

    def _fill(self, need: int) -> bool:
        """Make ``need`` bytes available at _pos; False at end of file."""
        while len(self._buf) - self._pos < need:
            chunk = self._f.read(max(_CHUNK, need))
            if not chunk:
                return False
            self._base += self._pos
            self._buf = self._buf[self._pos :] + chunk
            self._pos = 0
        return True

    def at_eof(self) -> bool:
        return not self._fill(1)

    def read_byte(self) -> int:
        if self._pos >= len(self._buf) and not self._fill(1):
            raise TruncatedTraceError("file ends inside a batch header", path=self.path, offset=self.offset)
        b = self._buf[self._pos]
        self._pos += 1
        return b

    def read_uvarint(self, what: str) -> int:
        start = self.offset
        value = 0
        shift = 0
        for i in range(10):
            b = self.read_byte()
            if i == 9 and b > 1:
                break
            value |= (b & 0x7F) << shift
            if b < 0x80:
                return value
            shift += 7
        raise TraceError(f"invalid uvarint for {what}", path=self.path, offset=start)

    def read_exact(self, n: int, what: str) -> bytes:
        start = self.offset
        if not self._fill(n):
            avail = len(self._buf) - self._pos
            raise TruncatedTraceError(
                f"file ends inside {what}: {n} bytes announced at byte {start}, only {avail} present",
                path=self.path,
                offset=start + avail,
            )
        data = self._buf[self._pos : self._pos + n]
        self._pos += n
        return data


def read_batch(s: ByteStream) -> RawBatch | None:
    """Read the next batch; None at a clean end of file."""
    if s.at_eof():
        return None
    offset = s.offset
    typ = s.read_byte()
    if typ == ev.EV_END_OF_GENERATION:
        return RawBatch(0, -1, 0, b"", 0, offset, end_of_generation=True)
    exp = 0
    if typ == ev.EV_EXPERIMENTAL_BATCH:
        exp = s.read_byte()
    elif typ != ev.EV_EVENT_BATCH:
        raise TraceError(f"expected a batch, found event type {typ}", path=s.path, offset=offset)
    gen = s.read_uvarint("batch generation")
    m = s.read_uvarint("batch thread ID")
    time = s.read_uvarint("batch timestamp")
    size = s.read_uvarint("batch size")
    if size > ev.MAX_BATCH_SIZE:
        raise TraceError(f"invalid batch size {size}, maximum is {ev.MAX_BATCH_SIZE}", path=s.path, offset=offset)
    data = s.read_exact(size, "a batch")
    return RawBatch(gen, m, time, data, exp, offset)


def uvarint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode one uvarint at ``pos``; return (value, next position). Raises ValueError."""
    value = 0
    shift = 0
    n = len(data)
    for i in range(10):
        if pos >= n:
            raise ValueError("uvarint runs past the end of the batch")
        b = data[pos]
        pos += 1
        if i == 9 and b > 1:
            break
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7
    raise ValueError("uvarint longer than 64 bits")


def uvarints(data: bytes | memoryview) -> list[int]:
    """Decode a run of back-to-back uvarints into Python ints; see ``uvarints_array``."""
    return uvarints_array(data).tolist()  # type: ignore[no-any-return]


def uvarints_array(data: bytes | memoryview, first_bytes: bool = False) -> Any:
    """Decode a run of back-to-back uvarints (vectorised); ValueError if the last is cut.

    Event batches are exactly that: the type byte of a non-experimental event
    is below 0x80, so it decodes as a one-byte uvarint of itself.
    """
    b = np.frombuffer(data, dtype=np.uint8)
    if b.size == 0:
        empty = np.zeros(0, dtype=np.uint64)
        return (empty, empty.astype(np.uint8)) if first_bytes else empty
    if b[-1] >= 0x80:
        raise ValueError("uvarint runs past the end of the batch")
    ends = np.flatnonzero(b < 0x80)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    maxlen = int(lengths.max())
    if maxlen == 1:
        return (b.astype(np.uint64), b) if first_bytes else b.astype(np.uint64)
    if maxlen > 10:
        raise ValueError("uvarint longer than 64 bits")
    vals = (b[starts] & 0x7F).astype(np.uint64)
    sel = np.flatnonzero(lengths > 1)  # only multi-byte varints need more work
    k = 1
    while sel.size:
        vals[sel] |= (b[starts[sel] + k] & 0x7F).astype(np.uint64) << np.uint64(7 * k)
        k += 1
        sel = sel[lengths[sel] > k]
    return (vals, b[starts]) if first_bytes else vals
