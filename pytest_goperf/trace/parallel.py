"""Analyse the generations of a large trace in parallel worker processes, then stitch them.

Why: decoding, ordering and analysing a generation is pure Python work on one
core; a 2-core CI runner (and Go's own tools) use both.  The main process only
scans batch headers to find where each generation starts (it never holds the
file), sends those byte offsets to a pool of worker processes, and each worker
reads, orders (``speculate.SpecOrderer``) and analyses (``Analyzer`` in
speculative mode) one generation on its own.  Results come back in order and
are stitched into one sequential ``Orderer`` and ``Analyzer``:

- the worker's ordering assumptions are checked against the real state the
  previous generation left (``SpecOrderer.consistent``); if one fails, the
  generation is decoded again here and fed in order, exactly as the
  sequential reader does;
- intervals that cross a generation boundary are closed here: a worker
  records each first read of a goroutine's runnable / blocked / syscall / STW
  / GC state that found nothing (``Analyzer.misses``), and we look it up in
  the state carried over from before;
- stack numbers are re-interned into the main table; a syscall stack that a
  worker could not know is a placeholder resolved here.

Peak memory is one generation per worker plus the main process's small
state.  ``analyze_parallel`` returns exactly the ``TraceStats`` of
``reader.analyze_stream``; the tests compare the two.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import types
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np

from pytest_goperf.trace.analysis import (
    MISS_BLOCK,
    MISS_GC,
    MISS_RUN,
    MISS_STW,
    Analyzer,
)
from pytest_goperf.trace.errors import TraceError
from pytest_goperf.trace.events import (
    EV_END_OF_GENERATION,
    EV_EVENT_BATCH,
    EV_EXPERIMENTAL_BATCH,
    EV_SYNC,
)
from pytest_goperf.trace.generation import Generation, read_generations
from pytest_goperf.trace.model import Accumulator, Stack, TraceStats
from pytest_goperf.trace.order import Chunk, Orderer
from pytest_goperf.trace.reader import gc_paused
from pytest_goperf.trace.rules import Emitted
from pytest_goperf.trace.speculate import PREFIX, SpecOrderer
from pytest_goperf.trace.wire import HEADER_SIZE, parse_header

_MAX_EVENT_LEN = 12  # type, time delta and arguments: more than any event has


class NotScannable(Exception):
    """The file is not a clean sequence of batches; the sequential reader reports why."""


def generation_offsets(path: str, version: int) -> list[int]:
    """Byte offset of the first batch of every generation, from batch headers alone.

    Skips batch payloads with seeks, so it reads a small fraction of the
    file.  Anything unexpected (a cut or corrupt header, generations out of
    order) raises ``NotScannable``: the sequential reader then produces the
    exact error or warning.
    """
    offsets: list[int] = []
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        pos = HEADER_SIZE
        current = 0
        while pos < size:
            f.seek(pos)
            head = f.read(2 + 4 * 10)
            typ = head[0]
            if typ == EV_END_OF_GENERATION:
                pos += 1
                current = 0
                continue
            i = 1
            if typ == EV_EXPERIMENTAL_BATCH:
                i = 2
            elif typ != EV_EVENT_BATCH:
                raise NotScannable(f"event type {typ} at byte {pos}")
            fields = []
            for _ in range(4):
                value, shift = 0, 0
                while True:
                    if i >= len(head) or shift > 63:
                        raise NotScannable(f"bad batch header at byte {pos}")
                    b = head[i]
                    i += 1
                    value |= (b & 0x7F) << shift
                    shift += 7
                    if b < 0x80:
                        break
                fields.append(value)
            gen, size_data = fields[0], fields[3]
            if gen == 0 or gen < current or pos + i + size_data > size:
                raise NotScannable(f"bad batch at byte {pos}")
            if gen != current:
                if current and version < 26 and gen != current + 1:
                    raise NotScannable(f"generation {gen} after {current}")
                offsets.append(pos)
                current = gen
            pos += i + size_data
    return offsets


@dataclass
class GenResult:
    """Everything a worker found about one generation, for ``Stitcher``.

    ``prefix`` holds the generation's first ``PREFIX`` events (times as the
    worker clamped them, arguments copied out of their batches, the sync
    point carrying a ``Generation`` with only the tables): the main process
    analyses them with the real clamping; ``analyzer`` covers the rest.
    """

    order: dict[str, Any]
    prefix: Chunk
    analyzer: Analyzer


def _detach(e: Emitted, tables: Generation) -> Emitted:
    """An event that no longer refers to its decoded batch (or to the raw generation)."""
    typ, ctx_g, v, s = e
    if typ == EV_SYNC:
        return (typ, ctx_g, tables, 0)
    if isinstance(v, list):
        return (typ, ctx_g, v[s : s + _MAX_EVENT_LEN], 0)
    return e


def analyze_generation(path: str, version: int, offset: int, keep: int, prefix: int = PREFIX) -> GenResult:
    """Worker: read, order and analyse the generation that starts at ``offset``, on its own."""
    with open(path, "rb") as f:
        f.seek(offset)
        g = next(read_generations(f, version, path, start=offset))
    tables = Generation(g.gen, g.offset, g.version, g.freq, g.min_ts, g.strings, g.stacks, g.frames)
    orderer = SpecOrderer(version, prefix)
    orderer.prepare(g)
    analyzer = Analyzer(keep)
    analyzer.speculative = True
    analyzer.use_tables(g)
    prefix_t: list[int] = []
    prefix_e: list[Emitted] = []

    def after_prefix() -> Iterator[Chunk]:
        for times, evs in orderer.watch(orderer.generation(g)):
            need = prefix - len(prefix_t)
            if need > 0:
                prefix_t.extend(times[:need])
                prefix_e.extend(_detach(e, tables) for e in evs[:need])
                times, evs = times[need:], evs[need:]
            if times:
                yield times, evs

    with gc_paused():
        analyzer.feed(after_prefix())
    analyzer._gen = None  # the generation (its raw batches) is not sent back
    for acc in analyzer._accumulators():
        acc.compact()  # distinct durations and per-stack sums: much smaller than the intervals
    return GenResult(orderer.state(), (prefix_t, prefix_e), analyzer)


class Stitcher:
    """The sequential reader's state, advanced one generation at a time from worker results."""

    def __init__(self, path: str, version: int, keep: int) -> None:
        self.path = path
        self.version = version
        self.orderer = Orderer(version)
        self.analyzer = Analyzer(keep)
        self.redone = 0  # generations whose assumptions did not hold
        self.reasons: list[str] = []

    def add(self, offset: int, result: GenResult | None) -> None:
        """Advance by one generation; ``None`` (the worker failed) means: redo it here."""
        if result is not None:
            spec = SpecOrderer.from_state(result.order)
            why = spec.mismatch(self.orderer)
            if why is None:
                last = self.orderer.last_ts
                times, evs = result.prefix
                self.analyzer.feed([([spec.clamped(t, i, last) for i, t in enumerate(times)], evs)])
                if spec.emitted > spec.prefix:
                    self._adopt(result.analyzer)
                    self.analyzer.last_ts = spec.clamped(result.analyzer.last_ts, spec.emitted - 1, last)
                spec.adopt_into(self.orderer)
                return
            self.reasons.append(why)
        self.redone += 1
        with open(self.path, "rb") as f:
            f.seek(offset)
            g = next(read_generations(f, self.version, self.path, start=offset))
        self.analyzer.feed(self.orderer.generation(g))

    def _adopt(self, w: Analyzer) -> None:
        a = self.analyzer
        remap = np.zeros(len(w.stacks), dtype=np.int64)
        for i, frames in enumerate(w.stacks):
            if i in w.placeholders:
                remap[i] = a._syscall.get(w.placeholders[i], 0)
            else:
                remap[i] = self._intern(frames)
        self._stopper_before(w, remap)
        # Close the intervals that began before the worker's part: in this generation's prefix or
        # in an earlier generation (an STW that spans generations names no goroutine it waited for).
        for kind, g, t in w.misses:
            if kind == MISS_RUN:
                r = a._runnable.get(g)
                if r is not None:
                    a.sched.add(t - r[0], r[0], g, r[2], r[1])
            elif kind == MISS_BLOCK:
                b = a._blocked.get(g)
                if b is not None:
                    a.block_done(t, g, b)
            elif kind == MISS_STW:
                s = a._stw_open.get(g)
                if s is not None:
                    a.stw_done(t, g, s)
            elif kind == MISS_GC and a._gc_open is not None:
                a.gc_mark.add(t - a._gc_open, a._gc_open, -1, "GC mark phase", 0)
        # Carry the open intervals on: the older ones this generation did not touch, then its own.
        t_run, t_blk, t_sys, t_stw = w.touched

        def carry(old: dict[int, Any], touched: set[int], new: dict[int, Any], fix: Any) -> dict[int, Any]:
            out = {k: v for k, v in old.items() if k not in touched}
            out.update((k, fix(v)) for k, v in new.items())
            return out

        a._runnable = carry(a._runnable, t_run, w._runnable, lambda r: (r[0], int(remap[r[1]]), r[2]))
        a._blocked = carry(a._blocked, t_blk, w._blocked, lambda b: (b[0], b[1], int(remap[b[2]])))
        a._syscall = carry(a._syscall, t_sys, w._syscall, lambda sk: int(remap[sk]))
        a._stw_open = carry(a._stw_open, t_stw, w._stw_open, lambda s: (s[0], s[1], int(remap[s[2]])))
        if w.gc_touched:
            a._gc_open = w._gc_open
        # Fold the generation's statistics in.
        a.sched.merge(w.sched, remap)
        a.gc_mark.merge(w.gc_mark, remap)
        for table, other in ((a.stw, w.stw), (a.blocks, w.blocks)):
            for name, acc in other.items():
                mine = table.get(name)
                if mine is None:
                    mine = table[name] = Accumulator(a.keep)
                mine.merge(acc, remap)
        a.gc_count += w.gc_count
        a.generations += w.generations
        if a.first_ts is None:
            a.first_ts = w.first_ts
        a.last_ts = w.last_ts

    def _stopper_before(self, w: Analyzer, remap: np.ndarray[Any, Any]) -> None:
        """The goroutine a stop-the-world opened in the prefix waited for, as of the worker's first STW event.

        A serial read records every goroutine that gives up its P while a
        pause begun in this generation is open, except the goroutines
        stopping the world.  The worker did not know the pause was open, so
        it kept the last two distinct goroutines to stop before its first
        STW event; the world is stopped by one goroutine at a time
        (worldsema), so one of them is the serial read's choice.
        """
        a = self.analyzer
        if not any(s[0] >= a._gen_start for s in a._stw_open.values()):
            return
        for stop in w.early_stops:
            if stop is not None and stop[1] not in a._stw_open:
                a._stw_stopper = (stop[0], stop[1], int(remap[stop[2]]))
                return

    def _intern(self, frames: Stack) -> int:
        a = self.analyzer
        k = a._stack_ids.get(frames)
        if k is None:
            k = a._stack_ids[frames] = len(a.stacks)
            a.stacks.append(frames)
        return k


