"""Generations: the self-contained slices of a trace, read one at a time.

Why generations: the runtime restarts its string and stack tables and its
sequence numbers every generation, and writes those tables at the end of it,
so a generation is the smallest unit that can be decoded.  Reading one at a
time keeps memory bounded by a generation, not the file.  Before Go 1.26 a
generation ends when a batch of the next generation appears (that batch is
carried over); from 1.26 an end-of-generation byte closes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from pytest_goperf.trace import events as ev
from pytest_goperf.trace.errors import TraceError, TruncatedTraceError
import numpy as np

from pytest_goperf.trace.wire import ByteStream, RawBatch, read_batch, uvarint, uvarints, uvarints_array

Frame = tuple[str, str, int]  # function, file, line


@dataclass
class Generation:
    """One decoded generation: per-M event lists, tables and CPU sample times."""

    gen: int
    offset: int
    version: int = 26
    freq: float = 0.0  # nanoseconds per tick
    min_ts: int = 0  # raw ticks
    strings: dict[int, str] = field(default_factory=lambda: {0: ""})  # ID 0 is always ""
    stacks: dict[int, tuple[int, ...]] = field(default_factory=dict)
    frames: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # pc -> func, file, line ids
    raw: dict[int, list[RawBatch]] = field(default_factory=dict)
    cpu_sample_times: list[int] = field(default_factory=list)
    has_clock_snapshot: bool = False

    def ns(self, ticks: int) -> int:
        """Ticks to nanoseconds exactly as Go's parser converts them (float multiply, truncate)."""
        return int(ticks * self.freq)

    def string(self, sid: int) -> str:
        s = self.strings.get(sid)
        if s is None:
            raise TraceError(f"generation {self.gen}: unknown string ID {sid}", offset=self.offset)
        return s

    def stack(self, sid: int) -> tuple[Frame, ...]:
        """Resolve a stack ID to frames; 0 (no stack) and unknown IDs give ()."""
        pcs = self.stacks.get(sid)
        if not pcs:
            return ()
        out = []
        for pc in pcs:
            fn, fl, line = self.frames[pc]
            out.append((self.strings.get(fn, "?"), self.strings.get(fl, "?"), line))
        return tuple(out)

    def decode_batch(self, b: RawBatch, argc: list[int]) -> tuple[list[int], list[int], list[int]]:
        """Decode one per-M batch into (times_ns, starts, values).

        ``values`` is every uvarint of the batch; event i has its type at
        ``values[starts[i]]``, its timestamp delta next and then its arguments.
        Times follow Go's parser: batch base plus truncated float products of
        each delta and the tick length, accumulated.
        """
        try:
            arr = uvarints_array(b.data)
        except ValueError as exc:
            raise TraceError(f"batch of thread {b.m}: {exc}", offset=b.offset) from None
        vals: list[int] = arr.tolist()
        starts: list[int] = []
        push = starts.append
        i, n = 0, len(vals)
        steps = _steps(argc)  # event length by type; invalid types jump past the end
        try:
            while i < n:
                push(i)
                i += steps[vals[i]]
        except IndexError:
            pass  # a type >= 256: reported below
        types = arr[np.asarray(starts, dtype=np.intp)]
        bad = np.flatnonzero((types > 255) | (_argc_array(argc)[np.minimum(types, 255).astype(np.intp)] < 0))
        if bad.size or i > n:
            # Not a plain batch: experimental events (type byte >= 0x80) or corruption.
            return self._decode_exact(b)
        if not starts:
            return [], [], vals
        idx = np.asarray(starts, dtype=np.int64)
        return self._times(b, arr[idx + 1]), starts, vals

    def _times(self, b: RawBatch, deltas: Any) -> list[int]:
        with np.errstate(invalid="ignore", over="ignore"):  # absurd deltas in corrupt input
            dts = (deltas.astype(np.float64) * self.freq).astype(np.int64)
            times = np.cumsum(dts) + int(b.time * self.freq)
        return times.tolist()  # type: ignore[no-any-return]

    def _decode_exact(self, b: RawBatch) -> tuple[list[int], list[int], list[int]]:
        """Slow, exact walk that also reads experimental events, or raises with the reason.

        An experimental type byte (>= 0x80) fuses with the next uvarint, its
        timestamp delta; it is split again here so that every event ends up
        with the uniform layout [type, delta, args...].
        """
        argc = ev.timed_argc(self.version, experimental=True)
        arr, first = uvarints_array(b.data, first_bytes=True)
        raw: list[int] = arr.tolist()
        fb: list[int] = first.tolist()
        vals: list[int] = []
        starts: list[int] = []
        deltas: list[int] = []
        i, n = 0, len(raw)
        while i < n:
            if fb[i] >= 0x80:
                typ, delta, k = fb[i], raw[i] >> 7, argc[fb[i]]
                args, nxt = raw[i + 1 : i + k], i + k
            else:
                typ = raw[i]
                k = argc[typ] if typ < 256 else -1
                delta = raw[i + 1] if i + 1 < n else 0
                args, nxt = raw[i + 2 : i + 1 + k], i + 1 + k
            if k < 0:
                raise TraceError(
                    f"batch of thread {b.m}: invalid event type {typ} ({ev.event_name(typ)}) for a go 1.{self.version} trace",
                    offset=b.offset,
                )
            if nxt > n:
                raise TraceError(f"batch of thread {b.m}: last event is cut short", offset=b.offset)
            starts.append(len(vals))
            vals.append(typ)
            vals.append(delta)
            vals.extend(args)
            deltas.append(delta)
            i = nxt
        return self._times(b, np.asarray(deltas, dtype=np.uint64)), starts, vals


