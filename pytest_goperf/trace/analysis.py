"""Scheduler latency, STW pauses, blocking and GC phases from ordered events.

Definitions (docs/design.md#definitions): scheduler latency is each Runnable
interval that began with a known transition (created, unblocked, preempted or
stopped, back from a blocking syscall) and ended when the goroutine ran;
goroutines already Runnable when the trace starts are not measured.  STW is
each stop-the-world range, GC STW those whose kind starts with "GC".  A block
is Running -> Waiting until the goroutine leaves Waiting, grouped by reason.
No I/O here: the input is the ordered stream of ``order.Orderer``.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytest_goperf.trace import events as ev
from pytest_goperf.trace.events import (
    EV_GC_BEGIN,
    EV_GC_END,
    EV_GO_BLOCK,
    EV_GO_CREATE,
    EV_GO_START,
    EV_GO_STOP,
    EV_GO_SWITCH,
    EV_GO_SWITCH_DESTROY,
    EV_GO_SYSCALL_BEGIN,
    EV_GO_SYSCALL_END,
    EV_GO_SYSCALL_END_BLOCKED,
    EV_GO_UNBLOCK,
    EV_STW_BEGIN,
    EV_STW_END,
    EV_SYNC,
)
from pytest_goperf.trace.generation import Generation
from pytest_goperf.trace.model import Accumulator, Stack, TraceStats
from pytest_goperf.trace.order import Chunk

NO_REASON = "(no reason)"

# How a measured goroutine became runnable (a GoStop carries its own reason, e.g. "preempted").
CREATED, UNBLOCKED, PREEMPTED, SYSCALL, SWITCHED = "created", "unblocked", "preempted", "syscall returned", "switched to"


class Analyzer:
    """Consumes ordered events one generation after another and accumulates statistics."""

    def __init__(self, keep: int = 10) -> None:
        self.keep = keep
        self.sched = Accumulator(keep)
        self.stw: dict[str, Accumulator] = {}
        self.blocks: dict[str, Accumulator] = {}
        self.gc_mark = Accumulator(keep)
        self.gc_count = 0
        self.generations = 0
        self.first_ts: int | None = None
        self.last_ts = 0
        self._runnable: dict[int, tuple[int, int, str]] = {}  # g -> (since, stack, how)
        self._blocked: dict[int, tuple[int, str, int]] = {}  # g -> (since, reason, stack)
        self._syscall: dict[int, int] = {}  # g -> stack of its syscall
        self._stw_open: dict[int, tuple[int, str, int]] = {}
        self._gc_open: int | None = None
        self.stacks: list[Stack] = [()]
        self._stack_ids: dict[Stack, int] = {(): 0}
        self._gen: Generation | None = None
        self._gen_stacks: dict[int, int] = {}
        self._gen_strings: dict[int, str] = {}

    # -- tables ---------------------------------------------------------------
    def _stack(self, sid: int) -> int:
        """Generation-local stack ID -> trace-wide interned stack number."""
        k = self._gen_stacks.get(sid)
        if k is None:
            assert self._gen is not None
            frames = self._gen.stack(sid)
            k = self._stack_ids.get(frames)
            if k is None:
                k = self._stack_ids[frames] = len(self.stacks)
                self.stacks.append(frames)
            self._gen_stacks[sid] = k
        return k

    def _string(self, sid: int) -> str:
        s = self._gen_strings.get(sid)
        if s is None:
            assert self._gen is not None
            s = self._gen.strings.get(sid, "") if sid else ""
            self._gen_strings[sid] = s
        return s

    # -- events ---------------------------------------------------------------
    def feed(self, chunks: Iterable[Chunk]) -> None:  # noqa: C901 - one flat dispatch for speed
        """Consume chunks of (clamped times, events) from ``Orderer``."""
        runnable = self._runnable
        blocked = self._blocked
        sched_add = self.sched.add
        stack = self._stack
        cache = self._gen_stacks
        strcache = self._gen_strings
        blocks = self.blocks
        for times, evs in chunks:
            if not times:
                continue
            for t, (typ, ctx_g, v, s) in zip(times, evs):
                if typ == EV_GO_START:
                    r = runnable.pop(v[s + 2], None)
                    if r is not None:
                        sched_add(t - r[0], r[0], v[s + 2], r[2], r[1])
                elif typ == EV_GO_UNBLOCK:
                    g = v[s + 2]
                    b = blocked.pop(g, None)
                    if b is not None:
                        acc = blocks.get(b[1])
                        if acc is None:
                            acc = blocks[b[1]] = Accumulator(self.keep)
                        acc.add(t - b[0], b[0], g, b[1], b[2])
                    sk = cache.get(v[s + 4])
                    runnable[g] = (t, stack(v[s + 4]) if sk is None else sk, UNBLOCKED)
                elif typ == EV_GO_BLOCK:
                    sk = cache.get(v[s + 3])
                    why = strcache.get(v[s + 2])
                    blocked[ctx_g] = (
                        t,
                        (self._string(v[s + 2]) or NO_REASON) if why is None else why or NO_REASON,
                        stack(v[s + 3]) if sk is None else sk,
                    )
                elif typ == EV_GO_STOP:
                    sk = cache.get(v[s + 3])
                    runnable[ctx_g] = (t, stack(v[s + 3]) if sk is None else sk, self._string(v[s + 2]) or PREEMPTED)
                elif typ == EV_GO_CREATE:
                    runnable[v[s + 2]] = (t, stack(v[s + 4]), CREATED)
                elif typ == EV_GO_SYSCALL_BEGIN:
                    self._syscall[ctx_g] = stack(v[s + 3])
                elif typ == EV_GO_SYSCALL_END:
                    self._syscall.pop(ctx_g, None)
                elif typ == EV_GO_SYSCALL_END_BLOCKED:
                    runnable[ctx_g] = (t, self._syscall.pop(ctx_g, 0), SYSCALL)
                elif typ == EV_GO_SWITCH or typ == EV_GO_SWITCH_DESTROY:
                    g = v[s + 2]
                    b = blocked.pop(g, None)
                    if b is not None:
                        self._block_done(t, g, b)
                    runnable[g] = (t, 0, SWITCHED)
                elif typ == EV_STW_BEGIN:
                    self._stw_open[ctx_g] = (t, self._string(v[s + 2]), stack(v[s + 3]))
                elif typ == EV_STW_END:
                    self._stw_done(t, ctx_g)
                elif typ == EV_GC_BEGIN:
                    self.gc_count += 1
                    self._gc_open = t
                elif typ == EV_GC_END:
                    if self._gc_open is not None:
                        self.gc_mark.add(t - self._gc_open, self._gc_open, -1, "GC mark phase", 0)
                    self._gc_open = None
                elif typ == EV_SYNC:
                    self._new_generation(v, t)
            self.last_ts = times[-1]

    def _stw_done(self, t: int, g: int) -> None:
        s = self._stw_open.pop(g, None)
        if s is not None:
            acc = self.stw.get(s[1])
            if acc is None:
                acc = self.stw[s[1]] = Accumulator(self.keep)
            acc.add(t - s[0], s[0], g, s[1], s[2])

    def _accumulators(self) -> list[Accumulator]:
        return [self.sched, self.gc_mark, *self.stw.values(), *self.blocks.values()]

    def _new_generation(self, g: Generation, t: int) -> None:
        for acc in self._accumulators():
            acc.compact()  # keeps memory bounded by distinct durations, not trace length
        self._gen = g
        self._gen_stacks.clear()  # in place: feed() holds references
        self._gen_strings.clear()
        self.generations += 1
        if self.first_ts is None:
            self.first_ts = t

    def _block_done(self, t: int, g: int, b: tuple[int, str, int]) -> None:
        acc = self.blocks.get(b[1])
        if acc is None:
            acc = self.blocks[b[1]] = Accumulator(self.keep)
        acc.add(t - b[0], b[0], g, b[1], b[2])

    # -- results --------------------------------------------------------------
    def result(self, fmt: str, *, warnings: Iterable[str] = (), path: str | None = None) -> TraceStats:
        origin = self.first_ts or 0
        stw_all = Accumulator(self.keep)
        gc_stw = Accumulator(self.keep)
        for kind, acc in self.stw.items():
            stw_all.merge(acc)
            if kind.startswith("GC"):
                gc_stw.merge(acc)
        stacks = self.stacks
        return TraceStats(
            format=fmt,
            duration_ns=self.last_ts - origin if self.first_ts is not None else 0,
            sched_latency=self.sched.summary(stacks, origin),
            stw=stw_all.summary(stacks, origin),
            gc_stw=gc_stw.summary(stacks, origin),
            stw_by_kind={k: a.summary(stacks, origin) for k, a in self.stw.items()},
            blocks={k: a.summary(stacks, origin) for k, a in self.blocks.items()},
            gc_count=self.gc_count,
            gc_mark=self.gc_mark.summary(stacks, origin),
            generations=self.generations,
            warnings=tuple(warnings),
            path=path,
        )
