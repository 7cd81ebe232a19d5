"""Fuzzed goperf.yaml: whatever the text, load_config returns a config or raises ConfigError naming the file.

Two generators: the example's config with random subtrees replaced, added or
deleted (valid YAML that reaches every section's validation), and the
example's text with random characters edited (YAML syntax errors, odd tags).
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from pytest_goperf.config import load_config
from pytest_goperf.errors import ConfigError
from tests.fuzz.budget import fuzz, memory_cap
from tests.helpers import EXAMPLE, example_config

SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                   st.text(max_size=12),
                   st.sampled_from(["5%", "-5%", "1e9%", "30s", "0s", "-1s", "1h1h", "10us", "5%/min", "1MiB", "1e400",
                                    "max", "auto", "same", "pgo-off", "git:HEAD", "git:nope", "file:missing.txt",
                                    "{addr}", ".", "..", "/", "sec/op", "runtime.*", "[", "0x10", "100ms/s", "NaN"]))
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                     max_leaves=8)
BASE = example_config()


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(BASE)[1:]


def _set(cfg: Any, path: tuple[Any, ...], value: Any, action: str) -> None:
    parent = cfg
    for k in path[:-1]:
        parent = parent[k]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "add" and isinstance(parent, dict):
        parent[f"{key}x"] = value
    else:
        parent[key] = value


@st.composite
def mutated(draw: st.DrawFn) -> str:
    cfg = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        try:
            _set(cfg, path, draw(VALUE), draw(st.sampled_from(["replace", "delete", "add"])))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the path
    return yaml.safe_dump(cfg, allow_unicode=True)


def _load(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "goperf.yaml"
        p.write_text(text, encoding="utf-8")
        try:
            load_config(p)
        except ConfigError as exc:
            msg = str(exc)
            assert str(p.resolve()) in msg, msg
            assert "Traceback" not in msg


@fuzz(150)
@given(mutated())
def test_mutated_example_config(text: str) -> None:
    _load(text)


TEXT = (EXAMPLE / "goperf.yaml").read_text().replace("module: .", f"module: {EXAMPLE}").replace(
    "body_file: large-request.json", f"body_file: {EXAMPLE / 'large-request.json'}")


@fuzz(100)
@given(st.lists(st.tuples(st.integers(0, len(TEXT)), st.integers(0, 4),
                          st.sampled_from(list(":-[]{}&*!|>'\"#%@`\n \t,?") + ["!!python/object:os.system", "<<"])),
                max_size=4))
def test_edited_example_text(edits: list[tuple[int, int, str]]) -> None:
    text = TEXT
    for pos, cut, ins in sorted(edits, reverse=True):
        text = text[:pos] + ins + text[pos + cut:]
    _load(text)


@fuzz(60)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    _load(text)


def test_alias_bomb_is_refused_without_expanding() -> None:
    """A billion-laughs document (9 levels of 9 aliases) is a ConfigError, and memory stays small."""
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines.append("thresholds: {bench: *a9}")
    with memory_cap():
        try:
            _load("\n".join(lines) + "\n")
        except AssertionError:
            raise
