"""A service's stdout/stderr into its log file, capped, so a chatty service cannot fill the disk.

Why: the log sits in the artifacts folder; a service that writes gigabytes
to stdout (a debug flag left on, a panic loop) would fill the CI runner's
disk and lose every other artifact.  The child writes into a pipe; a thread
copies the first ``cap`` bytes into the file (flushed as they come, so
``ready.log`` patterns still see them), then only counts what follows and
keeps its last ``keep_tail`` bytes in memory: the end of a log is where a
crash message is.  On close the file gets a marker line and that tail.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

LOG_CAP = 64 << 20
KEEP_TAIL = 256 << 10


class CappedLog:
    """The file side of a child's output pipe; pass ``write_fd`` as stdout, then call ``spawned``."""

    def __init__(self, path: Path, cap: int = LOG_CAP, keep_tail: int = KEEP_TAIL) -> None:
        self.path = path
        self.cap = cap
        self.keep_tail = keep_tail
        self.written = 0
        self.dropped = 0
        self._tail = bytearray()
        self._file = path.open("wb")
        self._lock = threading.Lock()
        self._read_fd, self.write_fd = os.pipe()
        self._thread = threading.Thread(target=self._pump, name=f"goperf log {path}", daemon=True)
        self._thread.start()

    def spawned(self) -> None:
        """The child holds the write end now; ours must close or the pump never sees end of file."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def _pump(self) -> None:
        try:
            while chunk := os.read(self._read_fd, 1 << 16):
                with self._lock:
                    room = self.cap - self.written
                    if room > 0 and not self._file.closed:
                        self._file.write(chunk[:room])
                        self._file.flush()
                        self.written += min(room, len(chunk))
                        chunk = chunk[room:]
                    if chunk:
                        self.dropped += len(chunk)
                        self._tail += chunk
                        if len(self._tail) > self.keep_tail:
                            del self._tail[: len(self._tail) - self.keep_tail]
        finally:
            os.close(self._read_fd)

    def flush(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()

    def tail_lines(self, n: int) -> str | None:
        """The last ``n`` lines when the file stopped growing at the cap (None: the file has them)."""
        with self._lock:
            if not self.dropped:
                return None
            return "\n".join(bytes(self._tail).decode(errors="replace").splitlines()[-n:])

    def close(self, timeout: float = 5.0) -> None:
        """Wait for the writers to be gone (the process group is stopped first), then finish the file."""
        self.spawned()
        self._thread.join(timeout)
        with self._lock:
            if self._file.closed:
                return
            if self.dropped:
                tail = bytes(self._tail)
                cut = tail.find(b"\n")
                tail = tail[cut + 1:] if 0 <= cut < len(tail) - 1 else tail
                self._file.write(f"\n[goperf: log capped at {self.cap >> 20} MiB; {self.dropped} more bytes dropped, "
                                 f"the last {len(tail)} follow]\n".encode())
                self._file.write(tail)
            self._file.close()
