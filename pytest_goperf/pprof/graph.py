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
    """Flat/cum per node for one sample index; ``names[i]`` is node i's printable name.

    ``inline`` is left empty by ``node_sums`` (see ``inline_labels``)."""

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
    """Flat to the leaf frame's node, cum once per sample to every node on the stack.

    ``inline`` is empty: the labels depend on pprof's trimming, so ``top``
    computes them with ``inline_labels`` (one walk over every frame).
    """
    nodes = _Nodes()
    loc_nodes = {lid: nodes.location_nodes(loc) for lid, loc in profile.locations.items()}
    n = len(nodes.keys)
    flat = [0] * n
    cum = [0] * n
    total = 0
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
        else:
            on_stack = set(chain.from_iterable(map(get, ids)))
        for node in on_stack:
            cum[node] += v
    keys = tuple(nodes.keys)
    return NodeSums(
        names=tuple(printable_name(k) for k in keys),
        keys=keys,
        flat=tuple(flat),
        cum=tuple(cum),
        inline=(),
        total=total,
    )


def inline_labels(profile: Profile, index: int, kept: set[NodeKey] | None, edge_cutoff: int) -> dict[NodeKey, str]:
    """``(inline)``/``(partial-inline)`` per node, as pprof derives them from its graph's edges.

    pprof's graph (``internal/graph.newGraph``) walks each sample from the
    root; with ``kept`` (after ``-nodefraction`` or ``-nodecount``) frames of
    other nodes are skipped, so an edge joins a node to its nearest kept
    caller.  An edge is counted once per sample (the outermost occurrence
    decides whether that sample's call was inlined), it is inline only if
    every sample's call was, and edges whose |weight| is below
    ``edge_cutoff`` (``-edgefraction`` times the total) are dropped before the
    label is read: a node is ``(inline)`` when all its remaining incoming
    edges are inline, ``(partial-inline)`` when some are.  Only nodes that
    are an inlined frame somewhere can get a label, so only edges into them
    are tracked.
    """
    nodes = _Nodes()
    loc_kept: dict[int, tuple[tuple[int, bool], ...]] = {}
    candidates: set[int] = set()
    for lid, loc in profile.locations.items():
        ln = nodes.location_nodes(loc)
        last = len(ln) - 1
        # outermost first, as pprof walks; a frame is an inlined call unless it is the outermost line
        loc_kept[lid] = tuple(
            (n, i != last) for i, n in reversed(list(enumerate(ln))) if kept is None or nodes.keys[n] in kept
        )
        candidates.update(n for i, n in enumerate(ln) if i != last)
    if kept is not None:
        candidates = {n for n in candidates if nodes.keys[n] in kept}
    if not candidates:
        return {}
    # Identical stacks give identical edges: merge them first (values add, as edge weights do).
    stacks: dict[tuple[int, ...], int] = {}
    for sample in profile.samples:
        v = sample.values[index]
        if v:
            stacks[sample.location_ids] = stacks.get(sample.location_ids, 0) + v
    weight: dict[tuple[int, int], int] = {}
    inline: dict[tuple[int, int], bool] = {}
    for ids, w in stacks.items():
        parent = -1
        seen: set[tuple[int, int]] = set()
        for lid in reversed(ids):
            for node, inl in loc_kept[lid]:
                if node in candidates and parent >= 0 and node != parent:
                    key = (parent, node)
                    if key not in seen:
                        seen.add(key)
                        weight[key] = weight.get(key, 0) + w
                        inline[key] = inline.get(key, True) and inl
                parent = node
    has_inline: set[int] = set()
    has_plain: set[int] = set()
    for key, inl in inline.items():
        if abs(weight[key]) >= edge_cutoff:
            (has_inline if inl else has_plain).add(key[1])
    return {
        nodes.keys[i]: "partial-inline" if i in has_plain else "inline" for i in has_inline
    }