_TABLES: dict[tuple[int, ...], tuple[list[int], Any]] = {}


def _tables(argc: list[int]) -> tuple[list[int], Any]:
    key = tuple(argc)
    t = _TABLES.get(key)
    if t is None:
        steps = [k + 1 if k >= 0 else 1 << 40 for k in argc]
        t = _TABLES[key] = (steps, np.asarray(argc, dtype=np.int64))
    return t


def _steps(argc: list[int]) -> list[int]:
    """Event length (1 + argument count) by type byte; invalid types get a huge length."""
    return _tables(argc)[0]


def _argc_array(argc: list[int]) -> Any:
    return _tables(argc)[1]


def _add_strings(g: Generation, b: RawBatch) -> None:
    data = b.data
    pos = 1
    while pos < len(data):
        if data[pos] != ev.EV_STRING:
            raise ValueError(f"expected a string entry, got event type {data[pos]}")
        sid, pos = uvarint(data, pos + 1)
        n, pos = uvarint(data, pos)
        if n > ev.MAX_STRING_SIZE:
            raise ValueError(f"invalid string size {n}, maximum is {ev.MAX_STRING_SIZE}")
        if pos + n > len(data):
            raise ValueError("string runs past the end of the batch")
        if sid in g.strings and sid != 0:
            raise ValueError(f"duplicate string ID {sid}")
        g.strings[sid] = data[pos : pos + n].decode("utf-8", "replace")
        pos += n


def _add_stacks(g: Generation, b: RawBatch) -> None:
    vals = uvarints(memoryview(b.data)[1:])
    i, n = 0, len(vals)
    while i < n:
        if vals[i] != ev.EV_STACK:
            raise ValueError(f"expected a stack entry, got event type {vals[i]}")
        if i + 3 > n:
            raise ValueError("stack entry cut short")
        sid, nframes = vals[i + 1], vals[i + 2]
        if nframes > ev.MAX_FRAMES_PER_STACK:
            raise ValueError(f"invalid stack size {nframes}, maximum is {ev.MAX_FRAMES_PER_STACK}")
        end = i + 3 + 4 * nframes
        if end > n:
            raise ValueError(f"stack {sid} cut short")
        pcs = []
        for k in range(i + 3, end, 4):
            pc = vals[k]
            pcs.append(pc)
            if pc not in g.frames:
                g.frames[pc] = (vals[k + 1], vals[k + 2], vals[k + 3])
        if sid in g.stacks:
            raise ValueError(f"duplicate stack ID {sid}")
        g.stacks[sid] = tuple(pcs)
        i = end


def _add_cpu_samples(g: Generation, b: RawBatch) -> None:
    vals = uvarints(memoryview(b.data)[1:])
    if len(vals) % 6:
        raise ValueError("CPU sample cut short")
    for i in range(0, len(vals), 6):
        if vals[i] != ev.EV_CPU_SAMPLE:
            raise ValueError(f"expected a CPU sample, got event type {vals[i]}")
        g.cpu_sample_times.append(vals[i + 1])


