"""Heap and goroutine samples taken every ``sample_every`` during the capture window.

This module holds the data model and the sampling thread only; the trend
tests (heap plateau, goroutine drift) read a ``Series`` later.  Each sample
keeps the files it came from, so a reader can open the same numbers in
``go tool pprof``.  A failed sample is recorded and sampling goes on: one
slow answer should not throw away a whole window.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CaptureError
from ..pprof.capture import Cancel, fetch_profile, goroutine_count, heap_memstats


@dataclass(frozen=True)
class Sample:
    """One point: ``t`` seconds after the window started."""

    t: float
    heap_inuse: int | None = None       # bytes, runtime.MemStats.HeapInuse after a GC
    heap_alloc: int | None = None       # bytes, MemStats.HeapAlloc after a GC
    goroutines: int | None = None
    heap_profile: str | None = None     # file names inside the artifacts folder
    heap_text: str | None = None
    goroutine_text: str | None = None
    gc_seconds: float | None = None     # wall time of the forced GC (the heap?gc=1 request): its cost
    dump_seconds: float | None = None   # wall time of the goroutine dump, which stops the world


@dataclass
class Series:
    """All samples of one window, in time order, plus the errors met while sampling."""

    interval: float
    started_at: float = 0.0             # unix time of t = 0
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def heap_points(self) -> list[tuple[float, int]]:
        """Live heap bytes right after the forced GC: what pprof calls in-use space, but exact.

        ``HeapAlloc`` just after ``gc=1`` is the live heap; ``HeapInuse`` counts
        whole spans and jumps by a span's size, too coarse for a trend over
        a short window.
        """
        return [(s.t, s.heap_alloc) for s in self.samples if s.heap_alloc is not None]

    def goroutine_points(self) -> list[tuple[float, int]]:
        return [(s.t, s.goroutines) for s in self.samples if s.goroutines is not None]

    def costs(self) -> str | None:
        """What sampling did to the service: forced GCs and goroutine dumps, with their median wall time."""
        parts = []
        for what, values in (("forced GCs", [s.gc_seconds for s in self.samples if s.gc_seconds is not None]),
                             ("goroutine dumps", [s.dump_seconds for s in self.samples if s.dump_seconds is not None])):
            if values:
                values.sort()
                parts.append(f"{len(values)} {what} (median {values[len(values) // 2] * 1e3:.2f} ms, "
                             f"max {values[-1] * 1e3:.2f} ms)")
        return ", ".join(parts) or None

    def to_json(self) -> dict[str, Any]:
        return {"schema": "goperf-series/1", "interval_s": self.interval, "started_at": self.started_at,
                "samples": [asdict(s) for s in self.samples], "errors": list(self.errors)}

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")
        return path

    @classmethod
    def read(cls, path: Path) -> Series:
        data = json.loads(Path(path).read_text())
        return cls(interval=float(data["interval_s"]), started_at=float(data.get("started_at", 0.0)),
                   samples=[Sample(**s) for s in data["samples"]], errors=list(data.get("errors", [])))


SAMPLE_KINDS = ("heap", "goroutines")


def take_sample(debug_url: str, folder: Path, index: int, t: float, *, timeout: float = 10.0,
                cancel: Cancel | None = None, kinds: Collection[str] = SAMPLE_KINDS) -> tuple[Sample, list[str]]:
    """Fetch heap (gc=1: text for the numbers, protobuf for pprof) and/or goroutines once.

    Each kind disturbs the service (a forced GC, a stop-the-world dump), so
    only the kinds a gate asked for are fetched, and each one's wall time is
    kept as its measured cost.
    """
    errors: list[str] = []
    tag = f"{index:03d}"
    fields: dict[str, Any] = {"t": round(t, 4)}
    if "heap" in kinds:
        try:
            began = time.monotonic()
            stats = heap_memstats(debug_url, folder / f"heap-{tag}.txt", gc=True, timeout=timeout, cancel=cancel)
            fields["gc_seconds"] = round(time.monotonic() - began, 6)
            fields.update(heap_inuse=stats["HeapInuse"], heap_alloc=stats.get("HeapAlloc"),
                          heap_text=f"heap-{tag}.txt")
            # Right after that GC the protobuf profile shows the same in-use heap.
            fetch_profile(debug_url, "heap", folder / f"heap-{tag}.pprof", timeout=timeout, cancel=cancel)
            fields["heap_profile"] = f"heap-{tag}.pprof"
        except CaptureError as exc:
            errors.append(f"sample {tag} heap: {exc}")
    if "goroutines" in kinds:
        try:
            began = time.monotonic()
            fields["goroutines"] = goroutine_count(debug_url, folder / f"goroutine-{tag}.txt", timeout=timeout,
                                                   cancel=cancel)
            fields["dump_seconds"] = round(time.monotonic() - began, 6)
            fields["goroutine_text"] = f"goroutine-{tag}.txt"
        except CaptureError as exc:
            errors.append(f"sample {tag} goroutines: {exc}")
    return Sample(**fields), errors


class SeriesCollector:
    """Background thread sampling at t = 0, interval, 2*interval ... (t < ``until``) until stopped.

    It sleeps on an ``Event`` between samples, so waiting costs no CPU.  No
    sample is taken inside ``quiet`` (the execution trace's span): a heap
    sample with ``gc=1`` forces a GC and a goroutine dump stops the world, and
    the trace must show the service's own GCs and pauses, not ours.
    """

    QUIET_MARGIN = 0.1    # seconds kept free before the trace starts

    def __init__(self, debug_url: str, folder: Path, interval: float, *, until: float | None = None,
                 quiet: tuple[float, float] | None = None, timeout: float = 10.0,
                 kinds: Collection[str] = SAMPLE_KINDS) -> None:
        if interval <= 0:
            raise ValueError("sample interval must be > 0")
        self.kinds = tuple(kinds)
        self.debug_url = debug_url
        self.folder = folder
        self.timeout = timeout
        self.until = until
        self.quiet = quiet
        self.series = Series(interval=interval)
        self._stop = threading.Event()
        self._cancel = Cancel()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="goperf-series", daemon=True)

    def start(self) -> SeriesCollector:
        self.series.started_at = time.time()
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def _run(self) -> None:
        index = 0
        while not self._stop.is_set():
            due = self._t0 + index * self.series.interval
            if self.until is not None and due - self._t0 >= self.until:
                break  # later samples would see the service after the load, not under it
            if self._stop.wait(max(0.0, due - time.monotonic())):
                break
            if self.quiet is not None and self.quiet[0] - self.QUIET_MARGIN <= due - self._t0 < self.quiet[1]:
                index += 1
                continue
            sample, errors = take_sample(self.debug_url, self.folder, len(self.series.samples),
                                         time.monotonic() - self._t0, timeout=self.timeout, cancel=self._cancel,
                                         kinds=self.kinds)
            self.series.samples.append(sample)
            self.series.errors.extend(errors)
            index += 1
            late = time.monotonic() - self._t0 - index * self.series.interval
            if late > 0:  # a slow sample: skip the slots it overran instead of bursting
                index += int(late / self.series.interval) + 1

    def abort(self) -> Series:
        """Stop at once, cutting off a sample in flight (on errors and Ctrl-C)."""
        self._stop.set()
        self._cancel.cancel()
        self._thread.join(2.0)
        return self.series

    def stop(self) -> Series:
        """Stop sampling (waiting for a sample in flight) and return the series."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.timeout * 2 + 5)
        return self.series
