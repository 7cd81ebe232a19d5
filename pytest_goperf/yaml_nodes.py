"""YAML nodes that remember where they came from, so every config error names file:line:key.

PyYAML's composed node tree keeps each node's start mark; values are built
from it with the safe constructors only (no arbitrary Python objects).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pytest_goperf.errors import ConfigError
from pytest_goperf.quantities import parse_duration, parse_share

T = TypeVar("T")


class Node:
    """A YAML node with its position, so every error can name file:line."""

    def __init__(self, node: yaml.Node, path: Path, key: str) -> None:
        self.node = node
        self.path = path
        self.key = key

    @property
    def line(self) -> int:
        return int(self.node.start_mark.line) + 1

    def error(self, message: str) -> ConfigError:
        return ConfigError(f"{self.path}:{self.line}: {self.key}: {message}")

    def mapping(self, allowed: tuple[str, ...]) -> dict[str, Node]:
        if not isinstance(self.node, yaml.MappingNode):
            raise self.error(f"expected a mapping with keys {', '.join(allowed)}, got {kind(self.node)}")
        out: dict[str, Node] = {}
        for k, v in self.node.value:
            name = k.value if isinstance(k, yaml.ScalarNode) else str(k)
            child = Node(v, self.path, f"{self.key}.{name}" if self.key else name)
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(allowed)}"
                raise ConfigError(f"{self.path}:{int(k.start_mark.line) + 1}: unknown key '{child.key}'{hint}")
            if name in out:
                raise ConfigError(f"{self.path}:{int(k.start_mark.line) + 1}: key '{child.key}' appears twice")
            out[name] = child
        return out

    def value(self) -> Any:
        """The plain Python value of this node (safe constructors only)."""
        loader = yaml.SafeLoader("")
        try:
            return loader.construct_object(self.node, deep=True)
        except yaml.YAMLError as exc:
            raise self.error(str(exc)) from None
        finally:
            loader.dispose()

    def string(self) -> str:
        v = self.value()
        if not isinstance(v, str) or isinstance(self.node, yaml.MappingNode):
            raise self.error(f"expected a string, got {kind(self.node)}")
        return v

    def strings(self) -> tuple[str, ...]:
        v = self.value()
        if isinstance(v, str):
            return (v,)
        if not isinstance(v, list) or not all(isinstance(x, (str, int, float)) for x in v):
            raise self.error(f"expected a list of strings, got {kind(self.node)}")
        return tuple(str(x) for x in v)

    def integer(self, minimum: int = 0) -> int:
        v = self.value()
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.error(f"expected a whole number, got {v!r}")
        if v < minimum:
            raise self.error(f"must be at least {minimum}, got {v}")
        return v

    def number(self, minimum: float = 0.0) -> float:
        v = self.value()
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.error(f"expected a number, got {v!r}")
        if v < minimum:
            raise self.error(f"must be at least {minimum}, got {v}")
        return float(v)

    def boolean(self) -> bool:
        v = self.value()
        if not isinstance(v, bool):
            raise self.error(f"expected true or false, got {v!r}")
        return v

    def parsed(self, parse: Callable[[Any], T]) -> T:
        if not isinstance(self.node, yaml.ScalarNode):
            raise self.error(f"expected a single value such as '30s' or '5%', got {kind(self.node)}")
        try:
            return parse(self.value())
        except ValueError as exc:
            raise self.error(str(exc)) from None

    def duration(self) -> float:
        d = self.parsed(parse_duration)
        if d < 0:
            raise self.error("a duration cannot be negative")
        return d

    def share(self) -> float:
        return self.parsed(parse_share)


def kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"{node.value!r}" if node.value != "" else "nothing"


def opt(fields: dict[str, Node], key: str, conv: Callable[[Node], T], default: T) -> T:
    node = fields.get(key)
    if node is None or (isinstance(node.node, yaml.ScalarNode) and node.node.tag.endswith(":null")):
        return default
    return conv(node)


def key_lines(root: yaml.Node, prefix: str = "") -> dict[str, int]:
    """Every mapping key's dotted name -> its 1-based line, for errors raised after loading."""
    out: dict[str, int] = {}
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            name = f"{prefix}.{k.value}" if prefix else str(k.value)
            out[name] = int(k.start_mark.line) + 1
            out.update(key_lines(v, name))
    return out
