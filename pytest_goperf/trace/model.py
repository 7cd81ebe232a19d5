"""Result types of a trace analysis and their JSON (docs/design.md#cli-and-json-contracts).

Why separate: gates, the CLI and reports all read these plain frozen values;
nothing here reads files or knows the wire format.  Percentiles are
nearest-rank over the exact list of intervals (no sketching), so counts and
percentiles can be compared with any other tool's raw intervals.
"""

from __future__ import annotations

import heapq
from array import array
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

Frame = tuple[str, str, int]  # function, file, line
Stack = tuple[Frame, ...]
PERCENTILES = (50, 90, 99)


def nearest_rank(values: Any, counts: Any, p: int) -> int:
    """The p-th percentile by nearest rank, the ceil(p/100*n)-th smallest value,
    from distinct sorted ``values`` and how often each occurred."""
    cum = np.cumsum(counts)
    rank = max(1, -(-p * int(cum[-1]) // 100))
    return int(values[int(np.searchsorted(cum, rank))])


@dataclass(frozen=True)
class Interval:
    """One measured interval, kept when it is among the longest of its kind."""

    duration_ns: int
    start_ns: int  # since the start of the trace
    goroutine: int
    what: str  # block reason, STW kind, or how the goroutine became runnable
    stack: Stack

    def to_json(self) -> dict[str, Any]:
        return {
            "duration_ns": self.duration_ns,
            "start_ns": self.start_ns,
            "goroutine": self.goroutine,
            "what": self.what,
            "stack": [f"{fn} {fl}:{line}" for fn, fl, line in self.stack],
        }


# A stop-the-world interval's ``what`` when most of the pause waited for one goroutine to stop
# (time to safe point): "GC sweep termination; waited 4.1ms for goroutine 20 to stop in main.f x.go:9".
_WAITED, _STOP_IN = "; waited ", " to stop in "


def waited_what(kind: str, waited: str, goroutine: int, where: str) -> str:
    """The ``what`` of a pause that waited ``waited`` for ``goroutine`` (``where``: "fn file:line" or "")."""
    return f"{kind}{_WAITED}{waited} for goroutine {goroutine} to stop" + (f" in {where}" if where else "")


def waited_place(what: str) -> str | None:
    """Where a pause's ``what`` says it waited for a goroutine to stop ("fn file:line"), or None."""
    _, sep, rest = what.partition(_WAITED)
    return rest.split(_STOP_IN, 1)[1] if sep and _STOP_IN in rest else None


@dataclass(frozen=True)
class StackTotal:
    """Time attributed to one stack: how often, how long in total and at most."""

    stack: Stack
    count: int
    total_ns: int
    max_ns: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "total_ns": self.total_ns,
            "max_ns": self.max_ns,
            "stack": [f"{fn} {fl}:{line}" for fn, fl, line in self.stack],
        }


def is_sync_reason(reason: str) -> bool:
    """Whether ``go tool trace -pprof=sync`` counts a block reason as synchronization blocking.

    Go's rule (cmd/trace/pprof.go, computePprofBlock): the reason contains
    "chan", "sync" or "select".  That is "sync" (sync.Mutex, RWMutex and
    WaitGroup: every semaphore wait), "sync.(*Cond).Wait", "chan send",
    "chan receive", "select", and also "synctest".
    """
    return "chan" in reason or "sync" in reason or "select" in reason


@dataclass(frozen=True)
class Summary:
    """Count, nearest-rank percentiles, max and total of a set of durations (ns).

    With no intervals the percentiles and max are None, never a made-up 0.
    """

    count: int = 0
    p50: int | None = None
    p90: int | None = None
    p99: int | None = None
    max: int | None = None
    total: int = 0
    worst: tuple[Interval, ...] = ()
    top_stacks: tuple[StackTotal, ...] = ()
    # The exact distribution (distinct durations, sorted, and their counts): not part of the JSON.
    values: Any = field(default=None, compare=False, repr=False)
    counts: Any = field(default=None, compare=False, repr=False)

    def count_over(self, ns: float) -> int:
        """How many intervals are longer than ``ns``."""
        if self.values is None or self.count == 0:
            return sum(1 for iv in self.worst if iv.duration_ns > ns)
        i = int(np.searchsorted(self.values, ns, side="right"))
        return int(self.counts[i:].sum())

    def to_json(self) -> dict[str, int | None]:
        """Exactly the keys of docs/design.md#cli-and-json-contracts."""
        return {"count": self.count, "p50": self.p50, "p90": self.p90, "p99": self.p99, "max": self.max, "total": self.total}

    def percentile(self, name: str) -> int | None:
        value = getattr(self, name)
        return value if value is None else int(value)


class Accumulator:
    """Durations of one kind: exact distribution, per-stack totals, the N longest intervals.

    Why compaction: intervals are appended to flat arrays during a generation
    (cheap), then ``compact`` folds them into distinct sorted durations with
    counts and per-stack count/total arrays.  Memory therefore grows with the
    number of distinct durations and stacks, not with the length of the trace,
    and nearest-rank percentiles stay exact.
    """

    def __init__(self, keep: int = 10) -> None:
        self.durations = array("q")  # pending, this generation
        self.stack_ids = array("q")
        self.keep = keep
        # The longest intervals as (dur, -start, -g, what, stack): a total order, so the kept
        # set does not depend on the order intervals arrive in (generations analysed in parallel).
        self._worst: list[tuple[int, int, int, str, int]] = []
        self._floor = -1  # a new interval must be at least this long to enter _worst
        self.values = np.zeros(0, dtype=np.int64)  # distinct durations, sorted
        self.counts = np.zeros(0, dtype=np.int64)
        self.stack_count = np.zeros(0, dtype=np.int64)  # indexed by interned stack number
        self.stack_total = np.zeros(0, dtype=np.int64)
        self.stack_max = np.zeros(0, dtype=np.int64)
        self.n = 0
        self.total = 0

    def add(self, dur: int, start: int, g: int, what: str, stack: int) -> None:
        self.durations.append(dur)
        self.stack_ids.append(stack)
        if dur >= self._floor:
            self._push((dur, -start, -g, what, stack))

    def _push(self, item: tuple[int, int, int, str, int]) -> None:
        w = self._worst
        if len(w) < self.keep:
            heapq.heappush(w, item)
        elif item > w[0]:
            heapq.heapreplace(w, item)
        else:
            return
        if len(w) >= self.keep:
            self._floor = w[0][0]

    def compact(self) -> None:
        """Fold the pending intervals into the distribution and per-stack arrays."""
        if not self.durations:
            return
        d = np.frombuffer(self.durations, dtype=np.int64)
        ids = np.frombuffer(self.stack_ids, dtype=np.int64)
        vals, cnts = np.unique(d, return_counts=True)
        smax = np.zeros(int(ids.max()) + 1, dtype=np.int64)
        np.maximum.at(smax, ids, d)
        self._fold(vals, cnts, np.bincount(ids), _int_bincount(ids, d), smax)
        self.n += int(d.size)
        self.total += int(d.sum())
        del d, ids  # release the buffer views before emptying the arrays in place
        del self.durations[:]  # in place: Analyzer.feed holds their append methods
        del self.stack_ids[:]

    def _fold(self, vals: Any, cnts: Any, stack_count: Any, stack_total: Any, stack_max: Any) -> None:
        if self.values.size:
            u, inv = np.unique(np.concatenate((self.values, vals)), return_inverse=True)
            c = np.zeros(u.size, dtype=np.int64)
            np.add.at(c, inv, np.concatenate((self.counts, cnts)))
            vals, cnts = u, c
        self.values, self.counts = vals, cnts
        size = max(self.stack_count.size, stack_count.size)
        sc = np.zeros(size, dtype=np.int64)
        st = np.zeros(size, dtype=np.int64)
        sm = np.zeros(size, dtype=np.int64)
        for arr_c, arr_t, arr_m in ((self.stack_count, self.stack_total, self.stack_max),
                                    (stack_count, stack_total, stack_max)):
            sc[: arr_c.size] += arr_c
            st[: arr_t.size] += arr_t
            np.maximum(sm[: arr_m.size], arr_m, out=sm[: arr_m.size])
        self.stack_count, self.stack_total, self.stack_max = sc, st, sm

    def merge(self, other: Accumulator, remap: Any = None) -> None:
        """Fold another accumulator in ('all STW', 'GC STW', a generation analysed elsewhere).

        ``remap`` (an int array) translates the other's stack numbers into
        ours when they were interned by another ``Analyzer``.
        """
        self.compact()
        other.compact()
        if other.n:
            sc, st, sm = other.stack_count, other.stack_total, other.stack_max
            if remap is not None and sc.size:
                ids = np.asarray(remap[: sc.size], dtype=np.intp)
                size = int(ids.max()) + 1
                sc2, st2, sm2 = (np.zeros(size, dtype=np.int64) for _ in range(3))
                np.add.at(sc2, ids, sc)
                np.add.at(st2, ids, st)
                np.maximum.at(sm2, ids, sm)
                sc, st, sm = sc2, st2, sm2
            self._fold(other.values, other.counts, sc, st, sm)
            self.n += other.n
            self.total += other.total
        for dur, nstart, ng, what, stack in other._worst:
            if dur >= self._floor:
                self._push((dur, nstart, ng, what, int(remap[stack]) if remap is not None else stack))

    def stack_totals(self, stacks: list[Stack]) -> tuple[StackTotal, ...]:
        """Every stack with its count, total and longest interval: most total time first, then
        most often, then by frames (never by interning order, which differs between readers)."""
        self.compact()
        rows = [
            StackTotal(stacks[k], int(self.stack_count[k]), int(self.stack_total[k]), int(self.stack_max[k]))
            for k in np.flatnonzero(self.stack_count).tolist()
        ]
        rows.sort(key=lambda r: (-r.total_ns, -r.count, r.stack))
        return tuple(rows)

    def summary(self, stacks: list[Stack], origin: int, top: int = 5) -> Summary:
        self.compact()
        if self.n == 0:
            return Summary()
        worst = tuple(
            Interval(dur, -nstart - origin, -ng, what, stacks[sk])
            for dur, nstart, ng, what, sk in sorted(self._worst, reverse=True)
        )
        tops = tuple(s for s in self.stack_totals(stacks) if s.stack)[:top]
        v, c = self.values, self.counts
        return Summary(
            count=self.n,
            p50=nearest_rank(v, c, 50),
            p90=nearest_rank(v, c, 90),
            p99=nearest_rank(v, c, 99),
            max=int(v[-1]),
            total=self.total,
            worst=worst,
            top_stacks=tops,
            values=v,
            counts=c,
        )


def _int_bincount(ids: Any, weights: Any) -> Any:
    """Exact integer sums of ``weights`` per id (np.bincount would go through float64)."""
    out = np.zeros(int(ids.max()) + 1, dtype=np.int64)
    np.add.at(out, ids, weights)
    return out


@dataclass(frozen=True)
class TraceStats:
    """Everything ``goperf trace`` reports about one trace file."""

    format: str
    duration_ns: int
    sched_latency: Summary
    stw: Summary
    gc_stw: Summary
    stw_by_kind: dict[str, Summary]
    blocks: dict[str, Summary]
    gc_count: int
    gc_mark: Summary
    generations: int
    warnings: tuple[str, ...] = ()
    path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Every blocking stack per reason (most total time first), and all
    # synchronization reasons (``is_sync_reason``) together.
    block_stacks: dict[str, tuple[StackTotal, ...]] = field(default_factory=dict)
    sync_blocks: Summary = field(default_factory=Summary)
    sync_block_stacks: tuple[StackTotal, ...] = ()

    def trimmed(self, keep: int) -> TraceStats:
        """These statistics with at most ``keep`` worst intervals per kind.

        Exactly what an analysis with ``keep`` gives: each kind keeps its
        longest intervals in one total order (duration, then start, goroutine,
        what, stack), so a shorter list is a prefix of a longer one.  Why:
        the gates and the report's charts keep different numbers, and one
        pass over a trace serves both.
        """
        def cut(s: Summary) -> Summary:
            return s if len(s.worst) <= keep else replace(s, worst=s.worst[:keep])

        return replace(self, sched_latency=cut(self.sched_latency), stw=cut(self.stw), gc_stw=cut(self.gc_stw),
                       stw_by_kind={k: cut(v) for k, v in self.stw_by_kind.items()},
                       blocks={k: cut(v) for k, v in self.blocks.items()}, gc_mark=cut(self.gc_mark),
                       sync_blocks=cut(self.sync_blocks))

    def to_json(self) -> dict[str, Any]:
        """docs/design.md#cli-and-json-contracts shape, plus extra keys (GC, STW kinds, worst intervals, stacks, warnings)."""
        out: dict[str, Any] = {
            "format": self.format,
            "duration_ns": self.duration_ns,
            "sched_latency_ns": self.sched_latency.to_json(),
            "stw_ns": self.stw.to_json(),
            "gc_stw_ns": self.gc_stw.to_json(),
            "blocks_ns": {k: self._block_json(k, v) for k, v in sorted(self.blocks.items())},
            "sync_blocks_ns": {**self.sync_blocks.to_json(),
                               "stacks": [s.to_json() for s in self.sync_block_stacks[:10]]},
            "stw_by_kind_ns": {k: v.to_json() for k, v in sorted(self.stw_by_kind.items())},
            "gc": {"count": self.gc_count, "mark_ns": self.gc_mark.to_json()},
            "generations": self.generations,
            "worst": {
                "sched_latency": [i.to_json() for i in self.sched_latency.worst],
                "stw": [i.to_json() for i in self.stw.worst],
                "blocks": {k: [i.to_json() for i in v.worst] for k, v in sorted(self.blocks.items())},
            },
            "top_stacks": {
                "sched_latency": [s.to_json() for s in self.sched_latency.top_stacks],
                "blocks": {k: [s.to_json() for s in v.top_stacks] for k, v in sorted(self.blocks.items())},
            },
            "warnings": list(self.warnings),
        }
        return out

    def _block_json(self, reason: str, summary: Summary) -> dict[str, Any]:
        """The summary keys of docs/design.md#cli-and-json-contracts.

        Plus whether Go counts the reason as sync, and its top 10 stacks.
        """
        stacks = self.block_stacks.get(reason, summary.top_stacks)
        return {**summary.to_json(), "sync": is_sync_reason(reason), "stacks": [s.to_json() for s in stacks[:10]]}


def _ns(v: int | None) -> str:
    if v is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if v >= scale:
            return f"{v / scale:.4g}{unit}"
    return f"{v}ns"


def format_table(stats: TraceStats) -> str:
    """The human table of ``goperf trace``: one row per measured kind of interval."""
    rows: list[tuple[str, Summary]] = [("scheduler latency", stats.sched_latency), ("STW (all)", stats.stw)]
    rows += [(f"  STW {k}", v) for k, v in sorted(stats.stw_by_kind.items())]
    rows += [("GC STW", stats.gc_stw), ("GC mark phase", stats.gc_mark)]
    rows += [(f"block: {k}", v) for k, v in sorted(stats.blocks.items(), key=lambda kv: -kv[1].total)]
    width = max(len(name) for name, _ in rows)
    head = f"{'':{width}}  {'count':>8} {'p50':>9} {'p90':>9} {'p99':>9} {'max':>9} {'total':>9}"
    lines = [
        f"{stats.path or 'trace'}: {stats.format} trace, {_ns(stats.duration_ns)}, "
        f"{stats.generations} generation(s), {stats.gc_count} GC(s)",
        head,
    ]
    for name, s in rows:
        lines.append(
            f"{name:{width}}  {s.count:>8} {_ns(s.p50):>9} {_ns(s.p90):>9} {_ns(s.p99):>9} {_ns(s.max):>9} {_ns(s.total):>9}"
        )
    if stats.sched_latency.worst:
        iv = stats.sched_latency.worst[0]
        where = f" via {iv.stack[0][0]}" if iv.stack else ""
        lines.append(f"longest runnable wait: {_ns(iv.duration_ns)}, goroutine {iv.goroutine} ({iv.what}{where})")
    lines += [f"warning: {w}" for w in stats.warnings]
    return "\n".join(lines)
