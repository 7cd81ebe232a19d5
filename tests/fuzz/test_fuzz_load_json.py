"""Fuzzed load-generator results: any JSON gives a LoadResult or a LoadError naming the file, never another error.

The result file comes from our Go generator or from a user's ``load.command``,
so it is input like any other: mutated copies of a real goperf-load/1 result
reach every field's conversion.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pytest_goperf.errors import LoadError
from pytest_goperf.load.model import LoadResult, read_result
from tests.fuzz.budget import fuzz, memory_cap

REAL: dict[str, Any] = {
    "model": "open", "target": "http://127.0.0.1:1/", "rate_requested": 100, "connections": 4, "warmup_s": 1,
    "duration_s": 10, "requests": 1000, "ok": 990, "achieved_rate": 100.0, "send_rate": 99.5,
    "errors": {"total": 10, "connect": 0, "timeout": 2, "io": 0, "status": {"500": 8}},
    "error_examples": {"timeout": "GET /: deadline exceeded"},
    "dropped": 0, "warmup": {"requests": 50, "errors": 0, "dropped": 0},
    "latency_ns": {"p50": 2e6, "p90": 5e6, "p99": 30e6, "p999": 80e6, "max": 120e6, "min": 5e5, "mean": 3e6},
    "send_lag_ns": {"count": 5, "p50": 1e3, "p90": 2e3, "p99": 3e3, "max": 4e3},
    "histogram": {"buckets": [[500_000, 503_906, 400], [2_000_000, 2_015_625, 590]]},
    "status": {"200": 990, "500": 8}, "expect_status": ["2xx"], "retries": 0, "connections_opened": 4,
    "by_request": [{"method": "GET", "url": "http://127.0.0.1:1/", "requests": 1000, "ok": 990,
                    "errors": {"total": 10, "status": {"500": 8}}, "status": {"200": 990}}],
    "engine": "goperf", "protocols": {"HTTP/1.1": 1000},
}

JSONV = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
              st.sampled_from([float("inf"), -float("inf"), "1e999", "12", "x", ""]), st.text(max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(REAL)[1:]


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    data: Any = copy.deepcopy(REAL)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent = data
        try:
            for k in path[:-1]:
                parent = parent[k]
            if draw(st.booleans()):
                parent[path[-1]] = draw(JSONV)
            else:
                del parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
    return data


def _use(result: LoadResult) -> None:
    assert isinstance(result.error_rate, float)
    assert isinstance(result.judged_rate, float)
    assert isinstance(result.status_classes, dict)
    result.failing_requests()
    result.errors.describe()
    result.errors.example_lines()


@fuzz(200)
@given(mutated())
def test_mutated_result(data: Any) -> None:
    try:
        result = LoadResult.from_json(data, Path("load.json"))
    except LoadError as exc:
        assert "load.json" in str(exc)
        return
    _use(result)


@fuzz(80)
@given(st.one_of(JSONV.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200),
                 mutated().map(lambda v: json.dumps(v)[: len(json.dumps(v)) // 2].encode())))
def test_arbitrary_file(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "load.json"
        p.write_bytes(raw)
        try:
            _use(read_result(p))
        except LoadError as exc:
            assert str(p) in str(exc)


def test_hostile_histogram_is_bounded_by_the_file() -> None:
    """A histogram is as long as the file that lists it: no field can ask for more."""
    data = copy.deepcopy(REAL)
    data["histogram"] = {"buckets": [[1, 2, 10**30]] * 1000}
    with memory_cap(8 << 20):
        r = LoadResult.from_json(data, Path("load.json"))
    assert len(r.histogram) == 1000