@contextlib.contextmanager
def _without_main() -> Iterator[None]:
    """Start worker processes without them re-running the caller's ``__main__``.

    Spawned workers re-import the main module (forkserver and spawn do, to
    find pickled functions); ours live in this package, and re-running a
    script that calls ``analyze_file`` without an ``if __name__ ==
    "__main__"`` guard, or one read from stdin, would break the pool.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _pool(workers: int) -> ProcessPoolExecutor:
    """Workers forked from a fork server that has this module imported: a worker starts in
    milliseconds, and never from a copy of a caller that may run threads (pytest, the plugin)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        server = multiprocessing.get_context("forkserver")
        server.set_forkserver_preload([__name__])
        return ProcessPoolExecutor(max_workers=workers, mp_context=server)
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def submission_order(sizes: list[int], ahead: int) -> list[int]:
    """The order to hand generations to the workers: each time, the largest of the next ``ahead`` not yet given.

    Why: a big generation handed out last leaves the other cores idle while
    it finishes; longest first evens the end out.  Results are stitched in
    file order, so a generation taken early waits; taking it from at most
    ``ahead`` places on bounds how many wait.
    """
    left = list(range(len(sizes)))
    order: list[int] = []
    while left:
        k = max(range(min(ahead, len(left))), key=lambda k: sizes[left[k]])  # the first largest on ties
        order.append(left.pop(k))
    return order


