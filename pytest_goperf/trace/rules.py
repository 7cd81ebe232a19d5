"""The scheduler rules an event must satisfy before it can be emitted.

Why separate from the merge loop: these are Go's ordering rules
(``internal/trace/order.go``) as a state machine over goroutines, procs,
threads and the GC sequence; ``order.Orderer`` decides which thread's event
to try next.  ``_advance`` returns False when an event is not ready yet
(a sequence number or state it waits for comes from another thread) and
raises TraceError when the trace contradicts itself.
"""

from __future__ import annotations

from typing import Any

from pytest_goperf.trace import events as ev
from pytest_goperf.trace.errors import TraceError
from pytest_goperf.trace.events import (
    EV_GC_ACTIVE,
    EV_GC_BEGIN,
    EV_GC_END,
    EV_GO_BLOCK,
    EV_GO_CREATE,
    EV_GO_CREATE_BLOCKED,
    EV_GO_CREATE_SYSCALL,
    EV_GO_DESTROY,
    EV_GO_DESTROY_SYSCALL,
    EV_GO_START,
    EV_GO_STATUS,
    EV_GO_STATUS_STACK,
    EV_GO_STOP,
    EV_GO_SWITCH,
    EV_GO_SWITCH_DESTROY,
    EV_GO_SYSCALL_BEGIN,
    EV_GO_SYSCALL_END,
    EV_GO_SYSCALL_END_BLOCKED,
    EV_GO_UNBLOCK,
    EV_PROC_START,
    EV_PROC_STATUS,
    EV_PROC_STEAL,
    EV_PROC_STOP,
    GO_RUNNABLE,
    GO_RUNNING,
    GO_SYSCALL,
    GO_WAITING,
    PROC_IDLE,
    PROC_RUNNING,
    PROC_SYSCALL,
    PROC_SYSCALL_ABANDONED,
)
from pytest_goperf.trace.generation import Generation

NONE = -1
_U64 = 1 << 64
_GC_UNDETERMINED, _GC_NOT_RUNNING, _GC_RUNNING = 0, 1, 2
Emitted = tuple[int, int, Any, int]  # (type, ctx goroutine, values, start)


def _signed(v: int) -> int:
    return v - _U64 if v >= 1 << 63 else v


