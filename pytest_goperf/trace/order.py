"""Put the per-M event streams of each generation into one valid global order.

Why: timestamps from different threads can disagree, so sorting by time alone
can show a goroutine starting before it was unblocked.  Like Go's own parser
(``internal/trace/order.go``, whose rules this follows), we merge the per-M
streams by timestamp but only emit an event once the state it needs holds:
goroutine and proc sequence numbers must succeed the last ones seen, a
GoStart needs a Runnable goroutine, GC begin/end follow their sequence.  When
the earliest event is not ready, later ones are tried in time order.

Timestamps: like ``go tool trace`` we clamp emitted times to be strictly
increasing (a time <= the previous one becomes previous + 1 ns), including
the per-generation sync points and CPU samples Go interleaves.  Durations are
then never negative and match what ``go tool trace -d=parsed`` shows.

Output comes in chunks ``(times, events)``: clamped times and, for each,
``(type, ctx_g, values, start)`` where ``ctx_g`` is the goroutine running on
the event's thread (-1 for none) and the event's arguments are
``values[start + 2:]`` (``values[start + 1]`` is its raw time delta).  A
generation starts with ``(EV_SYNC, -1, generation, 0)``; CPU samples appear as
``(EV_CPU_SAMPLE, -1, None, 0)``.  Chunks avoid one Python generator step
per event; batches are decoded lazily, one per thread at a time, so memory is
one generation's raw bytes plus one decoded batch per thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from pytest_goperf.trace import events as ev
from pytest_goperf.trace.events import (
    EV_CPU_SAMPLE,
    EV_GO_BLOCK,
    EV_GO_START,
    EV_GO_UNBLOCK,
    EV_SYNC,
    GO_RUNNABLE,
    GO_RUNNING,
    GO_WAITING,
)
from pytest_goperf.trace.generation import Generation
from pytest_goperf.trace.rules import NONE, Emitted, SchedRules

Chunk = tuple[list[int], list[Emitted]]  # clamped times, events
_CHUNK = 8192
_INF = float("inf")

# Cursor layout: [time of current event, event index, times, starts, values, thread, batches, next batch,
#                 thread state]
Cursor = list[Any]


def _sift_up(h: list[Cursor], i: int) -> int:
    while i > 0:
        parent = (i - 1) // 2
        if h[parent][0] <= h[i][0]:
            break
        h[parent], h[i] = h[i], h[parent]
        i = parent
    return i


def _sift_down(h: list[Cursor], i: int) -> None:
    n = len(h)
    while True:
        m = i
        t = h[i][0]
        left = 2 * i + 1
        if left < n and h[left][0] < t:
            m, t = left, h[left][0]
        if left + 1 < n and h[left + 1][0] < t:
            m = left + 1
        if m == i:
            return
        h[i], h[m] = h[m], h[i]
        i = m


def _heap_remove(h: list[Cursor], i: int) -> None:
    while i > 0:
        parent = (i - 1) // 2
        h[parent], h[i] = h[i], h[parent]
        i = parent
    h[0], h[-1] = h[-1], h[0]
    h.pop()
    if h:
        _sift_down(h, 0)


class Orderer(SchedRules):
    """Scheduler state machine that validates and orders events across generations."""

    def __init__(self, version: int) -> None:
        super().__init__()
        self.version = version

    def run(self, gens: Iterable[Generation]) -> Iterator[Chunk]:
        """Yield the ordered events of every generation, generation after generation."""
        for g in gens:
            yield from self.generation(g)

    def generation(self, g: Generation) -> Iterator[Chunk]:
        """Yield one generation's events in order, in chunks; generations must come in file order."""
        self._gen = g
        if self.initial_gen == 0:
            self.initial_gen = g.gen
        argc = ev.timed_argc(self.version)
        frontier: list[Cursor] = []
        for m, batches in g.raw.items():
            c: Cursor = [0, 0, [], [], [], m, batches, 0, self._thread(m)]
            if self._load(c, g, argc):
                frontier.append(c)
                _sift_up(frontier, len(frontier) - 1)
        out_t = self.out_t
        out_e = self.out_e
        out_t.append(g.ns(g.min_ts))
        out_e.append((EV_SYNC, NONE, g, 0))
        samples = g.cpu_sample_times
        si, ns = 0, len(samples)
        advance = self._advance
        gen = g.gen
        gs = self.gs
        push_t, push_e = self._push_t, self._push_e
        while frontier or si < ns:
            if len(out_t) >= _CHUNK:
                yield self._flush()
            if si < ns and (not frontier or samples[si] < frontier[0][0]):
                out_t.append(samples[si])
                out_e.append((EV_CPU_SAMPLE, NONE, None, 0))
                si += 1
                continue
            # Advance the earliest thread for as long as it stays the earliest: with
            # Go's heap that is while its next time is <= both children's (ties keep
            # the root) and no CPU sample comes strictly before it.
            c = frontier[0]
            k, times, starts, vals, m, ms = c[1], c[2], c[3], c[4], c[5], c[8]
            nf = len(frontier)
            if nf == 1:
                lim = _INF
            else:
                lim = frontier[1][0]
                if nf > 2 and frontier[2][0] < lim:
                    lim = frontier[2][0]
            if si < ns and samples[si] < lim:
                lim = samples[si]
            nk = len(starts)
            moved = False
            while True:
                # Fast paths for the three most frequent events when their
                # preconditions hold; anything else goes through _advance.
                at = starts[k]
                typ = vals[at]
                if typ == EV_GO_START:
                    st = gs.get(vals[at + 2])
                    if (
                        st is not None
                        and st[0] == GO_RUNNABLE
                        and st[1] == gen
                        and st[2] + 1 == vals[at + 3]
                        and ms[0] == NONE
                        and ms[1] != NONE
                    ):
                        push_t(times[k])
                        push_e((typ, NONE, vals, at))
                        st[0] = GO_RUNNING
                        st[2] = vals[at + 3]
                        ms[0] = vals[at + 2]
                    elif not advance(vals, at, times[k], m, ms, gen):
                        break
                elif typ == EV_GO_UNBLOCK:
                    st = gs.get(vals[at + 2])
                    if st is not None and st[0] == GO_WAITING and st[1] == gen and st[2] + 1 == vals[at + 3]:
                        push_t(times[k])
                        push_e((typ, ms[0], vals, at))
                        st[0] = GO_RUNNABLE
                        st[2] = vals[at + 3]
                    elif not advance(vals, at, times[k], m, ms, gen):
                        break
                elif typ == EV_GO_BLOCK:
                    cur = ms[0]
                    st = gs.get(cur)
                    if st is not None and st[0] == GO_RUNNING and ms[1] != NONE:
                        push_t(times[k])
                        push_e((typ, cur, vals, at))
                        st[0] = GO_WAITING
                        ms[0] = NONE
                    elif not advance(vals, at, times[k], m, ms, gen):
                        break
                elif not advance(vals, at, times[k], m, ms, gen):
                    break
                moved = True
                k += 1
                if k >= nk or times[k] > lim:
                    break
            if moved:
                if k < nk:
                    c[0], c[1] = times[k], k
                elif not self._load(c, g, argc):
                    _heap_remove(frontier, 0)
                    continue
                # Sift the root down (inlined _sift_down: this runs once per run).
                i, t0 = 0, c[0]
                while True:
                    j = 2 * i + 1
                    if j >= nf:
                        break
                    if j + 1 < nf and frontier[j + 1][0] < frontier[j][0]:
                        j += 1
                    if frontier[j][0] >= t0:
                        break
                    frontier[i], frontier[j] = frontier[j], c
                    i = j
                continue
            frontier.sort(key=lambda cur: cur[0])
            for i in range(1, len(frontier)):
                c = frontier[i]
                if advance(c[4], c[3][c[1]], c[0], c[5], c[8], gen):
                    c[1] += 1
                    if c[1] < len(c[3]):
                        c[0] = c[2][c[1]]
                    elif not self._load(c, g, argc):
                        _heap_remove(frontier, i)
                        break
                    if _sift_up(frontier, i) == i:
                        _sift_down(frontier, i)
                    break
            else:
                stuck = ", ".join(f"M {c[5]}: {ev.event_name(c[4][c[3][c[1]]])}" for c in frontier)
                raise self._err(f"no thread can make progress ({stuck})")
        g.raw = {}  # the batches are consumed: free them before the next generation is read
        if out_t:
            yield self._flush()

    @staticmethod
    def _load(c: Cursor, g: Generation, argc: list[int]) -> bool:
        """Point cursor ``c`` at the first event of its next non-empty batch; False when none is left."""
        batches = c[6]
        while c[7] < len(batches):
            times, starts, vals = g.decode_batch(batches[c[7]], argc)
            c[7] += 1
            if starts:
                c[0], c[1], c[2], c[3], c[4] = times[0], 0, times, starts, vals
                return True
        return False

    def _flush(self) -> Chunk:
        """Clamp the pending times to strictly increasing order (as Go does) and hand them out.

        c[i] = max(t[i], c[i-1] + 1) is, with u = c - i, a running maximum of t - i.
        """
        n = len(self.out_t)
        i = np.arange(n, dtype=np.int64)
        u = np.asarray(self.out_t, dtype=np.int64) - i
        u[0] = max(int(u[0]), self.last_ts + 1)
        times = (np.maximum.accumulate(u) + i).tolist()
        self.last_ts = times[-1]
        chunk = (times, self.out_e.copy())
        self.out_t.clear()
        self.out_e.clear()
        return chunk
