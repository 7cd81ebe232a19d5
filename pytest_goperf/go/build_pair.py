"""Build two sides at once when they share no compiled package: pgo-off and pgo.

Why: with Go's build cache warm, a side costs mostly its links (about 0.6 s
per binary for the example service), each on one core; built side by side,
two sides take about the time of one.  Sides that compile the same packages
(no profile on either, or both with one) stay one after the other: two go
commands do not share work in progress, so with a cold cache each would
compile everything.  With -pgo=off and with a profile the compiler's cache
keys differ for every package, so nothing is compiled twice.

An interrupt (Ctrl-C, or SIGTERM routed to it) or the first failure kills
every go process still running (``RunningGo``) before this returns.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from pytest_goperf.errors import BuildError
from pytest_goperf.go.build import BuiltSide, RunningGo, Side, build_side
from pytest_goperf.go.link_cache import LinkCache
from pytest_goperf.go.toolchain import GoToolchain

_JOIN_AFTER_STOP = 10.0  # seconds to let killed builds unwind before the interrupt goes on


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def side_by_side(first: Side, second: Side) -> bool:
    """Whether the two sides can build at once without compiling anything twice, on a second core."""
    if _cores() < 2:
        return False
    try:
        return (first.profile() is None) != (second.profile() is None)
    except BuildError:
        return False  # built one by one, the side without its profile fails where it always did


def build_pair(go: GoToolchain, sides: Sequence[tuple[Side, Path]], *, service_name: str,
               build_flags: Sequence[str], bench_packages: Sequence[str] | None, build_service: bool,
               progress: Callable[[str], None], link_cache: LinkCache | None = None,
               layouts: int = 1) -> list[BuiltSide]:
    """``build_side`` for each (side, out_dir) at once; the results in the given order.

    The first side to fail stops the others and its error is raised, as a
    build one after the other would have raised it.
    """
    running = RunningGo()
    results: list[BuiltSide | BaseException | None] = [None] * len(sides)
    finished: queue.Queue[int] = queue.Queue()

    def work(index: int, side: Side, out_dir: Path) -> None:
        try:
            results[index] = build_side(go, side, out_dir, service_name=service_name, build_flags=build_flags,
                                        bench_packages=bench_packages, build_service=build_service,
                                        progress=progress, running=running, link_cache=link_cache,
                                        layouts=layouts)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
            results[index] = exc
        finally:
            finished.put(index)

    threads = [threading.Thread(target=work, args=(i, side, out), name=f"goperf-build-{side.label}", daemon=True)
               for i, (side, out) in enumerate(sides)]
    try:
        for t in threads:
            t.start()
        for _ in threads:
            outcome = results[finished.get()]
            if isinstance(outcome, BaseException):
                raise outcome
    except BaseException:  # the first failure, or an interrupt while waiting
        running.stop()
        _join(threads)
        raise
    built = [r for r in results if isinstance(r, BuiltSide)]
    assert len(built) == len(sides)
    return built


def _join(threads: Sequence[threading.Thread]) -> None:
    for t in threads:
        t.join(_JOIN_AFTER_STOP)