class SchedRules:
    """Goroutine, proc, thread and GC state, updated by each emitted event."""

    def __init__(self) -> None:
        self.gs: dict[int, list[int]] = {}  # goroutine -> [status, seq gen, seq]
        self.ps: dict[int, list[int]] = {}  # proc -> [status, seq gen, seq]
        self.ms: dict[int, list[int]] = {}  # thread -> [goroutine, proc]
        self.initial_gen = 0
        self.gc_seq = 0
        self.gc_state = _GC_UNDETERMINED
        self.last_ts = 0
        self.out_t: list[int] = []  # raw times of emitted, not yet clamped events
        self.out_e: list[Emitted] = []
        self._push_t = self.out_t.append
        self._push_e = self.out_e.append
        self._gen: Generation | None = None

    def _err(self, msg: str) -> TraceError:
        g = self._gen
        return TraceError(f"broken trace in generation {g.gen if g else '?'}: {msg}", offset=g.offset if g else None)

    def _thread(self, m: int) -> list[int]:
        """Scheduling state [goroutine, proc] of thread ``m``, created on first sight."""
        ms = self.ms.get(m)
        if ms is None:
            ms = self.ms[m] = [NONE, NONE]
        return ms

    def _advance(self, v: list[int], s: int, t: int, m: int, ms: list[int], gen: int) -> bool:  # noqa: C901
        """Apply one event of thread ``m`` (state ``ms``) if its preconditions hold; False means 'not yet'.

        One flat dispatch, most frequent events first, for speed.
        """
        typ = v[s]
        cur_g, cur_p = ms
        gs = self.gs
        if typ == EV_GO_START:
            st = gs.get(v[s + 2])
            if st is None or st[0] != GO_RUNNABLE or st[1] != gen or st[2] + 1 != v[s + 3]:
                return False
            if cur_p == NONE or cur_g != NONE:
                raise self._err(f"GoStart of goroutine {v[s + 2]} on thread {m} with proc {cur_p}, goroutine {cur_g}")
            st[0] = GO_RUNNING
            st[2] = v[s + 3]
            ms[0] = v[s + 2]
        elif typ == EV_GO_BLOCK or typ == EV_GO_STOP or typ == EV_GO_DESTROY:
            st = gs.get(cur_g)
            if st is None or st[0] != GO_RUNNING or cur_p == NONE:
                raise self._err(f"{ev.event_name(typ)} on thread {m} without a running goroutine")
            if typ == EV_GO_BLOCK:
                st[0] = GO_WAITING
            elif typ == EV_GO_STOP:
                st[0] = GO_RUNNABLE
            else:
                del gs[cur_g]
            ms[0] = NONE
        elif typ == EV_GO_UNBLOCK:
            st = gs.get(v[s + 2])
            if st is None or st[0] != GO_WAITING or st[1] != gen or st[2] + 1 != v[s + 3]:
                return False
            st[0] = GO_RUNNABLE
            st[2] = v[s + 3]
        elif typ == EV_PROC_START:
            ps = self.ps.get(v[s + 2])
            if ps is None or ps[0] != PROC_IDLE or ps[1] != gen or ps[2] + 1 != v[s + 3] or cur_p != NONE:
                return False
            ps[0] = PROC_RUNNING
            ps[2] = v[s + 3]
            ms[1] = v[s + 2]
        elif typ == EV_PROC_STOP:
            ps = self.ps.get(cur_p)
            if ps is None or ps[0] not in (PROC_RUNNING, PROC_SYSCALL):
                raise self._err(f"ProcStop on thread {m} for proc {cur_p} that is not running")
            ps[0] = PROC_IDLE
            ms[1] = NONE
        elif typ == EV_GO_SYSCALL_BEGIN:
            st = gs.get(cur_g)
            ps = self.ps.get(cur_p)
            if st is None or st[0] != GO_RUNNING or ps is None:
                raise self._err(f"GoSyscallBegin on thread {m} without a running goroutine and proc")
            if ps[1] != gen or ps[2] + 1 != v[s + 2]:
                raise self._err(f"GoSyscallBegin on thread {m}: proc {cur_p} sequence {v[s + 2]} after {ps[2]}")
            st[0] = GO_SYSCALL
            ps[0] = PROC_SYSCALL
            ps[2] = v[s + 2]
        elif typ == EV_GO_SYSCALL_END:
            st = gs.get(cur_g)
            ps = self.ps.get(cur_p)
            if st is None or st[0] != GO_SYSCALL or ps is None or ps[0] != PROC_SYSCALL:
                raise self._err(f"GoSyscallEnd on thread {m} without a goroutine and proc in a syscall")
            st[0] = GO_RUNNING
            ps[0] = PROC_RUNNING
        elif typ == EV_GO_SYSCALL_END_BLOCKED:
            if cur_p != NONE:
                ps = self.ps.get(cur_p)
                if ps is None:
                    raise self._err(f"GoSyscallEndBlocked on thread {m}: unknown proc {cur_p}")
                if ps[0] == PROC_SYSCALL:
                    return False
            st = gs.get(cur_g)
            if st is None or st[0] != GO_SYSCALL:
                raise self._err(f"GoSyscallEndBlocked on thread {m} without a goroutine in a syscall")
            st[0] = GO_RUNNABLE
            ms[0] = NONE
        elif typ == EV_PROC_STEAL:
            return self._proc_steal(v, s, t, m, ms, gen)
        elif typ == EV_GO_CREATE or typ == EV_GO_CREATE_BLOCKED:
            if cur_p == NONE:
                raise self._err(f"{ev.event_name(typ)} on thread {m} without a proc")
            st = gs.get(cur_g)
            if st is not None and st[0] != GO_RUNNING:
                raise self._err(f"{ev.event_name(typ)} from goroutine {cur_g} that is not running")
            if v[s + 2] in gs:
                raise self._err(f"goroutine {v[s + 2]} created twice")
            gs[v[s + 2]] = [GO_RUNNABLE if typ == EV_GO_CREATE else GO_WAITING, gen, 0]
        elif typ == EV_GO_STATUS or typ == EV_GO_STATUS_STACK:
            self._go_status(v, s, m, ms, gen)
        elif typ == EV_PROC_STATUS:
            self._proc_status(v, s, ms, gen)
        elif typ == EV_GO_SWITCH or typ == EV_GO_SWITCH_DESTROY:
            return self._go_switch(v, s, t, m, ms, gen)
        elif typ == EV_GC_BEGIN or typ == EV_GC_ACTIVE or typ == EV_GC_END:
            if not self._gc(v[s + 2], typ, gen):
                return False
        elif typ == EV_GO_CREATE_SYSCALL:
            if cur_g != NONE or v[s + 2] in gs:
                raise self._err(f"GoCreateSyscall of goroutine {v[s + 2]} on thread {m} with goroutine {cur_g}")
            gs[v[s + 2]] = [GO_SYSCALL, gen, 0]
            ms[0] = v[s + 2]
        elif typ == EV_GO_DESTROY_SYSCALL:
            st = gs.get(cur_g)
            if st is None or st[0] != GO_SYSCALL:
                raise self._err(f"GoDestroySyscall on thread {m} without a goroutine in a syscall")
            del gs[cur_g]
            ms[0] = NONE
            if cur_p != NONE:
                ps = self.ps.get(cur_p)
                if ps is None or ps[0] != PROC_SYSCALL:
                    raise self._err(f"GoDestroySyscall on thread {m}: proc {cur_p} not in a syscall")
                ps[0] = PROC_SYSCALL_ABANDONED
                ms[1] = NONE
                self._emit(t, EV_PROC_STEAL, cur_g, [EV_PROC_STEAL, 0, cur_p, 0, m])
        # Everything else (heap metrics, sweeps, assists, STW, annotations) has no ordering constraint.
        self._push_t(t)
        self._push_e((typ, cur_g, v, s))
        return True

    def _proc_steal(self, v: list[int], s: int, t: int, m: int, ms: list[int], gen: int) -> bool:
        pid, seq, mid = v[s + 2], v[s + 3], _signed(v[s + 4])
        ps = self.ps.get(pid)
        if ps is None or ps[0] not in (PROC_SYSCALL, PROC_SYSCALL_ABANDONED) or ps[1] != gen or ps[2] + 1 != seq:
            return False
        old = ps[0]
        ps[0] = PROC_IDLE
        ps[2] = seq
        if old == PROC_SYSCALL:
            if mid == m:
                if ms[1] != pid:
                    raise self._err(f"thread {m} steals proc {pid} from itself but holds proc {ms[1]}")
                ms[1] = NONE
            else:
                other = self.ms.get(mid)
                if other is None or other[1] != pid:
                    raise self._err(f"proc {pid} stolen from thread {mid} that does not hold it")
                other[1] = NONE
        self.out_t.append(t)
        self.out_e.append((EV_PROC_STEAL, ms[0], v, s))
        return True

    def _go_status(self, v: list[int], s: int, m: int, ms: list[int], gen: int) -> None:
        gid, mid, status = v[s + 2], _signed(v[s + 3]), v[s + 4]
        if status > GO_WAITING:
            raise self._err(f"invalid status {status} for goroutine {gid}")
        st = self.gs.get(gid)
        if st is not None:
            if st[0] != status:
                raise self._err(f"inconsistent status for goroutine {gid}: {st[0]} vs {status}")
            st[1], st[2] = gen, 0
        elif gen == self.initial_gen:
            self.gs[gid] = [status, gen, 0]
        else:
            raise self._err(f"status of unknown goroutine {gid} after the first generation")
        if status == GO_RUNNING:
            ms[0] = gid
        elif status == GO_SYSCALL:
            if mid == NONE:
                raise self._err(f"goroutine {gid} in a syscall without a thread")
            if mid == m:
                if gen != self.initial_gen and ms[0] != gid:
                    raise self._err(f"thread {m} runs goroutine {ms[0]}, not syscalling {gid}")
                ms[0] = gid
            else:
                other = self.ms.get(mid)
                if other is None:
                    self.ms[mid] = [gid, NONE]
                elif other[0] != gid:
                    raise self._err(f"thread {mid} runs goroutine {other[0]}, not syscalling {gid}")

    def _proc_status(self, v: list[int], s: int, ms: list[int], gen: int) -> None:
        pid, status = v[s + 2], v[s + 3]
        if status > PROC_SYSCALL_ABANDONED:
            raise self._err(f"invalid status {status} for proc {pid}")
        ps = self.ps.get(pid)
        if ps is not None:
            abandoned = status == PROC_SYSCALL_ABANDONED and ps[0] in (PROC_SYSCALL, PROC_SYSCALL_ABANDONED)
            if not abandoned and ps[0] != status:
                raise self._err(f"inconsistent status for proc {pid}: {ps[0]} vs {status}")
            ps[1], ps[2] = gen, 0
        else:
            self.ps[pid] = [status, gen, 0]
        if status in (PROC_RUNNING, PROC_SYSCALL):
            ms[1] = pid

    def _go_switch(self, v: list[int], s: int, t: int, m: int, ms: list[int], gen: int) -> bool:
        cur_g = ms[0]
        cur = self.gs.get(cur_g)
        if cur is None or cur[0] != GO_RUNNING:
            raise self._err(f"{ev.event_name(v[s])} on thread {m} without a running goroutine")
        nxt = self.gs.get(v[s + 2])
        if nxt is None or nxt[0] != GO_WAITING or nxt[1] != gen or nxt[2] + 1 != v[s + 3]:
            return False
        typ = v[s]
        self._emit(t, typ, cur_g, v, s)
        if typ == EV_GO_SWITCH:
            cur[0] = GO_WAITING
            self._emit(t, EV_GO_BLOCK, cur_g, [EV_GO_BLOCK, 0, 0, 0])
        else:
            del self.gs[cur_g]
            self._emit(t, EV_GO_DESTROY, cur_g, [EV_GO_DESTROY, 0])
        nxt[0] = GO_RUNNING
        nxt[2] = v[s + 3]
        ms[0] = v[s + 2]
        self._emit(t, EV_GO_START, NONE, [EV_GO_START, 0, v[s + 2], v[s + 3]])
        return True

    def _gc(self, seq: int, typ: int, gen: int) -> bool:
        if typ == EV_GC_ACTIVE:
            if gen == self.initial_gen:
                if self.gc_state != _GC_UNDETERMINED:
                    raise self._err("GCActive in the first generation after other GC events")
            elif seq != self.gc_seq + 1:
                return False
            elif self.gc_state != _GC_RUNNING:
                raise self._err("GCActive while no GC is running")
            self.gc_state = _GC_RUNNING
        elif typ == EV_GC_BEGIN:
            if self.gc_state != _GC_UNDETERMINED:
                if seq != self.gc_seq + 1:
                    return False
                if self.gc_state == _GC_RUNNING:
                    raise self._err("GCBegin while a GC is running")
            self.gc_state = _GC_RUNNING
        else:
            if seq != self.gc_seq + 1:
                return False
            if self.gc_state != _GC_RUNNING:
                raise self._err("GCEnd while no GC is running")
            self.gc_state = _GC_NOT_RUNNING
        self.gc_seq = seq
        return True

    def _emit(self, t: int, typ: int, ctx_g: int, v: list[int], s: int = 0) -> None:
        self.out_t.append(t)
        self.out_e.append((typ, ctx_g, v, s))
