"""Function-granularity nodes and per-node flat/cum sums, as pprof's graph builds them.

pprof -top aggregates at function granularity: file names, line numbers and
addresses are dropped, so one row per function *name* (the same name in two
files is one row).  A frame without a function name becomes its binary,
``[name]``, or ``<unknown>``.  Inlined frames are separate nodes; a node's
``(inline)`` label says every edge into it was an inlined call.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from itertools import chain

from pytest_goperf.pprof.model import Location, Profile

NodeKey = tuple[str, str, int]


@dataclass(frozen=True)
class NodeSums:
    """Flat/cum per node for one sample index; ``names[i]`` is node i's printable name."""

    names: tuple[str, ...]
    keys: tuple[NodeKey, ...]
    flat: tuple[int, ...]
    cum: tuple[int, ...]
    inline: tuple[str, ...]
    total: int


class _Nodes:
    """Interns function-granularity node keys; maps each location to its nodes (leaf first)."""

    def __init__(self) -> None:
        self.index: dict[NodeKey, int] = {}
        self.keys: list[NodeKey] = []

    def node(self, key: NodeKey) -> int:
        i = self.index.get(key)
        if i is None:
            i = self.index[key] = len(self.keys)
            self.keys.append(key)
        return i

    def location_nodes(self, loc: Location) -> tuple[int, ...]:
        objfile = loc.mapping.file if loc.mapping is not None else ""
        if not loc.lines:
            return (self.node(("", objfile, 0)),)
        return tuple(
            self.node((ln.function.name, "", 0) if ln.function.name else ("", objfile, ln.function.start_line))
            for ln in loc.lines
        )


def printable_name(key: NodeKey) -> str:
    """What pprof prints for a node: the function name, else ``[binary]`` or ``<unknown>``."""
    name, objfile, _ = key
    if name:
        return name
    if objfile:
        return "[" + (posixpath.basename(objfile.rstrip("/")) or "/") + "]"
    return "<unknown>"


def node_sums(profile: Profile, index: int) -> NodeSums:
    """Flat to the leaf frame's node, cum once per sample to every node on the stack."""
    nodes = _Nodes()
    loc_nodes = {lid: nodes.location_nodes(loc) for lid, loc in profile.locations.items()}
    n = len(nodes.keys)
    flat = [0] * n
    cum = [0] * n
    total = 0
    used: set[int] = set()
    pairs: set[tuple[int, int]] = set()
    get = loc_nodes.__getitem__
    for sample in profile.samples:
        v = sample.values[index]
        if v == 0:
            continue
        total += abs(v)
        ids = sample.location_ids
        if not ids:
            continue
        flat[get(ids[0])[0]] += v
        if len(ids) == 1:
            ln = get(ids[0])
            on_stack: set[int] | tuple[int, ...] = set(ln) if len(ln) > 1 else ln
            used.add(ids[0])
        else:
            on_stack = set(chain.from_iterable(map(get, ids)))
            used.update(ids)
            pairs.update(zip(ids, ids[1:]))
        for node in on_stack:
            cum[node] += v
    # An edge (caller node -> callee node) is inline only if every call it stands for was
    # inlined; a node is "(inline)" when all its incoming edges are, "(partial-inline)" when some are.
    edge_inline: dict[tuple[int, int], bool] = {}
    for lid in used:
        ln = loc_nodes[lid]
        for callee, caller in zip(ln, ln[1:]):
            if callee != caller:
                edge_inline.setdefault((caller, callee), True)
    for callee_loc, caller_loc in pairs:
        callee, caller = loc_nodes[callee_loc][-1], loc_nodes[caller_loc][0]
        if callee != caller:
            edge_inline[(caller, callee)] = False
    inline_in = [False] * n
    plain_in = [False] * n
    for (_, callee), is_inline in edge_inline.items():
        if is_inline:
            inline_in[callee] = True
        else:
            plain_in[callee] = True
    labels = tuple(
        ("partial-inline" if plain_in[i] else "inline") if inline_in[i] else "" for i in range(n)
    )
    return NodeSums(
        names=tuple(printable_name(k) for k in nodes.keys),
        keys=tuple(nodes.keys),
        flat=tuple(flat),
        cum=tuple(cum),
        inline=labels,
        total=total,
    )


def trimmed_inline_labels(profile: Profile, index: int, kept: set[NodeKey]) -> dict[NodeKey, str]:
    """Inline labels of the kept nodes when pprof rebuilds its graph from only those (``-nodecount``).

    Edges then join each kept node to the nearest kept caller on the stack, so
    a label can differ from the full graph's.  Costs one walk over every frame.
    """
    nodes = _Nodes()
    loc_kept: dict[int, tuple[tuple[int, bool], ...]] = {}
    for lid, loc in profile.locations.items():
        ln = nodes.location_nodes(loc)
        # outermost first, as pprof walks; a frame is an inlined call unless it is the outermost line
        loc_kept[lid] = tuple(
            (n, i != len(ln) - 1) for i, n in reversed(list(enumerate(ln))) if nodes.keys[n] in kept
        )
    edge_inline: dict[tuple[int, int], bool] = {}
    for sample in profile.samples:
        if sample.values[index] == 0:
            continue
        parent = -1
        for lid in reversed(sample.location_ids):
            for node, inline in loc_kept[lid]:
                if parent >= 0 and node != parent:
                    key = (parent, node)
                    edge_inline[key] = edge_inline.get(key, True) and inline
                parent = node
    has_inline: set[int] = set()
    has_plain: set[int] = set()
    for (_, callee), inline in edge_inline.items():
        (has_inline if inline else has_plain).add(callee)
    labels = {}
    for i in has_inline | has_plain:
        if i in has_inline:
            labels[nodes.keys[i]] = "partial-inline" if i in has_plain else "inline"
    return labels
