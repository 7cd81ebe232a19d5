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

from pytest_goperf.quantities import format_duration
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
from pytest_goperf.trace.frames import program_frame
from pytest_goperf.trace.generation import Generation
from pytest_goperf.trace.model import Accumulator, Stack, TraceStats, is_sync_reason, waited_what
from pytest_goperf.trace.order import Chunk

NO_REASON = "(no reason)"

# How a measured goroutine became runnable (a GoStop carries its own reason, e.g. "preempted").
CREATED, UNBLOCKED, PREEMPTED, SYSCALL, SWITCHED = "created", "unblocked", "preempted", "syscall returned", "switched to"

# Reads that found no open interval for a key this generation had not touched yet: the
# interval may have opened in an earlier generation (trace/parallel.py resolves them).
MISS_RUN, MISS_BLOCK, MISS_STW, MISS_GC = 0, 1, 2, 3


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
        # The last goroutine to give up its P while a stop-the-world that began in this generation
        # was stopping the others: (time, goroutine, stack).  The one the pause waited for.
        self._stw_stopper: tuple[int, int, int] | None = None
        self._gen_start = 0
        self._gc_open: int | None = None
        self.stacks: list[Stack] = [()]
        self._stack_ids: dict[Stack, int] = {(): 0}
        self._gen: Generation | None = None
        self._gen_stacks: dict[int, int] = {}
        self._gen_strings: dict[int, str] = {}
        # Per generation, for analysing generations apart and stitching them (trace/parallel.py):
        # goroutines whose runnable / blocked / syscall / STW state this generation read or wrote,
        # whether it touched the GC phase, first reads that found nothing, and (speculative mode
        # only) stack numbers that stand for the syscall stack of a goroutine from before.
        self.speculative = False
        self.touched: tuple[set[int], set[int], set[int], set[int]] = (set(), set(), set(), set())
        self.gc_touched = False
        self.misses: list[tuple[int, int, int]] = []  # (MISS_*, goroutine, time)
        self.placeholders: dict[int, int] = {}
        # Speculative mode: the last goroutine to give up its P before this part's first STW event,
        # and the last other one (time, goroutine, stack).  A stop-the-world opened before the part
        # (in the main process's prefix) may have waited for it; the stitcher decides.
        self.early_stops: tuple[tuple[int, int, int] | None, tuple[int, int, int] | None] = (None, None)

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
        sched = self.sched  # Accumulator.add inlined for the two most frequent intervals
        sched_dur = sched.durations.append
        sched_stk = sched.stack_ids.append
        stack = self._stack
        cache = self._gen_stacks
        strcache = self._gen_strings
        blocks = self.blocks
        t_run, t_blk, t_sys, t_stw = self.touched
        miss = self.misses.append
        stw_open = self._stw_open
        early = self.speculative and not t_stw  # no STW event seen yet in this part
        e_last, e_prev = self.early_stops
        for times, evs in chunks:
            if not times:
                continue
            for t, (typ, ctx_g, v, s) in zip(times, evs):
                if typ == EV_GO_START:
                    g = v[s + 2]
                    r = runnable.pop(g, None)
                    if r is not None:
                        d = t - r[0]
                        sched_dur(d)
                        sched_stk(r[1])
                        if d >= sched._floor:
                            sched._push((d, -r[0], -g, r[2], r[1]))
                    elif g not in t_run:
                        miss((MISS_RUN, g, t))
                        t_run.add(g)
                elif typ == EV_GO_UNBLOCK:
                    g = v[s + 2]
                    b = blocked.pop(g, None)
                    if b is not None:
                        acc = blocks.get(b[1])
                        if acc is None:
                            acc = blocks[b[1]] = Accumulator(self.keep)
                        d = t - b[0]
                        acc.durations.append(d)
                        acc.stack_ids.append(b[2])
                        if d >= acc._floor:
                            acc._push((d, -b[0], -g, b[1], b[2]))
                    elif g not in t_blk:
                        miss((MISS_BLOCK, g, t))
                        t_blk.add(g)
                    sk = cache.get(v[s + 4])
                    runnable[g] = (t, stack(v[s + 4]) if sk is None else sk, UNBLOCKED)
                    t_run.add(g)
                elif typ == EV_GO_BLOCK:
                    sk = cache.get(v[s + 3])
                    why = strcache.get(v[s + 2])
                    blocked[ctx_g] = b = (
                        t,
                        (self._string(v[s + 2]) or NO_REASON) if why is None else why or NO_REASON,
                        stack(v[s + 3]) if sk is None else sk,
                    )
                    t_blk.add(ctx_g)
                    if stw_open:
                        self._stopped(t, ctx_g, b[2])
                    elif early:
                        if e_last is None or e_last[1] != ctx_g:
                            e_prev = e_last
                        e_last = (t, ctx_g, b[2])
                elif typ == EV_GO_STOP:
                    sk = cache.get(v[s + 3])
                    runnable[ctx_g] = r = (t, stack(v[s + 3]) if sk is None else sk, self._string(v[s + 2]) or PREEMPTED)
                    t_run.add(ctx_g)
                    if stw_open:
                        self._stopped(t, ctx_g, r[1])
                    elif early:
                        if e_last is None or e_last[1] != ctx_g:
                            e_prev = e_last
                        e_last = (t, ctx_g, r[1])
                elif typ == EV_GO_CREATE:
                    runnable[v[s + 2]] = (t, stack(v[s + 4]), CREATED)
                    t_run.add(v[s + 2])
                elif typ == EV_GO_SYSCALL_BEGIN:
                    self._syscall[ctx_g] = stack(v[s + 3])
                    t_sys.add(ctx_g)
                elif typ == EV_GO_SYSCALL_END:
                    self._syscall.pop(ctx_g, None)
                    t_sys.add(ctx_g)
                elif typ == EV_GO_SYSCALL_END_BLOCKED:
                    runnable[ctx_g] = (t, self._syscall_stack(ctx_g), SYSCALL)
                    t_run.add(ctx_g)
                elif typ == EV_GO_SWITCH or typ == EV_GO_SWITCH_DESTROY:
                    g = v[s + 2]
                    b = blocked.pop(g, None)
                    if b is not None:
                        self.block_done(t, g, b)
                    elif g not in t_blk:
                        miss((MISS_BLOCK, g, t))
                        t_blk.add(g)
                    runnable[g] = (t, 0, SWITCHED)
                    t_run.add(g)
                elif typ == EV_STW_BEGIN:
                    stw_open[ctx_g] = (t, self._string(v[s + 2]), stack(v[s + 3]))
                    t_stw.add(ctx_g)
                    self._stw_stopper = None
                    early = False
                elif typ == EV_STW_END:
                    self._stw_done(t, ctx_g)
                    early = False
                elif typ == EV_GC_BEGIN:
                    self.gc_count += 1
                    self._gc_open = t
                    self.gc_touched = True
                elif typ == EV_GC_END:
                    if self._gc_open is not None:
                        self.gc_mark.add(t - self._gc_open, self._gc_open, -1, "GC mark phase", 0)
                    elif not self.gc_touched:
                        miss((MISS_GC, -1, t))
                    self._gc_open = None
                    self.gc_touched = True
                elif typ == EV_SYNC:
                    self._new_generation(v, t)
            self.last_ts = times[-1]
        self.early_stops = (e_last, e_prev)

    def _syscall_stack(self, g: int) -> int:
        """The stack of ``g``'s syscall; a placeholder when it began in a generation analysed elsewhere."""
        sk = self._syscall.pop(g, None)
        t_sys = self.touched[2]
        if sk is None and self.speculative and g not in t_sys:
            sk = len(self.stacks)
            self.stacks.append(())  # resolved when the generation is stitched (placeholders)
            self.placeholders[sk] = g
        t_sys.add(g)
        return 0 if sk is None else sk

    def _stopped(self, t: int, g: int, sk: int) -> None:
        """A goroutine gave up its P while a stop-the-world was open: remember the last one."""
        if g not in self._stw_open and any(b[0] >= self._gen_start for b in self._stw_open.values()):
            self._stw_stopper = (t, g, sk)

    def _stw_what(self, t: int, g: int, s: tuple[int, str, int]) -> str:
        """The STW kind, and which goroutine it waited for where the wait was most of the pause."""
        stopper = self._stw_stopper
        if stopper is None or stopper[0] < s[0] or stopper[1] == g or s[0] < self._gen_start:
            return s[1]
        waited = stopper[0] - s[0]
        if 2 * waited < t - s[0]:
            return s[1]  # the pause was mostly its own work, not waiting for a goroutine to stop
        return waited_what(s[1], format_duration(waited / 1e9), stopper[1], program_frame(self.stacks[stopper[2]]))

    def _stw_done(self, t: int, g: int) -> None:
        s = self._stw_open.pop(g, None)
        if s is not None:
            self.stw_done(t, g, s)
        elif g not in self.touched[3]:
            self.misses.append((MISS_STW, g, t))
        self.touched[3].add(g)

    def stw_done(self, t: int, g: int, s: tuple[int, str, int]) -> None:
        acc = self.stw.get(s[1])
        if acc is None:
            acc = self.stw[s[1]] = Accumulator(self.keep)
        acc.add(t - s[0], s[0], g, self._stw_what(t, g, s), s[2])
        self._stw_stopper = None

    def _accumulators(self) -> list[Accumulator]:
        return [self.sched, self.gc_mark, *self.stw.values(), *self.blocks.values()]

    def use_tables(self, g: Generation) -> None:
        """Resolve stacks and strings in ``g`` from now on, without counting a generation.

        For a worker that leaves the generation's first events (its sync point
        among them) to the main process (trace/parallel.py).
        """
        self._gen = g
        self._gen_stacks.clear()
        self._gen_strings.clear()

    def _new_generation(self, g: Generation, t: int) -> None:
        for acc in self._accumulators():
            acc.compact()  # keeps memory bounded by distinct durations, not trace length
        self._gen = g
        self._gen_stacks.clear()  # in place: feed() holds references
        self._gen_strings.clear()
        for keys in self.touched:
            keys.clear()
        self.gc_touched = False
        self.misses.clear()
        self.placeholders.clear()
        self._stw_stopper = None
        self._gen_start = t
        self.generations += 1
        if self.first_ts is None:
            self.first_ts = t

    def block_done(self, t: int, g: int, b: tuple[int, str, int]) -> None:
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
        sync_all = Accumulator(self.keep)
        for reason, acc in self.blocks.items():
            if is_sync_reason(reason):
                sync_all.merge(acc)
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
            block_stacks={k: a.stack_totals(stacks) for k, a in self.blocks.items()},
            sync_blocks=sync_all.summary(stacks, origin),
            sync_block_stacks=sync_all.stack_totals(stacks),
        )