def _results(pool: ProcessPoolExecutor, path: str, version: int, offsets: list[int], keep: int,
             workers: int, prefix: int) -> Iterator[tuple[int, GenResult | None]]:
    """Worker results in generation order.  Generations go out in ``submission_order``, at least
    ``2 * workers`` ahead; results wait here until their turn (0.16 MB for a 14 MB generation)."""
    sizes = [end - off for off, end in zip(offsets, [*offsets[1:], os.path.getsize(path)])]
    order = iter(submission_order(sizes, 4 * workers))
    futures: dict[int, Future[GenResult]] = {}
    for i, off in enumerate(offsets):
        while i not in futures or len(futures) < 2 * workers:
            j = next(order, None)
            if j is None:
                break
            with _without_main():  # a worker process may start here
                futures[j] = pool.submit(analyze_generation, path, version, offsets[j], keep, prefix)
        fut = futures.pop(i)
        try:
            result: GenResult | None = fut.result()
        except (TraceError, IndexError, KeyError, ValueError, OverflowError, TypeError, AssertionError):
            result = None  # redone in order, where the real error (if any) is raised
        yield off, result


def analyze_parallel(
    path: str,
    *,
    keep: int = 10,
    workers: int = 2,
    info: dict[str, Any] | None = None,
    prefix: int = PREFIX,
    min_generations: int = 1,
) -> TraceStats:
    """Statistics of a trace file with generations analysed in ``workers`` processes.

    Raises ``NotScannable`` or ``TraceError`` when the file needs the
    sequential reader's error handling (the caller falls back to it).
    ``info``, if given, receives the number of generations and of those
    redone in order because a worker's assumption did not hold.  With fewer
    than ``min_generations`` generations there is nothing to share out:
    ``NotScannable`` sends the caller to the sequential reader.
    """
    with open(path, "rb") as f:
        version = parse_header(f.read(HEADER_SIZE), path)
    offsets = generation_offsets(path, version)
    if not offsets or len(offsets) < min_generations:
        raise NotScannable(f"{len(offsets)} generation(s): nothing to share out")
    stitch = Stitcher(path, version, keep)
    try:
        with _pool(min(workers, len(offsets))) as pool:
            for off, result in _results(pool, path, version, offsets, keep, workers, prefix):
                with gc_paused():
                    stitch.add(off, result)
    except BrokenProcessPool as exc:
        raise NotScannable(f"a worker process died: {exc}") from None
    if info is not None:
        info.update(workers=workers, generations=len(offsets), redone=stitch.redone, reasons=stitch.reasons)
    return stitch.analyzer.result(f"go 1.{version}", path=path)
