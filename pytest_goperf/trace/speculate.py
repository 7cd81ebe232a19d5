"""Order one generation on its own, recording what it assumed about the generations before it.

Why: generations can be decoded, ordered and analysed in parallel
(``trace/parallel.py``) only if each can start without the scheduler state
the previous ones leave behind.  A generation re-establishes nearly all of
that state itself: the runtime writes a status event for every goroutine
and proc before anything else it records about them in a generation.
``SpecOrderer`` therefore starts empty and treats its generation as the
first one (status events of goroutines it has never seen are accepted, as
Go's parser does for the first generation), and it records every point at
which the outcome could depend on the real state:

- the first status of each goroutine and proc (the real state must agree),
  goroutines created (the real state must not have them),
- per thread, which of its two fields (goroutine, proc) the thread's leading
  status events overwrite before anything reads them (the others must be
  "none" in the real state), and the one read Go's rules make of an older
  binding (a goroutine in a syscall on this thread),
- threads named by another thread's status event that have no events here,
- the first GC event and whether a GC event had to wait before it,
- the time of the ``PREFIX``-th event: Go clamps times to be strictly
  increasing across the generation boundary, which turns the i-th time w of
  this generation into max(w, L + 1 + i) for the previous generation's last
  time L.  Only a short prefix (the sync point, the leading status events
  and a few more, a dozen in practice) is ever raised.  Workers leave the
  first ``PREFIX`` events to the main process, which analyses them with the
  real times; the check makes sure the clamping ends inside them.

``consistent`` checks those assumptions against the state the previous
generation really left; ``adopt`` then updates that state as the
sequential reader would have.  When an assumption does not hold, the caller
redoes the generation in order with the real state, so results never differ
from the sequential reader's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pytest_goperf.trace import events as ev
from pytest_goperf.trace.events import (
    EV_GC_ACTIVE,
    EV_GC_BEGIN,
    EV_GO_CREATE,
    EV_GO_CREATE_BLOCKED,
    EV_GO_CREATE_SYSCALL,
    EV_GO_STATUS,
    EV_GO_STATUS_STACK,
    EV_PROC_STATUS,
    GO_RUNNING,
    GO_SYSCALL,
    PROC_RUNNING,
    PROC_SYSCALL,
)
from pytest_goperf.trace.generation import Generation
from pytest_goperf.trace.order import Chunk, Orderer
from pytest_goperf.trace.rules import _GC_RUNNING, _GC_UNDETERMINED, NONE, _signed

_CREATES = (EV_GO_CREATE, EV_GO_CREATE_BLOCKED, EV_GO_CREATE_SYSCALL)
PREFIX = 2048  # leading events of a generation analysed by the main process, with the real clamping
FREE = None  # a thread field written before it is read: its earlier value does not matter
Requirement = tuple[int | None, int | None]  # per thread: (goroutine, proc) the real state must hold


def thread_requirements(g: Generation, version: int) -> dict[int, Requirement]:
    """What each thread's earlier (goroutine, proc) must be for this generation to order alone.

    Walks the leading status events of each thread's first non-empty batch:
    ``GoStatus(running)`` and ``ProcStatus(running|syscall)`` overwrite a field
    unread; ``GoStatus(syscall)`` on the thread itself reads the old goroutine
    (Go checks it is the same) before it binds it.  A field no leading status
    event sets must have been "none".
    """
    argc = ev.timed_argc(version)
    out: dict[int, Requirement] = {}
    for m, batches in g.raw.items():
        req: list[int | None] = [NONE, NONE]
        done = [False, False]
        for b in batches:
            _times, starts, vals = g.decode_batch(b, argc)
            if not starts:
                continue
            for i in starts:
                typ = vals[i]
                if typ == EV_PROC_STATUS:
                    if not done[1] and vals[i + 3] in (PROC_RUNNING, PROC_SYSCALL):
                        req[1], done[1] = FREE, True
                elif typ == EV_GO_STATUS or typ == EV_GO_STATUS_STACK:
                    gid, mid, status = vals[i + 2], _signed(vals[i + 3]), vals[i + 4]
                    if not done[0] and status == GO_RUNNING:
                        req[0], done[0] = FREE, True
                    elif not done[0] and status == GO_SYSCALL and mid == m:
                        req[0], done[0] = gid, True
                else:
                    break
            break  # only the first non-empty batch
        out[m] = (req[0], req[1])
    return out


class SpecOrderer(Orderer):
    """An ``Orderer`` for one generation alone that records its assumptions (see the module doc)."""

    def __init__(self, version: int, prefix: int = PREFIX) -> None:
        super().__init__(version)
        self.prefix = prefix
        self.last_ts = -(1 << 62)  # no clamping against a previous generation
        self.after_prefix: int | None = None  # the time of event PREFIX, if there is one
        self.emitted = 0  # events emitted in this generation
        self.first_status: dict[int, int] = {}
        self.first_proc: dict[int, int] = {}
        self.created: list[int] = []
        self.cross: list[tuple[int, int]] = []  # (thread without events here, goroutine in a syscall on it)
        self.syscall_checks: list[tuple[int, int, int]] = []  # (thread, goroutine, thread's goroutine then)
        self.gc_first: tuple[int, int] | None = None
        self.gc_stalled = False
        self.requirements: dict[int, Requirement] = {}
        self.broken = ""  # something only a first generation may do, seen after the goroutine was known

    def prepare(self, g: Generation) -> None:
        """Record the thread requirements before ordering ``g``."""
        self.requirements = thread_requirements(g, self.version)

    def watch(self, chunks: Iterable[Chunk]) -> Iterator[Chunk]:
        """Pass ``generation()``'s chunks on, counting events and noting the time of event PREFIX."""
        for times, evs in chunks:
            j = self.prefix - self.emitted
            if 0 <= j < len(times):
                self.after_prefix = times[j]
            self.emitted += len(times)
            yield times, evs

    def clamped(self, t: int, index: int, prev_last: int) -> int:
        """This generation's ``index``-th time as the sequential reader clamps it after ``prev_last``."""
        return max(t, prev_last + 1 + index)

    def _advance(self, v: list[int], s: int, t: int, m: int, ms: list[int], gen: int) -> bool:
        if v[s] in _CREATES and v[s + 2] not in self.gs:
            if v[s + 2] in self.first_status or v[s + 2] in self.created:
                self.broken = f"goroutine {v[s + 2]} created after it ended"
            self.created.append(v[s + 2])
        return super()._advance(v, s, t, m, ms, gen)

    def _go_status(self, v: list[int], s: int, m: int, ms: list[int], gen: int) -> None:
        gid, mid, status = v[s + 2], _signed(v[s + 3]), v[s + 4]
        if gid not in self.gs:
            if gid in self.first_status or gid in self.created:
                self.broken = f"status of goroutine {gid} after it ended"
            self.first_status[gid] = status
        if status == GO_SYSCALL and mid != NONE:
            if mid == m:
                self.syscall_checks.append((m, gid, ms[0]))
            elif mid not in self.ms:
                self.cross.append((mid, gid))
        super()._go_status(v, s, m, ms, gen)

    def _proc_status(self, v: list[int], s: int, ms: list[int], gen: int) -> None:
        if v[s + 2] not in self.ps:
            self.first_proc[v[s + 2]] = v[s + 3]
        super()._proc_status(v, s, ms, gen)

    def _gc(self, seq: int, typ: int, gen: int) -> bool:
        ok = super()._gc(seq, typ, gen)
        if self.gc_first is None:
            if ok:
                self.gc_first = (typ, seq)
            else:
                self.gc_stalled = True
        return ok

    # -- against the real state -------------------------------------------------------
    def consistent(self, real: Orderer) -> bool:
        """Whether ordering this generation after ``real``'s state gives exactly what we did."""
        return self.mismatch(real) is None

    def mismatch(self, real: Orderer) -> str | None:
        """The first assumption that ``real``'s state breaks, or None."""
        t = self.after_prefix
        if t is not None and self.clamped(t, self.prefix, real.last_ts) != t:
            return f"times are still clamped after the first {self.prefix} events"
        if real.initial_gen == 0:
            return None  # the first generation: the sequential reader starts empty too
        if self.gc_stalled:
            return "a GC event waited before the first one"
        if self.broken:
            return self.broken
        gs, ps, ms = real.gs, real.ps, real.ms
        for gid, status in self.first_status.items():
            st = gs.get(gid)
            if st is None or st[0] != status:
                return f"goroutine {gid}: status {status}, before {st}"
        for gid in self.created:
            if gid in gs:
                return f"goroutine {gid} created again"
        for pid, status in self.first_proc.items():
            before = ps.get(pid)
            if before is not None and before[0] != status:
                return f"proc {pid}: status {status}, before {before}"
        for m, (need_g, need_p) in self.requirements.items():
            g, p = ms.get(m, (NONE, NONE))
            if (need_g is not None and g != need_g) or (need_p is not None and p != need_p):
                return f"thread {m}: needs ({need_g}, {need_p}), had ({g}, {p})"
        first_check: set[int] = set()
        for m, gid, had in self.syscall_checks:
            leading = m not in first_check
            first_check.add(m)
            if had != gid and not (leading and had == NONE and self.requirements.get(m, (None,))[0] == gid):
                return f"thread {m}: syscalling goroutine {gid} was bound to {had}"
        for mid, gid in self.cross:
            bound = ms.get(mid)
            if bound is not None and list(bound) != [gid, NONE]:
                return f"thread {mid}: had {bound}, not goroutine {gid} in a syscall"
        if self.gc_first is not None:
            typ, seq = self.gc_first
            if typ == EV_GC_ACTIVE:
                ok = seq == real.gc_seq + 1 and real.gc_state == _GC_RUNNING
            elif typ == EV_GC_BEGIN:
                ok = real.gc_state == _GC_UNDETERMINED or (seq == real.gc_seq + 1 and real.gc_state != _GC_RUNNING)
            else:
                ok = False
            if not ok:
                return f"GC event {typ} seq {seq} after seq {real.gc_seq} state {real.gc_state}"
        return None

    def adopt_into(self, real: Orderer) -> None:
        """Leave ``real`` in the state the sequential reader has after this generation."""
        for gid in self.first_status:
            real.gs.pop(gid, None)
        real.gs.update(self.gs)
        real.ps.update(self.ps)
        real.ms.update(self.ms)
        if self.gc_first is not None:
            real.gc_seq, real.gc_state = self.gc_seq, self.gc_state
        if real.initial_gen == 0:
            real.initial_gen = self.initial_gen
        if self.emitted:
            real.last_ts = self.clamped(self.last_ts, self.emitted - 1, real.last_ts)

    def state(self) -> dict[str, Any]:
        """What ``consistent`` and ``adopt_into`` need, to send from a worker process."""
        keep = ("gs", "ps", "ms", "gc_seq", "gc_state", "last_ts", "initial_gen", "version", "prefix", "after_prefix", "emitted",
                "first_status", "first_proc", "created", "cross", "syscall_checks", "gc_first", "gc_stalled",
                "requirements", "broken")
        return {k: getattr(self, k) for k in keep}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SpecOrderer:
        o = cls(state["version"], state["prefix"])
        for k, v in state.items():
            setattr(o, k, v)
        return o
