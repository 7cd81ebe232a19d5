"""The blocks gate: goroutines may not wait long on contended locks (execution trace).

``thresholds.blocks: {max: 1ms, p99: ..., reasons: [mutex, rwmutex, cond]}``.
It reads the trace's Running -> Waiting intervals whose reason is a
synchronization one (what ``go tool trace -pprof=sync`` counts) and sorts
each into a reason users name.  The trace writes one reason, ``sync``, for
every runtime-semaphore wait; the blocking stack tells them apart:

=================  ==========================================================
reason             what blocked
=================  ==========================================================
``mutex``          ``sync.Mutex.Lock`` (trace reason ``sync``, a ``sync.(*Mutex)`` frame)
``rwmutex``        ``sync.RWMutex.Lock`` / ``RLock`` (a ``sync.(*RWMutex)`` frame)
``cond``           ``sync.Cond.Wait`` (trace reason ``sync.(*Cond).Wait``)
``waitgroup``      ``sync.WaitGroup.Wait`` (a ``sync.(*WaitGroup)`` frame)
``sync``           any other runtime semaphore wait (trace reason ``sync``)
``chan send``      send on a full or unbuffered channel
``chan receive``   receive from an empty channel
``select``         a ``select`` with no ready case
=================  ==========================================================

By default only contention is judged (mutex, rwmutex, cond): idle workers
waiting on a channel are what a healthy service does.  A block whose whole
stack is in the standard library (net/http's connection reader waiting on its
own ``sync.Cond`` while a request finishes, for example) is the library's
internal hand-off, not contention the service's code can fix, and it
stretches with the machine's load; it is left out unless ``stdlib: true``.
A stack that reaches any frame outside the standard library (your code, a
dependency, ``main``) is judged, whoever owns the lock.  Network, syscall,
sleep and GC waits are never judged.  ``max`` fails on recurring events, not on one (see
``gates.extremes``); ``p99`` is the nearest-rank 99th percentile.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_goperf.gates.extremes import failing_count, judge_extreme, machine_rate
from pytest_goperf.gates.spec import Evidence, RuntimeGate, limit
from pytest_goperf.gates.verdict import Verdict, enforce
from pytest_goperf.quantities import format_duration, parse_duration
from pytest_goperf.trace.frames import in_stdlib

if TYPE_CHECKING:
    from pytest_goperf.trace.model import Interval, Stack, StackTotal, TraceStats

REASONS = ("mutex", "rwmutex", "cond", "waitgroup", "sync", "chan send", "chan receive", "select")
DEFAULT_REASONS = ("mutex", "rwmutex", "cond")
_NEVER = {"network": "network waits are I/O, not contention", "syscall": "syscalls are not blocks",
          "sleep": "time.Sleep is not contention"}
_FRAMES_SHOWN = 5
_STACKS_SHOWN = 3


@dataclass(frozen=True)
class BlocksThreshold:
    max: float | None = limit("duration", 1e-3, "the longest block (isolated outliers tolerated, see docs)")
    p99: float | None = limit("duration", None, "99th percentile of the judged blocks")
    reasons: tuple[str, ...] = limit("strings", DEFAULT_REASONS,
                                     "which blocks are judged: mutex, rwmutex, cond, waitgroup, sync, chan send, "
                                     "chan receive, select")
    stdlib: bool = limit("boolean", False, "also judge blocks whose whole stack is in the standard library "
                                           "(net/http's own sync.Cond hand-offs, for example)")

    def problems(self) -> list[tuple[str, str]]:
        out = []
        for r in self.reasons:
            if r in REASONS:
                continue
            why = f" ({_NEVER[r]})" if r in _NEVER else ""
            close = difflib.get_close_matches(r, REASONS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            out.append(("reasons", f"unknown block reason {r!r}{why}{hint} valid reasons: {', '.join(REASONS)}"))
        if not self.reasons:
            out.append(("reasons", f"must name at least one reason of: {', '.join(REASONS)}"))
        return out


def stdlib_internal(stack: Stack) -> bool:
    """A block the standard library has with itself: no frame of the program or a dependency in its stack."""
    return bool(stack) and all(in_stdlib(fn) for fn, _file, _line in stack)


def classify(trace_reason: str, stack: Stack) -> str | None:
    """The gate's reason for one block (see the module table), or None when the gate never judges it."""
    if trace_reason == "sync":
        names = [fn for fn, _file, _line in stack]
        for marker, reason in (("sync.(*RWMutex).", "rwmutex"), ("sync.(*Mutex).", "mutex"),
                               ("sync.(*WaitGroup).", "waitgroup"), ("sync.(*Cond).", "cond")):
            if any(marker in n for n in names):
                return reason
        return "sync"
    if "Cond" in trace_reason:
        return "cond"
    if trace_reason in ("chan send", "chan receive", "select"):
        return trace_reason
    return None