def _set_sync(g: Generation, b: RawBatch, version: int) -> None:
    data = b.data
    pos = 1 if version >= 25 else 0
    while pos < len(data):
        typ = data[pos]
        if typ == ev.EV_FREQUENCY:
            if g.freq:
                raise ValueError("found multiple frequency events")
            f, pos = uvarint(data, pos + 1)
            if f == 0:
                raise ValueError("zero trace clock frequency")
            g.freq = 1.0 / (f / 1e9)
        elif typ == ev.EV_CLOCK_SNAPSHOT and version >= 25:
            if g.has_clock_snapshot:
                raise ValueError("found multiple clock snapshot events")
            g.has_clock_snapshot = True
            pos += 1
            for _ in range(4):
                _, pos = uvarint(data, pos)
        else:
            raise ValueError(f"expected frequency or clock snapshot event, got {typ}")


def _process(g: Generation, b: RawBatch, version: int) -> None:
    """File one batch into its generation."""
    if g.min_ts == 0 or b.time < g.min_ts:
        g.min_ts = b.time
    if b.exp:
        return  # experimental data (e.g. AllocFree): skipped
    head = b.data[0] if b.data else -1
    try:
        if head == ev.EV_STRINGS:
            _add_strings(g, b)
        elif head == ev.EV_STACKS:
            _add_stacks(g, b)
        elif head == ev.EV_CPU_SAMPLES:
            _add_cpu_samples(g, b)
        elif (head == ev.EV_FREQUENCY and version < 25) or (head == ev.EV_SYNC and version >= 25):
            _set_sync(g, b, version)
        else:
            g.raw.setdefault(b.m, []).append(b)
    except ValueError as exc:
        raise TraceError(f"generation {g.gen}: {exc}", offset=b.offset) from None


def _finish(g: Generation, version: int, path: str | None) -> Generation:
    if g.freq == 0:
        raise TraceError(f"generation {g.gen} has no frequency event", path=path, offset=g.offset)
    if version >= 25 and not g.has_clock_snapshot:
        raise TraceError(f"generation {g.gen} has no clock snapshot event", path=path, offset=g.offset)
    for pc, (fn, fl, _line) in g.frames.items():
        if fn not in g.strings or fl not in g.strings:
            raise TraceError(f"generation {g.gen}: frame {pc:#x} names an unknown string", path=path, offset=g.offset)
    for sid, pcs in g.stacks.items():
        for pc in pcs:
            if pc not in g.frames:
                raise TraceError(f"generation {g.gen}: stack {sid} has unknown pc {pc:#x}", path=path, offset=g.offset)
    g.cpu_sample_times = sorted(g.ns(t) for t in g.cpu_sample_times)
    return g


def read_generations(f: BinaryIO, version: int, path: str | None = None, start: int = 16) -> Iterator[Generation]:
    """Yield complete generations in file order; raise at the first unreadable one.

    Every generation yielded before an exception is complete and usable.
    """
    s = ByteStream(f, path, start)
    spill: RawBatch | None = None
    while True:
        g: Generation | None = None
        if spill is not None:
            g = Generation(spill.gen, spill.offset, version)
            _process(g, spill, version)
            spill = None
        while True:
            b = read_batch(s)
            if b is None:
                if g is not None and version >= 26:
                    raise TruncatedTraceError(
                        f"generation {g.gen} has no end-of-generation marker: trace likely truncated",
                        path=path,
                        offset=s.offset,
                    )
                break
            if b.end_of_generation:
                if version < 26:
                    raise TraceError("end-of-generation marker in a pre-1.26 trace", path=path, offset=b.offset)
                if g is None:
                    raise TraceError("empty generation", path=path, offset=b.offset)
                break
            if b.gen == 0:
                raise TraceError("invalid generation number 0", path=path, offset=b.offset)
            if g is None:
                g = Generation(b.gen, b.offset, version)
            elif b.gen != g.gen:
                if version < 26 and b.gen == g.gen + 1:
                    spill = b
                    break
                raise TraceError(
                    f"batch of generation {b.gen} inside generation {g.gen}: generations out of order",
                    path=path,
                    offset=b.offset,
                )
            _process(g, b, version)
        if g is None:
            return
        yield _finish(g, version, path)
