"""pytest-goperf: Go performance as a pytest CI gate.

The ``assert_*`` helpers are the YAML gates for Python tests; they fail with
the same messages.  They are imported on first use so that merely having the
plugin installed does not load numpy and scipy into every pytest run.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_HELPERS = {
    "assert_no_regression": "pytest_goperf.gates.bench",
    "assert_improvement": "pytest_goperf.gates.bench",
    "assert_top_function_below": "pytest_goperf.gates.cpu",
    "assert_latency": "pytest_goperf.gates.latency",
    "assert_sched_latency_below": "pytest_goperf.gates.trace",
    "assert_stw_below": "pytest_goperf.gates.trace",
    "assert_heap_plateau": "pytest_goperf.gates.health",
    "assert_goroutines_stable": "pytest_goperf.gates.health",
    "assert_blocks_below": "pytest_goperf.gates.blocks",
    "BenchResult": "pytest_goperf.python_api",
    "Capture": "pytest_goperf.python_capture",
    "compare_files": "pytest_goperf.bench.compare",
    "read_profile": "pytest_goperf.pprof",
    "analyze_trace": "pytest_goperf.trace",
}

__all__ = ["__version__", *_HELPERS]


def __getattr__(name: str) -> Any:
    module = _HELPERS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_goperf' has no attribute {name!r}")
    attr = "analyze_file" if name == "analyze_trace" else name
    return getattr(importlib.import_module(module), attr)