@dataclass(frozen=True)
class Judged:
    """The blocks of the selected reasons: exact count/total/max, and the longest intervals."""

    count: int
    stdlib_count: int   # blocks of these reasons left out as the standard library's own
    total_ns: int
    max_ns: int
    worst: tuple[Interval, ...]            # longest first
    complete_above_ns: int                 # every block longer than this is in ``worst``
    stacks: tuple[tuple[str, StackTotal], ...]

    def p99_ns(self) -> tuple[int | None, bool]:
        """Nearest-rank p99 and whether it is exact (the top 1 % lies inside ``worst``)."""
        if self.count == 0:
            return None, True
        rank_from_top = self.count - max(1, -(-99 * self.count // 100)) + 1
        if rank_from_top <= len(self.worst):
            value = self.worst[rank_from_top - 1].duration_ns
            return value, value >= self.complete_above_ns
        return self.complete_above_ns, False


def select_blocks(stats: TraceStats, reasons: Iterable[str], *, stdlib: bool = True) -> Judged:
    """Gather the selected reasons' blocks from ``stats`` (per-stack totals are exact).

    ``stdlib=False`` leaves out blocks whose whole stack is in the standard library.
    """
    wanted = set(reasons)
    count = total = mx = left_out = 0
    worst: list[Interval] = []
    floor = 0
    stacks: list[tuple[str, StackTotal]] = []
    for trace_reason, summary in stats.blocks.items():
        mine = [(classify(trace_reason, st.stack), st) for st in stats.block_stacks.get(trace_reason, ())]
        picked = [(r, st) for r, st in mine if r in wanted]
        if not stdlib:
            left_out += sum(st.count for _r, st in picked if stdlib_internal(st.stack))
            picked = [(r, st) for r, st in picked if not stdlib_internal(st.stack)]
        if not picked:
            continue
        stacks.extend((r, st) for r, st in picked if r is not None)
        count += sum(st.count for _r, st in picked)
        total += sum(st.total_ns for _r, st in picked)
        mx = max([mx, *(st.max_ns for _r, st in picked)])
        worst.extend(iv for iv in summary.worst if classify(trace_reason, iv.stack) in wanted
                     and (stdlib or not stdlib_internal(iv.stack)))
        if len(summary.worst) < summary.count:  # the reason kept only its longest intervals
            floor = max(floor, min(iv.duration_ns for iv in summary.worst))
    worst.sort(key=lambda iv: -iv.duration_ns)
    stacks.sort(key=lambda rs: (-rs[1].total_ns, -rs[1].count))
    return Judged(count, left_out, total, mx, tuple(worst), floor, tuple(stacks))


def _user_frames(stack: Stack) -> Sequence[tuple[str, str, int]]:
    """From the first frame outside the runtime and the sync package: the code that took the lock."""
    skip = ("runtime.", "sync.", "internal/")
    for i, (fn, _f, _l) in enumerate(stack):
        if not fn.startswith(skip):
            return stack[i: i + _FRAMES_SHOWN]
    return stack[:_FRAMES_SHOWN]


def _top_stacks(judged: Judged) -> str:
    lines = ["Top blocking stacks (where the goroutine blocked):"]
    for reason, st in judged.stacks[:_STACKS_SHOWN]:
        lines.append(f"  {reason}: {st.count} blocks, total {format_duration(st.total_ns / 1e9)}, "
                     f"max {format_duration(st.max_ns / 1e9)}")
        lines.extend(f"      {fn}  {fl}:{ln}" for fn, fl, ln in _user_frames(st.stack))
    return "\n".join(lines)


def judge_blocks(stats: TraceStats, *, max: float | None = 1e-3, p99: float | None = None,  # noqa: A002
                 reasons: Sequence[str] = DEFAULT_REASONS, trace_path: str | None = None,
                 stdlib: bool = False, stall_share: float = 0.0) -> Verdict:
    """Judge the selected blocks against ``max`` (recurring events, not one: gates.extremes) and ``p99`` (seconds)."""
    if stats.generations == 0:
        return Verdict.skip("the trace holds no events", {}, stats.warnings)
    judged = select_blocks(stats, reasons, stdlib=stdlib)
    p99_value, p99_exact = judged.p99_ns()
    figures: dict[str, float | int | str | None] = {
        "blocks_count": judged.count, "blocks_total_ns": judged.total_ns, "blocks_max_ns": judged.max_ns or None,
        "blocks_p99_ns": p99_value, "blocks_reasons": ", ".join(reasons), "blocks_max_limit_s": max,
        "blocks_p99_limit_s": p99, "blocks_stdlib_left_out": judged.stdlib_count,
    }
    warnings = list(stats.warnings)
    what = f"blocks ({', '.join(reasons)})"
    checked: list[str] = []
    broken: list[str] = []
    details: list[str] = []
    if max is not None:
        ok, text, listing = judge_extreme(judged.worst, judged.max_ns if judged.count else None, max,
                                          judged.complete_above_ns, what="block",
                                          events=judged.count, stall_share=stall_share)
        figures["blocks_over_max"] = sum(1 for iv in judged.worst if iv.duration_ns > max * 1e9)
        figures["blocks_over_max_failing"] = failing_count(judged.count, machine_rate(stall_share))
        (checked if ok else broken).append(text)
        if listing:
            details.append(listing)
    if p99 is not None:
        text = f"p99 {format_duration(p99_value / 1e9) if p99_value is not None else 'n/a'} (limit {format_duration(p99)})"
        if not p99_exact:
            warnings.append("more blocks than the trace analysis keeps: the p99 shown is an upper bound")
        (broken if p99_value is not None and p99_value > p99 * 1e9 else checked).append(text)
    summary = (f"{judged.count} blocks, total {format_duration(judged.total_ns / 1e9)}, "
               f"max {format_duration(judged.max_ns / 1e9) if judged.count else 'n/a'}")
    if judged.stdlib_count:
        summary += f"; {judged.stdlib_count} inside the standard library left out"
    if not broken:
        return Verdict.ok(f"{what}: {'; '.join(checked) or 'no limits set'} ({summary})", figures, tuple(warnings))
    path = trace_path or stats.path or "<trace>"
    lines = [f"{what} too long: {'; '.join(broken)} ({summary}).", *details, _top_stacks(judged),
             f"Open the trace: go tool trace {path} (Synchronization blocking profile: go tool trace -pprof=sync {path})"]
    return Verdict.fail("\n".join(lines), figures, tuple(warnings))


def _judge_window(evidence: Evidence, threshold: BlocksThreshold) -> Verdict:
    stats, path = evidence.trace_stats()
    return judge_blocks(stats, max=threshold.max, p99=threshold.p99, reasons=threshold.reasons, trace_path=str(path),
                        stdlib=threshold.stdlib, stall_share=evidence.stall_share())


def assert_blocks_below(stats: TraceStats, *, max: str | float | None = "1ms",  # noqa: A002
                        p99: str | float | None = None, reasons: Sequence[str] = DEFAULT_REASONS,
                        trace_path: str | None = None) -> Verdict:
    """Python helper: the same check and message as ``thresholds.blocks``.

    ``assert_blocks_below(capture.trace, max="1ms")``: no goroutine waits longer
    than that on a contended mutex, rwmutex or cond (``reasons``) in the trace.
    Durations in Go syntax or seconds.
    """
    def seconds(value: str | float | None) -> float | None:
        return parse_duration(value) if isinstance(value, str) else value

    return enforce(judge_blocks(stats, max=seconds(max), p99=seconds(p99), reasons=reasons, trace_path=trace_path))


GATE = RuntimeGate(key="blocks", threshold=BlocksThreshold, needs=frozenset({"trace"}), judge=_judge_window,
                   summary="goroutines do not wait long on contended locks (sync blocks in the execution trace)")
