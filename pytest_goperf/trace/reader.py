"""Entry points: open a trace file, stream its generations, analyse them.

Why here: this is the only module that touches files.  A trace whose tail is
unreadable (cut short, corrupt) still gives statistics for the complete
generations before the damage, with a warning naming the byte offset; only
when nothing usable precedes the damage is it an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
from collections.abc import Iterator
from typing import BinaryIO

from pytest_goperf.trace.analysis import Analyzer
from pytest_goperf.trace.errors import TraceError
from pytest_goperf.trace.generation import read_generations
from pytest_goperf.trace.model import TraceStats
from pytest_goperf.trace.events import SPECS
from pytest_goperf.trace.order import Orderer
from pytest_goperf.trace.wire import HEADER_SIZE, parse_header


def read_version(f: BinaryIO, path: str | None = None) -> int:
    """Read and check the 16-byte header; return the minor version (22, 23, 25 or 26)."""
    return parse_header(f.read(HEADER_SIZE), path)


def iter_events(f: BinaryIO, path: str | None = None) -> Iterator[tuple[int, int, int, tuple[int, ...]]]:
    """Ordered events of a whole trace as (time_ns, type, goroutine on the thread, args).

    Slow but simple (one tuple per event); the analysis consumes the chunked
    form of ``order.Orderer`` instead.  Raises TraceError on bad input.
    """
    version = read_version(f, path)
    for times, evs in Orderer(version).run(read_generations(f, version, path)):
        for t, (typ, ctx_g, v, s) in zip(times, evs):
            n = SPECS[typ][1] if isinstance(v, list) and typ in SPECS else 1
            yield t, typ, ctx_g, tuple(v[s + 2 : s + 1 + n]) if isinstance(v, list) else ()


def _with_path(exc: TraceError, path: str | None) -> TraceError:
    if exc.path is None and path is not None:
        return type(exc)(exc.reason, path=path, offset=exc.offset)
    return exc


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while events are ordered and analysed.

    The analysis makes millions of short-lived tuples and no reference
    cycles; the collector's passes over them cost 15-20 % of the CPU time.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def analyze_stream(f: BinaryIO, path: str | None = None, *, keep: int = 10) -> TraceStats:
    """Analyse an open binary trace; see ``analyze_file``."""
    with gc_paused():
        return _analyze_stream(f, path, keep)


def _analyze_stream(f: BinaryIO, path: str | None, keep: int) -> TraceStats:
    version = read_version(f, path)
    analyzer = Analyzer(keep)
    orderer = Orderer(version)
    warnings: list[str] = []
    complete = 0
    feeding = False
    offset = HEADER_SIZE
    try:
        try:
            for g in read_generations(f, version, path):
                feeding, offset = True, g.offset
                analyzer.feed(orderer.generation(g))
                feeding = False
                complete += 1
        except (IndexError, KeyError, ValueError, OverflowError, TypeError) as bug:
            # Safety net for corrupt input that slipped past the checks: still one
            # clear line with a position, and the generations before it.
            raise TraceError(f"cannot decode generation ({type(bug).__name__}: {bug})", offset=offset) from bug
    except TraceError as exc:
        exc = _with_path(exc, path)
        if complete == 0:
            raise exc from None
        part = " and part of the next" if feeding else ""
        warnings.append(f"{exc}; statistics cover the first {complete} complete generation(s){part}")
    if complete == 0:
        warnings.append("the trace holds no events")
    return analyzer.result(f"go 1.{version}", warnings=warnings, path=path)


PARALLEL_MIN_BYTES = 24 << 20  # smaller traces take longer to hand to workers than to read


def trace_workers(size: int, workers: int | None = None) -> int:
    """How many worker processes analyse a trace of ``size`` bytes (1: in this process).

    ``workers`` (or the ``GOPERF_TRACE_WORKERS`` environment variable) forces
    a number; by default traces from 24 MB on use every core this process
    may run on.
    """
    if workers is None:
        env = os.environ.get("GOPERF_TRACE_WORKERS", "").strip()
        if env.isdigit():
            workers = int(env)
    if workers is not None:
        return max(1, workers)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if size >= PARALLEL_MIN_BYTES else 1


def analyze_file(path: str | os.PathLike[str], *, keep: int = 10, workers: int | None = None) -> TraceStats:
    """Statistics of one execution trace file (Go 1.22+ formats): ``analyze_file("trace.out")``.

    (Exported as ``pytest_goperf.analyze_trace``: ``assert_stw_below(analyze_trace("trace.out"), max="1ms")``.)

    Generations are analysed in parallel worker processes for large traces
    (``trace_workers``); the result is exactly the sequential one.  Results
    are cached by (path, size, mtime): the scheduler and GC gates of one
    service, and the report's charts, share a single pass over a trace.  A
    cached pass that kept more intervals answers a smaller ``keep`` exactly
    (``TraceStats.trimmed``).
    """
    p = os.fspath(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise TraceError(f"cannot read: {exc.strerror or exc}", path=p) from None
    nworkers = trace_workers(st.st_size, workers)
    key = (p, st.st_size, st.st_mtime_ns, nworkers)
    cached = _CACHE.pop(key, None)
    if cached is None or cached.keep < keep:
        cached = _Cached(keep, _analyze(p, keep, nworkers))
    _CACHE[key] = cached  # most recently used last
    while len(_CACHE) > _CACHED_FILES:
        del _CACHE[next(iter(_CACHE))]
    return cached.stats if cached.keep == keep else cached.stats.trimmed(keep)


@dataclasses.dataclass(frozen=True)
class _Cached:
    keep: int
    stats: TraceStats


_CACHED_FILES = 4
_CACHE: dict[tuple[str, int, int, int], _Cached] = {}


def _analyze(path: str, keep: int, workers: int) -> TraceStats:
    try:
        if workers > 1:
            from pytest_goperf.trace.parallel import NotScannable, analyze_parallel

            try:
                return analyze_parallel(path, keep=keep, workers=workers, min_generations=2)
            except (NotScannable, TraceError):
                pass  # the sequential reader gives the exact error, or the warning and partial result
        with open(path, "rb") as f:
            return analyze_stream(f, path, keep=keep)
    except OSError as exc:
        raise TraceError(f"cannot read: {exc.strerror or exc}", path=path) from None
