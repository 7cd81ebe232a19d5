"""One fuzz budget for every parser property: small in CI, long under benchmarks/fuzz.py.

Why: the fuzzers must run in CI within a minute on two cores, yet the same
properties should be able to run for an hour to hunt for crashes.  The
``GOPERF_FUZZ_EXAMPLES`` variable scales every property at once.  Each
example has a deadline so that a parser that hangs fails instead of stalling
CI; the deadline is generous because the machine is shared and noisy.
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings

F = TypeVar("F", bound=Callable[..., Any])

SCALE = int(os.environ.get("GOPERF_FUZZ_EXAMPLES", "0"))
DEADLINE = timedelta(seconds=float(os.environ.get("GOPERF_FUZZ_DEADLINE", "5")))
MEMORY_CAP = 64 << 20  # no parser may allocate more than this on a kilobyte-sized hostile input


def fuzz(examples: int) -> Callable[[F], F]:
    """Hypothesis settings: ``examples`` in CI, ``GOPERF_FUZZ_EXAMPLES`` when set; per-example deadline."""
    return settings(  # type: ignore[return-value]
        max_examples=SCALE or examples,
        deadline=DEADLINE,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                               HealthCheck.data_too_large, HealthCheck.filter_too_much],
        database=None,
        print_blob=True,
    )


@contextmanager
def memory_cap(limit: int = MEMORY_CAP) -> Iterator[None]:
    """Fail when the block allocates more than ``limit`` bytes of Python/numpy memory at its peak."""
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= limit, f"peak allocation {peak / 2**20:.1f} MiB > {limit / 2**20:.0f} MiB"
