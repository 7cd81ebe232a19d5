"""One side of a comparison under a split, and how the two sides' rows are paired.

Pairing is by equal (package, name, unit).  A file without ``pkg:`` lines
(hand-written, or trimmed) still pairs by name when that is unambiguous; rows
whose names differ only in the -GOMAXPROCS suffix pair only when asked (the
gate asks unless ``bench.gomaxprocs_mismatch: refuse``) and are otherwise
kept as near misses, so the reason a row is missing can say so.  A side
also explains its own missing rows: a package it lacks, a benchmark that
failed or crashed there.
"""

from __future__ import annotations

import re
from array import array
from typing import Any

from pytest_goperf.bench.format import BenchFile, Failure, Key, Series

_OPEN_FAILED = re.compile(r"open (\S+): no such file or directory")


def base_name(name: str) -> str:
    """``Encode/n=10-8`` -> ``Encode/n=10``: the name without its -GOMAXPROCS suffix."""
    head, sep, tail = name.rpartition("-")
    return head if sep and tail.isdigit() else name


class Side:
    """One file's rows under the split in force, and which packages fed each row."""

    def __init__(self, bf: BenchFile, split: str) -> None:
        self.file = bf
        self.rows: dict[Key, Series] = bf.series
        self.pkgs: dict[Key, set[str]] = {k: {k[0]} for k in bf.series}
        if split == "none":
            self.rows, self.pkgs = {}, {}
            for (pkg, name, unit), s in bf.series.items():
                key = ("", name, unit)
                have = self.rows.get(key)
                if have is None:
                    self.rows[key] = Series(array("d", s.values), list(s.configs))
                    self.pkgs[key] = {pkg}
                    continue
                have.values.extend(s.values)
                have.configs.extend(c for c in s.configs if all(c is not h for h in have.configs))
                self.pkgs[key].add(pkg)

    def why_missing(self, pkg: str, name: str) -> tuple[str | None, bool]:
        """(reason, failed) for a row this side lacks: the package is absent, or the benchmark failed/crashed."""
        bf = self.file
        if pkg in bf.absent:
            return bf.absent[pkg], False
        base = base_name(name)
        best: Failure | None = None
        rank = 0
        for f in bf.failures:
            if pkg and f.pkg and f.pkg != pkg:
                continue
            if f.benchmark == base or base.startswith(f.benchmark + "/"):
                r = (3 if f.benchmark == base else 2) + (2 if f.message else 0)
            elif f.crashed:
                r = 1  # the binary died earlier in this package: later benchmarks never ran
            else:
                continue
            if r > rank:
                best, rank = f, r
        if best is None:
            return None, False
        if rank == 1:
            text = (f"the test binary{' of ' + best.pkg if best.pkg else ''} crashed in "
                    f"Benchmark{best.benchmark or '?'} ({best.message}) in {bf.name} ({bf.source}:{best.line}); "
                    "the benchmarks after it did not run")
        else:
            text = f"Benchmark{best.benchmark} failed in {bf.name} ({bf.source}:{best.line})"
            text += f": {best.message}" if best.message else ""
        if bf.hint:
            found = _OPEN_FAILED.search(best.message)
            text += "; " + bf.hint.replace("{file}", found.group(1) if found else "the files it reads")
        return text, True


def pair_rows(a: Side, b: Side, pair_procs: bool) -> tuple[list[tuple[Key | None, Key | None]], list[tuple[Key, Key]]]:
    """Pair old and new keys: equal keys; a side without pkg lines by name; then, if asked, across -GOMAXPROCS.

    Returns (pairs in first-seen order, near misses: keys that differ only in the GOMAXPROCS suffix, not paired).
    """
    only_old = [k for k in a.rows if k not in b.rows]
    only_new = [k for k in b.rows if k not in a.rows]
    partner: dict[Key, Key] = {}  # old key -> new key

    def match(rule: Any) -> list[tuple[Key, Key]]:
        found: list[tuple[Key, Key]] = []
        for ko in only_old:
            if ko in partner:
                continue
            cands = [kn for kn in only_new if kn not in partner.values() and rule(ko, kn)]
            if len(cands) == 1 and sum(1 for k in only_old if k not in partner and rule(k, cands[0])) == 1:
                found.append((ko, cands[0]))
        return found

    # A file without pkg lines (hand-written, or trimmed) still pairs by name when that is unambiguous.
    for ko, kn in match(lambda o, n: (o[0] == "" or n[0] == "") and o[1:] == n[1:]):
        partner[ko] = kn
    procs = match(lambda o, n: (o[0] == n[0] or "" in (o[0], n[0])) and o[2] == n[2]
                  and base_name(o[1]) == base_name(n[1]) and o[1] != n[1])
    if pair_procs:
        partner.update(procs)
    paired_new = set(partner.values())
    pairs: list[tuple[Key | None, Key | None]] = []
    for ko in a.rows:
        pairs.append((ko, ko if ko in b.rows else partner.get(ko)))
    pairs.extend((None, kn) for kn in b.rows if kn not in a.rows and kn not in paired_new)
    return pairs, ([] if pair_procs else procs)
